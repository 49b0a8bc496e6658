# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks of prefect_ops.ecs.ecs_verify (the manual guide's troubleshooting list), as pure functions.

The action plugin (plugins/action/ecs_verify.py) gathers what exists: what this run's roles reported (the
event pipeline's health, the worker service and its task definition, the IAM roles as ecs_iam leaves them) and,
for the rest, what its read-only calls found. ``report`` turns that into the checks, each a dict
``{check, status, detail}`` with status ``pass``, ``fail``, ``not checked`` or, in check mode, ``would be fixed``:
the object fails its check now and this run would change it so that it passes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.prefect_ops.ecs.plugins.module_utils.iam_policy import evaluate_requirements
from ansible_collections.prefect_ops.ecs.plugins.module_utils.iam_policy import not_allowed

PASS, FAIL, NOT_CHECKED, WOULD_BE_FIXED = "pass", "fail", "not checked", "would be fixed"
# the worst first: the status of a check made of several parts
SEVERITY = (FAIL, WOULD_BE_FIXED, NOT_CHECKED, PASS)

PIPELINE = "event pipeline present and wired (queue, DLQ redrive, queue policy for the rule, rule pattern, target)"
DEAD_LETTERS = "dead-letter queue empty"
SERVICE = "worker service active"
RUNNING = "worker service running = desired"
TASK_DEFINITION = "worker task definition registered"
ROLES = "roles carry the needed actions"
WORKER = "worker online in pool %s"

EXECUTION_POLICY = "arn:%s:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
PLACEHOLDER = re.compile(r"<([a-z_]+)>")
PLACEHOLDERS = ("partition", "region", "account", "cluster", "execution_role", "flow_run_task_role", "queue",
                "queue_kms_key", "flow_runs_log_group")


def worst(statuses):
    statuses = list(statuses)
    for status in SEVERITY:
        if status in statuses:
            return status
    return PASS


def check(name, status, detail):
    return {"check": name, "status": status, "detail": detail}


def requirement_problems(requirements):
    """Messages for items of ecs_verify_worker_task_role_requirements that are not {action, resource[, why,
    optional]} or name a placeholder that does not exist (static: no read needed)."""
    problems = []
    if not isinstance(requirements, list):
        return ["ecs_verify_worker_task_role_requirements must be a list of mappings with action and resource"]
    for index, item in enumerate(requirements):
        if not isinstance(item, dict) or "action" not in item or "resource" not in item:
            problems.append("ecs_verify_worker_task_role_requirements[%d] must be a mapping with `action` and `resource` "
                            "(optional `why`, `optional`)" % index)
            continue
        unknown = sorted(set(PLACEHOLDER.findall(str(item["resource"]))) - set(PLACEHOLDERS))
        if unknown:
            problems.append("ecs_verify_worker_task_role_requirements[%d]: unknown placeholder(s) %s in resource %r; "
                            "known: %s" % (index, ", ".join("<%s>" % u for u in unknown), item["resource"],
                                           ", ".join("<%s>" % p for p in PLACEHOLDERS)))
    return problems


def input_problems(pool, worker_timeout, requirements):
    """The role's and the action's input checks (static: read nothing)."""
    problems = requirement_problems(requirements or [])
    try:
        timeout = int(worker_timeout if worker_timeout is not None else 0)
    except (TypeError, ValueError):
        timeout = -1
    if timeout < 0:
        problems.append("ecs_verify_worker_timeout must be 0 or more seconds (got %r)" % (worker_timeout,))
    if not pool:
        problems.append("ecs_verify_pool must name the work pool to check")
    return problems


def expand(resource, values):
    """The resource with its <placeholders> replaced; "" when one of them has no value (resource unknown)."""
    resource = str(resource or "")
    missing = [name for name in PLACEHOLDER.findall(resource) if not values.get(name)]
    if missing:
        return ""
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), resource)


def placeholder_values(cluster_arn, execution_role, flow_run_task_role, queue_arn, queue_kms_key, flow_runs_log_group):
    """Values of the requirements' placeholders; partition, region, account and cluster come from the cluster ARN."""
    parts = (cluster_arn or "").split(":")
    ok = len(parts) >= 6 and parts[0] == "arn"
    return {
        "partition": parts[1] if ok else "", "region": parts[3] if ok else "", "account": parts[4] if ok else "",
        "cluster": parts[5].split("/")[-1] if ok else "", "execution_role": execution_role or "",
        "flow_run_task_role": flow_run_task_role or "", "queue": queue_arn or "", "queue_kms_key": queue_kms_key or "",
        "flow_runs_log_group": flow_runs_log_group or "",
    }


