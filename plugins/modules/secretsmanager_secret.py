#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: secretsmanager_secret
short_description: A Secrets Manager secret's value, description, KMS key and tags, changed only when it is this site's
version_added: 0.1.0
description:
  - Creates a Secrets Manager secret with the ownership tags, converges its value, description, KMS key and tags, or
    removes it.
  - The value is compared inside the module (C(GetSecretValue)) and written only when it differs, or when the KMS key
    changes (a new key applies to a new version). It is never returned or printed.
  - What the task does not set is never touched, or even read - the description, the KMS key and the user tags when
    not given, and always rotation, the resource policy and replication.
  - A secret this module creates carries C(prefect-ops:managed-by=prefect_ops.ecs) and, when the run names a
    O(site), C(prefect-ops:site=<site>). An existing secret without this run's ownership tags is neither changed nor
    removed - the module fails (O(state=present)) or leaves it in place with a warning (O(state=absent)).
  - A secret of this run that is scheduled for deletion is restored by O(state=present).
  - Check mode predicts the result (for a secret not created yet its ARN in the form IAM accepts, C(<name>-??????))
    and makes no mutating call. With C(--diff) the diff holds before/after of exactly what changes, the value
    shown as C((hidden)).
  - Invalid input fails before any AWS call, with a message naming the option and the fix.
  - C(community.aws.secretsmanager_secret) cancels rotation it is not given, even in check mode, deletes a resource
    policy it is not given, and in check mode stops before returning the secret's tags when the policy or tags would
    change; that is why this module exists (tests/integration/test_secretsmanager_secret.py proves those gaps).
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  name:
    description:
      - The secret name - 1 to 512 letters, digits and C(/_+=.@-) characters.
    type: str
    required: true
  state:
    description:
      - V(present) creates or converges the secret (and restores one of this run scheduled for deletion).
      - V(absent) deletes the secret when it carries this run's ownership tags, after O(recovery_window) days.
    type: str
    choices: [present, absent]
    default: present
  site:
    description:
      - The site the secret belongs to - the value of its C(prefect-ops:site) ownership tag. A run that names no site
        owns only secrets without a C(prefect-ops:site) tag.
    type: str
  secret:
    description:
      - The value (a string). Required to create the secret; not set means an existing secret's value is left as it is.
    type: str
  description:
    description:
      - The secret's description. Not set means it is left as it is.
    type: str
  kms_key_id:
    description:
      - The ARN of the KMS key that encrypts the secret. A key ID or alias is refused - Secrets Manager reports the
        key ARN, so it would differ on every run. An empty string or C(alias/aws/secretsmanager) means the AWS managed
        key. Not set means the key is left as it is (a new secret uses the AWS managed key).
      - Changing it writes the value again (a new version) so that the current value is under the new key; the
        value must then be given in O(secret).
    type: str
  recovery_window:
    description:
      - With O(state=absent), the days (7 to 30) before the deleted secret is really gone, or V(0) to delete it at
        once, without recovery.
    type: int
    default: 30
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - Supports C(check_mode) and C(diff_mode).
  - AWS calls retry throttling with jittered backoff.
  - O(purge_tags=true) never removes the ownership tags.
"""

EXAMPLES = r"""
- name: The Prefect API key of the prod site's worker, under a customer key
  prefect_ops.ecs.secretsmanager_secret:
    name: prefect-ops/prod/PREFECT_API_KEY
    site: prod
    secret: "{{ vault_prefect_api_key }}"
    kms_key_id: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    tags:
      team: data
    purge_tags: false
  no_log: true
  register: credential

- name: Redeploy the worker when the stored value changed
  ansible.builtin.debug:
    msg: "{{ credential.secret.arn }} has a new value"
  when: credential.value_changed

- name: Remove it (only when it carries the prod site's ownership tags), recoverable for 7 days
  prefect_ops.ecs.secretsmanager_secret:
    name: prefect-ops/prod/PREFECT_API_KEY
    site: prod
    state: absent
    recovery_window: 7
"""

RETURN = r"""
secret:
  description:
    - The secret without its value (predicted in check mode). None when O(state=absent) found none or deleted it at
      once; with C(deleted=true) when it is scheduled for deletion.
  returned: always
  type: dict
  contains:
    arn:
      description: The secret's ARN (for a secret not created yet, in check mode, C(<name>-??????)).
      type: str
      sample: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prefect-ops/prod/PREFECT_API_KEY-AbCdEf
    name:
      description: The secret name.
      type: str
    description:
      description: The description (None when it has none).
      type: str
    kms_key_id:
      description: The customer KMS key that encrypts the secret; None for the AWS managed key.
      type: str
    tags:
      description: The secret's tags.
      type: dict
      sample: {"prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": "prod", "team": "data"}
    deleted:
      description: Whether the secret is scheduled for deletion.
      type: bool
owned:
  description: Whether the secret carries this run's ownership tags (so O(state=absent) may delete it).
  returned: always
  type: bool
value_changed:
  description: Whether the run wrote (in check mode, would write) a new version of the value - a new value or a new
    KMS key. Whoever reads the secret at start-up must then be restarted.
  returned: always
  type: bool
kept:
  description: With O(state=absent), why a secret of that name was left in place; None otherwise.
  returned: always
  type: str
  sample: "it does not carry the ownership tags (prefect-ops:managed-by=prefect_ops.ecs and prefect-ops:site=prod)"
actions:
  description: What the run changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["put a new value of secret prefect-ops/prod/PREFECT_API_KEY"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils.secretsmanager_secret import argument_spec
from ansible_collections.prefect_ops.ecs.plugins.module_utils.secretsmanager_secret import run


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.exit_json(**run(module, clients(module, "sts", "secretsmanager")))


if __name__ == "__main__":
    main()
