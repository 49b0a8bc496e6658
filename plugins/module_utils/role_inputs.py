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
``prefect_ecs_name``, ``prefect_ecs_tags`` and the host's ``prefect_ecs_context``) and returns a list of problems,
each naming the variable and the fix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_names as names
from ansible_collections.prefect_ops.ecs.plugins.module_utils import cloudwatch_alarm as alarm
from ansible_collections.prefect_ops.ecs.plugins.module_utils import cloudwatch_log_group as log_group
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecr_repository as ecr
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs_cluster as cluster
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs_service as service
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs_task_definition as task_definition
from ansible_collections.prefect_ops.ecs.plugins.module_utils import event_observer as observer
from ansible_collections.prefect_ops.ecs.plugins.module_utils import iam_roles
from ansible_collections.prefect_ops.ecs.plugins.module_utils import prefect
from ansible_collections.prefect_ops.ecs.plugins.module_utils import prefect_deployment as deployment
from ansible_collections.prefect_ops.ecs.plugins.module_utils import secretsmanager_secret as secretsmanager
from ansible_collections.prefect_ops.ecs.plugins.module_utils import sns_topic as topic
from ansible_collections.prefect_ops.ecs.plugins.module_utils import verify


def rename(problem, fields):
    """`problem` of a module with its options named as the role variables of `fields` (option -> variable).

    The option a problem starts with (``name: ...``, ``clusters[0]: ...``, ``name 'x' contains ...``, a key of
    `fields` such as ``container_definitions[0].image``) is renamed, the longest key first, and so is every other mention of a mapped
    option that holds an underscore (``rule_name``), or that follows "built from", "shorten" or "set" (``name``): a
    plain word such as "name" elsewhere is left as it is.
    """
    start = 0
    for option in sorted(fields, key=len, reverse=True):
        if problem.startswith(option) and problem[len(option):len(option) + 1] in (":", "[", ".", " "):
            problem = fields[option] + problem[len(option):]
            start = len(fields[option])
            break
    rest = problem[start:]
    for option, variable in fields.items():
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", option):
            continue
        if "_" in option:
            rest = re.sub(r"(?<![\w.-])%s(?![\w-])" % re.escape(option), variable, rest)
        else:
            rest = re.sub(r"(built from |shorten |set )%s(?![\w-])" % re.escape(option), r"\g<1>" + variable, rest)
    return problem[:start] + rest


def module_problems(check, params, fields, later=(), skip=()):
    """The module check's problems, renamed; problems of the options in `later` (values that come from earlier
    roles' facts, checked when the role runs) and those starting with a prefix of `skip` (checked by the role with
    a message of its own) are left out."""
    out = []
    for problem in check(params):
        if not problem:
            continue
        head = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)", problem)
        if (head and head.group(1) in later) or problem.startswith(tuple(skip)):
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


def unknown_keys(item, keys, where):
    """The problem of a list item's keys that the role does not know, or None."""
    unknown = sorted(set(item) - set(keys))
    if unknown:
        return "%s has unknown key(s) %s (valid: %s)" % (where, ", ".join(unknown), ", ".join(keys))
    return None


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


CREDENTIAL_ENV = ("PREFECT_API_KEY", "PREFECT_API_AUTH_STRING")


def ecs_worker_service(values):
    """The worker's task definition and service as the role registers and converges them (its container as the role
    builds it, ``__ecs_worker_service_container``), checked by ecs_task_definition's and ecs_service's own checks."""
    prefix = "ecs_worker_service"

    def var(key):
        return values.get("%s_%s" % (prefix, key))

    def name(key):
        return "%s_%s" % (prefix, key)

    problems = []
    if var("state") == "absent":
        return [rename(p, {"family": name("family"), "name": name("name")}) for p in
                [names.check_name("ecs_task_family", var("family"), "family"), names.check_name("ecs_service", var("name"), "name")] if p]
    url = str(var("api_url") or "")
    if not re.match(r"^https?://", url):
        problems.append("%s: the worker's Prefect API URL must be http(s)://... (got %r); set it, or the host's "
                        "prefect_ecs_api_url / PREFECT_API_URL" % (name("api_url"), url))
    if var("limit") is not None and var("limit") < 0:
        problems.append("%s: %s is not a number of flow runs; use 0 (no limit) or more" % (name("limit"), var("limit")))
    if var("aws_max_attempts") is not None and var("aws_max_attempts") < 0:
        problems.append("%s: %s is not a number of attempts; use 0 (the AWS SDK's default) or more, e.g. 10"
                        % (name("aws_max_attempts"), var("aws_max_attempts")))
    credentials = sorted(set(var("env") or {}) & set(CREDENTIAL_ENV))
    if credentials:
        problems.append("%s: %s may not be a plain environment variable (anyone who may describe the task definition "
                        "can read it); the credential goes through the secret (role prefect_api_secret or %s)"
                        % (name("env"), ", ".join(credentials), name("secret_arn")))
    container = values.get("__%s_container" % prefix)
    td = {"family": var("family"), "cpu": str(var("cpu")), "memory": str(var("memory")), "network_mode": "awsvpc",
          "requires_compatibilities": ["FARGATE"], "keep_revisions": var("keep_revisions"),
          "container_definitions": [container] if isinstance(container, dict) else [{"name": "prefect-worker", "image": var("image")}],
          "execution_role_arn": var("execution_role_arn") or None, "task_role_arn": var("task_role_arn") or None,
          "tags": site_tags(values, var("tags"))}
    problems += module_problems(
        task_definition.static_problems, td,
        {"family": name("family"), "cpu": name("cpu"), "memory": name("memory"), "keep_revisions": name("keep_revisions"),
         "tags": name("tags"), "container_definitions[0].image": name("image"), "task_role_arn": name("task_role_arn")},
        later=("execution_role_arn",), skip=("container_definitions[0].environment",))
    network = {"subnets": var("subnet_ids") or [], "security_groups": var("security_group_ids") or []}
    svc = {"name": var("name"), "cluster": var("cluster"), "task_definition": "registered by this run",
           "desired_count": var("desired_count"), "launch_type": "FARGATE", "network_configuration": network,
           "wait_timeout": var("wait_timeout"), "tags": site_tags(values, var("tags"))}
    later = ["cluster"] + ([] if network["subnets"] or network["security_groups"] else ["network_configuration"])
    problems += module_problems(
        service.static_problems, svc,
        {"name": name("name"), "desired_count": name("desired_count"), "wait_timeout": name("wait_timeout"),
         "tags": name("tags"), "network_configuration.subnets": name("subnet_ids"),
         "network_configuration.security_groups": name("security_group_ids")}, later=later)
    return unique(problems)


