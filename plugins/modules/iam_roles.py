#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: iam_roles
short_description: Several IAM roles with their trust policy, managed and inline policies and tags, in one run
version_added: 0.1.0
description:
  - Creates or converges each role of O(roles) - trust policy, description, permissions boundary, attached managed
    policies, inline policies and tags - or, with O(state=absent), deletes them with their policies.
  - Every role is read first. A role of a wanted name that exists without this site's ownership tags
    (C(prefect-ops:managed-by=prefect_ops.ecs) and C(prefect-ops:site=<site>)) fails the run before anything is
    written; RV(not_owned) names it. O(state=absent) deletes only roles that carry them; others are left in place,
    with a warning, and listed in RV(kept).
  - Policies are compared by meaning (amazon.aws's compare_policies), so a document IAM returns in another form is not
    written again. A role option that is not set (V(null)) is never compared or written; O(roles[].managed_policies)
    and O(roles[].inline_policies), when set, are exact (others are detached or deleted).
  - Check mode predicts the result, the inline policies of a role it would create included, and makes no mutating
    call. With C(--diff) the diff holds before/after of what changes.
  - One module run for all the roles and their policies, where C(amazon.aws.iam_role) and C(amazon.aws.iam_policy)
    take one run per role and one per inline policy, and cannot predict in check mode the inline policies of a role
    they would create (tests/integration/test_iam_roles.py counts the difference).
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  site:
    description: The site the roles belong to - the value of their C(prefect-ops:site) ownership tag.
    type: str
    required: true
  path:
    description: The path of the roles (C(/) or C(/a/b/)); used when a role is created.
    type: str
    default: /
  roles:
    description: The roles.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The role name (up to 64 letters, digits and C(+=,.@_-)).
        type: str
        required: true
      description:
        description: The role's description. Not set means left as it is.
        type: str
      assume_role_policy_document:
        description: The trust policy (who may assume the role). Required to create a role.
        type: dict
      managed_policies:
        description: ARNs of the managed policies attached to the role, exactly; not set means left as they are.
        type: list
        elements: str
      inline_policies:
        description: Inline policy name -> document, exactly (others are deleted); not set means left as they are.
        type: dict
      permissions_boundary:
        description: ARN of the managed policy that is the role's permissions boundary; empty or not set means left as it is.
        type: str
  tags:
    description: Tags of every role besides the ownership tags (which always stay).
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not in O(tags) (never the ownership tags).
    type: bool
    default: false
  state:
    description: V(present) creates or converges the roles; V(absent) deletes those this site created.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports C(check_mode) and C(diff_mode).
  - AWS calls retry throttling with jittered backoff.
  - Invalid input fails before any AWS call, with a message naming the option and the fix.
"""

EXAMPLES = r"""
- name: The prod site's task roles
  prefect_ops.ecs.iam_roles:
    site: prod
    roles:
      - name: prod-worker
        description: Task role of the Prefect ECS worker
        assume_role_policy_document:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Principal: {Service: ecs-tasks.amazonaws.com}
              Action: sts:AssumeRole
        managed_policies: []
        inline_policies:
          run-tasks:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: ecs:RunTask
                Resource: arn:aws:ecs:eu-west-1:123456789012:task-definition/*
    tags:
      team: data

- name: Remove them (only roles that carry the prod site's ownership tags)
  prefect_ops.ecs.iam_roles:
    site: prod
    roles:
      - name: prod-worker
    state: absent
"""

RETURN = r"""
roles:
  description: Each role as this run leaves it (check mode - would leave it), in the order of O(roles); empty after O(state=absent).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The role name.
      type: str
    arn:
      description: The role ARN (built from the path and name in check mode for a new role).
      type: str
      sample: arn:aws:iam::123456789012:role/prod-worker
    owned:
      description: Whether the role carries this site's ownership tags.
      type: bool
    tags:
      description: The role's tags.
      type: dict
    attached:
      description: ARNs of its attached managed policies, sorted.
      type: list
      elements: str
    inline:
      description: Inline policy name -> document.
      type: dict
    documents:
      description: The inline policy documents, in the order of O(roles[].inline_policies).
      type: list
      elements: dict
roles_state:
  description: Role ARN -> C(attached) and C(documents) of each role, as this run leaves it.
  returned: always
  type: dict
not_owned:
  description: Names of wanted roles that exist without this site's ownership tags (the run then failed, or with O(state=absent) kept them).
  returned: always
  type: list
  elements: str
kept:
  description: With O(state=absent), the roles left in place because they do not carry this site's ownership tags.
  returned: always
  type: list
  elements: str
actions:
  description: What the run changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create role prod-worker", "put inline policy run-tasks of role prod-worker"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils.iam_roles import argument_spec
from ansible_collections.prefect_ops.ecs.plugins.module_utils.iam_roles import run


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.exit_json(**run(module, clients(module, "sts", "iam")))


if __name__ == "__main__":
    main()
