"""Role ecs_iam against the local stack (moto behind the recording proxy).

check on a fresh account predicts the ARNs and mutates nothing -> apply creates -> apply again and check
change nothing (zero mutating AWS calls) -> the policies read back from moto are least privilege (moto
enforces no IAM policy, so they are asserted by reading them) -> adopted roles are never touched ->
teardown removes only what the role created.
"""
from __future__ import annotations

import json

import pytest
import yaml

from stacktools.ansible_run import run_playbook

ROLE = "prefect_ops.ecs.ecs_iam"
PUBLISH = "Publish the role ARNs and what this role changed"
EXEC_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
UNSCOPED = {"ecs:DeregisterTaskDefinition", "ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition",
            "ec2:DescribeSubnets", "ec2:DescribeVpcs"}
SQS_ACTIONS = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
               "sqs:ReceiveMessage"]


def play(site: str, upstream: dict | None = None, **role_vars) -> list:
    return [{
        "name": "ecs_iam under test", "hosts": "local", "gather_facts": False,
        "vars": {"prefect_ecs_name": site, **role_vars},
        # What the earlier roles of site.yml publish: the role's defaults read these facts.
        "pre_tasks": [{"name": "Facts of the earlier roles", "ansible.builtin.set_fact": upstream}] if upstream else [],
        "roles": [{"role": ROLE}],
    }]


# One inventory host per case: cases run in parallel (forks) in one ansible-playbook run.
HOSTS_PLAY = [{"name": "ecs_iam under test", "hosts": "all", "gather_facts": False, "roles": [{"role": ROLE}]}]


def inventory(tmp_path, hosts: dict) -> str:
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}))
    return str(path)


def run(site, upstream=None, *, check=False, args=None, **role_vars):
    return run_playbook(play(site, upstream, **role_vars), check=check, args=args)


def ok(result):
    assert result.rc == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result


def facts(result) -> dict:
    """The role ARNs the role publishes in its dict ecs_iam (roles_state apart); the deprecated flat aliases hold the
    same values."""
    published = result.task(PUBLISH)["ansible_facts"]
    arns = {k: v for k, v in published["ecs_iam"].items() if k != "roles_state"}
    assert {k: published["ecs_iam_" + k] for k in arns} == arns
    return arns


def roles_state(result) -> dict:
    return result.task(PUBLISH)["ansible_facts"]["ecs_iam"]["roles_state"]


def listify(value):
    return value if isinstance(value, list) else [value]


def role_doc(iam, name: str) -> dict:
    role = iam.get_role(RoleName=name)["Role"]
    return {
        "arn": role["Arn"],
        "trust": role["AssumeRolePolicyDocument"],
        "tags": {t["Key"]: t["Value"] for t in role.get("Tags", [])},
        "attached": sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]),
        "inline": {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                   for p in iam.list_role_policies(RoleName=name)["PolicyNames"]},
    }


