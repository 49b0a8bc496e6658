"""prefect_ops.ecs.prefect_work_queue and prefect_work_pool_info against the real local Prefect server."""
from __future__ import annotations

import pytest

from stacktools.ansible_run import run_module
from stacktools.stack import PatientPrefectAPI
from stacktools.prefect_converge import changed, converge, phases, run_each

QUEUE = "prefect_ops.ecs.prefect_work_queue"
INFO = "prefect_ops.ecs.prefect_work_pool_info"
PREDICTED = ("name", "description", "is_paused", "priority", "concurrency_limit")

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def prefect(stack):
    """The stack's Prefect REST client for setup and read-back, patient with a locked SQLite database."""
    return PatientPrefectAPI()


@pytest.fixture()
def pool(prefect, unique):
    name = f"qpool-{unique}"
    prefect.ok("POST", "/work_pools/", {"name": name, "type": "process"})
    yield name
    prefect.delete_pool(name)


def read_queue(prefect, pool, name):
    status, body = prefect.request("GET", f"/work_pools/{pool}/queues/{name}")
    return body if status == 200 else None


def assert_prediction(check, apply):
    for key in PREDICTED:
        assert check["work_queue"].get(key) == apply["work_queue"].get(key), key
    assert check["diff"] == apply["diff"] and check["changes"] == apply["changes"]


def test_create_queue(prefect, pool):
    results = converge(QUEUE, {"name": "critical", "work_pool": pool})
    assert changed(results) == [True, True, False, False]
    assert results[1]["diff"]["before"] == {"state": "absent"}
    queue = read_queue(prefect, pool, "critical")
    assert queue is not None and results[3]["work_queue"]["id"] == queue["id"]


def test_create_queue_with_every_option(prefect, pool):
    args = {"name": "critical", "work_pool": pool, "priority": 1, "concurrency_limit": 3, "paused": True,
            "description": "the important runs"}
    results = converge(QUEUE, args)
    assert changed(results) == [True, True, False, False]
    assert_prediction(results[0], results[1])
    queue = read_queue(prefect, pool, "critical")
    # the ownership mark (module_utils.ownership) is appended to the description of a queue this module creates
    assert (queue["priority"], queue["concurrency_limit"], queue["is_paused"], queue["description"]) == (
        1, 3, True, "the important runs (managed by prefect_ops.ecs)")


@pytest.mark.parametrize("option,api_key,first,second", [
    ("priority", "priority", 1, 3),
    ("concurrency_limit", "concurrency_limit", 4, 0),
    ("paused", "is_paused", True, False),
    ("description", "description", "one", ""),
])
def test_each_option_is_idempotent_and_check_mode_predicts(prefect, pool, option, api_key, first, second):
    prefect.ok("POST", f"/work_pools/{pool}/queues", {"name": "q"})  # priority 2, after the default queue
    both = phases(QUEUE, [{"name": "q", "work_pool": pool, option: value} for value in (first, second)])
    for results, value in zip(both, (first, second)):
        assert changed(results) == [True, True, False, False], value
        assert_prediction(results[0], results[1])
        assert results[1]["changes"] == [option]
        assert results[1]["work_queue"][api_key] == value  # read back after the change
    assert read_queue(prefect, pool, "q")[api_key] == second


def test_concurrency_limit_minus_one_removes_the_limit(prefect, pool):
    prefect.ok("POST", f"/work_pools/{pool}/queues", {"name": "q", "concurrency_limit": 2})
    results = converge(QUEUE, {"name": "q", "work_pool": pool, "concurrency_limit": -1})
    assert changed(results) == [True, True, False, False]
    assert results[1]["diff"] == {"before": {"concurrency_limit": 2}, "after": {"concurrency_limit": None}}
    assert read_queue(prefect, pool, "q")["concurrency_limit"] is None


def test_options_not_set_are_never_touched(prefect, pool):
    prefect.ok("POST", f"/work_pools/{pool}/queues", {"name": "q", "concurrency_limit": 2, "description": "ui",
                                                      "is_paused": True})
    results = converge(QUEUE, {"name": "q", "work_pool": pool, "priority": 1})
    assert changed(results) == [True, True, False, False]
    queue = read_queue(prefect, pool, "q")
    assert (queue["concurrency_limit"], queue["description"], queue["is_paused"]) == (2, "ui", True)


def test_absent_removes_only_that_queue_and_only_when_it_carries_the_mark(prefect, pool):
    converge(QUEUE, {"name": "gone", "work_pool": pool}, steps=("apply",))
    for name in ("stays", "by-hand"):
        prefect.ok("POST", f"/work_pools/{pool}/queues", {"name": name, "description": "made by hand"})
    results = converge(QUEUE, {"name": "gone", "work_pool": pool, "state": "absent"})
    assert changed(results) == [True, True, False, False]
    assert read_queue(prefect, pool, "gone") is None
    assert read_queue(prefect, pool, "stays") is not None and read_queue(prefect, pool, "default") is not None
    by_hand = converge(QUEUE, {"name": "by-hand", "work_pool": pool, "state": "absent"})
    assert changed(by_hand) == [False, False, False, False] and "not created by prefect_ops.ecs" in by_hand[1]["kept"]
    assert read_queue(prefect, pool, "by-hand")["description"] == "made by hand"


