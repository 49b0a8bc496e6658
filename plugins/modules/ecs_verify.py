#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: ecs_verify
short_description: Check that a site's worker can run flows on ECS, reading only what this run did not report
version_added: 0.1.0
description:
  - The manual guide's troubleshooting list as checks, each with a status and a detail that says what to fix -
    the event pipeline wired, its dead-letter queue empty, the worker service active and running its desired
    count, its task definition registered, the execution and worker task roles allowing what the worker needs,
    a worker of the pool online.
  - What this run's roles reported (O(reported)) is checked as they left it and not read again, so a no-op run reads
    nothing; the rest is read with read-only modules (M(prefect_ops.ecs.ecs_event_observer_info),
    M(community.aws.ecs_service_info), M(community.aws.ecs_taskdefinition_info), M(amazon.aws.iam_role_info),
    M(amazon.aws.iam_policy_info), M(prefect_ops.ecs.prefect_work_pool_info)) in the host's region, AWS identity and
    Prefect workspace (the host's C(prefect_ecs_context), see M(prefect_ops.ecs.site_context)).
  - In check mode a check that fails on the current state but that this run would fix is V(would be fixed), not
    V(fail) - the event pipeline when this run's ecs_events role would change it, an IAM role whose policies as
    ecs_iam would leave them pass, the worker service or its task definition when this run's ecs_worker_service role
    would change them - so C(--check --diff) works as a drift audit.
  - The checks themselves are pure functions (plugins/module_utils/verify.py). The action never fails because a
    check failed; it returns RV(failed_checks) (the role prefect_ops.ecs.ecs_verify, or site.yml after its summary,
    fails the play).
  - This is an action plugin. It runs on the controller, calling the read-only modules above on the host.
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
attributes:
  check_mode:
    support: full
    description: Reads only; in check mode reports V(would be fixed) for what this run would fix.
  diff_mode:
    support: none
    description: Changes nothing.
  action:
    support: full
    description: Runs on the controller.
options:
  pool:
    description: The work pool a worker must be online in.
    type: str
    required: true
  events_name:
    description: The event pipeline's name (its queue C(<name>-events), rule C(<name>-task-state-changes)).
    type: str
    required: true
  clusters:
    description: The cluster ARNs the pipeline's rule must match (empty - not checked).
    type: list
    elements: str
    default: []
  worker_timeout:
    description: How long to wait for a worker of the pool to be online, in seconds; V(0) does not check.
    type: int
    default: 0
  emulated:
    description: An emulator (moto) runs no container - the running count is not taken as evidence.
    type: bool
    default: false
  api_url:
    description: The site's Prefect API URL; the worker container's C(PREFECT_API_URL) must equal it.
    type: str
    default: ""
  credential_kind:
    description:
      - V(api_key) (Prefect Cloud) or V(auth_string) (self-hosted with basic auth). The worker container must get
        C(PREFECT_API_KEY) or C(PREFECT_API_AUTH_STRING) from the secret (O(secret_arn)); V(none) expects no credential.
    type: str
    default: ""
  events_queue_name:
    description: The event pipeline's queue; the worker's C(PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME) must name it.
    type: str
    default: ""
  worker_log_group:
    description: The worker's log group, searched for C(ERROR) lines of the last O(log_error_minutes) minutes.
    type: str
    default: ""
  log_error_minutes:
    description: How far back the worker log group is searched.
    type: int
    default: 60
  worker_lane:
    description:
      - Whether the site runs the ECS worker. V(false) (a push-only site) reports the worker service, its task
        definition, the worker task role and the worker online as not checked, and checks the execution role only.
    type: bool
    default: true
  event_pipeline:
    description: Whether the site has the event pipeline; V(false) reports its two checks as not checked.
    type: bool
    default: true
  service_cluster:
    description: The worker service's cluster (name or ARN).
    type: str
    required: true
  service_name:
    description: The worker service's name.
    type: str
    required: true
  task_definition_arn:
    description: The worker task definition this run registered, checked when the service does not exist.
    type: str
    default: ''
  execution_role_arn:
    description: The execution role to check (empty - the worker task definition's).
    type: str
    default: ''
  worker_task_role_arn:
    description: The worker task role to check (empty - the worker task definition's).
    type: str
    default: ''
  flow_run_task_role_arn:
    description: The flow-run task role the worker must be able to pass (placeholder C(<flow_run_task_role>)).
    type: str
    default: ''
  secret_arn:
    description: The worker's credential secret (empty - the worker container's secret in the task definition).
    type: str
    default: ''
  secret_kms_key_arn:
    description: The customer KMS key of the credential secret, if any.
    type: str
    default: ''
  events_queue_arn:
    description: The observer's queue (empty - the pipeline's queue).
    type: str
    default: ''
  flow_runs_log_group:
    description: The flow runs' log group (placeholder C(<flow_runs_log_group>)).
    type: str
    default: ''
  worker_task_role_requirements:
    description:
      - What the worker task role must allow, each C({action, resource, why, optional}). A resource may hold the
        placeholders C(<partition>), C(<region>), C(<account>), C(<cluster>) (from the worker service's cluster ARN),
        C(<execution_role>), C(<flow_run_task_role>), C(<queue>), C(<queue_kms_key>), C(<flow_runs_log_group>).
      - An item whose resource has a placeholder without a value is skipped when C(optional), else reported
        V(not checked). An item without C(action) or C(resource), or naming an unknown placeholder, fails the task
        before any read.
    type: list
    elements: dict
    default: []
  reported:
    description:
      - What this run's roles reported, checked without reading again. Keys C(pipeline_name) and C(pipeline)
        (the health of M(prefect_ops.ecs.ecs_event_observer)), C(pipeline_changes) (the ecs_events role's change
        record), C(service) and C(task_definition) (as M(prefect_ops.ecs.ecs_service) and
        M(prefect_ops.ecs.ecs_task_definition) return them), C(service_changes) (the ecs_worker_service role's change
        record), C(roles) (role ARN -> C(attached), C(documents) as the ecs_iam role leaves it).
    type: dict
    default: {}
  validate_only:
    description:
      - Only check the inputs (O(worker_task_role_requirements), O(worker_timeout), O(pool)) and read nothing - the
        site-wide preflight pass of site.yml.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Check a site's worker (read only)
  prefect_ops.ecs.ecs_verify:
    pool: demo
    events_name: demo
    service_cluster: demo
    service_name: demo-workers
    worker_timeout: 180
    worker_task_role_requirements:
      - action: ecs:RunTask
        resource: "arn:<partition>:ecs:<region>:<account>:task-definition/*"
        why: the worker starts each flow run as a task
  register: verify

- name: Fail when a check failed
  ansible.builtin.assert:
    that: verify.failed_checks | length == 0
    fail_msg: "{{ verify.failed_checks }}"
'''

RETURN = r'''
report:
  description: Every check, C({check, status, detail}); status V(pass), V(fail), V(not checked) or V(would be fixed).
  returned: success
  type: list
  elements: dict
  sample: [{"check": "worker service active", "status": "pass", "detail": "demo-workers is ACTIVE"}]
checks:
  description: "Check name -> its status, or C(<status>: <detail>) for a check that did not pass."
  returned: success
  type: dict
lines:
  description: "C(<status> | <check> | <detail>) of each check, in the order of RV(report); the result is always printed."
  returned: success
  type: list
  elements: str
failed_checks:
  description: "C(<check>: <detail>) of each check that failed (empty when none did)."
  returned: success
  type: list
  elements: str
ansible_facts:
  description: C(ecs_verify_report), the same list as RV(report).
  returned: success
  type: dict
module_runs:
  description: The read-only modules the action ran; 0 when this run's roles reported everything the checks need.
  returned: always
  type: int
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    # The work happens in the action plugin on the controller (plugins/action/ecs_verify.py).
    module = AnsibleModule(argument_spec=dict(
        pool=dict(type='str', required=True), events_name=dict(type='str', required=True),
        clusters=dict(type='list', elements='str', default=[]), worker_timeout=dict(type='int', default=0),
        emulated=dict(type='bool', default=False), service_cluster=dict(type='str', required=True),
        service_name=dict(type='str', required=True), task_definition_arn=dict(type='str', default=''),
        execution_role_arn=dict(type='str', default=''), worker_task_role_arn=dict(type='str', default=''),
        flow_run_task_role_arn=dict(type='str', default=''), secret_arn=dict(type='str', default='', no_log=False),
        secret_kms_key_arn=dict(type='str', default='', no_log=False), events_queue_arn=dict(type='str', default=''),
        flow_runs_log_group=dict(type='str', default=''),
        worker_task_role_requirements=dict(type='list', elements='dict', default=[]),
        reported=dict(type='dict', default={}), validate_only=dict(type='bool', default=False),
        worker_lane=dict(type='bool', default=True), event_pipeline=dict(type='bool', default=True),
        api_url=dict(type='str', default=''), credential_kind=dict(type='str', default=''),
        events_queue_name=dict(type='str', default=''), worker_log_group=dict(type='str', default=''),
        log_error_minutes=dict(type='int', default=60),
    ), supports_check_mode=True)
    module.fail_json(msg="prefect_ops.ecs.ecs_verify runs on the controller as an action plugin; call it as a task")


if __name__ == '__main__':
    main()
