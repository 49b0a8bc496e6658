"""prefect_ops.ecs.prefect_deployment against the real local Prefect server (auth on).

Options are driven check -> apply -> check -> apply (changed: true, true, false, false); the check
step's prediction is compared with what the apply step really returned (ids and timestamps aside);
the server is read back through its REST API to see what was really written. The Prefect fault proxy
(tests/stacktools/prefect_proxy.py) counts the calls a run made and injects 503s.
"""
from __future__ import annotations

import datetime
import json
import re
import urllib.parse

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect_templates import STOCK_TEMPLATES
from stacktools.ansible_run import run_module
from stacktools.prefect_converge import changed, converge, phases, run_each
from stacktools.prefect_proxy import build as build_prefect_proxy
from stacktools.proxy import start_in_thread
from stacktools.stack import ProxyControl

MOD = "prefect_ops.ecs.prefect_deployment"
ECS = STOCK_TEMPLATES["ecs"]["template"]
TASK_DEFINITION = "arn:aws:ecs:us-east-1:123456789012:task-definition/flows:7"
VOLATILE = ("id", "created", "updated", "flow_id", "work_queue_id", "labels", "last_polled", "deployment_id")

pytestmark = pytest.mark.stack


def q(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def read(prefect, flow: str, name: str) -> dict | None:
    status, body = prefect.request("GET", f"/deployments/name/{q(flow)}/{q(name)}")
    return body if status == 200 else None


def read_flow(prefect, flow: str) -> dict | None:
    status, body = prefect.request("GET", f"/flows/name/{q(flow)}")
    return body if status == 200 else None


FLOATING_DTSTART = re.compile(r"^DTSTART:(\d{8}T\d{6})\n(.*FREQ=(MINUTELY|SECONDLY)[^\n]*)$", re.S | re.I)
LEGACY_ANCHOR = datetime.datetime(2020, 1, 1)


def phase_of_recent_anchors(value):
    """`value` with each high-frequency rrule's floating DTSTART replaced by its phase (seconds past the
    2020-01-01 anchor, modulo the rule's period). The server anchors such a rule given without DTSTART at
    the most recent phase-equivalent minute (PrefectHQ/prefect#21362), so a check run and an apply run on
    either side of a period boundary store different anchors for the same occurrences; a wrong phase
    still differs."""
    if isinstance(value, dict):
        return {k: phase_of_recent_anchors(v) for k, v in value.items()}
    if isinstance(value, list):
        return [phase_of_recent_anchors(v) for v in value]
    match = FLOATING_DTSTART.match(value) if isinstance(value, str) else None
    if not match:
        return value
    parts = dict(p.split("=", 1) for p in match.group(2).upper().removeprefix("RRULE:").split(";") if "=" in p)
    if "COUNT" in parts:
        return value
    period = (1 if parts["FREQ"] == "SECONDLY" else 60) * int(parts.get("INTERVAL", "1"))
    anchor = datetime.datetime.strptime(match.group(1).upper(), "%Y%m%dT%H%M%S")
    return "PHASE:%d\n%s" % ((anchor - LEGACY_ANCHOR).total_seconds() % period, match.group(2))


def comparable(dep: dict, keep_anchor: bool = False) -> dict:
    """A deployment without what only the server can know: ids, timestamps, the anchor of an interval
    schedule given without one; schedules in a stable order (the server's order is its own)."""
    out = {k: v for k, v in dep.items() if k not in VOLATILE}
    gcl = out.get("global_concurrency_limit")
    if gcl:
        out["global_concurrency_limit"] = {k: v for k, v in gcl.items() if k not in ("id", "created", "updated", "name")}
    schedules = []
    for s in out.get("schedules") or []:
        s = {k: v for k, v in s.items() if k not in VOLATILE}
        if "anchor_date" in s["schedule"] and not keep_anchor:
            s["schedule"] = {k: v for k, v in s["schedule"].items() if k != "anchor_date"}
        schedules.append(phase_of_recent_anchors(s))
    out["schedules"] = sorted(schedules, key=lambda s: json.dumps(s, sort_keys=True))
    return out


def assert_prediction(check: dict, apply: dict) -> None:
    """Check mode predicted the deployment the apply step produced, with the same diff and changes."""
    assert comparable(check["deployment"]) == comparable(apply["deployment"])
    assert phase_of_recent_anchors(check["diff"]) == phase_of_recent_anchors(apply["diff"])
    assert check["changes"] == apply["changes"]


@pytest.fixture()
def pool(prefect, unique):
    """An ECS work pool with the stock prefect-aws template, deleted after the test."""
    name = f"deploy-pool-{unique}"
    prefect.ok("POST", "/work_pools/", {"name": name, "type": "ecs", "base_job_template": ECS})
    yield name
    prefect.delete_pool(name)


@pytest.fixture()
def flow(prefect, unique):
    """A flow name; the flow (and with it its deployments) is deleted after the test."""
    name = f"flow-{unique}"
    yield name
    found = read_flow(prefect, name)
    if found:
        prefect.request("DELETE", f"/flows/{found['id']}")


@pytest.fixture()
def base(pool, flow):
    """The options every test's deployment starts from."""
    return {"name": "nightly", "flow_name": flow, "entrypoint": "flows/etl.py:etl", "work_pool_name": pool}


@pytest.fixture()
def counting_proxy(stack):
    """The Prefect fault proxy in this process; its record shows every call a module made."""
    upstream = stack["PREFECT_API_URL"].rsplit("/api", 1)[0]
    server = build_prefect_proxy(upstream)
    start_in_thread(server)
    yield ProxyControl(f"http://127.0.0.1:{server.server_port}"), f"http://127.0.0.1:{server.server_port}/api"
    server.shutdown()


def writes(control) -> list[dict]:
    return [c for c in control.calls() if c["method"] != "GET"]


def test_create_check_mode_predicts_and_creates_nothing_then_converges(prefect, base, flow):
    args = {**base, "image": "flows:1.0", "work_queue_name": "etl",
            "job_variables": {"task_definition_arn": TASK_DEFINITION, "cpu": 1024, "env": {"LOG_LEVEL": "INFO"}},
            "parameters": {"full_refresh": False}, "tags": ["etl", "nightly"], "description": "nightly ETL",
            "version": "1.0", "enforce_parameter_schema": False,
            "schedules": [{"cron": "0 6 * * 1-5", "timezone": "Europe/Paris"}, {"interval": "PT1H"},
                          {"rrule": "FREQ=DAILY;BYHOUR=3", "active": False}, {"rrule": "FREQ=MINUTELY;INTERVAL=7"}],
            "concurrency_limit": 2, "concurrency_options": {"collision_strategy": "CANCEL_NEW"},
            "pull_steps": [{"prefect.deployments.steps.set_working_directory": {"directory": "/opt/flows"}}]}
    check = run_module(MOD, args, check=True, diff=True)
    assert check["changed"] and not check.get("failed"), check.get("msg")
    assert check["deployment"]["id"] is None and check["changes"] == ["state"]
    assert read(prefect, flow, "nightly") is None and read_flow(prefect, flow) is None  # nothing created, not even the flow

    results = converge(MOD, args)
    assert changed(results) == [True, True, False, False]
    assert_prediction(check, results[1])
    assert_prediction(results[0], results[1])
    created = read(prefect, flow, "nightly")
    assert results[1]["deployment"]["id"] == created["id"] and results[3]["deployment"]["id"] == created["id"]
    assert created["flow_id"] == read_flow(prefect, flow)["id"]
    assert (created["work_pool_name"], created["work_queue_name"]) == (base["work_pool_name"], "etl")
    assert created["job_variables"] == {"task_definition_arn": TASK_DEFINITION, "cpu": 1024,
                                        "env": {"LOG_LEVEL": "INFO"}, "image": "flows:1.0"}
    assert created["global_concurrency_limit"]["limit"] == 2
    assert created["concurrency_options"]["collision_strategy"] == "CANCEL_NEW"
    rules = sorted((json.dumps(s["schedule"], sort_keys=True), s["active"]) for s in created["schedules"])
    kinds = sorted(tuple(sorted(k for k in json.loads(r) if k in ("cron", "interval", "rrule"))) for r, _a in rules)
    assert kinds == [("cron",), ("interval",), ("rrule",), ("rrule",)]
    cron = next(s for s in created["schedules"] if "cron" in s["schedule"])
    assert cron["schedule"] == {"cron": "0 6 * * 1-5", "timezone": "Europe/Paris", "day_or": True}
    daily = next(s for s in created["schedules"] if "BYHOUR" in s["schedule"].get("rrule", ""))
    assert daily["schedule"]["rrule"] == "DTSTART:20200101T000000\nFREQ=DAILY;BYHOUR=3" and daily["active"] is False
    assert next(s for s in created["schedules"] if "interval" in s["schedule"])["schedule"]["interval"] == 3600.0
    returned = results[1]["deployment"]
    assert returned["flow_name"] == flow and returned["concurrency_limit"] == 2
    assert results[1]["diff"]["before"] == {"state": "absent"}
    assert results[1]["diff"]["after"]["job_variables"]["task_definition_arn"] == TASK_DEFINITION


def test_default_queue_and_flow_reuse(prefect, base, flow):
    prefect.ok("POST", "/flows/", {"name": flow})
    flow_id = read_flow(prefect, flow)["id"]
    results = converge(MOD, base)
    assert changed(results) == [True, True, False, False]
    assert_prediction(results[0], results[1])
    created = read(prefect, flow, "nightly")
    assert created["flow_id"] == flow_id and created["work_queue_name"] == "default"
    assert results[0]["deployment"]["flow_id"] == flow_id


def test_one_job_variable_changes_only_it_and_keys_set_elsewhere_stay(prefect, base, flow):
    first = run_module(MOD, {**base, "job_variables": {"cpu": 512, "image": "flows:1"}})
    assert first["changed"] and not first.get("failed"), first.get("msg")
    # behind the module's back: someone adds a memory override
    dep = read(prefect, flow, "nightly")
    prefect.ok("PATCH", f"/deployments/{dep['id']}", {"job_variables": {**dep["job_variables"], "memory": 2048}})

    results = converge(MOD, {**base, "job_variables": {"cpu": 1024}})
    assert changed(results) == [True, True, False, False]
    assert_prediction(results[0], results[1])
    assert results[1]["changes"] == ["job_variables.cpu"]
    assert results[1]["diff"] == {"before": {"job_variables": {"cpu": 512}}, "after": {"job_variables": {"cpu": 1024}}}
    assert read(prefect, flow, "nightly")["job_variables"] == {"cpu": 1024, "image": "flows:1", "memory": 2048}

    removed = converge(MOD, {**base, "job_variables": {"memory": None}})
    assert changed(removed) == [True, True, False, False]
    assert removed[1]["diff"] == {"before": {"job_variables": {"memory": 2048}}, "after": {"job_variables": {}}}
    assert read(prefect, flow, "nightly")["job_variables"] == {"cpu": 1024, "image": "flows:1"}


def test_options_not_set_are_never_touched(prefect, base, flow):
    assert run_module(MOD, {**base, "schedules": [{"cron": "0 9 * * *"}], "concurrency_limit": 3})["changed"]
    dep = read(prefect, flow, "nightly")
    out_of_band = {"description": "from the UI", "tags": ["ui"], "paused": True, "version": "ui-1",
                   "parameters": {"p": 1}, "enforce_parameter_schema": False}
    prefect.ok("PATCH", f"/deployments/{dep['id']}", out_of_band)
    before = read(prefect, flow, "nightly")
    assert changed(converge(MOD, base)) == [False, False, False, False]
    results = converge(MOD, {"name": "nightly", "flow_name": flow, "image": "flows:2"})
    assert changed(results) == [True, True, False, False]
    after = read(prefect, flow, "nightly")
    for key in ("description", "tags", "paused", "version", "parameters", "schedules", "entrypoint",
                "work_queue_name", "work_pool_name"):
        assert after[key] == before[key], key
    assert after["global_concurrency_limit"]["limit"] == 3
    assert after["job_variables"] == {"image": "flows:2"}


def test_schedules_compare_by_meaning(prefect, base, flow):
    first = [{"cron": "0 9 * * 1-5", "timezone": "Europe/Paris"}, {"cron": "@daily"}, {"interval": 3600},
             {"rrule": "FREQ=WEEKLY;BYDAY=MO"}, {"rrule": "FREQ=MINUTELY;INTERVAL=7"}]
    assert changed(converge(MOD, {**base, "schedules": first}, steps=("apply", "apply"))) == [True, False]
    stored = read(prefect, flow, "nightly")["schedules"]
    # the same schedules written differently, in another order: no change
    same = [{"rrule": "FREQ=MINUTELY;INTERVAL=7"}, {"interval": "PT1H"}, {"cron": "0 0 * * *", "timezone": "UTC"},
            {"rrule": "FREQ=WEEKLY;BYDAY=MO", "timezone": "UTC"}, {"cron": " 0  9 * * 1-5 ", "timezone": "Europe/Paris"}]
    assert changed(converge(MOD, {**base, "schedules": same}, steps=("check", "apply"))) == [False, False]
    assert read(prefect, flow, "nightly")["schedules"] == stored  # not even rewritten

    moved = [{"cron": "0 10 * * 1-5", "timezone": "Europe/Paris"}, {"cron": "@daily"}]
    results = converge(MOD, {**base, "schedules": moved})
    assert changed(results) == [True, True, False, False]
    assert_prediction(results[0], results[1])
    assert results[1]["changes"] == ["schedules"]
    assert results[1]["diff"]["after"] == {"schedules": [
        {"cron": "0 10 * * 1-5", "timezone": "Europe/Paris", "active": True},
        {"cron": "@daily", "timezone": None, "active": True}]}
    assert len(results[1]["diff"]["before"]["schedules"]) == 5
    assert sorted(s["schedule"]["cron"] for s in read(prefect, flow, "nightly")["schedules"]) == [
        "0 10 * * 1-5", "@daily"]

    cleared = converge(MOD, {**base, "schedules": []}, steps=("apply", "apply"))
    assert changed(cleared) == [True, False]
    assert read(prefect, flow, "nightly")["schedules"] == []


def test_slugged_schedules_keep_their_slug_and_leftovers_are_removed(prefect, base, flow):
    """`prefect deploy` gives schedules slugs; then the server only updates the slugs a PATCH names."""
    flow_id = prefect.ok("POST", "/flows/", {"name": flow})["id"]
    prefect.ok("POST", "/deployments/", {
        "name": "nightly", "flow_id": flow_id, "work_pool_name": base["work_pool_name"], "entrypoint": "x.py:f",
        "schedules": [{"schedule": {"cron": "0 9 * * *"}, "slug": "morning"},
                      {"schedule": {"cron": "0 18 * * *"}, "slug": "evening"}]})
    results = converge(MOD, {**base, "schedules": [{"cron": "0 9 * * *"}, {"interval": 600}]})
    assert changed(results) == [True, True, False, False]
    assert_prediction(results[0], results[1])
    stored = read(prefect, flow, "nightly")["schedules"]
    by_slug = {s["slug"]: s["schedule"] for s in stored}
    assert len(stored) == 2 and by_slug["morning"]["cron"] == "0 9 * * *"
    assert [s["interval"] for slug, s in by_slug.items() if slug != "morning"] == [600.0]

    fewer = converge(MOD, {**base, "schedules": [{"cron": "0 9 * * *"}]}, steps=("apply", "apply"))
    assert changed(fewer) == [True, False]
    assert [(s["slug"], s["schedule"]["cron"]) for s in read(prefect, flow, "nightly")["schedules"]] == [
        ("morning", "0 9 * * *")]


def test_concurrency_limit_and_collision_strategy_read_back_from_the_api(prefect, base, flow):
    set_it, change_it, remove_it = phases(MOD, [
        {**base, "concurrency_limit": 3, "concurrency_options": {"collision_strategy": "CANCEL_NEW"}},
        {**base, "concurrency_limit": 5,
         "concurrency_options": {"collision_strategy": "ENQUEUE", "grace_period_seconds": 120}},
        {**base, "concurrency_limit": -1}])
    assert changed(set_it) == [True, True, False, False]
    assert_prediction(set_it[0], set_it[1])
    assert changed(change_it) == [True, True, False, False]
    assert_prediction(change_it[0], change_it[1])
    assert change_it[1]["diff"] == {
        "before": {"concurrency_limit": 3,
                   "concurrency_options": {"collision_strategy": "CANCEL_NEW", "grace_period_seconds": None}},
        "after": {"concurrency_limit": 5,
                  "concurrency_options": {"collision_strategy": "ENQUEUE", "grace_period_seconds": 120}}}
    assert changed(remove_it) == [True, True, False, False]
    assert_prediction(remove_it[0], remove_it[1])
    dep = read(prefect, flow, "nightly")
    assert dep["global_concurrency_limit"] is None and remove_it[3]["deployment"]["concurrency_limit"] is None
    assert dep["concurrency_options"] == {"collision_strategy": "ENQUEUE", "grace_period_seconds": 120}


def test_concurrency_limit_written_is_what_the_api_reads(prefect, base, flow):
    assert run_module(MOD, {**base, "concurrency_limit": 4,
                            "concurrency_options": {"collision_strategy": "ENQUEUE"}})["changed"]
    dep = read(prefect, flow, "nightly")
    assert dep["global_concurrency_limit"]["limit"] == 4 and dep["global_concurrency_limit"]["active"] is True
    assert dep["concurrency_options"]["collision_strategy"] == "ENQUEUE"
    assert dep["concurrency_limit"] is None  # the API's deprecated field; the module fills its own from the limit


def test_queue_change_keeps_the_pool_and_pool_change_goes_to_the_default_queue(prefect, base, flow, unique):
    assert run_module(MOD, base)["changed"]
    results = converge(MOD, {**base, "work_queue_name": "critical"})
    assert changed(results) == [True, True, False, False]
    assert_prediction(results[0], results[1])
    dep = read(prefect, flow, "nightly")
    assert (dep["work_pool_name"], dep["work_queue_name"]) == (base["work_pool_name"], "critical")  # not default-agent-pool

    other = f"other-{unique}"
    prefect.ok("POST", "/work_pools/", {"name": other, "type": "ecs", "base_job_template": ECS})
    try:
        results = converge(MOD, {"name": "nightly", "flow_name": flow, "work_pool_name": other})
        assert changed(results) == [True, True, False, False]
        assert_prediction(results[0], results[1])
        assert results[1]["diff"]["after"] == {"work_pool_name": other, "work_queue_name": "default"}
        dep = read(prefect, flow, "nightly")
        assert (dep["work_pool_name"], dep["work_queue_name"]) == (other, "default")
    finally:
        prefect.delete_pool(other)


def test_a_job_variable_the_pool_template_lacks_fails_before_any_write(prefect, base, flow, counting_proxy, unique):
    control, url = counting_proxy
    res = run_module(MOD, {**base, "api_url": url, "job_variables": {"cpu": 512, "gpu_count": 1}})
    assert res["failed"]
    assert res["msg"].startswith("job_variables gpu_count: work pool %r's base job template has no such variable"
                                 % base["work_pool_name"])
    assert writes(control) == []
    assert read(prefect, flow, "nightly") is None and read_flow(prefect, flow) is None

    # a process pool has no task_definition_arn: refused by name, nothing written
    process = f"process-{unique}"
    prefect.ok("POST", "/work_pools/", {"name": process, "type": "process",
                                        "base_job_template": STOCK_TEMPLATES["process"]["template"]})
    try:
        res = run_module(MOD, {**base, "api_url": url, "work_pool_name": process,
                               "job_variables": {"task_definition_arn": TASK_DEFINITION}})
        assert res["failed"] and res["msg"].startswith("job_variables task_definition_arn: work pool %r" % process)
        assert writes(control) == []
    finally:
        prefect.delete_pool(process)

    # and on an existing deployment: no PATCH, nothing changed
    assert run_module(MOD, {**base, "job_variables": {"cpu": 512}})["changed"]
    before = read(prefect, flow, "nightly")
    mark = control.mark()
    res = run_module(MOD, {**base, "api_url": url, "job_variables": {"cpu": "lots"}})
    assert res["failed"] and "job_variables.cpu: expected integer or null" in res["msg"]
    assert [c for c in control.calls(mark) if c["method"] != "GET"] == []
    assert read(prefect, flow, "nightly") == before


BAD_INPUT = [
    ({"name": "a/b"}, "name 'a/b' contains '/'"),
    ({"flow_name": "f%"}, "flow_name 'f%' contains '%'"),
    ({"concurrency_limit": 0}, "concurrency_limit must be 1 or more, or -1"),
    ({"schedules": [{"cron": "0 9 * *"}]}, "schedules[0].cron '0 9 * *' has 4 fields"),
    ({"schedules": [{"cron": "@daily", "timezone": "Mars/Olympus"}]}, "schedules[0].timezone 'Mars/Olympus'"),
    ({"image": "a:1", "job_variables": {"image": "b:2"}}, "image and job_variables.image differ"),
    ({"job_variables": {"env": {"PREFECT_API_AUTH_STRING": "admin:pass"}}},
     "job_variables.env.PREFECT_API_AUTH_STRING: a Prefect credential must not be stored in plain text"),
    ({"job_variables": {"env": {"TOKEN": "pnu_" + "x" * 36}}}, "job_variables.env.TOKEN holds what looks like a Prefect API key"),
]


def test_bad_input_fails_before_any_api_call(base, counting_proxy, stack):
    """Each message names the field; the module made no API call at all."""
    control, url = counting_proxy
    cases = BAD_INPUT + [({"job_variables": {"env": {"AUTH": stack["PREFECT_API_AUTH_STRING"]}}},
                          "job_variables.env.AUTH holds the api_key or auth_string")]
    results = run_each(MOD, [{**base, **args, "api_url": url} for args, _msg in cases])
    for (args, msg), res in zip(cases, results):
        assert res.get("failed") and msg in res["msg"], (args, res.get("msg"))
        assert "prefect_api_auth_string_secret_arn" in res["msg"] or "credential" not in msg
    assert control.calls() == []


def test_create_without_entrypoint_or_pool_and_missing_pool(prefect, base, flow, counting_proxy, unique):
    control, url = counting_proxy
    res = run_module(MOD, {"name": "nightly", "flow_name": flow, "api_url": url})
    assert res["failed"] and "entrypoint and work_pool_name are not set" in res["msg"]
    missing = {**base, "work_pool_name": f"nopool-{unique}", "api_url": url}
    res = run_module(MOD, missing)
    assert res["failed"] and f"work pool 'nopool-{unique}' does not exist: create it first" in res["msg"]
    assert writes(control) == []
    check = run_module(MOD, missing, check=True)  # an earlier task of the same check run may create the pool
    assert check["changed"] and not check.get("failed")
    assert any("does not exist" in w for w in check.get("warnings", []))
    assert read_flow(prefect, flow) is None


def test_a_503_burst_is_retried_and_the_deployment_created_once(prefect, base, flow, counting_proxy):
    control, url = counting_proxy
    control.faults({"fail_first": 2, "status": 503, "methods": ["POST"], "path_contains": "/deployments/"})
    res = run_module(MOD, {**base, "api_url": url, "retry_delay": 0.2, "image": "flows:1"})
    assert res["changed"] and not res.get("failed"), res.get("msg")
    posts = [c for c in control.answered() if c["method"] == "POST" and c["path"].endswith("/deployments/")]
    assert [c["status"] for c in posts] == [503, 503, 201] and all(c["fault"] for c in posts[:2])
    dep = read(prefect, flow, "nightly")
    assert res["deployment"]["id"] == dep["id"] and dep["job_variables"] == {"image": "flows:1"}
    listed = prefect.ok("POST", "/deployments/filter", {"flows": {"name": {"any_": [flow]}}})
    assert [d["name"] for d in listed] == ["nightly"]


def test_a_503_on_the_update_is_retried(prefect, base, flow, counting_proxy):
    control, url = counting_proxy
    assert run_module(MOD, base)["changed"]
    control.faults({"fail_first": 2, "status": 503, "methods": ["PATCH"]})
    res = run_module(MOD, {**base, "api_url": url, "retry_delay": 0.2, "paused": True})
    assert res["changed"] and not res.get("failed"), res.get("msg")
    assert [c["status"] for c in control.answered() if c["method"] == "PATCH"] == [503, 503, 204]
    assert read(prefect, flow, "nightly")["paused"] is True


def test_absent_removes_the_deployment_and_leaves_the_flow(prefect, base, flow):
    assert run_module(MOD, base)["changed"]
    flow_id = read_flow(prefect, flow)["id"]
    results = converge(MOD, {"name": "nightly", "flow_name": flow, "state": "absent"})
    assert changed(results) == [True, True, False, False]
    assert results[0]["diff"] == results[1]["diff"]
    assert results[1]["diff"]["after"] == {"state": "absent"}
    assert results[1]["deployment"] == {} and results[3]["deployment"] == {}
    assert read(prefect, flow, "nightly") is None
    assert read_flow(prefect, flow)["id"] == flow_id  # the flow stays


def test_a_deployment_made_elsewhere_is_configured_but_never_deleted(prefect, base, flow):
    """Ownership (module_utils.ownership): the module's own deployments carry a label; one made by `prefect deploy`
    or by hand does not, so the module adopts it (configures what it is given) and state=absent leaves it."""
    created = run_module(MOD, base)
    assert created["owned"] is True
    assert read(prefect, flow, "nightly")["labels"]["prefect-ops.managed-by"] == "prefect_ops.ecs"
    flow_id = read_flow(prefect, flow)["id"]
    prefect.ok("POST", "/deployments/", {"name": "by-hand", "flow_id": flow_id,
                                         "work_pool_name": base["work_pool_name"], "entrypoint": "x.py:f"})
    adopted = converge(MOD, {"name": "by-hand", "flow_name": flow, "paused": True}, steps=("apply", "apply"))
    assert changed(adopted) == [True, False] and adopted[0]["owned"] is False
    kept = converge(MOD, {"name": "by-hand", "flow_name": flow, "state": "absent"})
    assert changed(kept) == [False, False, False, False]
    assert "not created by prefect_ops.ecs" in kept[1]["kept"]
    assert read(prefect, flow, "by-hand")["paused"] is True


def test_names_that_need_quoting_in_urls(prefect, pool, unique):
    flow = f"my flow ?#+ é {unique}"
    name = "nightly run #1?"
    try:
        args = {"name": name, "flow_name": flow, "entrypoint": "f.py:f", "work_pool_name": pool}
        assert changed(converge(MOD, args, steps=("apply", "apply"))) == [True, False]
        assert read(prefect, flow, name)["name"] == name
        assert changed(converge(MOD, {**args, "state": "absent"}, steps=("apply", "apply"))) == [True, False]
        assert read(prefect, flow, name) is None
    finally:
        found = read_flow(prefect, flow)
        if found:
            prefect.request("DELETE", f"/flows/{found['id']}")
