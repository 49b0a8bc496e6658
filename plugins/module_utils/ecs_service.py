# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An ECS service (module ecs_service): compared by meaning, updated in place where UpdateService
can, re-created only when asked to, removed only when the collection created it.

Every field the user sets is compared with what DescribeServices reports: subnets and security
groups as sets, assignPublicIp with its default (DISABLED), the deployment configuration by the keys
the user sets, the capacity provider strategy by provider (weight and base default 0), propagateTags
and enableExecuteCommand with their defaults (NONE, false). A field the user does not set is never
compared and never sent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_names as names
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import Changes
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import fail_on_problems
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import identity_and_region
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import plan_tags
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import run_state
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import tag_diff

FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
# Fields UpdateService changes in place, in the order they are compared and shown.
UPDATABLE = ("taskDefinition", "desiredCount", "capacityProviderStrategy", "networkConfiguration",
             "deploymentConfiguration", "healthCheckGracePeriodSeconds", "enableExecuteCommand", "propagateTags")
# Optional in DescribeServices' answer: AWS reports the grace period of services it applies to, an
# emulator may never report it (moto drops it on CreateService).
MAY_BE_UNREPORTED = ("healthCheckGracePeriodSeconds",)
POLL_SECONDS = 5
MAX_INT = 2147483647


def argument_spec():
    return dict(
        name=dict(type="str", required=True, aliases=["service"]),
        cluster=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        task_definition=dict(type="str"),
        desired_count=dict(type="int"),
        desired_count_on_create_only=dict(type="bool", default=False),
        launch_type=dict(type="str", choices=["FARGATE", "EC2", "EXTERNAL"]),
        capacity_provider_strategy=dict(
            type="list", elements="dict",
            options=dict(capacity_provider=dict(type="str", required=True), weight=dict(type="int"), base=dict(type="int")),
        ),
        network_configuration=dict(
            type="dict",
            options=dict(subnets=dict(type="list", elements="str"), security_groups=dict(type="list", elements="str"),
                         assign_public_ip=dict(type="bool", default=False)),
        ),
        deployment_configuration=dict(
            type="dict", apply_defaults=True,
            options=dict(
                minimum_healthy_percent=dict(type="int"),
                maximum_percent=dict(type="int"),
                deployment_circuit_breaker=dict(type="dict", apply_defaults=True, options=dict(
                    enable=dict(type="bool", default=True), rollback=dict(type="bool", default=True))),
            ),
        ),
        health_check_grace_period_seconds=dict(type="int"),
        enable_execute_command=dict(type="bool"),
        propagate_tags=dict(type="str", choices=["TASK_DEFINITION", "SERVICE", "NONE"]),
        force_new_deployment=dict(type="bool", default=False),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600),
        recreate=dict(type="bool", default=False),
        adopt=dict(type="bool", default=False),
        site=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )


MUTUALLY_EXCLUSIVE = [["launch_type", "capacity_provider_strategy"]]


# --- input -----------------------------------------------------------------------------------------


def uses_fargate(params):
    strategy = params.get("capacity_provider_strategy")
    if strategy:
        return any(item.get("capacity_provider") in FARGATE_PROVIDERS for item in strategy)
    return params.get("launch_type") in (None, "FARGATE")


def network_problems(params, needed_because=None):
    network = params.get("network_configuration")
    if network is None:
        if needed_because:
            return [f"network_configuration: {needed_because} needs network_configuration with subnets and security_groups "
                    "(awsvpc networking); set it"]
        return []
    problems = []
    subnets = network.get("subnets") or []
    groups = network.get("security_groups") or []
    if not subnets:
        problems.append("network_configuration.subnets: give at least one subnet ID (subnet-...) for the tasks")
    if not groups:
        problems.append(
            "network_configuration.security_groups: give at least one security group ID (sg-...); without one ECS puts "
            "the tasks in the VPC's default security group, which is rarely what a worker should have (and the moto "
            "emulator fails CreateService with KeyError 'securityGroups')")
    for i, subnet in enumerate(subnets):
        if not str(subnet).startswith("subnet-"):
            problems.append(f"network_configuration.subnets[{i}]: {subnet!r} is not a subnet ID; use the ID (subnet-...)")
    for i, group in enumerate(groups):
        if not str(group).startswith("sg-"):
            problems.append(f"network_configuration.security_groups[{i}]: {group!r} is not a security group ID; use the "
                            "ID (sg-...), not the name")
    return problems


