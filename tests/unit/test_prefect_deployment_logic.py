"""Unit tests of the deployment logic (plugins/module_utils/prefect_deployment.py): input checks and their
messages, comparison by meaning, the change plan and its prediction.

Where Prefect's own code defines the behaviour we mirror (rrule normalisation, the schedule request schema),
the test checks against the installed prefect 3.8.8 itself. Behaviour against the real server is in
tests/integration/test_prefect_deployment.py.
"""
from __future__ import annotations

import copy
import datetime

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import prefect_deployment as D
from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect_templates import STOCK_TEMPLATES

ECS = STOCK_TEMPLATES["ecs"]["template"]
PROCESS = STOCK_TEMPLATES["process"]["template"]
NOW = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)


def params(**kwargs):
    """The module's params as AnsibleModule fills them: every option present, unset ones None."""
    base = {k: None for k in ("entrypoint", "work_pool_name", "work_queue_name", "image", "job_variables",
                              "parameters", "parameter_openapi_schema", "enforce_parameter_schema", "schedules",
                              "tags", "description", "version", "paused", "concurrency_limit",
                              "concurrency_options", "pull_steps")}
    base.update(name="dep", flow_name="flow", state="present")
    base.update(kwargs)
    return base


def sched(**kwargs):
    item = dict(cron=None, interval=None, anchor_date=None, rrule=None, timezone=None, day_or=None, active=True,
                parameters=None, slug=None)
    item.update(kwargs)
    return item


def api_schedule(rule, active=True, parameters=None, slug=None, sid="s1"):
    return {"id": sid, "created": "c", "updated": "u", "deployment_id": "d1", "schedule": rule, "active": active,
            "max_scheduled_runs": None, "parameters": parameters or {}, "slug": slug}


def existing(**kwargs):
    """A deployment as GET /deployments/{id} returns it."""
    dep = {"id": "d1", "name": "dep", "flow_id": "f1", "entrypoint": "flows.py:main", "work_pool_name": "pool",
           "work_queue_name": "default", "work_queue_id": "q1", "job_variables": {}, "parameters": {}, "tags": [],
           "schedules": [], "paused": False, "description": None, "version": None, "pull_steps": [],
           "parameter_openapi_schema": {}, "enforce_parameter_schema": True, "concurrency_limit": None,
           "global_concurrency_limit": None, "concurrency_options": None, "status": "NOT_READY"}
    dep.update(kwargs)
    return dep


# -- parsers -------------------------------------------------------------------------------------
@pytest.mark.parametrize("value,seconds", [(3600, 3600.0), (90.5, 90.5), ("3600", 3600.0), ("PT1H", 3600.0),
                                           ("P1D", 86400.0), ("PT1H30M", 5400.0), ("P1W", 604800.0), ("pt10s", 10.0)])
def test_parse_interval(value, seconds):
    assert D.parse_interval(value) == seconds


@pytest.mark.parametrize("value", [0, -5, True, "", "P", "PT", "1 hour", "P1DT", None])
def test_parse_interval_refuses(value):
    assert D.parse_interval(value) is None


def test_parse_instant_treats_naive_as_utc_like_the_server():
    assert D.parse_instant("2024-01-01T09:00:00") == D.parse_instant("2024-01-01T09:00:00Z")
    assert D.parse_instant("2024-01-01T11:00:00+02:00") == D.parse_instant("2024-01-01T09:00:00.000000Z")
    assert D.parse_instant("2024-13-01T00:00:00") is None and D.parse_instant("yesterday") is None
    assert D.server_instant("2024-01-01T09:00:00") == "2024-01-01T09:00:00Z"
    assert D.server_instant("2024-01-01T09:00:00+02:00") == "2024-01-01T09:00:00+02:00"


# -- schedules by meaning --------------------------------------------------------------------------
def test_cron_compares_by_meaning():
    assert D.cron_key("0  9 * *   MON") == D.cron_key("0 9 * * mon")
    assert D.cron_key("@daily") == D.cron_key("0 0 * * *") == D.cron_key("@midnight")
    assert D.cron_key("0 9 * * *") != D.cron_key("0 10 * * *")


@pytest.mark.parametrize("cron,part", [("", "is empty"), ("0 9 * *", "has 4 fields"), ("H 9 * * *", "random or hashed"),
                                       ("@sometimes", "not a cron alias"), ("0 9 * * $", "invalid field")])
