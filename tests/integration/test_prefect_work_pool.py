"""prefect_ops.ecs.prefect_work_pool against the real local Prefect server (auth on).

Every option is driven check -> apply -> check -> apply (changed: true, true, false, false); the
check step's prediction is compared with what the apply step really did; the server is read back
through its REST API to see what was really written.
"""
from __future__ import annotations

import copy
import json
import urllib.parse

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect_templates import (
    OLDER_VARIABLE_SETS,
    STOCK_TEMPLATES,
)
from stacktools.ansible_run import run_module
from stacktools.prefect_converge import changed, converge, phases, run_each
from stacktools.prefect_proxy import build as build_prefect_proxy
from stacktools.proxy import start_in_thread
from stacktools.stack import PatientPrefectAPI, ProxyControl

MOD = "prefect_ops.ecs.prefect_work_pool"
ECS = STOCK_TEMPLATES["ecs"]["template"]
PREDICTED = ("name", "type", "description", "is_paused", "concurrency_limit", "base_job_template")

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def prefect(stack):
    """The stack's Prefect REST client for setup and read-back, patient with a locked SQLite database."""
    return PatientPrefectAPI()


def props(pool: dict) -> dict:
    return pool["base_job_template"]["variables"]["properties"]


def dflt(pool: dict) -> dict:
    return {k: v["default"] for k, v in props(pool).items() if "default" in v}


def from_file(tmp_path, data) -> str:
    """How a playbook passes a template: from a JSON file, so Ansible leaves its {{ placeholders }} alone
    (lookup results are not templated again)."""
    path = tmp_path / f"template-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(data))
    return "{{ lookup('file', '%s') | from_json }}" % path


def assert_prediction(check: dict, apply: dict) -> None:
    """Check mode predicted the pool the apply step produced, and showed the same diff."""
    for key in PREDICTED:
        assert check["work_pool"].get(key) == apply["work_pool"].get(key), key
    assert check["diff"] == apply["diff"]
    assert check["changes"] == apply["changes"]


@pytest.fixture()
def pool(prefect, unique):
    """A pool name, deleted after the test."""
    name = f"pool-{unique}"
    yield name
    prefect.delete_pool(name)


@pytest.fixture()
def ecs_pool(prefect, pool):
    """An existing ECS pool with the stock template (created through the API)."""
    prefect.ok("POST", "/work_pools/", {"name": pool, "type": "ecs", "base_job_template": ECS})
    return pool


def test_create_gets_the_bundled_prefect_aws_template(prefect, pool):
    results = converge(MOD, {"name": pool, "type": "ecs"})
    assert changed(results) == [True, True, False, False]
    assert_prediction(results[0], results[1])
    created = prefect.read_pool(pool)
    assert created["type"] == "ecs"
    assert created["base_job_template"] == ECS
    # not the server's older offline registry copy
    assert "prefect_api_key_secret_arn" in props(created) and "task_start_timeout_seconds" not in props(created)
    template = results[1]["template"]
    assert template["source"] == f"bundled stock template of prefect-aws {STOCK_TEMPLATES['ecs']['version']}"
    assert template["created_from"] == f"prefect-aws {STOCK_TEMPLATES['ecs']['version']}"
    assert template["matches_stock"] is True and template["upgrade_available"] is False
    assert results[1]["diff"]["before"] == {"state": "absent"}
    assert results[1]["diff"]["after"]["type"] == "ecs"
    assert results[3]["work_pool"]["id"] == created["id"]


def test_create_process_pool_gets_the_process_workers_template(prefect, pool):
    results = converge(MOD, {"name": pool, "type": "process", "paused": True, "concurrency_limit": 2,
                             "description": "dev"})
    assert changed(results) == [True, True, False, False]
    assert_prediction(results[0], results[1])
    created = prefect.read_pool(pool)
    assert created["base_job_template"] == STOCK_TEMPLATES["process"]["template"]
    # a pool this module creates carries the ownership mark (module_utils.ownership), appended to the description
    assert (created["is_paused"], created["concurrency_limit"], created["description"]) == (
        True, 2, "dev (managed by prefect_ops.ecs)")


