#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_service_autoscaling
short_description: Target-tracking autoscaling of an ECS service's desired count, as one resource
version_added: 0.1.0
description:
  - Manages the Application Auto Scaling of an ECS service's desired count (dimension
    C(ecs:service:DesiredCount) of C(service/<cluster name>/<service name>)) as one resource - the scalable
    target with its minimum and maximum number of tasks, and the service's target-tracking scaling policies.
  - O(state=present) registers the scalable target only when it is missing or its min/max differ, puts a
    policy only when it is missing or differs by meaning (metric, resource label, target value, cooldowns,
    disable scale-in), and deletes the policies this module owns that are no longer listed in
    O(target_tracking).
  - O(state=absent) deletes the policies this module owns, then deregisters the scalable target.
  - "Ownership: a policy of the service whose name starts with O(policy_name_prefix) (default
    C(<service>-)) belongs to this module; the policy of a O(target_tracking) item is named
    C(<policy_name_prefix><name>). Policies of other names are never put, changed or deleted (they are
    listed in RV(left_alone)), and while such policies or scheduled actions exist O(state=absent) leaves the
    scalable target registered, because deregistering a target deletes every policy and scheduled action
    attached to it."
  - The C(community.aws.application_autoscaling_policy) module registers the target and puts policies even
    in check mode, ignores a changed min/max unless told to override, and never deregisters the scalable
    target; that is why this module exists (the collection's gap test proves it).
  - Check mode predicts the result and makes no call that changes anything. With C(--diff) the diff holds
    before/after of the scalable target's min/max and of each policy that changes, in option terms.
  - Invalid input fails before any AWS call that changes anything, with a message naming the option and
    the fix. With O(state=present) the service must exist (in check mode a missing service gives a warning,
    an earlier task of the same run would create it).
  - Scaling policies are read for the whole service and filtered by name here, so endpoints that ignore
    C(PolicyNames) (the moto emulator) give the same result as AWS.
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  cluster:
    description:
      - The service's cluster, as name or ARN (an ARN must be in the credentials' partition and the region).
    type: str
    required: true
  service:
    description:
      - The ECS service name (up to 255 letters, digits, C(-) and C(_)).
    type: str
    required: true
  state:
    description:
      - V(present) converges the scalable target and the policies. V(absent) deletes this module's policies
        and deregisters the scalable target (left registered, with a warning, while policies or scheduled
        actions this module did not make remain).
    type: str
    choices: [present, absent]
    default: present
  min_capacity:
    description:
      - The fewest tasks autoscaling may scale the service to (0 or more). Required with O(state=present).
    type: int
  max_capacity:
    description:
      - The most tasks autoscaling may scale the service to (at least O(min_capacity)). Required with
        O(state=present).
    type: int
  target_tracking:
    description:
      - Every target-tracking policy this module keeps on the service. Policies with the O(policy_name_prefix)
        that are not listed are deleted; an empty list deletes them all and keeps only the scalable target.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The policy's name after the prefix (letters, digits, C(-), C(_) and C(.)), unique in the list; the
            policy is named C(<policy_name_prefix><name>).
        type: str
        required: true
      metric:
        description:
          - The predefined metric to track - the service's average CPU or memory utilisation (percent), or the
            request count per target of an Application Load Balancer target group (needs O(target_tracking[].resource_label)).
        type: str
        required: true
        choices: [ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization, ALBRequestCountPerTarget]
      resource_label:
        description:
          - The target group, for O(target_tracking[].metric=ALBRequestCountPerTarget) only (required there) -
            C(app/<load balancer name>/<load balancer id>/targetgroup/<target group name>/<target group id>).
        type: str
      target_value:
        description:
          - The value of the metric to keep the service at (greater than 0), e.g. V(70) for 70 % CPU.
        type: float
        required: true
      scale_in_cooldown:
        description:
          - Seconds after a scale-in before another scale-in may start.
        type: int
        default: 300
      scale_out_cooldown:
        description:
          - Seconds after a scale-out before another scale-out may start.
        type: int
        default: 300
      disable_scale_in:
        description:
          - When V(true) the policy only scales out (scale-in is left to other policies or to hand).
        type: bool
        default: false
  policy_name_prefix:
    description:
      - The prefix that marks the scaling policies of the service as this module's (see the ownership rule in
        the description). Not set means C(<service>-). It may not be empty.
      - Give each module task that manages the same service its own prefix, or they delete each other's
        policies.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports C(check_mode) and C(diff_mode).
  - AWS calls retry throttling (and C(ConcurrentUpdateException)) with jittered backoff.
  - The scalable target uses the Application Auto Scaling service-linked role for ECS; its suspended state
    is not managed.
  - Needs C(application-autoscaling:DescribeScalableTargets), C(DescribeScalingPolicies),
    C(DescribeScheduledActions), C(RegisterScalableTarget), C(DeregisterScalableTarget),
    C(PutScalingPolicy), C(DeleteScalingPolicy), and C(ecs:DescribeServices).
