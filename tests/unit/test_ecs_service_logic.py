"""Unit tests of ecs_service's logic (plugins/module_utils/ecs_service.py).

No AWS here: validation, the comparison by meaning, what an update sends, when a service must be
re-created, and waiting (fake client and clock).
"""
from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs_service as svc
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_names import Identity

COM = Identity("123456789012", "aws", "arn:aws:iam::123456789012:user/x")
TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/worker:3"
SUBNETS = ["subnet-aaa", "subnet-bbb"]
SG = ["sg-111"]


def params(**over):
    base = {}
    for key, spec in svc.argument_spec().items():
        base[key] = spec.get("default")
    base.update(name="workers", cluster="prefect", task_definition=TD, desired_count=1,
                network_configuration={"subnets": SUBNETS, "security_groups": SG, "assign_public_ip": False},
                deployment_configuration={"minimum_healthy_percent": None, "maximum_percent": None,
                                          "deployment_circuit_breaker": {"enable": True, "rollback": True}})
    base.update(over)
    return base


def described(**over):
    """A service as DescribeServices reports one created from params()."""
    service = {
        "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/prefect/workers", "serviceName": "workers",
        "status": "ACTIVE", "taskDefinition": TD, "desiredCount": 1, "runningCount": 1, "launchType": "FARGATE",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": list(reversed(SUBNETS)), "securityGroups": SG,
                                                         "assignPublicIp": "DISABLED"}},
        "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 200,
                                    "minimumHealthyPercent": 100, "alarms": {"alarmNames": [], "enable": False,
                                                                             "rollback": False}, "strategy": "ROLLING"},
        "enableExecuteCommand": False, "propagateTags": "NONE", "healthCheckGracePeriodSeconds": 0,
        "tags": ecs.dict_to_tags(ecs.OWNER_TAGS),
    }
    service.update(over)
    return service


def plan(p, current):
    return svc.plan_update(svc.desired_fields(p, TD), current, p["desired_count_on_create_only"])


# --- validation ---------------------------------------------------------------------------------------


def test_valid_input_has_no_problems():
    assert svc.static_problems(params()) == []


def test_security_groups_are_required_and_the_message_says_why():
    problems = svc.static_problems(params(network_configuration={"subnets": SUBNETS, "security_groups": None,
                                                                 "assign_public_ip": False}))
    assert len(problems) == 1 and problems[0].startswith("network_configuration.security_groups:")
    assert "default security group" in problems[0] and "KeyError 'securityGroups'" in problems[0]


def test_fargate_needs_a_network_configuration():
    problems = svc.static_problems(params(network_configuration=None))
    assert problems and problems[0].startswith("network_configuration:") and "Fargate" in problems[0]
    assert svc.static_problems(params(network_configuration=None, launch_type="EC2")) == []


def test_ids_not_names():
    problems = svc.static_problems(params(network_configuration={"subnets": ["private-a"], "security_groups": ["web"],
                                                                 "assign_public_ip": False}))
    assert any(p.startswith("network_configuration.subnets[0]:") for p in problems)
    assert any(p.startswith("network_configuration.security_groups[0]:") and "not the name" in p for p in problems)


@pytest.mark.parametrize("over,field", [
    ({"deployment_configuration": {"minimum_healthy_percent": 150, "maximum_percent": None, "deployment_circuit_breaker": None}},
     "deployment_configuration.minimum_healthy_percent:"),
    ({"deployment_configuration": {"minimum_healthy_percent": 100, "maximum_percent": 100, "deployment_circuit_breaker": None}},
     "deployment_configuration.maximum_percent:"),
    ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1, "base": 1},
                                     {"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 1}]},
     "capacity_provider_strategy:"),
    ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 2000, "base": None}]},
     "capacity_provider_strategy[0].weight:"),
    ({"desired_count": -1}, "desired_count:"),
    ({"desired_count": None, "desired_count_on_create_only": True}, "desired_count:"),
    ({"task_definition": None}, "task_definition:"),
    ({"name": "bad name"}, "name:"),
    ({"tags": {ecs.OWNER_KEY: "other"}}, "tags:"),
    ({"wait_timeout": 0}, "wait_timeout:"),
])
def test_bad_input_names_the_field(over, field):
    problems = svc.static_problems(params(**over))
    assert problems and any(p.startswith(field) for p in problems), problems


def test_task_definition_forms():
    assert svc.resolve_task_definition_arn(TD, COM, "us-east-1") == (TD, None)
    assert svc.resolve_task_definition_arn("worker:3", COM, "us-east-1") == (TD, None)
    assert svc.resolve_task_definition_arn("worker", COM, "us-east-1") == (None, None)  # looked up
    arn, problem = svc.resolve_task_definition_arn(TD.replace("arn:aws:", "arn:aws-cn:"), COM, "us-east-1")
    assert arn is None and problem.startswith("task_definition:") and "partition" in problem
    arn, problem = svc.resolve_task_definition_arn(TD.replace("us-east-1", "eu-west-1"), COM, "us-east-1")
    assert problem and "region" in problem
    assert svc.resolve_task_definition_arn(TD.rsplit(":", 1)[0], COM, "us-east-1")[1].startswith("task_definition:")