def static_problems(params):
    """Every input problem found without an AWS call; each names the option and the fix."""
    problems = [names.check_name("ecs_service", params.get("name"), "name"), ecs.check_owner_tag(params.get("tags"))]
    problems += ecs.site_problems(params.get("site")) + ecs.site_tag_problems(params.get("tags"), params.get("site"))
    if not params.get("cluster"):
        problems.append("cluster: give the cluster name or ARN")
    if params.get("state", "present") == "absent":
        return [p for p in problems if p]
    if not params.get("task_definition"):
        problems.append("task_definition: give the task definition ARN (or family:revision) the service runs")
    count = params.get("desired_count")
    if count is not None and not 0 <= count <= MAX_INT:
        problems.append(f"desired_count: {count} is out of range; use 0 or more")
    if params.get("desired_count_on_create_only") and count is None:
        problems.append("desired_count: desired_count_on_create_only needs the desired_count to create the service with")
    if params.get("wait_timeout") is not None and params["wait_timeout"] < 1:
        problems.append("wait_timeout: use a number of seconds greater than 0")
    grace = params.get("health_check_grace_period_seconds")
    if grace is not None and not 0 <= grace <= MAX_INT:
        problems.append(f"health_check_grace_period_seconds: {grace} is out of range; use 0 or more seconds")
    strategy = params.get("capacity_provider_strategy")
    if strategy is not None:
        if not strategy:
            problems.append("capacity_provider_strategy: give at least one capacity provider, or use launch_type")
        if len(strategy) > 6:
            problems.append("capacity_provider_strategy: AWS allows at most 6 capacity providers in a strategy")
        providers = [item["capacity_provider"] for item in strategy]
        if len(set(providers)) != len(providers):
            problems.append("capacity_provider_strategy: each capacity provider may appear once")
        for i, item in enumerate(strategy):
            if item.get("weight") is not None and not 0 <= item["weight"] <= 1000:
                problems.append(f"capacity_provider_strategy[{i}].weight: use 0 to 1000")
            if item.get("base") is not None and not 0 <= item["base"] <= 100000:
                problems.append(f"capacity_provider_strategy[{i}].base: use 0 to 100000")
        if sum(1 for item in strategy if item.get("base")) > 1:
            problems.append("capacity_provider_strategy: only one capacity provider may have a base greater than 0")
    deployment = params.get("deployment_configuration") or {}
    low, high = deployment.get("minimum_healthy_percent"), deployment.get("maximum_percent")
    if low is not None and not 0 <= low <= 100:
        problems.append(f"deployment_configuration.minimum_healthy_percent: {low} is out of range; use 0 to 100")
    if high is not None and high < 1:
        problems.append(f"deployment_configuration.maximum_percent: {high} is out of range; use 1 or more (200 is the default)")
    if low is not None and high is not None and high <= low:
        problems.append(f"deployment_configuration.maximum_percent: {high} must be greater than minimum_healthy_percent "
                        f"({low}), or a deployment can never start a new task")
    needed = None
    if uses_fargate(params):
        needed = "Fargate (the launch type when none is set)" if not params.get("launch_type") and not strategy else "Fargate"
    problems += network_problems(params, needed)
    return [p for p in problems if p]


def resolve_task_definition_arn(value, identity, region):
    """(ARN or None, problem): an ARN is checked; family:revision becomes an ARN; a bare family needs a lookup."""
    value = (value or "").strip()
    if value.startswith("arn:"):
        problem = names.check_arn(value, "task_definition", "ecs", "task-definition", ecs.TASK_DEFINITION_ARN_EXAMPLE,
                                  identity=identity, region=region)
        if not problem and ecs.revision_of(value) is None:
            problem = f"task_definition: {value!r} has no revision; expected {ecs.TASK_DEFINITION_ARN_EXAMPLE}"
        return (None, problem) if problem else (value, None)
    if ":" in value:
        family, revision = value.rsplit(":", 1)
        problem = names.check_name("ecs_task_family", family, "task_definition")
        if problem or not revision.isdigit():
            return None, problem or f"task_definition: {value!r} is neither an ARN nor family:revision"
        return ecs.revision_arn(identity, region, family, revision), None
    problem = names.check_name("ecs_task_family", value, "task_definition")
    return None, problem


# --- desired values --------------------------------------------------------------------------------


def desired_network(params):
    network = params.get("network_configuration")
    if network is None:
        return None
    return {"awsvpcConfiguration": {
        "subnets": list(network.get("subnets") or []),
        "securityGroups": list(network.get("security_groups") or []),
        "assignPublicIp": "ENABLED" if network.get("assign_public_ip") else "DISABLED",
    }}


