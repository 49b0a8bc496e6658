"""Shared helper of the ECS module tests (test_ecs_task_definition, test_ecs_service, test_ecs_gaps):
run a sequence of module tasks in ONE ansible-playbook and attribute the proxy's record of AWS
calls to each task, so a check -> apply -> check -> apply sequence costs one playbook start.

Tasks run one after the other on one host; the json callback gives each task's start time and the
proxy gives each call's arrival time, so a call belongs to the last task that started before it. The
shared stack may serve other clients at the same time (a worker's observer polls its queue), so only
calls that name `marker` (the test's unique name, in every family, cluster and service name) or ask
who the caller is are counted.
"""
from __future__ import annotations

import datetime
import json
import os

from stacktools.ansible_run import run_playbook
from stacktools.stack import ProxyControl


def step(module: str, args: dict, check: bool = False, diff: bool = True) -> dict:
    return {"module": module, "args": args, "check": check, "diff": diff}


def _epoch(stamp: str) -> float:
    return datetime.datetime.fromisoformat(stamp.rstrip("Z")).replace(tzinfo=datetime.timezone.utc).timestamp()


def run_steps(steps: list[dict], marker: str, env: dict | None = None) -> list[dict]:
    """Run the steps in order (a failing step does not stop the next); return each step's result with
    `calls` (its AWS calls) and `mutating` (the mutating ones that were not injected faults)."""
    proxy = ProxyControl(os.environ["AWS_ENDPOINT_URL"])
    tasks = [{"name": f"step {i}", item["module"]: item["args"], "check_mode": item["check"], "diff": item["diff"],
              "ignore_errors": True} for i, item in enumerate(steps)]
    play = [{"name": "module steps", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    mark = proxy.mark()
    res = run_playbook(play, inventory="localhost,", env=env, args=["-c", "local"])
    try:
        results = [res.task(f"step {i}") for i in range(len(steps))]
        starts = [_epoch(t["task"]["duration"]["start"]) for t in res.data["plays"][0]["tasks"]]
    except (KeyError, IndexError) as exc:
        raise AssertionError(f"ansible-playbook rc={res.rc}\nstdout:\n{res.stdout[-4000:]}\nstderr:\n{res.stderr[-4000:]}") from exc
    assert len(starts) == len(steps)
    bounds = starts[1:] + [float("inf")]
    calls = [c for c in proxy.calls(mark)
             if c.get("aws") and (c["action"] == "GetCallerIdentity" or marker in json.dumps(c["params"]))]
    for i, result in enumerate(results):
        mine = [c for c in calls if starts[i] <= c["ts"] < bounds[i]]
        result["calls"] = mine
        result["mutating"] = [c for c in mine if c["mutating"] and not c["fault"]]
    return results


def actions(result: dict) -> list[str]:
    """The mutating AWS actions a step made, in order."""
    return [c["action"] for c in result["mutating"]]


def changed(results: list[dict]) -> list[bool]:
    return [bool(r.get("changed")) for r in results]


def assert_ok(results: list[dict]) -> None:
    failed = [(i, r.get("msg")) for i, r in enumerate(results) if r.get("failed")]
    assert not failed, failed


def test_steps_are_attributed_their_own_calls(aws, unique):
    """The helper itself: a check step makes no mutating call, an apply step's calls are its own."""
    args = {"log_group_name": f"/prefect/{unique}/helper", "retention": 1}
    results = run_steps([step("amazon.aws.cloudwatchlogs_log_group", args, check=True),
                         step("amazon.aws.cloudwatchlogs_log_group", args)], unique)
    assert_ok(results)
    assert changed(results) == [True, True]
    assert results[0]["mutating"] == []
    assert "CreateLogGroup" in actions(results[1])
    aws("logs", direct=True).delete_log_group(logGroupName=args["log_group_name"])