# --- comparison by meaning ------------------------------------------------------------------------------


def test_what_ecs_reports_for_the_desired_service_is_no_change():
    send, before, after, unverified = plan(params(), described())
    assert send == {} and before == {} and after == {} and unverified == []


@pytest.mark.parametrize("over,key", [
    ({"task_definition": TD.replace(":3", ":4")}, "taskDefinition"),
    ({"desired_count": 2}, "desiredCount"),
    ({"network_configuration": {"subnets": SUBNETS[:1], "security_groups": SG, "assign_public_ip": False}}, "networkConfiguration"),
    ({"network_configuration": {"subnets": SUBNETS, "security_groups": SG + ["sg-222"], "assign_public_ip": False}},
     "networkConfiguration"),
    ({"network_configuration": {"subnets": SUBNETS, "security_groups": SG, "assign_public_ip": True}}, "networkConfiguration"),
    ({"deployment_configuration": {"minimum_healthy_percent": 50, "maximum_percent": None,
                                   "deployment_circuit_breaker": {"enable": True, "rollback": True}}}, "deploymentConfiguration"),
    ({"deployment_configuration": {"minimum_healthy_percent": None, "maximum_percent": None,
                                   "deployment_circuit_breaker": {"enable": True, "rollback": False}}}, "deploymentConfiguration"),
    ({"health_check_grace_period_seconds": 60}, "healthCheckGracePeriodSeconds"),
    ({"enable_execute_command": True}, "enableExecuteCommand"),
    ({"propagate_tags": "SERVICE"}, "propagateTags"),
])
def test_each_meaningful_change_is_sent(over, key):
    p = params(**over)
    wanted = svc.desired_fields(p, p["task_definition"])
    send, before, after, dummy = svc.plan_update(wanted, described())
    assert list(send) == [key]
    assert before[key] != after[key]


def test_defaults_ecs_leaves_out_compare_equal():
    current = described(enableExecuteCommand=None, propagateTags=None)
    current["networkConfiguration"]["awsvpcConfiguration"].pop("assignPublicIp")
    send = plan(params(enable_execute_command=False, propagate_tags="NONE"), current)[0]
    assert send == {}


def test_deployment_diff_shows_only_the_keys_that_differ():
    p = params(deployment_configuration={"minimum_healthy_percent": 50, "maximum_percent": 200,
                                         "deployment_circuit_breaker": {"enable": True, "rollback": True}})
    send, before, after, dummy = plan(p, described())
    assert before == {"deploymentConfiguration": {"minimumHealthyPercent": 100}}
    assert after == {"deploymentConfiguration": {"minimumHealthyPercent": 50}}


def test_a_missing_deployment_configuration_is_a_difference():
    current = described()
    current.pop("deploymentConfiguration")
    assert list(plan(params(), current)[0]) == ["deploymentConfiguration"]


def test_capacity_strategy_order_and_defaults_do_not_matter():
    p = params(capacity_provider_strategy=[{"capacity_provider": "FARGATE_SPOT", "weight": 3, "base": None},
                                           {"capacity_provider": "FARGATE", "weight": 1, "base": 1}])
    current = described(capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 1},
                                                  {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0}])
    current.pop("launchType")
    assert plan(p, current)[0] == {}
    current["capacityProviderStrategy"][1]["weight"] = 1
    assert list(plan(p, current)[0]) == ["capacityProviderStrategy"]


def test_desired_count_is_never_fought_when_autoscaling_owns_it():
    p = params(desired_count=1, desired_count_on_create_only=True)
    assert plan(p, described(desiredCount=7))[0] == {}
    assert plan(params(desired_count=1), described(desiredCount=7))[0] == {"desiredCount": 1}


def test_unreported_grace_period_is_unknown_not_different():
    current = described()
    current.pop("healthCheckGracePeriodSeconds")
    p = params(health_check_grace_period_seconds=60)
    send, dummy, dummy, unverified = plan(p, current)
    assert send == {} and unverified == ["healthCheckGracePeriodSeconds"]
    # ... but it rides along with any other update
    p = params(health_check_grace_period_seconds=60, desired_count=2)
    wanted = svc.desired_fields(p, TD)
    send = svc.plan_update(wanted, current)[0]
    fields = svc._update_fields(mock.Mock(), send, wanted, current)  # pylint: disable=protected-access
    assert fields == {"desiredCount": 2, "healthCheckGracePeriodSeconds": 60}


