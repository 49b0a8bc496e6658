#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: prefect_work_pool
short_description: Create, configure and delete Prefect work pools
version_added: 0.1.0
description:
  - Creates a Prefect work pool or brings an existing one in line with the options given, and deletes it with
    O(state=absent).
  - Options that are not set are never touched, so several tasks (or the Prefect UI) can own different settings of
    one pool.
  - O(job_variables) manages the defaults of the pool's base job template key by key, the way the worker reads them;
    every other key keeps its value.
  - A new pool gets the stock template of the worker that serves it, bundled with this collection, so no internet
    access is needed (see O(type)).
  - Check mode predicts the pool after the change; C(--diff) shows before and after of exactly what changes, per job
    variable.
  - Ownership. A pool this module creates carries the mark C(managed by prefect_ops.ecs) in its description
    (appended to O(description)). A pool found without it was made elsewhere, for example by hand as in Prefect's
    ECS guide; it is adopted, configured key by key but never marked, so O(state=absent) and O(recreate) never
    delete it. A description of earlier releases that says C(managed by prefect_ops.ecs) counts as the mark.
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
extends_documentation_fragment:
  - prefect_ops.ecs.prefect
attributes:
  check_mode:
    support: full
    description: Predicts the pool after the change without changing it.
  diff_mode:
    support: full
    description: Shows before and after of every changed field and job variable default.
