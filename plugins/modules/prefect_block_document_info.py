#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: prefect_block_document_info
short_description: Read a Prefect block document by block type and name, secrets masked
version_added: 0.1.0
description:
  - Reads one block document, found by its block type's slug and its name. Changes nothing.
  - Secret fields (the block schema's C(secret_fields)) are returned as C(********), never in clear.
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
extends_documentation_fragment:
  - prefect_ops.ecs.prefect
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Reads only; there is nothing to diff.
options:
  name:
    description: Name of the block document.
    type: str
    required: true
  block_type_slug:
    description: The slug of the block type, e.g. V(aws-credentials).
    type: str
    required: true
seealso:
  - module: prefect_ops.ecs.prefect_block_document
'''

EXAMPLES = r'''
- name: Which access key the push lane's block holds
  prefect_ops.ecs.prefect_block_document_info:
    name: prod-push-aws-credentials
    block_type_slug: aws-credentials
  register: push_block
'''

RETURN = r'''
exists:
  description: Whether the block document exists (false also when the server does not know the block type).
  returned: always
  type: bool
block_document:
  description: The block document (id, name, block_type_slug, data with secret values masked); empty when missing.
  returned: always
  type: dict
  sample:
    id: 0b8e2c7a-6a6e-4a53-a1a0-2b0f4e6c9d11
    name: prod-push-aws-credentials
    block_type_slug: aws-credentials
    data:
      aws_access_key_id: AKIAEXAMPLE
      aws_secret_access_key: "********"
'''

from ansible_collections.prefect_ops.ecs.plugins.module_utils import prefect_block as blocks
from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect import PrefectModule


class BlockDocumentInfoModule(PrefectModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        block_type_slug=dict(type='str', required=True),
    )

    def run(self):
        p = self.params
        errors = blocks.problems(dict(p, state='present'))
        if errors:
            self.fail("; ".join(errors))
        path = "block_types/slug/%s/block_documents/name/%s" % (
            self.client.quote(p['block_type_slug']), self.client.quote(p['name']))
        current = self.client.get(path, missing_ok=True)
        if current is None:
            return dict(changed=False, exists=False, block_document={})
        dummy, secrets = blocks.schema_fields(current.get('block_schema'))
        return dict(changed=False, exists=True, block_document=dict(
            id=current.get('id'), name=current.get('name'), block_type_slug=p['block_type_slug'],
            data=blocks.masked(current.get('data'), secrets)))


def main():
    BlockDocumentInfoModule().execute()


if __name__ == '__main__':
    main()
