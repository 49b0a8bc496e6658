# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An ECS service's desired-count autoscaling as one resource (module ecs_service_autoscaling): the
Application Auto Scaling scalable target (min/max) of ``service/<cluster>/<service>`` and its
target-tracking scaling policies.

Ownership: the policies of that service whose names start with ``policy_name_prefix`` (default
``<service>-``) are this module's; each wanted policy is named ``<prefix><name>``. Policies of other
names are never put, changed or deleted, and while such policies (or scheduled actions) exist the
scalable target is not deregistered (deregistering a target deletes every policy and scheduled action
attached to it).

Comparison by meaning: min/max as integers; a policy by its type, metric, resource label, target value
(as a float), cooldowns (not reported = the ECS default of 300 s) and disable_scale_in (not reported =
false). DescribeScalingPolicies is read for the whole resource and filtered by resource, dimension and
name here: moto 5.2.5 ignores ``PolicyNames`` and matches ``ResourceId`` as a substring.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import math
import re

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_names as names
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import Changes
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import clients as aws_clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import fail_on_problems
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import identity_and_region
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import retry_decorator
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import run_state
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ecs_service import read_service

NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
POLICY_TYPE = "TargetTrackingScaling"
CPU_METRIC = "ECSServiceAverageCPUUtilization"
MEMORY_METRIC = "ECSServiceAverageMemoryUtilization"
ALB_METRIC = "ALBRequestCountPerTarget"
METRICS = (CPU_METRIC, MEMORY_METRIC, ALB_METRIC)
# What Application Auto Scaling uses for an ECS service when a cooldown is not given.
DEFAULT_COOLDOWN = 300
MAX_INT = 2147483647
MAX_POLICY_NAME = 256
# Application Auto Scaling answers a change racing another one on the same target with this code;
# retried like throttling.
RETRY_CODES = ["ConcurrentUpdateException"]
POLICY_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
PREFIX_RE = re.compile(r"^[A-Za-z0-9_./:-]+$")
RESOURCE_LABEL_RE = re.compile(r"^app/[^/]+/[0-9a-f]+/targetgroup/[^/]+/[0-9a-f]+$")
RESOURCE_LABEL_EXAMPLE = "app/<load balancer name>/<load balancer id>/targetgroup/<target group name>/<target group id>"


def argument_spec():
    return dict(
        cluster=dict(type="str", required=True),
        service=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        min_capacity=dict(type="int"),
        max_capacity=dict(type="int"),
        target_tracking=dict(
            type="list", elements="dict", default=[],
            options=dict(
                name=dict(type="str", required=True),
                metric=dict(type="str", required=True, choices=list(METRICS)),
                resource_label=dict(type="str"),
                target_value=dict(type="float", required=True),
                scale_in_cooldown=dict(type="int", default=DEFAULT_COOLDOWN),
                scale_out_cooldown=dict(type="int", default=DEFAULT_COOLDOWN),
                disable_scale_in=dict(type="bool", default=False),
            ),
        ),
        policy_name_prefix=dict(type="str"),
    )


# --- input -----------------------------------------------------------------------------------------


def policy_prefix(params):
    """The ownership prefix: policy_name_prefix, else ``<service>-``."""
    prefix = params.get("policy_name_prefix")
    return f"{params.get('service')}-" if prefix is None else prefix


def policy_name(prefix, name):
    return f"{prefix}{name}"


def resource_id(cluster_name, service):
    return f"service/{cluster_name}/{service}"


