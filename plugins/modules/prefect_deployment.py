#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: prefect_deployment
short_description: Register, configure and delete Prefect deployments
version_added: 0.1.0
description:
  - Registers a Prefect 3 deployment of a flow in a work pool, or brings an existing one in line with the options
    given, and deletes it with O(state=absent). The deployment is found by O(flow_name) and O(name).
  - The flow object is created by name when it does not exist yet; O(state=absent) leaves it in place (a flow
    without deployments is harmless, and other deployments or past runs may refer to it).
  - Options that are not set are never touched, so several tasks (or the Prefect UI) can own different settings of
    one deployment. O(job_variables) is managed key by key.
  - Updates use C(PATCH /deployments/{id}), which changes only the fields sent.
  - Check mode predicts the deployment after the change (a new one has C(id=null)); C(--diff) shows before and
    after of exactly what changes.
  - Every option is checked before the first call that changes anything; messages name the field.
  - Ownership. A deployment this module creates carries the label C(prefect-ops.managed-by=prefect_ops.ecs) (a label,
    not a tag, since Prefect copies a deployment's tags onto every flow run). One found without it was made
    elsewhere; it is adopted, configured key by key, and never deleted. Prefect cannot change a deployment's labels after
    creation, so deployments created by earlier versions of this collection carry no label and are adopted too.
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
extends_documentation_fragment:
  - prefect_ops.ecs.prefect
attributes:
  check_mode:
    support: full
    description: Predicts the deployment after the change without changing it (and without creating the flow).
  diff_mode:
    support: full
    description: Shows before and after of every changed field, job variable and the schedules.
options:
  name:
    description:
      - Name of the deployment. Prefect refuses names with C(/ % & > <).
    type: str
    required: true
  flow_name:
    description:
      - Name of the flow the deployment runs (the name of the C(@flow), not the function name when they differ).
      - Prefect refuses names with C(/ % & > <).
    type: str
    required: true
  state:
    description:
      - V(present) creates the deployment if needed and applies the options given.
      - V(absent) deletes the deployment (and its schedules and scheduled runs) when it carries the ownership label;
        the flow stays. An unmarked deployment is left in place and RV(kept) says so.
    type: str
    choices: [present, absent]
    default: present
  entrypoint:
    description:
      - Where the worker finds the flow, C(path/to/file.py:flow_function) (relative to the working directory the pull
        steps leave, or the image's) or C(package.module.flow_function).
      - Required to create a deployment.
    type: str
  work_pool_name:
    description:
      - The work pool whose workers run the deployment's flows. It must exist
        (see M(prefect_ops.ecs.prefect_work_pool)); in check mode a missing pool is only a warning, since an earlier
        task of the same run may create it.
      - Required to create a deployment.
      - Moving an existing deployment to another pool without O(work_queue_name) puts it in that pool's default queue.
    type: str
  work_queue_name:
    description:
      - The queue of the work pool. Without it a new deployment uses the pool's default queue.
      - Prefect creates a queue the pool does not have yet (with default settings; manage it with
        M(prefect_ops.ecs.prefect_work_queue)).
    type: str
  image:
    description:
      - Shorthand for C(image) in O(job_variables), the container image of the flow runs.
      - Giving both with different values fails.
    type: str
  job_variables:
    description:
      - Per-deployment overrides of the work pool's job variables, per key; only the keys given are compared and
        written, every other key of the deployment keeps its value. A value of V(null) removes that key, so the
        pool's default applies.
      - Every key must be a variable of the pool's base job template and its value must fit that variable's schema
        (checked before anything changes). For an ECS pool this includes C(task_definition_arn), C(cpu), C(memory),
        C(env), C(cluster), C(network_configuration) and the other variables of the pool's template.
      - A value (such as C(env)) is compared and replaced as a whole.
      - Prefect credentials are refused in plain text (C(env) keys C(PREFECT_API_KEY), C(PREFECT_API_AUTH_STRING),
        values that look like a Prefect API key or equal O(api_key) or O(auth_string)); give the pool the secret's
        ARN in C(prefect_api_key_secret_arn) or C(prefect_api_auth_string_secret_arn) instead.
      - Mark values that hold Prefect placeholders, such as C({{ prefect.variables.x }}), with C(!unsafe).
    type: dict
  parameters:
    description:
      - Default parameters of the deployment's flow runs, compared and written as a whole.
    type: dict
  parameter_openapi_schema:
    description:
      - The JSON schema of the flow's parameters (what C(prefect deploy) generates from the flow's signature),
        compared and written as a whole.
      - With O(enforce_parameter_schema=true) Prefect checks O(parameters) and flow run parameters against it.
    type: dict
  enforce_parameter_schema:
    description:
      - Whether Prefect checks parameters against O(parameter_openapi_schema). Prefect's default for a new
        deployment is V(true).
    type: bool
  schedules:
    description:
      - The deployment's schedules, all of them; V([]) removes every schedule.
      - Compared by meaning, not text; order does not matter. A cron compares without regard to spacing and case,
        and C(@daily) equals C(0 0 * * *); a missing timezone equals C(UTC); an rrule without C(DTSTART) equals the
        stored rule with the C(DTSTART) the server adds; an interval compares as seconds and its anchor date only
        when given.
      - A schedule's C(max_scheduled_runs) is not managed.
    type: list
    elements: dict
    suboptions:
      cron:
        description: A cron expression, for example C(0 9 * * 1-5), or an alias such as C(@daily).
        type: str
      interval:
        description: Seconds between runs, or an ISO 8601 duration such as C(PT1H).
        type: raw
      anchor_date:
        description:
          - With O(schedules[].interval), the date-time the intervals count from (ISO 8601; without an offset it is
            UTC). Prefect uses the time of registration when it is not given.
        type: str
      rrule:
        description: An RFC 5545 recurrence rule, for example C(FREQ=WEEKLY;BYDAY=MO;BYHOUR=9).
        type: str
      timezone:
        description: The IANA time zone the schedule is evaluated in, for example C(Europe/Paris). Prefect uses UTC
          when it is not given.
        type: str
      day_or:
        description: With O(schedules[].cron), whether day-of-month and day-of-week combine with OR (cron's rule,
          Prefect's default) or AND.
        type: bool
      active:
        description: Whether the schedule creates runs.
        type: bool
        default: true
      parameters:
        description: Parameter overrides for the runs of this schedule.
        type: dict
      slug:
        description:
          - A name for the schedule, unique within the deployment. Compared only when given.
          - When every existing schedule has a slug (C(prefect deploy) gives them), the module keeps the slugs of
            schedules that stay and removes the others.
        type: str
  tags:
    description:
      - Tags of the deployment, compared as a set (order and duplicates do not matter).
    type: list
    elements: str
  description:
    description:
      - Description of the deployment. V("") clears it.
    type: str
  version:
    description:
      - Version of the deployment, for example the image tag or a commit id.
    type: str
  paused:
    description:
      - Whether the deployment is paused (its schedules create no runs).
    type: bool
  concurrency_limit:
    description:
      - The maximum number of the deployment's flow runs that may be active at once (a Prefect 3 deployment
        concurrency limit, read back from the API as C(global_concurrency_limit.limit)).
      - Set V(-1) to remove the limit. Prefect refuses V(0); pause the deployment instead.
    type: int
  concurrency_options:
    description:
      - What happens to a run that would exceed O(concurrency_limit).
      - Sub-options not given keep their value.
    type: dict
    suboptions:
      collision_strategy:
        description:
          - V(ENQUEUE) makes the run wait for a free slot; V(CANCEL_NEW) cancels it.
          - Required when the deployment has no concurrency options yet.
        type: str
        choices: [ENQUEUE, CANCEL_NEW]
      grace_period_seconds:
        description: Seconds (60 to 86400) a run's infrastructure may take to start before its slot is given back;
          the server's setting applies when not set.
        type: int
  pull_steps:
    description:
      - The steps a worker runs before the flow, for example to set the working directory or clone a repository,
        compared and written as a whole. Each item is a mapping with one key, the step's function.
    type: list
    elements: dict
notes:
  - Prefect's own names for the deployment's work pool, queue and job variables are returned as in the API
    (C(work_pool_name), C(work_queue_name), C(job_variables)).
  - Changing O(schedules) makes Prefect delete the deployment's future auto-scheduled runs and schedule new ones.
seealso:
  - module: prefect_ops.ecs.prefect_work_pool
  - module: prefect_ops.ecs.prefect_work_queue
  - name: Prefect deployments
    description: The concepts behind deployments, schedules and concurrency limits.
    link: https://docs.prefect.io/v3/concepts/deployments
'''

EXAMPLES = r'''
- name: A deployment of the etl flow on the ECS pool, its image pinned, weekdays at 06:00 Paris time
  prefect_ops.ecs.prefect_deployment:
    api_url: http://prefect.internal:4200/api
    auth_string: "{{ vault_prefect_auth_string }}"
    name: nightly
    flow_name: etl
    entrypoint: flows/etl.py:etl
    work_pool_name: my-ecs-pool
    work_queue_name: default
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/flows:1.4.2
    job_variables:
      cpu: 1024
      memory: 4096
      env:
        LOG_LEVEL: INFO
    parameters:
      full_refresh: false
    schedules:
      - cron: "0 6 * * 1-5"
        timezone: Europe/Paris
    concurrency_limit: 1
    concurrency_options:
      collision_strategy: CANCEL_NEW
    pull_steps:
      - prefect.deployments.steps.set_working_directory:
          directory: /opt/prefect/flows
    tags: [etl, nightly]
    version: "1.4.2"

- name: Run on a pre-registered task definition (no registration per run)
  prefect_ops.ecs.prefect_deployment:
    name: nightly
    flow_name: etl
    job_variables:
      task_definition_arn: arn:aws:ecs:us-east-1:123456789012:task-definition/flows:7

- name: Pause it and drop a job variable, leaving everything else as it is
  prefect_ops.ecs.prefect_deployment:
    name: nightly
    flow_name: etl
    paused: true
    job_variables:
      memory: null

- name: Remove the deployment (the flow stays)
  prefect_ops.ecs.prefect_deployment:
    name: nightly
    flow_name: etl
    state: absent
'''

RETURN = r'''
deployment:
  description:
    - The deployment as the Prefect API returns it after the change (in check mode, as predicted, with C(id=null)
      for a new one), plus C(flow_name).
    - C(concurrency_limit) is the limit in effect (the API's own field is deprecated and always null; the API
      returns the limit as C(global_concurrency_limit.limit)).
    - Empty when O(state=absent) deleted it; the deployment as read when it was kept (RV(kept)).
  returned: always
  type: dict
  sample:
    id: 6a3b2f41-4a57-4b0e-9f1b-0f4c6c1d2a90
    name: nightly
    flow_name: etl
    flow_id: e14672a8-532c-4184-b067-c9ebcf8f126a
    entrypoint: flows/etl.py:etl
    work_pool_name: my-ecs-pool
    work_queue_name: default
    job_variables:
      image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/flows:1.4.2
      cpu: 1024
    parameters:
      full_refresh: false
    schedules:
      - id: 4ce3d04b-0673-427e-bdea-a3e2f7e2e0a2
        schedule:
          cron: 0 6 * * 1-5
          timezone: Europe/Paris
          day_or: true
        active: true
        parameters: {}
        slug: null
    concurrency_limit: 1
    concurrency_options:
      collision_strategy: CANCEL_NEW
      grace_period_seconds: null
    global_concurrency_limit:
      limit: 1
      name: "deployment:6a3b2f41-4a57-4b0e-9f1b-0f4c6c1d2a90"
    paused: false
    tags: [etl, nightly]
    version: 1.4.2
    labels:
      prefect-ops.managed-by: prefect_ops.ecs
      prefect.flow.id: e14672a8-532c-4184-b067-c9ebcf8f126a
    status: NOT_READY
owned:
  description: Whether the deployment carries the ownership label (created by this collection); false when adopted.
  returned: when the deployment exists after the task, or was kept
  type: bool
  sample: true
kept:
  description: Why O(state=absent) left the deployment in place (it carries no ownership label).
  returned: when O(state=absent) found a deployment it does not own
  type: str
  sample: >-
    deployment 'etl/nightly' was not created by prefect_ops.ecs (it carries no ownership mark),
    so it was left in place; delete it in Prefect if it should go
changes:
  description:
    - The fields that changed (or would change, in check mode); job variables as C(job_variables.<key>);
      C(state) when the deployment was created or deleted.
  returned: always
  type: list
  elements: str
  sample: [job_variables.image, schedules, concurrency_limit]
'''

from ansible_collections.prefect_ops.ecs.plugins.module_utils.ownership import (
    deployment_marked,
    kept_message,
    kept_result,
)
from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect import PrefectModule
from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect_deployment import (
    COLLISION_STRATEGIES,
    PlanError,
    input_errors,
    plan_create,
    plan_update,
    present,
    template_errors,
    wanted_job_variables,
)


class DeploymentModule(PrefectModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        flow_name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        entrypoint=dict(type='str'),
        work_pool_name=dict(type='str'),
        work_queue_name=dict(type='str'),
        image=dict(type='str'),
        job_variables=dict(type='dict'),
        parameters=dict(type='dict'),
        parameter_openapi_schema=dict(type='dict'),
        enforce_parameter_schema=dict(type='bool'),
        schedules=dict(type='list', elements='dict', options=dict(
            cron=dict(type='str'),
            interval=dict(type='raw'),
            anchor_date=dict(type='str'),
            rrule=dict(type='str'),
            timezone=dict(type='str'),
            day_or=dict(type='bool'),
            active=dict(type='bool', default=True),
            parameters=dict(type='dict'),
            slug=dict(type='str'),
        )),
        tags=dict(type='list', elements='str'),
        description=dict(type='str'),
        version=dict(type='str'),
        paused=dict(type='bool'),
        concurrency_limit=dict(type='int'),
        concurrency_options=dict(type='dict', options=dict(
            collision_strategy=dict(type='str', choices=list(COLLISION_STRATEGIES)),
            grace_period_seconds=dict(type='int'),
        )),
        pull_steps=dict(type='list', elements='dict'),
    )

    def run(self):
        p = self.params
        errors = input_errors(p, secrets=(p.get('api_key'), p.get('auth_string')))
        if errors:
            self.fail("; ".join(errors))
        q = self.client.quote
        current = self.client.get("deployments/name/%s/%s" % (q(p['flow_name']), q(p['name'])), missing_ok=True)
        if p['state'] == 'absent':
            return self.absent(current)

        if current is None:
            missing = [o for o in ('entrypoint', 'work_pool_name') if not p.get(o)]
            if missing:
                self.fail("deployment %r of flow %r does not exist and %s %s not set: give %s to create it"
                          % (p['name'], p['flow_name'], " and ".join(missing), "is" if len(missing) == 1 else "are",
                             " and ".join(missing)))
            if p['concurrency_options'] and not p['concurrency_options'].get('collision_strategy'):
                self.fail("concurrency_options.collision_strategy is required for a new deployment (ENQUEUE or "
                          "CANCEL_NEW)")
        elif (p['concurrency_options'] and not current.get('concurrency_options')
              and not p['concurrency_options'].get('collision_strategy')):
            self.fail("concurrency_options.collision_strategy is required: deployment %r has no concurrency options "
                      "yet (ENQUEUE or CANCEL_NEW)" % p['name'])

        default_queue = self.check_pool(current)
        if current is None:
            return self.create(default_queue)
        return self.update(current, default_queue)

    def check_pool(self, current):
        """Check the job variables against the target pool's template; return the pool's default queue name
        when the deployment will land in it."""
        p = self.params
        wanted = wanted_job_variables(p)
        cur_pool = (current or {}).get('work_pool_name')
        target = p['work_pool_name'] or cur_pool
        moving = current is None or (p['work_pool_name'] is not None and p['work_pool_name'] != cur_pool)
        if not wanted and not moving:
            return None
        if target is None:
            self.warn("deployment %r has no work pool, so job_variables cannot be checked against a base job "
                      "template; set work_pool_name" % p['name'])
            return None
        pool = self.client.get("work_pools/" + self.client.quote(target), missing_ok=True)
        if pool is None:
            msg = ("work pool %r does not exist: create it first (prefect_ops.ecs.prefect_work_pool), then the "
                   "deployments that use it" % target)
            if not self.check_mode:
                self.fail(msg)
            self.warn(msg + "; in check mode this is expected when an earlier task creates the pool, and "
                      "job_variables were not checked")
            return None
        errors = template_errors(wanted, pool.get('base_job_template') or {}, target)
        if errors:
            self.fail("; ".join(errors))
        if moving and p['work_queue_name'] is None and pool.get('default_queue_id'):
            queue = self.client.get("work_queues/" + self.client.quote(pool['default_queue_id']), missing_ok=True)
            return (queue or {}).get('name')
        return None

    def absent(self, current):
        if current is None:
            return dict(changed=False, deployment={}, changes=[], diff=dict(before={}, after={}))
        if not deployment_marked(current):
            return kept_result('deployment', present(current, self.params['flow_name']),
                               kept_message("deployment", "%s/%s" % (self.params['flow_name'], self.params['name'])))
        if not self.check_mode:
            self.client.delete("deployments/" + self.client.quote(current['id']), missing_ok=True)
        before = dict(state='present', name=current.get('name'), flow_name=self.params['flow_name'],
                      work_pool_name=current.get('work_pool_name'), work_queue_name=current.get('work_queue_name'))
        return dict(changed=True, deployment={}, changes=['state'], diff=dict(before=before, after=dict(state='absent')))

    def create(self, default_queue):
        p = self.params
        flow = self.client.get("flows/name/" + self.client.quote(p['flow_name']), missing_ok=True)
        plan = plan_create(p, (flow or {}).get('id'), default_queue)
        if self.check_mode:
            deployment = plan['predicted']
        else:
            if flow is None:
                flow = self.client.post("flows/", dict(name=p['flow_name']))  # returns the flow if it exists
            plan['body']['flow_id'] = flow['id']
            deployment = present(self.client.post("deployments/", plan['body']), p['flow_name'])
        return dict(changed=True, deployment=deployment, owned=True, changes=plan['changes'],
                    diff=dict(before=plan['before'], after=plan['after']))

    def update(self, current, default_queue):
        p = self.params
        try:
            plan = plan_update(current, p, p['flow_name'], default_queue)
        except PlanError as exc:
            self.fail(str(exc))
        path = "deployments/" + self.client.quote(current['id'])
        deployment = present(current, p['flow_name'])
        if plan['patch']:
            if self.check_mode:
                deployment = plan['predicted']
            else:
                self.client.patch(path, plan['patch'])
                for schedule_id in plan['deletes']:
                    self.client.delete(path + "/schedules/" + self.client.quote(schedule_id), missing_ok=True)
                deployment = present(self.client.get(path), p['flow_name'])
        return dict(changed=bool(plan['patch']), deployment=deployment, owned=deployment_marked(current),
                    changes=plan['changes'],
                    diff=dict(before=plan['before'], after=plan['after']))


def main():
    DeploymentModule().execute()


if __name__ == '__main__':
    main()
