"""Unit tests of the push lane's logic, without AWS or Prefect:

- iam_user_key's key plan: keep the held key while it is active, make one otherwise or on rotation (deleting an
  unheld key first when IAM's two-key limit is reached), retire every other key only when asked;
- prefect_block's comparison (secrets compared, masked in the diff), ownership by data and input checks;
- the submission policy: what a push submission needs is allowed, on this site's cluster, pinned family and roles
  only; other clusters, roles and provisioning actions are not;
- ecs_pool_job_variables gives the ECS pool's defaults (the push pool's come from the same definition).
"""
from __future__ import annotations

import pytest

from ansible_collections.prefect_ops.ecs.plugins.filter.ecs_pool_job_variables import ecs_pool_job_variables
from ansible_collections.prefect_ops.ecs.plugins.module_utils import iam_user_key as uk
from ansible_collections.prefect_ops.ecs.plugins.module_utils import prefect_block as pb
from ansible_collections.prefect_ops.ecs.plugins.module_utils.iam_policy import not_allowed
from ansible_collections.prefect_ops.ecs.plugins.module_utils.submission_policy import PolicyInputError
from ansible_collections.prefect_ops.ecs.plugins.module_utils.submission_policy import ecs_submission_policy


def key(key_id, status="Active", created="2026-01-01"):
    return {"id": key_id, "status": status, "created": created}


@pytest.mark.parametrize("keys,held,rotate,retire,expected", [
    ([key("A")], "A", False, False, (False, [], [])),                       # no-op: the block holds an active key
    ([], "", False, False, (True, [], [])),                                 # first run: a key is made
    ([key("A", "Inactive")], "A", False, False, (True, [], [])),            # the held key was deactivated
    ([key("A")], "B", False, False, (True, [], [])),                        # the block holds a key of someone else
    ([key("A")], "A", True, False, (True, [], [])),                         # rotation keeps A until retired
    ([key("A", created="1"), key("B", created="2")], "A", True, False, (True, ["B"], [])),  # room: the unheld key goes
    ([key("A", created="1"), key("B", created="2")], "", False, False, (True, ["A"], [])),  # none held: oldest goes
    ([key("A"), key("B", created="2")], "B", False, True, (False, [], ["A"])),              # retire after rotation
    ([key("A")], uk.PREDICTED_KEY, False, True, (False, [], ["A"])),        # check mode: retire what would be old
])
def test_key_plan(keys, held, rotate, retire, expected):
    assert uk.plan_keys(keys, held, rotate, retire) == expected


def test_rotate_and_retire_in_one_task_is_refused_with_the_fix():
    params = {key: spec.get("default") for key, spec in uk.argument_spec().items()}
    params.update(name="u", site="s", rotate=True, retire_other_keys=True)
    (problem,) = uk.static_problems(params)
    assert problem.startswith("rotate and retire_other_keys:")
    (problem,) = uk.static_problems(dict(params, rotate=False, name="a b"))
    assert problem.startswith("name:") and "IAM user name" in problem


SECRETS = {"aws_secret_access_key"}


def test_block_plan_compares_secrets_and_masks_them():
    current = {"aws_access_key_id": "AKIA1", "aws_secret_access_key": "old", "region_name": "eu-west-1"}
    assert pb.plan(current, {"aws_access_key_id": "AKIA1", "aws_secret_access_key": "old"}, SECRETS) == ([], {}, {})
    changes, before, after = pb.plan(current, {"aws_secret_access_key": "new"}, SECRETS)
    assert changes == ["aws_secret_access_key"] and before == after == {"aws_secret_access_key": pb.MASK}
    changes, before, after = pb.plan(None, {"aws_secret_access_key": "new", "region_name": "x"}, SECRETS)
    assert changes == ["state"] and after["data"] == {"aws_secret_access_key": pb.MASK, "region_name": "x"}


def test_block_ownership_is_told_by_its_data():
    data = {"aws_access_key_id": "AKIA1"}
    assert pb.foreign_values(data, {"aws_access_key_id": ["AKIA1", "AKIA2"]}) == {}
    assert pb.foreign_values(data, {"aws_access_key_id": ["AKIA2"]}) == {"aws_access_key_id": "AKIA1"}
    assert pb.foreign_values({}, {"aws_access_key_id": []}) == {"aws_access_key_id": None}


