"""Why the collection has its own ecs_task_definition and ecs_service: the maintained community.aws
modules (10.0.0) do not converge on changes the Prefect worker needs. Each test first asserts the
community module's actual behaviour - so it fails, and tells us to drop our module, the day upstream
fixes it - then shows that ours converges on the same change.

What community.aws.ecs_taskdefinition compares (plugins/modules/ecs_taskdefinition.py, main()):
without `revision`, it walks the family's ACTIVE revisions, oldest first, and reuses the first whose
taskRoleArn equals task_role_arn, whose requiresCompatibilities contains launch_type, and whose
volumes and containers "have the values of" the requested ones (each requested key equal, or both
empty; lists of equal length, each requested element contained). It never looks at
executionRoleArn, task-level cpu and memory, networkMode, runtimePlatform or placementConstraints,
so a change of only those returns the old revision with changed=false.

What community.aws.ecs_service compares (EcsServiceManager.is_matching_service): the task
definition (by its family:revision), the health check grace period (when set), load balancers,
propagateTags, tags, enableExecuteCommand and desiredCount. It never looks at networkConfiguration
or deploymentConfiguration, so a re-run that changes only those reports ok and calls nothing.
"""
from __future__ import annotations

import os

from test_ecs_support import actions, assert_ok, changed, run_steps, step

OURS_TD = "prefect_ops.ecs.ecs_task_definition"
THEIRS_TD = "community.aws.ecs_taskdefinition"
OURS_SVC = "prefect_ops.ecs.ecs_service"
THEIRS_SVC = "community.aws.ecs_service"
ROLE = "arn:aws:iam::123456789012:role/{}"
CONTAINERS = [{"name": "worker", "image": "prefecthq/prefect:3-latest", "memory": 512, "essential": True,
               "command": ["prefect", "worker", "start", "--pool", "p", "--type", "ecs"]}]


def theirs_td(family, role="exec", cpu="256", memory="512"):
    return {"family": family, "state": "present", "containers": CONTAINERS, "launch_type": "FARGATE",
            "network_mode": "awsvpc", "cpu": cpu, "memory": memory, "execution_role_arn": ROLE.format(role)}


def ours_td(family, role="exec", cpu="256", memory="512"):
    return {"family": family, "container_definitions": CONTAINERS, "cpu": cpu, "memory": memory,
            "execution_role_arn": ROLE.format(role)}


def revisions(aws, family):
    ecs = aws("ecs", direct=True)
    arns = ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]
    out = {}
    for arn in arns:
        td = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        out[td["revision"]] = (td["executionRoleArn"], td["cpu"], td["memory"])
    return out


def test_task_definition_execution_role_and_task_size_changes(aws, unique):
    family = f"{unique}-gap"
    results = run_steps([
        step(THEIRS_TD, theirs_td(family)),
        step(THEIRS_TD, theirs_td(family, role="exec-2")),
        step(THEIRS_TD, theirs_td(family, cpu="512", memory="1024")),
        # ours on the same family: the community module's revision already has the desired meaning
        step(OURS_TD, ours_td(family)),
        step(OURS_TD, ours_td(family, role="exec-2")),
        step(OURS_TD, ours_td(family, role="exec-2", cpu="512", memory="1024")),
        step(OURS_TD, ours_td(family, role="exec-2", cpu="512", memory="1024")),
    ], unique)
    assert_ok(results)
    theirs, ours = results[:3], results[3:]
    # community.aws: the execution role change and the task size change both return revision 1, unchanged
    assert changed(theirs) == [True, False, False]
    assert [actions(r) for r in theirs] == [["RegisterTaskDefinition"], [], []]
    assert [r["taskdefinition"]["revision"] for r in theirs] == [1, 1, 1]
    assert theirs[2]["taskdefinition"]["executionRoleArn"] == ROLE.format("exec")
    # ours: same meaning -> nothing; each change -> one new revision; re-run -> nothing
    assert changed(ours) == [False, True, True, False]
    assert [actions(r) for r in ours] == [[], ["RegisterTaskDefinition"], ["RegisterTaskDefinition"], []]
    assert revisions(aws, family) == {1: (ROLE.format("exec"), "256", "512"), 2: (ROLE.format("exec-2"), "256", "512"),
                                      3: (ROLE.format("exec-2"), "512", "1024")}


