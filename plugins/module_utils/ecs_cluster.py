# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An ECS cluster (module ecs_cluster): created with the ownership tag, compared by meaning, looked
up read-only, adopted only when asked to, removed only when the collection created it.

Compared when set, never otherwise: the capacity providers (as a set), the default capacity provider
strategy (by provider; weight and base default to 0), the Container Insights setting (not reported
means "disabled") and the tags (amazon.aws semantics). PutClusterCapacityProviders needs both the
providers and the strategy, so the one the task does not set is sent as the cluster has it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re
import time

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_names as names
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import Changes
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import fail_on_problems
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import identity_and_region
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import plan_tags
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import run_state
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import tag_diff

FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
# Names AWS keeps for itself: a capacity provider of your own may not start with these.
RESERVED_PROVIDER_PREFIXES = ("aws", "ecs", "fargate")
PROVIDER_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
INSIGHTS_SETTING = "containerInsights"
INSIGHTS_VALUES = ("enabled", "disabled", "enhanced")
DEFAULT_INSIGHTS = "disabled"
MAX_TAGS = 50  # per ECS resource, the ownership tag included
DESCRIBE_INCLUDE = ["TAGS", "SETTINGS"]
GONE = ("INACTIVE",)
POLL_SECONDS = 5
LIST_LIMIT = 20  # blockers named in a message


