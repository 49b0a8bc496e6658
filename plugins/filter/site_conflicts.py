# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: site_conflicts
short_description: What one host of a run would manage that another host of the same run manages too
version_added: 0.1.0
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
description:
  - Takes host -> the C(claims) of its context (M(prefect_ops.ecs.site_context) - its site in its region and AWS
    account, each of its work pools on its Prefect server or workspace) for the hosts of the run, and returns, for
    one host, a message per object another host claims too, naming both hosts.
  - The role prefect_ops.ecs.site_context fails a host with these messages before any role changes anything.
    Under C(--limit) only the hosts of the run are compared.
options:
  _input:
    description: Host name -> list of claims.
    type: dict
    required: true
  host:
    description: The host to check.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse two environments that would manage the same objects
  ansible.builtin.fail:
    msg: "{{ __conflicts | join('; ') }}"
  when: __conflicts | length > 0
  vars:
    __conflicts: >-
      {{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, ['prefect_ecs_context', 'claims'])))
         | prefect_ops.ecs.site_conflicts(inventory_hostname) }}
"""

RETURN = r"""
_value:
  description: One message per shared object, naming the hosts; empty when the host shares nothing.
  type: list
  elements: str
"""

from ansible_collections.prefect_ops.ecs.plugins.module_utils.site_context import conflicts


def site_conflicts(claims_by_host, host):
    return conflicts(dict(claims_by_host or {}), host)


class FilterModule(object):
    def filters(self):
        return {"site_conflicts": site_conflicts}
