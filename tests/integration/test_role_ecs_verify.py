"""Role ecs_verify's service, task definition and IAM checks against the local stack (moto behind the
recording proxy), through playbooks/site.yml with one inventory host per case.

- a converged site: every check passes, except the running count ("not checked": the emulator runs nothing)
  and the worker (no worker started here, ecs_verify_worker_timeout 0);
- one needed action removed from the worker role's inline policy (with boto3): the roles check fails naming it;
- the worker's task definition deregistered: the task definition check fails;
- an adopted worker role that denies one needed action and lacks others: the roles check fails naming them;
- a drift audit (--check --diff after the breakage): what this run would fix is "would be fixed", the summary names
  every check, a finding no run fixes (a message in the dead-letter queue) fails its host after the summary;
- check mode on a fresh site: the new checks say "not checked" and no AWS call mutates anything;
- the checks themselves make no mutating AWS call.
"""
from __future__ import annotations

import json

import pytest
import yaml

from stacktools.ansible_run import REPO, run_playbook
from stacktools.aws_actions import is_mutating

SITE = REPO / "playbooks" / "site.yml"
TEARDOWN = REPO / "playbooks" / "teardown.yml"
REPORT = "Build the report"
# site.yml's last task: prints the summary, then fails the host when a check failed that the run would not fix
SUMMARY = "Summarise what exists and what this run changed"
SERVICE_ACTIVE = "worker service active"
RUNNING = "worker service running = desired"
TASK_DEFINITION = "worker task definition registered"
ROLES = "roles carry the needed actions"
NEW_CHECKS = (SERVICE_ACTIVE, RUNNING, TASK_DEFINITION, ROLES)


def inventory(tmp_path, hosts: dict) -> str:
    """The local inventory's settings (emulator network, credential kind, ecs_verify_emulated...) with these hosts."""
    local = yaml.safe_load((REPO / "inventories" / "local" / "hosts.yml").read_text())
    group = local["prefect_ecs"]
    group["hosts"] = hosts
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"prefect_ecs": group}))
    return str(path)


def report(result, host) -> dict:
    """check name -> check; "worker online in pool <site>" is named "worker online"."""
    checks = result.task(REPORT, host)["ansible_facts"]["ecs_verify_report"]
    return {("worker online" if c["check"].startswith("worker online in pool ") else c["check"]): c for c in checks}


def statuses(result, host) -> dict:
    return {name: c["status"] for name, c in report(result, host).items()}


def assert_no_aws_mutation(aws_proxy, mark):
    calls = aws_proxy.aws_calls(mark)
    assert calls, "the proxy recorded no AWS call: is AWS_ENDPOINT_URL the stack's proxy?"
    mutating = [c for c in calls if is_mutating(c.get("action")) and not c["fault"]]
    assert mutating == [] and aws_proxy.mutating(mark) == [], [c.get("action") for c in mutating]


@pytest.fixture()
def adopted_worker_role(aws, unique):
    """A worker task role the site adopts: allows ECS and SQS broadly but denies sqs:DeleteMessage, no PassRole."""
    iam = aws("iam", direct=True)
    name = f"{unique}-adopted-worker"
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="theirs", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Everything", "Effect": "Allow", "Action": ["ecs:*", "ec2:Describe*", "sqs:*", "logs:Get*"], "Resource": "*"},
        {"Sid": "NoDelete", "Effect": "Deny", "Action": "sqs:DeleteMessage", "Resource": "*"}]}))
    yield arn
    iam.delete_role_policy(RoleName=name, PolicyName="theirs")
    iam.delete_role(RoleName=name)


