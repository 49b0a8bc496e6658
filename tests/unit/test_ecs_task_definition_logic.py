"""Unit tests of ecs_task_definition's logic (plugins/module_utils/ecs_task_definition.py, ecs.py).

No AWS here: validation, the canonical form the comparison uses, the payload of a new revision,
pruning and the converge flow with a fake ECS client.
"""
from __future__ import annotations

import copy
from unittest import mock

import botocore.exceptions
import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs_task_definition as td
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import Changes
from stacktools.fake_module import FakeModule

EXEC_ROLE = "arn:aws:iam::123456789012:role/exec"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-auth-AbCdEf"
FAMILY_ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/fam"
OWNED = dict(ecs.OWNER_TAGS)


def container(**over):
    base = {
        "name": "worker",
        "image": "prefecthq/prefect:3-latest",
        "command": ["prefect", "worker", "start", "--pool", "p", "--type", "ecs"],
        "environment": [{"name": "PREFECT_API_URL", "value": "http://x/api"}, {"name": "Q", "value": "p-events"}],
        "secrets": [{"name": "PREFECT_API_AUTH_STRING", "valueFrom": SECRET}],
    }
    base.update(over)
    return base


def params(**over):
    base = {k: v.get("default") for k, v in td.argument_spec().items()}
    base.update(family="fam", cpu=512, memory=1024, execution_role_arn=EXEC_ROLE, container_definitions=[container()])
    base.update(over)
    return base


def as_aws_returns(payload, revision=1):
    """What DescribeTaskDefinition gives for a registered payload: defaults filled in, strings for
    cpu/memory, registration fields added (the shape real AWS answers with)."""
    out = copy.deepcopy({k: v for k, v in payload.items() if k != "tags"})
    for c in out["containerDefinitions"]:
        c.setdefault("cpu", 0)
        c.setdefault("essential", True)
        for key in ("portMappings", "mountPoints", "volumesFrom", "environmentFiles", "systemControls"):
            c.setdefault(key, [])
        c.setdefault("versionConsistency", "enabled")
        for mapping in c["portMappings"]:
            mapping.setdefault("protocol", "tcp")
            mapping.setdefault("hostPort", mapping["containerPort"])
        if "healthCheck" in c:
            c["healthCheck"] = dict({"interval": 30, "timeout": 5, "retries": 3}, **c["healthCheck"])
    for key in ("cpu", "memory"):
        if key in out:
            out[key] = str(out[key])
    out.update(taskDefinitionArn=f"{FAMILY_ARN}:{revision}", revision=revision, status="ACTIVE", volumes=[],
               placementConstraints=[], compatibilities=["EC2", "FARGATE"],
               requiresAttributes=[{"name": "com.amazonaws.ecs.capability.task-iam-role"}],
               registeredAt="2026-01-01T00:00:00+00:00", registeredBy="arn:aws:iam::123456789012:root")
    return out


def same(p, current):
    keys = td.compared_keys(p)
    return td.canonical(td.desired_definition(p), keys) == td.canonical(current, keys)


# --- sizes and Fargate pairs -------------------------------------------------------------------------


@pytest.mark.parametrize("value,kind,expected", [
    (512, "cpu", 512), ("512", "cpu", 512), ("0.5 vCPU", "cpu", 512), ("1 vcpu", "cpu", 1024),
    ("0.25 vCPU", "cpu", 256), ("2 GB", "memory", 2048), ("0.5 GB", "memory", 512), (1024.0, "memory", 1024),
    ("half", "cpu", None), ("1 GB", "cpu", None), ("0.1 vCPU", "cpu", None), (True, "cpu", None), (None, "memory", None),
])
def test_parse_size(value, kind, expected):
    assert td.parse_size(value, kind) == expected


