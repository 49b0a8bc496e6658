"""Role ecs_worker_service with ecs_worker_service_autoscaling_enabled against the local stack (moto behind
the recording proxy): the scalable target (min/max) and the two target-tracking policies made by
prefect_ops.ecs.ecs_service_autoscaling, read back with boto3 application-autoscaling; check mode predicts and
changes nothing; a changed max; a re-run is a no-op; the desired count set at creation only; turning autoscaling
off and teardown remove the policies and deregister the scalable target; policies of other names are left alone.

test_community_module_gap keeps the reason for our module proven: community.aws.application_autoscaling_policy
(10.0.0) registers the target and puts the policy even in check mode, and with state absent deletes the policy but
leaves the scalable target registered (it has no DeregisterScalableTarget call). It asserts that behaviour first, so
it fails - and tells us to reconsider our module - the day upstream fixes it.
"""
from __future__ import annotations

import os

import pytest

from stacktools.ansible_run import run_playbook
from test_ecs_support import actions, assert_ok, changed, run_steps, step

ROLE = "prefect_ops.ecs.ecs_worker_service"
TASK = "Converge the scalable target (min/max) and the target-tracking policies"
OURS = "prefect_ops.ecs.ecs_service_autoscaling"
THEIRS = "community.aws.application_autoscaling_policy"
NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"


@pytest.fixture()
def site(aws, unique):
    """A cluster made directly in moto (not recorded); afterwards the service, task definitions, the scalable
    target and its policies of this site are removed whatever the test left."""
    ecs = aws("ecs", direct=True)
    ecs.create_cluster(clusterName=unique)
    yield unique
    run_playbook(play(unique, ecs_worker_service_state="absent"))
    scaling = aws("application-autoscaling", direct=True)
    resource = f"service/{unique}/{unique}-workers"
    for policy in scaling.describe_scaling_policies(ServiceNamespace=NAMESPACE, ResourceId=resource)["ScalingPolicies"]:
        if policy["ResourceId"] == resource:
            scaling.delete_scaling_policy(PolicyName=policy["PolicyName"], ServiceNamespace=NAMESPACE,
                                          ResourceId=resource, ScalableDimension=DIMENSION)
    if scalable_target(aws, unique):
        scaling.deregister_scalable_target(ServiceNamespace=NAMESPACE, ResourceId=resource, ScalableDimension=DIMENSION)
    ecs.delete_cluster(cluster=unique)


def play(site: str, tasks_from: str | None = None, **role_vars) -> list:
    role_vars = {
        "prefect_ecs_name": site,
        "ecs_worker_service_cluster": site,
        "ecs_worker_service_subnet_ids": os.environ["PREFECT_OPS_FIXTURE_SUBNET_IDS"].split(","),
        "ecs_worker_service_security_group_ids": [os.environ["PREFECT_OPS_FIXTURE_SECURITY_GROUP_ID"]],
        "ecs_worker_service_wait": False,  # moto's ECS runs nothing: the service never becomes stable
        "ecs_worker_service_autoscaling_enabled": True,
        "ecs_worker_service_autoscaling_min": 1,
        "ecs_worker_service_autoscaling_max": 4,
        **role_vars,
    }
    role = {"role": ROLE} if tasks_from is None else None
    return [{
        "name": "ecs_worker_service autoscaling under test", "hosts": "local", "gather_facts": False,
        "vars": role_vars,
        "roles": [role] if role else [],
        "tasks": [] if role else [{"name": "only the autoscaling tasks",
                                   "ansible.builtin.include_role": {"name": ROLE, "tasks_from": tasks_from}}],
    }]


def run(site, *, check=False, diff=False, **role_vars):
    result = run_playbook(play(site, **role_vars), check=check, diff=diff)
    assert result.rc == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result


def resource_id(site: str) -> str:
    return f"service/{site}/{site}-workers"


def scalable_target(aws, site) -> dict | None:
    targets = aws("application-autoscaling", direct=True).describe_scalable_targets(
        ServiceNamespace=NAMESPACE, ResourceIds=[resource_id(site)], ScalableDimension=DIMENSION)["ScalableTargets"]
    return targets[0] if targets else None