def test_cron_errors(cron, part):
    assert part in D.cron_error(cron)


def test_cron_error_accepts_what_prefect_accepts():
    for cron in ("0 9 * * 1-5", "*/15 * * * *", "0 0 1 1 *", "@hourly", "0 0 * * MON#2", "0 30 9 * * *"):
        assert D.cron_error(cron) is None, cron


@pytest.mark.parametrize("rrule", ["FREQ=DAILY;INTERVAL=1", "RRULE:FREQ=WEEKLY;BYDAY=MO", "FREQ=MINUTELY;INTERVAL=7",
                                   "FREQ=SECONDLY;INTERVAL=30", "FREQ=MINUTELY;COUNT=5",
                                   "RRULE:FREQ=DAILY\nEXDATE:20240101T000000",
                                   "DTSTART:20240101T090000\nRRULE:FREQ=DAILY"])
@pytest.mark.parametrize("timezone", [None, "Europe/Paris"])
def test_server_rrule_is_what_prefect_stores(rrule, timezone):
    from prefect._internal.schemas.validators import normalize_rrule_string
    assert D.server_rrule(rrule, timezone, NOW) == normalize_rrule_string(rrule, now=NOW, timezone=timezone)
    # and the stored form compares equal to what the user wrote
    assert D.same_rrule(rrule, normalize_rrule_string(rrule, now=NOW, timezone=timezone))


def test_same_rrule_tells_a_different_anchor_or_rule():
    assert not D.same_rrule("FREQ=DAILY", "DTSTART:20240101T090000\nFREQ=DAILY")  # 09:00, not midnight
    assert not D.same_rrule("FREQ=DAILY", "DTSTART:20200101T000000\nFREQ=WEEKLY")
    assert not D.same_rrule("FREQ=MINUTELY;INTERVAL=7", "DTSTART:20260304T050601\nFREQ=MINUTELY;INTERVAL=7")  # phase
    assert D.same_rrule("FREQ=MINUTELY;INTERVAL=7", "DTSTART:20200101T000700\nFREQ=MINUTELY;INTERVAL=7")
    assert not D.same_rrule("DTSTART:20240101T090000\nFREQ=DAILY", "DTSTART:20200101T000000\nFREQ=DAILY")


def test_same_schedule_defaults_and_fields():
    cron = D.desired_schedule(sched(cron="0 9 * * *"))
    assert D.same_schedule(cron, api_schedule({"cron": "0  9 * * *", "timezone": None, "day_or": True}))
    assert D.same_schedule(cron, api_schedule({"cron": "0 9 * * *", "timezone": "UTC", "day_or": True}))
    assert not D.same_schedule(cron, api_schedule({"cron": "0 9 * * *", "timezone": "Europe/Paris", "day_or": True}))
    assert not D.same_schedule(cron, api_schedule({"cron": "0 9 * * *", "timezone": None, "day_or": False}))
    assert not D.same_schedule(cron, api_schedule({"cron": "0 9 * * *", "timezone": None, "day_or": True}, active=False))
    assert not D.same_schedule(cron, api_schedule({"cron": "0 9 * * *", "timezone": None, "day_or": True},
                                                  parameters={"x": 1}))
    assert not D.same_schedule(cron, api_schedule({"interval": 3600.0, "anchor_date": "2024-01-01T00:00:00Z",
                                                   "timezone": "UTC"}))
    # a slug is compared only when given
    assert D.same_schedule(cron, api_schedule({"cron": "0 9 * * *", "timezone": None}, slug="morning"))
    slugged = D.desired_schedule(sched(cron="0 9 * * *", slug="evening"))
    assert not D.same_schedule(slugged, api_schedule({"cron": "0 9 * * *", "timezone": None}, slug="morning"))

    every_hour = D.desired_schedule(sched(interval="PT1H"))
    stored = api_schedule({"interval": 3600.0, "anchor_date": "2026-11-22T21:13:44.331743Z", "timezone": "UTC"})
    assert D.same_schedule(every_hour, stored)  # anchor compared only when given
    anchored = D.desired_schedule(sched(interval=3600, anchor_date="2026-11-22T22:13:44.331743+01:00"))
    assert D.same_schedule(anchored, stored)
    assert not D.same_schedule(D.desired_schedule(sched(interval=3600, anchor_date="2026-11-22T21:00:00")), stored)
    assert not D.same_schedule(D.desired_schedule(sched(interval=1800)), stored)


