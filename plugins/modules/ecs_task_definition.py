#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_task_definition
short_description: An ECS task definition family that registers a revision only when its meaning changes
version_added: 0.1.0
description:
  - Manages an ECS task definition I(family) as one resource. A new revision is registered only when
    the desired definition differs by meaning from the family's latest C(ACTIVE) revision, so the
    worker's and flow runs' pinned ARNs stay put on a re-run.
  - Every option the task sets is compared, including O(execution_role_arn), task-level O(cpu) and
    O(memory), O(network_mode), O(requires_compatibilities) and O(runtime_platform). The
    C(community.aws.ecs_taskdefinition) module compares neither the execution role nor task cpu/memory
    (nor network mode or runtime platform), so changing only those never registers a new revision
    there; that is why this module exists (the collection's gap tests prove it).
  - "Compared by meaning: defaults AWS fills in (container C(cpu: 0), C(essential: true), empty
    C(portMappings)/C(mountPoints)/C(volumesFrom)/C(environmentFiles)/C(systemControls) lists, port
    mapping protocol C(tcp) and host port, health check interval/timeout/retries) and fields set at
    registration (C(revision), C(status), C(taskDefinitionArn), C(registeredAt), C(registeredBy),
    C(compatibilities), C(requiresAttributes), C(deregisteredAt)) are normalised away; the order of
    C(environment), C(secrets) and C(environmentFiles) does not matter (as in prefect-aws's own
    comparison); C(512) and C(\"512\") are the same cpu, C(\"1 GB\") is C(1024) MiB."
  - A task-level option that is not set is not compared, and a new revision keeps the latest
    revision's value for it (also for fields this module has no option for, such as
    C(placementConstraints) or C(pidMode)). O(container_definitions) is always compared as a whole.
  - Every revision this module registers carries the ownership tag
    C(prefect-ops:managed-by=prefect_ops.ecs). After each run the family keeps at most
    O(keep_revisions) C(ACTIVE) revisions, counting every revision; only older revisions carrying
    the ownership tag are deregistered. O(state=absent) deregisters only those too.
  - Check mode predicts the result, including the ARN of the next revision
    (C(<family ARN>:<latest revision + 1>), with the partition of the credentials). With C(--diff) the
    diff holds before/after of exactly the fields that differ.
  - Invalid input (a cpu/memory pair Fargate does not accept, a credential such as
    C(PREFECT_API_KEY) or C(PREFECT_API_AUTH_STRING) in plain C(environment), secrets without an
    execution role, a role ARN of another partition, ...) fails before any AWS call that changes
    anything, with a message naming the option and the fix.
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  family:
    description:
      - The task definition family (up to 255 letters, digits, C(-) and C(_)).
    type: str
    required: true
  state:
    description:
      - V(present) registers a revision when needed; V(absent) deregisters the family's C(ACTIVE)
        revisions that carry the ownership tag (others are left C(ACTIVE), with a warning).
    type: str
    choices: [present, absent]
    default: present
  container_definitions:
    description:
      - The container definitions, in the shape of the C(containerDefinitions) parameter of the ECS
        RegisterTaskDefinition API (camelCase keys, e.g. C(name), C(image), C(command),
        C(environment), C(secrets), C(logConfiguration), C(portMappings), C(healthCheck)).
      - Required when O(state=present). Numbers may be given as strings.
      - Credentials go in C(secrets) with C(valueFrom) (a Secrets Manager secret ARN or SSM parameter
        ARN), never in C(environment).
      - On the moto emulator RunTask answers HTTP 500 unless every container sets a container-level
        C(memory); set it when you run tasks against moto.
    type: list
    elements: dict
    aliases: [containers]
  cpu:
    description:
      - Task-level cpu units, as a number or a string (V(512), V("512"), V("0.5 vCPU")).
      - With V(FARGATE) in O(requires_compatibilities) the pair O(cpu)/O(memory) must be one Fargate
        offers (256 with 512, 1024 or 2048; 512 with 1024 to 4096; 1024 with 2048 to 8192; 2048 with
        4096 to 16384; 4096 with 8192 to 30720, all in steps of 1024; 8192 with 16384 to 61440 in steps
        of 4096; 16384 with 32768 to 122880 in steps of 8192).
    type: raw
  memory:
    description:
      - Task-level memory in MiB, as a number or a string (V(1024), V("1024"), V("1 GB")).
    type: raw
  network_mode:
    description:
      - The Docker networking mode. Fargate needs V(awsvpc).
    type: str
    choices: [awsvpc, bridge, host, none]
    default: awsvpc
  requires_compatibilities:
    description:
      - The launch types the task definition is validated against.
    type: list
    elements: str
    choices: [EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES]
    default: [FARGATE]
  execution_role_arn:
    description:
      - The task execution role ECS uses to pull the image, write C(awslogs) logs and read C(secrets).
      - Not set means a new revision keeps the latest revision's role; V("") means none.
    type: str
  task_role_arn:
    description:
      - The role the containers' code runs as (the Prefect worker's role needs ECS, IAM PassRole and
        SQS permissions). Not set means a new revision keeps the latest revision's role; V("") means none.
    type: str
  runtime_platform:
    description:
      - C(runtimePlatform) in the AWS shape, for example C(cpuArchitecture=ARM64) and
        C(operatingSystemFamily=LINUX). C(LINUX) and C(X86_64) are the defaults and compare equal to not
        setting them.
    type: dict
  volumes:
    description:
      - C(volumes) in the AWS shape. V([]) means no volumes; not set means a new revision keeps the
        latest revision's volumes.
    type: list
    elements: dict
  ephemeral_storage:
    description:
      - C(ephemeralStorage) in the AWS shape, for example C(sizeInGiB=50) (Fargate, 21 to 200 GiB).
    type: dict
  keep_revisions:
    description:
      - After the run the family keeps at most this many C(ACTIVE) revisions (newest first, counting
        revisions registered by anyone); older ones that carry the ownership tag are deregistered.
        Revisions registered outside this collection are never deregistered.
      - Pruning happens on every run, so lowering the number converges on the next run.
      - Tasks already running keep running when their revision is deregistered; a work pool or service
        pinned to a deregistered ARN can no longer start new tasks from it, so keep enough revisions
        for a rollback.
    type: int
    default: 5