def worker_requirements(requirements, values):
    """The worker role's requirements with their resources expanded; an `optional` item whose resource is unknown
    is dropped, any other keeps an empty resource (reported "not checked")."""
    out = []
    for item in requirements or []:
        resource = expand(item.get("resource"), values)
        if item.get("optional") and not resource:
            continue
        out.append(dict(item, resource=resource))
    return out


def execution_requirements(secret_arn, secret_kms_key_arn):
    out = []
    if secret_arn:
        service = secret_arn.split(":")[2] if secret_arn.count(":") >= 2 else ""
        out.append({"action": "ssm:GetParameters" if service == "ssm" else "secretsmanager:GetSecretValue",
                    "resource": secret_arn, "why": "ECS injects the Prefect credential into the worker container"})
    if secret_kms_key_arn:
        out.append({"action": "kms:Decrypt", "resource": secret_kms_key_arn,
                    "why": "the credential secret is encrypted with a customer key"})
    return out


def _name(arn):
    return (arn or "").split("/")[-1]


def role_status(role, state):
    """(status, text) of one role's check against ``state`` = {attached, documents} (None: the role does not exist).

    ``role``: {label, variable, arn, managed (policy ARNs that must be attached), requirements, cluster_known}."""
    label, name = role["label"], _name(role["arn"])
    if not role["arn"]:
        return NOT_CHECKED, "%s: no ARN known (set %s)" % (label, role["variable"])
    if state is None:
        return FAIL, "%s %s does not exist: run the ecs_iam role or set %s" % (label, name, role["variable"])
    if not role.get("cluster_known", True):
        return NOT_CHECKED, ("%s %s: the cluster ARN is unknown (no service, no fact ecs_cluster.arn), so the resources to "
                             "check are unknown" % (label, name))
    documents, attached = list(state.get("documents") or []), list(state.get("attached") or [])
    known = [r for r in role["requirements"] if r.get("resource")]
    unknown = [r["action"] for r in role["requirements"] if not r.get("resource")]
    missing_managed = [arn for arn in role["managed"] if arn not in attached]
    missing = not_allowed(documents, known)
    denied = [m for m in missing if m.get("decision") == "explicit_deny"]
    other_managed = [arn for arn in attached if arn not in role["managed"]]
    conditional = []
    for evaluation in evaluate_requirements(documents, known):
        if evaluation.get("allowed") and evaluation.get("conditions") and evaluation["action"] not in conditional:
            conditional.append(evaluation["action"])
    problems = ["%s is not attached (attach %s)" % (_name(arn), arn) for arn in missing_managed]
    for m in missing:
        text = "%s on %s " % (m["action"], m["resource"])
        text += ("is denied by " + ", ".join(m.get("denied_by") or [])) if m.get("decision") == "explicit_deny" else "is not allowed"
        problems.append(text + (" (%s)" % m["why"] if m.get("why") else ""))
    if missing_managed or denied or (missing and not other_managed):
        status = FAIL
    elif missing or unknown:
        status = NOT_CHECKED
    else:
        status = PASS
    if problems:
        text = "; ".join(problems) + " - add what is missing to the role policy (the ecs_iam role builds it; an adopted role is yours to fix)"
    else:
        text = (", ".join(_name(arn) for arn in role["managed"]) + " attached; ") if role["managed"] else ""
        if known and len(known) <= 2:
            resources = []
            for r in known:
                if r["resource"] not in resources:
                    resources.append(r["resource"])
            text += "allows %s on %s" % (", ".join(r["action"] for r in known), ", ".join(resources))
        elif known:
            text += "allows all %d needed actions on their resources" % len(known)
        else:
            text += "nothing else to allow"
    if missing and other_managed:
        text += "; attached managed policies not read: %s (they may allow what is missing)" % ", ".join(other_managed)
    if unknown:
        text += "; not checked, resource unknown: " + ", ".join(unknown)
    if conditional:
        text += "; conditions not evaluated on " + ", ".join(conditional)
    return status, "%s %s: %s" % (label, name, text)