def ecs_alarms(values):
    """Opt-in: nothing to check unless enabled (or removing). The topic's and each alarm's module checks, on the
    parameters the role passes (roles/ecs_alarms/vars/main.yml builds the alarms the same way)."""
    state = values.get("ecs_alarms_state", "present")
    if not values.get("ecs_alarms_enabled") and state != "absent":
        return []
    site, tags = values.get("prefect_ecs_name"), site_tags(values, values.get("ecs_alarms_tags"))
    problems = []
    arn = values.get("ecs_alarms_topic_arn") or ""
    if not arn:
        params = {"name": values.get("ecs_alarms_topic_name"), "site": site, "state": state, "tags": tags}
        problems += module_problems(topic.static_problems, params, {"name": "ecs_alarms_topic_name",
                                                                    "tags": "ecs_alarms_tags", "site": "prefect_ecs_name"})
    prefix = values.get("ecs_alarms_prefix") or site or ""
    running = values.get("ecs_alarms_worker_min_running")
    worker = bool(values.get("ecs_alarms_worker_running_tasks")) and state == "present"
    if worker and running is not None and running < 1:
        problems.append("ecs_alarms_worker_min_running: %s; give 1 or more running tasks (or turn the alarm off with "
                        "ecs_alarms_worker_running_tasks: false)" % running)
    fields = {"name": "ecs_alarms_prefix", "tags": "ecs_alarms_tags", "site": "prefect_ecs_name",
              "evaluation_periods": "ecs_alarms_worker_minutes", "alarm_actions": "ecs_alarms_topic_arn"}
    for suffix, extra in (("events-dlq", {}),
                          ("worker-running-tasks", {"period": 60, "evaluation_periods": values.get("ecs_alarms_worker_minutes")}
                           if worker else {})):
        params = dict({"name": "%s-prefect-%s" % (prefix, suffix), "site": site, "state": state, "tags": tags,
                       "alarm_actions": [arn] if arn else None}, **extra)
        problems += module_problems(alarm.static_problems, params, fields)
    return unique(problems)


def ecs_warm_lane(values):
    """The warm lane's pool name (Prefect's rules for pool names) and the names, size and image of its workers."""
    if not values.get("ecs_warm_lane_enabled") and values.get("ecs_warm_lane_state") != "absent":
        return []
    problems = [prefect.validate_name(values.get("ecs_warm_lane_pool"), "ecs_warm_lane_pool: the pool name",
                                      reserved_prefix=True)]
    if values.get("ecs_warm_lane_state") != "absent":
        if (values.get("ecs_warm_lane_slots") or 0) < 0:
            problems.append("ecs_warm_lane_slots: %s is not a number of warm slots; use 0 or more"
                            % values.get("ecs_warm_lane_slots"))
        if not values.get("ecs_warm_lane_image"):
            problems.append("ecs_warm_lane_image: name the image with your flow code")
        sizes = [task_definition.parse_size(values.get("ecs_warm_lane_%s" % k), k) for k in ("cpu", "memory")]
        if None not in sizes:
            problems.append(rename(task_definition.fargate_problem(*sizes) or "",
                                   {"cpu": "ecs_warm_lane_cpu", "memory": "ecs_warm_lane_memory"}))
    problems.append(rename(names.check_name("ecs_service", values.get("ecs_warm_lane_service_name"), "name") or "",
                           {"name": "ecs_warm_lane_service_name"}))
    problems.append(rename(names.check_name("ecs_task_family", values.get("ecs_warm_lane_family"), "family") or "",
                           {"family": "ecs_warm_lane_family"}))
    return unique(problems)


def ecs_push_lane(values):
    """The push lane's pool name (Prefect's rules), its IAM user's name and its block's name (Prefect's rules)."""
    from ansible_collections.prefect_ops.ecs.plugins.module_utils import prefect_block  # pylint: disable=import-outside-toplevel
    if not values.get("ecs_push_lane_enabled") and values.get("ecs_push_lane_state") != "absent":
        return []
    problems = [prefect.validate_name(values.get("ecs_push_lane_pool"), "ecs_push_lane_pool: the pool name",
                                      reserved_prefix=True),
                rename(names.check_name("iam_user", values.get("ecs_push_lane_user") or "", "name") or "",
                       {"name": "ecs_push_lane_user"})]
    problems += [rename(p, {"name": "ecs_push_lane_block"}) for p in prefect_block.problems(
        {"name": values.get("ecs_push_lane_block"), "block_type_slug": "aws-credentials", "state": "present"})]
    if (values.get("ecs_push_lane_concurrency_limit") or 0) < -1:
        problems.append("ecs_push_lane_concurrency_limit: %s is not a limit; use 0 or more, or -1 for none"
                        % values.get("ecs_push_lane_concurrency_limit"))
    return unique(problems)