def test_block_input_problems_name_the_option():
    heads = [p.split(":")[0] for p in pb.problems({"name": "Bad Name", "block_type_slug": "AWS", "state": "absent"})]
    assert heads == ["name", "block_type_slug", "owner_values"]
    schema = {"fields": {"properties": {"aws_access_key_id": {}}, "secret_fields": []}}
    assert pb.data_problems({"aws_key": 1}, schema, "aws-credentials") == [
        "data: aws_key is not a field of block type 'aws-credentials'; its fields are aws_access_key_id"]


CLUSTER = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod"
PINNED = "arn:aws:ecs:eu-west-1:123456789012:task-definition/prod-flow-run:7"
ROLES = ["arn:aws:iam::123456789012:role/prod-execution", "arn:aws:iam::123456789012:role/prod-flow-run"]


def test_the_submission_policy_allows_a_pinned_submission_and_nothing_wider():
    policy = ecs_submission_policy(CLUSTER, ROLES, PINNED)
    task = "arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef"
    needed = [{"action": "ecs:DescribeTaskDefinition", "resource": "*"},
              {"action": "ecs:RunTask", "resource": "arn:aws:ecs:eu-west-1:123456789012:task-definition/prod-flow-run:7"},
              {"action": "ecs:TagResource", "resource": task},
              {"action": "ecs:DescribeTasks", "resource": task}, {"action": "ecs:StopTask", "resource": task},
              {"action": "ec2:DescribeSubnets", "resource": "*"}, {"action": "ec2:DescribeVpcs", "resource": "*"}]
    needed += [{"action": "iam:PassRole", "resource": r} for r in ROLES]
    assert not_allowed([policy], needed) == []
    wider = [{"action": "ecs:RunTask", "resource": "arn:aws:ecs:eu-west-1:123456789012:task-definition/other:1"},
             {"action": "ecs:StopTask", "resource": "arn:aws:ecs:eu-west-1:123456789012:task/other-cluster/1"},
             {"action": "iam:PassRole", "resource": "arn:aws:iam::123456789012:role/admin"},
             {"action": "ecs:RegisterTaskDefinition", "resource": "*"},
             {"action": "ecs:CreateCluster", "resource": "*"}, {"action": "ec2:CreateSecurityGroup", "resource": "*"},
             {"action": "ec2:AuthorizeSecurityGroupIngress", "resource": "*"}]
    assert len(not_allowed([policy], wider)) == len(wider)


def test_without_a_pinned_definition_the_submission_may_register_one():
    policy = ecs_submission_policy(CLUSTER, ROLES, "")
    assert not_allowed([policy], [{"action": "ecs:RegisterTaskDefinition", "resource": "*"},
                                  {"action": "ecs:RunTask",
                                   "resource": "arn:aws:ecs:eu-west-1:123456789012:task-definition/prefect_abc:1"}]) == []
    with pytest.raises(PolicyInputError, match="cluster must be an ECS cluster ARN"):
        ecs_submission_policy("prod", ROLES)
    with pytest.raises(PolicyInputError, match="task definition ARN with its revision"):
        ecs_submission_policy(CLUSTER, ROLES, "prod-flow-run")


def test_pool_job_variables_are_the_site_roles_values_and_leave_unset_keys_out():
    derived = ecs_pool_job_variables({
        "cluster": CLUSTER, "vpc_id": "vpc-1", "subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"],
        "assign_public_ip": False, "execution_role_arn": ROLES[0], "task_role_arn": "", "task_definition_arn": PINNED,
        "log_group": "/prefect/prod/flow-runs", "region": "eu-west-1", "secret_arn": "arn:secret", "secret_kind": "api_key"})
    assert derived == {
        "cluster": CLUSTER, "vpc_id": "vpc-1", "execution_role_arn": ROLES[0], "task_definition_arn": PINNED,
        "network_configuration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"},
        "configure_cloudwatch_logs": True,
        "cloudwatch_logs_options": {"awslogs-group": "/prefect/prod/flow-runs", "awslogs-region": "eu-west-1",
                                    "awslogs-create-group": "false"},
        "prefect_api_key_secret_arn": "arn:secret", "prefect_api_auth_string_secret_arn": None}
    assert ecs_pool_job_variables({"secret_kind": "none"}) == {"prefect_api_key_secret_arn": None,
                                                               "prefect_api_auth_string_secret_arn": None}
    assert ecs_pool_job_variables({}) == {}
