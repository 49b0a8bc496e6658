"""prefect_ops.ecs.ecs_service against the local stack (moto behind the recording proxy).

check -> apply -> check -> apply per meaningful option (changed true, true, false, false; check mode
and re-runs make no mutating AWS call), force_new_deployment, desired_count_on_create_only, launch
type changes and recreate, bad input, waiting, throttling, and state=absent removing only what the
collection created.
"""
from __future__ import annotations

import os

import pytest

from test_ecs_support import actions, assert_ok, changed, run_steps, step

MODULE = "prefect_ops.ecs.ecs_service"
OWNER = {"key": "prefect-ops:managed-by", "value": "prefect_ops.ecs"}


@pytest.fixture()
def setup(aws, unique):
    """A cluster and two task definition revisions, made directly in moto (not recorded)."""
    ecs = aws("ecs", direct=True)
    ecs.create_cluster(clusterName=unique)
    arns = []
    for image in ("img:1", "img:2"):
        arns.append(ecs.register_task_definition(
            family=f"{unique}-worker", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "worker", "image": image, "memory": 512}])["taskDefinition"]["taskDefinitionArn"])
    return {"cluster": unique, "task_definitions": arns, "subnets": os.environ["PREFECT_OPS_FIXTURE_SUBNET_IDS"].split(","),
            "security_group": os.environ["PREFECT_OPS_FIXTURE_SECURITY_GROUP_ID"]}


def service_args(setup, name="workers", **over):
    args = {
        "name": name,
        "cluster": setup["cluster"],
        "task_definition": setup["task_definitions"][0],
        "desired_count": 1,
        "launch_type": "FARGATE",
        "network_configuration": {"subnets": setup["subnets"], "security_groups": [setup["security_group"]]},
        "deployment_configuration": {"minimum_healthy_percent": 50, "maximum_percent": 200},
        "health_check_grace_period_seconds": 30,
        "enable_execute_command": False,
        "propagate_tags": "SERVICE",
        "tags": {"team": "data"},
    }
    args.update(over)
    return args


def cycle(args):
    return [step(MODULE, args, check=True), step(MODULE, args), step(MODULE, args, check=True), step(MODULE, args)]


def describe(aws, setup, name="workers"):
    services = aws("ecs", direct=True).describe_services(cluster=setup["cluster"], services=[name], include=["TAGS"])["services"]
    return services[0] if services else None


def update_params(result):
    """The body of the step's UpdateService call(s), merged."""
    body = {}
    for call in result["mutating"]:
        if call["action"] == "UpdateService":
            body.update(call["params"])
    return body


def assert_cycle(results, mutating):
    assert_ok(results)
    assert changed(results) == [True, True, False, False]
    assert results[0]["service_arn"] == results[1]["service_arn"] == results[3]["service_arn"]
    assert [actions(r) for r in results] == [[], mutating, [], []]