@pytest.mark.parametrize("item", [
    sched(cron="0 9 * * 1-5", timezone="Europe/Paris", day_or=False, parameters={"x": 1}, slug="weekdays"),
    sched(interval=90.5), sched(interval="PT1H", anchor_date="2024-01-01T09:00:00Z", timezone="America/New_York"),
    sched(rrule="FREQ=WEEKLY;BYDAY=MO", active=False), sched(rrule="FREQ=MINUTELY;INTERVAL=7", timezone="Asia/Tokyo"),
])
def test_request_passes_the_servers_schema_and_prediction_is_what_it_stores(item):
    from prefect.server.schemas.actions import DeploymentScheduleCreate
    d = D.desired_schedule(item)
    stored = DeploymentScheduleCreate(**D.schedule_request(d)).model_dump(mode="json")
    predicted = D.predict_schedule(d, now=datetime.datetime.now(datetime.timezone.utc))
    if d["kind"] == "interval" and d["anchor_date"] is None:
        stored["schedule"]["anchor_date"] = None  # "now" on the server
    for key in ("active", "parameters", "slug", "max_scheduled_runs"):
        assert predicted[key] == stored[key], key
    rule, want = dict(stored["schedule"]), dict(predicted["schedule"])
    if d["kind"] == "interval" and d["anchor_date"]:
        assert D.parse_instant(want.pop("anchor_date")) == D.parse_instant(rule.pop("anchor_date"))
    assert want == rule
    # and what the server stores compares equal to the option, so a second run changes nothing
    assert D.same_schedule(d, stored)


def test_plan_schedules_same_meaning_in_another_order_is_no_change():
    current = [api_schedule({"cron": "@daily", "timezone": None, "day_or": True}, sid="a"),
               api_schedule({"interval": 60.0, "anchor_date": "2020-01-01T00:00:00Z", "timezone": "UTC"}, sid="b")]
    desired = [D.desired_schedule(sched(interval=60)), D.desired_schedule(sched(cron="0 0 * * *", timezone="UTC"))]
    assert D.plan_schedules(desired, current) is None


def test_plan_schedules_replaces_all_when_not_every_schedule_has_a_slug():
    current = [api_schedule({"cron": "0 9 * * *", "timezone": None}, sid="a")]
    desired = [D.desired_schedule(sched(cron="0 10 * * *"))]
    plan = D.plan_schedules(desired, current, "d1", now=NOW)
    assert plan["request"] == [{"schedule": {"cron": "0 10 * * *", "day_or": True}, "active": True, "parameters": {}}]
    assert plan["deletes"] == []
    assert [p["schedule"]["cron"] for p in plan["predicted"]] == ["0 10 * * *"]
    assert D.plan_schedules([], current)["request"] == []  # [] removes every schedule


def test_plan_schedules_with_slugged_schedules_keeps_slugs_and_deletes_leftovers():
    """The server only updates the slugs sent when every existing schedule has one (prefect deploy's)."""
    current = [api_schedule({"cron": "0 9 * * *", "timezone": None, "day_or": True}, slug="morning", sid="m"),
               api_schedule({"cron": "0 18 * * *", "timezone": None, "day_or": True}, slug="evening", sid="e"),
               api_schedule({"cron": "0 12 * * *", "timezone": None, "day_or": True}, slug="noon", sid="n")]
    desired = [D.desired_schedule(sched(cron="0 9 * * *")), D.desired_schedule(sched(cron="0 20 * * *")),
               D.desired_schedule(sched(cron="0 21 * * *")), D.desired_schedule(sched(cron="0 22 * * *", slug="late"))]
    plan = D.plan_schedules(desired, current, "d1", now=NOW)
    slugs = [r["slug"] for r in plan["request"]]
    assert slugs[0] == "morning"  # the matching schedule keeps its slug
    assert slugs[1:3] == ["evening", "noon"]  # unmatched existing slugs are reused (updated in place)
    assert slugs[3] == "late"
    assert plan["deletes"] == []
    fewer = D.plan_schedules(desired[:1], current, "d1", now=NOW)
    assert [r["slug"] for r in fewer["request"]] == ["morning"]
    assert sorted(fewer["deletes"]) == ["e", "n"]
    assert D.plan_schedules([], current)["deletes"] == ["m", "e", "n"]
    more = D.plan_schedules(desired + [D.desired_schedule(sched(cron="0 23 * * *"))], current, "d1", now=NOW)
    assert len(set(r["slug"] for r in more["request"])) == 5 and more["deletes"] == []


