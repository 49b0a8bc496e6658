# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of prefect_ops.ecs.preflight (documented in plugins/modules/preflight.py).

For each role named, on the controller, writing and reading nothing:

1. its variables as the role would see them: the role's defaults (defaults/main.yml) under the host's variables,
   templated (its private vars/main.yml helpers are available to the templates);
2. its argument spec (meta/argument_specs.yml, entry point ``main``), as ansible.builtin.validate_argument_spec
   checks it;
3. variables of the role's prefix that neither its argument spec nor its published facts know (a misspelt name,
   which Ansible itself would ignore), each with the closest valid name;
4. its Python checks (plugins/module_utils/role_inputs.py): the module checks the role's tasks would run;
5. when those pass, the read-only module runs some inputs need (a pool type or job variables only the Prefect server
   can judge: the pool module in check mode, in the host's workspace).

Every problem of every role is reported in one failure, each prefixed with its role.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.prefect_ops.ecs.plugins.filter.unknown_variables import unknown_variables
from ansible_collections.prefect_ops.ecs.plugins.module_utils import role_inputs

try:
    import boto3
    import botocore.config
except ImportError:
    boto3 = None

ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles")
# the site variables the checks read besides the role's options (the context: region, partition of the run)
SITE_VARIABLES = ("prefect_ecs_name", "prefect_ecs_tags", "prefect_ecs_context")
OPTIONS = ("roles", "argument_spec")


def aws_clients(aws, *services):
    """boto3 clients of ``services``, from one session, with the host's AWS module options (region, profile or keys:
    site_context's ``aws``); botocore's standard retry mode (jittered backoff on throttling)."""
    if boto3 is None:
        raise AnsibleActionFail("preflight: reading AWS needs boto3 and botocore on the controller")
    session = boto3.session.Session(profile_name=aws.get("profile") or None, region_name=aws.get("region"),
                                    aws_access_key_id=aws.get("access_key") or None,
                                    aws_secret_access_key=aws.get("secret_key") or None,
                                    aws_session_token=aws.get("session_token") or None)
    config = botocore.config.Config(retries={"mode": "standard", "max_attempts": 10},
                                    user_agent_extra="prefect_ops.ecs/preflight")
    return [session.client(service, config=config) for service in services]


def aws_client(service, aws):
    """One client of aws_clients."""
    return aws_clients(aws, service)[0]


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    module_runs = 0

    def _load(self, role, *parts):
        path = os.path.join(ROLES_DIR, role, *parts)
        if not os.path.isfile(path):
            return {}
        # unsafe: the loader's cached copy, not a deep copy of it (~0.2 s for the 12 roles' files); nothing here
        # changes it, and this worker process ends with the task
        return self._loader.load_from_file(path, trusted_as_template=True, unsafe=True) or {}

    def _role_problems(self, role, task_vars, argument_spec):
        if not os.path.isdir(os.path.join(ROLES_DIR, role)):
            raise AnsibleActionFail("preflight: %r is not a role of prefect_ops.ecs" % role)
        options = ((self._load(role, "meta", "argument_specs.yml").get("argument_specs") or {}).get("main") or {}).get("options") or {}
        defaults, private = self._load(role, "defaults", "main.yml"), self._load(role, "vars", "main.yml")
        available = dict(defaults)
        available.update(private)
        available.update(task_vars)
        templar = self._templar.copy_with_new_env(available_variables=available)
        problems, values = [], {}
        for name in list(options) + [n for n in SITE_VARIABLES if n not in options]:
            if name not in available:
                continue
            try:
                values[name] = templar.template(available[name])
            except Exception as e:  # pylint: disable=broad-except
                problems.append("%s: cannot be worked out: %s" % (name, to_native(e)))
        for name in role_inputs.PRIVATE.get(role, ()):
            try:
                values[name] = templar.template(available[name])
            except Exception:  # pylint: disable=broad-except
                pass  # left to the role's module when the role runs (a value from an earlier role, say)
        if argument_spec:
            checked = ArgumentSpecValidator(options).validate(
                dict((k, v) for k, v in values.items() if k in options), validate_role_argument_spec=True)
            problems += checked.error_messages
            if checked.error_messages:
                return problems  # the Python checks expect values of the right types
            values.update(checked.validated_parameters)
        published = private.get("__%s_published" % role) or []
        prefix = role + "_"
        problems += ["unknown variable %s; valid names are the options of roles/%s/meta/argument_specs.yml" % (u, role)
                     for u in unknown_variables([n for n in task_vars if n.startswith(prefix)], list(options) + list(published), prefix)]
        problems += role_inputs.problems(role, values)
        if not problems:
            problems += self._reads(role_inputs.reads(role, values), task_vars, values)
        return problems

    def _reads(self, reads, task_vars, values):
        """Run each read of `reads` in the host's Prefect workspace / AWS account: a read-only module in check mode
        (its failure is a problem of the field it checks), or an AWS check on the controller (role_inputs: a function
        of a boto3 client of the host's region and identity, returning problems)."""
        if not reads:
            return []
        context = self._templar.template(task_vars.get("prefect_ecs_context") or {})
        connection = dict(prefect=context.get("prefect") or {}, aws=context.get("aws") or {})
        problems, check_mode = [], self._task.check_mode
        self._task.check_mode = True  # the module only reads, whatever mode the run is in
        try:
            for read in reads:
                if "service" in read:
                    problems += read["check"](aws_client(read["service"], connection["aws"]), values,
                                              connection["aws"].get("region"))
                    continue
                group = "prefect" if ".prefect_" in read["module"] else "aws"
                self.module_runs += 1
                found = self._execute_module(module_name=read["module"], module_args=dict(read["params"], **connection[group]),
                                             task_vars=task_vars)
                if found.get("failed"):
                    problems.append("%s: %s" % (read["field"], found.get("msg")))
        finally:
            self._task.check_mode = check_mode
        return problems

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        unknown = sorted(set(args) - set(OPTIONS))
        if unknown:
            raise AnsibleActionFail("preflight: unsupported option(s) %s; valid: %s" % (", ".join(unknown), ", ".join(OPTIONS)))
        roles = args.get("roles") or []
        if isinstance(roles, str):
            roles = [roles]
        argument_spec = boolean(args.get("argument_spec", True))
        found = {}
        for role in roles:
            problems = self._role_problems(role, task_vars, argument_spec)
            if problems:
                found[role] = problems
        # module_runs: the read-only modules this action ran (the server's pool checks; none for most inputs)
        result.update(changed=False, problems=found, checked=list(roles), module_runs=self.module_runs)
        if found:
            result.update(failed=True, msg="\n".join("%s: %s" % (role, p) for role, ps in found.items() for p in ps))
        else:
            result["msg"] = "inputs of %s are valid" % ", ".join(roles)
        return result