def desired_deployment(params):
    """The deployment configuration keys the user sets (the circuit breaker defaults to enable + rollback)."""
    deployment = params.get("deployment_configuration") or {}
    wanted = {}
    if deployment.get("minimum_healthy_percent") is not None:
        wanted["minimumHealthyPercent"] = deployment["minimum_healthy_percent"]
    if deployment.get("maximum_percent") is not None:
        wanted["maximumPercent"] = deployment["maximum_percent"]
    breaker = deployment.get("deployment_circuit_breaker")
    if breaker is not None:
        wanted["deploymentCircuitBreaker"] = {"enable": bool(breaker.get("enable", True)),
                                              "rollback": bool(breaker.get("rollback", True))}
    return wanted


def desired_fields(params, task_definition_arn):
    """UPDATABLE field -> desired value, for the fields the user sets."""
    wanted = {"taskDefinition": task_definition_arn}
    if params.get("desired_count") is not None:
        wanted["desiredCount"] = params["desired_count"]
    for key, value in (("capacityProviderStrategy", ecs.capacity_strategy(params.get("capacity_provider_strategy"))),
                       ("networkConfiguration", desired_network(params)),
                       ("deploymentConfiguration", desired_deployment(params) or None),
                       ("healthCheckGracePeriodSeconds", params.get("health_check_grace_period_seconds")),
                       ("enableExecuteCommand", params.get("enable_execute_command")),
                       ("propagateTags", params.get("propagate_tags"))):
        if value is not None:
            wanted[key] = value
    return wanted


# --- comparison ------------------------------------------------------------------------------------


def canonical(key, value, wanted=None):
    """A service field in the form where equal meaning gives equal values."""
    if key == "networkConfiguration":
        vpc = (value or {}).get("awsvpcConfiguration") or {}
        if not vpc:
            return None
        return {"subnets": sorted(vpc.get("subnets") or []), "securityGroups": sorted(vpc.get("securityGroups") or []),
                "assignPublicIp": vpc.get("assignPublicIp") or "DISABLED"}
    if key == "deploymentConfiguration":
        value = value or {}
        out = {}
        for field in (wanted or value):
            item = value.get(field)
            if field == "deploymentCircuitBreaker":
                item = {"enable": bool((item or {}).get("enable", False)), "rollback": bool((item or {}).get("rollback", False))}
            out[field] = item
        return out
    if key == "capacityProviderStrategy":
        return sorted(({"capacityProvider": i.get("capacityProvider"), "weight": i.get("weight") or 0,
                        "base": i.get("base") or 0} for i in value or []), key=lambda i: i["capacityProvider"]) or None
    if key == "enableExecuteCommand":
        return bool(value)
    if key == "propagateTags":
        return value or "NONE"
    return value


def plan_update(wanted, current, on_create_only=False):
    """(fields to send, before, after, unverified) for an existing service."""
    send, before, after, unverified = {}, {}, {}, []
    for key in UPDATABLE:
        if key not in wanted:
            continue
        if key == "desiredCount" and on_create_only:
            continue  # the count belongs to autoscaling once the service exists
        if key in MAY_BE_UNREPORTED and key not in current:
            # The endpoint does not report this field, so it cannot be compared: it is "unknown", not
            # "different". Sending it whenever it is unknown would make every run change something on an
            # endpoint that never reports it back (moto drops the grace period on CreateService); instead it
            # rides along with any other UpdateService this module sends (see converge), and is listed in
            # the result's `unverified`.
            unverified.append(key)
            continue
        want = canonical(key, wanted[key], wanted[key] if key == "deploymentConfiguration" else None)
        have = canonical(key, current.get(key), wanted[key] if key == "deploymentConfiguration" else None)
        if want != have:
            send[key] = wanted[key]
            if key == "deploymentConfiguration":  # only the keys that differ
                keys = [k for k in want if want.get(k) != have.get(k)]
                have, want = {k: have.get(k) for k in keys}, {k: want[k] for k in keys}
            before[key], after[key] = have, want
    return send, before, after, unverified


def merged_deployment(current, wanted, known_keys=None):
    """The deployment configuration to send: the service's current one, with the keys the user sets replaced."""
    merged = {k: copy.deepcopy(v) for k, v in (current or {}).items() if known_keys is None or k in known_keys}
    merged.update(copy.deepcopy(wanted))
    return merged


