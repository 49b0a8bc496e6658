"""Unit tests of ecs_service_autoscaling's logic (plugins/module_utils/ecs_service_autoscaling.py).

No AWS here: validation, the comparison of policies by meaning, the ownership filter on what
DescribeScalingPolicies returns (an endpoint may ignore PolicyNames), what a run calls, check mode and
the diff (fake clients).
"""
from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs_service_autoscaling as asg
from stacktools.fake_module import FakeModule

RID = "service/prefect/workers"
DIM = "ecs:service:DesiredCount"
LABEL = "app/web/0123456789abcdef/targetgroup/web/fedcba9876543210"


def item(name="cpu", metric=asg.CPU_METRIC, target_value=70.0, **over):
    base = {"name": name, "metric": metric, "resource_label": None, "target_value": target_value,
            "scale_in_cooldown": 300, "scale_out_cooldown": 300, "disable_scale_in": False}
    base.update(over)
    return base


def params(**over):
    base = {key: spec.get("default") for key, spec in asg.argument_spec().items()}
    base.update(cluster="prefect", service="workers", min_capacity=1, max_capacity=4,
                target_tracking=[item(), item("memory", asg.MEMORY_METRIC, 80.0)])
    base.update(over)
    return base


def policy(name, metric=asg.CPU_METRIC, target=70.0, rid=RID, policy_type="TargetTrackingScaling", **config):
    """A policy as DescribeScalingPolicies reports it."""
    body = {"TargetValue": target, "PredefinedMetricSpecification": {"PredefinedMetricType": metric}}
    body.update(config)
    out = {"PolicyName": name, "PolicyARN": f"arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:x:resource/ecs/{rid}"
           f":policyName/{name}", "ServiceNamespace": "ecs", "ResourceId": rid, "ScalableDimension": DIM,
           "PolicyType": policy_type, "Alarms": []}
    if policy_type == "TargetTrackingScaling":
        out["TargetTrackingScalingPolicyConfiguration"] = body
    else:
        out["StepScalingPolicyConfiguration"] = {"AdjustmentType": "ChangeInCapacity"}
    return out


def target(low=1, high=4, rid=RID):
    return {"ServiceNamespace": "ecs", "ResourceId": rid, "ScalableDimension": DIM, "MinCapacity": low,
            "MaxCapacity": high, "RoleARN": "arn:aws:iam::123456789012:role/aws-service-role/x"}


# --- validation ---------------------------------------------------------------------------------------


def test_valid_input_has_no_problems():
    assert asg.static_problems(params()) == []
    assert asg.static_problems(params(target_tracking=[])) == []
    assert asg.static_problems(params(min_capacity=0, max_capacity=0)) == []
    alb = item("requests", asg.ALB_METRIC, 500.0, resource_label=LABEL)
    assert asg.static_problems(params(target_tracking=[alb])) == []


@pytest.mark.parametrize("over, expected", [
    ({"min_capacity": 5, "max_capacity": 2}, "max_capacity: 2 is less than min_capacity (5)"),
    ({"min_capacity": -1}, "min_capacity: -1 is out of range; use 0 or more"),
    ({"max_capacity": -3, "min_capacity": 0}, "max_capacity: -3 is out of range"),
    ({"min_capacity": None}, "min_capacity: set the lowest number of tasks"),
    ({"max_capacity": None}, "max_capacity: set the highest number of tasks"),
    ({"target_tracking": [item(target_value=0.0)]}, "target_tracking[0].target_value: 0.0 is not a positive number"),
    ({"target_tracking": [item(target_value=-5.0)]}, "target_tracking[0].target_value: -5.0 is not a positive number"),
    ({"target_tracking": [item(target_value=float("nan"))]}, "target_tracking[0].target_value: nan is not a positive"),
    ({"target_tracking": [item(metric="CPUUtilization")]}, "target_tracking[0].metric: 'CPUUtilization' is not a "
                                                           "predefined ECS service metric; use one of"),
    ({"target_tracking": [item(metric=asg.ALB_METRIC)]}, "target_tracking[0].resource_label: the metric "
                                                         "ALBRequestCountPerTarget needs the target group"),
    ({"target_tracking": [item(metric=asg.ALB_METRIC, resource_label="my-target-group")]},
     "target_tracking[0].resource_label: 'my-target-group' is not a load balancer target group label"),
    ({"target_tracking": [item(resource_label=LABEL)]}, "target_tracking[0].resource_label: only the metric "
                                                        "ALBRequestCountPerTarget takes a resource_label; remove it"),
    ({"target_tracking": [item(), item()]}, "target_tracking[1].name: 'cpu' is used twice"),
    ({"target_tracking": [item(name="cpu policy")]}, "target_tracking[0].name: 'cpu policy' is not a valid name"),
    ({"target_tracking": [item(name="x" * 300)]}, "is longer than 256 characters"),
    ({"target_tracking": [item(scale_in_cooldown=-1)]}, "target_tracking[0].scale_in_cooldown: -1 is out of range"),
    ({"policy_name_prefix": ""}, "policy_name_prefix: an empty prefix would make every scaling policy"),
    ({"service": "my service"}, "service"),
    ({"cluster": ""}, "cluster: give the cluster name or ARN"),
])
def test_each_problem_names_the_option_and_the_fix(over, expected):
    problems = asg.static_problems(params(**over))
    assert any(expected in p for p in problems), problems