def argument_spec():
    return dict(
        name=dict(type="str", required=True, aliases=["cluster_name"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        create=dict(type="bool", default=True),
        adopt=dict(type="bool", default=False),
        capacity_providers=dict(type="list", elements="str"),
        default_capacity_provider_strategy=dict(
            type="list", elements="dict", aliases=["capacity_provider_strategy"],
            options=dict(capacity_provider=dict(type="str", required=True), weight=dict(type="int"),
                         base=dict(type="int")),
        ),
        settings=dict(type="dict", options=dict(
            container_insights=dict(type="str", choices=list(INSIGHTS_VALUES)))),
        site=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )


# --- input -----------------------------------------------------------------------------------------


def provider_problem(value, field):
    """A capacity provider name: FARGATE, FARGATE_SPOT, or a provider of your own (Auto Scaling group)."""
    value = "" if value is None else str(value)
    if value in FARGATE_PROVIDERS:
        return None
    if value.upper() in FARGATE_PROVIDERS:
        return f"{field}: {value!r} is not a capacity provider name; did you mean {value.upper()}? (names are case-sensitive)"
    if not PROVIDER_RE.match(value):
        return (f"{field}: {value!r} is not a capacity provider name; use FARGATE, FARGATE_SPOT or the name of a "
                "capacity provider of your own (1-255 letters, digits, '-' and '_')")
    if value.lower().startswith(RESERVED_PROVIDER_PREFIXES):
        return (f"{field}: {value!r} is not a capacity provider name; names starting with aws, ecs or fargate are "
                "reserved by AWS (only FARGATE and FARGATE_SPOT exist); use FARGATE, FARGATE_SPOT or your provider's name")
    return None


def tag_problems(tags, field="tags"):
    return ecs.tag_problems(tags, field, "an ECS cluster", [ecs.OWNER_KEY], MAX_TAGS)


def strategy_problems(strategy, providers=None, source=None):
    """Problems of default_capacity_provider_strategy; `providers` are the cluster's providers after
    the run (None: not known yet), `source` says where they come from (for the message)."""
    field = "default_capacity_provider_strategy"
    if strategy is None:
        return []
    problems = []
    used = [item.get("capacity_provider") for item in strategy]
    for i, item in enumerate(strategy):
        problems.append(provider_problem(item.get("capacity_provider"), f"{field}[{i}].capacity_provider"))
        if item.get("weight") is not None and not 0 <= item["weight"] <= 1000:
            problems.append(f"{field}[{i}].weight: {item['weight']} is out of range; use 0 to 1000")
        if item.get("base") is not None and not 0 <= item["base"] <= 100000:
            problems.append(f"{field}[{i}].base: {item['base']} is out of range; use 0 to 100000")
    if len(set(used)) != len(used):
        problems.append(f"{field}: each capacity provider may appear once")
    if sum(1 for item in strategy if item.get("base")) > 1:
        problems.append(f"{field}: only one capacity provider may have a base greater than 0")
    if len(strategy) > 1 and not any(item.get("weight") for item in strategy):
        problems.append(f"{field}: give at least one capacity provider a weight greater than 0; with every weight 0 "
                        "ECS cannot place a task with this strategy")
    fargate = [p for p in used if p in FARGATE_PROVIDERS]
    if fargate and len(fargate) != len(used):
        problems.append(f"{field}: a strategy holds either Fargate providers (FARGATE, FARGATE_SPOT) or providers of "
                        "your own (Auto Scaling groups), not both")
    if providers is not None:
        missing = [p for p in used if p not in providers]
        if missing:
            problems.append(
                f"{field}: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not among the cluster's capacity "
                f"providers ({source or 'capacity_providers: ' + (', '.join(providers) or 'none')}); add "
                f"{'it' if len(missing) == 1 else 'them'} to capacity_providers or remove "
                f"{'it' if len(missing) == 1 else 'them'} from the strategy")
    return [p for p in problems if p]


READ_ONLY_OPTIONS = ("capacity_providers", "default_capacity_provider_strategy", "settings", "tags")


def static_problems(params):
    """Every input problem found without an AWS call; each names the option and the fix."""
    problems = [names.check_name("ecs_cluster", params.get("name"), "name")]
    if params.get("wait_timeout") is not None and params["wait_timeout"] < 0:
        problems.append("wait_timeout: use 0 (do not wait) or a number of seconds")
    if not params.get("create", True):
        if params.get("state", "present") == "absent":
            problems.append("create: create=false only looks the cluster up and never changes it; it cannot be combined "
                            "with state=absent (remove create, or state)")
        for option in READ_ONLY_OPTIONS:
            if params.get(option) is not None:
                problems.append(f"{option}: create=false only looks the cluster up and never changes it; remove {option} "
                                "(or set create: true to manage the cluster)")
        return [p for p in problems if p]
    if params.get("state", "present") == "absent":
        return [p for p in problems if p]
    problems += tag_problems(params.get("tags"))
    problems += ecs.site_problems(params.get("site")) + ecs.site_tag_problems(params.get("tags"), params.get("site"))
    providers = params.get("capacity_providers")
    if providers is not None:
        for i, provider in enumerate(providers):
            problems.append(provider_problem(provider, f"capacity_providers[{i}]"))
        if len(set(providers)) != len(providers):
            problems.append("capacity_providers: each capacity provider may appear once")
    problems += strategy_problems(params.get("default_capacity_provider_strategy"), providers)
    return [p for p in problems if p]


def dynamic_problems(params, current):
    """Problems that need the cluster as it is: a strategy without providers set is checked against
    the cluster's providers, and providers removed while the current strategy still uses them."""
    current = current or {}
    providers = params.get("capacity_providers")
    strategy = params.get("default_capacity_provider_strategy")
    have_providers = list(current.get("capacityProviders") or [])
    if strategy is not None and providers is None:
        where = "the cluster has " + (", ".join(have_providers) or "none") if current else "a new cluster has none"
        return strategy_problems(strategy, have_providers, f"{where}, and capacity_providers is not set")
    if providers is not None and strategy is None and current:
        used = [i.get("capacityProvider") for i in current.get("defaultCapacityProviderStrategy") or []]
        removed = [p for p in used if p not in providers]
        if removed:
            return [f"capacity_providers: the cluster's default capacity provider strategy uses {', '.join(removed)}, "
                    "which capacity_providers leaves out; set default_capacity_provider_strategy too (without "
                    f"{', '.join(removed)}), or keep {'it' if len(removed) == 1 else 'them'} in capacity_providers"]
    return []


# --- desired values and comparison ----------------------------------------------------------------------


def desired_insights(params):
    return (params.get("settings") or {}).get("container_insights")


def insights_of(cluster):
    for setting in (cluster or {}).get("settings") or []:
        if setting.get("name") == INSIGHTS_SETTING:
            return setting.get("value") or DEFAULT_INSIGHTS
    return DEFAULT_INSIGHTS


def canonical_providers(providers):
    return sorted(providers or [])


def canonical_strategy(strategy):
    return sorted(({"capacityProvider": i.get("capacityProvider"), "weight": i.get("weight") or 0,
                    "base": i.get("base") or 0} for i in strategy or []), key=lambda i: i["capacityProvider"])


def plan_update(params, current):
    """What differs between the task and the cluster, for the options the task sets.

    Returns (capacity: dict to send to PutClusterCapacityProviders or None, insights: the value to
    send with UpdateCluster or None, before, after) - before/after hold exactly the fields that differ.
    """
    before, after = {}, {}
    have_providers = list(current.get("capacityProviders") or [])
    have_strategy = list(current.get("defaultCapacityProviderStrategy") or [])
    want_providers = params.get("capacity_providers")
    want_strategy = ecs.capacity_strategy(params.get("default_capacity_provider_strategy"))
    if want_providers is not None and canonical_providers(want_providers) != canonical_providers(have_providers):
        before["capacityProviders"], after["capacityProviders"] = canonical_providers(have_providers), canonical_providers(want_providers)
    if want_strategy is not None and canonical_strategy(want_strategy) != canonical_strategy(have_strategy):
        before["defaultCapacityProviderStrategy"] = canonical_strategy(have_strategy)
        after["defaultCapacityProviderStrategy"] = canonical_strategy(want_strategy)
    capacity = None
    if after:
        capacity = {"capacityProviders": list(want_providers if want_providers is not None else have_providers),
                    "defaultCapacityProviderStrategy": copy.deepcopy(want_strategy if want_strategy is not None else have_strategy)}
    insights = desired_insights(params)
    if insights is not None and insights != insights_of(current):
        before["settings"], after["settings"] = {INSIGHTS_SETTING: insights_of(current)}, {INSIGHTS_SETTING: insights}
    else:
        insights = None
    return capacity, insights, before, after


def create_payload(params, tags):
    payload = {"clusterName": params["name"], "tags": ecs.dict_to_tags(tags)}
    if params.get("capacity_providers") is not None:
        payload["capacityProviders"] = list(params["capacity_providers"])
    strategy = ecs.capacity_strategy(params.get("default_capacity_provider_strategy"))
    if strategy is not None:
        payload["defaultCapacityProviderStrategy"] = strategy
    if desired_insights(params) is not None:
        payload["settings"] = [{"name": INSIGHTS_SETTING, "value": desired_insights(params)}]
    return payload


def predicted_cluster(payload, arn):
    """The cluster CreateCluster would return (check mode)."""
    cluster = {"clusterArn": arn, "clusterName": payload["clusterName"], "status": "ACTIVE",
               "registeredContainerInstancesCount": 0, "runningTasksCount": 0, "pendingTasksCount": 0,
               "activeServicesCount": 0, "capacityProviders": list(payload.get("capacityProviders") or []),
               "defaultCapacityProviderStrategy": copy.deepcopy(payload.get("defaultCapacityProviderStrategy") or []),
               "tags": copy.deepcopy(payload["tags"])}
    if "settings" in payload:
        cluster["settings"] = copy.deepcopy(payload["settings"])
    return cluster


def ownership_problem(params, current):
    if ecs.owned_by_run(params, current) or params.get("adopt"):
        return None
    return (f"name: cluster {params['name']} exists but was not created by this collection for this site (it does "
            f"not carry {ecs.site_owner_text(ecs.run_site(params))}); set adopt: true to manage it (state=absent still never deletes it), or create: "
            "false to only look it up")


# --- reading ---------------------------------------------------------------------------------------


def read_cluster(client, name):
    """The cluster with its tags and settings (any status but INACTIVE), or None."""
    response = client.describe_clusters(clusters=[name], include=DESCRIBE_INCLUDE)
    for cluster in response.get("clusters") or []:
        if cluster.get("clusterName") == name and cluster.get("status") not in GONE:
            return cluster
    return None


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def read_blockers(client, cluster_arn, registered=0):
    """What keeps ECS from deleting the cluster: (waitable, blocking) lists of descriptions.

    waitable: services DRAINING and tasks stopping (they go away by themselves); blocking: ACTIVE
    services, tasks that should run, registered container instances. Services and tasks are checked
    against the exact cluster ARN (the emulator's list calls also return those of clusters whose name
    contains this one).
    """
    waitable, blocking = [], []
    service_arns = client.paginate("list_services", "serviceArns", cluster=cluster_arn)
    for chunk in _chunks(service_arns, 10):
        for service in client.describe_services(cluster=cluster_arn, services=chunk).get("services") or []:
            if service.get("clusterArn") not in (None, cluster_arn):
                continue
            status = service.get("status")
            if status == "ACTIVE":
                blocking.append(f"service {service.get('serviceName')} (ACTIVE)")
            elif status == "DRAINING":
                waitable.append(f"service {service.get('serviceName')} (DRAINING)")
    task_arns = []
    for desired in ("RUNNING", "STOPPED"):
        task_arns += client.paginate("list_tasks", "taskArns", cluster=cluster_arn, desiredStatus=desired)
    for chunk in _chunks(sorted(set(task_arns)), 100):
        for task in client.describe_tasks(cluster=cluster_arn, tasks=chunk).get("tasks") or []:
            if task.get("clusterArn") not in (None, cluster_arn) or task.get("lastStatus") == "STOPPED":
                continue
            label = f"task {task.get('taskArn', '').rsplit('/', 1)[-1]} ({task.get('lastStatus')}"
            if task.get("desiredStatus") == "STOPPED":
                waitable.append(label + ", stopping)")
            else:
                blocking.append(label + f", started by {task.get('startedBy') or task.get('group') or 'unknown'})")
    if registered:
        blocking.append(f"{registered} registered container instance(s)")
    return sorted(waitable), sorted(blocking)


def _listing(items):
    shown = ", ".join(items[:LIST_LIMIT])
    return shown + (f" and {len(items) - LIST_LIMIT} more" if len(items) > LIST_LIMIT else "")


def blockers_message(name, waitable, blocking, waited=None):
    everything = blocking + waitable
    waited_text = f" after waiting {waited} s" if waited else ""
    return (f"name: cluster {name} still holds {_listing(everything)}{waited_text}; ECS deletes only an empty cluster. "
            "Remove them first (prefect_ops.ecs.ecs_service state=absent; playbooks/teardown.yml removes the worker "
            "service before the cluster) and re-run" + (", or raise wait_timeout" if waitable and not blocking else ""))


def wait_empty(module, client, cluster_arn, name, timeout, sleep=time.sleep, clock=time.time):
    """Wait until nothing keeps the cluster from being deleted; fail at once on blockers that do not go
    away by themselves, and at the timeout."""
    start = clock()
    deadline = start + timeout
    while True:
        waitable, blocking = read_blockers(client, cluster_arn)
        if blocking or (waitable and clock() >= deadline):
            module.fail_json(msg=blockers_message(name, waitable, blocking, waited=int(clock() - start)),
                             blocking=blocking, draining=waitable)
        if not waitable:
            return
        sleep(min(POLL_SECONDS, max(0.5, deadline - clock())))


# --- converge --------------------------------------------------------------------------------------


def lookup(module, client, region, identity):
    """create=false: read the cluster, never change it; fail clearly when it is not ACTIVE."""
    name = module.params["name"]
    response = client.describe_clusters(clusters=[name], include=DESCRIBE_INCLUDE)
    cluster = next((c for c in response.get("clusters") or [] if c.get("clusterName") == name), None)
    if cluster is None or cluster.get("status") != "ACTIVE":
        state = "does not exist" if cluster is None else f"is {cluster.get('status')}"
        module.fail_json(msg=(f"name: there is no ACTIVE ECS cluster {name} to use in account {identity.account}, region "
                              f"{region} (it {state}); create it first, fix name (or the region), or set create: true "
                              "to let this module create it"),
                         cluster=ecs.jsonable(cluster) if cluster else None)
    return Changes().result(module, cluster=ecs.jsonable(cluster), cluster_arn=cluster["clusterArn"],
                            owned=ecs.owned_by_run(module.params, cluster))


def converge(module, clients):
    params = module.params
    problems = static_problems(params)
    fail_on_problems(module, problems)
    identity, region = identity_and_region(module, clients, problems)
    fail_on_problems(module, problems)
    client = clients["ecs"]
    if not params["create"]:
        return lookup(module, client, region, identity)

    name = params["name"]
    check_mode = module.check_mode
    current = read_cluster(client, name)
    if current is not None and current.get("status") in ("DEPROVISIONING", "FAILED"):
        fail_on_problems(module, [f"name: cluster {name} is {current['status']}; "
                                  + ("it is being deleted, re-run once it is gone" if current["status"] == "DEPROVISIONING"
                                     else "delete it (or fix its capacity providers) and re-run")])
    fail_on_problems(module, dynamic_problems(params, current) + [ownership_problem(params, current) if current else None])

    changes = Changes()
    arn = current["clusterArn"] if current else names.ecs_cluster_arn(identity, region, name)
    if current is None:
        dummy, dummy, tags = plan_tags({}, ecs.tags_without_site(params.get("tags")), params["purge_tags"],
                                       ecs.site_ownership_tags(ecs.run_site(params)))
        payload = create_payload(params, tags)
        changes.created("cluster", f"create cluster {name}", {k: v for k, v in payload.items() if k != "clusterName"})
        if check_mode:
            cluster = predicted_cluster(payload, arn)
        else:
            cluster = client.create_cluster(**payload)["cluster"]
            cluster = read_cluster(client, name) or cluster
        return changes.result(module, cluster=ecs.jsonable(cluster), cluster_arn=cluster.get("clusterArn", arn), owned=True)

    ours = ecs.owned_by_run(params, current)
    cluster = copy.deepcopy(current)
    capacity, insights, before, after = plan_update(params, current)
    if capacity is not None:
        what = ", ".join(k for k in ("capacityProviders", "defaultCapacityProviderStrategy") if k in after)
        changes.updated("cluster", f"update capacity providers of cluster {name} ({what})",
                        {k: before[k] for k in before if k != "settings"}, {k: after[k] for k in after if k != "settings"})
        cluster.update(copy.deepcopy(capacity))
        if not check_mode:
            client.put_cluster_capacity_providers(cluster=arn, **capacity)
    if insights is not None:
        changes.updated("cluster", f"update settings of cluster {name} ({INSIGHTS_SETTING})",
                        {"settings": before["settings"]}, {"settings": after["settings"]})
        cluster["settings"] = [s for s in cluster.get("settings") or [] if s.get("name") != INSIGHTS_SETTING]
        cluster["settings"].append({"name": INSIGHTS_SETTING, "value": insights})
        if not check_mode:
            client.update_cluster(cluster=arn, settings=[{"name": INSIGHTS_SETTING, "value": insights}])
    current_tags = ecs.tags_to_dict(current.get("tags"))
    # An adopted cluster never gets the ownership tag (unless the task's tags hand it over explicitly):
    # state=absent must be able to tell it from a cluster this collection created.
    to_set, to_unset, tags = plan_tags(current_tags, ecs.tags_without_site(params.get("tags")) if ours else params.get("tags"),
                                       params["purge_tags"], ecs.site_ownership_tags(ecs.run_site(params)) if ours else {})
    if to_set or to_unset:
        tags_before, tags_after = tag_diff(current_tags, tags)
        changes.updated("cluster", f"update tags of cluster {name}", {"tags": tags_before}, {"tags": tags_after})
        ecs.apply_tags(client, check_mode, arn, to_set, to_unset)
        cluster["tags"] = ecs.dict_to_tags(tags)
    if changes.changed and not check_mode:
        cluster = read_cluster(client, name) or cluster
    return changes.result(module, cluster=ecs.jsonable(cluster), cluster_arn=arn, owned=ecs.owned_by_run(params, cluster))


def remove(module, clients):
    """state=absent: delete the cluster when it carries the ownership tag and is empty."""
    params = module.params
    fail_on_problems(module, static_problems(params))
    client = clients["ecs"]
    name = params["name"]
    changes = Changes()
    current = read_cluster(client, name)
    left_alone = []
    if current is None:
        return changes.result(module, cluster=None, cluster_arn=None, left_alone=left_alone, owned=False)
    arn = current["clusterArn"]
    if not ecs.owned_by_run(params, current):
        left_alone.append(arn)
        module.warn(f"cluster {name} was not created by this collection for this site (it does not carry "
                    f"{ecs.site_owner_text(ecs.run_site(params))}); left alone")
        return changes.result(module, cluster=ecs.jsonable(current), cluster_arn=arn, left_alone=left_alone, owned=False)
    waitable, blocking = read_blockers(client, arn, current.get("registeredContainerInstancesCount") or 0)
    if blocking or (waitable and not params["wait_timeout"]):
        module.fail_json(msg=blockers_message(name, waitable, blocking), blocking=blocking, draining=waitable)
    if waitable:
        if module.check_mode:
            module.warn(f"cluster {name}: {_listing(waitable)} must be gone before the cluster can be deleted; the run "
                        f"waits up to {params['wait_timeout']} s for that")
        else:
            wait_empty(module, client, arn, name, params["wait_timeout"])
    changes.deleted("cluster", f"delete cluster {name}",
                    {k: ecs.jsonable(current[k]) for k in
                     ("clusterArn", "status", "capacityProviders", "defaultCapacityProviderStrategy", "tags") if k in current})
    if not module.check_mode:
        client.delete_cluster(cluster=arn)
    return changes.result(module, cluster=None, cluster_arn=arn, left_alone=left_alone, owned=True)


def run(module, clients):
    return run_state(module, clients, converge, remove, f"the ECS cluster {module.params['name']}")