def test_names_that_need_quoting_in_urls(prefect, unique):
    name = f"my pool ?#+ é {unique}"
    try:
        results = converge(MOD, {"name": name, "type": "process", "concurrency_limit": 1})
        assert changed(results) == [True, True, False, False]
        listed = prefect.ok("POST", "/work_pools/filter", {"work_pools": {"name": {"any_": [name]}}})
        assert [p["concurrency_limit"] for p in listed] == [1]
        results = converge(MOD, {"name": name, "state": "absent"}, steps=("apply", "apply"))
        assert changed(results) == [True, False]
        assert prefect.ok("POST", "/work_pools/filter", {"work_pools": {"name": {"any_": [name]}}}) == []
    finally:
        prefect.request("DELETE", "/work_pools/" + urllib.parse.quote(name, safe=""))


def test_description_set_and_cleared(prefect, ecs_pool):
    set_it, clear_it = phases(MOD, [{"name": ecs_pool, "description": "flows on ECS"},
                                    {"name": ecs_pool, "description": ""}])
    assert changed(set_it) == [True, True, False, False]
    assert_prediction(set_it[0], set_it[1])
    assert set_it[1]["diff"] == {"before": {"description": None}, "after": {"description": "flows on ECS"}}
    assert set_it[1]["work_pool"]["description"] == "flows on ECS"  # read back after the change
    assert changed(clear_it) == [True, True, False, False]
    assert_prediction(clear_it[0], clear_it[1])
    assert prefect.read_pool(ecs_pool)["description"] == ""


def test_paused_and_unpaused(prefect, ecs_pool):
    pause, unpause = phases(MOD, [{"name": ecs_pool, "paused": True}, {"name": ecs_pool, "paused": False}])
    assert changed(pause) == [True, True, False, False]
    assert_prediction(pause[0], pause[1])
    assert pause[1]["changes"] == ["paused"]
    assert pause[1]["work_pool"]["is_paused"] is True and pause[1]["work_pool"]["status"] == "PAUSED"
    assert changed(unpause) == [True, True, False, False]
    assert_prediction(unpause[0], unpause[1])
    pool = prefect.read_pool(ecs_pool)
    assert pool["is_paused"] is False and pool["status"] != "PAUSED"


def test_concurrency_limit_set_and_removed(prefect, ecs_pool):
    five, zero, unlimited = phases(MOD, [{"name": ecs_pool, "concurrency_limit": n} for n in (5, 0, -1)])
    for results, value in ((five, 5), (zero, 0), (unlimited, None)):
        assert changed(results) == [True, True, False, False], value
        assert_prediction(results[0], results[1])
        assert results[1]["work_pool"]["concurrency_limit"] == value
    assert unlimited[1]["diff"] == {"before": {"concurrency_limit": 0}, "after": {"concurrency_limit": None}}
    assert prefect.read_pool(ecs_pool)["concurrency_limit"] is None


def test_job_variables_set_just_the_given_top_level_defaults(prefect, ecs_pool, stack):
    net = {"subnets": stack["PREFECT_OPS_FIXTURE_SUBNET_IDS"].split(","),
           "securityGroups": [stack["PREFECT_OPS_FIXTURE_SECURITY_GROUP_ID"]], "assignPublicIp": "DISABLED"}
    wanted = {"cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/flows",
              "vpc_id": stack["PREFECT_OPS_FIXTURE_VPC_ID"], "network_configuration": net, "cpu": 512, "memory": 1024}
    before = prefect.read_pool(ecs_pool)
    results = converge(MOD, {"name": ecs_pool, "job_variables": wanted})
    assert changed(results) == [True, True, False, False]
    assert_prediction(results[0], results[1])
    diff = results[1]["diff"]
    # per key: exactly the keys that change, each with its before and after
    assert diff["after"] == {"job_variables": wanted}
    assert diff["before"] == {"job_variables": {"cluster": None, "vpc_id": None, "cpu": None, "memory": None}}
    assert sorted(results[1]["changes"]) == sorted(f"job_variables.{k}" for k in wanted)
    after = prefect.read_pool(ecs_pool)
    for key, value in wanted.items():
        assert props(after)[key]["default"] == value
    assert "properties" not in props(after)["network_configuration"]  # not the nested place the CLI writes
    untouched = {k: v for k, v in dflt(before).items() if k not in wanted}
    assert {k: v for k, v in dflt(after).items() if k not in wanted} == untouched
    assert after["base_job_template"]["job_configuration"] == ECS["job_configuration"]


