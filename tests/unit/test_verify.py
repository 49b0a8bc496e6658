"""The checks of ecs_verify (plugins/module_utils/verify.py): pure functions, no AWS."""
from __future__ import annotations

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import verify as v

CLUSTER = "arn:aws:ecs:eu-west-1:111122223333:cluster/site"
QUEUE = "arn:aws:sqs:eu-west-1:111122223333:site-events"
EXECUTION = "arn:aws:iam::111122223333:role/site-execution"
WORKER = "arn:aws:iam::111122223333:role/site-worker"
MANAGED = v.EXECUTION_POLICY % "aws"


def allow(action, resource):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}


def worker_role(requirements, cluster_known=True):
    return {"label": "worker task role", "variable": "ecs_verify_worker_task_role_arn", "arn": WORKER, "managed": [],
            "requirements": requirements, "cluster_known": cluster_known}


RECEIVE = [{"action": "sqs:ReceiveMessage", "resource": QUEUE, "why": "the observer reads events"}]


def test_placeholders_are_filled_from_the_cluster_arn_and_the_other_values():
    values = v.placeholder_values(CLUSTER, EXECUTION, "", QUEUE, "", "/prefect/site/flow-runs")
    assert v.expand("arn:<partition>:ecs:<region>:<account>:task/<cluster>/*", values) == \
        "arn:aws:ecs:eu-west-1:111122223333:task/site/*"
    assert v.expand("arn:<partition>:logs:<region>:<account>:log-group:<flow_runs_log_group>:log-stream:*", values) == \
        "arn:aws:logs:eu-west-1:111122223333:log-group:/prefect/site/flow-runs:log-stream:*"
    assert v.expand("<flow_run_task_role>", values) == ""  # no value: resource unknown
    assert v.expand("*", values) == "*"


def test_optional_requirements_without_a_value_are_dropped_the_others_kept_unknown():
    values = v.placeholder_values("", EXECUTION, "", QUEUE, "", "")
    got = v.worker_requirements([
        {"action": "iam:PassRole", "resource": "<flow_run_task_role>", "optional": True},
        {"action": "ecs:RunTask", "resource": "arn:<partition>:ecs:<region>:<account>:task-definition/*"},
        {"action": "iam:PassRole", "resource": "<execution_role>"},
    ], values)
    assert got == [{"action": "ecs:RunTask", "resource": ""}, {"action": "iam:PassRole", "resource": EXECUTION}]


@pytest.mark.parametrize("items, fragment", [
    ("not a list", "must be a list"),
    ([{"action": "ecs:RunTask"}], "[0] must be a mapping with `action` and `resource`"),
    (["ecs:RunTask"], "[0] must be a mapping"),
    ([{"action": "a:b", "resource": "*"}, {"action": "a:b", "resource": "arn:<partiton>:x"}],
     "[1]: unknown placeholder(s) <partiton>"),
])
def test_requirement_problems_name_the_item_and_the_fix(items, fragment):
    problems = v.requirement_problems(items)
    assert len(problems) == 1 and fragment in problems[0], problems


def test_requirement_problems_accepts_every_documented_placeholder():
    assert v.requirement_problems([{"action": "a:b", "resource": "<%s>" % p} for p in v.PLACEHOLDERS]) == []


def test_a_role_that_allows_what_is_needed_passes_and_one_missing_an_action_fails_naming_it():
    assert v.role_status(worker_role(RECEIVE), {"attached": [], "documents": [allow("sqs:*", QUEUE)]})[0] == v.PASS
    status, text = v.role_status(worker_role(RECEIVE), {"attached": [], "documents": [allow("sqs:SendMessage", QUEUE)]})
    assert status == v.FAIL
    assert "sqs:ReceiveMessage on %s is not allowed (the observer reads events)" % QUEUE in text


def test_a_missing_managed_policy_fails_and_an_explicit_deny_is_named():
    role = {"label": "execution role", "variable": "v", "arn": EXECUTION, "managed": [MANAGED], "requirements": []}
    status, text = v.role_status(role, {"attached": [], "documents": []})
    assert status == v.FAIL and "AmazonECSTaskExecutionRolePolicy is not attached (attach %s)" % MANAGED in text
    deny = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
        {"Sid": "No", "Effect": "Deny", "Action": "sqs:ReceiveMessage", "Resource": "*"}]}
    status, text = v.role_status(worker_role(RECEIVE), {"attached": ["arn:aws:iam::aws:policy/Other"], "documents": [deny]})
    assert status == v.FAIL and "is denied by No" in text