"""

EXAMPLES = r"""
- name: Scale the Prefect workers between 1 and 10 tasks on CPU and memory
  prefect_ops.ecs.ecs_service_autoscaling:
    cluster: prefect
    service: my-ecs-pool-workers
    min_capacity: 1
    max_capacity: 10
    target_tracking:
      - name: cpu  # the policy my-ecs-pool-workers-cpu
        metric: ECSServiceAverageCPUUtilization
        target_value: 70
      - name: memory
        metric: ECSServiceAverageMemoryUtilization
        target_value: 80
        scale_in_cooldown: 600
  register: worker_scaling

- name: Scale on requests per target behind a load balancer
  prefect_ops.ecs.ecs_service_autoscaling:
    cluster: prefect
    service: webhooks
    min_capacity: 2
    max_capacity: 20
    target_tracking:
      - name: requests
        metric: ALBRequestCountPerTarget
        resource_label: app/webhooks/0123456789abcdef/targetgroup/webhooks/fedcba9876543210
        target_value: 500

- name: Policies of another team on the same service are kept apart by prefix
  prefect_ops.ecs.ecs_service_autoscaling:
    cluster: prefect
    service: my-ecs-pool-workers
    policy_name_prefix: prefect-ops-
    min_capacity: 1
    max_capacity: 10
    target_tracking:
      - name: cpu  # the policy prefect-ops-cpu
        metric: ECSServiceAverageCPUUtilization
        target_value: 60

- name: Remove the autoscaling (before the service is deleted)
  prefect_ops.ecs.ecs_service_autoscaling:
    cluster: prefect
    service: my-ecs-pool-workers
    state: absent
"""

RETURN = r"""
resource_id:
  description: The Application Auto Scaling resource ID of the service.
  returned: always
  type: str
  sample: service/prefect/my-ecs-pool-workers
scalable_target:
  description:
    - The scalable target as DescribeScalableTargets returns it (predicted in check mode); None when there is
      none (after O(state=absent)).
  returned: always
  type: dict
  sample: {"ServiceNamespace": "ecs", "ResourceId": "service/prefect/my-ecs-pool-workers",
           "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 1, "MaxCapacity": 10,
           "CreationTime": "2026-01-01T12:00:00+00:00"}
policies:
  description:
    - This module's scaling policies of the service, sorted by name, as DescribeScalingPolicies returns them
      (predicted in check mode). Empty after O(state=absent).
  returned: always
  type: list
  elements: dict
  sample: [{"PolicyName": "my-ecs-pool-workers-cpu", "PolicyType": "TargetTrackingScaling",
            "ServiceNamespace": "ecs", "ResourceId": "service/prefect/my-ecs-pool-workers",
            "ScalableDimension": "ecs:service:DesiredCount",
            "TargetTrackingScalingPolicyConfiguration": {
              "TargetValue": 70.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
              "ScaleInCooldown": 300, "ScaleOutCooldown": 300, "DisableScaleIn": false}}]
left_alone:
  description:
    - Scaling policies of the service without the O(policy_name_prefix) (names), and with O(state=absent) the
      scheduled actions (C(scheduled action <name>)) that kept the scalable target registered; never touched.
  returned: always
  type: list
  elements: str
  sample: ["manual-step-scaling"]
actions:
  description: What the run changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["update scalable target service/prefect/my-ecs-pool-workers (min 1, max 6)",
           "update scaling policy my-ecs-pool-workers-cpu (target_value)"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.prefect_ops.ecs.plugins.module_utils.ecs_service_autoscaling import argument_spec
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ecs_service_autoscaling import make_clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ecs_service_autoscaling import run


def main():
    module = AnsibleAWSModule(
        argument_spec=argument_spec(),
        required_if=[("state", "present", ["min_capacity", "max_capacity"])],
        supports_check_mode=True,
    )
    module.exit_json(**run(module, make_clients(module)))


if __name__ == "__main__":
    main()