extends_documentation_fragment:
  - prefect_ops.ecs.site
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - Tags are per revision. A new revision gets O(tags) (or, when O(tags) is not set, the latest
    revision's tags) plus the ownership tag; a tag change alone is applied to the latest revision in
    place, without registering a new one.
  - When the latest C(ACTIVE) revision already matches but was registered outside this collection,
    it is used as it is (not tagged, never deregistered).
  - RegisterTaskDefinition answers "Too many concurrent attempts to create a new revision" when many
    clients register in one family at once; the module retries it with jittered backoff, as it does
    every throttled AWS call.
  - Supports C(check_mode) and C(diff_mode).
"""

EXAMPLES = r"""
- name: The Prefect worker's task definition (the seed guide's task-definition.json)
  prefect_ops.ecs.ecs_task_definition:
    family: my-ecs-pool-worker
    cpu: 512
    memory: 1024
    execution_role_arn: arn:aws:iam::123456789012:role/my-ecs-pool-task-execution-role
    task_role_arn: arn:aws:iam::123456789012:role/my-ecs-pool-task-role
    container_definitions:
      - name: prefect-worker
        image: prefecthq/prefect-aws:0.7.12-python3.12
        essential: true
        command: [prefect, worker, start, --pool, my-ecs-pool, --type, ecs, --with-healthcheck]
        environment:
          - name: PREFECT_API_URL
            value: https://prefect.example.com/api
          - name: PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME
            value: my-ecs-pool-events
        secrets:
          - name: PREFECT_API_AUTH_STRING
            valueFrom: arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-auth-AbCdEf
        logConfiguration:
          logDriver: awslogs
          options:
            awslogs-group: /prefect/my-ecs-pool/worker
            awslogs-region: us-east-1
            awslogs-stream-prefix: worker
    keep_revisions: 10
    tags:
      team: data
  register: worker_td

- name: The service runs exactly that revision
  ansible.builtin.debug:
    msg: "{{ worker_td.task_definition_arn }} (new revision: {{ worker_td.registered }})"

- name: Deregister the revisions this collection registered
  prefect_ops.ecs.ecs_task_definition:
    family: my-ecs-pool-worker
    state: absent
"""

RETURN = r"""
task_definition:
  description:
    - The family's current revision as AWS returns it (C(describe-task-definition)'s
      C(taskDefinition)), predicted in check mode when a revision would be registered. None after
      O(state=absent).
  returned: always
  type: dict
  sample: {"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/my-ecs-pool-worker:3",
           "family": "my-ecs-pool-worker", "revision": 3, "status": "ACTIVE", "networkMode": "awsvpc",
           "requiresCompatibilities": ["FARGATE"], "cpu": "512", "memory": "1024",
           "containerDefinitions": [{"name": "prefect-worker", "image": "prefecthq/prefect-aws:0.7.12-python3.12"}]}
task_definition_arn:
  description: The ARN of the family's current revision (of the next revision in check mode when one would be registered).
  returned: always
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:task-definition/my-ecs-pool-worker:3
registered:
  description: Whether a new revision was registered (would be, in check mode).
  returned: always
  type: bool
  sample: true
deregistered:
  description: ARNs of the revisions deregistered (would be, in check mode) by pruning or O(state=absent).
  returned: always
  type: list
  elements: str
  sample: ["arn:aws:ecs:us-east-1:123456789012:task-definition/my-ecs-pool-worker:1"]
tags:
  description: The tags of the current revision.
  returned: when O(state=present)
  type: dict
  sample: {"prefect-ops:managed-by": "prefect_ops.ecs", "team": "data"}
left_alone:
  description: With O(state=absent), C(ACTIVE) revisions without the ownership tag, which were not deregistered.
  returned: when O(state=absent)
  type: list
  elements: str
  sample: ["arn:aws:ecs:us-east-1:123456789012:task-definition/my-ecs-pool-worker:1"]
actions:
  description: What the run changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["register task definition my-ecs-pool-worker:4 (changed: executionRoleArn)",
           "deregister task definition my-ecs-pool-worker:1"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ecs_task_definition import argument_spec
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ecs_task_definition import run


def main():
    module = AnsibleAWSModule(
        argument_spec=argument_spec(),
        required_if=[("state", "present", ["container_definitions"])],
        supports_check_mode=True,
    )
    module.exit_json(**run(module, clients(module, "sts", "ecs")))


if __name__ == "__main__":
    main()