def policies(aws, site) -> dict:
    """policy name -> (type, metric, target value), of this site's service only."""
    found = aws("application-autoscaling", direct=True).describe_scaling_policies(
        ServiceNamespace=NAMESPACE, ResourceId=resource_id(site))["ScalingPolicies"]
    return {p["PolicyName"]: (p["PolicyType"],
                              p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"],
                              p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"])
            for p in found if p["ResourceId"] == resource_id(site)}


def wanted_policies(site, cpu=70.0, memory=80.0) -> dict:
    return {f"{site}-workers-cpu": ("TargetTrackingScaling", "ECSServiceAverageCPUUtilization", cpu),
            f"{site}-workers-memory": ("TargetTrackingScaling", "ECSServiceAverageMemoryUtilization", memory)}


def desired_count(aws, site) -> int:
    [service] = aws("ecs", direct=True).describe_services(cluster=site, services=[f"{site}-workers"])["services"]
    return service["desiredCount"]


def scaling_calls(aws_proxy, mark, site) -> list[str]:
    """The mutating application-autoscaling actions on this site's service since mark."""
    return [c["action"] for c in aws_proxy.mutating(mark)
            if c["service"] == "application-autoscaling" and resource_id(site) in str(c["params"])]


def test_autoscaling_created_check_mode_predicts_max_converges_count_left_alone(aws, aws_proxy, site):
    # check mode on a fresh site: no mutating call, the autoscaling is predicted
    mark = aws_proxy.mark()
    check = run(site, check=True, diff=True)
    assert aws_proxy.mutating(mark) == []
    assert scalable_target(aws, site) is None and policies(aws, site) == {}
    predicted = check.task(TASK)
    assert predicted["changed"]
    assert predicted["actions"] == [f"register scalable target {resource_id(site)} (min 1, max 4)",
                                    f"put scaling policy {site}-workers-cpu", f"put scaling policy {site}-workers-memory"]
    assert predicted["diff"]["after"]["scalable_target"] == {"min_capacity": 1, "max_capacity": 4}
    assert "autoscaling" in check.task("Publish the worker service and what this role changed")["ansible_facts"][
        "ecs_worker_service_changes"]

    apply = run(site)
    assert apply.changed() > 0 and apply.task(TASK)["actions"] == predicted["actions"]
    target = scalable_target(aws, site)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 4)
    assert policies(aws, site) == wanted_policies(site)

    # check mode on the converged site: still no mutating call, nothing moves, the diff shows the change
    mark = aws_proxy.mark()
    check = run(site, check=True, diff=True, ecs_worker_service_autoscaling_max=6)
    assert aws_proxy.mutating(mark) == []
    assert scalable_target(aws, site)["MaxCapacity"] == 4
    assert check.task(TASK)["diff"] == {"before": {"scalable_target": {"max_capacity": 4}},
                                        "after": {"scalable_target": {"max_capacity": 6}}}

    # a changed max (and target value) converges: one RegisterScalableTarget, one PutScalingPolicy
    mark = aws_proxy.mark()
    changed_run = run(site, ecs_worker_service_autoscaling_max=6, ecs_worker_service_autoscaling_cpu_target=60)
    target = scalable_target(aws, site)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 6)
    assert policies(aws, site) == wanted_policies(site, cpu=60.0)
    assert scaling_calls(aws_proxy, mark, site) == ["RegisterScalableTarget", "PutScalingPolicy"]
    assert changed_run.task(TASK)["policies"][0]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 60.0

    # with autoscaling the desired count is set at creation only: a changed value is neither compared nor sent
    assert desired_count(aws, site) == 1
    mark = aws_proxy.mark()
    run(site, ecs_worker_service_autoscaling_max=6, ecs_worker_service_autoscaling_cpu_target=60,
        ecs_worker_service_desired_count=3)
    assert [c["action"] for c in aws_proxy.mutating(mark) if c["service"] == "ecs"] == []
    assert desired_count(aws, site) == 1
    # ...and a count the autoscaler moved is not fought
    aws("ecs", direct=True).update_service(cluster=site, service=f"{site}-workers", desiredCount=2)
    run(site, ecs_worker_service_autoscaling_max=6, ecs_worker_service_autoscaling_cpu_target=60)
    assert desired_count(aws, site) == 2


def test_second_run_changes_nothing_and_makes_no_mutating_call(aws_proxy, site):
    run(site)
    mark = aws_proxy.mark()
    again = run(site)
    assert [c["action"] for c in aws_proxy.mutating(mark)] == []
    assert again.changed() == 0
    assert again.task(TASK)["actions"] == []


def test_emulator_ignores_policy_names(aws, site):
    """Why the module filters DescribeScalingPolicies by name itself: asked for the memory policy only, moto answers
    with the first policy of the resource, the CPU one (AWS filters by PolicyNames)."""
    run(site)
    first = aws("application-autoscaling", direct=True).describe_scaling_policies(
        ServiceNamespace=NAMESPACE, ResourceId=resource_id(site), ScalableDimension=DIMENSION,
        PolicyNames=[f"{site}-workers-memory"], MaxResults=1)["ScalingPolicies"]
    assert [p["PolicyName"] for p in first] == [f"{site}-workers-cpu"]