def test_job_variable_null_removes_that_default(prefect, ecs_pool):
    results = converge(MOD, {"name": ecs_pool, "job_variables": {"launch_type": None}})
    assert changed(results) == [True, True, False, False]
    assert results[1]["diff"] == {"before": {"job_variables": {"launch_type": "FARGATE"}}, "after": {"job_variables": {}}}
    assert "default" not in props(prefect.read_pool(ecs_pool))["launch_type"]


def test_options_not_set_are_never_touched(prefect, ecs_pool):
    tpl = copy.deepcopy(ECS)
    tpl["variables"]["properties"]["image"]["default"] = "ui-chosen:1"
    prefect.ok("PATCH", f"/work_pools/{ecs_pool}", {"description": "from the UI", "is_paused": True,
                                                    "concurrency_limit": 7, "base_job_template": tpl})
    results = converge(MOD, {"name": ecs_pool, "type": "ecs"})
    assert changed(results) == [False, False, False, False]
    results = converge(MOD, {"name": ecs_pool, "job_variables": {"cluster": "c1"}})
    assert changed(results) == [True, True, False, False]
    pool = prefect.read_pool(ecs_pool)
    assert (pool["description"], pool["is_paused"], pool["concurrency_limit"]) == ("from the UI", True, 7)
    assert dflt(pool)["image"] == "ui-chosen:1" and dflt(pool)["cluster"] == "c1"


def test_drift_is_reported_and_restored_and_other_keys_are_left_alone(prefect, ecs_pool):
    first = run_module(MOD, {"name": ecs_pool, "job_variables": {"cluster": "wanted", "cpu": 1024}})
    assert first["changed"] and not first.get("failed")
    # behind the module's back: the cluster default drifts and someone sets an image default
    tpl = prefect.read_pool(ecs_pool)["base_job_template"]
    tpl["variables"]["properties"]["cluster"]["default"] = "drifted"
    tpl["variables"]["properties"]["image"]["default"] = "someone/else:2"
    prefect.ok("PATCH", f"/work_pools/{ecs_pool}", {"base_job_template": tpl})

    results = converge(MOD, {"name": ecs_pool, "job_variables": {"cluster": "wanted", "cpu": 1024}})
    assert changed(results) == [True, True, False, False]
    assert results[0]["diff"] == {"before": {"job_variables": {"cluster": "drifted"}},
                                  "after": {"job_variables": {"cluster": "wanted"}}}
    assert results[0]["changes"] == ["job_variables.cluster"]
    pool = prefect.read_pool(ecs_pool)
    assert dflt(pool)["cluster"] == "wanted" and dflt(pool)["cpu"] == 1024
    assert dflt(pool)["image"] == "someone/else:2"


def test_base_job_template_whole_with_job_variables_on_top(prefect, ecs_pool, tmp_path):
    custom = copy.deepcopy(ECS)
    custom["job_configuration"]["stream_output"] = True
    custom["variables"]["properties"]["team"] = {"type": "string", "title": "Team"}
    custom["job_configuration"]["env"] = {"TEAM": "{{ team }}"}
    results = converge(MOD, {"name": ecs_pool, "base_job_template": from_file(tmp_path, custom),
                             "job_variables": {"team": "data"}})
    assert changed(results) == [True, True, False, False]
    assert_prediction(results[0], results[1])
    assert results[1]["diff"]["after"]["base_job_template"]["job_configuration"] == {
        "env": {"TEAM": "{{ team }}"}, "stream_output": True}
    assert results[1]["diff"]["after"]["job_variables"] == {"team": "data"}
    pool = prefect.read_pool(ecs_pool)
    expected = copy.deepcopy(custom)
    expected["variables"]["properties"]["team"]["default"] = "data"
    assert pool["base_job_template"] == expected
    assert results[1]["template"]["created_from"] == "custom"

    # the same template with its keys in another order is no change (no spurious diffs)
    reordered = {"variables": dict(reversed(list(expected["variables"].items()))),
                 "job_configuration": dict(reversed(list(expected["job_configuration"].items())))}
    again = converge(MOD, {"name": ecs_pool, "base_job_template": from_file(tmp_path, reordered)},
                     steps=("check", "apply"))
    assert changed(again) == [False, False]


