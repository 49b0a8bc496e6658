"""Flow runs at scale with the real prefect-aws ECS worker, on a site configured only by site.yml
(issue 6). The same experiments run with N=100 in `make bench` (scripts/bench.py).

- pinned: N runs register no task definition (the unpinned count is printed beside it) and make N
  RunTask calls, each with the site's cluster, subnets, security groups, assignPublicIp, flow-run task
  role and pinned definition;
- a pool concurrency limit L < N: never more than L runs submitted at once, and finishing runs
  through the API lets the next ones go out;
- a STOPPED event with exit code 1 sent through EventBridge: the worker's observer marks the run Crashed;
- every AWS action the worker and its observer made is allowed by the worker task role's policies
  for the resource it touched.
"""
from __future__ import annotations

import pytest

from stacktools import flow_runs as fr

N = 5
LIMIT = 2


@pytest.fixture(scope="module")
def scale_site():
    site = fr.converge(fr.unique_site("it-scale"), ecs_iam_flow_run_task_role_create=True)
    harness = fr.Harness(site)
    harness.start_mark = harness.proxy.mark()
    harness.worker.start()
    try:
        harness.worker.wait_online()
        yield harness
    finally:
        harness.worker.stop()
        harness.delete_flow()
        fr.teardown(site)


def test_pinned_runs_register_no_task_definition_and_carry_the_sites_settings(scale_site):
    result = fr.pinned_and_unpinned(scale_site, N, timeout=300)
    print({k: v for k, v in result.items() if k != "run_task_calls"})
    assert result["pinned_task_definition"], "site.yml left the pool's task_definition_arn unpinned"
    assert result["register_task_definition_pinned"] == 0
    assert result["run_task"] == N
    # without the pin the same worker registers a definition of its own (printed beside the pinned count)
    assert result["register_task_definition_unpinned"] >= 1
    assert fr.run_task_mismatches(scale_site.site, result["run_task_calls"]) == []
    defaults = scale_site.site.defaults
    assert defaults["network_configuration"]["assignPublicIp"] == "DISABLED"
    assert defaults["task_role_arn"] == scale_site.site.summary["flow_run_task_role"] != ""


def test_a_stopped_task_with_exit_code_1_is_marked_crashed_by_the_observer(scale_site):
    result = fr.crash(scale_site)
    assert result["observer_marked_crashed"] is True


@pytest.mark.slow
def test_the_pool_concurrency_limit_caps_the_runs_in_flight(scale_site):
    site = fr.converge(scale_site.site.name, ecs_iam_flow_run_task_role_create=True,
                       prefect_work_pools_concurrency_limit=LIMIT)
    assert scale_site.api.ok("GET", f"/work_pools/{site.name}")["concurrency_limit"] == LIMIT
    result = fr.concurrency(scale_site, N, LIMIT, settle=8)
    print(result)
    assert result["max_in_flight"] == LIMIT
    # finishing runs let the others out: every run was submitted in the end
    assert result["limited_run_task"] == N


def test_every_action_the_worker_made_is_allowed_by_its_task_role(scale_site):
    actions = fr.worker_actions(scale_site, scale_site.start_mark)
    print(actions)
    # the worker and its observer really worked through ECS, EC2 and SQS in this module's tests
    assert {"ecs:RunTask", "ecs:DescribeTasks", "sqs:ReceiveMessage"} <= set(actions)
    assert fr.worker_actions_not_allowed(scale_site, scale_site.start_mark) == []


def test_the_permission_check_names_an_action_the_policy_lacks(scale_site):
    """The check above can fail: without the observer's SQS statement its ReceiveMessage is reported."""
    iam = fr.aws_client("iam", direct=True)
    role = scale_site.site.summary["worker_task_role"].rsplit("/", 1)[-1]
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    original = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    trimmed = dict(original, Statement=[s for s in original["Statement"] if "sqs:ReceiveMessage" not in s["Action"]])
    iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=fr.json.dumps(trimmed))
    try:
        missing = fr.worker_actions_not_allowed(scale_site, scale_site.start_mark)
    finally:
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=fr.json.dumps(original))
    assert any(m.startswith("sqs:ReceiveMessage on arn:") for m in missing), missing
