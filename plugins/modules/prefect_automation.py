#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: prefect_automation
short_description: Create, update and delete Prefect automations (triggers, including proactive ones, and actions)
version_added: 0.1.0
description:
  - Converges the automations listed, in one module run; each is found by name among the automations this collection
    owns (tag C(prefect-ops.managed-by:prefect_ops.ecs)). A same-named automation without that tag (made in the UI or by
    another tool) is neither read as the collection's, changed nor deleted; the collection's own is created beside it.
    Two owned automations with one name fail the task, naming both ids.
  - An automation is compared by what the task gives (numbers by value, lists of strings as sets; the ids and defaults
    the server adds are its own), and a digest of the whole specification kept in a tag catches a key the task no
    longer gives. A re-run changes nothing; an edit in the UI of a key the task sets is put back.
  - Check mode predicts the automations after the change; C(--diff) shows before and after of each changed one.
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
extends_documentation_fragment:
  - prefect_ops.ecs.prefect
attributes:
  check_mode:
    support: full
    description: Predicts the automations after the change without changing them.
  diff_mode:
    support: full
    description: Shows before and after of every changed automation.
options:
  automations:
    description: The automations.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The automation's name (unique among the collection's automations on the server).
        type: str
        required: true
      description:
        description: Its description (default empty).
        type: str
      enabled:
        description: Whether it is enabled (default true).
        type: bool
      trigger:
        description:
          - The trigger, as Prefect's automations API takes it (C(type) event, compound, sequence or metric).
          - A C(Proactive) event trigger needs C(within) of 10 seconds or more.
        type: dict
      actions:
        description: The actions run when it triggers, e.g. a C(change-flow-run-state) action to state C(CRASHED).
        type: list
        elements: dict
      actions_on_trigger:
        description: Actions run when the trigger fires (default none).
        type: list
        elements: dict
      actions_on_resolve:
        description: Actions run when the trigger resolves (default none).
        type: list
        elements: dict
      tags:
        description: Tags besides the collection's own two.
        type: list
        elements: str
      state:
        description: V(absent) deletes this automation (when it is the collection's); default O(state).
        type: str
        choices: [present, absent]
  state:
    description:
      - V(present) creates or updates the automations; V(absent) deletes the collection's automations of these names
        (never one without its tag).
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: prefect_ops.ecs.prefect_work_pool
'''

EXAMPLES = r'''
- name: Crash flow runs of the prod pool left Pending for 30 minutes (their worker died before RunTask)
  prefect_ops.ecs.prefect_automation:
    automations:
      - name: "prod: crash runs stuck in Pending"
        trigger:
          type: event
          posture: Proactive
          match: {prefect.resource.id: prefect.flow-run.*}
          match_related: {prefect.resource.role: work-pool, prefect.resource.name: [prod]}
          after: [prefect.flow-run.Pending]
          expect: [prefect.flow-run.*]
          for_each: [prefect.resource.id]
          threshold: 1
          within: 1800
        actions:
          - type: change-flow-run-state
            state: CRASHED
            message: Pending for 30 minutes without a start (its worker probably died before RunTask)
'''

RETURN = r'''
automations:
  description: Each automation as the run leaves it (in check mode, as predicted), in the order given; empty after O(state=absent).
  returned: always
  type: list
  elements: dict
changed_items:
  description: The names of the automations that changed (or would change).
  returned: always
  type: list
  elements: str
changes:
  description: Name -> the fields that changed (or would change); C(state) for a creation or deletion.
  returned: always
  type: dict
  sample: {"prod: crash runs stuck in Pending": [trigger]}
'''

from ansible_collections.prefect_ops.ecs.plugins.module_utils import prefect_automation as pa
from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect import PrefectModule


class AutomationModule(PrefectModule):
    argument_spec = dict(
        automations=dict(type='list', elements='dict', required=True, options=dict(
            name=dict(type='str', required=True),
            description=dict(type='str'),
            enabled=dict(type='bool'),
            trigger=dict(type='dict'),
            actions=dict(type='list', elements='dict'),
            actions_on_trigger=dict(type='list', elements='dict'),
            actions_on_resolve=dict(type='list', elements='dict'),
            tags=dict(type='list', elements='str'),
            state=dict(type='str', choices=['present', 'absent']),
        )),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )

    def run(self):
        p = self.params
        errors = pa.problems(p)
        if errors:
            self.fail("; ".join(errors))
        names = [a['name'] for a in p['automations']]
        found = {}
        for automation in self.client.paginate("automations/filter", {"sort": "NAME_ASC"}):
            if automation.get('name') in names and pa.owned(automation):
                found.setdefault(automation['name'], []).append(automation)
        twice = dict((n, [a['id'] for a in f]) for n, f in found.items() if len(f) > 1)
        if twice:
            self.fail("; ".join("automations: %d automations named %r carry this collection's tag (ids %s); delete all "
                                "but one in Prefect" % (len(ids), n, ", ".join(ids)) for n, ids in sorted(twice.items())))
        current = dict((n, f[0]) for n, f in found.items())
        out, changes, before, after = [], {}, {}, {}
        for item in p['automations']:
            name, existing = item['name'], current.get(item['name'])
            if pa.item_state(p, item) == 'absent':
                if existing is not None:
                    changes[name], before[name], after[name] = ['state'], pa.view(existing), {'state': 'absent'}
                    if not self.check_mode:
                        self.client.delete("automations/" + existing['id'], missing_ok=True)
                continue
            body = pa.wanted(item)
            fields = pa.changed_fields(existing, body)
            if not fields:
                out.append(existing)
                continue
            changes[name] = fields
            before[name] = pa.view(existing) if existing else {'state': 'absent'}
            after[name] = pa.view(body)
            if self.check_mode:
                out.append(dict(body, id=existing['id'] if existing else None))
            elif existing is None:
                out.append(self.client.post("automations/", body))
            else:
                self.client.request("PUT", "automations/" + existing['id'], body)
                out.append(self.client.get("automations/" + existing['id']))
        return dict(changed=bool(changes), automations=out, changes=changes, changed_items=sorted(changes),
                    diff=dict(before=before, after=after))


def main():
    AutomationModule().execute()


if __name__ == '__main__':
    main()
