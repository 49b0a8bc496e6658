"""The push lane (issue 19) on the local stack: site.yml with ecs_push_lane_enabled converges an ecs:push pool with
the ECS pool's defaults and a reference to an aws-credentials block, an IAM user with the least-privilege submission
policy and one active key that the block holds; a re-run changes nothing; check mode on a new site predicts the lane
with zero mutating AWS calls and creates nothing in Prefect; rotation puts a new key into the block and leaves one
active key; teardown removes pool, block and user and leaves a hand-made block alone; the secret key never appears
in the output at -vvv.

The local server accepts the ecs:push type and the block through the API Prefect Cloud has; the push submission
itself (Cloud calling RunTask) happens only in Prefect Cloud. What it would call is emulated: prefect-aws's ECS worker
(the code Cloud submits push runs with) serves a copy of the push pool, so it calls ECS with the block's key, and every
call it made with that key is checked against the push user's policy.
"""
from __future__ import annotations

import json
import time

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils.iam_policy import not_allowed
from stacktools import flow_runs as fr
from stacktools.ansible_run import REPO, run_module, run_playbook
from stacktools.stack import ProxyControl, stack_env
from stacktools.worker import Worker

SITE = str(REPO / "playbooks" / "site.yml")
TEARDOWN = str(REPO / "playbooks" / "teardown.yml")
SLUG = "aws-credentials"


def block(prefect, name: str) -> dict | None:
    status, body = prefect.request("GET", f"/block_types/slug/{SLUG}/block_documents/name/{name}?include_secrets=true")
    return body if status == 200 else None


def handmade_block(prefect, name: str, key_id: str) -> str:
    block_type = prefect.ok("GET", f"/block_types/slug/{SLUG}")
    schemas = prefect.ok("POST", "/block_schemas/filter", {"block_schemas": {"block_type_id": {"any_": [block_type["id"]]}}})
    return prefect.ok("POST", "/block_documents/", {
        "name": name, "block_type_id": block_type["id"], "block_schema_id": schemas[0]["id"],
        "data": {"aws_access_key_id": key_id, "aws_secret_access_key": "handmade-secret"}})["id"]


def keys(iam, user: str) -> list[dict]:
    return iam.list_access_keys(UserName=user)["AccessKeyMetadata"]


