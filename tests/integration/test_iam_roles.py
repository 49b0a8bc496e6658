"""Module prefect_ops.ecs.iam_roles against moto (through the recording proxy).

Why the module exists: the ecs_iam role needs three roles with trust, managed and inline policies and tags. With the
stock modules that is one amazon.aws.iam_role run per role and one amazon.aws.iam_policy run per inline policy (and,
to compare before writing and check ownership, iam_role_info and iam_policy_info runs before them), and in check mode
iam_policy fails on a role iam_role would create. The gap and the saving are asserted first, then the module's
lifecycle: check mode predicts with zero mutating calls, a re-run changes nothing, drift is put back (only what
differs), a role this site did not create is refused before anything is written and kept by state=absent.
"""
from __future__ import annotations

import json

import pytest

from stacktools.ansible_run import run_module, run_playbook

MODULE = "prefect_ops.ecs.iam_roles"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def doc(action, resource):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [action], "Resource": resource}]}


def wanted(unique):
    """Three roles, four inline policies, one managed policy: the shape of the ecs_iam role's roles."""
    return [
        {"name": f"{unique}-execution", "description": "execution", "assume_role_policy_document": TRUST,
         "managed_policies": [S3_READ], "inline_policies": {"read-secret": doc("secretsmanager:GetSecretValue", "*")}},
        {"name": f"{unique}-worker", "description": "worker", "assume_role_policy_document": TRUST,
         "managed_policies": [], "inline_policies": {"run": doc("ecs:RunTask", "*"), "logs": doc("logs:PutLogEvents", "*")}},
        {"name": f"{unique}-flow-run", "description": "flow run", "assume_role_policy_document": TRUST,
         "managed_policies": [], "inline_policies": {"write": doc("s3:PutObject", "arn:aws:s3:::results/*")}},
    ]


@pytest.fixture()
def account(aws):
    return aws("sts", direct=True).get_caller_identity()["Account"]


def mutating(proxy, mark):
    return sorted(c["action"] for c in proxy.mutating(mark))


def stock_play(roles, check):
    """The stock way, as the ecs_iam role did it: iam_role per role, then iam_policy per inline policy."""
    policies = [{"role": r["name"], "policy": p, "document": d} for r in roles for p, d in r["inline_policies"].items()]
    return [{"name": "stock", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "roles", "amazon.aws.iam_role": {
            "name": "{{ item.name }}", "assume_role_policy_document": "{{ item.assume_role_policy_document }}",
            "managed_policies": "{{ item.managed_policies }}", "description": "{{ item.description }}",
            "create_instance_profile": False, "purge_policies": True}, "loop": roles},
        {"name": "inline policies", "amazon.aws.iam_policy": {
            "iam_type": "role", "iam_name": "{{ item.role }}", "policy_name": "{{ item.policy }}",
            "policy_json": "{{ item.document }}", "state": "present"}, "loop": policies},
    ]}]


def module_runs(result):
    return sum(len(t.get("results") or [t]) for t in result.tasks())


def test_stock_modules_take_a_run_per_role_and_policy_and_cannot_predict_a_new_roles_policies(aws_proxy, unique):
    roles = wanted(f"{unique}-stock")
    mark = aws_proxy.mark()
    check = run_playbook(stock_play(roles, True), inventory="localhost,", check=True, args=["-c", "local"])
    assert mutating(aws_proxy, mark) == []
    # the gap: iam_policy fails in check mode on a role iam_role would create
    assert check.rc != 0 and check.task("inline policies")["failed"], check.stdout[-2000:]
    apply = run_playbook(stock_play(roles, False), inventory="localhost,", args=["-c", "local"])
    assert apply.rc == 0, apply.stdout[-3000:]
    # the cost: 3 roles + 4 inline policies = 7 module runs (iam_role_info/iam_policy_info to compare first: more)
    assert module_runs(apply) == 7

    ours = run_module(MODULE, {"site": unique, "roles": wanted(unique)}, check=True)
    assert not ours.get("failed") and ours["changed"]
    assert sum(a.startswith("put inline policy") for a in ours["actions"]) == 4  # predicted, in one run