def ecs_flow_run_task_definitions(values):
    """The pool's default flow-run task definition and one per entry of the images list, each through
    ecs_task_definition's own checks (family, Fargate size, image, keep_revisions), all before the first is
    registered, so a bad last entry never leaves the list half applied."""
    prefix = "ecs_flow_run_task_definitions"
    family = values.get(prefix + "_family") or ""
    present = values.get(prefix + "_state") != "absent"
    problems = []
    entries = [({"family": prefix + "_family", "cpu": prefix + "_cpu", "memory": prefix + "_memory",
                 "container_definitions[0].image": prefix + "_image", "keep_revisions": prefix + "_keep_revisions",
                 "tags": prefix + "_tags"},
                family, values.get(prefix + "_image"), values.get(prefix + "_cpu"), values.get(prefix + "_memory"), present)]
    seen = set()
    for i, entry in enumerate(values.get(prefix + "_images") or []):
        field = "%s_images[%d]" % (prefix, i)
        if not isinstance(entry, dict):
            problems.append("%s: each entry is a mapping {name, image, cpu, memory, state} (got %r)" % (field, entry))
            continue
        name = str(entry.get("name") or "")
        if not re.match(r"^[A-Za-z0-9_-]{1,64}$", name):
            problems.append("%s.name: %r must be 1-64 letters, digits, - or _ (the family is %s-<name>)" % (field, name, family))
        elif name in seen:
            problems.append("%s.name: %r is used twice; each entry needs a name of its own" % (field, name))
        seen.add(name)
        state = entry.get("state") or "present"
        if state not in ("present", "absent"):
            problems.append("%s.state: must be present or absent (got %r)" % (field, state))
        fields = {"family": "%s_family (the family %s-%s of %s)" % (prefix, family, name, field), "cpu": field + ".cpu",
                  "memory": field + ".memory", "container_definitions[0].image": field + ".image",
                  "keep_revisions": prefix + "_keep_revisions", "tags": prefix + "_tags"}
        entries.append((fields, "%s-%s" % (family, name), entry.get("image"), entry.get("cpu") or values.get(prefix + "_cpu"),
                        entry.get("memory") or values.get(prefix + "_memory"), present and state == "present"))
    for fields, entry_family, image, cpu, memory, wanted in entries:
        params = {"family": entry_family, "state": "present" if wanted else "absent", "cpu": str(cpu), "memory": str(memory),
                  "network_mode": "awsvpc", "requires_compatibilities": ["FARGATE"],
                  "container_definitions": [{"name": "prefect", "image": image}],
                  "keep_revisions": values.get(prefix + "_keep_revisions"),
                  "tags": site_tags(values, values.get(prefix + "_tags"))}
        problems += module_problems(task_definition.static_problems, params, fields)
    return unique(problems)


def whole_numbers(item, keys, field, problems):
    """`item` with the numbers of `keys` as ints (list items are not typed by an argument spec); a problem for a
    value that is not a whole number."""
    out = dict(item)
    for key in keys:
        if out.get(key) is None:
            continue
        try:
            out[key] = int(out[key])
        except (TypeError, ValueError):
            problems.append("%s.%s: %r is not a whole number" % (field, key, out[key]))
            out[key] = None
    return out


def _queues(queues, pool, pool_field, field, problems):
    for i, queue in enumerate(queues or []):
        item_field = "%s[%d]" % (field, i)
        if not isinstance(queue, dict):
            problems.append("%s: each queue is a mapping {name, priority, concurrency_limit, paused, description} "
                            "(got %r)" % (item_field, queue))
            continue
        queue = whole_numbers(queue, ("priority", "concurrency_limit"), item_field, problems)
        fields = dict((k, "%s.%s" % (item_field, k)) for k in ("name", "priority", "concurrency_limit"))
        fields["work_pool"] = pool_field
        problems += prefect.work_queue_problems(dict(queue, work_pool=pool), fields)


def prefect_work_pools(values):
    """The ECS pool, its queues, the other pools and their queues, each through the pool and queue modules' own
    checks; pool types and job variables only the server can judge are read there (``reads``)."""
    prefix = "prefect_work_pools"
    problems = []
    name = values.get(prefix + "_name")
    problems += prefect.work_pool_problems(
        {"name": name, "type": "ecs", "concurrency_limit": values.get(prefix + "_concurrency_limit"),
         "job_variables": values.get(prefix + "_job_variables")},
        {"name": prefix + "_name: the pool name", "concurrency_limit": prefix + "_concurrency_limit",
         "job_variables": prefix + "_job_variables"})
    _queues(values.get(prefix + "_queues"), name, prefix + "_name", prefix + "_queues", problems)
    for i, pool in enumerate(values.get(prefix + "_extra") or []):
        field = "%s_extra[%d]" % (prefix, i)
        if not isinstance(pool, dict):
            problems.append("%s: each pool is a mapping {name, type, ...} (got %r)" % (field, pool))
            continue
        pool = whole_numbers(pool, ("concurrency_limit",), field, problems)
        if not pool.get("type") and pool.get("state", "present") != "absent":
            problems.append("%s.type: every pool needs its worker type (ecs, process, docker, kubernetes, ...)" % field)
        problems += prefect.work_pool_problems(pool, dict((k, "%s.%s" % (field, k)) for k in
                                                          ("name", "type", "concurrency_limit", "job_variables")))
        _queues(pool.get("queues"), pool.get("name"), field + ".name", field + ".queues", problems)
    if values.get(prefix + "_subnet_ids"):
        if not values.get(prefix + "_vpc_id"):
            problems.append("%s_vpc_id: subnets (%s_subnet_ids) need the VPC they are in: the ECS worker checks the "
                            "subnets against it" % (prefix, prefix))
        if not values.get(prefix + "_security_group_ids"):
            problems.append("%s_security_group_ids: give at least one security group with the subnets, otherwise flow "
                            "runs get the VPC's default group" % prefix)
    return unique(problems)


def prefect_work_pools_reads(values):
    """Pools whose type is not bundled (ecs, process) or that set job variables: only the server knows every worker
    type and a template's variables, so the preflight runs the pool module on them in check mode (reads only)."""
    prefix = "prefect_work_pools"
    if values.get(prefix + "_state") == "absent":
        return []
    candidates = [(prefix + "_name", {"name": values.get(prefix + "_name"), "type": "ecs",
                                      "job_variables": values.get(prefix + "_job_variables") or {}})]
    for i, pool in enumerate(values.get(prefix + "_extra") or []):
        if isinstance(pool, dict) and pool.get("type") and "state" not in pool:
            params = {"name": pool.get("name"), "type": pool["type"], "job_variables": pool.get("job_variables") or {}}
            candidates.append(("%s_extra[%d]" % (prefix, i), params))
    reads = []
    for field, params in candidates:
        if params["type"] not in ("ecs", "process") or params["job_variables"]:
            reads.append({"module": "prefect_ops.ecs.prefect_work_pool", "field": field,
                          "params": dict((k, v) for k, v in params.items() if v or k != "job_variables")})
    return reads


