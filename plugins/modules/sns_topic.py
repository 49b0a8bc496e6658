#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: sns_topic
short_description: An SNS topic with its display name, KMS key and tags, removed only when it is this site's
version_added: 0.1.0
description:
  - Creates a standard SNS topic with the ownership tags, converges its display name, KMS key and tags, or removes it.
  - Subscriptions and the access policy are never read or changed - they belong to whoever subscribes (an on-call
    e-mail, a chat integration). A topic this module creates has SNS's default access policy, under which the
    account's CloudWatch alarms can notify it.
  - A topic this module creates carries C(prefect-ops:managed-by=prefect_ops.ecs) and, when the run names a
    O(site), C(prefect-ops:site=<site>). An existing topic that is not this run's is not changed unless O(adopt=true);
    an adopted topic never gets the ownership tags, so O(state=absent) never deletes it.
  - O(state=absent) deletes only a topic that is this run's; any other is left in place, with a warning, and
    RV(kept) says why.
  - Check mode predicts the result and makes no mutating call. With C(--diff) the diff holds before/after of exactly
    the fields that change.
  - Invalid input fails before any AWS call, with a message naming the option and the fix.
  - C(community.aws.sns_topic) removes every subscription the task does not list (its
    O(community.aws.sns_topic#module:subscriptions) defaults to none and
    O(community.aws.sns_topic#module:purge_subscriptions) to true), so the on-call's subscription is gone after the
    next run, and its
    O(state=absent) deletes any topic of that name; that is why this module exists
    (tests/integration/test_sns_topic.py proves those gaps).
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  name:
    description:
      - The topic name - 1 to 256 letters, digits, C(-) and C(_). The topic is in the run's region and account.
    type: str
    required: true
  state:
    description:
      - V(present) creates or converges the topic; V(absent) deletes it when it is this run's.
    type: str
    choices: [present, absent]
    default: present
  site:
    description:
      - The site the topic belongs to - the value of its C(prefect-ops:site) ownership tag. A run that names no site
        owns only topics without a C(prefect-ops:site) tag.
    type: str
  display_name:
    description:
      - The display name (the sender of SMS and e-mail notifications), at most 100 characters; an empty string
        removes it. Not set means it is left as it is.
    type: str
  kms_master_key_id:
    description:
      - The KMS key (ID, ARN or alias) that encrypts the topic at rest; an empty string means none. Not set means it
        is left as it is. The key's policy must let CloudWatch (cloudwatch.amazonaws.com) use it, or alarms cannot
        publish.
    type: str
  adopt:
    description:
      - Manage an existing topic that is not this run's. Without it the module fails on such a topic, changing
        nothing. An adopted topic never gets the ownership tags, so O(state=absent) never deletes it.
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
  - O(purge_tags=true) never removes the ownership tags of a topic this module created.
"""

EXAMPLES = r"""
- name: The prod site's alarm topic
  prefect_ops.ecs.sns_topic:
    name: prod-prefect-alarms
    site: prod
    display_name: Prefect prod

- name: Remove it (only if it carries the prod site's ownership tags; its subscriptions go with it)
  prefect_ops.ecs.sns_topic:
    name: prod-prefect-alarms
    site: prod
    state: absent
"""

RETURN = r"""
topic:
  description: The topic (predicted in check mode). None after O(state=absent) deleted it or found none.
  returned: always
  type: dict
  contains:
    arn:
      description: The topic's ARN.
      type: str
      sample: arn:aws:sns:eu-west-1:123456789012:prod-prefect-alarms
    name:
      description: The topic name.
      type: str
    display_name:
      description: The display name (empty for none).
      type: str
    kms_master_key_id:
      description: The KMS key (empty for none).
      type: str
    tags:
      description: The topic's tags.
      type: dict
owned:
  description: Whether the topic carries this run's ownership tags (so O(state=absent) may delete it).
  returned: always
  type: bool
kept:
  description: With O(state=absent), why a topic of that name was left in place; None otherwise.
  returned: always
  type: str
actions:
  description: What the run changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create SNS topic prod-prefect-alarms"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils.sns_topic import argument_spec
from ansible_collections.prefect_ops.ecs.plugins.module_utils.sns_topic import run


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.exit_json(**run(module, clients(module, "sts", "sns")))


if __name__ == "__main__":
    main()