def test_default_queue_cannot_be_deleted_and_nothing_changes(prefect, pool):
    res = run_module(QUEUE, {"name": "default", "work_pool": pool, "state": "absent"})
    assert not res.get("failed") and not res["changed"]
    assert "default queue" in res["kept"] and "paused: true" in res["kept"]
    assert read_queue(prefect, pool, "default") is not None


def test_missing_pool_fails_clearly(prefect, unique):
    res = run_module(QUEUE, {"name": "q", "work_pool": f"nopool-{unique}"})
    assert res["failed"] and "does not exist" in res["msg"] and "prefect_work_pool" in res["msg"]
    absent = run_module(QUEUE, {"name": "q", "work_pool": f"nopool-{unique}", "state": "absent"})
    assert not absent.get("failed") and absent["changed"] is False


BAD_QUEUE_INPUT = [
    ({"name": "a&b"}, "name 'a&b' contains '&'"),
    ({"name": "q", "priority": 0}, "priority must be 1"),
    ({"name": "q", "concurrency_limit": -3}, "concurrency_limit must be 0 or more, or -1"),
    ({"name": "q", "work_pool": "x/y"}, "work_pool 'x/y' contains '/'"),
]


def test_bad_queue_input_fails_before_any_change(prefect, pool):
    results = run_each(QUEUE, [{"work_pool": pool, **args} for args, _fragment in BAD_QUEUE_INPUT])
    for (args, fragment), res in zip(BAD_QUEUE_INPUT, results):
        assert res.get("failed") and fragment in res["msg"], (args, res.get("msg"))
    assert [q["name"] for q in prefect.ok("POST", f"/work_pools/{pool}/queues/filter", {})] == ["default"]


# -- prefect_work_pool_info -------------------------------------------------------------------------

def make_run(prefect, pool, unique, state):
    flow = prefect.ok("POST", "/flows/", {"name": f"flow-{unique}"})
    dep = prefect.ok("POST", "/deployments/", {"name": f"dep-{unique}", "flow_id": flow["id"], "work_pool_name": pool})
    return prefect.ok("POST", f"/deployments/{dep['id']}/create_flow_run", {"state": state})


@pytest.fixture()
def flow_cleanup(prefect, unique):
    """Deletes the test's flow (with its deployments and flow runs) afterwards."""
    yield
    flow = prefect.ok("POST", "/flows/filter", {"flows": {"name": {"any_": [f"flow-{unique}"]}}})
    for item in flow:
        prefect.request("DELETE", f"/flows/{item['id']}")


def test_info_answers_is_my_worker_live(prefect, pool, unique, flow_cleanup):  # pylint: disable=unused-argument
    prefect.ok("POST", f"/work_pools/{pool}/queues", {"name": "second"})
    res = run_module(INFO, {"name": pool})
    assert not res.get("failed") and res["changed"] is False
    (info,) = res["work_pools"]
    assert info["online_workers"] == 0 and info["workers"] == []

    # a worker heartbeat, as `prefect worker start` sends it
    prefect.ok("POST", f"/work_pools/{pool}/workers/heartbeat", {"name": "w1", "heartbeat_interval_seconds": 30})
    make_run(prefect, pool, unique, {"type": "SCHEDULED", "name": "Late"})
    make_run(prefect, pool, unique, {"type": "PENDING", "name": "Pending"})
    make_run(prefect, pool, unique, {"type": "SCHEDULED", "name": "Scheduled"})
    res = run_module(INFO, {"name": pool}, check=True)
    (info,) = res["work_pools"]
    assert info["name"] == pool and info["type"] == "process"
    assert info["online_workers"] == 1 and info["status"] == "READY"
    (worker,) = info["workers"]
    assert worker["name"] == "w1" and worker["status"] == "ONLINE" and worker["last_heartbeat_time"]
    assert 0 <= worker["seconds_since_heartbeat"] < 60
    assert [q["name"] for q in info["queues"]] == ["default", "second"]
    assert info["flow_run_counts"] == {"late": 1, "scheduled": 2, "pending": 1, "running": 0}


def test_info_of_a_missing_pool_is_empty(unique):
    res = run_module(INFO, {"name": f"missing-{unique}"})
    assert not res.get("failed") and res["work_pools"] == []


def test_info_lists_every_pool_across_pages(prefect, unique):
    """More pools than one API page (200): none is cut off."""
    names = [f"page-{unique}-{i:03d}" for i in range(205)]
    try:
        for name in names:
            prefect.ok("POST", "/work_pools/", {"name": name, "type": "process"})
        # other test workers create and delete pools on the same server: compare the listing with the server's
        # count only when the count was the same before and after it (retried otherwise)
        for dummy in range(5):
            before = prefect.ok("POST", "/work_pools/count", {})
            res = run_module(INFO, {"workers": False, "queues": False, "flow_run_counts": False})
            if prefect.ok("POST", "/work_pools/count", {}) == before:
                break
        listed = [p["name"] for p in res["work_pools"]]
        assert set(names) <= set(listed)
        assert len(listed) == len(set(listed)) and len(listed) == before
        assert all(p["online_workers"] is None and "queues" not in p for p in res["work_pools"])
    finally:
        for name in names:
            prefect.delete_pool(name)
