#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cloudwatch_log_group
short_description: A CloudWatch Logs log group with its retention, KMS key and tags, removed only when it is this site's
version_added: 0.1.0
description:
  - Creates a log group with the ownership tags, converges its retention, KMS key and tags, or removes it.
  - Every option the task sets is compared with what CloudWatch Logs reports, the KMS key included (associated or
    disassociated in place); an option that is not set is never compared or sent.
  - A log group this module creates carries C(prefect-ops:managed-by=prefect_ops.ecs) and, when the run names a
    O(site), C(prefect-ops:site=<site>). An existing group that is not this run's is not changed unless
    O(adopt=true); an adopted group never gets the ownership tags, so O(state=absent) never deletes it.
  - O(state=absent) deletes only a log group that is this run's; any other is left in place, with a warning, and
    RV(kept) says why.
  - Check mode predicts the result and makes no mutating call. With C(--diff) the diff holds before/after of exactly
    the fields that change.
  - Invalid input fails before any AWS call, with a message naming the option and the fix.
  - C(amazon.aws.cloudwatchlogs_log_group) never compares the KMS key of an existing group and has no notion of
    ownership - given the ownership tags it puts them on a group someone else created, which a later removal then
    deletes with its events; that is why this module exists (tests/integration/test_cloudwatch_log_group.py proves
    those gaps).
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  name:
    description:
      - The log group name - 1 to 512 letters, digits and C(._-/#) characters.
      - Exactly one of O(name) and O(names) is required.
    type: str
    aliases: [log_group_name]
  names:
    description:
      - Several log groups with the same settings, converged (or removed) in one module run, in order.
      - Every name is checked, and with O(state=present) and O(adopt=false) every group is read and its ownership
        checked, before the first write.
      - The result then has RV(log_groups), RV(changed_items) and RV(kept_items); the diff is keyed by group name.
    type: list
    elements: str
  state:
    description:
      - V(present) creates or converges the log group; V(absent) deletes it when it is this run's.
    type: str
    choices: [present, absent]
    default: present
  site:
    description:
      - The site the log group belongs to - the value of its C(prefect-ops:site) ownership tag. A run that names no
        site owns only groups without a C(prefect-ops:site) tag.
    type: str
  retention:
    description:
      - Days the events are kept - one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150,
        180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), or V(0) to keep them forever. Not set
        means the retention is left as it is (a new group keeps its events forever).
    type: int
  kms_key_id:
    description:
      - ARN of the KMS key that encrypts the group's events; an empty string means none. Not set means the key is
        left as it is. The key's policy must let CloudWatch Logs use it.
    type: str
  adopt:
    description:
      - Manage an existing log group that is not this run's (created by hand, by another tool or site). Without it
        the module fails on such a group, changing nothing.
      - An adopted group gets the retention, key and O(tags) the task sets, never the ownership tags, so
        O(state=absent) never deletes it.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - Supports C(check_mode) and C(diff_mode).
  - AWS calls retry throttling with jittered backoff.
  - O(purge_tags=true) never removes the ownership tags of a group this module created.
"""

EXAMPLES = r"""
- name: The prod site's worker log group, 30 days
  prefect_ops.ecs.cloudwatch_log_group:
    name: /prefect/prod/worker
    site: prod
    retention: 30
    tags:
      team: data
    purge_tags: false

- name: The site's two log groups in one module run, adopting any that exist already
  prefect_ops.ecs.cloudwatch_log_group:
    names: [/prefect/prod/worker, /prefect/prod/flow-runs]
    site: prod
    adopt: true
    retention: 30

- name: A log group made by hand - manage its retention, never delete it
  prefect_ops.ecs.cloudwatch_log_group:
    name: /ecs/shared
    adopt: true
    retention: 90

- name: Remove the prod site's worker log group (only if it carries the prod site's ownership tags)
  prefect_ops.ecs.cloudwatch_log_group:
    name: /prefect/prod/worker
    site: prod
    state: absent
"""

RETURN = r"""
log_group:
  description: The log group (predicted in check mode for a new one). None after O(state=absent) deleted it or found none.
  returned: always
  type: dict
  contains:
    arn:
      description: The log group's ARN, as CloudWatch Logs reports it (ending in C(:*)).
      type: str
      sample: arn:aws:logs:eu-west-1:123456789012:log-group:/prefect/prod/worker:*
    name:
      description: The log group name.
      type: str
    retention:
      description: Days the events are kept; None for forever.
      type: int
    kms_key_id:
      description: The KMS key ARN; None for none.
      type: str
    tags:
      description: The group's tags.
      type: dict
      sample: {"prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": "prod", "team": "data"}
log_groups:
  description: With O(names), each group as RV(log_group) describes it, in the order of O(names).
  returned: when O(names) is set
  type: list
  elements: dict
changed_items:
  description: With O(names), the names of the groups the run changed (would change in check mode).
  returned: when O(names) is set
  type: list
  elements: str
kept_items:
  description: With O(names) and O(state=absent), the names of the groups left in place (see RV(kept)).
  returned: when O(names) is set
  type: list
  elements: str
owned:
  description: Whether the group carries this run's ownership tags (so O(state=absent) may delete it).
  returned: always
  type: bool
kept:
  description: With O(state=absent), why a group of that name was left in place; None otherwise.
  returned: always
  type: str
  sample: "it does not carry the ownership tags (prefect-ops:managed-by=prefect_ops.ecs and prefect-ops:site=prod)"
actions:
  description: What the run changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["put retention of log group /prefect/prod/worker (30 days)"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils.cloudwatch_log_group import MUTUALLY_EXCLUSIVE
from ansible_collections.prefect_ops.ecs.plugins.module_utils.cloudwatch_log_group import REQUIRED_ONE_OF
from ansible_collections.prefect_ops.ecs.plugins.module_utils.cloudwatch_log_group import argument_spec
from ansible_collections.prefect_ops.ecs.plugins.module_utils.cloudwatch_log_group import run


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), mutually_exclusive=MUTUALLY_EXCLUSIVE,
                              required_one_of=REQUIRED_ONE_OF, supports_check_mode=True)
    module.exit_json(**run(module, clients(module, "sts", "logs")))


if __name__ == "__main__":
    main()