options:
  name:
    description:
      - Name of the work pool.
      - Prefect refuses names with C(/ % & > <) and names that start with C(prefect).
    type: str
    required: true
  state:
    description:
      - V(present) creates the pool if needed and applies the options given.
      - V(absent) deletes the pool named O(name) (and its work queues) and nothing else, when it carries the
        ownership mark; an unmarked pool is left in place and RV(kept) says so.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - The worker type of the pool, for example V(ecs), V(process), V(docker), V(kubernetes), or V(ecs:push) on
        Prefect Cloud; the server accepts any type string.
      - Required to create a pool. For an existing pool, leave it out or give its current type.
      - A new V(ecs) pool gets the template of prefect-aws 0.7.12 (C(ECSWorker.get_default_base_job_template())), the
        version pinned for the worker; a new V(ecs:push) pool gets the same template (Prefect Cloud submits push runs
        with that worker's code, and a self-hosted server's metadata has no push template); a new V(process) pool gets
        the template of prefect 3.8.8's process worker. All three are bundled with this collection.
      - For other types the template comes from the server's C(/collections/views/aggregate-worker-metadata). An
        offline self-hosted server answers with a copy bundled with the server, which may be older than the
        worker you run; give O(base_job_template) to be sure.
      - The type of an existing pool cannot be changed in place; see O(recreate).
    type: str
  description:
    description:
      - Description of the pool. V("") clears it (a pool the collection owns keeps its mark).
      - On a pool this module creates, or one that carries the mark, the mark is appended when the text lacks it; on an
        adopted pool the mark is removed from the text, so writing it never makes the pool the collection's.
    type: str
  paused:
    description:
      - Whether the pool is paused (no work is delivered to its workers).
      - Left as it is when not set.
    type: bool
  concurrency_limit:
    description:
      - The maximum number of flow runs of the pool that may run at once; V(0) stops new runs from starting.
      - Set V(-1) to remove the limit (Prefect's "no limit").
      - Left as it is when not set.
    type: int
  base_job_template:
    description:
      - The whole base job template, as C(prefect work-pool get-default-base-job-template) prints it, a mapping with
        C(job_configuration) and C(variables).
      - Replaces the pool's template when it differs (compared as data, so key order and formatting never cause a
        change). V({}) means no template.
      - With O(job_variables), the defaults of O(job_variables) are applied on top of this template.
      - Prefer O(job_variables) to set defaults; use this only for a custom template.
      - Ansible would render the template's C({{ placeholders }}) itself; load the template from a JSON file with
        C(lookup('file', 'template.json') | from_json) (lookup results are not rendered again) or mark it C(!unsafe).
    type: dict
  job_variables:
    description:
      - Defaults of the template's variables, per key; sets C(variables.properties.<key>.default) for just the keys
        given and leaves the others as they are.
      - An object such as C(network_configuration) is set as the default of that top-level key, which is what the ECS
        worker reads; give it the awsvpcConfiguration fields C(subnets), C(securityGroups) and C(assignPublicIp)
        directly.
      - A value of V(null) removes that key's default, so the worker's own default applies.
      - A key the template lacks fails, and the message says how to get a template that has it (O(upgrade_template)).
      - Values are checked against the variable's schema before anything changes.
      - Mark values that hold Prefect placeholders, such as C({{ prefect.variables.cluster }}), with C(!unsafe) so
        Ansible leaves them to Prefect.
    type: dict
  upgrade_template:
    description:
      - Move an existing pool whose template differs from the current stock template of its type (for example one
        created from an older worker's template) to the current stock template, keeping the defaults already set.
      - Stock templates are bundled for V(ecs), V(ecs:push) and V(process). For other types give the new template as
        O(base_job_template); with O(upgrade_template=true) the pool moves to it and keeps the defaults already set
        (without it, O(base_job_template) replaces the template, defaults included).
      - Defaults of variables the new template no longer has are dropped, with a warning naming them.
      - O(job_variables) apply on top.
      - Without it an existing pool's variable set is left alone.
    type: bool
    default: false
  recreate:
    description:
      - When the existing pool's type differs from O(type), delete it and create it again with O(type). Only a pool
        that carries the ownership mark is re-created; for an adopted pool it fails.
      - This deletes the pool's work queues too; deployments that use the pool keep its name and pick up the new
        pool. Without it a type mismatch fails and nothing changes.
    type: bool
    default: false
seealso:
  - module: prefect_ops.ecs.prefect_work_queue
  - module: prefect_ops.ecs.prefect_work_pool_info
  - name: Prefect work pools
    description: The concepts behind work pools and base job templates.
    link: https://docs.prefect.io/v3/concepts/work-pools
'''

EXAMPLES = r'''
- name: An ECS work pool configured for the cluster and network the worker runs flows in
  prefect_ops.ecs.prefect_work_pool:
    api_url: http://prefect.internal:4200/api
    auth_string: "{{ vault_prefect_auth_string }}"
    name: my-ecs-pool
    type: ecs
    concurrency_limit: 20
    job_variables:
      cluster: arn:aws:ecs:us-east-1:123456789012:cluster/my-cluster
      vpc_id: vpc-12345678
      execution_role_arn: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
      network_configuration:
        subnets: [subnet-12345678, subnet-87654321]
        securityGroups: [sg-12345678]
        assignPublicIp: DISABLED

- name: Pin a pre-registered task definition (no registration per run)
  prefect_ops.ecs.prefect_work_pool:
    name: my-ecs-pool
    job_variables:
      task_definition_arn: arn:aws:ecs:us-east-1:123456789012:task-definition/flows:7

- name: Remove the concurrency limit and a default set earlier
  prefect_ops.ecs.prefect_work_pool:
    name: my-ecs-pool
    concurrency_limit: -1
    job_variables:
      task_definition_arn: null

- name: Move a pool created from an older template to the current prefect-aws template, keeping its defaults
  prefect_ops.ecs.prefect_work_pool:
    name: my-ecs-pool
    upgrade_template: true
    job_variables:
      prefect_api_auth_string_secret_arn: arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-auth

- name: A custom template, kept in a JSON file so Ansible leaves its placeholders to Prefect
  prefect_ops.ecs.prefect_work_pool:
    name: custom-ecs
    type: ecs
    base_job_template: "{{ lookup('file', 'files/custom-ecs-template.json') | from_json }}"
    job_variables:
      cluster: !unsafe "{{ prefect.variables.ecs_cluster }}"

- name: A process pool for development, paused for now
  prefect_ops.ecs.prefect_work_pool:
    name: development
    type: process
    paused: true

- name: Set the API options once for every Prefect module of a play
  module_defaults:
    group/prefect_ops.ecs.prefect:
      api_url: https://api.prefect.cloud/api/accounts/ACCOUNT_ID/workspaces/WORKSPACE_ID
      api_key: "{{ vault_prefect_api_key }}"
  block:
    - name: Delete a pool
      prefect_ops.ecs.prefect_work_pool:
        name: old-pool
        state: absent
'''

RETURN = r'''
work_pool:
  description:
    - The work pool as the Prefect API returns it after the change (in check mode, as predicted).
    - Empty when O(state=absent) deleted it; the pool as read when it was kept (RV(kept)).
  returned: always
  type: dict
  sample:
    id: 0b7d9bb4-5c47-4ac5-9c9e-6d8f0e1b0b7e
    name: my-ecs-pool
    type: ecs
    description: null
    is_paused: false
    concurrency_limit: 20
    status: NOT_READY
    default_queue_id: 3e0a4d2c-27a7-4a70-9d59-bf3e0f0d1d20
    base_job_template:
      job_configuration: {}
      variables:
        properties:
          cluster:
            default: arn:aws:ecs:us-east-1:123456789012:cluster/my-cluster
owned:
  description:
    - Whether the pool carries the ownership mark (created by this collection); false for an adopted pool.
  returned: when the pool exists after the task, or was kept
  type: bool
  sample: true
kept:
  description: Why O(state=absent) left the pool in place (it carries no ownership mark).
  returned: when O(state=absent) found a pool it does not own
  type: str
  sample: >-
    work pool 'ecs-pool' was not created by prefect_ops.ecs (it carries no ownership mark),
    so it was left in place; delete it in Prefect if it should go
template:
  description: Which template the pool's base job template was made from.
  returned: when O(state=present)
  type: dict
  contains:
    stock:
      description: The stock template this collection bundles for the pool's type, or null if none.
      type: str
      sample: prefect-aws 0.7.12
    created_from:
      description:
        - The template the pool's variable set matches, for example C(prefect-aws 0.7.12), C(prefect-aws 0.7.12
          (customised)) when variables match but schemas or job configuration differ, the server's offline
          collection-registry copy, C(custom), or C(none (empty template)).
      type: str
      sample: prefect-aws 0.7.12
    matches_stock:
      description: Whether the template equals the current stock template apart from variable defaults.
      type: bool
    upgrade_available:
      description: Whether O(upgrade_template=true) would change the template.
      type: bool
    missing_variables:
      description: Variables of the current stock template the pool's template lacks.
      type: list
      elements: str
    extra_variables:
      description: Variables of the pool's template the current stock template does not have.
      type: list
      elements: str
    source:
      description: Where the template of a pool created by this task came from; null when the pool already existed.
      type: str
      sample: bundled stock template of prefect-aws 0.7.12
