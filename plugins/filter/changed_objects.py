# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: changed_objects
short_description: What a set of registered task results changed, as readable lines
version_added: 0.1.0
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
description:
  - Takes a dictionary of labels to registered task results and returns one line per label whose task
    changed something (in check mode, would change it).
  - For a looped task the line names the changed items (their C(loop_control.label), else the item); so it does
    for a module of this collection that manages several objects in one run and names them in C(changed_items) and
    C(kept_items).
  - A result that says it left an object in place (a non-empty C(kept), as the modules of this collection return
    when O(state=absent) finds an object the collection did not create) gives a line C(label (left in place)) followed by the
    items, or C(label (left in place)) alone for a single task.
  - Skipped tasks, unchanged results and labels whose result is not a dictionary (for example an
    undefined register given a default) produce no line.
  - Each role of this collection uses it to publish C(<role>_changes), which the play-end summary of
    C(site.yml) prints.
options:
  _input:
    description:
      - Labels mapped to registered results (a single result or a looped one with C(results)), or to a
        list of such results.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Record what the role changed
  ansible.builtin.set_fact:
    ecs_log_groups_changes: "{{ {'log groups': __ecs_log_groups_written | default({})} | prefect_ops.ecs.changed_objects }}"
  # with a looped register whose items 2 and 3 changed: ['log groups: /prefect/demo/worker, /prefect/demo/flow-runs']
"""

RETURN = r"""
_value:
  description: "One line per label that changed: C(label), or for a looped task C(label: item, item)."
  type: list
  elements: str
"""


# Keys that name an object in the loop items of this collection's roles, most specific first.
_NAME_KEYS = ("name", "key", "log_group_name", "group_name", "policy_name", "id")


def _describe(item):
    if isinstance(item, dict):
        for key in _NAME_KEYS:
            if isinstance(item.get(key), (str, int)):
                return str(item[key])
        return str(item)
    if isinstance(item, (list, tuple)):
        return "/".join(_describe(part) for part in item)
    return str(item)


def _item_label(result):
    if "_ansible_item_label" in result:
        return result["_ansible_item_label"]
    return _describe(result.get("item"))


def _line(label, flagged, items):
    if items:
        return "%s: %s" % (label, ", ".join(items))
    return str(label) if flagged else None


def changed_objects(results):
    """Lines naming what changed, and what was left in place, from labels mapped to registered results."""
    lines = []
    for label, given in (results or {}).items():
        changed, kept, items, kept_items = False, False, [], []
        for result in given if isinstance(given, list) else [given]:
            if not isinstance(result, dict):
                continue
            loop = result.get("results")
            if isinstance(loop, list):
                items.extend(str(_item_label(r)) for r in loop if isinstance(r, dict) and r.get("changed"))
                kept_items.extend(str(_item_label(r)) for r in loop if isinstance(r, dict) and r.get("kept"))
            elif isinstance(result.get("changed_items"), list):  # several objects in one module run
                items.extend(str(i) for i in result["changed_items"])
                kept_items.extend(str(i) for i in result.get("kept_items") or [])
            else:
                changed = changed or bool(result.get("changed"))
                kept = kept or bool(result.get("kept"))
        lines.extend(line for line in (_line(label, changed, items), _line("%s (left in place)" % label, kept, kept_items))
                     if line)
    return lines


class FilterModule(object):
    def filters(self):
        return {"changed_objects": changed_objects}