def prefect_api_secret(values):
    """The credential's secret (Secrets Manager through the secretsmanager_secret module's own checks; SSM by the
    parameter rules) or the adopted ARN, which must be of the store and of the site's partition and region."""
    prefix = "prefect_api_secret"

    def var(key):
        return values.get("%s_%s" % (prefix, key))
    context = values.get("prefect_ecs_context") or {}
    store, kind, name = var("store"), var("kind"), str(var("name") or "").strip()
    arn = str(var("arn") or "")
    present = var("state") != "absent"
    problems = []
    window = var("recovery_window_days")
    if window is not None and window != 0 and not 7 <= window <= 30:
        problems.append("%s_recovery_window_days: %s days is not allowed; use 0 (delete at once, no recovery) or 7 to 30"
                        % (prefix, window))
    key = var("kms_key_arn") or ""
    if key and not re.match(r"^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", key):
        problems.append("%s_kms_key_arn: %r is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key-id>; "
                        "not an alias: IAM grants kms:Decrypt on the key ARN); leave it empty for the AWS managed key"
                        % (prefix, key))
    adopted = bool(arn) and not own_secret_arn(arn, store, name, context.get("region"))
    value = var("value")
    wants_value = present and kind != "none" and not adopted
    if store == "secretsmanager":
        if re.match(r"^.*-[A-Za-z0-9]{6}$", name):
            problems.append("%s_name: %r ends in a hyphen and six characters, which ARN matching would mistake for the "
                            "random suffix Secrets Manager adds; choose another name" % (prefix, name))
        params = {"name": name, "site": values.get("prefect_ecs_name"), "state": "present" if present else "absent",
                  "secret": value if wants_value and value else None, "description": var("description"),
                  "kms_key_id": key or None, "tags": site_tags(values, var("tags")), "recovery_window": window}
        problems += module_problems(secretsmanager.static_problems, params, {
            "name": prefix + "_name", "secret": prefix + "_value", "description": prefix + "_description",
            "kms_key_id": prefix + "_kms_key_arn", "tags": prefix + "_tags", "site": "prefect_ecs_name"},
            skip=("kms_key_id:", "recovery_window:"))
    elif not re.match(r"^/?[A-Za-z0-9_./-]{1,1011}$", name) or re.match(r"^/?(aws|ssm)", name, re.IGNORECASE):
        problems.append("%s_name: %r is not an SSM parameter name (letters, digits, _ . - /, not starting with aws or "
                        "ssm)" % (prefix, name))
    if adopted:
        service, resource, example = (("secretsmanager", "secret", "arn:<partition>:secretsmanager:<region>:<account>:"
                                       "secret:<name>-<6 characters>, as the API returns it")
                                      if store == "secretsmanager" else
                                      ("ssm", "parameter", "arn:<partition>:ssm:<region>:<account>:parameter/<name>"))
        identity = Identity(context.get("partition") or "aws")
        problem = names.check_arn(arn, prefix + "_arn", service, resource, example, identity=identity)
        if not problem and store == "secretsmanager" and not re.match(r"^.*-[A-Za-z0-9]{6}$", arn):
            problem = ("%s_arn: %r has no 6-character suffix; give the secret's full ARN, %s" % (prefix, arn, example))
        if not problem and context.get("region") and names.parse_arn(arn)["region"] != context["region"]:
            problem = ("%s_arn: %r is in region %s, but the site runs in %s: ECS reads the secret only in its own region. "
                       "Adopt a secret of %s, or set prefect_ecs_region to the secret's region"
                       % (prefix, arn, names.parse_arn(arn)["region"], context["region"], context["region"]))
        if problem:
            problems.append(problem + "; or set %s_store to match, or leave %s_arn empty to let the role create the "
                            "secret" % (prefix, prefix) if "not a valid" in problem else problem)
    limit = secretsmanager.MAX_VALUE if store == "secretsmanager" else 4096
    if wants_value and not 1 <= len(str(value or "")) <= limit:
        variable = "API key" if kind == "api_key" else "auth string"
        problems.append(
            "%s_value: the credential is empty or over %d characters. Give the host its %s: %s from Ansible Vault, the "
            "name of the environment variable that holds it in %s, or export %s for the server of PREFECT_API_URL; set "
            "%s_value from Ansible Vault; adopt an existing secret with %s_arn; or, for a self-hosted server with "
            "authentication off, set prefect_ecs_api_auth to none"
            % (prefix, limit, variable,
               "prefect_ecs_api_key" if kind == "api_key" else "prefect_ecs_api_auth_string",
               "prefect_ecs_api_key_env" if kind == "api_key" else "prefect_ecs_api_auth_string_env",
               "PREFECT_API_KEY" if kind == "api_key" else "PREFECT_API_AUTH_STRING", prefix, prefix))
    return unique(problems)


def own_secret_arn(arn, store, name, region):
    """Whether `arn` is the ARN of the secret this role manages by name (a fact left by an earlier run in the same
    play), not an adoption."""
    if store == "secretsmanager":
        pattern = r"^arn:[a-z-]+:secretsmanager:%s:[0-9]{12}:secret:%s-([A-Za-z0-9]{6}|[?]{6})$" % (
            re.escape(region or ""), re.escape(name))
    else:
        pattern = r"^arn:[a-z-]+:ssm:%s:[0-9]{12}:parameter/%s$" % (re.escape(region or ""), re.escape(name.lstrip("/")))
    return bool(re.match(pattern, arn))


class Identity(object):
    """The part of the run's AWS identity an ARN check needs."""
    def __init__(self, partition):
        self.partition = partition


