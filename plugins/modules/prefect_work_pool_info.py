#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: prefect_work_pool_info
short_description: Read Prefect work pools, their workers, queues and run counts
version_added: 0.1.0
description:
  - Returns one work pool (O(name)) or all of them, with their workers (status and last heartbeat), their work
    queues, and how many of their flow runs are late, scheduled, pending and running.
  - Answers "is my worker live?" - RV(work_pools[].online_workers) counts the workers the server considers
    C(ONLINE) (a heartbeat within the last few heartbeat intervals).
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
extends_documentation_fragment:
  - prefect_ops.ecs.prefect
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to show.
options:
  name:
    description:
      - Name of the work pool to read. All pools when not set.
      - A pool that does not exist gives an empty RV(work_pools), not an error.
    type: str
  workers:
    description:
      - Whether to read each pool's workers.
    type: bool
    default: true
  queues:
    description:
      - Whether to read each pool's work queues.
    type: bool
    default: true
  flow_run_counts:
    description:
      - Whether to count each pool's late, scheduled, pending and running flow runs (four small requests per pool).
    type: bool
    default: true
seealso:
  - module: prefect_ops.ecs.prefect_work_pool
  - module: prefect_ops.ecs.prefect_work_queue
'''

EXAMPLES = r'''
- name: Wait until a worker of the pool is live
  prefect_ops.ecs.prefect_work_pool_info:
    api_url: http://prefect.internal:4200/api
    auth_string: "{{ vault_prefect_auth_string }}"
    name: my-ecs-pool
    queues: false
    flow_run_counts: false
  register: pool_info
  until: pool_info.work_pools | length > 0 and pool_info.work_pools[0].online_workers > 0
  retries: 30
  delay: 10

- name: Flag pools with late runs
  prefect_ops.ecs.prefect_work_pool_info:
  register: pools

- name: Show them
  ansible.builtin.debug:
    msg: "{{ pools.work_pools | selectattr('flow_run_counts.late', 'gt', 0) | map(attribute='name') | list }}"
'''

RETURN = r'''
work_pools:
  description: The pools read, each as the Prefect API returns it plus the keys below.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the pool.
      type: str
      sample: my-ecs-pool
    type:
      description: Worker type of the pool.
      type: str
      sample: ecs
    status:
      description: The pool's status, C(READY) when a worker is online, C(NOT_READY) or C(PAUSED).
      type: str
      sample: READY
    online_workers:
      description: How many of the pool's workers are C(ONLINE). Null when O(workers=false).
      type: int
      sample: 1
    workers:
      description: The pool's workers (when O(workers=true)), most recent heartbeat first.
      type: list
      elements: dict
      contains:
        name:
          description: Worker name.
          type: str
        status:
          description: C(ONLINE) or C(OFFLINE).
          type: str
        last_heartbeat_time:
          description: When the worker last sent a heartbeat (ISO 8601, UTC).
          type: str
        heartbeat_interval_seconds:
          description: The heartbeat interval the worker announced.
          type: int
        seconds_since_heartbeat:
          description: Seconds between the last heartbeat and now, as measured on the host the module runs on.
          type: float
    queues:
      description: The pool's work queues (when O(queues=true)), highest priority first.
      type: list
      elements: dict
    flow_run_counts:
      description:
        - Counts of the pool's flow runs (when O(flow_run_counts=true)).
        - C(late) runs are also counted in C(scheduled).
      type: dict
      contains:
        late:
          description: Runs in the C(Late) state (scheduled, start time passed, no worker took them).
          type: int
        scheduled:
          description: Runs of state type C(SCHEDULED).
          type: int
        pending:
          description: Runs of state type C(PENDING) (a worker took them; infrastructure starting).
          type: int
        running:
          description: Runs of state type C(RUNNING).
          type: int
'''

import datetime

from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect import PrefectModule, validate_name

COUNTS = (
    ("late", {"state": {"name": {"any_": ["Late"]}}}),
    ("scheduled", {"state": {"type": {"any_": ["SCHEDULED"]}}}),
    ("pending", {"state": {"type": {"any_": ["PENDING"]}}}),
    ("running", {"state": {"type": {"any_": ["RUNNING"]}}}),
)


def seconds_since(timestamp, now=None):
    """Seconds from an ISO 8601 timestamp of the API to now, or None."""
    if not timestamp:
        return None
    text = timestamp.replace("Z", "+00:00")
    if "." in text:  # at most microseconds, as fromisoformat of older Pythons wants
        head, tail = text.split(".", 1)
        digits = "".join(c for c in tail if c.isdigit())
        zone = tail[len(digits):]
        text = "%s.%s%s" % (head, (digits + "000000")[:6], zone)
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return round((now - when).total_seconds(), 1)


class WorkPoolInfoModule(PrefectModule):
    argument_spec = dict(
        name=dict(type='str'),
        workers=dict(type='bool', default=True),
        queues=dict(type='bool', default=True),
        flow_run_counts=dict(type='bool', default=True),
    )

    def run(self):
        p = self.params
        if p['name'] is not None:
            err = validate_name(p['name'], "name")
            if err:
                self.fail(err)
            pool = self.client.get("work_pools/" + self.client.quote(p['name']), missing_ok=True)
            pools = [pool] if pool else []
        else:
            pools = self.client.paginate("work_pools/filter")
        for pool in pools:
            self.enrich(pool)
        return dict(changed=False, work_pools=pools)

    def enrich(self, pool):
        p = self.params
        path = "work_pools/" + self.client.quote(pool['name'])
        pool['online_workers'] = None
        if p['workers']:
            workers = self.client.paginate(path + "/workers/filter")
            for worker in workers:
                worker['seconds_since_heartbeat'] = seconds_since(worker.get('last_heartbeat_time'))
            pool['workers'] = workers
            pool['online_workers'] = sum(1 for w in workers if w.get('status') == 'ONLINE')
        if p['queues']:
            pool['queues'] = self.client.paginate(path + "/queues/filter")
        if p['flow_run_counts']:
            counts = {}
            for key, flow_runs in COUNTS:
                counts[key] = self.client.post("flow_runs/count", {
                    "work_pools": {"name": {"any_": [pool['name']]}},
                    "flow_runs": flow_runs,
                })
            pool['flow_run_counts'] = counts


def main():
    WorkPoolInfoModule().execute()


if __name__ == '__main__':
    main()
