# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of prefect_ops.ecs.site_context (documented in plugins/modules/site_context.py).

Runs on the controller, once per host: reads the host's prefect_ecs_* variables and the controller's
environment into a plan (module_utils/site_context.py, pure), asks STS once who the host's AWS identity is
(AssumeRole when the host names a role, else GetCallerIdentity) and returns the host's context. The result
carries the temporary credentials of an assumed role and the Prefect credential, so it is always hidden
(no_log) when it succeeds; a failure says what to fix, naming the host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.prefect_ops.ecs.plugins.filter.unknown_variables import unknown_variables
from ansible_collections.prefect_ops.ecs.plugins.module_utils import site_context as ctx

try:
    import boto3
    import botocore.config
    import botocore.exceptions
    HAS_BOTO3 = True
except ImportError:
    HAS_BOTO3 = False

# botocore's standard retry mode: jittered exponential backoff on throttling and transient errors.
STS_CONFIG = dict(retries={"mode": "standard", "max_attempts": 10}, user_agent_extra="prefect_ops.ecs/site_context")


def read_identity(plan):
    """(partition, account, caller ARN, temporary credentials or None) of the plan's AWS identity: one STS call."""
    identity = plan["identity"]
    session = boto3.session.Session(profile_name=identity["profile"] or None, region_name=plan["region"])
    sts = session.client("sts", config=botocore.config.Config(**STS_CONFIG))
    if identity["role_arn"]:
        kwargs = dict(RoleArn=identity["role_arn"], RoleSessionName=identity["session_name"],
                      DurationSeconds=identity["duration"])
        if identity["external_id"]:
            kwargs["ExternalId"] = identity["external_id"]
        answer = sts.assume_role(**kwargs)
        arn = answer["AssumedRoleUser"]["Arn"]
        credentials = dict((k, answer["Credentials"][k]) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken"))
    else:
        arn, credentials = sts.get_caller_identity()["Arn"], None
    partition, account = ctx.parse_caller_arn(arn)
    return partition, account, arn, credentials


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _requires_connection = False

    def _setting(self, option, task_vars):
        """The task's option, else the host variable prefect_ecs_<option> (templated)."""
        value = self._task.args.get(option)
        if value is None:
            value = task_vars.get(ctx.PREFIX + option)
            if value is not None:
                value = self._templar.template(value)
        return value

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        host = task_vars.get("inventory_hostname", "?")
        # Worked out once per host per run: a host that has its context from an earlier play keeps it (no STS call).
        previous = task_vars.get(ctx.PREFIX + "context")
        if isinstance(previous, dict) and isinstance(previous.get("aws"), dict) and not previous.get("failed"):
            result.update((k, v) for k, v in previous.items() if not k.startswith("_ansible"))
            result.update(changed=False, module_runs=0, reused=True, _ansible_no_log=True)
            return result
        unknown_args = sorted(set(self._task.args) - set(ctx.OPTIONS + ("pools",)))
        if unknown_args:
            return dict(result, failed=True, msg="site_context: unsupported option(s) %s; valid: %s"
                        % (", ".join(unknown_args), ", ".join(ctx.OPTIONS + ("pools",))))

        # a misspelt prefect_ecs_* variable (say prefect_ecs_aws_role_arm) would otherwise be ignored, and the
        # host converged in the wrong account or region
        unknown = unknown_variables([k for k in task_vars if k.startswith(ctx.PREFIX)], ctx.known_variables(),
                                    ctx.PREFIX)
        settings = dict((o, self._setting(o, task_vars)) for o in ctx.OPTIONS)
        plan, problems = ctx.plan(settings, os.environ, host)
        if unknown:
            problems.insert(0, "host %s: unknown variable(s) %s; valid names are the options of "
                               "roles/site_context/meta/argument_specs.yml" % (host, "; ".join(unknown)))
        if problems:
            return dict(result, failed=True, msg="; ".join(problems), problems=problems)

        if not HAS_BOTO3:
            return dict(result, failed=True, msg="site_context needs boto3 and botocore on the controller")
        try:
            partition, account, arn, credentials = read_identity(plan)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, ValueError) as exc:
            action = "assume %s" % plan["identity"]["role_arn"] if plan["identity"]["role_arn"] else "read the caller identity"
            source = ctx.identity_text(dict(plan["identity"], role_arn=""))
            return dict(result, failed=True, msg=(
                "host %s: could not %s (sts, region %s) with %s: %s. Check the host's prefect_ecs_aws_* variables "
                "and the credentials of the run" % (host, action, plan["region"], source, to_native(exc))))

        pools = self._task.args.get("pools") or []
        if not isinstance(pools, list):
            raise AnsibleError("site_context: pools must be a list of work pool names")
        context = ctx.build(plan, partition, account, arn, credentials, [to_native(p) for p in pools])
        result.update(context)
        # module_runs: none (the STS call is made here, on the controller)
        result.update(changed=False, module_runs=0, _ansible_no_log=True)
        return result