def role_check(role, current, predicted, check_mode):
    """One role's (status, detail). ``current``: the role as read ({attached, documents}, None when it does not
    exist, or the string "unread" when it was not read); ``predicted``: the role as this run's ecs_iam role leaves
    it (None when ecs_iam does not manage it). In check mode a role that fails now and would pass as ecs_iam leaves
    it is "would be fixed"."""
    name = "%s %s" % (role["label"], _name(role["arn"]))
    if check_mode and role["arn"] and current is None:
        if predicted is not None:
            status, text = role_status(role, predicted)
            if status == FAIL:
                return status, text
        return NOT_CHECKED, "%s: check mode, it does not exist yet (this run would create it)" % name
    if current == "unread":
        return role_status(role, predicted)
    status, text = role_status(role, current)
    if check_mode and status == FAIL and predicted is not None:
        after, after_text = role_status(role, predicted)
        if after != FAIL:
            return WOULD_BE_FIXED, "%s; this run's ecs_iam role would fix it (then: %s)" % (text, after_text.split(": ", 1)[-1])
    return status, text


def would_be_fixed(result, role, would_change):
    """A failed check of an object this run's ``role`` would change (``would_change``: check mode and the role's change
    record is not empty) is "would be fixed": the role converges every part the check looks at."""
    if would_change and result["status"] == FAIL:
        return check(result["check"], WOULD_BE_FIXED, "%s; this run's %s role would fix it" % (result["detail"], role))
    return result


def pipeline_checks(pipeline, created_by_this_run, would_change):
    """The event pipeline's two checks from the health report of prefect_ops.ecs.ecs_event_observer(_info).
    ``would_change``: check mode and this run's ecs_events role would change the pipeline (which rewires every part
    the first check looks at; messages in the dead-letter queue are no setting of it)."""
    pipeline = pipeline or {}
    failed = [c.get("detail", c.get("name")) for c in pipeline.get("checks") or []
              if c.get("name") in (pipeline.get("failed_checks") or [])]
    unanswered = pipeline.get("unknown_checks") or []
    suffix = " (not answered by this endpoint: %s)" % ", ".join(unanswered) if unanswered else ""
    if created_by_this_run:
        wired = check(PIPELINE, NOT_CHECKED, "check mode: the pipeline does not exist yet, this run would create it")
    elif pipeline.get("healthy"):
        wired = check(PIPELINE, PASS, "all parts present and wired" + suffix)
    else:
        wired = would_be_fixed(check(PIPELINE, FAIL, "; ".join(failed)), "ecs_events", would_change)
    depth = (pipeline.get("dead_letter_queue") or {}).get("messages_visible")
    if not pipeline.get("exists"):
        dead = check(DEAD_LETTERS, NOT_CHECKED, "%s messages in the dead-letter queue" % (depth if depth is not None else "no queue"))
    else:
        dead = check(DEAD_LETTERS, PASS if int(depth or 0) == 0 else FAIL,
                     "%s messages in the dead-letter queue" % (depth if depth is not None else 0))
    return [wired, dead]


def lane_off(names, why):
    """Checks of a part the site does not have, each "not checked" with ``why``."""
    return [check(name, NOT_CHECKED, why) for name in names]


def service_checks(service, where, read_error, cluster_missing, check_mode, emulated):
    """'worker service active' and 'worker service running = desired' of the service (ECS DescribeServices shape)."""
    if read_error:
        active = (FAIL, "could not read the service %s: %s" % (where, read_error))
    elif check_mode and not service:
        active = (NOT_CHECKED, "check mode: the service %s does not exist yet (this run would create it)" % where)
    elif not service:
        active = (FAIL, "the service %s does not exist%s: run the ecs_worker_service role (and ecs_cluster) or set "
                        "ecs_verify_service_name / ecs_verify_service_cluster" % (where, " (nor the cluster)" if cluster_missing else ""))
    elif service.get("status") == "ACTIVE":
        active = (PASS, "%s is ACTIVE" % service.get("serviceName"))
    else:
        active = (FAIL, "%s is %s (deleted or being deleted): run the ecs_worker_service role to create it again"
                  % (service.get("serviceName"), service.get("status")))
    running, desired = service.get("runningCount", 0) if service else 0, service.get("desiredCount", 0) if service else 0
    if active[0] != PASS:
        count = (NOT_CHECKED, "no ACTIVE service to count the tasks of (see %s)" % SERVICE)
    elif emulated:
        count = (NOT_CHECKED, "ecs_verify_emulated: the emulator reports task counts without running any container (it "
                              "reports %s running of %s desired); the worker online check below is the evidence" % (running, desired))
    elif int(running) == int(desired):
        count = (PASS, "%s of %s tasks running" % (running, desired))
    else:
        events = service.get("events") or []
        count = (FAIL, "%s of %s tasks running (%s pending): look at the service events%s, the stoppedReason of its "
                       "stopped tasks, the worker log group, and whether the execution role can pull the image and read "
                       "the credential secret" % (running, desired, service.get("pendingCount", 0),
                                                  ' ("%s")' % events[0].get("message") if events else ""))
    return [check(SERVICE, *active), check(RUNNING, *count)]