@pytest.mark.slow(5)
def test_checks_pass_on_a_converged_site_and_fail_naming_what_broke(aws_proxy, aws, tmp_path, unique, adopted_worker_role):
    sites = {case: f"{unique}-{case}" for case in ("ok", "noaction", "notd", "adopted")}
    hosts = {case: {"prefect_ecs_name": name, "ecs_verify_worker_timeout": 0} for case, name in sites.items()}
    # the adopted role fails the check already in the converging run: keep the play going to read the report
    hosts["adopted"].update({"ecs_iam_worker_task_role_arn": adopted_worker_role, "ecs_verify_fail": False})
    inv = inventory(tmp_path, hosts)
    try:
        converge = run_playbook(SITE, inventory=inv)
        assert converge.rc == 0, converge.stdout[-4000:]
        for case in ("ok", "noaction", "notd"):
            got = statuses(converge, case)
            assert got[RUNNING] == "not checked", got
            assert got["worker online"] == "not checked"  # ecs_verify_worker_timeout 0
            assert {k: v for k, v in got.items() if k not in (RUNNING, "worker online")} == {
                k: "pass" for k in got if k not in (RUNNING, "worker online")}, report(converge, case)
        ok = report(converge, "ok")
        assert "emulator" in ok[RUNNING]["detail"]
        assert f"{sites['ok']}-workers is ACTIVE" in ok[SERVICE_ACTIVE]["detail"]
        assert f"task-definition/{sites['ok']}-worker:1 is ACTIVE" in ok[TASK_DEFINITION]["detail"]
        roles = ok[ROLES]["detail"]
        assert "AmazonECSTaskExecutionRolePolicy attached" in roles and "secretsmanager:GetSecretValue" in roles
        assert "conditions not evaluated on" in roles and "ecs:RunTask" in roles

        # The adopted role: checked as any other, fails naming the denied and the missing actions.
        adopted = report(converge, "adopted")[ROLES]
        assert adopted["status"] == "fail", adopted
        assert "sqs:DeleteMessage" in adopted["detail"] and "denied by NoDelete" in adopted["detail"]
        assert "iam:PassRole" in adopted["detail"] and "ecs:RunTask" not in adopted["detail"].split("conditions")[0]
        assert converge.stats["adopted"]["failures"] == 0

        # Break two sites behind the collection's back.
        iam, ecs = aws("iam", direct=True), aws("ecs", direct=True)
        worker_role = f"{sites['noaction']}-us-east-1-worker"
        document = iam.get_role_policy(RoleName=worker_role, PolicyName="prefect-ecs-worker")["PolicyDocument"]
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            statement["Action"] = [a for a in actions if a != "sqs:ReceiveMessage"]
        iam.put_role_policy(RoleName=worker_role, PolicyName="prefect-ecs-worker", PolicyDocument=json.dumps(document))
        [td_arn] = ecs.list_task_definitions(familyPrefix=f"{sites['notd']}-worker", status="ACTIVE")["taskDefinitionArns"]
        ecs.deregister_task_definition(taskDefinition=td_arn)

        # A drift audit: --check --diff reports what this run would fix as "would be fixed" and prints the summary,
        # naming every check, for every host; a finding this run would not fix (a message in a dead-letter queue)
        # fails its host, after the summary: exit status 2.
        sqs = aws("sqs", direct=True)
        dlq = sqs.get_queue_url(QueueName=f"{sites['noaction']}-events-dlq")["QueueUrl"]
        sqs.send_message(QueueUrl=dlq, MessageBody="{}")
        mark = aws_proxy.mark()
        audit = run_playbook(SITE, inventory=inv, check=True, args=["--diff"])
        assert_no_aws_mutation(aws_proxy, mark)
        assert audit.rc == 2, audit.stdout[-4000:]
        assert audit.stats["noaction"]["failures"] == 1
        assert [h for h in sites if audit.stats[h]["failures"]] == ["noaction"]
        for case in sites:
            summary = audit.task(SUMMARY, case)["ansible_facts"]["prefect_ecs_summary"]
            assert set(summary["checks"]) == set(c["check"] for c in audit.task(REPORT, case)["ansible_facts"]["ecs_verify_report"])
            assert len(summary["checks"]) == 10, summary["checks"]
        summary = audit.task(SUMMARY, "noaction")["ansible_facts"]["prefect_ecs_summary"]
        assert summary["checks"][ROLES] == "would be fixed", summary
        assert summary["checks"]["dead-letter queue empty"] == "fail", summary
        assert any(f.startswith(ROLES + ": ") and "sqs:ReceiveMessage" in f and "ecs_iam role would fix it" in f
                   for f in summary["findings"]), summary["findings"]
        assert "put inline policy prefect-ecs-worker of role" in " ".join(summary["changed"]["ecs_iam"]), summary["changed"]
        assert "dead-letter queue empty" in audit.task(SUMMARY, "noaction")["msg"]
        assert statuses(audit, "ok")[ROLES] == "pass"
        # the deregistered task definition: ecs_worker_service would register it again and update the service
        assert statuses(audit, "notd")[TASK_DEFINITION] == "would be fixed", report(audit, "notd")[TASK_DEFINITION]
        # the adopted role is not ecs_iam's to fix: still a failure (its host has ecs_verify_fail false)
        assert statuses(audit, "adopted")[ROLES] == "fail"
        sqs.purge_queue(QueueUrl=dlq)

        # Only the checks run (site.yml --tags verify: no earlier role repairs anything, no facts are set:
        # the role finds the service, task definition, roles and secret from the site's names).
        mark = aws_proxy.mark()
        verify = run_playbook(SITE, inventory=inv, args=["--tags", "verify"])
        assert_no_aws_mutation(aws_proxy, mark)
        assert verify.stats["ok"]["failures"] == 0 and verify.stats["adopted"]["failures"] == 0
        assert verify.stats["noaction"]["failures"] == 1 and verify.stats["notd"]["failures"] == 1

        assert statuses(verify, "ok") == statuses(converge, "ok")
        noaction = report(verify, "noaction")
        assert noaction[ROLES]["status"] == "fail"
        assert f"worker task role {worker_role}: sqs:ReceiveMessage on arn:aws:sqs:us-east-1:" in noaction[ROLES]["detail"]
        assert "is not allowed (the observer reads ECS task state events)" in noaction[ROLES]["detail"]
        missing = noaction[ROLES]["detail"].split(": ", 1)[1]
        assert "sqs:DeleteMessage on" not in missing and "sqs:GetQueueUrl on" not in missing  # only what was removed
        assert {k: v for k, v in statuses(verify, "noaction").items() if k != ROLES} == {
            k: v for k, v in statuses(verify, "ok").items() if k != ROLES}

        notd = report(verify, "notd")
        assert notd[TASK_DEFINITION]["status"] == "fail", notd[TASK_DEFINITION]
        assert td_arn in notd[TASK_DEFINITION]["detail"] and "INACTIVE" in notd[TASK_DEFINITION]["detail"]
        assert "ecs_worker_service" in notd[TASK_DEFINITION]["detail"]
        assert notd[SERVICE_ACTIVE]["status"] == "pass"
        failed = [t for t in verify.tasks() if t["host"] == "notd" and t.get("failed")]
        assert TASK_DEFINITION in json.dumps(failed)
    finally:
        down = run_playbook(TEARDOWN, inventory=inv)
        assert down.rc == 0, down.stdout[-3000:]
    # teardown never touches an adopted role
    assert aws("iam", direct=True).get_role(RoleName=adopted_worker_role.split("/")[-1])["Role"]["Arn"] == adopted_worker_role


def test_check_mode_on_a_fresh_site_reports_not_checked_and_mutates_nothing(aws_proxy, tmp_path, unique):
    site = f"{unique}-fresh"
    inv = inventory(tmp_path, {"fresh": {"prefect_ecs_name": site, "ecs_verify_worker_timeout": 0}})
    mark = aws_proxy.mark()
    check = run_playbook(SITE, inventory=inv, check=True)
    assert check.rc == 0, check.stdout[-4000:]
    assert_no_aws_mutation(aws_proxy, mark)
    got = report(check, "fresh")
    for name in NEW_CHECKS:
        assert got[name]["status"] == "not checked", got[name]
    assert "would create" in got[SERVICE_ACTIVE]["detail"]
    assert "would register" in got[TASK_DEFINITION]["detail"]
    assert got[ROLES]["detail"].count("would create it") == 2
    # nothing was created: assert_no_aws_mutation above (a second check run would only repeat it)