def test_type_mismatch_fails_clearly_and_changes_nothing(prefect, ecs_pool):
    before = prefect.read_pool(ecs_pool)
    res = run_module(MOD, {"name": ecs_pool, "type": "process", "description": "x"})
    assert res["failed"]
    assert "has type 'ecs', not 'process'" in res["msg"] and "recreate: true" in res["msg"]
    assert prefect.read_pool(ecs_pool) == before


def test_recreate_refuses_a_pool_the_collection_did_not_create(prefect, ecs_pool):
    before = prefect.read_pool(ecs_pool)  # made through the API: no ownership mark
    res = run_module(MOD, {"name": ecs_pool, "type": "process", "recreate": True})
    assert res["failed"] and "not created by prefect_ops.ecs" in res["msg"] and "recreate" in res["msg"]
    assert prefect.read_pool(ecs_pool) == before


def test_recreate_replaces_a_pool_of_another_type(prefect, ecs_pool):
    # the pool carries the ownership mark (a description of earlier releases counts)
    prefect.ok("PATCH", f"/work_pools/{ecs_pool}", {"description": "ECS pool, managed by prefect_ops.ecs"})
    prefect.ok("POST", f"/work_pools/{ecs_pool}/queues", {"name": "extra"})
    old_id = prefect.read_pool(ecs_pool)["id"]
    results = converge(MOD, {"name": ecs_pool, "type": "process", "recreate": True,
                             "job_variables": {"working_dir": "/srv"}})
    assert changed(results) == [True, True, False, False]
    assert_prediction(results[0], results[1])
    assert results[1]["diff"]["before"]["type"] == "ecs" and results[1]["diff"]["after"]["type"] == "process"
    pool = prefect.read_pool(ecs_pool)
    assert pool["type"] == "process" and pool["id"] != old_id
    assert dflt(pool)["working_dir"] == "/srv"
    assert prefect.request("GET", f"/work_pools/{ecs_pool}/queues/extra")[0] == 404


def test_state_absent_removes_only_the_named_pool_and_only_when_it_carries_the_mark(prefect, pool, unique):
    made_here = converge(MOD, {"name": pool, "type": "process"}, steps=("apply",))[0]
    assert made_here["owned"] is True and made_here["work_pool"]["description"] == "Managed by prefect_ops.ecs"
    other = f"other-{unique}"
    prefect.ok("POST", "/work_pools/", {"name": other, "type": "process", "description": "made by hand"})
    try:
        results = converge(MOD, {"name": pool, "state": "absent"})
        assert changed(results) == [True, True, False, False]
        assert results[0]["diff"] == results[1]["diff"]
        assert results[1]["diff"]["after"] == {"state": "absent"}
        assert prefect.read_pool(pool) is None
        assert prefect.read_pool(other) is not None
        # a pool made by hand (seed 000's way) is never deleted, in check mode or not
        by_hand = converge(MOD, {"name": other, "state": "absent"})
        assert changed(by_hand) == [False, False, False, False]
        assert by_hand[1]["owned"] is False and "not created by prefect_ops.ecs" in by_hand[1]["kept"]
        assert prefect.read_pool(other)["description"] == "made by hand"
    finally:
        prefect.delete_pool(other)


def test_a_pool_made_by_hand_is_adopted_configured_but_never_marked(prefect, ecs_pool):
    results = converge(MOD, {"name": ecs_pool, "description": "ECS pool, managed by prefect_ops.ecs",
                             "concurrency_limit": 4})
    assert changed(results) == [True, True, False, False]
    assert_prediction(results[0], results[1])
    assert results[1]["owned"] is False
    pool = prefect.read_pool(ecs_pool)
    assert (pool["description"], pool["concurrency_limit"]) == ("ECS pool", 4)


@pytest.fixture()
def older_pool(prefect, pool):
    """An ECS pool made from the server's offline collection-registry template: what
    `prefect work-pool create --type ecs` or the UI give on a server without internet access."""
    meta = prefect.ok("GET", "/collections/views/aggregate-worker-metadata")
    tpl = copy.deepcopy(meta["prefect-aws"]["ecs"]["default_base_job_configuration"])
    assert set(tpl["variables"]["properties"]) == set(OLDER_VARIABLE_SETS["ecs"][0]["variables"])
    tpl["variables"]["properties"]["cluster"]["default"] = "arn:aws:ecs:us-east-1:123456789012:cluster/old"
    tpl["variables"]["properties"]["task_start_timeout_seconds"]["default"] = 600
    prefect.ok("POST", "/work_pools/", {"name": pool, "type": "ecs", "base_job_template": tpl})
    return pool