def task_definition_check(task_definition, arn, service, registered_arn, service_name, check_mode):
    """'worker task definition registered': ``task_definition`` {task_definition_arn, status} or None (not found)."""
    if check_mode and not service and not task_definition:
        return check(TASK_DEFINITION, NOT_CHECKED, "check mode: the task definition %s is not registered yet (this run "
                                                   "would register it)" % (arn or "of the worker"))
    if not arn:
        return check(TASK_DEFINITION, FAIL, "no task definition known: the service does not exist and "
                                            "ecs_verify_task_definition_arn is empty (run ecs_worker_service)")
    if not task_definition:
        return check(TASK_DEFINITION, FAIL, "%s is not found: run the ecs_worker_service role to register it" % arn)
    found = task_definition["task_definition_arn"]
    if task_definition.get("status") == "ACTIVE":
        extra = ""
        if service and registered_arn and registered_arn != found:
            extra = " (the service runs it; this run registered %s)" % registered_arn
        return check(TASK_DEFINITION, PASS, "%s is ACTIVE%s" % (found, extra))
    where = (" (deregistered): the service %s cannot start new worker tasks from it;" % service_name) if service else ":"
    return check(TASK_DEFINITION, FAIL, "%s is %s%s run the ecs_worker_service role to register it again and update the "
                                        "service" % (found, task_definition.get("status"), where))


def worker_check(pool, timeout, check_mode, found):
    """'worker online in pool <pool>': ``found`` the pool as prefect_ops.ecs.prefect_work_pool_info returns it."""
    name = WORKER % pool
    if check_mode:
        return check(name, NOT_CHECKED, "check mode: no worker is started")
    if int(timeout) == 0:
        return check(name, NOT_CHECKED, "ecs_verify_worker_timeout is 0")
    found = found or {}
    if int(found.get("online_workers") or 0) > 0:
        return check(name, PASS, "%s online" % ", ".join(w.get("name", "?") for w in found.get("workers") or []))
    return check(name, FAIL, "no worker online after %s s: check the worker service, its logs, PREFECT_API_URL and the "
                             "credential secret" % timeout)


def roles_check(statuses):
    """The roles' check from each role's (status, detail)."""
    return check(ROLES, worst(status for status, detail in statuses), ". ".join(detail for status, detail in statuses))


# -- the rest of the guide's troubleshooting list (issue 18, item 4) ------------------------------------------
WIRING = "worker task definition wiring (API URL, credential, observer queue)"
ROUTE = "route out of the worker's subnets"
LOG_ERRORS = "no recent ERROR lines in the worker log group"
OBSERVER_QUEUE_VARIABLE = "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME"
CREDENTIAL_VARIABLES = {"api_key": "PREFECT_API_KEY", "auth_string": "PREFECT_API_AUTH_STRING"}
SERVER_KIND = {"api_key": "Prefect Cloud (an API key)", "auth_string": "a self-hosted server with basic auth"}


def worker_container(task_definition):
    """The worker's container of a task definition in ecs_taskdefinition_info's shape (the one named prefect-worker,
    else the first), or None."""
    containers = (task_definition or {}).get("container_definitions") or []
    return next((c for c in containers if c.get("name") == "prefect-worker"), containers[0] if containers else None)