def test_deployment_update_keeps_the_current_settings_the_model_knows():
    p = params(deployment_configuration={"minimum_healthy_percent": 50, "maximum_percent": None,
                                         "deployment_circuit_breaker": {"enable": True, "rollback": True}})
    wanted = svc.desired_fields(p, TD)
    current = described()
    current["deploymentConfiguration"]["someFutureKey"] = 1
    client = mock.Mock()
    client.meta.service_model.shape_for.return_value.members = {
        "deploymentCircuitBreaker": 1, "maximumPercent": 1, "minimumHealthyPercent": 1, "alarms": 1, "strategy": 1}
    fields = svc._update_fields(client, plan(p, current)[0], wanted, current)  # pylint: disable=protected-access
    assert fields["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 200, "minimumHealthyPercent": 50,
        "alarms": {"alarmNames": [], "enable": False, "rollback": False}, "strategy": "ROLLING"}


def test_what_needs_a_new_service():
    assert svc.needs_recreate(params(launch_type="FARGATE"), described()) is None
    assert svc.needs_recreate(params(), described()) is None  # not set: left as it is
    assert svc.needs_recreate(params(launch_type="EC2"), described()).startswith("launch_type:")
    strategy = [{"capacity_provider": "FARGATE", "weight": 1, "base": None}]
    assert svc.needs_recreate(params(capacity_provider_strategy=strategy), described()).startswith("capacity_provider_strategy:")
    cp_service = described(launchType=None, capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}])
    assert svc.needs_recreate(params(launch_type="FARGATE"), cp_service).startswith("launch_type:")
    assert svc.needs_recreate(params(capacity_provider_strategy=strategy), cp_service) is None


def test_ownership():
    assert svc.ownership_problem(params(), described()) is None
    foreign = described(tags=[{"key": "team", "value": "x"}])
    problem = svc.ownership_problem(params(), foreign)
    assert problem.startswith("name:") and "adopt: true" in problem
    assert svc.ownership_problem(params(adopt=True), foreign) is None


def test_create_payload_defaults_to_fargate_and_carries_the_ownership_tag():
    wanted = svc.desired_fields(params(), TD)
    payload = svc.create_payload(params(), "prefect", wanted, dict(ecs.OWNER_TAGS))
    assert payload["launchType"] == "FARGATE" and payload["schedulingStrategy"] == "REPLICA"
    assert payload["tags"] == [{"key": ecs.OWNER_KEY, "value": ecs.OWNER_VALUE}]
    assert payload["deploymentConfiguration"] == {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    assert "healthCheckGracePeriodSeconds" not in payload and "propagateTags" not in payload
    strategy = [{"capacity_provider": "FARGATE", "weight": 1, "base": None}]
    p = params(capacity_provider_strategy=strategy)
    assert "launchType" not in svc.create_payload(p, "prefect", svc.desired_fields(p, TD), {})


# --- waiting --------------------------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 0.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def _fail(**kwargs):
    raise AssertionError(kwargs["msg"])


def _module():
    module = mock.Mock()
    module.fail_json.side_effect = _fail
    return module


def _client(*services):
    client = mock.Mock()
    client.describe_services.side_effect = [{"services": [s]} for s in services]
    return client


def test_wait_returns_once_the_service_is_stable():
    clock = Clock()
    rolling = described(runningCount=0, deployments=[{"status": "PRIMARY"}, {"status": "ACTIVE"}])
    stable = described(runningCount=1, deployments=[{"status": "PRIMARY", "rolloutState": "COMPLETED"}])
    client = _client(rolling, rolling, stable)
    assert svc.wait_stable(_module(), client, "c", "workers", 60, sleep=clock.sleep, clock=clock.time) == stable
    assert client.describe_services.call_count == 3


def test_wait_fails_when_the_circuit_breaker_fails_the_deployment():
    clock = Clock()
    failed = described(runningCount=0, deployments=[{"status": "PRIMARY", "rolloutState": "FAILED",
                                                     "rolloutStateReason": "tasks failed to start"}],
                       events=[{"message": "service workers was unable to place a task"}])
    with pytest.raises(AssertionError, match="failed .tasks failed to start.*unable to place a task"):
        svc.wait_stable(_module(), _client(failed), "c", "workers", 60, sleep=clock.sleep, clock=clock.time)


def test_wait_times_out_with_what_it_saw():
    clock = Clock()
    pending = described(runningCount=0, deployments=[{"status": "PRIMARY"}])
    client = mock.Mock()
    client.describe_services.return_value = {"services": [pending]}
    with pytest.raises(AssertionError, match=r"within 12 s \(running 0 of 1, 1 deployments\); raise wait_timeout"):
        svc.wait_stable(_module(), client, "c", "workers", 12, sleep=clock.sleep, clock=clock.time)
    assert 12 <= clock.now < 18
