#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: site_summary
short_description: Print what a site run left and changed, and fail after it when a check of ecs_verify failed
version_added: 0.1.0
description:
  - Builds the summary C(playbooks/site.yml) ends with from the facts the roles published - names and ARNs of what
    exists, the pool's UI URL, each check of M(prefect_ops.ecs.ecs_verify) with its status, the findings (each check
    that failed or would be fixed, with its detail) and what each role changed (in check mode, would change) - and
    prints it.
  - After printing it, fails when a check failed that this run would not fix (O(fail_on_failed_checks)), so that a
    drift audit (C(--check --diff)) prints the summary before the run exits with status 2.
  - This is an action plugin. It runs on the controller, reads no API and changes nothing.
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  roles:
    description: The roles the play ran, in order; each but C(ecs_verify) publishes C(<role>_changes).
    type: list
    elements: str
    required: true
  fail_on_failed_checks:
    description: Fail after printing the summary when a check of M(prefect_ops.ecs.ecs_verify) failed.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reads the facts of the run only, in check mode as in a real run.
  diff_mode:
    support: none
    description: Changes nothing.
  action:
    support: full
    description: Runs on the controller.
'''

EXAMPLES = r'''
- name: Summarise what exists and what this run changed
  prefect_ops.ecs.site_summary:
    roles: [ecs_cluster, ecs_log_groups, ecs_verify]
    fail_on_failed_checks: "{{ ecs_verify_fail | default(true) }}"
'''

RETURN = r'''
ansible_facts:
  description: The summary, published as C(prefect_ecs_summary).
  returned: always
  type: dict
  contains:
    prefect_ecs_summary:
      description:
        - C(site), C(region), C(account), C(aws_identity), C(prefect_api), C(pool_ui); the names and ARNs of the
          cluster, log groups, event queue, credential secret, IAM roles, flow-run and worker task definitions, work
          pools, deployments, ECR repositories, worker and warm-lane services (V(-) when not made by this run).
        - "C(checks) (check -> status), C(findings) (C(<check>: <detail>)) and C(changed) (role -> what it changed)."
      type: dict
      sample: {"site": "prod", "cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/prod", "changed": {}}
module_runs:
  description: Always 0 - the action reads the run's facts only.
  returned: always
  type: int
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        roles=dict(type='list', elements='str', required=True), fail_on_failed_checks=dict(type='bool', default=True),
    ), supports_check_mode=True)
    module.fail_json(msg="prefect_ops.ecs.site_summary runs on the controller as an action plugin; call it as a task")


if __name__ == '__main__':
    main()
