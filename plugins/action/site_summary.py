# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of prefect_ops.ecs.site_summary (documented in plugins/modules/site_summary.py).

Builds, on the controller, the summary site.yml ends with from the facts the roles published (``summary``, pure and
unit-tested), prints it (the result is always shown, as a debug task's is) and fails after printing it when a check
of ecs_verify failed that this run would not fix, so that a drift audit (``--check --diff``) prints the summary
before it exits with status 2.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

OPTIONS = ("roles", "fail_on_failed_checks")
# summary key -> the fact it shows, <fact>.<key> for a key of a role's dict ("-" when the role that publishes it did
# not run)
FACTS = (
    ("cluster", "ecs_cluster.arn"),
    ("events_queue", "ecs_events_queue_arn"),
    ("credential_secret", "prefect_api_secret.arn"),
    ("execution_role", "ecs_iam.execution_role_arn"),
    ("worker_task_role", "ecs_iam.worker_task_role_arn"),
    ("flow_run_task_role", "ecs_iam.flow_run_task_role_arn"),
    # pinned as the ECS pool's task_definition_arn: the worker registers no task definition
    ("flow_run_task_definition", "ecs_flow_run_task_definitions_arn"),
    ("worker_service", "ecs_worker_service_arn"),
    ("worker_task_definition", "ecs_worker_service_task_definition_arn"),
    ("warm_lane_service", "ecs_warm_lane_service_arn"),
    ("push_lane_user", "ecs_push_lane_user_arn"),
    ("alarm_topic", "ecs_alarms_topic"),
)
# ecs_verify only reads: it publishes no <role>_changes
READ_ONLY_ROLES = ("ecs_verify",)


def summary(facts, roles):
    """The site summary from the facts the roles published (``facts``: variable name -> value).

    ``roles``: the roles the play ran, in order; each but ecs_verify publishes ``<role>_changes`` (what it changed;
    in check mode, would change), shown under ``changed`` when not empty.
    """
    context = facts.get("prefect_ecs_context") or {}
    report = facts.get("ecs_verify_report") or []
    out = {
        "site": facts.get("prefect_ecs_name"),
        "region": context.get("region"),
        "account": context.get("account"),
        "aws_identity": context.get("aws_identity"),
        "prefect_api": context.get("api_url"),
        "log_groups": [facts.get("ecs_log_groups_worker") or "-", facts.get("ecs_log_groups_flow_runs") or "-"],
        "work_pools": list((facts.get("prefect_work_pools_pools") or {}).keys()),
        # <flow_name>/<name> of each deployment, and repository name -> URI (docker push target)
        "deployments": list((facts.get("prefect_deployments_deployments") or {}).keys()),
        "ecr_repositories": dict(facts.get("prefect_deployments_ecr_repository_uris") or {}),
        "pool_ui": "%s/work-pools/work-pool/%s" % (context.get("ui_url"),
                                                   facts.get("prefect_work_pools_name") or facts.get("prefect_ecs_name")),
        # check -> pass / fail / not checked / would be fixed (check mode: this run would fix it)
        "checks": dict((c.get("check"), c.get("status")) for c in report),
        # what is wrong: "<check>: <detail>" of each check that failed or would be fixed
        "findings": ["%s: %s" % (c.get("check"), c.get("detail")) for c in report
                     if c.get("status") in ("fail", "would be fixed")],
        # role -> what it changed (in check mode: would change); empty when the run changed nothing
        "changed": dict((role, facts[role + "_changes"]) for role in roles
                        if role not in READ_ONLY_ROLES and facts.get(role + "_changes")),
    }
    for key, fact in FACTS:
        name, dummy, field = fact.partition(".")
        value = facts.get(name)
        if field:
            value = value.get(field) if isinstance(value, dict) else None
        out[key] = value or "-"
    return out


def failed_checks(facts):
    return [c.get("check") for c in facts.get("ecs_verify_report") or [] if c.get("status") == "fail"]


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        unknown = sorted(set(self._task.args) - set(OPTIONS))
        if unknown:
            return dict(result, failed=True, msg="site_summary: unsupported option(s) %s; valid: %s"
                        % (", ".join(unknown), ", ".join(OPTIONS)))
        roles = list(self._task.args.get("roles") or [])
        wanted = set(["prefect_ecs_name", "prefect_ecs_context", "prefect_work_pools_name", "ecs_verify_report",
                      "ecs_log_groups_worker", "ecs_log_groups_flow_runs", "prefect_work_pools_pools",
                      "prefect_deployments_deployments", "prefect_deployments_ecr_repository_uris"]
                     + [fact.partition(".")[0] for dummy, fact in FACTS] + [role + "_changes" for role in roles])
        facts = dict((name, self._templar.template(task_vars[name])) for name in wanted if name in task_vars)
        site = summary(facts, roles)
        result.update(changed=False, ansible_facts={"prefect_ecs_summary": site}, module_runs=0,
                      _ansible_verbose_always=True)
        failed = failed_checks(facts)
        if failed and boolean(self._task.args.get("fail_on_failed_checks", True), strict=False):
            # exit status 2 after the summary (README "Drift audit"); the details are the summary's findings
            result.update(failed=True, msg="Failed checks (their details are in the summary's findings): "
                                           + "; ".join(failed))
        return result