# -- job variables ----------------------------------------------------------------------------------
def test_merge_job_variables_touches_only_the_given_keys():
    current = {"image": "a:1", "cpu": 512, "env": {"A": "1"}, "set_elsewhere": True}
    merged, before, after, keys = D.merge_job_variables(current, {"image": "a:2", "cpu": 512, "env": None, "memory": 2048})
    assert merged == {"image": "a:2", "cpu": 512, "set_elsewhere": True, "memory": 2048}
    assert keys == ["env", "image", "memory"]
    assert before == {"env": {"A": "1"}, "image": "a:1"} and after == {"image": "a:2", "memory": 2048}
    assert current["image"] == "a:1"  # not mutated
    assert D.merge_job_variables(current, {"cpu": 512, "nothere": None})[3] == []


def test_template_accepts_ecs_variables_including_task_definition_arn():
    wanted = {"task_definition_arn": "arn:aws:ecs:us-east-1:123456789012:task-definition/flows:7", "cpu": 1024,
              "env": {"LOG_LEVEL": "INFO"}, "image": "flows:1"}
    assert D.template_errors(wanted, ECS, "ecs-pool") == []


def test_template_refuses_a_key_it_lacks_naming_it():
    errors = D.template_errors({"task_definition_arn": "arn:x", "env": {"A": "1"}}, PROCESS, "dev")
    assert len(errors) == 1
    assert errors[0].startswith("job_variables task_definition_arn: work pool 'dev'")
    assert "no such variable" in errors[0] and "valid keys: command, env" in errors[0]
    assert "job_variables nope" in D.template_errors({"nope": 1}, {}, "empty")[0]
    assert "none (the template is empty)" in D.template_errors({"nope": 1}, {}, "empty")[0]


def test_template_checks_values_against_the_variables_schema():
    errors = D.template_errors({"cpu": "lots", "launch_type": "NOPE", "env": {"A": 1}}, ECS, "p")
    assert any(e.startswith("job_variables.cpu: expected integer or null") for e in errors)
    assert any(e.startswith("job_variables.launch_type: expected one of") for e in errors)
    assert any(e.startswith("job_variables.env: A: expected string or null") for e in errors)
    assert D.template_errors({"cpu": None}, ECS, "p") == []  # null removes the key; nothing to check


@pytest.mark.parametrize("job_variables,field", [
    ({"env": {"PREFECT_API_KEY": "x"}}, "job_variables.env.PREFECT_API_KEY: a Prefect credential"),
    ({"env": {"prefect_api_auth_string": "u:p"}}, "job_variables.env.prefect_api_auth_string: a Prefect credential"),
    ({"env": {"TOKEN": "pnu_" + "a" * 36}}, "job_variables.env.TOKEN holds what looks like a Prefect API key"),
    ({"env": {"X": "admin:s3cr3t-pass"}}, "job_variables.env.X holds the api_key or auth_string"),
    ({"command": "run --auth admin:s3cr3t-pass"}, "job_variables.command holds the api_key or auth_string"),
    ({"labels": ["pnb_" + "B" * 36]}, "job_variables.labels[0] holds what looks like a Prefect API key"),
    ({"env": "PREFECT_API_KEY=x"}, "job_variables.env must be a mapping"),
])
def test_credentials_in_job_variables_are_refused(job_variables, field):
    errors = D.credential_errors(job_variables, secrets=("admin:s3cr3t-pass", None))
    assert errors and errors[0].startswith(field), errors
    if "mapping" not in field:
        assert "prefect_api_key_secret_arn" in errors[0] and "prefect_api_auth_string_secret_arn" in errors[0]
        assert "s3cr3t" not in errors[0] and "pnu_" not in errors[0]  # the value is never echoed


def test_ordinary_env_passes_the_credential_check():
    assert D.credential_errors({"env": {"PREFECT_API_URL": "http://x/api", "LOG_LEVEL": "DEBUG"}},
                               secrets=("admin:s3cr3t-pass",)) == []