def _shape_members(client, shape):
    try:
        return set(client.meta.service_model.shape_for(shape).members)
    except Exception:  # pylint: disable=broad-except
        return None


def needs_recreate(params, current):
    """Why the existing service cannot take the desired launch configuration in place (None when it can)."""
    current_launch = current.get("launchType")
    launch = params.get("launch_type")
    if launch and current_launch and launch != current_launch:
        return f"launch_type: the service runs with launch type {current_launch}; ECS cannot change it to {launch} in place"
    if launch and not current_launch and current.get("capacityProviderStrategy"):
        return f"launch_type: the service uses a capacity provider strategy; ECS cannot change it to launch type {launch} in place"
    if params.get("capacity_provider_strategy") and current_launch:
        return (f"capacity_provider_strategy: the service runs with launch type {current_launch}; ECS cannot change it to a "
                "capacity provider strategy in place")
    return None


# --- reading ---------------------------------------------------------------------------------------


def read_cluster(client, cluster):
    response = client.describe_clusters(clusters=[cluster])
    for item in response.get("clusters") or []:
        if item.get("status") == "ACTIVE":
            return item
    return None


def read_service(client, cluster, name):
    """The service (ACTIVE or DRAINING) with its tags, or None."""
    try:
        response = client.describe_services(cluster=cluster, services=[name], include=["TAGS"])
    except is_boto3_error_code("ClusterNotFoundException"):
        return None
    for service in response.get("services") or []:
        if service.get("serviceName") == name and service.get("status") in ("ACTIVE", "DRAINING"):
            return service
    return None


def read_task_definition(client, value):
    try:
        return client.describe_task_definition(taskDefinition=value)["taskDefinition"]
    except is_boto3_error_code("ClientException"):
        return None


# --- waiting ---------------------------------------------------------------------------------------


def _events(service, count=3):
    return "; ".join(e.get("message", "") for e in (service.get("events") or [])[:count]) or "no service events"


def wait_stable(module, client, cluster, name, timeout, sleep=time.sleep, clock=time.time):
    """Poll until the service has one deployment and runs its desired count (the services-stable
    condition); fail when the deployment fails (circuit breaker) or at the timeout."""
    deadline = clock() + timeout
    while True:
        service = read_service(client, cluster, name) or {}
        deployments = service.get("deployments") or []
        primary = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
        if primary.get("rolloutState") == "FAILED":
            module.fail_json(msg=f"wait: the deployment of service {name} failed ({primary.get('rolloutStateReason')}); "
                                 f"recent events: {_events(service)}", service=ecs.jsonable(service))
        if len(deployments) == 1 and service.get("runningCount") == service.get("desiredCount"):
            return service
        if clock() >= deadline:
            module.fail_json(
                msg=(f"wait: service {name} did not become stable within {timeout} s (running "
                     f"{service.get('runningCount')} of {service.get('desiredCount')}, {len(deployments)} deployments); "
                     f"raise wait_timeout or look at the service events: {_events(service)}"),
                service=ecs.jsonable(service))
        sleep(min(POLL_SECONDS, max(0.5, deadline - clock())))


def wait_gone(module, client, cluster, name, timeout, sleep=time.sleep, clock=time.time):
    deadline = clock() + timeout
    while read_service(client, cluster, name) is not None:
        if clock() >= deadline:
            module.fail_json(msg=f"wait: service {name} was still draining after {timeout} s; raise wait_timeout")
        sleep(POLL_SECONDS)


# --- converge --------------------------------------------------------------------------------------


def create_payload(params, cluster, wanted, tags):
    payload = {"cluster": cluster, "serviceName": params["name"], "schedulingStrategy": "REPLICA"}
    payload.update({k: copy.deepcopy(v) for k, v in wanted.items()})
    if "capacityProviderStrategy" not in payload:
        payload["launchType"] = params.get("launch_type") or "FARGATE"
    payload["tags"] = ecs.dict_to_tags(tags)
    return payload


def predicted_service(payload, arn, cluster_arn):
    service = {k: copy.deepcopy(v) for k, v in payload.items() if k not in ("cluster", "clientToken")}
    service.update(serviceArn=arn, clusterArn=cluster_arn, status="ACTIVE", runningCount=0, pendingCount=0)
    return service


def _update(client, check_mode, cluster, name, fields):
    if check_mode or not fields:
        return None
    return client.update_service(cluster=cluster, service=name, **fields)["service"]