def test_an_older_template_keeps_its_variable_set_by_default(prefect, older_pool):
    before = prefect.read_pool(older_pool)
    results = converge(MOD, {"name": older_pool, "job_variables": {"cpu": 256}})
    assert changed(results) == [True, True, False, False]
    after = prefect.read_pool(older_pool)
    assert list(props(after)) == list(props(before))
    assert results[1]["template"]["created_from"] == OLDER_VARIABLE_SETS["ecs"][0]["label"]
    assert results[1]["template"]["upgrade_available"] is True
    assert results[1]["template"]["missing_variables"] == [
        "prefect_api_auth_string_secret_arn", "prefect_api_key_secret_arn"]


def test_a_key_the_template_lacks_fails_and_says_how_to_upgrade(prefect, older_pool):
    before = prefect.read_pool(older_pool)
    res = run_module(MOD, {"name": older_pool, "job_variables": {"prefect_api_key_secret_arn": "arn:secret"}})
    assert res["failed"]
    assert "prefect_api_key_secret_arn" in res["msg"] and "upgrade_template: true" in res["msg"]
    assert prefect.read_pool(older_pool) == before


def test_upgrade_template_moves_to_the_current_template_keeping_defaults(prefect, older_pool):
    args = {"name": older_pool, "upgrade_template": True,
            "job_variables": {"prefect_api_key_secret_arn": "arn:aws:secretsmanager:us-east-1:1:secret:k"}}
    results = converge(MOD, args)
    assert changed(results) == [True, True, False, False]
    assert_prediction(results[0], results[1])
    assert any("task_start_timeout_seconds=600" in w for w in results[1].get("warnings", []))
    pool = prefect.read_pool(older_pool)
    assert {k: {kk: vv for kk, vv in v.items() if kk != "default"} for k, v in props(pool).items()} == {
        k: {kk: vv for kk, vv in v.items() if kk != "default"} for k, v in ECS["variables"]["properties"].items()}
    assert pool["base_job_template"]["job_configuration"] == ECS["job_configuration"]
    assert dflt(pool)["cluster"] == "arn:aws:ecs:us-east-1:123456789012:cluster/old"  # kept
    assert dflt(pool)["prefect_api_key_secret_arn"] == args["job_variables"]["prefect_api_key_secret_arn"]
    assert results[3]["template"]["matches_stock"] is True
    assert results[3]["template"]["created_from"] == f"prefect-aws {STOCK_TEMPLATES['ecs']['version']}"


def test_upgrade_to_a_given_template_for_types_without_a_bundled_one(prefect, pool, tmp_path):
    meta = prefect.ok("GET", "/collections/views/aggregate-worker-metadata")
    docker = meta["prefect-docker"]["docker"]["default_base_job_configuration"]
    prefect.ok("POST", "/work_pools/", {"name": pool, "type": "docker", "base_job_template": docker})
    assert run_module(MOD, {"name": pool, "job_variables": {"image": "flows:1"}})["changed"]
    before = prefect.read_pool(pool)

    refused = run_module(MOD, {"name": pool, "upgrade_template": True})
    assert refused["failed"] and "bundles current templates for ecs, ecs:push, process only" in refused["msg"]
    assert "base_job_template" in refused["msg"]
    assert prefect.read_pool(pool) == before

    newer = copy.deepcopy(docker)
    newer["variables"]["properties"]["gpus"] = {"type": "integer", "default": 0, "title": "GPUs"}
    newer["job_configuration"]["gpus"] = "{{ gpus }}"
    results = converge(MOD, {"name": pool, "upgrade_template": True, "base_job_template": from_file(tmp_path, newer)})
    assert changed(results) == [True, True, False, False]
    assert_prediction(results[0], results[1])
    after = prefect.read_pool(pool)
    assert dflt(after)["image"] == "flows:1"  # kept
    assert dflt(after)["gpus"] == 0 and after["base_job_template"]["job_configuration"]["gpus"] == "{{ gpus }}"