def test_turning_autoscaling_off_removes_the_policies_and_the_target(aws, aws_proxy, site):
    """tasks/autoscaling.yml with autoscaling turned off (or state absent) deletes both policies and deregisters the
    target; in check mode nothing; a re-run nothing."""
    run(site)
    assert policies(aws, site) == wanted_policies(site)
    mark = aws_proxy.mark()
    check = run_playbook(play(site, tasks_from="autoscaling", ecs_worker_service_autoscaling_enabled=False), check=True)
    assert check.rc == 0, check.stdout[-3000:]
    assert aws_proxy.mutating(mark) == [] and policies(aws, site) == wanted_policies(site)
    assert check.task(TASK)["actions"][-1] == f"deregister scalable target {resource_id(site)}"
    mark = aws_proxy.mark()
    result = run(site, ecs_worker_service_autoscaling_enabled=False)
    assert policies(aws, site) == {} and scalable_target(aws, site) is None
    assert scaling_calls(aws_proxy, mark, site) == ["DeleteScalingPolicy", "DeleteScalingPolicy", "DeregisterScalableTarget"]
    assert result.task(TASK)["changed"]
    mark = aws_proxy.mark()
    again = run(site, ecs_worker_service_autoscaling_enabled=False)
    assert again.changed() == 0 and aws_proxy.mutating(mark) == []


def test_teardown_removes_the_policies_and_the_scalable_target(aws, site):
    run(site)
    run(site, ecs_worker_service_state="absent")
    assert aws("ecs", direct=True).describe_services(cluster=site, services=[f"{site}-workers"])["services"][0]["status"] \
        in ("INACTIVE", "DRAINING")
    assert policies(aws, site) == {}
    assert scalable_target(aws, site) is None


def test_policies_of_other_names_are_left_alone_and_keep_the_target(aws, aws_proxy, site):
    run(site)
    scaling = aws("application-autoscaling", direct=True)
    scaling.put_scaling_policy(
        PolicyName="by-hand", ServiceNamespace=NAMESPACE, ResourceId=resource_id(site), ScalableDimension=DIMENSION,
        PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 50.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})
    present = run(site)
    assert present.task(TASK)["left_alone"] == ["by-hand"] and not present.task(TASK)["changed"]
    mark = aws_proxy.mark()
    off = run(site, ecs_worker_service_autoscaling_enabled=False)
    assert scaling_calls(aws_proxy, mark, site) == ["DeleteScalingPolicy", "DeleteScalingPolicy"]
    assert set(policies(aws, site)) == {"by-hand"} and scalable_target(aws, site) is not None
    assert any("left registered" in w for w in off.task(TASK).get("warnings", []))


def test_throttled_calls_converge(aws, aws_proxy, site):
    aws_proxy.faults({"mode": "first_attempt", "services": ["application-autoscaling"]})
    mark = aws_proxy.mark()
    run(site)
    calls = [c for c in aws_proxy.calls(mark) if c.get("service") == "application-autoscaling"]
    assert any(c["fault"] for c in calls)
    assert scaling_calls(aws_proxy, mark, site) == ["RegisterScalableTarget", "PutScalingPolicy", "PutScalingPolicy"]
    assert policies(aws, site) == wanted_policies(site)


def test_community_module_gap(aws, site):
    """community.aws.application_autoscaling_policy mutates in check mode and leaves the scalable target on absent;
    ours, on the same service, predicts without a call and deregisters it."""
    run(site, ecs_worker_service_autoscaling_enabled=False)  # the service only
    rid = resource_id(site)
    theirs = {"policy_name": f"{site}-workers-cpu", "service_namespace": NAMESPACE, "resource_id": rid,
              "scalable_dimension": DIMENSION, "policy_type": "TargetTrackingScaling", "minimum_tasks": 1,
              "maximum_tasks": 4, "target_tracking_scaling_policy_configuration": {
                  "TargetValue": 70.0, "PredefinedMetricSpecification": {
                      "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}}
    theirs_absent = {k: theirs[k] for k in ("policy_name", "service_namespace", "resource_id", "scalable_dimension",
                                            "policy_type")}
    ours = {"cluster": site, "service": f"{site}-workers", "min_capacity": 1, "max_capacity": 4,
            "target_tracking": [{"name": "cpu", "metric": "ECSServiceAverageCPUUtilization", "target_value": 70}]}
    ours_absent = {"cluster": site, "service": f"{site}-workers", "state": "absent"}
    results = run_steps([
        step(THEIRS, dict(theirs, state="present"), check=True),
        step(THEIRS, dict(theirs_absent, state="absent")),
        step(OURS, ours, check=True),
        step(OURS, ours),
        step(OURS, ours_absent, check=True),
        step(OURS, ours_absent),
    ], site)
    assert_ok(results)
    theirs_check, theirs_remove, ours_check, ours_apply, ours_remove_check, ours_remove = results
    # community.aws: check mode registers the target and puts the policy; absent deletes the policy, keeps the target
    assert actions(theirs_check) == ["RegisterScalableTarget", "PutScalingPolicy"]
    assert actions(theirs_remove) == ["DeleteScalingPolicy"]
    # ours: the target the community module left is adopted as is (min/max already equal), check mode calls nothing
    assert changed([ours_check, ours_apply, ours_remove_check, ours_remove]) == [True, True, True, True]
    assert actions(ours_check) == [] and actions(ours_remove_check) == []
    assert actions(ours_apply) == ["PutScalingPolicy"]
    assert actions(ours_remove) == ["DeleteScalingPolicy", "DeregisterScalableTarget"]
    assert scalable_target(aws, site) is None and policies(aws, site) == {}
