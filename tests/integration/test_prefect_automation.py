"""prefect_automation and the site's stuck-run guards on the local Prefect server (issue 18, item 1).

- The module converges, re-runs with changed=0, predicts in check mode without writing, puts back a key edited in
  the UI and rewrites an automation when the task drops a key; a hand-made automation of the same name is neither
  changed nor deleted; two automations of one name carrying the collection's tag fail the task, naming both.
- The guards, with short thresholds (a proactive trigger needs within >= 10 s and the server evaluates them every
  5 s): a run left Pending in a guarded pool is moved to Crashed by the server's own triggers service, a run left
  Cancelling to Cancelled; a run of another pool stays Pending.
"""
from __future__ import annotations

import time

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import prefect_automation as pa
from stacktools.ansible_run import run_module

MODULE = "prefect_ops.ecs.prefect_automation"


def automations(prefect, name: str) -> list[dict]:
    return [a for a in prefect.ok("POST", "/automations/filter", {}) if a["name"] == name]


def spec(name: str, pool: str, within: int = 60) -> dict:
    return {"name": name, "trigger": {
        "type": "event", "posture": "Proactive", "match": {"prefect.resource.id": "prefect.flow-run.*"},
        "match_related": {"prefect.resource.role": "work-pool", "prefect.resource.name": [pool]},
        "after": ["prefect.flow-run.Pending"], "expect": ["prefect.flow-run.*"], "for_each": ["prefect.resource.id"],
        "threshold": 1, "within": within},
        "actions": [{"type": "change-flow-run-state", "state": "CRASHED", "message": "stuck"}]}


def test_the_module_converges_and_leaves_automations_that_are_not_its_own(prefect, unique):
    name = f"it-auto-{unique}"
    handmade = prefect.ok("POST", "/automations/", dict(spec(name, "elsewhere"), description="made in the UI"))
    try:
        check = run_module(MODULE, {"automations": [spec(name, "p1")]}, check=True, diff=True)
        assert check["changed"] is True and check["changes"] == {name: ["state"]}
        assert len(automations(prefect, name)) == 1  # nothing written: only the hand-made one
        first = run_module(MODULE, {"automations": [spec(name, "p1")]})
        assert first["changed"] is True
        ours = [a for a in automations(prefect, name) if pa.owned(a)]
        assert len(ours) == 1 and ours[0]["trigger"]["within"] == 60
        assert run_module(MODULE, {"automations": [spec(name, "p1")]})["changed"] is False
        # an edit in the UI of a key the task sets is put back
        edited = dict(ours[0], trigger=dict(ours[0]["trigger"], within=15))
        prefect.request("PUT", f"/automations/{ours[0]['id']}",
                        {k: v for k, v in edited.items() if k not in ("id", "created", "updated")})
        back = run_module(MODULE, {"automations": [spec(name, "p1")]}, diff=True)
        assert back["changed"] is True and back["changes"] == {name: ["trigger"]}
        assert [a for a in automations(prefect, name) if pa.owned(a)][0]["trigger"]["within"] == 60
        # a key the task no longer gives (the description) is caught by the digest
        run_module(MODULE, {"automations": [dict(spec(name, "p1"), description="one")]})
        dropped = run_module(MODULE, {"automations": [spec(name, "p1")]})
        assert dropped["changed"] is True and "description" in dropped["changes"][name]
        # the hand-made one was never touched, and state=absent leaves it
        gone = run_module(MODULE, {"automations": [{"name": name}], "state": "absent"})
        assert gone["changed"] is True
        (left,) = automations(prefect, name)
        assert left["id"] == handmade["id"] and left["description"] == "made in the UI"
        assert left["trigger"]["match_related"]["prefect.resource.name"] == ["elsewhere"]
    finally:
        for a in automations(prefect, name):
            prefect.request("DELETE", f"/automations/{a['id']}")


def test_two_owned_automations_of_one_name_fail_naming_both(prefect, unique):
    name = f"it-auto-twice-{unique}"
    ids = [prefect.ok("POST", "/automations/", dict(spec(name, "p"), tags=[pa.OWNER_TAG]))["id"] for _copy in range(2)]
    try:
        result = run_module(MODULE, {"automations": [spec(name, "p")]})
        assert result["failed"] and all(i in result["msg"] for i in ids), result["msg"]
        bad = run_module(MODULE, {"automations": [spec(name, "p", within=5)]})
        assert bad["failed"] and "automations[0].trigger.within" in bad["msg"]
    finally:
        for automation_id in ids:
            prefect.request("DELETE", f"/automations/{automation_id}")


def _run_in(prefect, flow_id: str, pool: str, state: str) -> str:
    if prefect.request("GET", f"/work_pools/{pool}")[0] != 200:
        prefect.ok("POST", "/work_pools/", {"name": pool, "type": "process"})
    deployment = prefect.ok("POST", "/deployments/", {"name": f"d-{pool}", "flow_id": flow_id, "work_pool_name": pool,
                                                      "entrypoint": "flows/hello.py:hello"})["id"]
    run_id = prefect.ok("POST", f"/deployments/{deployment}/create_flow_run", {})["id"]
    for step in (["PENDING", "RUNNING", "CANCELLING"] if state == "CANCELLING" else ["PENDING"]):
        prefect.ok("POST", f"/flow_runs/{run_id}/set_state", {"state": {"type": step}, "force": True})
        time.sleep(2)  # distinct event times: a real run's states are seconds apart at least
    return run_id


@pytest.mark.slow(1)
def test_the_guards_finish_stuck_runs_of_the_sites_pools_only(prefect, unique):
    site, guarded, other = f"it-guard-{unique}", f"it-guard-{unique}", f"it-other-{unique}"
    guards = pa.stuck_run_guards(site, [guarded], 10, 10)
    assert run_module(MODULE, {"automations": guards})["changed"] is True
    flow_id = prefect.ok("POST", "/flows/", {"name": f"it-guard-{unique}"})["id"]
    try:
        pending = _run_in(prefect, flow_id, guarded, "PENDING")
        cancelling = _run_in(prefect, flow_id, guarded, "CANCELLING")
        elsewhere = _run_in(prefect, flow_id, other, "PENDING")

        def state(run_id):
            return prefect.ok("GET", f"/flow_runs/{run_id}")["state"]
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and (state(pending)["type"] == "PENDING" or state(cancelling)["type"] == "CANCELLING"):
            time.sleep(2)
        assert state(pending)["type"] == "CRASHED" and "Pending for 10 s" in state(pending)["message"]
        assert state(cancelling)["type"] == "CANCELLED"
        assert state(elsewhere)["type"] == "PENDING"  # another pool's run is not the site's guard's business
    finally:
        prefect.request("DELETE", f"/flows/{flow_id}")
        run_module(MODULE, {"automations": [{"name": n} for n in pa.guard_names(site)], "state": "absent"})
        for pool in (guarded, other):
            prefect.request("DELETE", f"/work_pools/{pool}")
