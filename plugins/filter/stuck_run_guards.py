# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: stuck_run_guards
short_description: The automations that finish a site's flow runs stuck in Pending or Cancelling
version_added: 0.1.0
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
description:
  - Two proactive automations, scoped to the given work pools, for M(prefect_ops.ecs.prefect_automation). A guard
    whose threshold is 0 (or with no pool) is given with C(state=absent), so turning it off removes it.
  - The automation named C(<site>) C(crash flow runs stuck in Pending) moves a run that stayed Pending for O(pending_seconds) to Crashed; the
    ECS worker marks a run Pending, and when it stops before RunTask the run stays Pending for ever, holding a
    concurrency slot of its pool (PrefectHQ/prefect#20485). Crashed frees the slot and Crashed notifications apply;
    server-side retries do not (they follow Running -> Failed only).
  - The automation named C(<site>) C(cancel flow runs stuck in Cancelling) moves a run that stayed Cancelling for O(cancelling_seconds) to
    Cancelled (PrefectHQ/prefect#18585).
  - Any flow-run event of the run (a state change, a heartbeat) within the time resets the guard. A threshold of 0
    leaves that guard out.
options:
  _input:
    description: The site (the prefix of the automations' names).
    type: str
    required: true
  pools:
    description: The work pools whose runs are guarded.
    type: list
    elements: str
    required: true
  pending_seconds:
    description: Seconds a run may stay Pending; longer than your slowest task start (image pull, capacity).
    type: int
    required: true
  cancelling_seconds:
    description: Seconds a run may stay Cancelling.
    type: int
    required: true
"""

EXAMPLES = r"""
- name: The site's guards
  prefect_ops.ecs.prefect_automation:
    automations: "{{ 'prod' | prefect_ops.ecs.stuck_run_guards(['prod', 'prod-development'], 1800, 900) }}"
"""

RETURN = r"""
_value:
  description: The automations, in the shape of the module's O(prefect_ops.ecs.prefect_automation#module:automations).
  type: list
  elements: dict
"""

from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect_automation import stuck_run_guards


class FilterModule(object):
    def filters(self):
        return {"stuck_run_guards": stuck_run_guards}