# -- input checks -------------------------------------------------------------------------------------
BAD = [
    (params(name="a/b"), "name 'a/b' contains '/'"),
    (params(name=" "), "name must not be empty"),
    (params(flow_name="x>y"), "flow_name 'x>y' contains '>'"),
    (params(work_pool_name="p%"), "work_pool_name 'p%' contains '%'"),
    (params(work_queue_name="q&"), "work_queue_name 'q&' contains '&'"),
    (params(entrypoint="flows.py"), "entrypoint 'flows.py' is not a flow entrypoint"),
    (params(entrypoint="flows.py:"), "entrypoint 'flows.py:' is not a flow entrypoint"),
    (params(image="a:1", job_variables={"image": "b:2"}), "image and job_variables.image differ"),
    (params(job_variables={"env": {"PREFECT_API_KEY": "k"}}), "job_variables.env.PREFECT_API_KEY"),
    (params(concurrency_limit=0), "concurrency_limit must be 1 or more, or -1"),
    (params(concurrency_limit=-2), "concurrency_limit must be 1 or more, or -1"),
    (params(concurrency_options={"collision_strategy": "DROP", "grace_period_seconds": None}),
     "concurrency_options.collision_strategy must be ENQUEUE or CANCEL_NEW"),
    (params(concurrency_options={"collision_strategy": None, "grace_period_seconds": 5}),
     "concurrency_options.grace_period_seconds must be between 60 and 86400"),
    (params(schedules=[sched()]), "schedules[0] must have exactly one of cron, interval or rrule (got none)"),
    (params(schedules=[sched(cron="@daily"), sched(cron="0 1 * * *", interval=5)]),
     "schedules[1] must have exactly one of cron, interval or rrule (got cron, interval)"),
    (params(schedules=[sched(cron="0 9 * *")]), "schedules[0].cron '0 9 * *' has 4 fields"),
    (params(schedules=[sched(interval="soon")]), "schedules[0].interval 'soon' is not a positive number"),
    (params(schedules=[sched(rrule="BYDAY=MO")]), "schedules[0].rrule 'BYDAY=MO' has no FREQ="),
    (params(schedules=[sched(cron="@daily", anchor_date="2024-01-01")]),
     "schedules[0].anchor_date only applies to an interval schedule"),
    (params(schedules=[sched(interval=60, anchor_date="soon")]), "schedules[0].anchor_date 'soon' is not an ISO 8601"),
    (params(schedules=[sched(interval=60, day_or=False)]), "schedules[0].day_or only applies to a cron schedule"),
    (params(schedules=[sched(cron="@daily", timezone="Mars/Olympus")]),
     "schedules[0].timezone 'Mars/Olympus' is not an IANA time zone"),
    (params(schedules=[sched(cron="@daily", slug="a"), sched(cron="@hourly", slug="a")]),
     "schedules[1].slug 'a' is used twice"),
    (params(tags=["ok", ""]), "tags[1] must be a non-empty string"),
    (params(pull_steps=[{"a": {}, "b": {}}]), "pull_steps[0] must be a mapping with exactly one key"),
]


@pytest.mark.parametrize("p,message", BAD, ids=[m for _p, m in BAD])
def test_input_errors_name_the_field(p, message):
    errors = D.input_errors(p, secrets=())
    assert any(e.startswith(message) or message in e for e in errors), errors


def test_good_input_has_no_errors_and_absent_checks_only_names():
    good = params(entrypoint="flows/etl.py:etl", work_pool_name="ecs", work_queue_name="q", image="img:1",
                  job_variables={"image": "img:1", "cpu": 512}, concurrency_limit=-1, tags=["a"],
                  concurrency_options={"collision_strategy": "ENQUEUE", "grace_period_seconds": 60},
                  schedules=[sched(cron="0 9 * * *", timezone="Europe/Paris"), sched(interval="PT1H"),
                             sched(rrule="FREQ=DAILY")],
                  pull_steps=[{"prefect.deployments.steps.set_working_directory": {"directory": "/opt"}}])
    assert D.input_errors(good) == []
    assert D.input_errors(params(entrypoint="package.module.flow")) == []
    assert D.input_errors(params(state="absent", concurrency_limit=0, entrypoint="x")) == []
    assert D.input_errors(params(state="absent", name="a/b")) != []