@pytest.mark.slow(6)
def test_site_with_the_push_lane_converges_rotates_and_is_torn_down(aws, aws_proxy, prefect, unique):
    name = f"it-push-{unique}"
    extra = {"prefect_ecs_name": name, "ecs_verify_worker_timeout": 0, "ecs_push_lane_enabled": True}
    user, block_name, pool = f"{name}-prefect-push", f"{name}-push-aws-credentials", f"{name}-push"
    iam = aws("iam", direct=True)
    handmade = f"handmade-{unique}"
    handmade_block(prefect, handmade, "AKIAHANDMADE0000001")
    try:
        # check mode on a new site: the lane is predicted, nothing is made
        mark = aws_proxy.mark()
        check = run_playbook(SITE, check=True, diff=True, extra_vars=extra)
        assert check.rc == 0, check.stdout[-3000:]
        assert check.task("Converge the push pool and its defaults")["changed"] is True
        assert aws_proxy.mutating(mark) == []
        assert prefect.read_pool(pool) is None and block(prefect, block_name) is None

        first = run_playbook(SITE, extra_vars=extra)
        assert first.rc == 0, first.stdout[-3000:]
        site_pool = prefect.ok("GET", f"/work_pools/{name}")
        push_pool = prefect.ok("GET", f"/work_pools/{pool}")
        assert push_pool["type"] == "ecs:push"
        push_defaults = {k: v.get("default") for k, v in push_pool["base_job_template"]["variables"]["properties"].items()}
        ecs_defaults = {k: v.get("default") for k, v in site_pool["base_job_template"]["variables"]["properties"].items()}
        # the same earlier roles' values as the ECS pool, key by key, plus the block
        for key in ("cluster", "vpc_id", "network_configuration", "execution_role_arn", "task_definition_arn",
                    "cloudwatch_logs_options", "prefect_api_auth_string_secret_arn"):
            assert push_defaults[key] == ecs_defaults[key] and push_defaults[key], key
        written = block(prefect, block_name)
        assert push_defaults["aws_credentials"] == {"$ref": {"block_document_id": written["id"]}}
        (key,) = keys(iam, user)
        assert key["Status"] == "Active" and written["data"]["aws_access_key_id"] == key["AccessKeyId"]
        tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=user)["Tags"]}
        assert tags["prefect-ops:site"] == name
        (policy_name,) = iam.list_user_policies(UserName=user)["PolicyNames"]
        policy = iam.get_user_policy(UserName=user, PolicyName=policy_name)["PolicyDocument"]
        passed = [s for s in policy["Statement"] if "iam:PassRole" in s["Action"]]
        assert passed and all(r != "*" for s in passed for r in s["Resource"])
        assert all(s["Resource"] == "*" for s in policy["Statement"]
                   if set(s["Action"]) - {"ecs:DescribeTaskDefinition", "ec2:DescribeSubnets", "ec2:DescribeVpcs"} == set()
                   ), "only reads without resource-level permissions may be on *"

        mark = aws_proxy.mark()
        again = run_playbook(SITE, extra_vars=extra)
        assert again.rc == 0 and again.changed() == 0, again.stdout[-3000:]
        assert aws_proxy.mutating(mark) == []

        # what Prefect Cloud would call with the block's key is allowed by the identity's policy
        summary = first.task(fr.SUMMARY_TASK)["ansible_facts"]["prefect_ecs_summary"]
        assert_a_submission_with_the_blocks_key_is_allowed(aws, prefect, fr.Site(name, summary, site_pool))

        # rotation, at -vvv: a new key in the block, the old one gone, the secret never printed
        rotated = run_playbook(SITE, extra_vars=dict(extra, ecs_push_lane_rotate_key=True), args=["-vvv"],
                               json_output=False)
        assert rotated.rc == 0, rotated.stdout[-3000:]
        (new_key,) = keys(iam, user)
        assert new_key["AccessKeyId"] != key["AccessKeyId"] and new_key["Status"] == "Active"
        held = block(prefect, block_name)["data"]
        assert held["aws_access_key_id"] == new_key["AccessKeyId"]
        secret = held["aws_secret_access_key"]
        assert len(secret) >= 20 and secret not in rotated.stdout + rotated.stderr
        assert written["data"]["aws_secret_access_key"] != secret

        gone = run_playbook(TEARDOWN, extra_vars=extra)
        assert gone.rc == 0, gone.stdout[-3000:]
        assert prefect.read_pool(pool) is None and block(prefect, block_name) is None
        assert user not in [u["UserName"] for u in iam.list_users()["Users"]]
        assert block(prefect, handmade) is not None  # a hand-made block is left alone
    finally:
        run_playbook(TEARDOWN, extra_vars=extra)
        if (found := block(prefect, handmade)) is not None:
            prefect.request("DELETE", f"/block_documents/{found['id']}")


@pytest.mark.slow(2)
def test_a_push_only_site_has_no_worker_service_and_no_pipeline_and_verify_says_so(aws, prefect, unique):
    name = f"it-pushonly-{unique}"
    extra = {"prefect_ecs_name": name, "ecs_verify_worker_timeout": 0, "ecs_push_lane_enabled": True,
             "ecs_worker_service_state": "absent", "ecs_events_state": "absent"}
    try:
        first = run_playbook(SITE, extra_vars=extra)
        assert first.rc == 0, first.stdout[-3000:]
        assert prefect.ok("GET", f"/work_pools/{name}-push")["type"] == "ecs:push"
        assert aws("ecs", direct=True).list_services(cluster=name)["serviceArns"] == []
        assert aws("sqs", direct=True).list_queues(QueueNamePrefix=f"{name}-").get("QueueUrls", []) == []
        lines = first.task("Build the report")["lines"]
        off = [line for line in lines if line.startswith("not checked") and "runs no ECS worker" in line]
        assert len(off) == 4, lines
        assert any(line.startswith("pass | roles carry the needed actions | execution role") for line in lines), lines
    finally:
        run_playbook(TEARDOWN, extra_vars=extra)


