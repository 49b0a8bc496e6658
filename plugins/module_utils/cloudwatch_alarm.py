# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A CloudWatch metric alarm (module cloudwatch_alarm): one metric, its threshold and its actions, created with the
ownership tags; an existing alarm without them is changed only when adopted (and then never gets them), and removed
only when it carries this run's ownership tags.

PutMetricAlarm replaces the whole alarm, so an update sends the alarm as it is with the options the task sets on top:
an option that is not set keeps the alarm's value (ExtendedStatistic, Unit and the other fields this module has no
option for included).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_names as names
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import Changes
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import fail_on_problems
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import identity_and_region
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import plan_tags
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import run_state
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import tag_diff

OWNER_KEY = ecs.OWNER_KEY
SITE_KEY = ecs.SITE_KEY
MAX_TAGS = 50
MAX_ACTIONS = 5  # per alarm state (CloudWatch's limit)
STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"]
OPERATORS = ["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"]
MISSING_DATA = ["breaching", "notBreaching", "ignore", "missing"]
ACTION_RE = re.compile(r"^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:[0-9]{0,12}:.+$")
NEEDED_TO_CREATE = ("namespace", "metric_name", "statistic", "period", "evaluation_periods", "threshold",
                    "comparison_operator")

# option -> (PutMetricAlarm / DescribeAlarms key, to API, from API)
FIELDS = {
    "description": ("AlarmDescription", lambda v: v, lambda v: v or ""),
    "namespace": ("Namespace", lambda v: v, lambda v: v),
    "metric_name": ("MetricName", lambda v: v, lambda v: v),
    "dimensions": ("Dimensions", lambda v: [{"Name": k, "Value": str(d)} for k, d in sorted(v.items())],
                   lambda v: {d["Name"]: d["Value"] for d in v or []}),
    "statistic": ("Statistic", lambda v: v, lambda v: v),
    "period": ("Period", int, lambda v: v),
    "evaluation_periods": ("EvaluationPeriods", int, lambda v: v),
    "datapoints_to_alarm": ("DatapointsToAlarm", int, lambda v: v),
    "threshold": ("Threshold", float, lambda v: None if v is None else float(v)),
    "comparison_operator": ("ComparisonOperator", lambda v: v, lambda v: v),
    "treat_missing_data": ("TreatMissingData", lambda v: v, lambda v: v or "missing"),
    "alarm_actions": ("AlarmActions", sorted, lambda v: sorted(v or [])),
    "ok_actions": ("OKActions", sorted, lambda v: sorted(v or [])),
    "insufficient_data_actions": ("InsufficientDataActions", sorted, lambda v: sorted(v or [])),
    "actions_enabled": ("ActionsEnabled", bool, lambda v: True if v is None else bool(v)),
}
# What DescribeAlarms reports that PutMetricAlarm takes back, beyond FIELDS: kept as it is on an update.
KEPT_KEYS = ("ExtendedStatistic", "Unit", "EvaluateLowSampleCountPercentile", "ThresholdMetricId")