def test_docker_pool_takes_the_servers_registry_template_and_unknown_types_need_one(prefect, pool, unique):
    results = converge(MOD, {"name": pool, "type": "docker"}, steps=("apply", "apply"))
    assert changed(results) == [True, False]
    assert "collection registry" in results[0]["template"]["source"]
    meta = prefect.ok("GET", "/collections/views/aggregate-worker-metadata")
    assert prefect.read_pool(pool)["base_job_template"] == meta["prefect-docker"]["docker"]["default_base_job_configuration"]

    custom = f"custom-{unique}"
    res = run_module(MOD, {"name": custom, "type": "my-own-worker"})
    assert res["failed"] and "no stock base job template for type 'my-own-worker'" in res["msg"]
    assert prefect.read_pool(custom) is None
    try:
        results = converge(MOD, {"name": custom, "type": "my-own-worker", "base_job_template": {}},
                           steps=("apply", "apply"))
        assert changed(results) == [True, False]
        assert prefect.read_pool(custom)["base_job_template"] == {}
    finally:
        prefect.delete_pool(custom)


def test_create_without_type_fails_and_creates_nothing(prefect, pool):
    res = run_module(MOD, {"name": pool, "job_variables": {"cluster": "c"}})
    assert res["failed"] and "type" in res["msg"] and "does not exist" in res["msg"]
    assert prefect.read_pool(pool) is None


@pytest.fixture()
def counting_proxy(stack):
    """The Prefect fault proxy in this process; its record shows every call a module made."""
    upstream = stack["PREFECT_API_URL"].rsplit("/api", 1)[0]
    server = build_prefect_proxy(upstream)
    start_in_thread(server)
    yield ProxyControl(f"http://127.0.0.1:{server.server_port}"), f"http://127.0.0.1:{server.server_port}/api"
    server.shutdown()


BAD_INPUT = [
    ({"name": "a/b", "type": "ecs"}, "name 'a/b' contains '/'"),
    ({"name": "prefect-pool", "type": "ecs"}, "reserves"),
    ({"name": "ok", "type": "ecs", "concurrency_limit": -2}, "concurrency_limit must be 0 or more, or -1"),
    ({"name": "ok", "type": "e c s"}, "type 'e c s'"),
    ({"name": "ok", "type": "ecs", "base_job_template": {"job_configuration": {"a": "x"}}},
     "must have both a job_configuration mapping and a variables mapping"),
    ({"name": "ok", "recreate": True}, "recreate needs type"),
]


def test_bad_input_fails_before_any_api_call(counting_proxy, tmp_path):
    """Each message names the field and the fix; the module made no API call at all."""
    control, url = counting_proxy
    undeclared = {"job_configuration": {"a": "{{ b }}"}, "variables": {"properties": {}}}
    cases = BAD_INPUT + [({"name": "ok", "type": "ecs", "base_job_template": from_file(tmp_path, undeclared)},
                          "uses {{ b }}, which is not declared")]
    results = run_each(MOD, [{**args, "api_url": url} for args, _field in cases])
    for (args, field), res in zip(cases, results):
        assert res.get("failed") and field in res["msg"], (args, res.get("msg"))
    assert control.calls() == []


BAD_JOB_VARIABLES = [
    ({"cpu": "lots"}, "job_variables.cpu: expected integer or null"),
    ({"launch_type": "FARGATE_NOPE"}, "job_variables.launch_type: expected one of"),
    ({"clutser": "x"}, "job_variables clutser"),
    ({"network_configuration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}}, "network_configuration must hold"),
    ({"network_configuration": {"subnets": ["s"], "assignPublicIp": True}}, "assignPublicIp must be ENABLED or DISABLED"),
]


def test_bad_job_variables_fail_before_any_change(prefect, ecs_pool, counting_proxy):
    control, url = counting_proxy
    before = prefect.read_pool(ecs_pool)
    results = run_each(MOD, [{"name": ecs_pool, "api_url": url, "job_variables": jv} for jv, _field in BAD_JOB_VARIABLES])
    for (job_variables, field), res in zip(BAD_JOB_VARIABLES, results):
        assert res.get("failed") and field in res["msg"], (job_variables, res.get("msg"))
    assert [c for c in control.calls() if c["method"] != "GET"] == []
    assert prefect.read_pool(ecs_pool) == before
