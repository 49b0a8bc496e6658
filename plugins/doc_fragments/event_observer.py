# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # The names of the parts of the ECS task-state event pipeline (ecs_event_observer and _info).
    DOCUMENTATION = r"""
options:
  name:
    description:
      - The pipeline's name, usually the Prefect work pool name. The parts are named after it
        (see O(queue_name), O(dead_letter_queue_name) and O(rule_name)).
      - Letters, digits, C(-) and C(_); at most 45 characters unless O(rule_name) is set (the rule
        name C(<name>-task-state-changes) must fit EventBridge's 64).
    type: str
    required: true
  queue_name:
    description:
      - Name of the events queue; at most 80 characters.
      - Defaults to C(<name>-events), the name the seed procedure uses.
    type: str
  dead_letter_queue_name:
    description:
      - Name of the dead-letter queue; at most 80 characters.
      - Defaults to C(<name>-events-dlq).
    type: str
  rule_name:
    description:
      - Name of the EventBridge rule on the default event bus; at most 64 characters.
      - Defaults to C(<name>-task-state-changes).
    type: str
  site:
    description:
      - The site the pipeline belongs to. Every part carries the collection's ownership tags,
        C(prefect-ops:managed-by=prefect_ops.ecs) and C(prefect-ops:site=<site>); a part is this run's when
        it carries both with this site (without a site, the managed-by tag and no site tag).
      - Not set means the C(prefect-ops:site) key of the task's C(tags), if any (how the roles named the site before
        this option). When both are set they must be equal.
      - A part made before this scheme, with the tag C(prefect-ops:owner=ecs_event_observer/<name>) and this
        site's site tag or none, is this run's too; converging it moves it to the ownership tags in place (the old
        tag is removed).
    type: str
"""
