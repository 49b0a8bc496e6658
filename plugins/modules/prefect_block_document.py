#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: prefect_block_document
short_description: Create, update and delete a Prefect block document (e.g. an aws-credentials block) by name
version_added: 0.1.0
description:
  - Creates a block document of a block type, or brings the fields given in O(data) of an existing one in line;
    fields not in O(data) are never touched. With O(state=absent) deletes it, when it is the collection's.
  - The block type is looked up on the server by its slug, and a new block gets the newest block schema the server
    has for it; nothing about the type is kept in this module. A type the server does not know fails with the fix
    (register the collection's blocks, e.g. C(prefect block register -m prefect_aws)).
  - Values are compared with what the server stores, secrets included (read with C(include_secrets)); secret values
    (the schema's C(secret_fields)) are never returned or printed. C(--diff) and RV(changes) name a changed secret
    field and show its value as C(********).
  - Ownership. A block has no tags, labels or description, so it is the collection's when its data holds a value only
    the collection's blocks hold, given in O(owner_values) (for the push lane's C(aws-credentials) block, the access
    key IDs of the tagged IAM user the collection made). O(state=absent) needs O(owner_values) and deletes a block only
    when it matches; V(present) refuses to overwrite a block that does not.
  - Check mode predicts the block after the change.
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
extends_documentation_fragment:
  - prefect_ops.ecs.prefect
attributes:
  check_mode:
    support: full
    description: Predicts the block document after the change without changing it.
  diff_mode:
    support: full
    description: Shows before and after of every changed field, secrets masked.
options:
  name:
    description:
      - Name of the block document (lowercase letters, digits and dashes, as Prefect requires).
    type: str
    required: true
  block_type_slug:
    description:
      - The slug of the block type, e.g. V(aws-credentials) (prefect-aws's C(AwsCredentials)).
    type: str
    required: true
  data:
    description:
      - The fields to set, by their name in the block schema. Fields not given are left as they are.
      - Every value is treated as sensitive (never logged); secret fields are never returned.
    type: dict
  owner_values:
    description:
      - Field name -> list of values. The block is the collection's only when each of these fields holds one of
        its listed values.
      - Required with O(state=absent). With V(present), a block that exists and does not match is not overwritten
        (the task fails, naming the block and the field).
    type: dict
  state:
    description:
      - V(present) creates the block or sets the fields of O(data).
      - V(absent) deletes the block when O(owner_values) says it is the collection's; otherwise it is left in place
        and RV(kept) says why.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: prefect_ops.ecs.prefect_work_pool
  - module: prefect_ops.ecs.iam_user_key
'''

EXAMPLES = r'''
- name: The credentials Prefect Cloud uses to call ECS for a push pool
  prefect_ops.ecs.prefect_block_document:
    name: prod-push-aws-credentials
    block_type_slug: aws-credentials
    data:
      aws_access_key_id: "{{ push_key.access_key_id }}"
      aws_secret_access_key: "{{ push_key.secret_access_key }}"
      region_name: eu-west-1
    owner_values:
      aws_access_key_id: "{{ push_key.key_ids }}"
  no_log: true

- name: Remove it, only if it still holds a key of our IAM user
  prefect_ops.ecs.prefect_block_document:
    name: prod-push-aws-credentials
    block_type_slug: aws-credentials
    owner_values:
      aws_access_key_id: "{{ push_key.key_ids }}"
    state: absent
'''

RETURN = r'''
block_document:
  description:
    - The block document after the change (in check mode, as predicted); secret values are C(********).
    - Empty when it does not exist after the task; the block as read when it was kept (RV(kept)).
  returned: always
  type: dict
  sample:
    id: 0b8e2c7a-6a6e-4a53-a1a0-2b0f4e6c9d11
    name: prod-push-aws-credentials
    block_type_slug: aws-credentials
    data:
      aws_access_key_id: AKIAEXAMPLE
      aws_secret_access_key: "********"
      region_name: eu-west-1
owned:
  description: Whether the block's data matches O(owner_values) (true when O(owner_values) is not given and it exists).
  returned: when the block exists after the task, or was kept
  type: bool
kept:
  description: Why O(state=absent) left the block in place.
  returned: when O(state=absent) found a block that is not the collection's
  type: str
changes:
  description: The fields that changed (or would change, in check mode); C(state) for a creation or deletion.
  returned: always
  type: list
  elements: str
  sample: [aws_access_key_id, aws_secret_access_key]
'''

from ansible_collections.prefect_ops.ecs.plugins.module_utils import prefect_block as blocks
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ownership import kept_result
from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect import PrefectModule


class BlockDocumentModule(PrefectModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        block_type_slug=dict(type='str', required=True),
        data=dict(type='dict', no_log=True),
        owner_values=dict(type='dict'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )

    def run(self):
        p = self.params
        errors = blocks.problems(p)
        if errors:
            self.fail("; ".join(errors))
        slug, name = p['block_type_slug'], p['name']
        block_type = self.client.get("block_types/slug/" + self.client.quote(slug), missing_ok=True)
        if block_type is None:
            if p['state'] == 'absent':
                return dict(changed=False, block_document={}, changes=[], diff=dict(before={}, after={}))
            self.fail("block type %r is not registered on the Prefect server: register the blocks of the collection "
                      "that defines it (for aws-credentials: prefect block register -m prefect_aws; Prefect Cloud has "
                      "it already)" % slug)
        path = "block_types/slug/%s/block_documents/name/%s" % (self.client.quote(slug), self.client.quote(name))
        current = self.client.request("GET", path, missing_ok=True, query={"include_secrets": "true"})
        schemas = self.client.post("block_schemas/filter", {"block_schemas": {"block_type_id": {"any_": [block_type['id']]}}})
        schema = (current or {}).get('block_schema') or blocks.newest_schema(schemas)
        if schema is None:
            self.fail("block type %r has no block schema on the Prefect server: register its blocks again "
                      "(prefect block register -m <its collection>)" % slug)
        dummy, secrets = blocks.schema_fields(schema)
        if p['state'] == 'absent':
            return self.absent(current, secrets)
        errors = blocks.data_problems(p['data'], schema, slug)
        if errors:
            self.fail("; ".join(errors))
        foreign = blocks.foreign_values(current.get('data'), p['owner_values']) if current and p['owner_values'] else {}
        if foreign:
            self.fail(blocks.not_owned_message(name, slug, foreign, secrets)
                      + ": this task does not overwrite it. Give another name, or delete that block in Prefect")
        wanted = p['data'] or {}
        changes, before, after = blocks.plan(current and current.get('data'), wanted, secrets)
        if current is None:
            body = dict(name=name, data=wanted, block_schema_id=schema['id'], block_type_id=block_type['id'])
            if self.check_mode:
                document = dict(id=None, name=name, data=wanted)
            else:
                document = self.client.post("block_documents/", body)
        elif changes:
            document = dict(current, data=dict(current.get('data') or {}, **wanted))
            if not self.check_mode:
                self.client.patch("block_documents/" + current['id'],
                                  dict(data=dict((k, wanted[k]) for k in changes), merge_existing_data=True))
        else:
            document = current
        return dict(changed=bool(changes), block_document=self.shown(document, slug, secrets), owned=True,
                    changes=changes, diff=dict(before=before, after=after))

    def absent(self, current, secrets):
        p = self.params
        if current is None:
            return dict(changed=False, block_document={}, changes=[], diff=dict(before={}, after={}))
        foreign = blocks.foreign_values(current.get('data'), p['owner_values'])
        if foreign:
            return kept_result('block_document', self.shown(current, p['block_type_slug'], secrets),
                               blocks.not_owned_message(p['name'], p['block_type_slug'], foreign, secrets)
                               + ", so it was left in place; delete it in Prefect if it should go")
        if not self.check_mode:
            self.client.delete("block_documents/" + current['id'], missing_ok=True)
        return dict(changed=True, block_document={}, changes=['state'],
                    diff=dict(before=dict(state='present', name=p['name']), after=dict(state='absent')))

    @staticmethod
    def shown(document, slug, secrets):
        return dict(id=document.get('id'), name=document.get('name'), block_type_slug=slug,
                    data=blocks.masked(document.get('data'), secrets))


def main():
    BlockDocumentModule().execute()


if __name__ == '__main__':
    main()