# -- plans ----------------------------------------------------------------------------------------
def test_unset_options_are_never_touched():
    current = existing(job_variables={"image": "ui:1"}, tags=["ui"], description="from the UI", paused=True,
                       schedules=[api_schedule({"cron": "0 9 * * *", "timezone": None, "day_or": True})],
                       global_concurrency_limit={"limit": 4},
                       concurrency_options={"collision_strategy": "ENQUEUE", "grace_period_seconds": None})
    plan = D.plan_update(current, params(), "flow")
    assert plan["patch"] == {} and plan["changes"] == [] and plan["before"] == plan["after"] == {}
    assert plan["predicted"]["concurrency_limit"] == 4 and plan["predicted"]["flow_name"] == "flow"


def test_plan_update_job_variables_per_key_and_prediction():
    current = existing(job_variables={"image": "a:1", "cpu": 512, "env": {"X": "1"}})
    plan = D.plan_update(current, params(image="a:2", job_variables={"cpu": 512, "env": None}), "flow")
    assert plan["patch"] == {"job_variables": {"image": "a:2", "cpu": 512}}  # PATCH replaces the whole mapping
    assert plan["changes"] == ["job_variables.env", "job_variables.image"]
    assert plan["before"] == {"job_variables": {"env": {"X": "1"}, "image": "a:1"}}
    assert plan["after"] == {"job_variables": {"image": "a:2"}}
    assert plan["predicted"]["job_variables"] == {"image": "a:2", "cpu": 512}
    assert current["job_variables"]["image"] == "a:1"


def test_plan_update_tags_compare_as_a_set_and_simple_fields():
    current = existing(tags=["b", "a"], pull_steps=None, description="old")
    plan = D.plan_update(current, params(tags=["a", "b", "a"], pull_steps=[], description="old", paused=False,
                                         enforce_parameter_schema=True), "flow")
    assert plan["patch"] == {}
    plan = D.plan_update(current, params(tags=["a"], description="", version="2", entrypoint="other.py:main"), "flow")
    assert plan["patch"] == {"tags": ["a"], "description": "", "version": "2", "entrypoint": "other.py:main"}
    assert plan["changes"] == ["entrypoint", "description", "version", "tags"]
    assert plan["before"]["description"] == "old" and plan["after"]["description"] == ""


def test_a_queue_change_always_names_the_pool():
    plan = D.plan_update(existing(), params(work_queue_name="critical"), "flow")
    assert plan["patch"] == {"work_pool_name": "pool", "work_queue_name": "critical"}
    assert plan["changes"] == ["work_queue_name"]
    assert plan["predicted"]["work_queue_name"] == "critical" and plan["predicted"]["work_pool_name"] == "pool"


def test_a_pool_change_without_queue_lands_in_the_new_pools_default_queue():
    plan = D.plan_update(existing(work_queue_name="critical"), params(work_pool_name="other"), "flow",
                         default_queue="main")
    assert plan["patch"] == {"work_pool_name": "other"}
    assert plan["after"] == {"work_pool_name": "other", "work_queue_name": "main"}
    assert plan["changes"] == ["work_pool_name", "work_queue_name"]


def test_a_queue_without_any_pool_fails_with_the_fix():
    with pytest.raises(D.PlanError, match="work_queue_name 'q' needs work_pool_name"):
        D.plan_update(existing(work_pool_name=None, work_queue_name=None), params(work_queue_name="q"), "flow")


def test_plan_update_concurrency_limit_set_changed_removed():
    plan = D.plan_update(existing(), params(concurrency_limit=3), "flow")
    assert plan["patch"] == {"concurrency_limit": 3}
    assert plan["before"] == {"concurrency_limit": None} and plan["after"] == {"concurrency_limit": 3}
    assert plan["predicted"]["concurrency_limit"] == 3 and plan["predicted"]["global_concurrency_limit"]["limit"] == 3
    limited = existing(global_concurrency_limit={"id": "g", "name": "deployment:d1", "limit": 3})
    assert D.plan_update(limited, params(concurrency_limit=3), "flow")["patch"] == {}
    plan = D.plan_update(limited, params(concurrency_limit=5), "flow")
    assert plan["predicted"]["global_concurrency_limit"] == {"id": "g", "name": "deployment:d1", "limit": 5}
    plan = D.plan_update(limited, params(concurrency_limit=-1), "flow")
    assert plan["patch"] == {"concurrency_limit": None} and plan["predicted"]["global_concurrency_limit"] is None
    assert plan["predicted"]["concurrency_limit"] is None