def _item_problems(i, item, prefix):
    field = f"target_tracking[{i}]"
    problems = []
    name = item.get("name") or ""
    if not POLICY_NAME_RE.match(name):
        problems.append(f"{field}.name: {name!r} is not a valid name; use letters, digits, '-', '_' and '.' (the policy "
                        f"is named policy_name_prefix + name, e.g. {prefix}cpu)")
    elif len(policy_name(prefix, name)) > MAX_POLICY_NAME:
        problems.append(f"{field}.name: the policy name {policy_name(prefix, name)!r} is longer than {MAX_POLICY_NAME} "
                        "characters; shorten the name or policy_name_prefix")
    metric = item.get("metric")
    if metric not in METRICS:
        problems.append(f"{field}.metric: {metric!r} is not a predefined ECS service metric; use one of {', '.join(METRICS)}")
    label = item.get("resource_label")
    if metric == ALB_METRIC:
        if not label:
            problems.append(f"{field}.resource_label: the metric {ALB_METRIC} needs the target group as resource_label "
                            f"({RESOURCE_LABEL_EXAMPLE}); set it")
        elif not RESOURCE_LABEL_RE.match(label):
            problems.append(f"{field}.resource_label: {label!r} is not a load balancer target group label; use "
                            f"{RESOURCE_LABEL_EXAMPLE} (the end of the load balancer ARN and of the target group ARN)")
    elif label:
        problems.append(f"{field}.resource_label: only the metric {ALB_METRIC} takes a resource_label; remove it")
    value = item.get("target_value")
    if value is None or not math.isfinite(value) or value <= 0:
        problems.append(f"{field}.target_value: {value!r} is not a positive number; use the metric value to keep the "
                        "service at (e.g. 70 for 70 % CPU)")
    for key in ("scale_in_cooldown", "scale_out_cooldown"):
        seconds = item.get(key)
        if seconds is not None and not 0 <= seconds <= MAX_INT:
            problems.append(f"{field}.{key}: {seconds} is out of range; use 0 or more seconds")
    return problems


def static_problems(params):
    """Every input problem found without an AWS call; each names the option and the fix."""
    problems = [names.check_name("ecs_service", params.get("service"), "service")]
    if not params.get("cluster"):
        problems.append("cluster: give the cluster name or ARN")
    prefix = policy_prefix(params)
    if not prefix:
        problems.append("policy_name_prefix: an empty prefix would make every scaling policy of the service this "
                        "module's (and delete those not listed); give a prefix such as '<service>-', or leave it unset")
    elif not PREFIX_RE.match(prefix):
        problems.append(f"policy_name_prefix: {prefix!r} is not valid; use letters, digits, '-', '_', '.', '/' and ':'")
    if params.get("state", "present") == "absent":
        return [p for p in problems if p]
    low, high = params.get("min_capacity"), params.get("max_capacity")
    if low is None:
        problems.append("min_capacity: set the lowest number of tasks autoscaling may scale the service to (0 or more)")
    elif not 0 <= low <= MAX_INT:
        problems.append(f"min_capacity: {low} is out of range; use 0 or more tasks")
    if high is None:
        problems.append("max_capacity: set the highest number of tasks autoscaling may scale the service to")
    elif not 0 <= high <= MAX_INT:
        problems.append(f"max_capacity: {high} is out of range; use 0 or more tasks")
    if low is not None and high is not None and 0 <= low and low > high:
        problems.append(f"max_capacity: {high} is less than min_capacity ({low}); set max_capacity to min_capacity or more")
    seen = set()
    for i, item in enumerate(params.get("target_tracking") or []):
        problems += _item_problems(i, item, prefix or "")
        name = item.get("name")
        if name in seen:
            problems.append(f"target_tracking[{i}].name: {name!r} is used twice; each policy needs its own name")
        seen.add(name)
    return [p for p in problems if p]


# --- desired values and comparison by meaning ------------------------------------------------------


def desired_configuration(item):
    """The TargetTrackingScalingPolicyConfiguration PutScalingPolicy sends for a target_tracking item."""
    spec = {"PredefinedMetricType": item["metric"]}
    if item["metric"] == ALB_METRIC:
        spec["ResourceLabel"] = item["resource_label"]
    return {
        "TargetValue": float(item["target_value"]),
        "PredefinedMetricSpecification": spec,
        "ScaleInCooldown": _cooldown(item.get("scale_in_cooldown")),
        "ScaleOutCooldown": _cooldown(item.get("scale_out_cooldown")),
        "DisableScaleIn": bool(item.get("disable_scale_in")),
    }