def test_every_fargate_size_aws_lists_is_accepted():
    pairs = [(256, m) for m in (512, 1024, 2048)]
    pairs += [(512, m) for m in range(1024, 4097, 1024)] + [(1024, m) for m in range(2048, 8193, 1024)]
    pairs += [(2048, m) for m in range(4096, 16385, 1024)] + [(4096, m) for m in range(8192, 30721, 1024)]
    pairs += [(8192, m) for m in range(16384, 61441, 4096)] + [(16384, m) for m in range(32768, 122881, 8192)]
    assert len(pairs) == 3 + 4 + 7 + 13 + 23 + 12 + 12
    assert [p for p in pairs if td.fargate_problem(*p)] == []


@pytest.mark.parametrize("cpu,memory", [
    (256, 4096), (512, 512), (512, 5120), (1024, 1024), (2048, 17408), (4096, 31744), (8192, 18432),
    (8192, 65536), (16384, 36864), (16384, 131072),
])
def test_fargate_pairs_aws_rejects_fail_with_the_allowed_memory(cpu, memory):
    problem = td.fargate_problem(cpu, memory)
    assert problem.startswith("memory:") and f"with cpu {cpu} set memory to" in problem


def test_fargate_cpu_that_does_not_exist_names_the_choices():
    problem = td.fargate_problem(3072, 8192)
    assert problem.startswith("cpu:") and "256, 512, 1024, 2048, 4096, 8192, 16384" in problem


def test_small_choice_lists_are_spelled_out_and_ranges_are_summarised():
    assert "512, 1024, 2048" in td.fargate_problem(256, 4096)
    assert "16384 to 61440 in steps of 4096" in td.fargate_problem(8192, 8192)


# --- validation ---------------------------------------------------------------------------------------


def test_valid_worker_definition_has_no_problems():
    assert td.static_problems(params()) == []
    assert td.static_problems(params(cpu="0.5 vCPU", memory="1 GB")) == []


@pytest.mark.parametrize("name", ["PREFECT_API_KEY", "PREFECT_API_AUTH_STRING", "prefect_api_key"])
def test_credential_in_plain_environment_fails_and_says_use_secrets(name):
    c = container(environment=[{"name": name, "value": "pnu_xyz"}], secrets=[])
    problems = td.static_problems(params(container_definitions=[c]))
    assert len(problems) == 1
    assert problems[0].startswith("container_definitions[0].environment:")
    assert "secrets" in problems[0] and "valueFrom" in problems[0]


def test_fargate_size_problem_is_reported_before_any_call():
    problems = td.static_problems(params(cpu=256, memory=4096))
    assert problems == [td.fargate_problem(256, 4096)]


def test_fargate_needs_cpu_memory_and_awsvpc():
    problems = td.static_problems(params(cpu=None, memory=None, network_mode="bridge"))
    assert any(p.startswith("network_mode:") and "awsvpc" in p for p in problems)
    assert any(p.startswith("cpu and memory:") for p in problems)
    # EC2-only definitions need neither
    assert td.static_problems(params(cpu=None, memory=None, network_mode="bridge", requires_compatibilities=["EC2"])) == []


def test_secrets_and_awslogs_need_the_execution_role():
    problems = td.static_problems(params(execution_role_arn=None))
    assert problems and problems[0].startswith("execution_role_arn:") and "secrets" in problems[0]
    logs = container(secrets=[], logConfiguration={"logDriver": "awslogs", "options": {"awslogs-group": "g"}})
    problems = td.static_problems(params(execution_role_arn=None, container_definitions=[logs]))
    assert problems and "awslogs" in problems[0]


def test_container_shape_problems_name_the_field():
    bad = [container(), {"name": "worker", "image": ""}, {"image": "x", "memory": "lots"}]
    problems = td.static_problems(params(container_definitions=bad))
    assert any(p.startswith("container_definitions[1].name:") and "unique" in p for p in problems)
    assert any(p.startswith("container_definitions[1].image:") for p in problems)
    assert any(p.startswith("container_definitions[2].name:") for p in problems)
    assert any(p.startswith("container_definitions[2].memory:") for p in problems)


