#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: prefect_work_queue
short_description: Create, configure and delete the work queues of a Prefect work pool
version_added: 0.1.0
description:
  - Creates a work queue in a work pool or brings an existing one in line with the options given, and deletes it
    with O(state=absent).
  - Options that are not set are never touched.
  - Check mode predicts the queue after the change; C(--diff) shows before and after of what changes.
  - Ownership, as for M(prefect_ops.ecs.prefect_work_pool). A queue this module creates carries the mark
    C(managed by prefect_ops.ecs) in its description. A queue found without it (a pool's default queue, or one made
    by hand) is adopted, configured key by key, never marked and never deleted.
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
extends_documentation_fragment:
  - prefect_ops.ecs.prefect
attributes:
  check_mode:
    support: full
    description: Predicts the queue after the change without changing it.
  diff_mode:
    support: full
    description: Shows before and after of every changed field.
options:
  name:
    description:
      - Name of the work queue. Prefect refuses names with C(/ % & > <).
    type: str
    required: true
  work_pool:
    description:
      - Name of the work pool the queue belongs to. It must exist (see M(prefect_ops.ecs.prefect_work_pool)).
    type: str
    required: true
  state:
    description:
      - V(present) creates the queue if needed and applies the options given.
      - V(absent) deletes the queue when it carries the ownership mark; an unmarked queue is left in place and
        RV(kept) says so. A pool's default queue cannot be deleted, so it is left in place the same way.
    type: str
    choices: [present, absent]
    default: present
  priority:
    description:
      - The queue's priority; V(1) is the highest. Workers take runs from higher-priority queues first.
      - Priorities are unique within a pool; Prefect moves queues with an equal or lower priority down by one to
        make room.
      - Left as it is when not set (a new queue gets the next free priority).
    type: int
  concurrency_limit:
    description:
      - The maximum number of the queue's flow runs that may run at once; V(0) stops new runs from starting.
      - Set V(-1) to remove the limit.
      - Left as it is when not set.
    type: int
  paused:
    description:
      - Whether the queue is paused. Left as it is when not set.
    type: bool
  description:
    description:
      - Description of the queue. V("") clears it (a queue the collection owns keeps its mark).
      - A new or marked queue gets the mark appended when the text lacks it; on an adopted queue the mark is removed
        from the text.
    type: str
seealso:
  - module: prefect_ops.ecs.prefect_work_pool
  - module: prefect_ops.ecs.prefect_work_pool_info
'''

EXAMPLES = r'''
- name: A high-priority queue with its own limit
  prefect_ops.ecs.prefect_work_queue:
    api_url: http://prefect.internal:4200/api
    auth_string: "{{ vault_prefect_auth_string }}"
    work_pool: my-ecs-pool
    name: critical
    priority: 1
    concurrency_limit: 5

- name: Pause the default queue
  prefect_ops.ecs.prefect_work_queue:
    work_pool: my-ecs-pool
    name: default
    paused: true

- name: Remove a queue
  prefect_ops.ecs.prefect_work_queue:
    work_pool: my-ecs-pool
    name: backfill
    state: absent
'''

RETURN = r'''
work_queue:
  description:
    - The work queue as the Prefect API returns it after the change (in check mode, as predicted).
    - Empty when O(state=absent) deleted it; the queue as read when it was kept (RV(kept)).
  returned: always
  type: dict
  sample:
    id: 9a1d5f0e-8f8e-4d5e-9c0c-3e6c2a6b1f00
    name: critical
    work_pool_name: my-ecs-pool
    priority: 1
    concurrency_limit: 5
    is_paused: false
    description: Managed by prefect_ops.ecs
    status: NOT_READY
owned:
  description: Whether the queue carries the ownership mark (created by this collection); false for an adopted queue.
  returned: when the queue exists after the task, or was kept
  type: bool
  sample: true
kept:
  description: Why O(state=absent) left the queue in place (it carries no ownership mark).
  returned: when O(state=absent) found a queue it does not own, or the pool's default queue
  type: str
  sample: >-
    work queue 'my-ecs-pool/backfill' was not created by prefect_ops.ecs (it carries no ownership mark),
    so it was left in place; delete it in Prefect if it should go
changes:
  description: The fields that changed (or would change, in check mode).
  returned: always
  type: list
  elements: str
  sample: [priority, concurrency_limit]