def test_create_then_each_option_updates_in_place_and_reruns_change_nothing(aws, setup):
    """One cycle per UpdateService field; several scalar fields share a cycle (each alone is a
    difference in the unit tests; here each must also read back equal from the endpoint)."""
    base = service_args(setup)
    network = dict(base["network_configuration"])
    changes = {
        "task_definition": ({"task_definition": setup["task_definitions"][1]}, {"taskDefinition"}),
        "desired_count": ({"desired_count": 2}, {"desiredCount"}),
        "network_configuration": ({"network_configuration": dict(network, subnets=setup["subnets"][:1],
                                                                 assign_public_ip=True)}, {"networkConfiguration"}),
        "deployment_configuration": ({"deployment_configuration": {
            "minimum_healthy_percent": 100, "maximum_percent": 200,
            "deployment_circuit_breaker": {"enable": True, "rollback": False}}}, {"deploymentConfiguration"}),
        "grace_exec_propagate": ({"health_check_grace_period_seconds": 90, "enable_execute_command": True,
                                  "propagate_tags": "TASK_DEFINITION"},
                                 {"healthCheckGracePeriodSeconds", "enableExecuteCommand", "propagateTags"}),
    }
    steps = cycle(base)
    args = dict(base)
    for change, dummy in changes.values():
        args = dict(args, **change)
        steps += cycle(args)
    reordered = dict(args, network_configuration=dict(args["network_configuration"], subnets=list(reversed(setup["subnets"]))))
    steps += [step(MODULE, dict(args, network_configuration=dict(args["network_configuration"], subnets=setup["subnets"]))),
              step(MODULE, reordered), step(MODULE, dict(reordered, tags={"team": "platform"}), check=True)]
    results = run_steps(steps, setup["cluster"])

    create = results[:4]
    assert_ok(create)
    assert changed(create) == [True, True, False, False]
    assert create[0]["service_arn"] == f"arn:aws:ecs:us-east-1:123456789012:service/{setup['cluster']}/workers"
    assert create[1]["service_arn"] == create[0]["service_arn"]
    # moto ignores CreateService's deployment configuration, grace period and execute command: the same
    # run applies them with UpdateService, so the second run finds nothing to do
    assert actions(create[1]) in (["CreateService"], ["CreateService", "UpdateService"])
    assert [actions(r) for r in (create[0], create[2], create[3])] == [[], [], []]
    created = create[1]["mutating"][0]["params"]
    assert OWNER in created["tags"] and created["deploymentConfiguration"] == {
        "minimumHealthyPercent": 50, "maximumPercent": 200, "deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    predicted, real = create[0]["service"], create[1]["service"]
    for key in ("serviceArn", "taskDefinition", "desiredCount", "launchType", "networkConfiguration", "propagateTags"):
        assert predicted[key] == real[key], key

    for n, (name, (dummy, keys)) in enumerate(changes.items(), start=1):
        run = results[4 * n:4 * n + 4]
        assert_cycle(run, ["UpdateService"])
        assert keys <= set(update_params(run[1])), (name, update_params(run[1]))
        assert set(run[0]["diff"]["after"]["service"]) == keys, (name, run[0]["diff"])
        for key in keys - {"deploymentConfiguration"}:
            assert run[0]["service"][key] == run[1]["service"][key], (name, key)
    # the deployment update sends the keys the task did not change too
    sent = update_params(results[4 * 4 + 1])["deploymentConfiguration"]
    assert sent == {"minimumHealthyPercent": 100, "maximumPercent": 200,
                    "deploymentCircuitBreaker": {"enable": True, "rollback": False}}
    assert results[4 * 4]["diff"] == {
        "before": {"service": {"deploymentConfiguration": {"minimumHealthyPercent": 50,
                                                           "deploymentCircuitBreaker": {"enable": True, "rollback": True}}}},
        "after": {"service": {"deploymentConfiguration": {"minimumHealthyPercent": 100,
                                                          "deploymentCircuitBreaker": {"enable": True, "rollback": False}}}}}

    two_subnets, reorder, retag = results[-3:]
    assert two_subnets["changed"] and actions(two_subnets) == ["UpdateService"]
    assert not reorder["changed"] and actions(reorder) == []
    assert retag["changed"] and actions(retag) == []
    assert retag["diff"]["after"] == {"service": {"tags": {"team": "platform"}}}

    final = describe(aws, setup)
    assert final["taskDefinition"] == setup["task_definitions"][1] and final["desiredCount"] == 2
    assert final["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": setup["subnets"], "securityGroups": [setup["security_group"]], "assignPublicIp": "ENABLED"}
    assert final["healthCheckGracePeriodSeconds"] == 90 and final["enableExecuteCommand"] is True
    assert final["propagateTags"] == "TASK_DEFINITION"


def test_force_new_deployment_and_count_owned_by_autoscaling(aws, setup):
    base = service_args(setup, desired_count_on_create_only=True)
    forced = dict(base, force_new_deployment=True)
    results = run_steps([step(MODULE, base), step(MODULE, forced, check=True), step(MODULE, forced),
                         step(MODULE, dict(base, desired_count=5))], setup["cluster"])
    assert_ok(results)
    create, check, force, other_count = results
    assert check["changed"] and actions(check) == []
    assert force["changed"] and actions(force) == ["UpdateService"]
    assert update_params(force) == {"cluster": f"arn:aws:ecs:us-east-1:123456789012:cluster/{setup['cluster']}",
                                    "service": "workers", "forceNewDeployment": True}
    assert not other_count["changed"] and actions(other_count) == []
    # the autoscaler moves the count: never fought
    aws("ecs", direct=True).update_service(cluster=setup["cluster"], service="workers", desiredCount=4)
    again = run_steps([step(MODULE, base)], setup["cluster"])[0]
    assert not again["changed"] and actions(again) == []
    assert describe(aws, setup)["desiredCount"] == 4
    assert create["service"]["desiredCount"] == 1


def test_launch_type_change_needs_recreate(aws, setup):
    base = service_args(setup)
    ec2 = dict(base, launch_type="EC2")
    results = run_steps([step(MODULE, base), step(MODULE, ec2), step(MODULE, dict(ec2, recreate=True), check=True),
                         step(MODULE, dict(ec2, recreate=True)), step(MODULE, ec2)], setup["cluster"])
    create, refused, check, recreate, again = results
    assert not create.get("failed")
    assert refused.get("failed") and refused["msg"].count("launch_type:") == 1 and "recreate: true" in refused["msg"]
    assert actions(refused) == []
    assert check["changed"] and actions(check) == []
    assert not recreate.get("failed"), recreate.get("msg")
    assert actions(recreate)[:2] == ["UpdateService", "DeleteService"] and "CreateService" in actions(recreate)
    assert not again["changed"] and actions(again) == []
    assert describe(aws, setup)["launchType"] == "EC2"


def test_bad_input_fails_before_any_change(aws, setup, unique):
    base = service_args(setup)
    no_groups = dict(base, network_configuration={"subnets": setup["subnets"]})
    no_network = {k: v for k, v in base.items() if k != "network_configuration"}
    missing_td = dict(base, task_definition=f"{unique}-nothing:7")
    aws("ecs", direct=True).create_service(
        cluster=setup["cluster"], serviceName="by-hand", taskDefinition=setup["task_definitions"][0], desiredCount=0,
        launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
            "subnets": setup["subnets"], "securityGroups": [setup["security_group"]]}})
    foreign = service_args(setup, name="by-hand", desired_count=0)
    fresh = dict(base, cluster=f"{unique}-nocluster", task_definition=f"{unique}-nothing:1")
    results = run_steps([step(MODULE, no_groups), step(MODULE, no_network), step(MODULE, missing_td),
                         step(MODULE, foreign), step(MODULE, dict(base, cluster=f"{unique}-nocluster")),
                         step(MODULE, fresh, check=True)], setup["cluster"])
    # check mode on a fresh account: the cluster and task definition an earlier task of the run would
    # create do not exist yet; the module warns and predicts instead of failing
    predicted = results.pop()
    assert not predicted.get("failed") and predicted["changed"] and actions(predicted) == []
    assert predicted["service_arn"] == f"arn:aws:ecs:us-east-1:123456789012:service/{unique}-nocluster/workers"
    assert predicted["service"]["taskDefinition"] == f"arn:aws:ecs:us-east-1:123456789012:task-definition/{unique}-nothing:1"
    assert len(predicted["warnings"]) == 2
    expected = ["network_configuration.security_groups:", "network_configuration: Fargate", "task_definition:",
                "name: service by-hand exists but was not created by this collection", "cluster:"]
    for message, result in zip(expected, results):
        assert result.get("failed") and message in result["msg"], (message, result.get("msg"))
        assert actions(result) == [], message
    assert "default security group" in results[0]["msg"]
    assert describe(aws, setup) is None
    assert describe(aws, setup, "by-hand").get("tags", []) == []


