# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: unknown_variables
short_description: The variables of a role's prefix that the role does not know, each with the closest valid name
version_added: 0.1.0
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
description:
  - Takes the names of the variables that start with a role's prefix (for example what the
    P(ansible.builtin.varnames#lookup) lookup finds for C(^ecs_iam_.+)) and returns those that are not among the role's known names,
    sorted, each as the name followed by C(did you mean <closest>?) in parentheses.
  - The closest known name is the one with the same prefix that shares the most character pairs after the prefix
    (Dice coefficient), with a bonus for an anagram (swapped letters); ties go to the first name in sorted order.
  - Each role of this collection uses it in its preflight to reject a misspelt variable before any change, since
    Ansible itself ignores a variable nobody reads.
options:
  _input:
    description: The variable names to check.
    type: list
    elements: str
    required: true
  known:
    description: The names the role knows (its argument spec's options and the facts it publishes).
    type: list
    elements: str
    required: true
  prefix:
    description: The role's variable prefix; only known names with this prefix are suggested.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Reject misspelt ecs_iam_* variables
  ansible.builtin.assert:
    that: __unknown | length == 0
    fail_msg: "ecs_iam: unknown variable(s) {{ __unknown | join('; ') }}."
  vars:
    __unknown: >-
      {{ query('ansible.builtin.varnames', '^ecs_iam_.+')
         | prefect_ops.ecs.unknown_variables(['ecs_iam_state', 'ecs_iam_pass_role_arns'], 'ecs_iam_') }}
  # with ecs_iam_pass_roles_arns set: ['ecs_iam_pass_roles_arns (did you mean ecs_iam_pass_role_arns?)']
"""

RETURN = r"""
_value:
  description: The unknown names, sorted, each followed by C(did you mean <closest>?) in parentheses; empty when all are known.
  type: list
  elements: str
"""


def _similarity(given, candidate):
    """Share of the character pairs of `given` found in `candidate` (Dice), plus 0.5 for an anagram."""
    hits = sum(1 for i in range(len(given) - 1) if given[i:i + 2] in candidate)
    score = 2.0 * hits / max(len(given) + len(candidate) - 2, 1)
    return score + (0.5 if sorted(given) == sorted(candidate) else 0.0)


def unknown_variables(names, known, prefix):
    """The names not in `known`, sorted, each with the closest known name of the same prefix."""
    known = set(known)
    candidates = sorted(k for k in known if k.startswith(prefix))
    out = []
    for name in sorted(set(names) - known):
        given = name[len(prefix):] if name.startswith(prefix) else name
        scored = [(_similarity(given, c[len(prefix):]), c) for c in candidates]
        best = max(scored, key=lambda pair: pair[0], default=None)  # max keeps the first of equal scores
        out.append("%s (did you mean %s?)" % (name, best[1]) if best else name)
    return out


class FilterModule(object):
    def filters(self):
        return {"unknown_variables": unknown_variables}