def test_all_problems_are_reported_at_once():
    problems = asg.static_problems(params(min_capacity=-1, max_capacity=None,
                                          target_tracking=[item(target_value=0.0, metric="nope")]))
    assert len(problems) == 4, problems


def test_absent_needs_neither_capacity_nor_valid_policies():
    assert asg.static_problems(params(state="absent", min_capacity=None, max_capacity=None,
                                      target_tracking=[item(target_value=-1.0)])) == []
    assert asg.static_problems(params(state="absent", policy_name_prefix="")) != []


def test_policy_names_are_the_prefix_and_the_item_name():
    assert list(asg.desired_policies(params())) == ["workers-cpu", "workers-memory"]
    assert list(asg.desired_policies(params(policy_name_prefix="ops/"))) == ["ops/cpu", "ops/memory"]


# --- comparison by meaning ----------------------------------------------------------------------------


def test_what_put_scaling_policy_sends():
    assert asg.desired_configuration(item(target_value=70)) == {
        "TargetValue": 70.0, "PredefinedMetricSpecification": {"PredefinedMetricType": asg.CPU_METRIC},
        "ScaleInCooldown": 300, "ScaleOutCooldown": 300, "DisableScaleIn": False}
    alb = asg.desired_configuration(item("r", asg.ALB_METRIC, 500, resource_label=LABEL, disable_scale_in=True,
                                         scale_out_cooldown=60))
    assert alb["PredefinedMetricSpecification"] == {"PredefinedMetricType": asg.ALB_METRIC, "ResourceLabel": LABEL}
    assert alb["DisableScaleIn"] is True and alb["ScaleOutCooldown"] == 60


def test_unreported_cooldowns_and_disable_scale_in_mean_the_defaults():
    """AWS reports what was set; a policy made without cooldowns has the ECS defaults (300 s) and scale-in on."""
    wanted = asg.canonical("TargetTrackingScaling", asg.desired_configuration(item(target_value=70)))
    assert asg.canonical_policy(policy("workers-cpu", target=70)) == wanted
    assert asg.canonical_policy(policy("workers-cpu", target=70, ScaleInCooldown=300, DisableScaleIn=False)) == wanted
    # an integer target equals the same float
    assert asg.canonical_policy(policy("workers-cpu", target=70)) == asg.canonical_policy(policy("workers-cpu", target=70.0))


def test_a_different_target_cooldown_scale_in_metric_or_label_is_a_difference():
    wanted = {"workers-cpu": asg.desired_configuration(item())}
    for current in (policy("workers-cpu", target=60.0), policy("workers-cpu", ScaleInCooldown=600),
                    policy("workers-cpu", DisableScaleIn=True), policy("workers-cpu", metric=asg.MEMORY_METRIC),
                    policy("workers-cpu", CustomizedMetricSpecification={"MetricName": "x"})):
        puts, deletes = asg.plan_policies(wanted, {"workers-cpu": current})
        assert [p[0] for p in puts] == ["workers-cpu"] and deletes == [], current


def test_plan_policies_puts_only_what_differs_and_deletes_only_ours_no_longer_wanted():
    wanted = asg.desired_policies(params())
    same = {"workers-cpu": policy("workers-cpu"), "workers-memory": policy("workers-memory", asg.MEMORY_METRIC, 80.0)}
    assert asg.plan_policies(wanted, same) == ([], [])
    changed = dict(same, **{"workers-memory": policy("workers-memory", asg.MEMORY_METRIC, 75.0),
                            "workers-old": policy("workers-old")})
    puts, deletes = asg.plan_policies(wanted, changed)
    assert [(name, have["target_value"], replace) for name, dummy, have, replace in puts] == [("workers-memory", 75.0, False)]
    assert deletes == ["workers-old"]
    puts, dummy = asg.plan_policies(wanted, {})
    assert [(name, have) for name, dummy, have, dummy in puts] == [("workers-cpu", None), ("workers-memory", None)]