def test_service_network_and_deployment_configuration_changes(aws, unique):
    ecs = aws("ecs", direct=True)
    ecs.create_cluster(clusterName=unique)
    td = ecs.register_task_definition(
        family=f"{unique}-worker", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=CONTAINERS)["taskDefinition"]
    subnets = os.environ["PREFECT_OPS_FIXTURE_SUBNET_IDS"].split(",")
    group = os.environ["PREFECT_OPS_FIXTURE_SECURITY_GROUP_ID"]

    def theirs(subnet_ids, minimum):
        # the task definition as family:revision: with the ARN the community module never matches at all
        return {"name": "workers", "cluster": unique, "state": "present", "task_definition": f"{td['family']}:1",
                "desired_count": 1, "launch_type": "FARGATE",
                "network_configuration": {"subnets": subnet_ids, "security_groups": [group], "assign_public_ip": False},
                "deployment_configuration": {"minimum_healthy_percent": minimum, "maximum_percent": 200}}

    def ours(subnet_ids, minimum):
        return {"name": "workers", "cluster": unique, "task_definition": td["taskDefinitionArn"], "desired_count": 1,
                "launch_type": "FARGATE", "adopt": True,
                "network_configuration": {"subnets": subnet_ids, "security_groups": [group]},
                "deployment_configuration": {"minimum_healthy_percent": minimum, "maximum_percent": 200}}

    def live():
        service = ecs.describe_services(cluster=unique, services=["workers"])["services"][0]
        return (sorted(service["networkConfiguration"]["awsvpcConfiguration"]["subnets"]),
                (service.get("deploymentConfiguration") or {}).get("minimumHealthyPercent"))

    created = run_steps([step(THEIRS_SVC, theirs(subnets, 50))], unique)[0]
    assert created["changed"] and "CreateService" in actions(created)
    # moto keeps no deploymentConfiguration from CreateService; set the starting point directly
    ecs.update_service(cluster=unique, service="workers",
                       deploymentConfiguration={"minimumHealthyPercent": 50, "maximumPercent": 200})
    assert live() == (sorted(subnets), 50)

    results = run_steps([
        step(THEIRS_SVC, theirs(subnets[:1], 50)),
        step(THEIRS_SVC, theirs(subnets, 100)),
        step(OURS_SVC, ours(subnets, 50)),  # adopt: takes the service over (ownership tag, circuit breaker default)
        step(OURS_SVC, ours(subnets[:1], 50)),
        step(OURS_SVC, ours(subnets[:1], 100)),
        step(OURS_SVC, ours(subnets[:1], 100)),
    ], unique)
    assert_ok(results)
    theirs_network, theirs_deployment, adopt, network, deployment, again = results
    # community.aws: neither change is applied, and the run says nothing changed
    assert changed([theirs_network, theirs_deployment]) == [False, False]
    assert actions(theirs_network) == [] and actions(theirs_deployment) == []
    assert adopt["changed"]
    # ours: each change is one UpdateService carrying exactly that field; the re-run changes nothing
    assert network["changed"] and actions(network) == ["UpdateService"]
    assert set(network["mutating"][0]["params"]) == {"cluster", "service", "networkConfiguration"}
    assert deployment["changed"] and actions(deployment) == ["UpdateService"]
    assert set(deployment["mutating"][0]["params"]) == {"cluster", "service", "deploymentConfiguration"}
    assert not again["changed"] and actions(again) == []
    assert live() == ([subnets[0]], 100)