def test_boolean_environment_value_must_be_quoted():
    c = container(environment=[{"name": "DEBUG", "value": True}])
    problems = td.static_problems(params(container_definitions=[c]))
    assert problems and "quote it" in problems[0]


def test_other_input_problems():
    assert any(p.startswith("keep_revisions:") for p in td.static_problems(params(keep_revisions=0)))
    assert any(p.startswith("family:") for p in td.static_problems(params(family="bad name")))
    assert any(p.startswith("tags:") for p in td.static_problems(params(tags={ecs.OWNER_KEY: "someone-else"})))
    assert td.static_problems(params(tags={ecs.OWNER_KEY: ecs.OWNER_VALUE, "team": "data"})) == []
    assert any(p.startswith("container_definitions:") for p in td.static_problems(params(container_definitions=[])))
    # absent needs only a valid family
    assert td.static_problems(params(state="absent", container_definitions=None, cpu=None)) == []


def test_role_arns_must_be_in_the_credentials_partition():
    gov = ecs.names.Identity("123456789012", "aws-us-gov", "arn:aws-us-gov:iam::123456789012:user/x")
    problems = [p for p in td.identity_problems(params(), gov) if p]
    assert len(problems) == 1 and problems[0].startswith("execution_role_arn:") and "arn:aws-us-gov:" in problems[0]
    problems = [p for p in td.identity_problems(params(task_role_arn="role/x"), gov) if p]
    assert any(p.startswith("task_role_arn:") for p in problems)


# --- comparison by meaning ------------------------------------------------------------------------------


def test_what_aws_returns_equals_what_was_asked():
    p = params(container_definitions=[container(portMappings=[{"containerPort": 8080}], healthCheck={"command": ["CMD", "true"]})])
    current = as_aws_returns(td.desired_definition(p))
    assert same(p, current)


def test_environment_and_secrets_order_does_not_matter():
    p = params()
    current = as_aws_returns(td.desired_definition(p))
    c = container(environment=list(reversed(container()["environment"])),
                  secrets=[{"name": "B", "valueFrom": SECRET}, {"name": "A", "valueFrom": SECRET}])
    p2 = params(container_definitions=[c])
    current2 = as_aws_returns(td.desired_definition(params(container_definitions=[container(
        secrets=[{"name": "A", "valueFrom": SECRET}, {"name": "B", "valueFrom": SECRET}])])))
    assert same(p2, current2)
    assert not same(p2, current)  # different secrets are a difference


def test_numbers_compare_by_value():
    current = as_aws_returns(td.desired_definition(params(cpu="512", memory="1024")))
    assert same(params(cpu=512, memory=1024), current)
    assert same(params(cpu="0.5 vCPU", memory="1 GB"), current)
    c = container(memory="512", portMappings=[{"containerPort": "8080"}])
    current = as_aws_returns(td.desired_definition(params(container_definitions=[container(
        memory=512, portMappings=[{"containerPort": 8080}])])))
    assert same(params(container_definitions=[c]), current)


@pytest.mark.parametrize("change", [
    {"execution_role_arn": "arn:aws:iam::123456789012:role/other"},
    {"cpu": 1024, "memory": 2048},
    {"memory": 2048},
    {"task_role_arn": "arn:aws:iam::123456789012:role/task"},
    {"runtime_platform": {"cpuArchitecture": "ARM64"}},
    {"ephemeral_storage": {"sizeInGiB": 30}},
    {"requires_compatibilities": ["FARGATE", "EC2"]},
    {"volumes": [{"name": "data"}]},
    {"container_definitions": [container(image="prefecthq/prefect:3-python3.12")]},
    {"container_definitions": [container(environment=[{"name": "PREFECT_API_URL", "value": "http://y/api"}])]},
    {"container_definitions": [container(essential=False)]},
    {"container_definitions": [container(), {"name": "sidecar", "image": "x"}]},
])
def test_each_meaningful_change_is_a_difference(change):
    current = as_aws_returns(td.desired_definition(params()))
    assert not same(params(**change), current)


