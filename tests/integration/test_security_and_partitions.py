"""Secrets, least privilege and partitions of what playbooks/site.yml creates (issue 7 items 5-7).

- secrets (5): one fresh site converged at -vvv with a recognisable stored credential
  (prefect_api_secret_value; the modules keep the stack's real credential from the environment): the marker is
  nowhere in the output, in a task definition's environment, in a pool's base job template or in the summary;
  it reaches containers only as a `secrets` entry. The real prefect-aws worker's RunTask (N=1) carries no
  credential in containerOverrides.environment.
- least privilege (6), read back with boto3 on the same site: no iam:PassRole on "*", SQS actions only on the
  site's queue, the queue policy conditioned on the rule ARN, trust policies conditioned on the account, the
  secret readable through the execution role's policy (and whether a resource policy is set).
- partitions (7): one full site.yml pass in us-gov-west-1: nothing written contains "arn:aws:".
"""
from __future__ import annotations

import importlib.util
import json
import os
import time

import pytest

from stacktools import flow_runs as fr
from stacktools.ansible_run import REPO, run_playbook
from stacktools.stack import PatientPrefectAPI, aws_client

SITE = REPO / "playbooks" / "site.yml"
_SPEC = importlib.util.spec_from_file_location("prefect_ops_fixture_script", REPO / "scripts" / "fixture.py")
FIXTURE = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(FIXTURE)
TEARDOWN = REPO / "playbooks" / "teardown.yml"
SUMMARY = "Summarise what exists and what this run changed"
MARKER = "pfx-SECRET-MARKER-7d1c0b"


def listify(value):
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def secure_site():
    name = fr.unique_site("it-sec")
    extra = {"prefect_ecs_name": name, "ecs_verify_worker_timeout": 0, "prefect_api_secret_value": MARKER}
    started = time.monotonic()
    result = run_playbook(SITE, extra_vars=extra, args=["-vvv"])
    print(f"\nsecure site converged at -vvv in {time.monotonic() - started:.0f}s")
    assert result.rc == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = result.task(SUMMARY)["ansible_facts"]["prefect_ecs_summary"]
    site = fr.Site(name, summary, PatientPrefectAPI().ok("GET", f"/work_pools/{name}"), extra)
    try:
        yield result, site
    finally:
        run_playbook(TEARDOWN, extra_vars=extra)


def test_the_stored_credential_reaches_containers_only_as_a_secret(secure_site):
    result, site = secure_site
    ecs = aws_client("ecs", direct=True)
    assert MARKER not in result.stdout and MARKER not in result.stderr
    assert MARKER not in json.dumps(site.summary)
    api = PatientPrefectAPI()
    pools = api.ok("POST", "/work_pools/filter", {})
    assert pools and all(MARKER not in json.dumps(p.get("base_job_template")) for p in pools)
    arns = [a for fam in (f"{site.name}-worker", f"{site.name}-flow-run", site.name)
            for a in ecs.list_task_definitions(familyPrefix=fam, status="ACTIVE")["taskDefinitionArns"]]
    assert arns
    secret_arn = site.summary["credential_secret"]
    via_secrets = 0
    for arn in set(arns):
        td = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        for c in td["containerDefinitions"]:
            env = json.dumps(c.get("environment", []))
            assert MARKER not in env and "PREFECT_API_AUTH_STRING" not in env and "PREFECT_API_KEY" not in env, arn
            via_secrets += any(s["valueFrom"] == secret_arn for s in c.get("secrets", []))
    assert via_secrets >= 2  # the worker's and the flow runs' definitions
    # the stored value is the marker: what containers get through `secrets`
    value = aws_client("secretsmanager", direct=True).get_secret_value(SecretId=secret_arn)["SecretString"]
    assert value == MARKER
    print(f"marker absent from -vvv output ({len(result.stdout)} chars), summary, {len(pools)} pool templates, "
          f"{len(set(arns))} task definitions; {via_secrets} containers get it via secrets")


def test_the_workers_run_task_overrides_carry_no_credential(secure_site):
    _result, site = secure_site
    h = fr.Harness(site)
    h.worker.start()
    try:
        h.worker.wait_online()
        deployment = h.deployment("sec-pinned")
        since = h.proxy.mark()
        runs = h.create_runs(deployment, 1)
        calls = h.wait(lambda: h.run_task_calls(since), 180, "the RunTask of one flow run")
        h.finish(runs)
    finally:
        h.worker.stop()
        h.delete_flow()
    [call] = calls
    overrides = call["params"].get("overrides", {})
    envs = [e for c in overrides.get("containerOverrides", []) for e in c.get("environment", [])]
    credential = os.environ["PREFECT_API_AUTH_STRING"]
    print(f"RunTask containerOverrides.environment names: {sorted(e['name'] for e in envs)}")
    assert envs, "the worker sent no environment override (nothing checked)"
    assert credential not in json.dumps(call["params"]) and MARKER not in json.dumps(call["params"])
    assert not {"PREFECT_API_KEY", "PREFECT_API_AUTH_STRING"} & {e["name"] for e in envs}


