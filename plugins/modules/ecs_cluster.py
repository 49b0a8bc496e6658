#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_cluster
short_description: An ECS cluster with its capacity providers, created with the ownership tag, or looked up read-only
version_added: 0.1.0
description:
  - Creates an ECS cluster (the seed guide's C(aws ecs create-cluster)) with its capacity providers,
    default capacity provider strategy, Container Insights setting and tags, updates them in place, or
    removes the cluster.
  - Every option the task sets is compared by meaning with what ECS reports - the capacity providers as
    a set, the default strategy by provider (weight and base default to 0), the Container Insights
    setting and the tags. An option that is not set is never compared or sent.
  - The cluster this module creates carries the ownership tag C(prefect-ops:managed-by=prefect_ops.ecs).
    An existing cluster without it is not changed unless O(adopt=true), and an adopted cluster does not
    get the ownership tag, so O(state=absent) never deletes it.
  - With O(create=false) the module only looks the cluster up - it never changes it and fails with a
    clear message when there is no C(ACTIVE) cluster of that name. This is how a cluster that already
    exists (made by hand or by another tool) is used read-only.
  - O(state=absent) deletes only a cluster that carries the ownership tag and holds no services, tasks
    or container instances (it fails listing them otherwise); a cluster without the tag is left alone and
    reported in RV(left_alone).
  - Check mode predicts the result, including the ARN of a new cluster
    (C(arn:<partition>:ecs:<region>:<account>:cluster/<name>)). With C(--diff) the diff holds before/after
    of exactly the fields that change.
  - Invalid input fails before any AWS call that changes anything, with a message naming the option and
    the fix.
  - The C(community.aws.ecs_cluster) module has no tags option (so a cluster it creates cannot carry the
    ownership tag), cannot predict the cluster ARN in check mode, and fails on a re-run against a cluster
    without capacity providers on the moto emulator; that is why this module exists (the collection's gap
    tests prove it).
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  name:
    description:
      - The cluster name (1 to 255 letters, digits, C(-) and C(_)).
    type: str
    required: true
    aliases: [cluster_name]
  state:
    description:
      - V(present) creates or updates the cluster (or, with O(create=false), only looks it up).
      - V(absent) deletes the cluster when it carries the ownership tag and is empty. A cluster without
        the tag is left alone, with a warning. The other options are ignored.
    type: str
    choices: [present, absent]
    default: present
  create:
    description:
      - V(false) only looks the cluster up and returns it - nothing is ever created or changed, and the
        module fails with a clear message when there is no C(ACTIVE) cluster of that name. O(capacity_providers),
        O(default_capacity_provider_strategy), O(settings) and O(tags) cannot be set then, nor O(state=absent).
    type: bool
    default: true
  adopt:
    description:
      - Manage an existing cluster that does not carry the ownership tag (created by hand, by another tool,
        or by C(community.aws.ecs_cluster)). Without it the module fails on such a cluster.
      - An adopted cluster gets the options the task sets, but not the ownership tag, so O(state=absent) never
        deletes it. To hand the cluster over to this collection on purpose, put the ownership tag
        C(prefect-ops:managed-by=prefect_ops.ecs) in O(tags).
    type: bool
    default: false
  capacity_providers:
    description:
      - The capacity providers of the cluster (V(FARGATE), V(FARGATE_SPOT), or names of capacity providers of
        your own), compared as a set. Not set means the providers are left as they are.
    type: list
    elements: str
  default_capacity_provider_strategy:
    description:
      - The default capacity provider strategy of the cluster, compared by provider (order does not matter;
        weight and base default to 0). Every provider must be one of the cluster's capacity providers
        (O(capacity_providers), or the cluster's current ones when that is not set). Not set means the
        strategy is left as it is.
    type: list
    elements: dict
    aliases: [capacity_provider_strategy]
    suboptions:
      capacity_provider:
        description: The capacity provider name.
        type: str
        required: true
      weight:
        description: The relative share of tasks (0 to 1000; with several providers at least one above 0).
        type: int
      base:
        description: The minimum number of tasks on this provider (0 to 100000; only one provider may have one).
        type: int
  settings:
    description:
      - Cluster settings. Only the ones set are compared.
    type: dict
    suboptions:
      container_insights:
        description:
          - CloudWatch Container Insights for the cluster (V(enhanced) adds task- and container-level
            metrics). A cluster that does not report the setting counts as V(disabled).
        type: str
        choices: [enabled, disabled, enhanced]
  wait_timeout:
    description:
      - With O(state=absent), seconds to wait for services that are C(DRAINING) and tasks that are stopping to
        be gone before the cluster is deleted (V(0) fails at once). C(ACTIVE) services and tasks that should
        run are never waited for - the module fails listing them.
    type: int
    default: 300
extends_documentation_fragment:
  - prefect_ops.ecs.site
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - Supports C(check_mode) and C(diff_mode).
  - AWS calls retry throttling with jittered backoff.
  - The cluster's tags always include the ownership tag on a cluster this module created; O(purge_tags=true)
    never removes it.
"""

EXAMPLES = r"""
- name: The cluster flow runs and the worker run in (the seed guide's create-cluster)
  prefect_ops.ecs.ecs_cluster:
    name: prefect
    capacity_providers: [FARGATE, FARGATE_SPOT]
    default_capacity_provider_strategy:
      - capacity_provider: FARGATE
        weight: 1
        base: 1
      - capacity_provider: FARGATE_SPOT
        weight: 3
    settings:
      container_insights: enabled
    tags:
      prefect-ops:site: prod-euw1
      team: data
    purge_tags: false
  register: cluster

- name: Use a cluster that already exists, read-only (fails clearly when it does not)
  prefect_ops.ecs.ecs_cluster:
    name: shared-platform
    create: false
  register: cluster

- name: Manage the tags and settings of a cluster made by hand (it is never deleted by state=absent)
  prefect_ops.ecs.ecs_cluster:
    name: shared-platform
    adopt: true
    settings:
      container_insights: enhanced
    tags:
      team: data
    purge_tags: false

- name: Remove the cluster (only if this collection created it and it is empty)
  prefect_ops.ecs.ecs_cluster:
    name: prefect
    state: absent
"""

RETURN = r"""
cluster:
  description:
    - The cluster as ECS returns it (DescribeClusters with tags and settings), predicted in check mode.
      None after O(state=absent) deleted it (or found nothing).
  returned: always
  type: dict
  sample: {"clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prefect", "clusterName": "prefect",
           "status": "ACTIVE", "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
           "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
           "settings": [{"name": "containerInsights", "value": "disabled"}],
           "registeredContainerInstancesCount": 0, "runningTasksCount": 0, "pendingTasksCount": 0,
           "activeServicesCount": 0, "tags": [{"key": "prefect-ops:managed-by", "value": "prefect_ops.ecs"}]}
cluster_arn:
  description: The cluster ARN (predicted in check mode for a new cluster). None when O(state=absent) found no cluster.
  returned: always
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:cluster/prefect
owned:
  description: Whether the cluster carries the ownership tag (this collection created it, so O(state=absent) may delete it).
  returned: always
  type: bool
left_alone:
  description: With O(state=absent), the ARN of a cluster of that name without the ownership tag, which was not deleted.
  returned: when O(state=absent)
  type: list
  elements: str
actions:
  description: What the run changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["update capacity providers of cluster prefect (defaultCapacityProviderStrategy)"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ecs_cluster import argument_spec
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ecs_cluster import run


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.exit_json(**run(module, clients(module, "sts", "ecs")))


if __name__ == "__main__":
    main()