def test_wait_for_a_stable_service_and_its_timeout(aws, setup):
    idle = service_args(setup, name="idle", desired_count=0, wait=True)
    busy = service_args(setup, name="busy", desired_count=1, wait=True, wait_timeout=2)
    results = run_steps([step(MODULE, idle), step(MODULE, busy)], setup["cluster"])
    assert not results[0].get("failed") and results[0]["service"]["runningCount"] == 0
    # moto starts no task after CreateService (runningCount 0): the wait times out, and says so
    assert results[1].get("failed")
    assert "did not become stable within 2 s (running 0 of 1" in results[1]["msg"] and "wait_timeout" in results[1]["msg"]


def test_throttled_calls_converge_without_a_duplicate_service(aws, aws_proxy, setup):
    args = service_args(setup)
    aws_proxy.faults({"mode": "first_attempt"})
    results = run_steps([step(MODULE, args), step(MODULE, args)], setup["cluster"])
    assert_ok(results)
    assert changed(results) == [True, False]
    assert any(c["fault"] and c["action"] == "CreateService" for c in results[0]["calls"])
    assert actions(results[0]).count("CreateService") == 1 and actions(results[1]) == []


def test_absent_removes_only_what_the_collection_created(aws, setup):
    aws("ecs", direct=True).create_service(
        cluster=setup["cluster"], serviceName="by-hand", taskDefinition=setup["task_definitions"][0], desiredCount=1,
        launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
            "subnets": setup["subnets"], "securityGroups": [setup["security_group"]]}})
    absent = {"name": "workers", "cluster": setup["cluster"], "state": "absent"}
    foreign = {"name": "by-hand", "cluster": setup["cluster"], "state": "absent"}
    results = run_steps([step(MODULE, service_args(setup)), step(MODULE, foreign), step(MODULE, absent, check=True),
                         step(MODULE, absent), step(MODULE, absent)], setup["cluster"])
    assert_ok(results)
    left, check, apply, again = results[1:]
    assert not left["changed"] and left["left_alone"] and actions(left) == []
    assert check["changed"] and actions(check) == []
    assert check["actions"] == ["scale service workers to 0", "delete service workers"]
    assert actions(apply) == ["UpdateService", "DeleteService"]
    assert update_params(apply)["desiredCount"] == 0
    assert not again["changed"] and actions(again) == []
    assert describe(aws, setup)["status"] == "INACTIVE"
    assert describe(aws, setup, "by-hand")["status"] == "ACTIVE"
