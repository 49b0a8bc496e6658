# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of prefect_ops.ecs.ecs_verify (documented in plugins/modules/ecs_verify.py).

Gathers what exists, then evaluates the checks in Python (module_utils/verify.py, pure):

- what this run's roles reported is taken as it is (in a real run the state they left; in check mode the event
  pipeline as it is now and the IAM roles as ecs_iam would leave them);
- everything else is read with read-only modules (prefect_ops.ecs.ecs_event_observer_info,
  community.aws.ecs_service_info / ecs_taskdefinition_info, amazon.aws.iam_role_info / iam_policy_info,
  prefect_ops.ecs.prefect_work_pool_info), in the host's region, AWS identity and Prefect workspace
  (the host's ``prefect_ecs_context``). A no-op run whose roles reported everything reads nothing.
- in check mode the IAM roles are read too, so that a role that fails now but passes as ecs_iam would leave it is
  reported "would be fixed"; so is a failed check of the pipeline, the worker service or its task definition when
  the role that converges it reports it would change it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.prefect_ops.ecs.plugins.action.preflight import aws_clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils import verify as v

OPTIONS = ("pool", "events_name", "clusters", "worker_timeout", "emulated", "service_cluster", "service_name",
           "task_definition_arn", "execution_role_arn", "worker_task_role_arn", "flow_run_task_role_arn", "secret_arn",
           "secret_kms_key_arn", "events_queue_arn", "flow_runs_log_group", "worker_task_role_requirements", "reported",
           "validate_only", "event_pipeline", "worker_lane", "api_url", "credential_kind", "events_queue_name",
           "worker_log_group", "log_error_minutes")
REPORTED = ("pipeline_name", "pipeline", "pipeline_changes", "service", "task_definition", "service_changes", "roles")
POLL_SECONDS = 5


def task_definition_shape(described):
    """A DescribeTaskDefinition taskDefinition (as ecs_worker_service returns it) in ecs_taskdefinition_info's shape,
    the keys the checks use."""
    containers = [{"name": c.get("name"), "environment": c.get("environment") or [],
                   "secrets": [{"name": s.get("name"), "value_from": s.get("valueFrom")} for s in c.get("secrets") or []]}
                  for c in described.get("containerDefinitions") or []]
    return {"task_definition_arn": described.get("taskDefinitionArn"), "status": described.get("status"),
            "execution_role_arn": described.get("executionRoleArn") or "", "task_role_arn": described.get("taskRoleArn") or "",
            "container_definitions": containers}


def secret_of(task_definition):
    for container in (task_definition or {}).get("container_definitions") or []:
        for secret in container.get("secrets") or []:
            if secret.get("value_from"):
                return secret["value_from"]
    return ""


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    module_runs = 0

    def _read(self, module, args, connection, task_vars):
        args = dict(args, **connection)
        self.module_runs += 1
        return self._execute_module(module_name=module, module_args=args, task_vars=task_vars)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        unknown = sorted(set(args) - set(OPTIONS))
        if unknown:
            raise AnsibleActionFail("ecs_verify: unsupported option(s) %s; valid: %s" % (", ".join(unknown), ", ".join(OPTIONS)))
        problems = v.input_problems(args.get("pool"), args.get("worker_timeout", 0), args.get("worker_task_role_requirements"))
        timeout = int(args.get("worker_timeout", 0) or 0) if not problems else 0
        if problems:
            return dict(result, failed=True, msg="ecs_verify: " + " | ".join(problems), invalid_parameters=problems)
        if boolean(args.get("validate_only", False)):
            return dict(result, changed=False, msg="ecs_verify: inputs valid (nothing read)")

        context = self._templar.template(task_vars.get("prefect_ecs_context") or {})
        aws, prefect = context.get("aws") or {}, context.get("prefect") or {}
        check_mode = bool(self._play_context.check_mode)
        reported = dict((k, (args.get("reported") or {}).get(k)) for k in REPORTED)
        clusters = list(args.get("clusters") or [])

        # --- the event pipeline ---
        pipeline = reported["pipeline"] or {}
        if not boolean(args.get("event_pipeline", True)):
            pipeline = {"exists": False}
        elif not (pipeline and reported["pipeline_name"] == args.get("events_name")
                  and (not clusters or sorted(clusters) == sorted(pipeline.get("cluster_arns") or []))):
            read = dict(name=args.get("events_name"))
            if clusters:
                read["clusters"] = clusters
            pipeline = self._read("prefect_ops.ecs.ecs_event_observer_info", read, aws, task_vars)
            if pipeline.get("failed"):
                raise AnsibleActionFail("ecs_verify: could not read the event pipeline %s: %s"
                                        % (args.get("events_name"), pipeline.get("msg")))
        if boolean(args.get("event_pipeline", True)):
            report = v.pipeline_checks(pipeline, check_mode and not pipeline.get("exists"),
                                       check_mode and bool(reported["pipeline_changes"]))
        else:
            report = v.lane_off([v.PIPELINE, v.DEAD_LETTERS], "this site has no event pipeline (ecs_events_state: absent)")
        if not boolean(args.get("worker_lane", True)):
            return self._without_worker_lane(result, report, args, aws, reported, check_mode, task_vars)

        # --- the worker service ---
        name, cluster = args.get("service_name") or "", args.get("service_cluster") or ""
        service, read_error, cluster_missing = reported["service"] or {}, "", False
        if not (service.get("serviceName") == name and cluster in (service.get("clusterArn", ""), service.get("clusterArn", "").split("/")[-1])):
            found = self._read("community.aws.ecs_service_info", dict(cluster=cluster, service=[name], details=True), aws, task_vars)
            service = ((found.get("services") or [None])[0]) or {}
            if found.get("failed"):
                cluster_missing = (found.get("error") or {}).get("code") == "ClusterNotFoundException"
                read_error = "" if cluster_missing else (found.get("msg") or "unknown error")
        # in check mode the worker service role would re-create a deleted service and re-register its task definition
        fixes_service = check_mode and bool(reported["service_changes"])
        active, running = v.service_checks(service, "%s in cluster %s" % (name, cluster), read_error, cluster_missing,
                                           check_mode, boolean(args.get("emulated", False)))
        report += [v.would_be_fixed(active, "ecs_worker_service", fixes_service), running]

        # --- its task definition: the service's own, else the one this run registered ---
        registered = args.get("task_definition_arn") or ""
        td_arn = service.get("taskDefinition") or registered
        described = reported["task_definition"] or {}
        task_definition = None
        if td_arn and described.get("taskDefinitionArn") == td_arn:
            task_definition = task_definition_shape(described)
        elif td_arn:
            found = self._read("community.aws.ecs_taskdefinition_info", dict(task_definition=td_arn), aws, task_vars)
            task_definition = found if found.get("task_definition_arn") else None
        report.append(v.would_be_fixed(v.task_definition_check(task_definition, td_arn, service, registered, name, check_mode),
                                       "ecs_worker_service", fixes_service))

        # --- the roles ---
        td = task_definition or {}
        execution = args.get("execution_role_arn") or td.get("execution_role_arn") or ""
        worker = args.get("worker_task_role_arn") or td.get("task_role_arn") or ""
        secret = args.get("secret_arn") or secret_of(td)
        cluster_arn = service.get("clusterArn") or (cluster if cluster.startswith("arn:") else "")
        queue = args.get("events_queue_arn") or (pipeline.get("queue") or {}).get("arn") or ""
        values = v.placeholder_values(cluster_arn, execution, args.get("flow_run_task_role_arn"), queue,
                                      (pipeline.get("kms_key") or {}).get("arn") or "", args.get("flow_runs_log_group"))
        partition = execution.split(":")[1] if execution.count(":") >= 1 else "aws"
        roles = [
            {"key": "execution", "label": "execution role", "variable": "ecs_verify_execution_role_arn", "arn": execution,
             "managed": [v.EXECUTION_POLICY % partition],
             "requirements": v.execution_requirements(secret, args.get("secret_kms_key_arn"))},
            {"key": "worker", "label": "worker task role", "variable": "ecs_verify_worker_task_role_arn", "arn": worker,
             "managed": [], "cluster_known": bool(cluster_arn),
             "requirements": v.worker_requirements(args.get("worker_task_role_requirements"), values)},
        ]
        states = reported["roles"] or {}
        statuses = []
        for role in roles:
            predicted = states.get(role["arn"]) if role["arn"] else None
            current = "unread"
            if role["arn"] and (predicted is None or check_mode):
                current = self._role_state(role["arn"], aws, task_vars)
            statuses.append(v.role_check(role, current, predicted, check_mode))
        report.append(v.roles_check(statuses))

        # --- the rest of the guide's list: the worker's wiring, its route out, its recent errors ---
        report.append(v.wiring_check(v.worker_container(task_definition) if task_definition else None,
                                     args.get("api_url") or "", args.get("credential_kind") or "", secret,
                                     (args.get("events_queue_name") or queue.rsplit(":", 1)[-1])
                                     if boolean(args.get("event_pipeline", True)) else ""))
        report += self._network_and_logs(service, args, aws)

        # --- a worker of the pool online ---
        pool = None
        if timeout > 0 and not check_mode:
            deadline = time.time() + timeout
            while True:
                found = self._read("prefect_ops.ecs.prefect_work_pool_info",
                                   dict(name=args["pool"], queues=False, flow_run_counts=False), prefect, task_vars)
                pool = ((found.get("work_pools") or [None])[0]) or {}
                if int(pool.get("online_workers") or 0) > 0 or time.time() >= deadline:
                    break
                time.sleep(POLL_SECONDS)
        report.append(v.worker_check(args["pool"], timeout, check_mode, pool))

        return self._finish(result, report)

    def _without_worker_lane(self, result, report, args, aws, reported, check_mode, task_vars):
        """A site without the worker lane (a push-only site): its checks are "not checked", the execution role is
        checked as usual (the flow-run tasks still start with it)."""
        why = "this site runs no ECS worker (ecs_worker_service_state: absent)"
        report += v.lane_off([v.SERVICE, v.RUNNING, v.TASK_DEFINITION], why)
        execution = args.get("execution_role_arn") or ""
        partition = execution.split(":")[1] if execution.count(":") >= 1 else "aws"
        role = {"key": "execution", "label": "execution role", "variable": "ecs_verify_execution_role_arn", "arn": execution,
                "managed": [v.EXECUTION_POLICY % partition],
                "requirements": v.execution_requirements(args.get("secret_arn") or "", args.get("secret_kms_key_arn"))}
        predicted = (reported["roles"] or {}).get(execution) if execution else None
        current = self._role_state(execution, aws, task_vars) if execution and (predicted is None or check_mode) else "unread"
        report.append(v.roles_check([v.role_check(role, current, predicted, check_mode)]))
        report += v.lane_off([v.WORKER % args["pool"]], why)
        return self._finish(result, report)

    def _network_and_logs(self, service, args, aws):
        """The route out of the service's subnets and the worker log group's recent ERROR lines, read on the
        controller (EC2 and CloudWatch Logs, read only: no module run)."""
        network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        subnets = list(network.get("subnets") or [])
        minutes, limit = int(args.get("log_error_minutes") or 60), 50
        group = args.get("worker_log_group") or ""
        out = []
        try:
            ec2, logs = aws_clients(aws, "ec2", "logs")
        except Exception as e:  # pylint: disable=broad-except
            return v.lane_off([v.ROUTE, v.LOG_ERRORS], "could not make AWS clients on the controller: %s" % to_native(e))
        try:
            if subnets:
                vpcs = sorted(set(x["VpcId"] for x in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]))
                where = [{"Name": "vpc-id", "Values": vpcs}]
                out.append(v.route_check(subnets, network.get("assignPublicIp") == "ENABLED",
                                         ec2.describe_route_tables(Filters=where)["RouteTables"],
                                         ec2.describe_vpc_endpoints(Filters=where)["VpcEndpoints"]))
            else:
                out.append(v.route_check([], False, [], []))
        except Exception as e:  # pylint: disable=broad-except
            out.append(v.check(v.ROUTE, v.NOT_CHECKED, "could not read the subnets' routes: %s" % to_native(e)))
        events = None
        try:
            if group:
                if any(g["logGroupName"] == group for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]):
                    events = logs.filter_log_events(logGroupName=group, filterPattern="ERROR", limit=limit,
                                                    startTime=int((time.time() - minutes * 60) * 1000))["events"]
            out.append(v.log_errors_check(group, events, minutes, limit))
        except Exception as e:  # pylint: disable=broad-except
            out.append(v.check(v.LOG_ERRORS, v.NOT_CHECKED, "could not read %s: %s" % (group, to_native(e))))
        return out

    def _finish(self, result, report):
        # module_runs: the read-only modules this action ran (0 when this run's roles reported everything)
        result.update(changed=False, report=report, checks=v.summary(report), module_runs=self.module_runs,
                      failed_checks=["%s: %s" % (c["check"], c["detail"]) for c in v.failed(report)],
                      ansible_facts={"ecs_verify_report": report},
                      # the report is printed, as a debug task's result is ("<status> | <check> | <detail>")
                      lines=["%s | %s | %s" % (c["status"], c["check"], c["detail"]) for c in report],
                      _ansible_verbose_always=True)
        return result

    def _role_state(self, arn, aws, task_vars):
        """{attached, documents} of the role as it is, or None when it does not exist."""
        name = arn.split("/")[-1]
        found = self._read("amazon.aws.iam_role_info", dict(name=name), aws, task_vars)
        if found.get("failed"):
            raise AnsibleActionFail("ecs_verify: could not read the role %s: %s" % (name, to_native(found.get("msg"))))
        roles = found.get("iam_roles") or []
        if not roles:
            return None
        policies = self._read("amazon.aws.iam_policy_info", dict(iam_type="role", iam_name=name), aws, task_vars)
        if policies.get("failed"):
            raise AnsibleActionFail("ecs_verify: could not read the inline policies of %s: %s" % (name, to_native(policies.get("msg"))))
        return {"attached": [p["policy_arn"] for p in roles[0].get("managed_policies") or []],
                "documents": [p["policy_document"] for p in policies.get("policies") or []]}