def test_lifecycle_check_create_noop_drift_tags_remove(aws_proxy, aws, unique, account):
    iam = aws("iam", direct=True)
    roles = wanted(unique)
    args = {"site": unique, "roles": roles, "tags": {"team": "data"}}

    mark = aws_proxy.mark()
    check = run_module(MODULE, args, check=True, diff=True)
    assert check["changed"] and mutating(aws_proxy, mark) == []
    assert [r["arn"] for r in check["roles"]] == [f"arn:aws:iam::{account}:role/{r['name']}" for r in roles]
    assert check["diff"]["after"][f"role {unique}-worker"]["inline_policies"] == roles[1]["inline_policies"]

    created = run_module(MODULE, args)
    assert created["changed"] and not created.get("failed"), created.get("msg")
    assert created["roles_state"] == check["roles_state"]
    worker = iam.get_role(RoleName=f"{unique}-worker")["Role"]
    assert {t["Key"]: t["Value"] for t in worker["Tags"]} == {
        "prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": unique, "team": "data"}
    assert sorted(iam.list_role_policies(RoleName=f"{unique}-worker")["PolicyNames"]) == ["logs", "run"]
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=f"{unique}-execution")["AttachedPolicies"]] == [S3_READ]

    mark = aws_proxy.mark()
    again = run_module(MODULE, args)
    assert not again["changed"] and mutating(aws_proxy, mark) == []
    # one module run reads all three roles: no STS (the ARNs come from IAM)
    assert not [c for c in aws_proxy.aws_calls(mark) if c["service"] == "sts"]

    # drift behind the module's back: a policy widened, an extra inline policy, a managed policy detached, a tag
    iam.put_role_policy(RoleName=f"{unique}-worker", PolicyName="run", PolicyDocument=json.dumps(doc("ecs:*", "*")))
    iam.put_role_policy(RoleName=f"{unique}-flow-run", PolicyName="extra", PolicyDocument=json.dumps(doc("s3:*", "*")))
    iam.detach_role_policy(RoleName=f"{unique}-execution", PolicyArn=S3_READ)
    iam.untag_role(RoleName=f"{unique}-worker", TagKeys=["team"])
    mark = aws_proxy.mark()
    audit = run_module(MODULE, args, check=True, diff=True)
    assert audit["changed"] and mutating(aws_proxy, mark) == []
    assert audit["diff"]["before"][f"role {unique}-flow-run"]["inline_policies"] == {"extra": doc("s3:*", "*")}
    mark = aws_proxy.mark()
    fixed = run_module(MODULE, args)
    assert fixed["changed"] and sorted(fixed["actions"]) == sorted(audit["actions"])
    assert mutating(aws_proxy, mark) == ["AttachRolePolicy", "DeleteRolePolicy", "PutRolePolicy", "TagRole"]
    assert fixed["roles_state"] == created["roles_state"]

    # an unset option is never touched: no inline_policies / managed_policies given -> the extra ones stay
    mark = aws_proxy.mark()
    loose = run_module(MODULE, {"site": unique, "roles": [{"name": f"{unique}-worker"}]})
    assert not loose["changed"] and mutating(aws_proxy, mark) == []

    down = run_module(MODULE, {"site": unique, "roles": [{"name": r["name"]} for r in roles], "state": "absent"})
    assert down["changed"] and not down["kept"]
    left = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert not {r["name"] for r in roles} & left
    mark = aws_proxy.mark()
    assert not run_module(MODULE, {"site": unique, "roles": [{"name": r["name"]} for r in roles], "state": "absent"})["changed"]
    assert mutating(aws_proxy, mark) == []


def test_a_role_this_site_did_not_create_is_refused_before_any_write_and_kept(aws_proxy, aws, unique):
    iam = aws("iam", direct=True)
    theirs = f"{unique}-theirs"
    iam.create_role(RoleName=theirs, AssumeRolePolicyDocument=json.dumps(TRUST))
    roles = [{"name": f"{unique}-mine", "assume_role_policy_document": TRUST, "inline_policies": {}},
             {"name": theirs, "assume_role_policy_document": TRUST, "inline_policies": {"x": doc("s3:GetObject", "*")}}]
    mark = aws_proxy.mark()
    refused = run_module(MODULE, {"site": unique, "roles": roles})
    assert refused["failed"] and refused["not_owned"] == [theirs] and theirs in refused["msg"]
    assert mutating(aws_proxy, mark) == []  # the other role was not created either
    assert f"{unique}-mine" not in {r["RoleName"] for r in iam.list_roles()["Roles"]}

    kept = run_module(MODULE, {"site": unique, "roles": [{"name": theirs}], "state": "absent"})
    assert not kept["changed"] and kept["kept"] == [theirs]
    assert iam.get_role(RoleName=theirs)["Role"]["RoleName"] == theirs

    bad = run_module(MODULE, {"site": unique, "roles": [{"name": "x" * 65, "assume_role_policy_document": TRUST}],
                              "path": "prefect"})
    assert bad["failed"] and "roles[0].name" in bad["msg"] and "path:" in bad["msg"]