def wiring_check(container, api_url, kind, secret_arn, queue_name):
    """The worker container's PREFECT_API_URL, its credential (the variable of the server kind, from the secret, never
    in the plain environment) and the observer's queue name (when the site has the pipeline)."""
    if container is None:
        return check(WIRING, NOT_CHECKED, "no worker task definition to read")
    env = dict((e.get("name"), e.get("value")) for e in container.get("environment") or [])
    secrets = dict((x.get("name"), x.get("value_from") or x.get("valueFrom")) for x in container.get("secrets") or [])
    problems = []
    if (env.get("PREFECT_API_URL") or "").rstrip("/") != (api_url or "").rstrip("/"):
        problems.append("PREFECT_API_URL is %s, the site's Prefect API is %s"
                        % (env.get("PREFECT_API_URL") or "not set", api_url))
    for variable in CREDENTIAL_VARIABLES.values():
        if variable in env:
            problems.append("%s is in the plain environment (anyone who can describe the task definition reads it): "
                            "give it as a secret" % variable)
    wanted = CREDENTIAL_VARIABLES.get(kind)
    if wanted:
        other = [v for v in CREDENTIAL_VARIABLES.values() if v != wanted and v in secrets]
        if wanted not in secrets:
            problems.append("no secret %s, the credential of %s%s" % (
                wanted, SERVER_KIND[kind], "; it has %s instead, which that server does not read" % other[0] if other else ""))
        elif secret_arn and not (secrets[wanted] or "").startswith(secret_arn):
            problems.append("%s comes from %s, not from the site's secret %s" % (wanted, secrets[wanted], secret_arn))
    if queue_name and env.get(OBSERVER_QUEUE_VARIABLE) != queue_name:
        problems.append("%s is %s, the event pipeline's queue is %s: the observer reads no task events"
                        % (OBSERVER_QUEUE_VARIABLE, env.get(OBSERVER_QUEUE_VARIABLE) or "not set", queue_name))
    if problems:
        return check(WIRING, FAIL, "; ".join(problems))
    return check(WIRING, PASS, "PREFECT_API_URL %s, %s from the secret%s" % (
        api_url, wanted or "no credential (authentication off)", ", observer queue %s" % queue_name if queue_name else ""))


def _default_route(table):
    for route in (table or {}).get("Routes") or []:
        if route.get("DestinationCidrBlock") == "0.0.0.0/0" and route.get("State", "active") == "active":
            return (route.get("NatGatewayId") or route.get("GatewayId") or route.get("TransitGatewayId")
                    or route.get("InstanceId") or route.get("NetworkInterfaceId") or "")
    return ""


def route_check(subnets, public_ip, route_tables, endpoints):
    """Each worker subnet reaches the internet (a NAT gateway, or an internet gateway with a public IP) or, without a
    route out, the VPC has endpoints for the AWS services. ``route_tables``/``endpoints``: EC2's describe shapes of
    the subnets' VPC."""
    if not subnets:
        return check(ROUTE, NOT_CHECKED, "no worker subnets known (no service to read them from)")
    main = next((t for t in route_tables if any(a.get("Main") for a in t.get("Associations") or [])), None)
    services = sorted(set(e.get("ServiceName", "").split(".", 3)[-1] for e in endpoints or []))
    problems, routes = [], []
    for subnet in subnets:
        table = next((t for t in route_tables if any(a.get("SubnetId") == subnet for a in t.get("Associations") or [])),
                     main)
        target = _default_route(table)
        if target.startswith("igw-") and not public_ip:
            problems.append("%s: its default route is the internet gateway %s but the tasks get no public IP "
                            "(assignPublicIp DISABLED): route through a NAT gateway or enable the public IP"
                            % (subnet, target))
        elif target:
            routes.append("%s via %s" % (subnet, target))
        elif services:
            routes.append("%s through VPC endpoints (%s; the Prefect API must be reachable without the internet)"
                          % (subnet, ", ".join(services)))
        else:
            problems.append("%s: no default route (NAT or internet gateway) and no VPC endpoints: the worker cannot "
                            "pull its image, read its secret or reach the Prefect API" % subnet)
    if problems:
        return check(ROUTE, FAIL, "; ".join(problems))
    return check(ROUTE, PASS, "; ".join(routes))


def log_errors_check(group, events, minutes, limit):
    """ERROR lines the worker logged in the last ``minutes`` (``events``: FilterLogEvents' events, None: no group)."""
    if not group:
        return check(LOG_ERRORS, NOT_CHECKED, "no worker log group known")
    if events is None:
        return check(LOG_ERRORS, NOT_CHECKED, "the log group %s does not exist" % group)
    if not events:
        return check(LOG_ERRORS, PASS, "no ERROR line in %s in the last %d minutes" % (group, minutes))
    first = (events[0].get("message") or "").strip().splitlines()[0][:300] if events[0].get("message") else ""
    count = "%d%s" % (len(events), " or more" if len(events) >= limit else "")
    return check(LOG_ERRORS, FAIL, "%s ERROR line(s) in %s in the last %d minutes; the first: %s"
                 % (count, group, minutes, first))


def summary(report):
    """check -> status, or "status: detail" for a check that did not pass (the site summary's `checks`)."""
    return dict((c["check"], c["status"] if c["status"] == PASS else "%s: %s" % (c["status"], c["detail"])) for c in report)


def failed(report):
    return [c for c in report if c["status"] == FAIL]