ROLE_ARN_RE = r"^arn:[a-z-]+:iam::[0-9]{12}:role/([A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]{1,64}$"
SECRET_ARN_RE = (r"^arn:[a-z-]+:(secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-([A-Za-z0-9]{6}|[?]{6})"
                 r"|ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9_./-]+)$")
KMS_KEY_ARN_RE = r"^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$"


def ecs_iam(values):
    """The roles' names (IAM's 64 characters), path, adopted ARNs, the roles the worker may pass, the credential's
    ARNs, the flow-run task role's policies and the event pipeline's statements (none may grant on *)."""
    prefix = "ecs_iam"

    def var(key):
        return values.get("%s_%s" % (prefix, key))
    problems = []
    for role in ("execution", "worker_task", "flow_run_task"):
        field = "%s_%s_role_name" % (prefix, role)
        problems.append(names.check_name("iam_role", var(role + "_role_name"), field, derived_from=prefix + "_name_prefix"))
        arn = var(role + "_role_arn") or ""
        if arn and not re.match(ROLE_ARN_RE, arn):
            problems.append("%s_%s_role_arn: must be empty (let this role create it) or the ARN of an existing role "
                            "(arn:<partition>:iam::<account>:role/<name>); got %r" % (prefix, role, arn))
    path = str(var("path") or "")
    if not iam_roles.PATH_RE.match(path) or len(path) > 512:
        problems.append("%s_path: must start and end with / (e.g. / or /prefect/); got %r" % (prefix, path))
    if var("state") == "absent":
        return unique(problems)
    bad = [a for a in var("pass_role_arns") or [] if not re.match(ROLE_ARN_RE, str(a))]
    if bad:
        problems.append("%s_pass_role_arns: %s %s not role ARNs; the worker may pass only named roles to ECS (no "
                        "wildcard, never *)" % (prefix, ", ".join(map(repr, bad)), "is" if len(bad) == 1 else "are"))
    secret, key = var("secret_arn") or "", var("secret_kms_key_arn") or ""
    if not var("execution_role_arn"):
        if secret and not re.match(SECRET_ARN_RE, secret):
            problems.append("%s_secret_arn: must be empty (no credential) or the full ARN of the Secrets Manager secret "
                            "(with its 6-character suffix) or SSM parameter, as prefect_ops.ecs.prefect_api_secret "
                            "publishes it; got %r" % (prefix, secret))
        if key and not re.match(KMS_KEY_ARN_RE, key):
            problems.append("%s_secret_kms_key_arn: must be empty or a KMS key ARN "
                            "(arn:<partition>:kms:<region>:<account>:key/<id>); got %r" % (prefix, key))
    if var("flow_run_task_role_create"):
        for i, arn in enumerate(var("flow_run_managed_policy_arns") or []):
            if not iam_roles.MANAGED_POLICY_RE.match(str(arn)):
                problems.append("%s_flow_run_managed_policy_arns[%d]: %r is not a managed policy ARN "
                                "(arn:<partition>:iam::<account or aws>:policy/<name>)" % (prefix, i, arn))
        for name, document in (var("flow_run_inline_policies") or {}).items():
            field = "%s_flow_run_inline_policies[%r]" % (prefix, name)
            problems.append(names.check_name("iam_policy", str(name), field))
            if not isinstance(document, dict) or "Statement" not in document:
                problems.append("%s: must be a policy document with a Statement" % field)
    statements = var("events_policy_statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        problems.append("%s_events_policy_statement: must be an IAM statement or a list of them (got %r)"
                        % (prefix, statements))
        statements = []
    for i, statement in enumerate(statements):
        field = "%s_events_policy_statement[%d]" % (prefix, i)
        if not isinstance(statement, dict) or not all(k in statement for k in ("Effect", "Action", "Resource")):
            problems.append("%s: each statement needs Effect, Action and Resource (got %r)" % (field, statement))
            continue
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if "*" in resources:
            problems.append("%s: Resource * would grant the worker these actions on every resource; name the queue"
                            % field)
    return unique(problems)


ID_PATTERNS = {"vpc_id": (r"^vpc-[0-9a-f]{8,17}$", "a VPC ID (vpc-...)"),
               "subnet_ids": (r"^subnet-[0-9a-f]{8,17}$", "a subnet ID (subnet-...)"),
               "security_group_ids": (r"^sg-[0-9a-f]{8,17}$", "a security group ID (sg-..., not a name)")}