def test_options_not_set_are_not_compared():
    current = as_aws_returns(td.desired_definition(params(task_role_arn="arn:aws:iam::123456789012:role/task",
                                                          runtime_platform={"cpuArchitecture": "ARM64"})))
    assert same(params(), current)
    assert not same(params(task_role_arn=""), current)  # "" asks for no task role


def test_runtime_platform_defaults_equal_not_setting_it():
    current = as_aws_returns(td.desired_definition(params()))
    assert same(params(runtime_platform={"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}), current)


def test_environment_value_none_or_int_is_the_string_aws_stores():
    c = container(environment=[{"name": "A", "value": 1}, {"name": "B", "value": None}])
    current = as_aws_returns(td.desired_definition(params(container_definitions=[container(
        environment=[{"name": "B", "value": ""}, {"name": "A", "value": "1"}])])))
    assert same(params(container_definitions=[c]), current)


def test_differences_hold_only_what_differs():
    p = params()
    current = as_aws_returns(td.desired_definition(p))
    p2 = params(execution_role_arn="arn:aws:iam::123456789012:role/other",
                container_definitions=[container(image="img:2")])
    keys = td.compared_keys(p2)
    before, after = td.differences(td.canonical(td.desired_definition(p2), keys), td.canonical(current, keys))
    assert before == {"executionRoleArn": EXEC_ROLE, "containerDefinitions": {"worker": {"image": "prefecthq/prefect:3-latest"}}}
    assert after == {"executionRoleArn": "arn:aws:iam::123456789012:role/other", "containerDefinitions": {"worker": {"image": "img:2"}}}


# --- the payload of a new revision ------------------------------------------------------------------------


def test_new_revision_keeps_what_the_user_does_not_set():
    current = as_aws_returns(td.desired_definition(params(task_role_arn="arn:aws:iam::123456789012:role/task")))
    current.update(pidMode="task", placementConstraints=[{"type": "memberOf", "expression": "x"}])
    payload = td.register_payload(params(cpu=1024, memory=2048), current, {"a": "b"})
    assert payload["taskRoleArn"] == "arn:aws:iam::123456789012:role/task"
    assert payload["pidMode"] == "task" and payload["placementConstraints"] == current["placementConstraints"]
    assert payload["cpu"] == "1024" and payload["memory"] == "2048"
    assert payload["tags"] == [{"key": "a", "value": "b"}]
    for key in ("revision", "status", "taskDefinitionArn", "compatibilities", "requiresAttributes", "registeredAt"):
        assert key not in payload


def test_empty_string_role_means_none_and_unknown_keys_are_filtered():
    current = as_aws_returns(td.desired_definition(params(task_role_arn="arn:aws:iam::123456789012:role/task")))
    payload = td.register_payload(params(task_role_arn=""), current, {})
    assert "taskRoleArn" not in payload
    payload = td.register_payload(params(), dict(current, enableFaultInjection=True), {}, allowed_keys={"family", "containerDefinitions"})
    assert set(payload) == {"family", "containerDefinitions", "tags"}


def test_payload_numbers_are_what_the_api_takes():
    c = container(memory="512", portMappings=[{"containerPort": "8080"}], environment=[{"name": "N", "value": 3}])
    payload = td.desired_definition(params(cpu="0.5 vCPU", memory="1 GB", container_definitions=[c],
                                           ephemeral_storage={"sizeInGiB": "30"}))
    assert payload["cpu"] == "512" and payload["memory"] == "1024"
    assert payload["containerDefinitions"][0]["memory"] == 512
    assert payload["containerDefinitions"][0]["portMappings"] == [{"containerPort": 8080}]
    assert payload["containerDefinitions"][0]["environment"] == [{"name": "N", "value": "3"}]
    assert payload["ephemeralStorage"] == {"sizeInGiB": 30}


# --- retries of concurrent registration ------------------------------------------------------------------


def _client_error(code, message):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, "RegisterTaskDefinition")


def test_register_retries_too_many_concurrent_attempts():
    client, sleeps = mock.Mock(), []
    client.register_task_definition.side_effect = [
        _client_error("ClientException", td.CONCURRENT_REVISION + "."),
        _client_error("ClientException", td.CONCURRENT_REVISION + "."),
        {"taskDefinition": {"revision": 3}},
    ]
    assert td.register(client, {"family": "f"}, sleep=sleeps.append) == {"taskDefinition": {"revision": 3}}
    assert len(sleeps) == 2 and client.register_task_definition.call_count == 3


def test_register_does_not_retry_other_client_errors():
    client = mock.Mock()
    client.register_task_definition.side_effect = _client_error("ClientException", "Invalid setting for container")
    with pytest.raises(botocore.exceptions.ClientError):
        td.register(client, {"family": "f"}, sleep=lambda s: None)
    assert client.register_task_definition.call_count == 1


# --- converge with a fake ECS ------------------------------------------------------------------------------


class FakeEcs:
    """The few ECS calls the module makes, on an in-memory family; records mutating calls."""

    def __init__(self, revisions=None):
        self.revisions = revisions or {}  # revision -> {"definition", "tags", "status"}
        self.calls = []

    def paginate(self, operation, result_key, **kwargs):
        assert operation == "list_task_definitions" and result_key == "taskDefinitionArns"
        return [f"{FAMILY_ARN}:{r}" for r, v in sorted(self.revisions.items()) if v["status"] == kwargs["status"]]

    def describe_task_definition(self, taskDefinition, include):
        rev = self.revisions[ecs.revision_of(taskDefinition)]
        return {"taskDefinition": rev["definition"], "tags": ecs.dict_to_tags(rev["tags"])}

    def list_tags_for_resource(self, resourceArn):
        return {"tags": ecs.dict_to_tags(self.revisions[ecs.revision_of(resourceArn)]["tags"])}

    def register_task_definition(self, **payload):
        self.calls.append(("register", payload))
        revision = max(self.revisions or [0]) + 1
        definition = as_aws_returns(payload, revision)
        self.revisions[revision] = {"definition": definition, "tags": ecs.tags_to_dict(payload["tags"]), "status": "ACTIVE"}
        return {"taskDefinition": definition, "tags": payload["tags"]}

    def deregister_task_definition(self, taskDefinition):
        self.calls.append(("deregister", taskDefinition))
        self.revisions[ecs.revision_of(taskDefinition)]["status"] = "INACTIVE"

    def tag_resource(self, resourceArn, tags):
        self.calls.append(("tag", resourceArn, tags))

    def untag_resource(self, resourceArn, tagKeys):
        self.calls.append(("untag", resourceArn, tagKeys))


def fake_clients(ecs_client):
    sts = mock.Mock()
    sts.get_caller_identity.return_value = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/x"}
    return {"sts": sts, "ecs": ecs_client}


def revision(p, tags=None, status="ACTIVE", number=1):
    payload = td.register_payload(p, None, tags if tags is not None else OWNED)
    return {"definition": as_aws_returns(payload, number), "tags": tags if tags is not None else OWNED, "status": status}


def test_check_mode_predicts_the_next_arn_after_inactive_revisions():
    fake = FakeEcs({1: revision(params(), number=1), 2: revision(params(), status="INACTIVE", number=2)})
    result = td.run(FakeModule(params(cpu=1024, memory=2048), check_mode=True), fake_clients(fake))
    assert result["changed"] and result["registered"]
    assert result["task_definition_arn"] == f"{FAMILY_ARN}:3"
    assert result["task_definition"]["cpu"] == "1024" and result["task_definition"]["revision"] == 3
    assert result["diff"]["before"]["task_definition"]["cpu"] == 512
    assert result["diff"]["after"]["task_definition"]["cpu"] == 1024
    assert fake.calls == []


def test_no_change_means_no_call_and_a_new_revision_is_tagged_as_ours():
    fake = FakeEcs()
    first = td.run(FakeModule(params(tags={"team": "data"})), fake_clients(fake))
    assert first["registered"] and [c[0] for c in fake.calls] == ["register"]
    assert ecs.tags_to_dict(fake.calls[0][1]["tags"]) == {"team": "data", **OWNED}
    second = td.run(FakeModule(params(tags={"team": "data"})), fake_clients(fake))
    assert not second["changed"] and len(fake.calls) == 1
    assert second["task_definition_arn"] == first["task_definition_arn"]


def test_a_tag_change_alone_tags_the_latest_revision_in_place():
    fake = FakeEcs({1: revision(params(), tags=dict(OWNED, team="a"))})
    result = td.run(FakeModule(params(tags={"team": "b"})), fake_clients(fake))
    assert result["changed"] and not result["registered"]
    assert fake.calls == [("tag", f"{FAMILY_ARN}:1", [{"key": "team", "value": "b"}])]


def test_matching_revision_of_someone_else_is_used_untouched():
    fake = FakeEcs({1: revision(params(), tags={"owner": "human"})})
    result = td.run(FakeModule(params(tags={"team": "b"})), fake_clients(fake))
    assert not result["changed"] and fake.calls == []


def test_keep_revisions_deregisters_only_our_older_revisions():
    revs = {n: revision(params(), number=n) for n in range(1, 6)}
    revs[2]["tags"] = {"owner": "human"}
    fake = FakeEcs(revs)
    result = td.run(FakeModule(params(keep_revisions=2, container_definitions=[container(image="img:6")])),
                    fake_clients(fake))
    assert result["registered"] and result["task_definition_arn"] == f"{FAMILY_ARN}:6"
    # kept: 6 (new) and 5; older: 4, 3 (ours) deregistered, 2 (not ours) kept, 1 (ours) deregistered
    assert result["deregistered"] == [f"{FAMILY_ARN}:4", f"{FAMILY_ARN}:3", f"{FAMILY_ARN}:1"]
    assert {n for n, r in fake.revisions.items() if r["status"] == "ACTIVE"} == {2, 5, 6}


def test_absent_deregisters_only_ours_and_warns_about_the_rest():
    fake = FakeEcs({1: revision(params(), tags={}), 2: revision(params(), number=2)})
    module = FakeModule(params(state="absent"))
    result = td.run(module, fake_clients(fake))
    assert result["deregistered"] == [f"{FAMILY_ARN}:2"] and result["left_alone"] == [f"{FAMILY_ARN}:1"]
    assert module.warnings and "left ACTIVE" in module.warnings[0]


def test_prune_in_check_mode_makes_no_call():
    fake = FakeEcs({n: revision(params(), number=n) for n in range(1, 4)})
    changes = Changes()
    arns = [f"{FAMILY_ARN}:{n}" for n in (3, 2, 1)]
    deregistered, left_alone = td.prune(fake, True, changes, arns, 1, None)
    assert deregistered == arns[1:] and left_alone == [] and fake.calls == []
    assert changes.after[arns[1]] == {"status": "INACTIVE"}


def test_absent_with_a_site_deregisters_that_sites_and_pre_option_revisions_only():
    owner = {"prefect-ops:managed-by": "prefect_ops.ecs"}
    fake = FakeEcs({1: revision(params(), tags=dict(owner, **{"prefect-ops:site": "dev"})),
                    2: revision(params(), number=2, tags=dict(owner)),
                    3: revision(params(), number=3, tags=dict(owner, **{"prefect-ops:site": "prod"}))})
    result = td.run(FakeModule(params(state="absent", site="prod")), fake_clients(fake))
    assert result["deregistered"] == [f"{FAMILY_ARN}:3", f"{FAMILY_ARN}:2"]
    assert result["left_alone"] == [f"{FAMILY_ARN}:1"]