def _cooldown(value):
    return DEFAULT_COOLDOWN if value is None else int(value)


def desired_policies(params):
    """Policy name -> TargetTrackingScalingPolicyConfiguration, in the order given."""
    prefix = policy_prefix(params)
    return {policy_name(prefix, item["name"]): desired_configuration(item) for item in params.get("target_tracking") or []}


def canonical(policy_type, configuration):
    """A policy in option terms, where equal meaning gives equal values (what --diff shows)."""
    config = configuration or {}
    spec = config.get("PredefinedMetricSpecification") or {}
    out = {
        "metric": spec.get("PredefinedMetricType"),
        "resource_label": spec.get("ResourceLabel") or None,
        "target_value": float(config["TargetValue"]) if config.get("TargetValue") is not None else None,
        "scale_in_cooldown": _cooldown(config.get("ScaleInCooldown")),
        "scale_out_cooldown": _cooldown(config.get("ScaleOutCooldown")),
        "disable_scale_in": bool(config.get("DisableScaleIn", False)),
    }
    if policy_type != POLICY_TYPE:
        out["policy_type"] = policy_type
    if config.get("CustomizedMetricSpecification"):
        out["customized_metric"] = copy.deepcopy(config["CustomizedMetricSpecification"])
    return out


def canonical_policy(policy):
    """A policy as DescribeScalingPolicies returns it, in option terms."""
    return canonical(policy.get("PolicyType"), policy.get("TargetTrackingScalingPolicyConfiguration"))


def field_diff(before, after):
    """(before, after) holding only the keys whose values differ."""
    keys = [k for k in list(before) + [k for k in after if k not in before] if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys if k in before}, {k: after.get(k) for k in keys if k in after}


def split_policies(policies, rid, prefix):
    """(ours: name -> policy, foreign: [names]) of the policies of this resource and dimension only.

    The answer is filtered here: an endpoint may return other resources' policies (moto matches
    ResourceId as a substring) or ignore PolicyNames (moto 5.2.5)."""
    ours, foreign = {}, []
    for policy in policies or []:
        if policy.get("ResourceId") != rid or policy.get("ScalableDimension") != DIMENSION:
            continue
        if policy.get("ServiceNamespace", NAMESPACE) != NAMESPACE:
            continue
        name = policy.get("PolicyName") or ""
        if name.startswith(prefix):
            ours[name] = policy
        else:
            foreign.append(name)
    return ours, sorted(foreign)


def plan_target(current, low, high):
    """None when the scalable target already has min/max, else (before, after) in option terms."""
    wanted = {"min_capacity": low, "max_capacity": high}
    if current is None:
        return {}, wanted
    have = {"min_capacity": current.get("MinCapacity"), "max_capacity": current.get("MaxCapacity")}
    if have == wanted:
        return None
    return field_diff(have, wanted)


def plan_policies(wanted, ours):
    """What to do with the policies: (puts, deletes).

    puts: [(name, configuration, current canonical or None, replace)] for each wanted policy that is
    missing or differs by meaning (replace: the current one has another policy type, so it is deleted
    first); deletes: names of our policies that are no longer wanted.
    """
    puts = []
    for name, configuration in wanted.items():
        current = ours.get(name)
        if current is None:
            puts.append((name, configuration, None, False))
            continue
        have = canonical_policy(current)
        if have != canonical(POLICY_TYPE, configuration):
            puts.append((name, configuration, have, current.get("PolicyType") != POLICY_TYPE))
    deletes = sorted(name for name in ours if name not in wanted)
    return puts, deletes


# --- reading ---------------------------------------------------------------------------------------


def read_target(client, rid):
    targets = client.paginate("describe_scalable_targets", "ScalableTargets", ServiceNamespace=NAMESPACE,
                              ResourceIds=[rid], ScalableDimension=DIMENSION)
    for target in targets:
        if target.get("ResourceId") == rid and target.get("ScalableDimension") == DIMENSION:
            return target
    return None