def ecs_network(values):
    """The network given or adopted (well-formed IDs, complete when adopted), or created (its address plan: blocks
    inside the VPC's, none overlapping; its egress options)."""
    prefix = "ecs_network"

    def var(key):
        return values.get("%s_%s" % (prefix, key))
    mode, present = var("mode"), var("state") != "absent"
    problems = []
    if mode in ("none", "adopt"):
        vpc = var("vpc_id") or ""
        if vpc and not re.match(ID_PATTERNS["vpc_id"][0], vpc):
            problems.append("%s_vpc_id: %r is not %s" % (prefix, vpc, ID_PATTERNS["vpc_id"][1]))
        for key in ("subnet_ids", "security_group_ids"):
            for i, value in enumerate(var(key) or []):
                if not re.match(ID_PATTERNS[key][0], str(value)):
                    problems.append("%s_%s[%d]: %r is not %s" % (prefix, key, i, value, ID_PATTERNS[key][1]))
        if mode == "adopt" and present:
            missing = ["%s_%s" % (prefix, k) for k in ("vpc_id", "subnet_ids", "security_group_ids") if not var(k)]
            if missing:
                problems.append("%s: ecs_network_mode=adopt needs ecs_network_vpc_id, ecs_network_subnet_ids (at least "
                                "one) and ecs_network_security_group_ids (at least one: without, tasks get the VPC's "
                                "default security group); set it" % ", ".join(missing))
        return problems
    if not present:
        return problems
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$", str(var("name_prefix") or "")):
        problems.append("%s_name_prefix: %r may only hold letters, digits, _ . - (starting with a letter or digit)"
                        % (prefix, var("name_prefix")))
    blocks = [("%s_vpc_cidr" % prefix, var("vpc_cidr"))]
    blocks += [("%s_private_subnet_cidrs[%d]" % (prefix, i), c) for i, c in enumerate(var("private_subnet_cidrs") or [])]
    if var("egress") == "nat":
        blocks.append(("%s_public_subnet_cidr" % prefix, var("public_subnet_cidr")))
    networks = []
    for field, cidr in blocks:
        try:
            networks.append((field, ipaddress.IPv4Network(str(cidr), strict=True)))
        except ValueError as e:
            problems.append("%s: %r is not an IPv4 CIDR block (%s)" % (field, cidr, e))
    if not 1 <= len(var("private_subnet_cidrs") or []) <= 6:
        problems.append("%s_private_subnet_cidrs: give 1 to 6 blocks, one per availability zone" % prefix)
    zones = var("availability_zones") or []
    if zones and len(zones) < len(var("private_subnet_cidrs") or []):
        problems.append("%s_availability_zones: give a zone per private subnet (%d zones for %d subnets), or none to "
                        "let the role pick" % (prefix, len(zones), len(var("private_subnet_cidrs") or [])))
    if len(networks) == len(blocks):
        vpc = networks[0][1]
        if not 16 <= vpc.prefixlen <= 28:
            problems.append("%s_vpc_cidr: a VPC block is /16 to /28 (got %s)" % (prefix, vpc))
        for i, (field, block) in enumerate(networks[1:], 1):
            if not block.subnet_of(vpc):
                problems.append("%s: %s is not inside the VPC's %s" % (field, block, vpc))
            for other_field, other in networks[1:i]:
                if block.overlaps(other):
                    problems.append("%s: %s overlaps %s (%s)" % (field, block, other, other_field))
    services = var("endpoint_services") or []
    for i, service_name in enumerate(services):
        if not re.match(r"^[a-z0-9][a-z0-9.-]*$", str(service_name)):
            problems.append("%s_endpoint_services[%d]: %r is not an endpoint service short name (ecr.api, logs, ...)"
                            % (prefix, i, service_name))
    if var("egress") == "endpoints" and not services:
        problems.append("%s_endpoint_services: ecs_network_egress=endpoints needs the services to reach (ecr.api, "
                        "ecr.dkr, logs, secretsmanager, sqs, ecs, sts)" % prefix)
    for i, rule in enumerate(var("worker_egress_rules") or []):
        if not isinstance(rule, dict):
            problems.append("%s_worker_egress_rules[%d]: each rule is a mapping in ec2_security_group's rule shape "
                            "(got %r)" % (prefix, i, rule))
    return problems


ENTRY_KEYS = ("name", "flow_name", "entrypoint", "work_pool", "work_queue", "image", "task_definition", "job_variables",
              "parameters", "schedules", "tags", "description", "version", "concurrency_limit", "concurrency_options",
              "pull_steps", "paused", "enforce_parameter_schema", "parameter_openapi_schema", "state")
REPOSITORY_KEYS = ("name", "scan_on_push", "image_tag_mutability", "keep_images", "lifecycle_policy", "tags", "adopt")
# role entry key -> the prefect_deployment module option the role passes it as
DEPLOYMENT_OPTIONS = {"work_pool": "work_pool_name", "work_queue": "work_queue_name"}


def keep_policy(keep):
    return {"rules": [{"rulePriority": 1, "description": "Keep the last %s images" % keep,
                       "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
                       "action": {"type": "expire"}}]}