def test_a_block_that_holds_another_key_is_neither_overwritten_nor_removed(prefect, unique):
    name = f"foreign-{unique}"
    block_id = handmade_block(prefect, name, "AKIAFOREIGN00000001")
    try:
        args = {"name": name, "block_type_slug": SLUG, "owner_values": {"aws_access_key_id": ["AKIAOURS000000000001"]}}
        written = run_module("prefect_ops.ecs.prefect_block_document",
                             dict(args, data={"aws_access_key_id": "AKIAOURS000000000001", "aws_secret_access_key": "x"}))
        assert written["failed"] and "not made by prefect_ops.ecs" in written["msg"] and name in written["msg"]
        kept = run_module("prefect_ops.ecs.prefect_block_document", dict(args, state="absent"))
        assert kept["changed"] is False and "left in place" in kept["kept"]
        assert block(prefect, name)["data"]["aws_secret_access_key"] == "handmade-secret"
    finally:
        prefect.request("DELETE", f"/block_documents/{block_id}")


def test_block_module_converges_compares_secrets_and_never_returns_them(prefect, unique):
    name = f"mod-{unique}"
    args = {"name": name, "block_type_slug": SLUG, "owner_values": {"aws_access_key_id": ["AKIAMODULE000000001"]},
            "data": {"aws_access_key_id": "AKIAMODULE000000001", "aws_secret_access_key": "s3cr3t-one-value",
                     "region_name": "eu-west-1"}}
    try:
        check = run_module("prefect_ops.ecs.prefect_block_document", args, check=True, diff=True)
        assert check["changed"] is True and block(prefect, name) is None
        created = run_module("prefect_ops.ecs.prefect_block_document", args, diff=True, verbosity=3)
        assert created["changed"] is True and "s3cr3t-one-value" not in str(created)
        assert block(prefect, name)["data"]["aws_secret_access_key"] == "s3cr3t-one-value"
        same = run_module("prefect_ops.ecs.prefect_block_document", args)
        assert same["changed"] is False
        # a changed secret is found (compared with the stored value) and named, never shown
        changed = run_module("prefect_ops.ecs.prefect_block_document",
                             dict(args, data=dict(args["data"], aws_secret_access_key="s3cr3t-two-value")), diff=True)
        assert changed["changed"] is True and changed["changes"] == ["aws_secret_access_key"]
        assert "s3cr3t" not in str(changed)
        assert block(prefect, name)["data"]["aws_secret_access_key"] == "s3cr3t-two-value"
        # fields not given are left as they are
        assert block(prefect, name)["data"]["region_name"] == "eu-west-1"
        unknown = run_module("prefect_ops.ecs.prefect_block_document", dict(args, data={"aws_key": "x"}))
        assert unknown["failed"] and "aws_key is not a field of block type 'aws-credentials'" in unknown["msg"]
        info = run_module("prefect_ops.ecs.prefect_block_document_info", {"name": name, "block_type_slug": SLUG})
        assert info["exists"] and info["block_document"]["data"]["aws_secret_access_key"] == "********"
    finally:
        run_module("prefect_ops.ecs.prefect_block_document", dict(args, state="absent", data=None))
    assert block(prefect, name) is None


def test_the_stock_access_key_module_does_not_converge_on_one_key(aws, unique):
    """The gap iam_user_key closes: amazon.aws.iam_access_key without a key ID makes a new key on every run."""
    user = f"gap-{unique}"
    iam = aws("iam", direct=True)
    iam.create_user(UserName=user)
    try:
        for attempt in range(2):
            result = run_module("amazon.aws.iam_access_key", {"user_name": user, "state": "present"})
            assert result["changed"] is True, attempt
        assert len(keys(iam, user)) == 2
        ours = run_module("prefect_ops.ecs.iam_user_key", {"name": f"ours-{unique}", "site": unique})
        again = run_module("prefect_ops.ecs.iam_user_key", {"name": f"ours-{unique}", "site": unique,
                                                            "held_key_id": ours["access_key_id"]})
        assert ours["new_key"] is True and again["changed"] is False and again["key_ids"] == [ours["access_key_id"]]
    finally:
        for key in keys(iam, user):
            iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
        iam.delete_user(UserName=user)
        run_module("prefect_ops.ecs.iam_user_key", {"name": f"ours-{unique}", "site": unique, "state": "absent"})