def test_a_missing_action_with_other_managed_policies_attached_is_not_checked():
    status, text = v.role_status(worker_role(RECEIVE), {"attached": ["arn:aws:iam::aws:policy/Other"], "documents": []})
    assert status == v.NOT_CHECKED and "attached managed policies not read" in text


def test_unknown_cluster_or_resource_is_not_checked():
    state = {"attached": [], "documents": [allow("*", "*")]}
    assert v.role_status(worker_role(RECEIVE, cluster_known=False), state)[0] == v.NOT_CHECKED
    status, text = v.role_status(worker_role([{"action": "ecs:RunTask", "resource": ""}]), state)
    assert status == v.NOT_CHECKED and "resource unknown: ecs:RunTask" in text


def test_check_mode_a_failing_role_that_ecs_iam_would_fix_is_would_be_fixed():
    broken = {"attached": [], "documents": []}
    fixed = {"attached": [], "documents": [allow("sqs:ReceiveMessage", QUEUE)]}
    status, text = v.role_check(worker_role(RECEIVE), broken, fixed, check_mode=True)
    assert status == v.WOULD_BE_FIXED and "is not allowed" in text and "ecs_iam role would fix it" in text
    # not in check mode, or not ecs_iam's role (no prediction), or still failing as ecs_iam leaves it: a failure
    assert v.role_check(worker_role(RECEIVE), broken, fixed, check_mode=False)[0] == v.FAIL
    assert v.role_check(worker_role(RECEIVE), broken, None, check_mode=True)[0] == v.FAIL
    assert v.role_check(worker_role(RECEIVE), broken, broken, check_mode=True)[0] == v.FAIL


def test_a_role_not_read_is_checked_as_reported_and_a_missing_one_as_the_mode_says():
    fixed = {"attached": [], "documents": [allow("sqs:ReceiveMessage", QUEUE)]}
    assert v.role_check(worker_role(RECEIVE), "unread", fixed, check_mode=False)[0] == v.PASS
    status, text = v.role_check(worker_role(RECEIVE), None, fixed, check_mode=True)
    assert status == v.NOT_CHECKED and "would create it" in text
    assert v.role_check(worker_role(RECEIVE), None, None, check_mode=False)[0] == v.FAIL


def test_the_roles_check_takes_the_worst_status():
    assert v.roles_check([(v.PASS, "a"), (v.WOULD_BE_FIXED, "b"), (v.NOT_CHECKED, "c")])["status"] == v.WOULD_BE_FIXED
    assert v.roles_check([(v.PASS, "a"), (v.FAIL, "b"), (v.WOULD_BE_FIXED, "c")]) == {
        "check": v.ROLES, "status": v.FAIL, "detail": "a. b. c"}


PIPELINE_BROKEN = {"exists": True, "healthy": False, "failed_checks": ["rule_targets_queue"],
                   "checks": [{"name": "rule_targets_queue", "status": "fail", "detail": "no target"}],
                   "dead_letter_queue": {"messages_visible": 0}}


def test_pipeline_would_be_fixed_only_in_check_mode_when_this_run_changes_it():
    assert v.pipeline_checks(PIPELINE_BROKEN, False, True)[0]["status"] == v.WOULD_BE_FIXED
    assert v.pipeline_checks(PIPELINE_BROKEN, False, False)[0] == {"check": v.PIPELINE, "status": v.FAIL, "detail": "no target"}
    healthy = dict(PIPELINE_BROKEN, healthy=True, failed_checks=[], unknown_checks=["rule_pattern"])
    assert v.pipeline_checks(healthy, False, False)[0]["detail"] == "all parts present and wired (not answered by this endpoint: rule_pattern)"
    assert v.pipeline_checks({}, True, True)[0]["status"] == v.NOT_CHECKED


