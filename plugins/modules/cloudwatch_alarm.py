#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cloudwatch_alarm
short_description: A CloudWatch metric alarm with its actions and tags, removed only when it is this site's
version_added: 0.1.0
description:
  - Creates a single-metric CloudWatch alarm with the ownership tags, converges its metric, threshold, evaluation,
    actions and tags, or removes it.
  - Every option the task sets is compared with what CloudWatch reports; an option that is not set keeps the alarm's
    value. PutMetricAlarm replaces the whole alarm, so an update sends the alarm as it is with the options the task
    sets on top (fields this module has no option for, such as an extended statistic or a unit, are kept).
  - An alarm this module creates carries C(prefect-ops:managed-by=prefect_ops.ecs) and, when the run names a
    O(site), C(prefect-ops:site=<site>). An existing alarm that is not this run's is not changed unless O(adopt=true);
    an adopted alarm never gets the ownership tags, so O(state=absent) never deletes it.
  - O(state=absent) deletes only an alarm that is this run's; any other is left in place, with a warning, and
    RV(kept) says why.
  - Check mode predicts the result and makes no mutating call. With C(--diff) the diff holds before/after of exactly
    the fields that change.
  - Invalid input fails before any AWS call, with a message naming the option and the fix.
  - C(amazon.aws.cloudwatch_metric_alarm) has no tags option and no notion of ownership - its O(state=absent) deletes
    any alarm of that name - and an update resets every option the task leaves out; that is why this module exists
    (tests/integration/test_cloudwatch_alarm.py proves those gaps).
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  name:
    description:
      - The alarm name - 1 to 255 printable characters, unique in the account and region.
    type: str
    required: true
    aliases: [alarm_name]
  state:
    description:
      - V(present) creates or converges the alarm; V(absent) deletes it when it is this run's.
    type: str
    choices: [present, absent]
    default: present
  site:
    description:
      - The site the alarm belongs to - the value of its C(prefect-ops:site) ownership tag. A run that names no
        site owns only alarms without a C(prefect-ops:site) tag.
    type: str
  description:
    description:
      - The alarm's description; an empty string removes it.
    type: str
  namespace:
    description:
      - The metric's namespace, for example C(AWS/SQS) or C(ECS/ContainerInsights). Required to create an alarm.
    type: str
  metric_name:
    description:
      - The metric, for example C(ApproximateNumberOfMessagesVisible). Required to create an alarm.
    type: str
  dimensions:
    description:
      - "The metric's dimensions, name to value (at most 30), for example C({\"QueueName\": \"prod-events-dlq\"})."
    type: dict
  statistic:
    description:
      - The statistic of the metric the threshold is compared with. Required to create an alarm.
    type: str
    choices: [SampleCount, Average, Sum, Minimum, Maximum]
  period:
    description:
      - Seconds over which the statistic is taken - 10, 20, 30 or a multiple of 60. Required to create an alarm.
    type: int
  evaluation_periods:
    description:
      - How many recent periods are evaluated. Required to create an alarm. Periods times O(period) may not exceed a
        day (seven days for periods of an hour or more).
    type: int
  datapoints_to_alarm:
    description:
      - How many of the evaluated periods must breach to alarm (1 to O(evaluation_periods)).
    type: int
  threshold:
    description:
      - The value the statistic is compared with. Required to create an alarm.
    type: float
  comparison_operator:
    description:
      - How the statistic is compared with O(threshold). Required to create an alarm.
    type: str
    choices: [GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold]
  treat_missing_data:
    description:
      - What a period without data counts as. CloudWatch's default is V(missing).
    type: str
    choices: [breaching, notBreaching, ignore, missing]
  alarm_actions:
    description:
      - ARNs (SNS topics, for example) notified when the alarm enters ALARM, at most 5; an empty list removes them.
    type: list
    elements: str
  ok_actions:
    description:
      - ARNs notified when the alarm returns to OK, at most 5; an empty list removes them.
    type: list
    elements: str
  insufficient_data_actions:
    description:
      - ARNs notified when the alarm enters INSUFFICIENT_DATA, at most 5; an empty list removes them.
    type: list
    elements: str
  actions_enabled:
    description:
      - Whether the actions run when the state changes. CloudWatch's default is V(true).
    type: bool
  adopt:
    description:
      - Manage an existing alarm that is not this run's (created by hand, by another tool or site). Without it the
        module fails on such an alarm, changing nothing.
      - An adopted alarm gets the settings and O(tags) the task sets, never the ownership tags, so O(state=absent)
        never deletes it.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - Supports C(check_mode) and C(diff_mode).
  - AWS calls retry throttling with jittered backoff.
  - O(purge_tags=true) never removes the ownership tags of an alarm this module created.
  - Single-metric alarms only; an existing metric math alarm of that name is refused.