'''

import copy

from ansible_collections.prefect_ops.ecs.plugins.module_utils.ownership import (
    description_marked,
    description_to_write,
    kept_message,
    kept_result,
)
from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect import PrefectModule, work_queue_problems


class WorkQueueModule(PrefectModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        work_pool=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        priority=dict(type='int'),
        concurrency_limit=dict(type='int'),
        paused=dict(type='bool'),
        description=dict(type='str'),
    )

    def validate(self):
        errors = work_queue_problems(self.params)
        if errors:
            self.fail("; ".join(errors))

    def wanted(self, current):
        """{api field: (option, value)} for the options that are set (current: the queue as read, None if new)."""
        p = self.params
        out = {}
        if current is None or p['description'] is not None:
            out['description'] = ('description', description_to_write(current, p['description']))
        if p['paused'] is not None:
            out['is_paused'] = ('paused', p['paused'])
        if p['priority'] is not None:
            out['priority'] = ('priority', p['priority'])
        if p['concurrency_limit'] is not None:
            out['concurrency_limit'] = ('concurrency_limit', None if p['concurrency_limit'] < 0 else p['concurrency_limit'])
        return out

    def run(self):
        self.validate()
        p = self.params
        pool_path = "work_pools/" + self.client.quote(p['work_pool'])
        path = pool_path + "/queues/" + self.client.quote(p['name'])
        current = self.client.get(path, missing_ok=True)
        pool = None
        if current is None or p['state'] == 'absent':
            pool = self.client.get(pool_path, missing_ok=True)
        if p['state'] == 'absent':
            if current is None:
                return dict(changed=False, work_queue={}, changes=[], diff=dict(before={}, after={}))
            if pool and pool.get('default_queue_id') == current.get('id'):
                # Prefect made it with the pool (so it is never the collection's) and refuses to delete it
                return kept_result('work_queue', current,
                                   "work queue %r is the default queue of work pool %r, which cannot be deleted; "
                                   "pause it instead (paused: true)" % (p['name'], p['work_pool']))
            if not description_marked(current.get('description')):
                return kept_result('work_queue', current,
                                   kept_message("work queue", "%s/%s" % (p['work_pool'], p['name'])))
            if not self.check_mode:
                self.client.delete(path, missing_ok=True)
            return dict(changed=True, work_queue={}, changes=['state'],
                        diff=dict(before=dict(self.summary(current), state='present'), after=dict(state='absent')))
        if current is None:
            if pool is None:
                self.fail("work pool %r does not exist: create it first (prefect_ops.ecs.prefect_work_pool), then its "
                          "queues" % p['work_pool'])
            body = dict(name=p['name'])
            body.update((k, v) for k, (option, v) in self.wanted(None).items())
            if self.check_mode:
                queue = dict(name=p['name'], work_pool_name=p['work_pool'], description=body.get('description', ''),
                             is_paused=body.get('is_paused', False), priority=body.get('priority'),
                             concurrency_limit=body.get('concurrency_limit'))
            else:
                queue = self.client.post(pool_path + "/queues", body)
            return dict(changed=True, work_queue=queue, owned=True, changes=['state'],
                        diff=dict(before=dict(state='absent'), after=dict(self.summary(queue), state='present')))

        patch, before, after, changes = {}, {}, {}, []
        for api_key, (option, want) in self.wanted(current).items():
            if current.get(api_key) != want:
                patch[api_key] = want
                before[option], after[option] = current.get(api_key), want
                changes.append(option)
        queue = current
        if patch:
            if self.check_mode:
                queue = copy.deepcopy(current)
                queue.update(patch)
            else:
                self.client.patch(path, patch)
                queue = self.client.get(path)
        return dict(changed=bool(patch), work_queue=queue, owned=description_marked(queue.get('description')),
                    changes=changes, diff=dict(before=before, after=after))

    @staticmethod
    def summary(queue):
        return dict(name=queue.get('name'), work_pool=queue.get('work_pool_name'), description=queue.get('description'),
                    paused=queue.get('is_paused'), priority=queue.get('priority'),
                    concurrency_limit=queue.get('concurrency_limit'))


def main():
    WorkQueueModule().execute()


if __name__ == '__main__':
    main()