def test_dead_letters_fail_and_no_pipeline_is_not_checked():
    full = dict(PIPELINE_BROKEN, dead_letter_queue={"messages_visible": 3})
    assert v.pipeline_checks(full, False, True)[1] == {"check": v.DEAD_LETTERS, "status": v.FAIL,
                                                       "detail": "3 messages in the dead-letter queue"}
    assert v.pipeline_checks({"exists": False}, False, False)[1]["status"] == v.NOT_CHECKED


def test_service_checks():
    active = {"serviceName": "w", "status": "ACTIVE", "runningCount": 1, "desiredCount": 2, "pendingCount": 1,
              "events": [{"message": "unable to pull"}]}
    got = v.service_checks(active, "w in cluster c", "", False, False, False)
    assert got[0]["status"] == v.PASS and got[1]["status"] == v.FAIL and '("unable to pull")' in got[1]["detail"]
    assert v.service_checks(active, "w", "", False, False, True)[1]["status"] == v.NOT_CHECKED  # emulated
    missing = v.service_checks({}, "w in cluster c", "", True, False, False)
    assert missing[0]["status"] == v.FAIL and "(nor the cluster)" in missing[0]["detail"]
    assert missing[1]["status"] == v.NOT_CHECKED
    assert v.service_checks({}, "w", "", False, True, False)[0]["status"] == v.NOT_CHECKED  # check mode: would create
    assert "could not read" in v.service_checks({}, "w", "AccessDenied", False, False, False)[0]["detail"]
    draining = v.service_checks(dict(active, status="DRAINING"), "w", "", False, False, False)[0]
    assert draining["status"] == v.FAIL and "DRAINING" in draining["detail"]


def test_task_definition_check():
    arn = "arn:aws:ecs:eu-west-1:111122223333:task-definition/w:3"
    ok = {"task_definition_arn": arn, "status": "ACTIVE"}
    assert v.task_definition_check(ok, arn, {"x": 1}, arn, "w", False)["status"] == v.PASS
    other = v.task_definition_check(ok, arn, {"x": 1}, arn[:-1] + "4", "w", False)["detail"]
    assert "this run registered" in other
    gone = v.task_definition_check(dict(ok, status="INACTIVE"), arn, {"x": 1}, arn, "w", False)
    assert gone["status"] == v.FAIL and "INACTIVE (deregistered)" in gone["detail"]
    assert v.task_definition_check(None, "", {}, "", "w", False)["status"] == v.FAIL
    assert v.task_definition_check(None, arn, {}, arn, "w", True)["status"] == v.NOT_CHECKED


def test_worker_check_and_summary():
    assert v.worker_check("p", 0, False, None)["status"] == v.NOT_CHECKED
    assert v.worker_check("p", 60, True, None)["status"] == v.NOT_CHECKED
    assert v.worker_check("p", 60, False, {"online_workers": 1, "workers": [{"name": "w1"}]})["detail"] == "w1 online"
    failed = v.worker_check("p", 60, False, {"online_workers": 0})
    assert failed == {"check": "worker online in pool p", "status": v.FAIL, "detail": failed["detail"]}
    report = [v.check("a", v.PASS, "fine"), failed]
    assert v.summary(report) == {"a": "pass", "worker online in pool p": "fail: " + failed["detail"]}
    assert v.failed(report) == [failed]


def test_a_failed_check_of_an_object_this_run_would_change_would_be_fixed():
    gone = v.check(v.TASK_DEFINITION, v.FAIL, "x:1 is INACTIVE")
    fixed = v.would_be_fixed(gone, "ecs_worker_service", True)
    assert fixed == {"check": v.TASK_DEFINITION, "status": v.WOULD_BE_FIXED,
                     "detail": "x:1 is INACTIVE; this run's ecs_worker_service role would fix it"}
    assert v.would_be_fixed(gone, "ecs_worker_service", False) == gone
    passed = v.check(v.SERVICE, v.PASS, "ACTIVE")
    assert v.would_be_fixed(passed, "ecs_worker_service", True) == passed


# -- the rest of the guide's list (issue 18, item 4): each check made to fail ----------------------------------
URL = "https://api.prefect.cloud/api/accounts/a/workspaces/w"
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prefect-ops/prod/PREFECT_API_KEY-abcdef"