def test_what_was_created_is_least_privilege(secure_site):
    _result, site = secure_site
    iam, sqs = aws_client("iam", direct=True), aws_client("sqs", direct=True)
    account = aws_client("sts", direct=True).get_caller_identity()["Account"]
    queue_arn = site.summary["events_queue"]
    roles = {k: site.summary[k].rsplit("/", 1)[-1] for k in ("execution_role", "worker_task_role")}
    statements = {}
    for key, role in roles.items():
        trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        for s in trust["Statement"]:
            assert s["Condition"]["StringEquals"]["aws:SourceAccount"] == account, (role, s)
        statements[key] = [s for p in iam.list_role_policies(RoleName=role)["PolicyNames"]
                           for s in iam.get_role_policy(RoleName=role, PolicyName=p)["PolicyDocument"]["Statement"]]
    everything = [s for ss in statements.values() for s in ss]
    for s in everything:
        actions, resources = listify(s["Action"]), listify(s["Resource"])
        if "iam:PassRole" in actions:
            assert "*" not in resources and not any(r.endswith("/*") for r in resources), s
        if any(a.startswith("sqs:") for a in actions):
            assert resources == [queue_arn], s
        assert not any(a.endswith(":*") or a == "*" for a in actions), s
    # the secret: read through the execution role's policy, and no other role of the site reads it
    secret_arn = site.summary["credential_secret"]
    readers = [k for k, ss in statements.items() for s in ss
               if "secretsmanager:GetSecretValue" in listify(s["Action"])]
    assert readers == ["execution_role"]
    [read] = [s for s in statements["execution_role"] if "secretsmanager:GetSecretValue" in listify(s["Action"])]
    assert listify(read["Resource"]) == [secret_arn]
    resource_policy = aws_client("secretsmanager", direct=True).get_resource_policy(SecretId=secret_arn).get(
        "ResourcePolicy")
    print(f"secret resource policy set: {bool(resource_policy)}")
    # the queue policy lets EventBridge send only for the site's rule
    url = sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[-1])["QueueUrl"]
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    rule_arn = aws_client("events", direct=True).describe_rule(Name=f"{site.name}-task-state-changes")["Arn"]
    for s in policy["Statement"]:
        assert s["Condition"]["ArnEquals"]["aws:SourceArn"] == rule_arn, s


@pytest.mark.slow
def test_a_site_in_the_gov_partition_writes_no_commercial_arn(aws_proxy):
    name = fr.unique_site("it-gov")
    region = "us-gov-west-1"
    # the fixture's network in this region (moto's ECS checks the service's subnets exist; ecs_verify checks their
    # route out, a NAT gateway): made once, kept like the us-east-1 one
    vpc, subnets, group = FIXTURE.ensure_network(aws_client("ec2", direct=True, region=region))
    extra = {"prefect_ecs_name": name, "prefect_ecs_region": region, "ecs_verify_worker_timeout": 0,
             "ecs_network_mode": "adopt", "ecs_network_vpc_id": vpc, "ecs_network_subnet_ids": subnets,
             "ecs_network_security_group_ids": [group],
             "prefect_deployments_ecr_repositories": [], "prefect_deployments_list": []}
    env = {"AWS_REGION": region, "AWS_DEFAULT_REGION": region}
    mark = aws_proxy.mark()
    started = time.monotonic()
    result = run_playbook(SITE, extra_vars=extra, env=env)
    wall = time.monotonic() - started
    try:
        assert result.rc == 0, result.stdout[-4000:] + result.stderr[-2000:]
        written = aws_proxy.mutating(mark)
        summary = result.task(SUMMARY)["ansible_facts"]["prefect_ecs_summary"]
        pool = PatientPrefectAPI().ok("GET", f"/work_pools/{name}")
        commercial = [(c["service"], c["action"]) for c in written if "arn:aws:" in json.dumps(c["params"])]
        print(f"\ngov site: {len(written)} mutating calls in {sorted({c['region'] for c in written})}, {wall:.0f}s; "
              f"commercial ARNs in: {commercial}")
        assert written and {c["region"] for c in written} <= {region, "us-east-1"}  # IAM is global (signed in us-east-1)
        assert commercial == []
        assert "arn:aws-us-gov:" in json.dumps(summary) and "arn:aws:" not in json.dumps(summary)
        assert "arn:aws:" not in json.dumps(pool["base_job_template"])
        assert "arn:aws-us-gov:" in json.dumps(pool["base_job_template"])
    finally:
        down = run_playbook(TEARDOWN, extra_vars=extra, env=env)
        assert down.rc == 0, down.stdout[-3000:]