def _update_fields(client, send, wanted, current):
    """What to send to UpdateService: the differing fields (deployment configuration merged with the
    current one) plus what rides along (fields the endpoint does not report)."""
    fields = dict(send)
    if "deploymentConfiguration" in fields:
        known = _shape_members(client, "DeploymentConfiguration")
        fields["deploymentConfiguration"] = merged_deployment(current.get("deploymentConfiguration"),
                                                              wanted["deploymentConfiguration"], known)
    for key in MAY_BE_UNREPORTED:
        if fields and key in wanted and key not in current:
            fields[key] = wanted[key]
    return fields


def create(module, client, changes, params, cluster_arn, arn, wanted, tags):
    payload = create_payload(params, cluster_arn, wanted, tags)
    changes.created("service", f"create service {params['name']} in cluster {cluster_arn.rsplit('/', 1)[-1]}",
                    {k: v for k, v in payload.items() if k not in ("cluster", "serviceName")})
    if module.check_mode:
        return predicted_service(payload, arn, cluster_arn)
    service = client.create_service(**payload)["service"]
    # What the created service does not report as sent (the moto emulator ignores the deployment
    # configuration, grace period, execute command and capacity strategy of CreateService) is applied
    # with UpdateService in the same run, so the next run finds the service as desired instead of
    # changing it then. Against AWS the answer holds everything sent and no call is made.
    send = plan_update(wanted, service)[0]
    send.pop("desiredCount", None)
    fields = _update_fields(client, send, wanted, service)
    if fields:
        changes.actions.append(f"apply {', '.join(sorted(fields))} to service {params['name']} (not taken at creation)")
        service = _update(client, False, cluster_arn, params["name"], fields)
    return service


def remove_service(module, client, changes, cluster, current, wait):
    name = current["serviceName"]
    if current.get("desiredCount"):
        changes.actions.append(f"scale service {name} to 0")
        _update(client, module.check_mode, cluster, name, {"desiredCount": 0})
    changes.deleted("service", f"delete service {name}",
                    {k: current.get(k) for k in ("serviceArn", "status", "desiredCount", "taskDefinition")})
    if not module.check_mode:
        try:
            client.delete_service(cluster=cluster, service=name)
        except is_boto3_error_code("ServiceNotFoundException"):
            pass
        if wait:
            wait_gone(module, client, cluster, name, module.params["wait_timeout"])


def wanted_tags(params, current_tags):
    """(to_set, to_unset, after) of the service's tags: the task's, and the ownership tags of the run's site."""
    return plan_tags(current_tags, ecs.tags_without_site(params.get("tags")), params["purge_tags"],
                     ecs.site_ownership_tags(ecs.run_site(params)))


def ownership_problem(params, current):
    if ecs.owned_by_run(params, current) or params.get("adopt"):
        return None
    return (f"name: service {params['name']} exists but was not created by this collection for this site (it does "
            f"not carry {ecs.site_owner_text(ecs.run_site(params))}); set adopt: true to manage it (it then gets the tag, and state=absent may delete it)")