def test_plan_update_concurrency_options_per_sub_option():
    current = existing(concurrency_options={"collision_strategy": "ENQUEUE", "grace_period_seconds": 120})
    same = params(concurrency_options={"collision_strategy": "ENQUEUE", "grace_period_seconds": None})
    assert D.plan_update(current, same, "flow")["patch"] == {}
    plan = D.plan_update(current, params(concurrency_options={"collision_strategy": "CANCEL_NEW",
                                                              "grace_period_seconds": None}), "flow")
    assert plan["patch"] == {"concurrency_options": {"collision_strategy": "CANCEL_NEW", "grace_period_seconds": 120}}
    assert plan["changes"] == ["concurrency_options"]


def test_plan_update_schedules_diff_shows_both_sides_as_a_user_writes_them():
    current = existing(schedules=[api_schedule({"cron": "0 9 * * *", "timezone": None, "day_or": True})])
    plan = D.plan_update(current, params(schedules=[sched(cron="0 9 * * *")]), "flow")
    assert plan["patch"] == {}
    plan = D.plan_update(current, params(schedules=[sched(cron="0 10 * * *", timezone="Europe/Paris")]), "flow",
                         now=NOW)
    assert plan["changes"] == ["schedules"]
    assert plan["before"] == {"schedules": [{"cron": "0 9 * * *", "timezone": None, "active": True}]}
    assert plan["after"] == {"schedules": [{"cron": "0 10 * * *", "timezone": "Europe/Paris", "active": True}]}
    assert plan["predicted"]["schedules"][0]["schedule"] == {"cron": "0 10 * * *", "timezone": "Europe/Paris",
                                                             "day_or": True}


def test_plan_create_body_and_prediction():
    p = params(entrypoint="flows.py:main", work_pool_name="ecs", image="img:1", job_variables={"cpu": 256, "memory": None},
               schedules=[sched(cron="@daily")], concurrency_limit=2,
               concurrency_options={"collision_strategy": "CANCEL_NEW", "grace_period_seconds": None}, tags=["t"])
    plan = D.plan_create(p, "f1", default_queue="main", now=NOW)
    body = plan["body"]
    assert body["flow_id"] == "f1" and body["work_pool_name"] == "ecs" and "work_queue_name" not in body
    assert body["job_variables"] == {"cpu": 256, "image": "img:1"}  # null keys are not sent
    assert body["schedules"] == [{"schedule": {"cron": "@daily", "day_or": True}, "active": True, "parameters": {}}]
    assert body["concurrency_limit"] == 2
    assert body["concurrency_options"] == {"collision_strategy": "CANCEL_NEW", "grace_period_seconds": None}
    pred = plan["predicted"]
    assert pred["id"] is None and pred["flow_name"] == "flow" and pred["work_queue_name"] == "main"
    assert pred["concurrency_limit"] == 2
    # the ownership label (module_utils.ownership) beside the server's own
    assert pred["labels"] == {"prefect.flow.id": "f1", "prefect-ops.managed-by": "prefect_ops.ecs"}
    assert body["labels"] == {"prefect-ops.managed-by": "prefect_ops.ecs"}
    assert pred["enforce_parameter_schema"] is True and pred["pull_steps"] == [] and pred["parameter_openapi_schema"] == {}
    assert plan["before"] == {"state": "absent"} and plan["after"]["state"] == "present"
    assert plan["changes"] == ["state"]
    # -1 on create means no limit: nothing sent
    assert "concurrency_limit" not in D.plan_create(params(work_pool_name="ecs", concurrency_limit=-1), None)["body"]


def test_present_fills_the_limit_from_the_global_concurrency_limit():
    dep = existing(global_concurrency_limit={"limit": 7})
    out = D.present(dep, "flow")
    assert out["concurrency_limit"] == 7 and out["flow_name"] == "flow"
    assert dep["concurrency_limit"] is None and "flow_name" not in dep
    assert copy.deepcopy(out) == out