def read_policies(client, rid):
    return client.paginate("describe_scaling_policies", "ScalingPolicies", ServiceNamespace=NAMESPACE,
                           ResourceId=rid, ScalableDimension=DIMENSION)


def read_scheduled_actions(client, rid):
    actions = client.paginate("describe_scheduled_actions", "ScheduledActions", ServiceNamespace=NAMESPACE,
                              ResourceId=rid, ScalableDimension=DIMENSION)
    return sorted(a.get("ScheduledActionName") for a in actions
                  if a.get("ResourceId") == rid and a.get("ScalableDimension") in (None, DIMENSION))


# --- converge --------------------------------------------------------------------------------------


class Diff:
    """Bookkeeping of the diff's before/after under 'scalable_target' and 'policies' (by name)."""

    def __init__(self, changes):
        self.changes = changes

    def target(self, action, before, after):
        self.changes.actions.append(action)
        self.changes.before["scalable_target"] = before
        self.changes.after["scalable_target"] = after

    def policy(self, action, name, before, after):
        self.changes.actions.append(action)
        if before is not None:
            self.changes.before.setdefault("policies", {})[name] = copy.deepcopy(before)
        if after is not None:
            self.changes.after.setdefault("policies", {})[name] = copy.deepcopy(after)


def predicted_target(current, rid, low, high):
    target = copy.deepcopy(current) if current else {"ServiceNamespace": NAMESPACE, "ResourceId": rid,
                                                     "ScalableDimension": DIMENSION}
    target.update(MinCapacity=low, MaxCapacity=high)
    return target


def predicted_policy(current, rid, name, configuration):
    policy = copy.deepcopy(current) if current and current.get("PolicyType") == POLICY_TYPE else {}
    policy.update(PolicyName=name, ServiceNamespace=NAMESPACE, ResourceId=rid, ScalableDimension=DIMENSION,
                  PolicyType=POLICY_TYPE, TargetTrackingScalingPolicyConfiguration=copy.deepcopy(configuration))
    return policy


def delete_policy(client, check_mode, rid, name):
    if not check_mode:
        client.delete_scaling_policy(PolicyName=name, ServiceNamespace=NAMESPACE, ResourceId=rid,
                                     ScalableDimension=DIMENSION)


def _identify(module, clients):
    """(resource ID, cluster ARN) after every input check; fails before any call that changes anything."""
    params = module.params
    problems = static_problems(params)
    fail_on_problems(module, problems)
    identity, region = identity_and_region(module, clients, problems)
    cluster_name, cluster_arn, problem = ecs.resolve_cluster(params["cluster"], identity, region)
    fail_on_problems(module, problems + [problem])
    return resource_id(cluster_name, params["service"]), cluster_arn


def _result(module, changes, rid, target, policies, left_alone):
    ordered = [ecs.jsonable(policies[name]) for name in sorted(policies)]
    return changes.result(module, resource_id=rid, scalable_target=ecs.jsonable(target) if target else None,
                          policies=ordered, left_alone=left_alone)