def worker(env=None, secrets=None):
    return {"name": "prefect-worker",
            "environment": [{"name": k, "value": val} for k, val in (env or {}).items()],
            "secrets": [{"name": k, "value_from": val} for k, val in (secrets or {}).items()]}


GOOD_ENV = {"PREFECT_API_URL": URL, v.OBSERVER_QUEUE_VARIABLE: "prod-events"}


def test_wiring_passes_for_the_sites_url_credential_and_queue():
    result = v.wiring_check(worker(GOOD_ENV, {"PREFECT_API_KEY": SECRET}), URL, "api_key", SECRET, "prod-events")
    assert result["status"] == v.PASS, result


@pytest.mark.parametrize("env,secrets,kind,fragment", [
    (dict(GOOD_ENV, PREFECT_API_URL="http://old:4200/api"), {"PREFECT_API_KEY": SECRET}, "api_key",
     "PREFECT_API_URL is http://old:4200/api"),
    (GOOD_ENV, {"PREFECT_API_KEY": SECRET}, "auth_string",
     "no secret PREFECT_API_AUTH_STRING, the credential of a self-hosted server with basic auth; it has PREFECT_API_KEY"),
    (dict(GOOD_ENV, PREFECT_API_KEY="pnu_x"), {"PREFECT_API_KEY": SECRET}, "api_key", "PREFECT_API_KEY is in the plain environment"),
    (GOOD_ENV, {"PREFECT_API_KEY": SECRET.replace("prod", "dev")}, "api_key", "not from the site's secret"),
    ({"PREFECT_API_URL": URL}, {"PREFECT_API_KEY": SECRET}, "api_key",
     v.OBSERVER_QUEUE_VARIABLE + " is not set, the event pipeline's queue is prod-events"),
])
def test_wiring_fails_naming_what_is_wrong(env, secrets, kind, fragment):
    result = v.wiring_check(worker(env, secrets), URL, kind, SECRET, "prod-events")
    assert result["status"] == v.FAIL and fragment in result["detail"], result["detail"]


def table(subnets, target=None, main=False):
    routes = [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}]
    if target:
        routes.append({"DestinationCidrBlock": "0.0.0.0/0", ("NatGatewayId" if target.startswith("nat-") else "GatewayId"): target})
    return {"Routes": routes, "Associations": [{"SubnetId": s} for s in subnets] + ([{"Main": True}] if main else [])}


def test_route_out_through_nat_or_endpoints_passes_and_a_dead_end_fails():
    assert v.route_check(["s1"], False, [table(["s1"], "nat-1")], [])["status"] == v.PASS
    assert v.route_check(["s1"], True, [table([], "igw-1", main=True)], [])["status"] == v.PASS
    endpoints = [{"ServiceName": "com.amazonaws.eu-west-1.ecr.dkr"}]
    via = v.route_check(["s1"], False, [table(["s1"])], endpoints)
    assert via["status"] == v.PASS and "VPC endpoints (ecr.dkr;" in via["detail"]
    no_ip = v.route_check(["s1"], False, [table(["s1"], "igw-1")], [])
    assert no_ip["status"] == v.FAIL and "assignPublicIp DISABLED" in no_ip["detail"]
    dead = v.route_check(["s1", "s2"], False, [table(["s1"], "nat-1"), table([], main=True)], [])
    assert dead["status"] == v.FAIL and dead["detail"].startswith("s2: no default route")
    assert v.route_check([], False, [], [])["status"] == v.NOT_CHECKED


def test_recent_error_lines_fail_with_their_count_and_the_first_line():
    events = [{"message": "12:00:01.000 | ERROR   | prefect.worker - Failed to submit flow run\ntraceback"},
              {"message": "ERROR again"}]
    result = v.log_errors_check("/prefect/prod/worker", events, 60, 50)
    assert result["status"] == v.FAIL
    assert result["detail"].startswith("2 ERROR line(s)") and result["detail"].endswith("Failed to submit flow run")
    assert v.log_errors_check("/prefect/prod/worker", [], 60, 50)["status"] == v.PASS
    assert v.log_errors_check("/prefect/prod/worker", None, 60, 50)["status"] == v.NOT_CHECKED
    assert "50 or more" in v.log_errors_check("g", [{"message": "ERROR"}] * 50, 60, 50)["detail"]