def converge(module, clients):
    params = module.params
    problems = static_problems(params)
    fail_on_problems(module, problems)
    identity, region = identity_and_region(module, clients, problems)
    cluster_name, cluster_arn, problem = ecs.resolve_cluster(params["cluster"], identity, region)
    td_arn, td_problem = resolve_task_definition_arn(params["task_definition"], identity, region)
    fail_on_problems(module, problems + [problem, td_problem])

    client = clients["ecs"]
    check_mode = module.check_mode
    warnings = []
    cluster = read_cluster(client, cluster_arn)
    if cluster is None:
        if not check_mode:
            fail_on_problems(module, [f"cluster: {params['cluster']} does not exist (or is INACTIVE); create it first"])
        warnings.append(f"cluster {params['cluster']} does not exist yet; check mode assumes an earlier task creates it")
    td = read_task_definition(client, td_arn or params["task_definition"])
    if td is None or td.get("status") != "ACTIVE":
        what = "does not exist" if td is None else f"is {td.get('status')} (deregistered)"
        if not check_mode or td is not None:
            fail_on_problems(module, [f"task_definition: {params['task_definition']} {what}; register it first "
                                      "(prefect_ops.ecs.ecs_task_definition) or use an ACTIVE revision"])
        td_arn = td_arn or params["task_definition"]
        warnings.append(f"task definition {params['task_definition']} does not exist yet; check mode assumes an earlier "
                        "task registers it")
    else:
        td_arn = td["taskDefinitionArn"]
        extra = []
        if td.get("networkMode") == "awsvpc":
            extra += network_problems(params, "the task definition's network mode awsvpc")
        compat = td.get("compatibilities") or td.get("requiresCompatibilities") or []
        launch = params.get("launch_type") or ("FARGATE" if not params.get("capacity_provider_strategy") else None)
        if launch and compat and launch not in compat:
            extra.append(f"task_definition: {td_arn} is not compatible with launch type {launch} (it is {', '.join(compat)}); "
                         "register it with that compatibility or change launch_type")
        fail_on_problems(module, extra)
    for warning in warnings:
        module.warn(warning)

    name = params["name"]
    current = read_service(client, cluster_arn, name) if cluster else None
    arn = current["serviceArn"] if current else ecs.service_arn(identity, region, cluster_name, name)
    wanted = desired_fields(params, td_arn)
    changes = Changes()
    unverified = []

    if current and current.get("status") == "DRAINING":
        # Being deleted: a service of the same name can be created once it is gone.
        if not check_mode:
            wait_gone(module, client, cluster_arn, name, params["wait_timeout"])
        current = None
    if current:
        fail_on_problems(module, [ownership_problem(params, current)])
        reason = needs_recreate(params, current)
        if reason and not params["recreate"]:
            fail_on_problems(module, [reason + "; set recreate: true to delete the service and create it again (its tasks are "
                                      "stopped), or keep the current setting"])
        if reason:
            # Re-created with the count it has unless one is given.
            wanted.setdefault("desiredCount", current.get("desiredCount") or 0)
            remove_service(module, client, changes, cluster_arn, current, wait=False)
            if not check_mode:
                wait_gone(module, client, cluster_arn, name, params["wait_timeout"])
            current = None
            arn = ecs.service_arn(identity, region, cluster_name, name)

    if current is None:
        if "desiredCount" not in wanted:
            fail_on_problems(module, [f"desired_count: service {name} does not exist yet; set desired_count to create it"])
        dummy, dummy, tags = wanted_tags(params, {})
        service = create(module, client, changes, params, cluster_arn, arn, wanted, tags)
    else:
        current_tags = ecs.tags_to_dict(current.get("tags"))
        send, before, after, unverified = plan_update(wanted, current, params["desired_count_on_create_only"])
        fields = _update_fields(client, send, wanted, current)
        if params["force_new_deployment"]:
            fields["forceNewDeployment"] = True
            before["forceNewDeployment"], after["forceNewDeployment"] = False, True
        service = copy.deepcopy(current)
        if fields:
            what = ", ".join(sorted(k for k in after))
            changes.updated("service", f"update service {name} ({what})", before, after)
            updated = _update(client, check_mode, cluster_arn, name, fields)
            if updated is None:  # check mode: the service as the update would leave it
                service.update({k: copy.deepcopy(v) for k, v in fields.items() if k != "forceNewDeployment"})
            else:
                service = dict(updated, tags=current.get("tags"))
        to_set, to_unset, tags = wanted_tags(params, current_tags)
        if to_set or to_unset:
            tags_before, tags_after = tag_diff(current_tags, tags)
            changes.updated("service", f"update tags of service {name}", {"tags": tags_before}, {"tags": tags_after})
            ecs.apply_tags(client, check_mode, arn, to_set, to_unset)
            service["tags"] = ecs.dict_to_tags(tags)

    if not check_mode:
        if params["wait"]:
            service = wait_stable(module, client, cluster_arn, name, params["wait_timeout"])
        elif changes.changed:
            service = read_service(client, cluster_arn, name) or service
    return changes.result(module, service=ecs.jsonable(service), service_arn=service.get("serviceArn", arn),
                          unverified=unverified)


def remove(module, clients):
    """state=absent: scale to 0 and delete the service, only when it carries the ownership tag."""
    params = module.params
    fail_on_problems(module, static_problems(params))
    client = clients["ecs"]
    changes = Changes()
    current = read_service(client, params["cluster"], params["name"])
    left_alone = []
    if current and current.get("status") == "ACTIVE":
        if ecs.owned_by_run(params, current):
            remove_service(module, client, changes, params["cluster"], current, params["wait"])
        else:
            left_alone.append(current["serviceArn"])
            module.warn(f"service {params['name']} was not created by this collection for this site (it does not carry "
                        f"{ecs.site_owner_text(ecs.run_site(params))}); left alone")
    return changes.result(module, service=None, service_arn=current["serviceArn"] if current else None,
                          left_alone=left_alone)


def run(module, clients):
    return run_state(module, clients, converge, remove, f"the ECS service {module.params['name']}")
