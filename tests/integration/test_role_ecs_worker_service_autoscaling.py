"""Role ecs_worker_service with ecs_worker_service_autoscaling_enabled against the local stack (moto behind
the recording proxy): the scalable target (min/max) and the two target-tracking policies, read back with
boto3 application-autoscaling; check mode; a changed max; the desired count set at creation only; teardown.

Two expectations cannot hold today and are marked xfail (strict: they fail loudly once they pass):
- a second run is not a no-op on the emulator: moto 5.2.5's DescribeScalingPolicies ignores PolicyNames
  (test_emulator_ignores_policy_names proves it), and community.aws.application_autoscaling_policy compares
  the memory policy with the first policy the call returns (the CPU one), so it puts it again every run;
- teardown (ecs_worker_service_state: absent) keeps the policies and the scalable target: tasks/converge.yml
  includes tasks/autoscaling.yml only for state present, and no module of amazon.aws / community.aws
  deregisters a scalable target (community.aws.application_autoscaling_policy only deletes policies).
"""
from __future__ import annotations

import os

import pytest

from stacktools.ansible_run import run_playbook

ROLE = "prefect_ops.ecs.ecs_worker_service"
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


def run(site, *, check=False, **role_vars):
    result = run_playbook(play(site, **role_vars), check=check)
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


def test_autoscaling_created_check_mode_mutates_nothing_max_converges_count_left_alone(aws, aws_proxy, site):
    # check mode on a fresh site: no mutating call (the autoscaling module is not called: it ignores check mode)
    mark = aws_proxy.mark()
    check = run(site, check=True)
    assert aws_proxy.mutating(mark) == []
    assert scalable_target(aws, site) is None and policies(aws, site) == {}
    assert "is not previewed" in check.task("Say that check mode does not preview the autoscaling")["msg"]

    apply = run(site)
    assert apply.changed() > 0
    target = scalable_target(aws, site)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 4)
    assert policies(aws, site) == wanted_policies(site)

    # check mode on the converged site: still no mutating call, nothing moves
    mark = aws_proxy.mark()
    run(site, check=True, ecs_worker_service_autoscaling_max=6)
    assert aws_proxy.mutating(mark) == []
    assert scalable_target(aws, site)["MaxCapacity"] == 4

    # a changed max (and target value) converges
    mark = aws_proxy.mark()
    run(site, ecs_worker_service_autoscaling_max=6, ecs_worker_service_autoscaling_cpu_target=60)
    target = scalable_target(aws, site)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 6)
    assert policies(aws, site) == wanted_policies(site, cpu=60.0)
    assert "RegisterScalableTarget" in [c["action"] for c in aws_proxy.mutating(mark)]

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


@pytest.mark.xfail(strict=True, reason="moto 5.2.5's DescribeScalingPolicies ignores PolicyNames, so "
                   "community.aws.application_autoscaling_policy re-puts the memory policy every run (see the module docstring)")
def test_second_run_changes_nothing_and_makes_no_mutating_call(aws_proxy, site):
    run(site)
    mark = aws_proxy.mark()
    again = run(site)
    assert [c["action"] for c in aws_proxy.mutating(mark)] == []
    assert again.changed() == 0


def test_emulator_ignores_policy_names(aws, site):
    """Why the test above fails on the emulator, not on AWS: asked for the memory policy only, moto answers with the
    first policy of the resource, the CPU one (AWS filters by PolicyNames)."""
    run(site)
    first = aws("application-autoscaling", direct=True).describe_scaling_policies(
        ServiceNamespace=NAMESPACE, ResourceId=resource_id(site), ScalableDimension=DIMENSION,
        PolicyNames=[f"{site}-workers-memory"], MaxResults=1)["ScalingPolicies"]
    assert [p["PolicyName"] for p in first] == [f"{site}-workers-cpu"]


def test_autoscaling_tasks_remove_the_policies_when_not_wanted(aws, aws_proxy, site):
    """tasks/autoscaling.yml with state absent (or autoscaling turned off) deletes both policies, in check mode nothing."""
    run(site)
    assert policies(aws, site) == wanted_policies(site)
    mark = aws_proxy.mark()
    run_playbook(play(site, tasks_from="autoscaling", ecs_worker_service_autoscaling_enabled=False), check=True)
    assert aws_proxy.mutating(mark) == [] and policies(aws, site) == wanted_policies(site)
    result = run_playbook(play(site, tasks_from="autoscaling", ecs_worker_service_state="absent"))
    assert result.rc == 0, result.stdout[-3000:]
    assert policies(aws, site) == {}
    # the scalable target stays: no module deregisters it (see test_teardown_... below)
    assert scalable_target(aws, site) is not None
    mark = aws_proxy.mark()
    again = run_playbook(play(site, tasks_from="autoscaling", ecs_worker_service_state="absent"))
    assert again.rc == 0 and again.changed() == 0 and aws_proxy.mutating(mark) == []


@pytest.mark.xfail(strict=True, reason="tasks/converge.yml includes autoscaling.yml only for state present, and no "
                   "amazon.aws/community.aws module deregisters a scalable target (see the module docstring)")
def test_teardown_removes_the_policies_and_the_scalable_target(aws, site):
    run(site)
    run(site, ecs_worker_service_state="absent")
    assert aws("ecs", direct=True).describe_services(cluster=site, services=[f"{site}-workers"])["services"][0]["status"] \
        in ("INACTIVE", "DRAINING")
    assert policies(aws, site) == {}
    assert scalable_target(aws, site) is None
