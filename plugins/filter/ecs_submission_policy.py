# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: ecs_submission_policy
short_description: The least-privilege IAM policy of an identity that submits flow runs to one ECS cluster
version_added: 0.1.0
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
description:
  - The actions prefect-aws's ECS worker code makes to submit a flow run (what Prefect Cloud does for an C(ecs:push)
    pool), on the site's cluster, its pinned task definition's family and the roles the tasks run with only
    (plugins/module_utils/submission_policy.py). No C(iam:PassRole) on C(*), nothing that creates clusters, networks
    or roles.
  - Without a pinned task definition it also allows registering and deregistering definitions (the submission
    registers its own).
options:
  _input:
    description: The cluster ARN.
    type: str
    required: true
  pass_roles:
    description: ARNs of the execution and task roles the flow-run tasks run with.
    type: list
    elements: str
    default: []
  task_definition_arn:
    description: The pool's pinned task definition (empty - none).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: The push identity's policy
  ansible.builtin.set_fact:
    push_policy: >-
      {{ ecs_cluster.arn | prefect_ops.ecs.ecs_submission_policy([ecs_iam.execution_role_arn], ecs_flow_run_task_definitions_arn) }}
"""

RETURN = r"""
_value:
  description: The IAM policy document.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.prefect_ops.ecs.plugins.module_utils.submission_policy import PolicyInputError
from ansible_collections.prefect_ops.ecs.plugins.module_utils.submission_policy import ecs_submission_policy as _policy


def ecs_submission_policy(cluster_arn, pass_roles=None, task_definition_arn=""):
    try:
        return _policy(cluster_arn, list(pass_roles or []), task_definition_arn or "")
    except PolicyInputError as exc:
        raise AnsibleFilterError("ecs_submission_policy: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"ecs_submission_policy": ecs_submission_policy}