def test_a_step_scaling_policy_of_our_name_is_replaced():
    puts, dummy = asg.plan_policies({"workers-cpu": asg.desired_configuration(item())},
                                    {"workers-cpu": policy("workers-cpu", policy_type="StepScaling")})
    [(name, dummy, have, replace)] = puts
    assert name == "workers-cpu" and replace and have["policy_type"] == "StepScaling"


def test_split_policies_filters_what_the_endpoint_returns_by_resource_dimension_and_prefix():
    answer = [policy("workers-cpu"), policy("manual-step"),
              # moto matches ResourceId as a substring and ignores PolicyNames: another service's policies come back
              policy("workers-cpu", rid="service/prefect/workers-2"), policy("workers-x", rid="service/prefect/work"),
              dict(policy("workers-mem"), ScalableDimension="ecs:service:Other")]
    ours, foreign = asg.split_policies(answer, RID, "workers-")
    assert list(ours) == ["workers-cpu"] and ours["workers-cpu"]["ResourceId"] == RID
    assert foreign == ["manual-step"]


def test_plan_target_registers_only_when_missing_or_min_max_differ():
    assert asg.plan_target(None, 1, 4) == ({}, {"min_capacity": 1, "max_capacity": 4})
    assert asg.plan_target(target(1, 4), 1, 4) is None
    assert asg.plan_target(target(1, 4), 1, 6) == ({"max_capacity": 4}, {"max_capacity": 6})
    assert asg.plan_target(target(1, 4), 2, 6) == (
        {"min_capacity": 1, "max_capacity": 4}, {"min_capacity": 2, "max_capacity": 6})


# --- converge / remove with fake clients ------------------------------------------------------------------


MUTATING = ("register_scalable_target", "deregister_scalable_target", "put_scaling_policy", "delete_scaling_policy")


class FakeScaling:
    """Application Auto Scaling in memory; DescribeScalingPolicies returns every policy (like moto)."""

    def __init__(self, targets=(), policies=(), scheduled=()):
        self.targets = {t["ResourceId"]: dict(t) for t in targets}
        self.policies = [dict(p) for p in policies]
        self.scheduled = list(scheduled)
        self.calls = []

    def paginate(self, op, key, **kw):
        if op == "describe_scalable_targets":
            return list(self.targets.values())
        if op == "describe_scaling_policies":
            return list(self.policies)
        return list(self.scheduled)

    def register_scalable_target(self, **kw):
        self.calls.append(("register_scalable_target", kw))
        self.targets[kw["ResourceId"]] = target(kw["MinCapacity"], kw["MaxCapacity"], kw["ResourceId"])

    def deregister_scalable_target(self, **kw):
        self.calls.append(("deregister_scalable_target", kw))
        del self.targets[kw["ResourceId"]]

    def put_scaling_policy(self, **kw):
        self.calls.append(("put_scaling_policy", kw))
        self.policies = [p for p in self.policies if p["PolicyName"] != kw["PolicyName"]]
        self.policies.append(dict(policy(kw["PolicyName"]), TargetTrackingScalingPolicyConfiguration=kw[
            "TargetTrackingScalingPolicyConfiguration"]))

    def delete_scaling_policy(self, **kw):
        self.calls.append(("delete_scaling_policy", kw))
        self.policies = [p for p in self.policies if p["PolicyName"] != kw["PolicyName"]]

    def mutating(self):
        return [(name, kw.get("PolicyName")) for name, kw in self.calls if name in MUTATING]


def clients(scaling, service_status="ACTIVE"):
    sts = mock.Mock()
    sts.get_caller_identity.return_value = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/x"}
    ecs = mock.Mock()
    services = [{"serviceName": "workers", "status": service_status}] if service_status else []
    ecs.describe_services.return_value = {"services": services}
    return {"sts": sts, "ecs": ecs, "application-autoscaling": scaling}


def converged():
    return FakeScaling([target()], [policy("workers-cpu"), policy("workers-memory", asg.MEMORY_METRIC, 80.0)])


def test_fresh_check_mode_predicts_everything_and_calls_nothing_that_changes():
    scaling = FakeScaling()
    module = FakeModule(params(), check_mode=True)
    result = asg.run(module, clients(scaling, service_status=None))
    assert scaling.mutating() == []
    assert result["changed"] and result["resource_id"] == RID
    assert (result["scalable_target"]["MinCapacity"], result["scalable_target"]["MaxCapacity"]) == (1, 4)
    assert [p["PolicyName"] for p in result["policies"]] == ["workers-cpu", "workers-memory"]
    assert result["actions"] == [f"register scalable target {RID} (min 1, max 4)", "put scaling policy workers-cpu",
                                 "put scaling policy workers-memory"]
    assert result["diff"]["before"] == {"scalable_target": {}}
    assert result["diff"]["after"]["policies"]["workers-cpu"]["target_value"] == 70.0
    assert any("does not exist in cluster prefect yet" in w for w in module.warnings)


