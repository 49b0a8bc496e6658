#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_service
short_description: An ECS service (the Prefect worker's), compared by meaning and updated in place
version_added: 0.1.0
description:
  - Creates, updates in place, or removes an ECS service, such as the long-running service of the
    Prefect ECS worker (the seed guide's C(aws ecs create-service)).
  - Every option the task sets is compared by meaning with what ECS reports - the task definition,
    desired count, network configuration (subnets and security groups as sets), deployment
    configuration (the keys set), health check grace period, capacity provider strategy, execute
    command, propagated tags and tags. An option that is not set is never compared or sent.
  - What UpdateService can change is changed in place. The C(community.aws.ecs_service) module does
    not compare the network configuration nor the deployment configuration, so a re-run with a new
    subnet or circuit-breaker setting reports C(ok) and changes nothing there; that is why this module
    exists (the collection's gap tests prove it).
  - A launch type change (or a switch between launch type and capacity provider strategy) needs a new
    service; the module fails with the reason unless O(recreate=true). A different O(name) is a
    different service (remove the old one with O(state=absent)).
  - The service this module creates carries the ownership tag C(prefect-ops:managed-by=prefect_ops.ecs).
    An existing service without it is not touched unless O(adopt=true); O(state=absent) scales to 0 and
    deletes only a service that carries it.
  - Check mode predicts the result, including the ARN of a new service
    (C(arn:<partition>:ecs:<region>:<account>:service/<cluster name>/<service name>)). With C(--diff)
    the diff holds before/after of exactly the fields that change.
  - Invalid input fails before any AWS call that changes anything, with a message naming the option
    and the fix.
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  name:
    description:
      - The service name (up to 255 letters, digits, C(-) and C(_)).
    type: str
    required: true
    aliases: [service]
  cluster:
    description:
      - The cluster, as name or ARN (an ARN must be in the credentials' partition and the region).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the service. V(absent) scales it to 0 and deletes it when it
        carries the ownership tag (a service without it is left alone, with a warning).
    type: str
    choices: [present, absent]
    default: present
  task_definition:
    description:
      - The task definition the service runs, as ARN (as returned by
        M(prefect_ops.ecs.ecs_task_definition)), C(family:revision), or a family (its latest C(ACTIVE)
        revision). Required when O(state=present).
      - In check mode a task definition that does not exist yet (an earlier task of the same run would
        register it) gives a warning instead of a failure.
    type: str
  desired_count:
    description:
      - How many tasks the service keeps running. Required to create the service; not set means the
        count of an existing service is left as it is.
    type: int
  desired_count_on_create_only:
    description:
      - When target-tracking autoscaling owns the count, set this to V(true) - O(desired_count) is then
        used only to create the service and never compared or sent afterwards, so the module does not
        fight the autoscaler.
    type: bool
    default: false
  launch_type:
    description:
      - The launch type. When neither O(launch_type) nor O(capacity_provider_strategy) is set, a new
        service uses V(FARGATE) and an existing one keeps what it has.
      - Changing it on an existing service needs O(recreate=true).
    type: str
    choices: [FARGATE, EC2, EXTERNAL]
  capacity_provider_strategy:
    description:
      - The capacity provider strategy (e.g. C(FARGATE) and C(FARGATE_SPOT)), instead of O(launch_type).
        Compared by provider (order does not matter; weight and base default to 0) and updated in place.
    type: list
    elements: dict
    suboptions:
      capacity_provider:
        description: The capacity provider name.
        type: str
        required: true
      weight:
        description: The relative share of tasks (0 to 1000).
        type: int
      base:
        description: The minimum number of tasks on this provider (0 to 100000; only one provider may have one).
        type: int
  network_configuration:
    description:
      - The awsvpc network configuration of the tasks. Required for Fargate and for task definitions
        with network mode C(awsvpc). Updated in place.
    type: dict
    suboptions:
      subnets:
        description: Subnet IDs for the tasks (compared as a set).
        type: list
        elements: str
      security_groups:
        description:
          - Security group IDs for the tasks (compared as a set). Required, so that tasks never fall
            back to the VPC's default security group (the moto emulator also fails CreateService without them).
        type: list
        elements: str
      assign_public_ip:
        description:
          - Whether tasks get a public IP. Tasks in private subnets reach the Prefect API and the image
            registry through a NAT gateway or VPC endpoints; tasks in public subnets without NAT need V(true).
        type: bool
        default: false
  deployment_configuration:
    description:
      - How deployments roll. Only the keys set are compared; sent with the service's other current
        deployment settings kept.
    type: dict
    suboptions:
      minimum_healthy_percent:
        description: Lower limit of running tasks during a deployment, in percent of the desired count (0 to 100).
        type: int
      maximum_percent:
        description: Upper limit of running and pending tasks during a deployment, in percent of the desired count.
        type: int
      deployment_circuit_breaker:
        description: The deployment circuit breaker; by default on, rolling back a failing deployment.
        type: dict
        suboptions:
          enable:
            description: Whether a deployment that cannot reach a steady state fails.
            type: bool
            default: true
          rollback:
            description: Whether a failed deployment rolls back to the last completed one.
            type: bool
            default: true
  health_check_grace_period_seconds:
    description:
      - Seconds the scheduler ignores failing health checks of a new task (load balancer and container
        health checks).
      - When the endpoint does not report the grace period back (the moto emulator drops it from
        CreateService), it cannot be compared - it is listed in RV(unverified) and sent with any other
        update of the service instead of on every run.
    type: int
  enable_execute_command:
    description:
      - Whether ECS Exec is on for the service's tasks. Not set means left as it is.
    type: bool
  propagate_tags:
    description:
      - Whether the tasks get the tags of the V(SERVICE) or the V(TASK_DEFINITION) (or V(NONE)).
    type: str
    choices: [TASK_DEFINITION, SERVICE, NONE]
  force_new_deployment:
    description:
      - Start a new deployment even if nothing else changes (UpdateService C(forceNewDeployment)), for
        example after the value of the Prefect API secret changed. Reports C(changed) whenever set.
    type: bool
    default: false
  wait:
    description:
      - Wait until the service is stable (one deployment, running count equal to desired count), and
        fail when the deployment fails (circuit breaker) or after O(wait_timeout). With O(state=absent),
        wait until the service is gone.
      - On the moto emulator a running count is not evidence that anything runs (moto sets it without
        starting containers).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true), and for a draining service of the same name to be gone.
    type: int
    default: 600
  recreate:
    description:
      - Delete and create the service again when a change cannot be made in place (launch type). Its
        tasks are stopped. Only a service carrying the ownership tag (or adopted) is re-created.
    type: bool
    default: false
  adopt:
    description:
      - Manage an existing service that does not carry the ownership tag (created by hand or by another
        tool). It then gets the tag, so a later O(state=absent) deletes it.
    type: bool
    default: false
extends_documentation_fragment:
  - prefect_ops.ecs.site
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - Supports C(check_mode) and C(diff_mode).
  - AWS calls retry throttling with jittered backoff.
"""

EXAMPLES = r"""
- name: The Prefect worker service (the seed guide's create-service)
  prefect_ops.ecs.ecs_service:
    name: my-ecs-pool-workers
    cluster: prefect
    task_definition: "{{ worker_td.task_definition_arn }}"
    desired_count: 1
    launch_type: FARGATE
    network_configuration:
      subnets: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
      security_groups: [sg-0123456789abcdef0]
    deployment_configuration:
      minimum_healthy_percent: 0
      maximum_percent: 200
    enable_execute_command: false
    propagate_tags: SERVICE
    wait: true
    tags:
      team: data
  register: worker_service

- name: Roll the workers after the API key secret changed
  prefect_ops.ecs.ecs_service:
    name: my-ecs-pool-workers
    cluster: prefect
    task_definition: "{{ worker_td.task_definition_arn }}"
    network_configuration:
      subnets: [subnet-0123456789abcdef0]
      security_groups: [sg-0123456789abcdef0]
    force_new_deployment: "{{ prefect_api_secret_changed | bool }}"

- name: Autoscaling owns the count once the service exists
  prefect_ops.ecs.ecs_service:
    name: my-ecs-pool-workers
    cluster: prefect
    task_definition: "{{ worker_td.task_definition_arn }}"
    desired_count: 1
    desired_count_on_create_only: true
    capacity_provider_strategy:
      - capacity_provider: FARGATE
        base: 1
        weight: 1
      - capacity_provider: FARGATE_SPOT
        weight: 3
    network_configuration:
      subnets: [subnet-0123456789abcdef0]
      security_groups: [sg-0123456789abcdef0]

- name: Remove the service (only if this collection created it)
  prefect_ops.ecs.ecs_service:
    name: my-ecs-pool-workers
    cluster: prefect
    state: absent
    wait: true
"""

RETURN = r"""
service:
  description:
    - The service as ECS returns it (DescribeServices, with tags), predicted in check mode. None after
      O(state=absent).
  returned: always
  type: dict
  sample: {"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/prefect/my-ecs-pool-workers",
           "serviceName": "my-ecs-pool-workers", "status": "ACTIVE", "desiredCount": 1, "launchType": "FARGATE",
           "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/my-ecs-pool-worker:3",
           "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"],
                                                            "securityGroups": ["sg-0123456789abcdef0"],
                                                            "assignPublicIp": "DISABLED"}},
           "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true},
                                       "maximumPercent": 200, "minimumHealthyPercent": 0},
           "tags": [{"key": "prefect-ops:managed-by", "value": "prefect_ops.ecs"}]}
service_arn:
  description: The service ARN (predicted in check mode for a new service).
  returned: always
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:service/prefect/my-ecs-pool-workers
unverified:
  description:
    - Fields the task sets that the endpoint does not report back, so they could not be compared (sent
      with any other update of the service).
  returned: when O(state=present)
  type: list
  elements: str
  sample: ["healthCheckGracePeriodSeconds"]
left_alone:
  description: With O(state=absent), the ARN of a service of that name without the ownership tag, which was not deleted.
  returned: when O(state=absent)
  type: list
  elements: str
actions:
  description: What the run changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["update service my-ecs-pool-workers (networkConfiguration)"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ecs_service import MUTUALLY_EXCLUSIVE
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ecs_service import argument_spec
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ecs_service import run


def main():
    module = AnsibleAWSModule(
        argument_spec=argument_spec(),
        mutually_exclusive=MUTUALLY_EXCLUSIVE,
        required_if=[("state", "present", ["task_definition"])],
        supports_check_mode=True,
    )
    module.exit_json(**run(module, clients(module, "sts", "ecs")))


if __name__ == "__main__":
    main()
