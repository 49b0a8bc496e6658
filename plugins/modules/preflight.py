#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: preflight
short_description: Check the inputs of the collection's roles before anything changes, in one task
version_added: 0.1.0
description:
  - For each role of O(roles) - its variables as the role would see them (its defaults under the host's variables) -
    checks its argument spec (entry point C(main), as M(ansible.builtin.validate_argument_spec) would), rejects
    variables of the role's prefix that neither the spec nor the role's published facts know (a misspelt name, each
    with the closest valid one), and runs the role's Python checks (plugins/module_utils/role_inputs.py), which are
    the static checks of the modules the role calls, with the messages naming the role variables; values inside lists
    (work queues, other pools, deployments and their schedules, ECR repositories, task definition entries) included.
  - When those pass, inputs only a server can judge are read - a pool type the bundled templates do not know, or job
    variables - with the pool module in check mode in the host's Prefect workspace (see M(prefect_ops.ecs.site_context));
    and the subnets and security groups C(ecs_network) adopts are read on the controller (EC2 DescribeSubnets and
    DescribeSecurityGroups, the host's region and identity), each of which must exist in the VPC.
  - Writes nothing. C(playbooks/site.yml) runs it once for every role of the site before any change; each
    role runs it for itself when used alone.
  - Values a role takes from an earlier role's facts (a cluster ARN, role ARNs) are checked when that role runs.
  - This is an action plugin. It runs on the controller.
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  roles:
    description: The roles of this collection whose inputs to check (short names, for example V(ecs_cluster)).
    type: list
    elements: str
    required: true
  argument_spec:
    description:
      - Also validate each role's argument spec. Set V(false) inside a role, whose argument spec Ansible has checked.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reads and writes nothing, in check mode as in a real run.
  diff_mode:
    support: none
    description: Changes nothing.
  action:
    support: full
    description: Runs on the controller.
'''

EXAMPLES = r'''
- name: Check the inputs of every role of the site before anything changes
  prefect_ops.ecs.preflight:
    roles: [ecs_network, prefect_api_secret, ecs_cluster, ecs_log_groups, ecs_events]

# fails with, for example:
#   ecs_cluster: unknown variable ecs_cluster_nmae (did you mean ecs_cluster_name?); valid names are ...
#   ecs_log_groups: ecs_log_groups_retention_days: 8 days is not a retention CloudWatch Logs accepts; use one of 1, 3, ...
'''

RETURN = r'''
problems:
  description: Role -> its problems (each naming the variable and the fix); empty when every input is valid.
  returned: always
  type: dict
  sample: {"ecs_events": ["ecs_events_name (rule <name>-task-state-changes): the EventBridge rule name ... is 67 characters, over the limit of 64"]}
checked:
  description: The roles checked.
  returned: always
  type: list
  elements: str
module_runs:
  description: The read-only modules the action ran (the server's checks of pool types or job variables); 0 for most inputs.
  returned: always
  type: int
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        roles=dict(type='list', elements='str', required=True), argument_spec=dict(type='bool', default=True),
    ), supports_check_mode=True)
    module.fail_json(msg="prefect_ops.ecs.preflight runs on the controller as an action plugin; call it as a task")


if __name__ == '__main__':
    main()