def converge(module, clients):
    params = module.params
    rid, cluster_arn = _identify(module, clients)
    client = clients["application-autoscaling"]
    check_mode = module.check_mode
    service = read_service(clients["ecs"], cluster_arn, params["service"])
    if service is None or service.get("status") != "ACTIVE":
        what = f"service {params['service']} does not exist in cluster {params['cluster']}"
        if not check_mode:
            fail_on_problems(module, [f"service: {what} (or is not ACTIVE); create it first (prefect_ops.ecs.ecs_service): "
                                      "only an existing service can be registered as a scalable target"])
        module.warn(f"{what} yet; check mode assumes an earlier task creates it")

    prefix = policy_prefix(params)
    low, high = params["min_capacity"], params["max_capacity"]
    target = read_target(client, rid)
    ours, foreign = split_policies(read_policies(client, rid), rid, prefix)
    changes = Changes()
    diff = Diff(changes)

    planned = plan_target(target, low, high)
    if planned is not None:
        verb = "register" if target is None else "update"
        diff.target(f"{verb} scalable target {rid} (min {low}, max {high})", *planned)
        if not check_mode:
            client.register_scalable_target(ServiceNamespace=NAMESPACE, ResourceId=rid, ScalableDimension=DIMENSION,
                                            MinCapacity=low, MaxCapacity=high)
        target = predicted_target(target, rid, low, high)

    puts, deletes = plan_policies(desired_policies(params), ours)
    after = dict(ours)
    for name, configuration, have, replace in puts:
        wanted = canonical(POLICY_TYPE, configuration)
        if have is None:
            diff.policy(f"put scaling policy {name}", name, None, wanted)
        else:
            before_fields, after_fields = field_diff(have, wanted)
            diff.policy(f"update scaling policy {name} ({', '.join(sorted(set(before_fields) | set(after_fields)))})",
                        name, before_fields, after_fields)
        if replace:
            changes.actions.append(f"delete scaling policy {name} (a {ours[name].get('PolicyType')} policy) before putting it")
            delete_policy(client, check_mode, rid, name)
        if not check_mode:
            client.put_scaling_policy(PolicyName=name, ServiceNamespace=NAMESPACE, ResourceId=rid,
                                      ScalableDimension=DIMENSION, PolicyType=POLICY_TYPE,
                                      TargetTrackingScalingPolicyConfiguration=configuration)
        after[name] = predicted_policy(ours.get(name), rid, name, configuration)
    for name in deletes:
        diff.policy(f"delete scaling policy {name} (no longer wanted)", name, canonical_policy(ours[name]), None)
        delete_policy(client, check_mode, rid, name)
        after.pop(name)

    if changes.changed and not check_mode:
        # what the endpoint reports now (ARNs, alarms, creation times)
        target = read_target(client, rid) or target
        read_back, dummy = split_policies(read_policies(client, rid), rid, prefix)
        after = {name: read_back.get(name, policy) for name, policy in after.items()}
    return _result(module, changes, rid, target, after, foreign)


def remove(module, clients):
    """state=absent: delete our policies, then deregister the target unless others still use it."""
    params = module.params
    rid, dummy = _identify(module, clients)
    client = clients["application-autoscaling"]
    check_mode = module.check_mode
    prefix = policy_prefix(params)
    target = read_target(client, rid)
    # Scaling policies exist only on a registered scalable target (deregistering it deletes them).
    ours, foreign = split_policies(read_policies(client, rid), rid, prefix) if target is not None else ({}, [])
    changes = Changes()
    diff = Diff(changes)
    for name in sorted(ours):
        diff.policy(f"delete scaling policy {name}", name, canonical_policy(ours[name]), None)
        delete_policy(client, check_mode, rid, name)
    left_alone = list(foreign)
    if target is not None:
        scheduled = read_scheduled_actions(client, rid)
        if foreign or scheduled:
            left_alone += [f"scheduled action {name}" for name in scheduled]
            module.warn(f"scalable target {rid} left registered: it still has scaling policies or scheduled actions this "
                        f"module did not make ({', '.join(left_alone)}), and deregistering it would delete them")
        else:
            diff.target(f"deregister scalable target {rid}",
                        {"min_capacity": target.get("MinCapacity"), "max_capacity": target.get("MaxCapacity")}, {})
            if not check_mode:
                client.deregister_scalable_target(ServiceNamespace=NAMESPACE, ResourceId=rid, ScalableDimension=DIMENSION)
            target = None
    return _result(module, changes, rid, target, {}, left_alone)


def make_clients(module):
    return aws_clients(module, "sts", "ecs", "application-autoscaling",
                       decorators={"application-autoscaling": retry_decorator(RETRY_CODES)})


def run(module, clients):
    return run_state(module, clients, converge, remove, f"the autoscaling of ECS service {module.params['service']}")