changes:
  description: The fields that changed (or would change, in check mode), job variables as C(job_variables.<key>).
  returned: always
  type: list
  elements: str
  sample: [concurrency_limit, job_variables.cluster, job_variables.network_configuration]
'''

import copy

from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect import (
    PrefectAPIError,
    PrefectModule,
    work_pool_problems,
)
from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect_templates import STOCK_TEMPLATES
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ownership import (
    description_marked,
    description_to_write,
    kept_message,
    kept_result,
)
from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect_job_template import (
    apply_job_variables,
    defaults,
    identify,
    same,
    same_structure,
    stock_label,
    stock_template,
    template_changes,
    upgrade,
)


class WorkPoolModule(PrefectModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        type=dict(type='str'),
        description=dict(type='str'),
        paused=dict(type='bool'),
        concurrency_limit=dict(type='int'),
        base_job_template=dict(type='dict'),
        job_variables=dict(type='dict'),
        upgrade_template=dict(type='bool', default=False),
        recreate=dict(type='bool', default=False),
    )

    # -- input checks, before any API call --------------------------------------------------------
    def validate(self):
        errors = work_pool_problems(self.params)
        if errors:
            self.fail("; ".join(errors))

    # -- templates ------------------------------------------------------------------------------
    def server_template(self, pool_type):
        """The default template the server's collection registry has for a type, or None."""
        try:
            meta = self.client.get("collections/views/aggregate-worker-metadata", missing_ok=True) or {}
        except PrefectAPIError as exc:
            self.warn("could not read the server's worker metadata: %s" % exc)
            return None
        for collection in meta.values() if isinstance(meta, dict) else []:
            for worker in collection.values() if isinstance(collection, dict) else []:
                if isinstance(worker, dict) and worker.get("type") == pool_type:
                    return copy.deepcopy(worker.get("default_base_job_configuration") or {})
        return None

    def current_stock(self, pool_type):
        """(template, source) of the current stock template for a type."""
        template = stock_template(pool_type)
        if template is not None:
            return template, "bundled stock template of %s" % stock_label(pool_type)
        template = self.server_template(pool_type)
        if template is not None:
            return template, "the server's collection registry (aggregate-worker-metadata)"
        return None, None

    def desired_template(self, base, pool_type, name):
        template, errors = apply_job_variables(base, self.params['job_variables'] or {}, pool_type, name)
        if errors:
            self.fail("; ".join(errors))
        if self.params['job_variables'] and pool_type.startswith("ecs"):
            dflt = defaults(template)
            if dflt.get("network_configuration") and not dflt.get("vpc_id"):
                self.warn("work pool %r sets network_configuration but no vpc_id: the ECS worker fails flow runs that "
                          "have a custom network_configuration without vpc_id; set job_variables.vpc_id" % name)
        return template

    # -- states ---------------------------------------------------------------------------------
    def run(self):
        self.validate()
        p = self.params
        self.path = "work_pools/" + self.client.quote(p['name'])
        current = self.client.get(self.path, missing_ok=True)
        if p['state'] == 'absent':
            return self.absent(current)
        if current is None:
            return self.create()
        if p['type'] and current.get('type') != p['type']:
            if not p['recreate']:
                self.fail("work pool %r has type %r, not %r: a pool's type cannot be changed in place. Set "
                          "recreate: true to delete and re-create it as %r (its work queues are deleted too), or "
                          "use another name" % (p['name'], current.get('type'), p['type'], p['type']))
            return self.recreate(current)
        return self.update(current)

    @staticmethod
    def summary(pool):
        return dict(name=pool.get('name'), type=pool.get('type'), description=pool.get('description'),
                    paused=pool.get('is_paused'), concurrency_limit=pool.get('concurrency_limit'))

    def absent(self, current):
        if current is None:
            return dict(changed=False, work_pool={}, changes=[], diff=dict(before={}, after={}))
        if not description_marked(current.get('description')):
            return kept_result('work_pool', current, kept_message("work pool", self.params['name']))
        if not self.check_mode:
            self.client.delete(self.path, missing_ok=True)
        return dict(changed=True, work_pool={}, changes=["state"],
                    diff=dict(before=dict(self.summary(current), state='present'), after=dict(state='absent')))

    def create(self, replacing=None):
        p = self.params
        pool_type = p['type']
        if not pool_type:
            self.fail("work pool %r does not exist and type is not set: give type (ecs, process, docker, "
                      "kubernetes, ...) to create it" % p['name'])
        if p['base_job_template'] is not None:
            source_template, source = copy.deepcopy(p['base_job_template']), "the base_job_template option"
        else:
            source_template, source = self.current_stock(pool_type)
            if source_template is None:
                self.fail("there is no stock base job template for type %r: this collection bundles ecs, ecs:push and process, "
                          "and the server's collection registry has none for it. Give base_job_template (an empty "
                          "mapping creates the pool without one)" % pool_type)
        template = self.desired_template(source_template, pool_type, p['name'])
        body = dict(name=p['name'], type=pool_type, base_job_template=template,
                    description=description_to_write(None, p['description']))
        if p['paused'] is not None:
            body['is_paused'] = p['paused']
        if p['concurrency_limit'] is not None and p['concurrency_limit'] >= 0:
            body['concurrency_limit'] = p['concurrency_limit']

        if self.check_mode:
            pool = dict(name=p['name'], type=pool_type, description=body.get('description'),
                        is_paused=body.get('is_paused', False), concurrency_limit=body.get('concurrency_limit'),
                        base_job_template=template, status='PAUSED' if body.get('is_paused') else 'NOT_READY')
        else:
            if replacing is not None:
                self.client.delete(self.path, missing_ok=True)
            try:
                pool = self.client.post("work_pools/", body)
            except PrefectAPIError as exc:
                if exc.status != 409 or replacing is not None:
                    raise
                # Created meanwhile (or by a retried request whose first attempt went through): converge it.
                return self.update(self.client.get(self.path))

        b_view, a_view, paths = template_changes(source_template, template)
        after = dict(self.summary(pool), state='present', base_job_template=source)
        if a_view.get('job_variables'):
            after['job_variables'] = a_view['job_variables']
        before = dict(self.summary(replacing), state='present') if replacing else dict(state='absent')
        info = identify(pool_type, template)
        info['source'] = source
        changes = ["type"] if replacing else ["state"]
        return dict(changed=True, work_pool=pool, owned=True, template=info, changes=changes + paths,
                    diff=dict(before=before, after=after))

    def recreate(self, current):
        if not description_marked(current.get('description')):
            self.fail("work pool %r was not created by prefect_ops.ecs (its description carries no ownership mark), "
                      "so recreate will not delete it: delete it in Prefect, or use another name"
                      % self.params['name'])
        return self.create(replacing=current)

    def update(self, current):
        p = self.params
        pool_type = current.get('type') or ''
        cur_template = current.get('base_job_template') or {}
        base = copy.deepcopy(p['base_job_template']) if p['base_job_template'] is not None else copy.deepcopy(cur_template)
        if p['upgrade_template']:
            # Move from the pool's current template to the target, carrying the defaults already set.
            if p['base_job_template'] is not None:
                target, label = copy.deepcopy(p['base_job_template']), "given base_job_template"
            else:
                target, label = stock_template(pool_type), "%s template" % stock_label(pool_type)
            if target is None:
                self.fail("upgrade_template: this collection bundles current templates for %s only, and the server's "
                          "registry copy may be older than your worker, so there is nothing safe to upgrade work pool "
                          "%r (type %r) to. Give the new template as base_job_template together with upgrade_template "
                          "to move to it and keep the defaults already set"
                          % (", ".join(sorted(STOCK_TEMPLATES)), p['name'], pool_type))
            if same_structure(cur_template, target):
                base = copy.deepcopy(cur_template)
            else:
                base, dummy_kept, dropped = upgrade(cur_template, target)
                if dropped:
                    self.warn("upgrade_template dropped the defaults of %s: the %s has no such variables (the worker "
                              "it belongs to does not read them)"
                              % (", ".join("%s=%r" % kv for kv in sorted(dropped.items())), label))
        template = self.desired_template(base, pool_type, p['name'])

        patch, before, after, changes = {}, {}, {}, []

        def field(option, api_key, want):
            have = current.get(api_key)
            if want is not None or option == 'concurrency_limit':
                if have != want:
                    patch[api_key] = want
                    before[option], after[option] = have, want
                    changes.append(option)

        if p['description'] is not None:
            field('description', 'description', description_to_write(current, p['description']))
        if p['paused'] is not None:
            field('paused', 'is_paused', p['paused'])
        if p['concurrency_limit'] is not None:
            field('concurrency_limit', 'concurrency_limit', None if p['concurrency_limit'] < 0 else p['concurrency_limit'])
        if not same(template, cur_template):
            patch['base_job_template'] = template
            b_view, a_view, paths = template_changes(cur_template, template)
            before.update(b_view)
            after.update(a_view)
            changes.extend(paths)

        pool = current
        if patch:
            if self.check_mode:
                pool = copy.deepcopy(current)
                pool.update(patch)
                if 'is_paused' in patch:
                    pool['status'] = 'PAUSED' if patch['is_paused'] else 'NOT_READY'
            else:
                self.client.patch(self.path, patch)
                pool = self.client.get(self.path)
        info = identify(pool_type, pool.get('base_job_template') or {})
        info['source'] = None
        return dict(changed=bool(patch), work_pool=pool, owned=description_marked(pool.get('description')),
                    template=info, changes=changes, diff=dict(before=before, after=after))


def main():
    WorkPoolModule().execute()


if __name__ == '__main__':
    main()