"""

EXAMPLES = r"""
- name: Alarm when the prod site's event dead-letter queue holds a message
  prefect_ops.ecs.cloudwatch_alarm:
    name: prefect-prod-events-dlq
    site: prod
    description: Events the ECS worker's observer could not read (prefect_ops.ecs)
    namespace: AWS/SQS
    metric_name: ApproximateNumberOfMessagesVisible
    dimensions:
      QueueName: prod-events-dlq
    statistic: Maximum
    period: 300
    evaluation_periods: 1
    threshold: 0
    comparison_operator: GreaterThanThreshold
    treat_missing_data: notBreaching
    alarm_actions: [arn:aws:sns:eu-west-1:123456789012:platform-alerts]

- name: Notify another topic too, leave everything else as it is
  prefect_ops.ecs.cloudwatch_alarm:
    name: prefect-prod-events-dlq
    site: prod
    alarm_actions:
      - arn:aws:sns:eu-west-1:123456789012:platform-alerts
      - arn:aws:sns:eu-west-1:123456789012:data-team

- name: Remove it (only if it carries the prod site's ownership tags)
  prefect_ops.ecs.cloudwatch_alarm:
    name: prefect-prod-events-dlq
    site: prod
    state: absent
"""

RETURN = r"""
alarm:
  description: The alarm (predicted in check mode). None after O(state=absent) deleted it or found none.
  returned: always
  type: dict
  contains:
    arn:
      description: The alarm's ARN.
      type: str
      sample: arn:aws:cloudwatch:eu-west-1:123456789012:alarm:prefect-prod-events-dlq
    name:
      description: The alarm name.
      type: str
    namespace:
      description: The metric's namespace.
      type: str
    metric_name:
      description: The metric.
      type: str
    dimensions:
      description: The metric's dimensions, name to value.
      type: dict
    statistic:
      description: The statistic.
      type: str
    period:
      description: Seconds per period.
      type: int
    evaluation_periods:
      description: Periods evaluated.
      type: int
    datapoints_to_alarm:
      description: Breaching periods that make the alarm; None when CloudWatch's default (all of them) applies.
      type: int
    threshold:
      description: The threshold.
      type: float
    comparison_operator:
      description: The comparison.
      type: str
    treat_missing_data:
      description: What a period without data counts as.
      type: str
    description:
      description: The alarm's description (empty for none).
      type: str
    alarm_actions:
      description: ARNs notified on ALARM, sorted.
      type: list
      elements: str
    ok_actions:
      description: ARNs notified on OK, sorted.
      type: list
      elements: str
    insufficient_data_actions:
      description: ARNs notified on INSUFFICIENT_DATA, sorted.
      type: list
      elements: str
    actions_enabled:
      description: Whether the actions run.
      type: bool
    tags:
      description: The alarm's tags.
      type: dict
      sample: {"prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": "prod"}
owned:
  description: Whether the alarm carries this run's ownership tags (so O(state=absent) may delete it).
  returned: always
  type: bool
kept:
  description: With O(state=absent), why an alarm of that name was left in place; None otherwise.
  returned: always
  type: str
actions:
  description: What the run changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["put alarm prefect-prod-events-dlq (alarm_actions)"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils.cloudwatch_alarm import argument_spec
from ansible_collections.prefect_ops.ecs.plugins.module_utils.cloudwatch_alarm import run


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.exit_json(**run(module, clients(module, "sts", "cloudwatch")))


if __name__ == "__main__":
    main()
