# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' input checks in Python, one definition for the site-wide preflight and for each role's own preflight
(both run the action prefect_ops.ecs.preflight, plugins/action/preflight.py).

A role's check builds the parameters the role passes to its module and runs that module's own ``static_problems``
(the checks the module makes before any call), then names the role variables the user set instead of the module's
options. Checks of a role's own choices that no module makes (the ecs_cluster role offers Fargate providers only)
sit beside them. Values a role takes from an earlier role's facts (a cluster ARN, a role ARN) are checked when that
role runs, not here: they do not exist yet.

Each check takes ``values`` (the role's options, validated by its argument spec, plus the site variables
``prefect_ecs_name`` and ``prefect_ecs_tags``) and returns a list of problems, each naming the variable and the fix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.prefect_ops.ecs.plugins.module_utils import cloudwatch_log_group as log_group
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs_cluster as cluster
from ansible_collections.prefect_ops.ecs.plugins.module_utils import event_observer as observer
from ansible_collections.prefect_ops.ecs.plugins.module_utils import verify

OWNER_TAGS = ("prefect-ops:managed-by", "prefect-ops:site")


def rename(problem, fields):
    """`problem` of a module with its options named as the role variables of `fields` (option -> variable).

    The option a problem starts with (``name: ...``, ``clusters[0]: ...``, ``settings.container_insights: ...``) is
    renamed, and so is every other mention of a mapped option that holds an underscore (``rule_name``), or that
    follows "built from", "shorten" or "set" (``name``): a plain word such as "name" elsewhere is left as it is.
    """
    head = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)(?=[\[.:])", problem)
    if head and head.group(1) in fields:
        problem = fields[head.group(1)] + problem[head.end():]
        start = len(fields[head.group(1)])
    else:
        start = 0
    rest = problem[start:]
    for option, variable in fields.items():
        if "_" in option:
            rest = re.sub(r"(?<![\w.-])%s(?![\w-])" % re.escape(option), variable, rest)
        else:
            rest = re.sub(r"(built from |shorten |set )%s(?![\w-])" % re.escape(option), r"\g<1>" + variable, rest)
    return problem[:start] + rest


def module_problems(check, params, fields, later=()):
    """The module check's problems, renamed; problems of the options in `later` (values that come from earlier
    roles' facts, checked when the role runs) are left out."""
    out = []
    for problem in check(params):
        head = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)", problem)
        if head and head.group(1) in later:
            continue
        out.append(rename(problem, fields))
    return out


def unique(problems):
    seen, out = set(), []
    for problem in problems:
        if problem and problem not in seen:
            seen.add(problem)
            out.append(problem)
    return out


def site_tags(values, own):
    """The tags a role passes: the site's tags, then the role's."""
    return dict(values.get("prefect_ecs_tags") or {}, **(own or {}))


# --- roles ---------------------------------------------------------------------------------------


def ecs_cluster(values):
    fields = {"name": "ecs_cluster_name", "capacity_providers": "ecs_cluster_capacity_providers",
              "default_capacity_provider_strategy": "ecs_cluster_capacity_provider_strategy",
              "settings": "ecs_cluster_container_insights", "tags": "ecs_cluster_tags"}
    problems = []
    if not values.get("ecs_cluster_create", True):
        # the role only looks an adopted cluster up
        params = {"name": values.get("ecs_cluster_name"), "create": False}
        return module_problems(cluster.static_problems, params, fields)
    providers = values.get("ecs_cluster_capacity_providers") or []
    others = [p for p in providers if p not in cluster.FARGATE_PROVIDERS]
    if others:
        problems.append("ecs_cluster_capacity_providers: the role creates Fargate clusters; use FARGATE and/or "
                        "FARGATE_SPOT (got %s), or create the cluster yourself and adopt it with "
                        "ecs_cluster_create=false" % ", ".join(map(str, others)))
    insights = values.get("ecs_cluster_container_insights") or ""
    params = {"name": values.get("ecs_cluster_name"), "state": values.get("ecs_cluster_state", "present"),
              "capacity_providers": providers,
              "default_capacity_provider_strategy": values.get("ecs_cluster_capacity_provider_strategy"),
              "settings": {"container_insights": insights} if insights else None,
              "tags": site_tags(values, values.get("ecs_cluster_tags"))}
    return unique(problems + module_problems(cluster.static_problems, params, fields))


def ecs_log_groups(values):
    problems = []
    for which in ("worker", "flow_runs"):
        fields = {"name": "ecs_log_groups_%s_name" % which, "retention": "ecs_log_groups_retention_days",
                  "kms_key_id": "ecs_log_groups_kms_key_id", "tags": "ecs_log_groups_tags", "site": "prefect_ecs_name"}
        params = {"name": values.get("ecs_log_groups_%s_name" % which), "site": values.get("prefect_ecs_name"),
                  "state": values.get("ecs_log_groups_state", "present"),
                  "retention": values.get("ecs_log_groups_retention_days"),
                  "kms_key_id": values.get("ecs_log_groups_kms_key_id") or None,
                  "tags": site_tags(values, values.get("ecs_log_groups_tags"))}
        problems += module_problems(log_group.static_problems, params, fields)
    return unique(problems)


def ecs_events(values):
    fields = {"name": "ecs_events_name", "clusters": "ecs_events_clusters",
              "message_retention_period": "ecs_events_message_retention_period",
              "visibility_timeout": "ecs_events_visibility_timeout",
              "max_receive_count": "ecs_events_max_receive_count",
              "dead_letter_message_retention_period": "ecs_events_dead_letter_message_retention_period",
              "dead_letter_visibility_timeout": "ecs_events_dead_letter_visibility_timeout",
              "encryption": "ecs_events_encryption", "kms_key_id": "ecs_events_kms_key_id"}
    params = {option: values.get(variable) for option, variable in fields.items()}
    params.update(state=values.get("ecs_events_state", "present"), encryption=values.get("ecs_events_encryption") or None,
                  kms_key_id=values.get("ecs_events_kms_key_id") or None)
    # the queue, dead-letter queue and rule names are built from the name (the role sets none of them)
    named = dict(fields, queue_name="ecs_events_name (queue <name>-events)",
                 dead_letter_queue_name="ecs_events_name (dead-letter queue <name>-events-dlq)",
                 rule_name="ecs_events_name (rule <name>-task-state-changes)")
    problems = module_problems(lambda p: [re.sub(r" or set (queue_name|dead_letter_queue_name|rule_name)$", "", x)
                                          for x in observer.resolve_names(p)[1] if x], params, named)
    # the clusters come from the ecs_cluster role's facts unless the user lists them
    later = () if values.get("ecs_events_clusters") else ("clusters",)
    return unique(problems + module_problems(observer.static_problems, params, fields, later))


def ecs_verify(values):
    return verify.input_problems(values.get("ecs_verify_pool"), values.get("ecs_verify_worker_timeout"),
                                 values.get("ecs_verify_worker_task_role_requirements"))


CHECKS = {
    "ecs_cluster": ecs_cluster,
    "ecs_log_groups": ecs_log_groups,
    "ecs_events": ecs_events,
    "ecs_verify": ecs_verify,
}


def problems(role, values):
    """The problems of `role`'s inputs (none for a role whose checks are still its preflight's asserts)."""
    check = CHECKS.get(role)
    return check(values) if check else []