def prefect_deployments(values):
    """Each deployment of the list through prefect_deployment's own checks (names, entrypoint, schedules, limits,
    credentials in job variables) and each ECR repository through ecr_repository's, all before the first is written."""
    prefix = "prefect_deployments"

    def var(key):
        return values.get("%s_%s" % (prefix, key))
    problems = []
    keep = var("ecr_keep_images")
    if keep is None or keep < 1:
        problems.append("%s_ecr_keep_images: %s keeps no image; use 1 or more" % (prefix, keep))
    arns = var("task_definition_arns") or {}
    seen = set()
    for i, entry in enumerate(var("list") or []):
        where = "%s_list[%d]" % (prefix, i)
        if not isinstance(entry, dict):
            problems.append("%s: must be a mapping with name, flow_name and entrypoint (got %r)" % (where, entry))
            continue
        problems.append(unknown_keys(entry, ENTRY_KEYS, where))
        for field in ("name", "flow_name"):
            if entry.get(field) is None:
                problems.append("%s.%s is missing: give the %s" % (where, field, "deployment name" if field == "name"
                                                                   else "name of the @flow it runs (for example hello)"))
        key = "%s/%s" % (entry.get("flow_name"), entry.get("name"))
        if key in seen:
            problems.append("%s is deployment %r a second time: flow_name/name must be unique in %s_list" % (where, key, prefix))
        seen.add(key)
        state = entry.get("state") or var("state")
        if state not in ("present", "absent"):
            problems.append("%s.state must be present or absent (got %r)" % (where, state))
            continue
        for field in ("job_variables", "parameters", "parameter_openapi_schema", "concurrency_options"):
            if entry.get(field) is not None and not isinstance(entry[field], dict):
                problems.append("%s.%s must be a mapping" % (where, field))
        for field in ("schedules", "tags", "pull_steps"):
            if entry.get(field) is not None and not isinstance(entry[field], list):
                problems.append("%s.%s must be a list" % (where, field))
        if state == "present" and entry.get("entrypoint") is None:
            problems.append("%s.entrypoint is missing: give 'path/to/file.py:flow_function' (for example "
                            "flows/hello.py:hello) or 'package.module.flow_function'" % where)
        job_variables = dict(entry.get("job_variables") or {}) if isinstance(entry.get("job_variables"), dict) else {}
        if entry.get("task_definition") is not None:
            if "task_definition_arn" in job_variables:
                problems.append("%s has both task_definition and job_variables.task_definition_arn: give one of them" % where)
            elif arns and entry["task_definition"] not in arns:
                problems.append("%s.task_definition %r is not a key of %s_task_definition_arns (default: the fact "
                                "ecs_flow_run_task_definitions_arns; known: %s): give one of them, or the ARN as "
                                "job_variables.task_definition_arn" % (where, entry["task_definition"], prefix,
                                                                       ", ".join(sorted(arns)) or "none"))
            job_variables["task_definition_arn"] = arns.get(entry["task_definition"], "registered by this run")
        params = {"name": entry.get("name"), "flow_name": entry.get("flow_name"), "state": state,
                  "work_pool_name": entry.get("work_pool", var("work_pool"))}
        if state == "present":
            for field in ("entrypoint", "work_queue", "image", "schedules", "tags", "concurrency_limit",
                          "concurrency_options", "pull_steps"):
                value = entry.get(field)
                if value is not None and not (field in ("schedules", "tags", "pull_steps") and not isinstance(value, list)) \
                        and not (field == "concurrency_options" and not isinstance(value, dict)):
                    params[DEPLOYMENT_OPTIONS.get(field, field)] = value
            params["job_variables"] = job_variables
            if params.get("concurrency_limit") is not None:
                try:
                    params["concurrency_limit"] = int(params["concurrency_limit"])
                except (TypeError, ValueError):
                    problems.append("%s.concurrency_limit: %r is not a whole number" % (where, params.pop("concurrency_limit")))
        fields = dict((option, "%s.%s" % (where, field)) for field, option in
                      [(f, DEPLOYMENT_OPTIONS.get(f, f)) for f in ("name", "flow_name", "entrypoint", "work_pool", "work_queue",
                                                                   "image", "job_variables", "schedules", "tags",
                                                                   "concurrency_limit", "concurrency_options", "pull_steps")])
        if "work_pool" not in entry:
            fields["work_pool_name"] = "%s_work_pool (the work pool of %s)" % (prefix, where)
        problems += module_problems(deployment.input_errors, params, fields)
    names_seen = set()
    for i, repository in enumerate(var("ecr_repositories") or []):
        where = "%s_ecr_repositories[%d]" % (prefix, i)
        if not isinstance(repository, dict):
            problems.append("%s: must be a mapping with at least a name (got %r)" % (where, repository))
            continue
        problems.append(unknown_keys(repository, REPOSITORY_KEYS, where))
        if repository.get("name") in names_seen:
            problems.append("%s.name %r appears twice in %s_ecr_repositories" % (where, repository.get("name"), prefix))
        names_seen.add(repository.get("name"))
        repo_keep = repository.get("keep_images", keep)
        try:
            repo_keep = int(repo_keep)
            if repo_keep < 1:
                raise ValueError(repo_keep)
        except (TypeError, ValueError):
            problems.append("%s.keep_images must be a whole number of images, 1 or more (got %r)" % (where, repo_keep))
            repo_keep = 1
        for field in ("scan_on_push", "adopt"):
            if field in repository and not isinstance(repository[field], bool):
                problems.append("%s.%s must be true or false" % (where, field))
        params = {"name": repository.get("name"), "site": values.get("prefect_ecs_name"),
                  "image_tag_mutability": repository.get("image_tag_mutability", "IMMUTABLE"),
                  "lifecycle_policy": repository.get("lifecycle_policy", keep_policy(repo_keep)),
                  "tags": dict(site_tags(values, var("ecr_tags")), **(repository.get("tags") or {}))
                  if isinstance(repository.get("tags") or {}, dict) else repository.get("tags")}
        fields = dict((k, "%s.%s" % (where, k)) for k in ("name", "image_tag_mutability", "lifecycle_policy", "tags"))
        fields["site"] = "prefect_ecs_name"
        problems += module_problems(ecr.static_problems, params, fields)
    return unique(problems)


CHECKS = {
    "ecs_cluster": ecs_cluster,
    "ecs_log_groups": ecs_log_groups,
    "ecs_events": ecs_events,
    "ecs_verify": ecs_verify,
    "ecs_worker_service": ecs_worker_service,
    "ecs_warm_lane": ecs_warm_lane,
    "ecs_alarms": ecs_alarms,
    "ecs_push_lane": ecs_push_lane,
    "ecs_flow_run_task_definitions": ecs_flow_run_task_definitions,
    "prefect_work_pools": prefect_work_pools,
    "prefect_api_secret": prefect_api_secret,
    "ecs_iam": ecs_iam,
    "ecs_network": ecs_network,
    "prefect_deployments": prefect_deployments,
}


def adopted_network_problems(ec2, values, region):
    """Mode adopt: each subnet and security group exists and belongs to the VPC (EC2 DescribeSubnets and
    DescribeSecurityGroups by filter, so a missing one is an empty answer, not an error; the VPC is not read: subnets
    and groups that belong to it prove it exists). ``ec2``: an EC2 client of the host's region and identity."""
    prefix = "ecs_network"
    vpc = values.get(prefix + "_vpc_id")
    problems = []
    for key, call, answer, ident, what in (
            ("subnet_ids", "describe_subnets", "Subnets", "SubnetId", "subnet"),
            ("security_group_ids", "describe_security_groups", "SecurityGroups", "GroupId", "security group")):
        wanted = [str(i) for i in values.get("%s_%s" % (prefix, key)) or []]
        if not wanted:
            continue
        filter_name = "subnet-id" if key == "subnet_ids" else "group-id"
        found = getattr(ec2, call)(Filters=[{"Name": filter_name, "Values": wanted}]).get(answer) or []
        missing = [i for i in wanted if i not in [f.get(ident) for f in found]]
        foreign = [f.get(ident) for f in found if f.get("VpcId") != vpc]
        field = "%s_%s" % (prefix, key)
        if missing:
            problems.append("%s: no %s %s in %s" % (field, what, ", ".join(missing), region))
        if foreign:
            problems.append("%s: %ss not in %s_vpc_id %s (is it a VPC of %s?): %s"
                            % (field, what, prefix, vpc, region, ", ".join(foreign)))
    return problems


