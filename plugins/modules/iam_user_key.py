#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: iam_user_key
short_description: An IAM user with its inline policies and the one access key a credentials holder holds, rotated on request
version_added: 0.1.0
description:
  - Creates or converges an IAM user (ownership tags of the site, inline policies exactly as given) in one module run.
  - Keeps the access key the holder (e.g. a Prefect C(aws-credentials) block) holds, O(held_key_id), when it is an
    Active key of the user. Otherwise, or with O(rotate), creates a key and returns its secret once, in
    RV(secret_access_key), for the caller to write into the holder (run the task with C(no_log)).
  - IAM allows two keys per user. To make room for a new one, a key the holder does not hold (one left by an
    interrupted run) is deleted first.
  - O(retire_other_keys) deactivates and then deletes every key but O(held_key_id), the last step of a rotation,
    after the holder holds the new key.
  - The stock M(amazon.aws.iam_access_key) creates a new key on every run that gives no key ID, so it cannot
    converge on the key a block holds; user, inline policy and key also cost three module runs there.
  - A user that does not carry this site's ownership tags fails the run before anything is written, and is left in
    place by O(state=absent).
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  name:
    description: The user name (up to 64 letters, digits and C(+=,.@_-)).
    type: str
    required: true
  site:
    description: The site the user belongs to - the value of its C(prefect-ops:site) ownership tag.
    type: str
    required: true
  path:
    description: The path of the user (C(/) or C(/a/b/)); used when the user is created.
    type: str
    default: /
  inline_policies:
    description: Inline policy name -> document, exactly (others are deleted); not set means left as they are.
    type: dict
  tags:
    description: Tags of the user besides the ownership tags (which always stay).
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not in O(tags) (never the ownership tags).
    type: bool
    default: false
  held_key_id:
    description: The access key ID the holder holds now; empty when it holds none (or does not exist).
    type: str
    default: ""
  rotate:
    description: Create a new key even though the held key is Active (the old key stays until O(retire_other_keys)).
    type: bool
    default: false
  retire_other_keys:
    description: Deactivate, then delete, every key of the user but O(held_key_id).
    type: bool
    default: false
  state:
    description:
      - V(present) creates or converges the user and its key.
      - V(absent) deletes the user with its keys and inline policies when it carries this site's ownership tags. In
        check mode it returns the user's key IDs (RV(key_ids)), so a caller can check what holds them before anything
        is removed.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports C(check_mode) and C(diff_mode). In check mode a key to be created shows as a placeholder in
    RV(access_key_id), since its ID is known only after the run.
  - AWS calls retry throttling with jittered backoff.
  - Invalid input fails before any AWS call, with a message naming the option and the fix.
"""

EXAMPLES = r"""
- name: Read which key the block holds
  prefect_ops.ecs.prefect_block_document_info:
    name: prod-push-aws-credentials
    block_type_slug: aws-credentials
  register: block

- name: The push identity, and a key when the block holds none of its active keys
  prefect_ops.ecs.iam_user_key:
    name: prod-prefect-push
    site: prod
    inline_policies:
      push: "{{ lookup('file', 'push-policy.json') | from_json }}"
    held_key_id: "{{ block.block_document.data.aws_access_key_id | default('') }}"
  register: push_user
  no_log: true

- name: After the block holds the new key, retire the old one
  prefect_ops.ecs.iam_user_key:
    name: prod-prefect-push
    site: prod
    held_key_id: "{{ push_user.access_key_id }}"
    retire_other_keys: true
"""

RETURN = r"""
user:
  description: The user as this run leaves it (name, arn, tags, inline_policies); empty after O(state=absent).
  returned: always
  type: dict
keys:
  description: The user's access keys as this run leaves them (id, status, created), oldest first.
  returned: always
  type: list
  elements: dict
key_ids:
  description: The IDs of RV(keys).
  returned: always
  type: list
  elements: str
access_key_id:
  description: The key the holder is to hold after this run (O(held_key_id), or the key this run created).
  returned: always
  type: str
new_key:
  description: Whether this run created (in check mode, would create) a key.
  returned: always
  type: bool
secret_access_key:
  description: The secret of the key this run created. Returned once, never again; run the task with C(no_log).
  returned: when a key was created
  type: str
kept:
  description: With O(state=absent), whether the user was left in place (it does not carry this site's tags).
  returned: with O(state=absent)
  type: bool
actions:
  description: What the run changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create an access key for user prod-prefect-push (rotate)"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils.iam_user_key import argument_spec
from ansible_collections.prefect_ops.ecs.plugins.module_utils.iam_user_key import run


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.exit_json(**run(module, clients(module, "sts", "iam")))


if __name__ == "__main__":
    main()
