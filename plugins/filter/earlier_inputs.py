# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: earlier_inputs_valid
short_description: Check what a role of this collection takes from earlier roles' facts, when the role runs
version_added: 0.1.0
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
description:
  - Runs the role's checks of the values it takes from earlier roles' facts (a cluster ARN, subnets, the execution
    role; plugins/module_utils/role_inputs.py, C(EARLIER)) and returns V(true), or fails the task with every problem,
    each naming the role variable and the fix.
  - The roles use it in the C(when) of their first module task, so the check costs no task of its own and a bad value
    fails before the role changes anything. The site's preflight (M(prefect_ops.ecs.preflight)) cannot make these
    checks - it runs before any role has published its facts.
options:
  _input:
    description: The role's variables the checks read, by name.
    type: dict
    required: true
  role:
    description: The role, for example V(ecs_worker_service).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Register the worker's task definition
  prefect_ops.ecs.ecs_task_definition:
    family: prefect-worker
  when: __inputs | prefect_ops.ecs.earlier_inputs_valid('ecs_worker_service')
  vars:
    __inputs:
      ecs_worker_service_state: present
      ecs_worker_service_cluster: "{{ ecs_worker_service_cluster }}"
"""

RETURN = r"""
_value:
  description: V(true) when the values pass (otherwise the task fails with the problems).
  type: bool
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.prefect_ops.ecs.plugins.module_utils import role_inputs


def earlier_inputs_valid(values, role):
    problems = role_inputs.earlier_problems(role, dict(values or {}))
    if problems:
        raise AnsibleFilterError("; ".join("%s: %s" % (role, p) for p in problems))
    return True


class FilterModule(object):
    def filters(self):
        return {"earlier_inputs_valid": earlier_inputs_valid}