def assert_trust_is_ecs_tasks_of_this_account(trust: dict, account: str):
    [statement] = trust["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == account
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws:ecs:us-east-1:{account}:*"


@pytest.fixture()
def account(aws):
    return aws("sts", direct=True).get_caller_identity()["Account"]


def upstream_facts(unique, account):
    return {
        "prefect_api_secret": {
            "arn": f"arn:aws:secretsmanager:us-east-1:{account}:secret:prefect-ops/{unique}/PREFECT_API_KEY-AbC123",
            "kms_key_arn": f"arn:aws:kms:us-east-1:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
        "ecs_cluster": {"name": unique, "arn": f"arn:aws:ecs:us-east-1:{account}:cluster/{unique}"},
        "ecs_log_groups_worker": f"/prefect/{unique}/worker",
        "ecs_log_groups_flow_runs": f"/prefect/{unique}/flow-runs",
        # the statement ecs_event_observer returns for the worker
        "ecs_events_worker_policy_statement": {
            "Sid": "PrefectEcsObserverConsumeQueue", "Effect": "Allow", "Action": SQS_ACTIONS,
            "Resource": f"arn:aws:sqs:us-east-1:{account}:{unique}-events"},
    }


@pytest.mark.slow
def test_iam_check_apply_reapply_least_privilege_teardown(aws_proxy, aws, unique, account):
    iam = aws("iam", direct=True)
    up = upstream_facts(unique, account)
    flow_run = {"ecs_iam_flow_run_task_role_create": True,
                "ecs_iam_flow_run_managed_policy_arns": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
                "ecs_iam_flow_run_inline_policies": {"write-results": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": f"arn:aws:s3:::{unique}-results/*"}]}}}
    names = {k: f"{unique}-us-east-1-{k}" for k in ("execution", "worker", "flow-run")}

    mark = aws_proxy.mark()
    check = ok(run(unique, up, check=True, **flow_run))
    assert aws_proxy.mutating(mark) == []
    predicted = facts(check)
    assert predicted == {
        "execution_role_arn": f"arn:aws:iam::{account}:role/{names['execution']}",
        "worker_task_role_arn": f"arn:aws:iam::{account}:role/{names['worker']}",
        "flow_run_task_role_arn": f"arn:aws:iam::{account}:role/{names['flow-run']}"}
    # check mode publishes the roles as this run would leave them (ecs_verify judges them 'would be fixed')
    predicted_state = roles_state(check)
    assert set(predicted_state) == set(predicted.values())

    apply = ok(run(unique, up, **flow_run))
    assert apply.changed() > 0
    assert facts(apply) == predicted

    mark = aws_proxy.mark()
    again = ok(run(unique, up, **flow_run))
    assert again.changed() == 0 and aws_proxy.mutating(mark) == []
    # one STS call, the host's context's (role site_context): the role itself asks none, the context gives the account
    assert [c["action"] for c in aws_proxy.aws_calls(mark) if c["service"] == "sts"] == ["GetCallerIdentity"]

    # What the role publishes for ecs_verify is what IAM holds.
    def held():
        return {role_doc(iam, n)["arn"]: {"attached": role_doc(iam, n)["attached"],
                                          "documents": list(role_doc(iam, n)["inline"].values())} for n in names.values()}
    published = {arn: {"attached": sorted(s["attached"]), "documents": s["documents"]} for arn, s in roles_state(again).items()}
    assert published == held()
    assert {arn: {"attached": sorted(s["attached"]), "documents": s["documents"]}
            for arn, s in predicted_state.items()} == published

    # An inline policy changed behind the collection's back is put back (compared before writing).
    iam.put_role_policy(RoleName=names["worker"], PolicyName="prefect-ecs-worker", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "*"}]}))
    mark = aws_proxy.mark()
    repaired = ok(run(unique, up, **flow_run))
    assert repaired.changed() == 1
    assert [c["action"] for c in aws_proxy.mutating(mark)] == ["PutRolePolicy"]
    assert {arn: {"attached": sorted(s["attached"]), "documents": s["documents"]}
            for arn, s in roles_state(repaired).items()} == held() == published
    mark = aws_proxy.mark()
    check = ok(run(unique, up, check=True, args=["--diff"], **flow_run))
    assert check.changed() == 0 and aws_proxy.mutating(mark) == []

    roles = {k: role_doc(iam, n) for k, n in names.items()}
    for doc in roles.values():
        assert_trust_is_ecs_tasks_of_this_account(doc["trust"], account)
        assert doc["tags"] == {"prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": unique}
    assert {k: d["arn"] for k, d in roles.items()} == {
        "execution": predicted["execution_role_arn"], "worker": predicted["worker_task_role_arn"],
        "flow-run": predicted["flow_run_task_role_arn"]}

    # Execution role: the AWS managed policy (partition-built ARN) + read exactly the secret, decrypt with its key.
    execution = roles["execution"]
    assert execution["attached"] == [EXEC_POLICY]
    assert list(execution["inline"]) == ["prefect-api-secret-read"]
    statements = execution["inline"]["prefect-api-secret-read"]["Statement"]
    assert [(listify(s["Action"]), s["Resource"]) for s in statements] == [
        (["secretsmanager:GetSecretValue"], up["prefect_api_secret"]["arn"]),
        (["kms:Decrypt"], up["prefect_api_secret"]["kms_key_arn"])]

    # Worker role: one inline policy, nothing beyond what AWS cannot scope on "*".
    worker = roles["worker"]
    assert worker["attached"] == [] and list(worker["inline"]) == ["prefect-ecs-worker"]
    statements = worker["inline"]["prefect-ecs-worker"]["Statement"]
    actions = {a for s in statements for a in listify(s["Action"])}
    assert {"ecs:RunTask", "ecs:StopTask", "ecs:DescribeTasks", "ecs:TagResource", "logs:GetLogEvents",
            "logs:PutLogEvents", "iam:PassRole"} | UNSCOPED | set(SQS_ACTIONS) <= actions
    # the worker's own logs go through the awslogs driver with the execution role: no log-stream rights here
    assert "logs:CreateLogStream" not in actions
    for s in statements:
        assert s["Effect"] == "Allow"
        if "*" in listify(s["Resource"]):
            assert set(listify(s["Action"])) <= UNSCOPED, s
    [pass_role] = [s for s in statements if "iam:PassRole" in listify(s["Action"])]
    assert sorted(listify(pass_role["Resource"])) == sorted([predicted["execution_role_arn"],
                                                            predicted["flow_run_task_role_arn"]])
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    for s in statements:
        if any(a.startswith("sqs:") for a in listify(s["Action"])):
            assert listify(s["Resource"]) == [up["ecs_events_worker_policy_statement"]["Resource"]], s
        if any(a in ("ecs:RunTask", "ecs:StopTask", "ecs:DescribeTasks") for a in listify(s["Action"])):
            assert s["Condition"] == {"ArnEquals": {"ecs:cluster": up["ecs_cluster"]["arn"]}}, s
        if any(a.startswith("logs:") for a in listify(s["Action"])):
            # the flow runs' group only: the worker's own lines go through the awslogs driver (execution role)
            assert [r.split(":log-group:")[1] for r in listify(s["Resource"])] == [up["ecs_log_groups_flow_runs"] + ":*"], s

    flow = roles["flow-run"]
    assert flow["attached"] == ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    assert list(flow["inline"]) == ["write-results"]

    # Inputs change: the credential is now an SSM parameter, the flow-run inline policy is dropped.
    parameter = f"arn:aws:ssm:us-east-1:{account}:parameter/prefect-ops/{unique}/PREFECT_API_KEY"
    changed = ok(run(unique, {**up, "prefect_api_secret": {"arn": parameter, "kms_key_arn": ""}},
                     **{**flow_run, "ecs_iam_flow_run_inline_policies": {}}))
    # one module run: the execution role's secret policy put again, the flow-run role's inline policy deleted
    assert changed.changed() == 1
    assert sorted(changed.task(PUBLISH)["ansible_facts"]["ecs_iam_changes"]) == [
        f"delete inline policy write-results of role {names['flow-run']}",
        f"put inline policy prefect-api-secret-read of role {names['execution']}"]
    [statement] = iam.get_role_policy(RoleName=names["execution"], PolicyName="prefect-api-secret-read")[
        "PolicyDocument"]["Statement"]
    assert (listify(statement["Action"]), statement["Resource"]) == (["ssm:GetParameters"], parameter)
    assert iam.list_role_policies(RoleName=names["flow-run"])["PolicyNames"] == []

    down = ok(run(unique, ecs_iam_state="absent"))
    assert down.changed() == 1
    left = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert not set(names.values()) & left
    mark = aws_proxy.mark()
    ok(run(unique, ecs_iam_state="absent"))
    assert aws_proxy.mutating(mark) == []


def test_adopted_and_foreign_roles_are_never_changed_or_removed(aws_proxy, aws, tmp_path, unique, account):
    iam = aws("iam", direct=True)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]})
    theirs_name = f"{unique}-their-execution"
    theirs = iam.create_role(RoleName=theirs_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=theirs_name, PolicyName="theirs",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::theirs"}]}))
    # A role with the name the role would manage for the "foreign" site, not created by it (no ownership tags).
    squatted = f"{unique}-foreign-us-east-1-worker"
    iam.create_role(RoleName=squatted, AssumeRolePolicyDocument=trust)
    before = {n: role_doc(iam, n) for n in (theirs_name, squatted)}
    adopting = upstream_facts(f"{unique}-adopting", account)
    # the events role's list form of the fact (ecs_events_worker_policy_statements) is read as well
    adopting["ecs_events_worker_policy_statements"] = [adopting.pop("ecs_events_worker_policy_statement")]
    inv = inventory(tmp_path, {
        "adopting": {"prefect_ecs_name": f"{unique}-adopting", "ecs_iam_execution_role_arn": theirs, **adopting},
        "foreign": {"prefect_ecs_name": f"{unique}-foreign", **upstream_facts(f"{unique}-foreign", account)},
    })

    mark = aws_proxy.mark()
    apply = run_playbook(HOSTS_PLAY, inventory=inv)
    touched = [c for c in aws_proxy.mutating(mark) if c["params"].get("RoleName") in (theirs_name, squatted)]
    assert touched == []
    # adopting: the adopted execution role is published and passable, the worker role is created
    assert apply.stats["adopting"]["failures"] == 0
    published = apply.task(PUBLISH, "adopting")["ansible_facts"]["ecs_iam"]
    assert published["execution_role_arn"] == theirs and published["flow_run_task_role_arn"] == ""
    worker = role_doc(iam, f"{unique}-adopting-us-east-1-worker")
    [pass_role] = [s for s in worker["inline"]["prefect-ecs-worker"]["Statement"]
                   if "iam:PassRole" in listify(s["Action"])]
    assert listify(pass_role["Resource"]) == [theirs]
    [consume] = [s for s in worker["inline"]["prefect-ecs-worker"]["Statement"] if s.get("Sid") == "PrefectEcsObserverConsumeQueue"]
    assert consume["Resource"] == adopting["ecs_events_worker_policy_statements"][0]["Resource"]
    assert f"{unique}-adopting-us-east-1-execution" not in {r["RoleName"] for r in iam.list_roles()["Roles"]}
    # foreign: refused before any change, with the way to adopt the role
    assert apply.stats["foreign"]["failures"] == 1
    assert [c for c in aws_proxy.mutating(mark) if f"{unique}-foreign" in json.dumps(c["params"])] == []
    refusal = json.dumps([t for t in apply.tasks() if t["host"] == "foreign" and t.get("failed")])
    assert "ecs_iam_worker_task_role_arn" in refusal

    ok(run_playbook(HOSTS_PLAY, inventory=inv, extra_vars={"ecs_iam_state": "absent"}))
    assert {n: role_doc(iam, n) for n in (theirs_name, squatted)} == before  # still there, unchanged
    assert f"{unique}-adopting-us-east-1-worker" not in {r["RoleName"] for r in iam.list_roles()["Roles"]}


def test_bad_input_fails_before_any_change_naming_the_variable(aws_proxy, tmp_path, unique, account):
    cases = {
        "name-too-long": ({"prefect_ecs_name": "a-site-name-long-enough-to-push-the-role-names-past-iam-limit"},
                          ["ecs_iam_execution_role_name", "64"]),
        "passrole-star": ({"ecs_iam_pass_role_arns": ["*"]}, ["ecs_iam_pass_role_arns"]),
        "passrole-wildcard": ({"ecs_iam_pass_role_arns": ["arn:aws:iam::123456789012:role/*"]},
                              ["ecs_iam_pass_role_arns"]),
        "events-on-star": ({"ecs_iam_events_policy_statement": {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}},
                           ["ecs_iam_events_policy_statement"]),
        "no-cluster": ({"ecs_iam_cluster_arn": ""}, ["ecs_iam_cluster_arn"]),
        "no-flow-runs-log-group": ({"ecs_iam_flow_runs_log_group": ""}, ["ecs_iam_flow_runs_log_group"]),
        "removed-input": ({"ecs_iam_worker_log_group": "/prefect/worker"}, ["ecs_iam_worker_log_group"]),
        "misspelt": ({"ecs_iam_pass_roles_arns": []}, ["ecs_iam_pass_roles_arns", "ecs_iam_pass_role_arns"]),
        "adopt-not-an-arn": ({"ecs_iam_execution_role_arn": "my-execution-role"}, ["ecs_iam_execution_role_arn"]),
        "bad-path": ({"ecs_iam_path": "prefect"}, ["ecs_iam_path"]),
    }
    inv = inventory(tmp_path, {name: {"prefect_ecs_name": f"{unique}-{name}", **upstream_facts(unique, account),
                                      **case_vars} for name, (case_vars, _expected) in cases.items()})
    mark = aws_proxy.mark()
    result = run_playbook(HOSTS_PLAY, inventory=inv)
    assert aws_proxy.mutating(mark) == []
    for name, (_case_vars, expected) in cases.items():
        failed = [t for t in result.tasks() if t["host"] == name and t.get("failed")]
        assert failed, f"{name}: did not fail"
        text = json.dumps(failed)
        for needle in expected:
            assert needle in text, f"{name}: {needle!r} not in {text[-1500:]}"