def assert_a_submission_with_the_blocks_key_is_allowed(aws, prefect, site: fr.Site):
    """prefect-aws's ECS worker serving an `ecs` pool with the push pool's template and defaults takes its ECS and EC2
    clients from the aws_credentials block: its recorded calls signed with the push user's key are what a push
    submission calls. Each is allowed by the user's policy (for the resource it touched), and the check can fail:
    without the PassRole statement the policy is reported short."""
    name = site.name
    api, proxy = prefect, ProxyControl(stack_env()["AWS_ENDPOINT_URL"])
    user = f"{name}-prefect-push"
    iam = aws("iam", direct=True)
    push_key = block(prefect, f"{name}-push-aws-credentials")["data"]["aws_access_key_id"]
    template = prefect.ok("GET", f"/work_pools/{name}-push")["base_job_template"]
    emulated = f"{name}-emulated-push"
    prefect.ok("POST", "/work_pools/", {"name": emulated, "type": "ecs", "base_job_template": template})
    worker = Worker(emulated)
    flow_id = None
    try:
        mark = proxy.mark()
        worker.start()
        worker.wait_online()
        flow_id = api.ok("POST", "/flows/", {"name": f"{name}-flow"})["id"]
        deployment = api.ok("POST", "/deployments/", {"name": "push", "flow_id": flow_id, "work_pool_name": emulated,
                                                      "entrypoint": "flows/hello.py:hello"})["id"]
        runs = [api.ok("POST", f"/deployments/{deployment}/create_flow_run", {})["id"] for _run in range(2)]

        def signed_by_push_key():
            return [c for c in proxy.aws_calls(mark) if c.get("access_key") == push_key and not c["fault"]]
        deadline = time.monotonic() + 240
        while sum(c["action"] == "RunTask" for c in signed_by_push_key()) < len(runs) and time.monotonic() < deadline:
            time.sleep(2)
        calls = signed_by_push_key()
        actions = sorted({f"{c['service']}:{c['action']}" for c in calls})
        assert sum(c["action"] == "RunTask" for c in calls) == len(runs), (actions, worker.log()[-3000:])
        assert "ecs:DescribeTaskDefinition" in actions and "ec2:DescribeSubnets" in actions, actions
        needed = [{"action": r["action"], "resource": r["resource"]} for r in fr.requirements(site, calls)]
        assert any(r["action"] == "iam:PassRole" for r in needed)
        (policy_name,) = iam.list_user_policies(UserName=user)["PolicyNames"]
        policy = iam.get_user_policy(UserName=user, PolicyName=policy_name)["PolicyDocument"]
        policy = json.loads(policy) if isinstance(policy, str) else policy
        assert not_allowed([policy], needed) == []
        trimmed = dict(policy, Statement=[st for st in policy["Statement"] if "iam:PassRole" not in st["Action"]])
        assert {m["action"] for m in not_allowed([trimmed], needed)} == {"iam:PassRole"}
        for run in runs:  # they stay Pending on moto (nothing starts)
            api.request("POST", f"/flow_runs/{run}/set_state", {"state": {"type": "COMPLETED"}, "force": True})
    finally:
        worker.stop()
        if flow_id:
            api.request("DELETE", f"/flows/{flow_id}")
        api.request("DELETE", f"/work_pools/{emulated}")
        # the tasks it started: ECS deletes only an empty cluster (Prefect Cloud's would have run and stopped)
        ecs = aws("ecs", direct=True)
        for task in ecs.list_tasks(cluster=name)["taskArns"]:
            ecs.stop_task(cluster=name, task=task, reason="end of the test")
