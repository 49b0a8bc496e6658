#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_event_observer
short_description: The ECS task-state event pipeline of the Prefect ECS worker, as one resource
version_added: 0.1.0
description:
  - Manages, as one idempotent resource, what the Prefect ECS worker's observer needs to learn when a
    flow run's ECS task starts, stops or crashes
    (the seed procedure's "Configure event monitoring infrastructure").
  - A dead-letter queue, and the events queue with a redrive policy to it.
  - A queue policy that lets C(events.amazonaws.com) send only with C(aws:SourceArn) equal to the
    pipeline's rule (no statement without a source condition).
  - An EventBridge rule on the default bus matching C(source=aws.ecs),
    C(detail-type=ECS Task State Change) and C(detail.clusterArn) in O(clusters); its target is the
    events queue.
  - Every part carries the ownership tags C(prefect-ops:managed-by=prefect_ops.ecs) and
    C(prefect-ops:site=<site>) (see O(site)); O(state=absent) removes only parts that are this run's, the rule's targets and the rule first, then the
    queue, then the dead-letter queue, so nothing is left pointing at a deleted part.
  - ARNs are built from the partition of the credentials (STS GetCallerIdentity), so the module
    works in C(aws-us-gov) and C(aws-cn) as in C(aws).
  - Check mode predicts the result (ARNs, and URLs as the endpoint would give them); with C(--diff)
    the diff holds before/after of exactly what changes; policies and event patterns are compared by
    meaning, not text. A second run makes no AWS call that changes anything.
  - Invalid input (name lengths, cluster ARN format, partition or region of a given ARN) fails before
    any call that changes anything, with a message naming the option and the fix.
  - The IAM role of the worker is created after this module runs; it takes
    RV(worker_policy_statements), and the worker's container takes RV(worker_environment).
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  state:
    description:
      - V(present) creates or updates the pipeline, V(absent) removes the parts this pipeline owns.
    type: str
    choices: [present, absent]
    default: present
  clusters:
    description:
      - The ECS clusters whose task state changes the worker must see, as cluster ARNs or names (a
        name becomes the ARN of that cluster in the credentials' account, partition and region).
      - Required when O(state=present). An ARN must be in the credentials' partition and the module's
        region (EventBridge sees only its own region's events).
    type: list
    elements: str
    aliases: [cluster_arns]
  message_retention_period:
    description:
      - Seconds the events queue keeps a message (60 to 1209600).
    type: int
    default: 604800
  visibility_timeout:
    description:
      - Default visibility timeout of the events queue, in seconds (0 to 43200).
    type: int
    default: 300
  dead_letter_message_retention_period:
    description:
      - Seconds the dead-letter queue keeps a message (60 to 1209600).
      - Keep it longer than O(message_retention_period), because a message keeps its original
        enqueue time when it is moved.
    type: int
    default: 1209600
  dead_letter_visibility_timeout:
    description:
      - Default visibility timeout of the dead-letter queue, in seconds (0 to 43200).
    type: int
    default: 60
  max_receive_count:
    description:
      - How many times a message may be received without being deleted before SQS moves it to the
        dead-letter queue (1 to 1000).
    type: int
    default: 3
  encryption:
    description:
      - Server-side encryption of both queues. Not set means the queues' encryption is left as it is
        (new queues get the SQS default).
      - V(sqs_managed) uses SQS-managed keys (SSE-SQS). V(kms) uses the customer managed KMS key
        O(kms_key_id). V(none) turns encryption off.
      - With V(kms) the key policy must let C(events.amazonaws.com) use C(kms:GenerateDataKey) and
        C(kms:Decrypt) (EventBridge encrypts what it sends), and must delegate to IAM (the account
        root principal) so that the worker's role can decrypt with the C(kms:Decrypt) statement in
        RV(worker_policy_statements). The module reads the key policy and warns when either grant is
        missing; RV(kms_key.required_key_policy_statements) holds both statements. An AWS managed key
        (C(alias/aws/sqs)) is refused because its policy cannot grant EventBridge.
    type: str
    choices: [sqs_managed, kms, none]
  kms_key_id:
    description:
      - The customer managed KMS key for O(encryption=kms), as key ID, key ARN, alias name or alias ARN.
    type: str
  kms_data_key_reuse_period_seconds:
    description:
      - With O(encryption=kms), how long SQS reuses a data key (60 to 86400). Not set means left as it is.
    type: int
  rule_description:
    description:
      - Description of the EventBridge rule. Not set means a default text on creation and left as it
        is afterwards.
    type: str
  enabled:
    description:
      - Whether the rule is V(ENABLED). A disabled rule delivers nothing.
    type: bool
    default: true
  adopt:
    description:
      - A queue or rule with the pipeline's names that does not carry this pipeline's ownership tag
        (made by hand, by the CLI, or by another pipeline) makes the module fail, so two installs never
        share a part. V(true) takes such parts over (and tags them).
    type: bool
    default: false
notes:
  - The module never sends events and never receives messages; see M(prefect_ops.ecs.ecs_event_observer_info)
    for checks of a live pipeline.
  - AWS calls retry throttling with jittered backoff.
extends_documentation_fragment:
  - prefect_ops.ecs.event_observer
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Event pipeline for the work pool my-ecs-pool
  prefect_ops.ecs.ecs_event_observer:
    name: my-ecs-pool
    clusters:
      - arn:aws:ecs:us-east-1:123456789012:cluster/prefect
    tags:
      team: data
  register: observer

- name: The worker reads the queue named here
  ansible.builtin.debug:
    msg: "{{ observer.worker_environment }}"

- name: KMS-encrypted queues, longer visibility, cluster given by name
  prefect_ops.ecs.ecs_event_observer:
    name: my-ecs-pool
    clusters: [prefect]
    encryption: kms
    kms_key_id: alias/prefect-events
    visibility_timeout: 600

- name: Take over queues made by hand with the seed procedure's names
  prefect_ops.ecs.ecs_event_observer:
    name: my-ecs-pool
    clusters: [prefect]
    adopt: true

- name: Remove the pipeline
  prefect_ops.ecs.ecs_event_observer:
    name: my-ecs-pool
    state: absent
"""

RETURN = r"""
actions:
  description: What the run changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create dead_letter_queue my-ecs-pool-events-dlq", "create queue my-ecs-pool-events"]
queue:
  description: The events queue after the run (predicted in check mode). None after O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Queue name.
      type: str
      sample: my-ecs-pool-events
    url:
      description: Queue URL (in check mode for a new queue, as the endpoint would give it).
      type: str
      sample: https://sqs.us-east-1.amazonaws.com/123456789012/my-ecs-pool-events
    arn:
      description: Queue ARN.
      type: str
      sample: arn:aws:sqs:us-east-1:123456789012:my-ecs-pool-events
    message_retention_period:
      description: Retention in seconds.
      type: int
      sample: 604800
    visibility_timeout:
      description: Visibility timeout in seconds.
      type: int
      sample: 300
    redrive_policy:
      description: The redrive policy (dead-letter queue ARN and maxReceiveCount).
      type: dict
      sample: {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:my-ecs-pool-events-dlq", "maxReceiveCount": 3}
    policy:
      description: The queue policy.
      type: dict
    encryption:
      description: V(sqs_managed), V(kms) or V(none).
      type: str
      sample: sqs_managed
    kms_key_id:
      description: The KMS key of the queue, when encrypted with one.
      type: str
    tags:
      description: The queue's tags.
      type: dict
      sample: {"prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": "prod"}
dead_letter_queue:
  description: The dead-letter queue after the run, with the same keys as RV(queue) (no policy or redrive policy).
  returned: always
  type: dict
  sample: {"name": "my-ecs-pool-events-dlq", "arn": "arn:aws:sqs:us-east-1:123456789012:my-ecs-pool-events-dlq",
           "url": "https://sqs.us-east-1.amazonaws.com/123456789012/my-ecs-pool-events-dlq",
           "message_retention_period": 1209600, "visibility_timeout": 60}
rule:
  description: The EventBridge rule after the run. None after O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Rule name.
      type: str
      sample: my-ecs-pool-task-state-changes
    arn:
      description: Rule ARN.
      type: str
      sample: arn:aws:events:us-east-1:123456789012:rule/my-ecs-pool-task-state-changes
    state:
      description: V(ENABLED) or V(DISABLED).
      type: str
      sample: ENABLED
    description:
      description: Rule description.
      type: str
    event_bus_name:
      description: Always V(default) (ECS sends its events there).
      type: str
      sample: default
    event_pattern:
      description: The rule's event pattern.
      type: dict
      sample: {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"],
               "detail": {"clusterArn": ["arn:aws:ecs:us-east-1:123456789012:cluster/prefect"]}}
    targets:
      description: The rule's targets (ID and ARN).
      type: list
      elements: dict
      sample: [{"id": "prefect-ecs-events-queue", "arn": "arn:aws:sqs:us-east-1:123456789012:my-ecs-pool-events"}]
    tags:
      description: The rule's tags.
      type: dict
cluster_arns:
  description: The cluster ARNs the rule matches.
  returned: when O(state=present)
  type: list
  elements: str
  sample: ["arn:aws:ecs:us-east-1:123456789012:cluster/prefect"]
worker_environment:
  description:
    - Environment variables the worker container needs to read the queue
      (C(PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME) is the queue name).
  returned: when O(state=present)
  type: dict
  sample: {"PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME": "my-ecs-pool-events",
           "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_REGION": "us-east-1"}
worker_policy_statements:
  description:
    - IAM policy statements the worker's task role needs to consume the queue (and, with
      O(encryption=kms), to decrypt its messages). Give them to the role created after this module.
  returned: when O(state=present)
  type: list
  elements: dict
  sample: [{"Sid": "PrefectEcsObserverConsumeQueue", "Effect": "Allow",
            "Action": ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                       "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            "Resource": "arn:aws:sqs:us-east-1:123456789012:my-ecs-pool-events"}]
health:
  description:
    - The read-only checks of M(prefect_ops.ecs.ecs_event_observer_info) (its whole result but C(changed)) on the
      pipeline as it is after the run; in check mode, as it is now. When the run changed nothing they are computed
      from what the run read; after a change the parts are read again. No TestEventPattern calls (C(pattern_tests) is
      empty); the rule's pattern is checked to be the one the run built.
    - Also C(cluster_arns), the clusters the rule's pattern was checked against.
    - The P(prefect_ops.ecs.ecs_verify#role) role takes its pipeline checks from here instead of reading again.
  returned: when O(state=present)
  type: dict
  sample: {"exists": true, "healthy": true, "failed_checks": [], "unknown_checks": [],
           "checks": [{"name": "queue_exists", "status": "pass", "detail": "my-ecs-pool-events exists"}],
           "dead_letter_queue": {"name": "my-ecs-pool-events-dlq", "messages_visible": 0}}
kms_key:
  description: With O(encryption=kms), the key and the check of its key policy.
  returned: when O(state=present)
  type: dict
  contains:
    arn:
      description: Key ARN.
      type: str
    key_id:
      description: Key ID.
      type: str
    key_manager:
      description: V(CUSTOMER) (AWS managed keys are refused).
      type: str
    policy_check:
      description: Whether the key policy lets EventBridge encrypt and delegates decryption to IAM (None when unreadable).
      type: dict
      sample: {"events_can_encrypt": true, "iam_policies_can_grant_decrypt": true}
    required_key_policy_statements:
      description: The key policy statements the pipeline needs.
      type: list
      elements: dict
left_alone:
  description: With O(state=absent), parts with the pipeline's names that it does not own and did not remove.
  returned: when O(state=absent)
  type: list
  elements: str
  sample: ["queue my-ecs-pool-events"]
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils.event_observer import argument_spec
from ansible_collections.prefect_ops.ecs.plugins.module_utils.event_observer import converge
from ansible_collections.prefect_ops.ecs.plugins.module_utils.event_observer import remove


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    aws = clients(module, "sts", "sqs", "events", "kms")
    try:
        if module.params["state"] == "absent":
            result = remove(module, aws)
        else:
            result = converge(module, aws)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Failed to manage the ECS event pipeline")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