def ecs_network_reads(values):
    """Mode adopt: the adopted subnets and security groups are read (EC2, on the controller)."""
    if values.get("ecs_network_mode") != "adopt" or values.get("ecs_network_state") == "absent":
        return []
    return [{"service": "ec2", "check": adopted_network_problems}]


# The reads a role's inputs need: role -> function(values) -> a list of reads, each either a read-only module run
# in check mode ({module, params, field}; a failure is reported as "<field>: <the module's message>") or an AWS check
# on the controller ({service, check}: check(client, values, region) -> problems).
READS = {"prefect_work_pools": prefect_work_pools_reads, "ecs_network": ecs_network_reads}

# Private variables of a role (its vars/main.yml) that its check reads, as the role's tasks would template them.
PRIVATE = {"ecs_worker_service": ("__ecs_worker_service_container",)}


# --- what a role takes from earlier roles' facts, checked when the role runs (the site's preflight runs before any
# role has published them). Each function gets the role's variables (and the private ones its role passes) by name.

CLUSTER_ARN_RE = r"^arn:[a-z-]+:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]{1,255}$"


def ecs_events_earlier(values):
    if values.get("ecs_events_state") == "absent" or values.get("ecs_events_clusters"):
        return []
    return ["ecs_events_clusters must name at least one cluster (run the ecs_cluster role first or set it; got %r)"
            % (values.get("ecs_events_clusters"),)]


def ecs_iam_earlier(values):
    """The worker's policy is scoped to the cluster and the flow runs' log group (not needed for an adopted worker
    role: ``worker_adopted``)."""
    if values.get("ecs_iam_state") == "absent" or values.get("worker_adopted"):
        return []
    cluster, group = values.get("ecs_iam_cluster_arn") or "", values.get("ecs_iam_flow_runs_log_group") or ""
    if re.match(CLUSTER_ARN_RE, cluster) and log_group.NAME_RE.match(group):
        return []
    return ["the worker's policy is scoped to the cluster and the flow runs' log group. ecs_iam_cluster_arn must be an "
            "ECS cluster ARN (got %r; run prefect_ops.ecs.ecs_cluster first or set it), ecs_iam_flow_runs_log_group a "
            "log group name (got %r; run prefect_ops.ecs.ecs_log_groups first or set it)" % (cluster, group)]


def ecs_flow_run_task_definitions_earlier(values):
    prefix = "ecs_flow_run_task_definitions"
    if values.get(prefix + "_state") == "absent":
        return []
    secret, group = values.get(prefix + "_secret_arn") or "", values.get(prefix + "_log_group") or ""
    region, role = str(values.get(prefix + "_region") or "").strip(), values.get(prefix + "_execution_role_arn") or ""
    problems = []
    if secret and not re.match(SECRET_ARN_RE, secret):
        problems.append("%s_secret_arn must be empty (a server without auth) or the full ARN of the credential's "
                        "Secrets Manager secret (with its 6-character suffix) or SSM parameter (default: the fact "
                        "prefect_api_secret.arn; got %r)" % (prefix, secret))
    if group and not log_group.NAME_RE.match(group):
        problems.append("%s_log_group must be a log group name (default: the fact ecs_log_groups_flow_runs; got %r)"
                        % (prefix, group))
    if group and names.check_region(region):
        problems.append("%s_region must be an AWS region for the awslogs driver (prefect_ecs_region or AWS_REGION; "
                        "got %r)" % (prefix, region))
    if (secret or group) and not role:
        problems.append("the credential secret and the awslogs driver need the task execution role: set "
                        "%s_execution_role_arn (default: the fact ecs_iam.execution_role_arn; run prefect_ops.ecs.ecs_iam "
                        "first)" % prefix)
    return problems


def ecs_worker_service_earlier(values):
    prefix = "ecs_worker_service"
    if values.get(prefix + "_state") == "absent":
        return []
    problems = []
    if not values.get(prefix + "_cluster"):
        problems.append("needs %s_cluster (run ecs_cluster first or set it; got %r)"
                        % (prefix, values.get(prefix + "_cluster")))
    if not values.get(prefix + "_subnet_ids"):
        problems.append("needs at least one subnet (%s_subnet_ids; run ecs_network first or set it)" % prefix)
    if not values.get(prefix + "_security_group_ids"):
        problems.append("needs one security group (%s_security_group_ids: the service never falls back to the VPC's "
                        "default group)" % prefix)
    return problems


def ecs_push_lane_earlier(values):
    """The identity's policy is scoped to the cluster (and the pinned definition's family)."""
    if values.get("ecs_push_lane_state") == "absent":
        return []
    from ansible_collections.prefect_ops.ecs.plugins.module_utils import submission_policy  # pylint: disable=import-outside-toplevel
    try:
        submission_policy.ecs_submission_policy(values.get("ecs_push_lane_cluster"), [],
                                                values.get("ecs_push_lane_task_definition_arn") or "")
    except submission_policy.PolicyInputError as exc:
        return ["the push identity's policy: %s; set ecs_push_lane_cluster / ecs_push_lane_task_definition_arn "
                "(defaults: the facts ecs_cluster.arn and ecs_flow_run_task_definitions_arn; run those roles first)"
                % exc]
    return []


EARLIER = {"ecs_push_lane": ecs_push_lane_earlier, "ecs_events": ecs_events_earlier, "ecs_iam": ecs_iam_earlier,
           "ecs_flow_run_task_definitions": ecs_flow_run_task_definitions_earlier,
           "ecs_worker_service": ecs_worker_service_earlier}


def _for_role(table, role, values):
    """What the function of `role` in `table` (CHECKS, READS, EARLIER) returns for `values`; [] without one."""
    check = table.get(role)
    return check(values) if check else []


def earlier_problems(role, values):
    """The problems of what `role` takes from earlier roles' facts (none for a role that takes nothing)."""
    return _for_role(EARLIER, role, values)


def problems(role, values):
    """The problems of `role`'s inputs (none for a role whose checks are still its preflight's asserts)."""
    return _for_role(CHECKS, role, values)


def reads(role, values):
    """The reads `role`'s inputs need."""
    return _for_role(READS, role, values)
