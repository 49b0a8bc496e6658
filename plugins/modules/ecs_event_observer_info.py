#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_event_observer_info
short_description: Check the Prefect ECS worker's task-state event pipeline, read-only
version_added: 0.1.0
description:
  - Reads the pipeline M(prefect_ops.ecs.ecs_event_observer) manages and checks that every part is
    present and wired - the queue policy lets the rule send (and no statement lets a sender in
    without an C(aws:SourceArn) condition), the rule targets the queue, the queue redrives to the
    dead-letter queue, the rule's pattern is the expected one, the rule is enabled, and with a KMS
    key that the key policy grants what EventBridge and the worker's role need.
  - Reports queue depths (messages visible, in flight, delayed), the dead-letter queue's depth and
    the rule's state.
  - Where the endpoint supports it, asks EventBridge C(TestEventPattern) whether a sample task state
    change of our cluster matches the rule's pattern (it must) and whether samples for another
    cluster and another detail type match (they must not). An endpoint that answers without a
    C(Result) (moto does) gives V(unknown), never a pass.
  - Never sends events (EventBridge refuses C(PutEvents) with an C(aws.) source, and a live queue
    is read by the worker) and never receives messages (that would count against
    C(maxReceiveCount)); it makes no call that changes anything.
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  clusters:
    description:
      - The cluster ARNs (or names) the rule must match. When set, the check V(rule_pattern) wants
        exactly the pattern M(prefect_ops.ecs.ecs_event_observer) would write; when not set, any
        ECS task state change pattern with cluster ARNs passes.
    type: list
    elements: str
    aliases: [cluster_arns]
extends_documentation_fragment:
  - prefect_ops.ecs.event_observer
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Check the event pipeline of my-ecs-pool
  prefect_ops.ecs.ecs_event_observer_info:
    name: my-ecs-pool
    clusters: [prefect]
  register: pipeline

- name: Fail when a part is missing or mis-wired
  ansible.builtin.assert:
    that: pipeline.healthy
    fail_msg: "{{ pipeline.checks | selectattr('status', 'eq', 'fail') | list }}"

- name: Show the dead-letter queue depth
  ansible.builtin.debug:
    msg: "{{ pipeline.dead_letter_queue.messages_visible }} failed events"
"""

RETURN = r"""
exists:
  description: Whether the queue, the dead-letter queue and the rule all exist.
  returned: always
  type: bool
  sample: true
healthy:
  description: Whether all parts exist and no check failed (checks with status V(unknown) or V(warn) do not count).
  returned: always
  type: bool
  sample: true
checks:
  description:
    - Every check with its status (V(pass), V(fail), V(warn) or V(unknown)) and a detail.
    - Names are V(queue_exists), V(dead_letter_queue_exists), V(rule_exists),
      V(queue_redrives_to_dead_letter_queue), V(queue_policy_allows_rule),
      V(queue_policy_requires_source_arn), V(rule_pattern), V(rule_enabled), V(rule_targets_queue),
      V(pattern_our_cluster_matches), V(pattern_other_cluster_does_not_match),
      V(pattern_other_detail_type_does_not_match), V(dead_letter_queue_empty) and, with a KMS key,
      V(kms_key_allows_eventbridge) and V(kms_key_delegates_to_iam).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "rule_targets_queue", "status": "pass",
            "detail": "target prefect-ecs-events-queue delivers to arn:aws:sqs:us-east-1:123456789012:my-ecs-pool-events"}]
failed_checks:
  description: Names of the checks that failed.
  returned: always
  type: list
  elements: str
  sample: []
unknown_checks:
  description: Names of the checks the endpoint could not answer (e.g. TestEventPattern on moto).
  returned: always
  type: list
  elements: str
  sample: ["pattern_our_cluster_matches"]
queue:
  description:
    - The events queue (None when missing), with the keys of M(prefect_ops.ecs.ecs_event_observer)'s
      RV(prefect_ops.ecs.ecs_event_observer#module:queue) and the depths below.
  returned: always
  type: dict
  contains:
    messages_visible:
      description: Approximate number of messages waiting.
      type: int
      sample: 0
    messages_in_flight:
      description: Approximate number of messages received and not yet deleted.
      type: int
      sample: 0
    messages_delayed:
      description: Approximate number of delayed messages.
      type: int
      sample: 0
dead_letter_queue:
  description: The dead-letter queue (None when missing), with C(messages_visible) and C(messages_in_flight).
  returned: always
  type: dict
  sample: {"name": "my-ecs-pool-events-dlq", "messages_visible": 0, "messages_in_flight": 0}
rule:
  description: The EventBridge rule (None when missing) with its state, pattern, targets and tags.
  returned: always
  type: dict
  sample: {"name": "my-ecs-pool-task-state-changes", "state": "ENABLED"}
pattern_tests:
  description:
    - TestEventPattern outcome per sample event (V(match), V(no_match) or V(unknown)); empty when the rule is missing.
  returned: always
  type: dict
  sample: {"our_cluster": "match", "other_cluster": "no_match", "other_detail_type": "no_match"}
owned:
  description: Per existing part, V(ours) (the ownership tags of this site, see O(site)), V(unowned) (no ownership tag) or V(foreign).
  returned: always
  type: dict
  sample: {"queue": "ours", "dead_letter_queue": "ours", "rule": "ours"}
worker_environment:
  description: Environment variables the worker container needs to read the queue.
  returned: always
  type: dict
  sample: {"PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME": "my-ecs-pool-events",
           "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_REGION": "us-east-1"}
worker_policy_statements:
  description: IAM policy statements the worker's task role needs to consume the queue.
  returned: always
  type: list
  elements: dict
kms_key:
  description: When the queue is KMS-encrypted, the key and the check of its key policy.
  returned: always
  type: dict
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils.event_observer import info_argument_spec
from ansible_collections.prefect_ops.ecs.plugins.module_utils.event_observer import inspect


def main():
    module = AnsibleAWSModule(argument_spec=info_argument_spec(), supports_check_mode=True)
    try:
        result = inspect(module, clients(module, "sts", "sqs", "events", "kms"))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Failed to read the ECS event pipeline")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