def argument_spec():
    return dict(
        name=dict(type="str", required=True, aliases=["alarm_name"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        site=dict(type="str"),
        description=dict(type="str"),
        namespace=dict(type="str"),
        metric_name=dict(type="str"),
        dimensions=dict(type="dict"),
        statistic=dict(type="str", choices=STATISTICS),
        period=dict(type="int"),
        evaluation_periods=dict(type="int"),
        datapoints_to_alarm=dict(type="int"),
        threshold=dict(type="float"),
        comparison_operator=dict(type="str", choices=OPERATORS),
        treat_missing_data=dict(type="str", choices=MISSING_DATA),
        alarm_actions=dict(type="list", elements="str"),
        ok_actions=dict(type="list", elements="str"),
        insufficient_data_actions=dict(type="list", elements="str"),
        actions_enabled=dict(type="bool"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        adopt=dict(type="bool", default=False),
    )


def static_problems(params):
    """Every input problem found without an AWS call; each names the option and the fix."""
    name = params.get("name") or ""
    problems = []
    if not 1 <= len(name) <= 255 or any(ord(c) < 32 for c in name):
        problems.append(f"name: {name!r} is not an alarm name; use 1 to 255 printable characters")
    site = params.get("site")
    problems += ecs.site_problems(site)
    if params.get("state") == "absent":
        return problems
    period, periods, datapoints = params.get("period"), params.get("evaluation_periods"), params.get("datapoints_to_alarm")
    if period is not None and not (period in (10, 20, 30) or (period >= 60 and period % 60 == 0)):
        problems.append(f"period: {period} s is not a period CloudWatch accepts; use 10, 20, 30 or a multiple of 60")
    if periods is not None and periods < 1:
        problems.append(f"evaluation_periods: {periods}; give 1 or more")
    if datapoints is not None and (datapoints < 1 or (periods is not None and datapoints > periods)):
        problems.append(f"datapoints_to_alarm: {datapoints}; give 1 to evaluation_periods ({periods})")
    if period and periods and period * periods > (86400 if period < 3600 else 7 * 86400):
        problems.append(f"evaluation_periods: {periods} periods of {period} s exceed what CloudWatch evaluates (one "
                        "day for periods under an hour, seven days otherwise); give fewer periods or a longer period")
    threshold = params.get("threshold")
    if threshold is not None and not math.isfinite(threshold):
        problems.append(f"threshold: {threshold} is not a finite number")
    dimensions = params.get("dimensions") or {}
    if len(dimensions) > 30:
        problems.append(f"dimensions: {len(dimensions)} dimensions; a metric has at most 30")
    for key, value in dimensions.items():
        if value is None or str(value) == "":
            problems.append(f"dimensions.{key}: empty; give the dimension's value (e.g. the queue name)")
    for field in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
        actions = params.get(field) or []
        if len(actions) > MAX_ACTIONS:
            problems.append(f"{field}: {len(actions)} actions; CloudWatch takes at most {MAX_ACTIONS} per state")
        problems += [f"{field}: {action!r} is not an ARN (e.g. arn:aws:sns:<region>:<account>:<topic>)"
                     for action in actions if not ACTION_RE.match(str(action))]
    problems += ecs.tag_problems(params.get("tags"), "tags", "an alarm", [OWNER_KEY, SITE_KEY], MAX_TAGS)
    problems += ecs.site_tag_problems(params.get("tags"), site)
    return problems


ownership_tags = ecs.site_ownership_tags
is_owned = ecs.is_site_owned
owner_text = ecs.site_owner_text


def read_alarm(client, name):
    """The metric alarm and its tags, or (None, {})."""
    alarms = client.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"]).get("MetricAlarms") or []
    alarm = next((a for a in alarms if a.get("AlarmName") == name), None)
    if alarm is None:
        return None, {}
    listed = client.list_tags_for_resource(ResourceARN=alarm["AlarmArn"]).get("Tags") or []
    return alarm, {t["Key"]: t.get("Value", "") for t in listed}


def settings(alarm):
    """The alarm's settings in option terms."""
    return {option: from_api(alarm.get(key)) for option, (key, dummy, from_api) in FIELDS.items()}


def wanted_settings(params):
    """The options the task sets, in the terms settings() compares (None: not set)."""
    out = {}
    for option, (dummy, to_api, from_api) in FIELDS.items():
        value = params.get(option)
        if value is not None:
            out[option] = from_api(to_api(value)) if option != "dimensions" else {k: str(v) for k, v in value.items()}
    return out


def payload(name, alarm, current, wanted):
    """PutMetricAlarm's request: the alarm as it is (``alarm``: DescribeAlarms' answer, {} for a new one), the
    options the task sets on top."""
    body = {key: alarm[key] for key in KEPT_KEYS if alarm.get(key) is not None}
    if "statistic" in wanted:
        body.pop("ExtendedStatistic", None)
    merged = dict(current, **wanted)
    for option, (key, to_api, dummy) in FIELDS.items():
        value = merged.get(option)
        if value is None or (option == "description" and value == ""):
            continue
        body[key] = to_api(value)
    if "Statistic" in body and "ExtendedStatistic" in body:
        del body["Statistic"]
    body["AlarmName"] = name
    return body


def result_alarm(arn, name, current, tags):
    return dict(current, arn=arn, name=name, tags=dict(tags))


def create(module, client, identity, region, changes, site):
    params = module.params
    name = params["name"]
    missing = [option for option in NEEDED_TO_CREATE if params.get(option) is None]
    if missing:
        fail_on_problems(module, [f"{option}: required to create the alarm {name} (it does not exist); set it"
                                  for option in missing])
    dummy, dummy, tags = plan_tags({}, ecs.tags_without_site(params.get("tags")), params["purge_tags"],
                                   ownership_tags(site))
    after = dict(settings({}), **wanted_settings(params))
    changes.created("alarm", f"create alarm {name}", dict(after, tags=tags))
    if module.check_mode:
        arn = names.build_arn(identity.partition, "cloudwatch", region, identity.account, f"alarm:{name}")
    else:
        client.put_metric_alarm(Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
                                **payload(name, {}, {}, after))
        arn = (read_alarm(client, name)[0] or {}).get("AlarmArn")
    return changes.result(module, alarm=result_alarm(arn, name, after, tags), owned=True, kept=None)


def converge(module, clients):
    params = module.params
    problems = static_problems(params)
    fail_on_problems(module, problems)
    identity, region = identity_and_region(module, clients, problems)
    client = clients["cloudwatch"]
    name, site = params["name"], params.get("site")
    changes = Changes()
    alarm, current_tags = read_alarm(client, name)
    if alarm is None:
        return create(module, client, identity, region, changes, site)
    owned = is_owned(current_tags, site)
    if not owned and not params["adopt"]:
        module.fail_json(msg=f"name: the alarm {name} exists but is not this run's (it does not carry "
                             f"{owner_text(site)}; its tags: {json.dumps(current_tags, sort_keys=True)}), so it is not "
                             "changed; choose another name, or set adopt: true to manage it (it never gets the "
                             "ownership tags, so state=absent never deletes it)", owned=False)
    if not alarm.get("MetricName") and params.get("metric_name") is None:
        module.fail_json(msg=f"name: the alarm {name} is a metric math alarm (no single metric); this module manages "
                             "single-metric alarms: choose another name", owned=owned)
    current = settings(alarm)
    wanted = wanted_settings(params)
    differ = {k: v for k, v in wanted.items() if current.get(k) != v}
    if differ:
        changes.updated("alarm", f"put alarm {name} ({', '.join(sorted(differ))})",
                        {k: current.get(k) for k in differ}, differ)
        if not module.check_mode:
            client.put_metric_alarm(**payload(name, alarm, current, wanted))
    arn = alarm["AlarmArn"]
    # An adopted alarm never gets the ownership tags: state=absent must be able to tell it apart.
    to_set, to_unset, tags = plan_tags(current_tags, ecs.tags_without_site(params.get("tags")), params["purge_tags"],
                                       ownership_tags(site) if owned else {})
    if to_set or to_unset:
        before, after = tag_diff(current_tags, tags)
        changes.updated("alarm", f"update tags of alarm {name}", {"tags": before}, {"tags": after})
        if not module.check_mode:
            if to_unset:
                client.untag_resource(ResourceARN=arn, TagKeys=list(to_unset))
            if to_set:
                client.tag_resource(ResourceARN=arn, Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())])
    return changes.result(module, alarm=result_alarm(arn, name, dict(current, **wanted), tags), owned=owned, kept=None)


def remove(module, clients):
    """state=absent: delete the alarm only when it carries this run's ownership tags."""
    params = module.params
    fail_on_problems(module, static_problems(params))
    client = clients["cloudwatch"]
    name, site = params["name"], params.get("site")
    changes = Changes()
    alarm, tags = read_alarm(client, name)
    if alarm is None:
        return changes.result(module, alarm=None, owned=False, kept=None)
    if not is_owned(tags, site):
        kept = f"it does not carry the ownership tags ({owner_text(site)})"
        module.warn(f"Alarm {name} was left in place: {kept}")
        return changes.result(module, alarm=result_alarm(alarm["AlarmArn"], name, settings(alarm), tags), owned=False,
                              kept=kept)
    changes.deleted("alarm", f"delete alarm {name}", {"arn": alarm["AlarmArn"], "tags": tags})
    if not module.check_mode:
        try:
            client.delete_alarms(AlarmNames=[name])
        except is_boto3_error_code("ResourceNotFound"):
            pass  # already gone
    return changes.result(module, alarm=None, owned=True, kept=None)


def run(module, clients):
    return run_state(module, clients, converge, remove, f"the alarm {module.params['name']}")