def test_apply_equals_the_prediction_and_a_rerun_calls_nothing():
    predicted = asg.run(FakeModule(params(), check_mode=True), clients(FakeScaling()))
    scaling = FakeScaling()
    applied = asg.run(FakeModule(params()), clients(scaling))
    assert [name for name, dummy in scaling.mutating()] == [
        "register_scalable_target", "put_scaling_policy", "put_scaling_policy"]
    assert applied["actions"] == predicted["actions"] and applied["diff"] == predicted["diff"]
    again = asg.run(FakeModule(params()), clients(scaling))
    assert not again["changed"] and again["actions"] == [] and len(scaling.mutating()) == 3
    assert again["diff"] == {"before": {}, "after": {}}


def test_a_changed_max_and_target_change_only_those():
    scaling = converged()
    p = params(max_capacity=6, target_tracking=[item(target_value=60.0), item("memory", asg.MEMORY_METRIC, 80.0)])
    check = asg.run(FakeModule(p, check_mode=True), clients(scaling))
    assert scaling.mutating() == []
    assert check["diff"] == {"before": {"scalable_target": {"max_capacity": 4}, "policies": {"workers-cpu": {"target_value": 70.0}}},
                             "after": {"scalable_target": {"max_capacity": 6}, "policies": {"workers-cpu": {"target_value": 60.0}}}}
    result = asg.run(FakeModule(p), clients(scaling))
    assert scaling.mutating() == [("register_scalable_target", None), ("put_scaling_policy", "workers-cpu")]
    assert result["actions"] == check["actions"]
    assert result["scalable_target"]["MaxCapacity"] == 6


def test_present_never_touches_policies_of_other_names_and_deletes_ours_not_wanted():
    scaling = converged()
    scaling.policies += [policy("manual-step", policy_type="StepScaling"), policy("workers-old")]
    result = asg.run(FakeModule(params()), clients(scaling))
    assert scaling.mutating() == [("delete_scaling_policy", "workers-old")]
    assert result["left_alone"] == ["manual-step"]
    assert [p["PolicyName"] for p in result["policies"]] == ["workers-cpu", "workers-memory"]


def test_present_fails_before_any_change_when_the_service_does_not_exist():
    scaling = FakeScaling()
    with pytest.raises(AssertionError, match="service: service workers does not exist in cluster prefect.*create it first"):
        asg.run(FakeModule(params()), clients(scaling, service_status="DRAINING"))
    assert scaling.mutating() == []


def test_invalid_input_fails_before_any_call():
    scaling = FakeScaling()
    all_clients = clients(scaling)
    with pytest.raises(AssertionError, match="max_capacity: 1 is less than min_capacity"):
        asg.run(FakeModule(params(min_capacity=3, max_capacity=1)), all_clients)
    assert scaling.calls == [] and all_clients["sts"].mock_calls == []


def test_absent_deletes_our_policies_then_the_target_and_check_mode_only_predicts():
    scaling = converged()
    check = asg.run(FakeModule(params(state="absent"), check_mode=True), clients(scaling))
    assert scaling.mutating() == [] and check["changed"]
    assert check["actions"] == ["delete scaling policy workers-cpu", "delete scaling policy workers-memory",
                                f"deregister scalable target {RID}"]
    assert check["diff"]["before"]["scalable_target"] == {"min_capacity": 1, "max_capacity": 4}
    assert check["scalable_target"] is None and check["policies"] == []
    result = asg.run(FakeModule(params(state="absent")), clients(scaling, service_status=None))
    assert scaling.mutating() == [("delete_scaling_policy", "workers-cpu"), ("delete_scaling_policy", "workers-memory"),
                                  ("deregister_scalable_target", None)]
    assert result["actions"] == check["actions"]
    again = asg.run(FakeModule(params(state="absent")), clients(scaling))
    assert not again["changed"] and len(scaling.mutating()) == 3


def test_absent_keeps_the_target_while_others_policies_or_scheduled_actions_use_it():
    nightly = {"ScheduledActionName": "nightly", "ResourceId": RID, "ScalableDimension": DIM}
    for foreign in ({"policies": [policy("manual")]}, {"scheduled": [nightly]}):
        scaling = converged()
        scaling.policies += foreign.get("policies", [])
        scaling.scheduled += foreign.get("scheduled", [])
        module = FakeModule(params(state="absent"))
        result = asg.run(module, clients(scaling))
        assert scaling.mutating() == [("delete_scaling_policy", "workers-cpu"), ("delete_scaling_policy", "workers-memory")]
        assert result["scalable_target"] is not None
        assert result["left_alone"] in (["manual"], ["scheduled action nightly"])
        assert any("left registered" in w for w in module.warnings)
