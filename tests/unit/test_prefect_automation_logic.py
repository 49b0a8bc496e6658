"""Unit tests of prefect_automation's logic (plugins/module_utils/prefect_automation.py), without a server:
input checks name the field, the comparison by what the task gives (numbers by value, string lists as sets, server
ids and defaults ignored), the digest that catches a dropped key, and the site's guards."""
from __future__ import annotations

from ansible_collections.prefect_ops.ecs.plugins.module_utils import prefect_automation as pa

TRIGGER = {"type": "event", "posture": "Proactive", "after": ["prefect.flow-run.Pending"],
           "expect": ["prefect.flow-run.*"], "within": 60}
ITEM = {"name": "a", "trigger": TRIGGER, "actions": [{"type": "change-flow-run-state", "state": "CRASHED"}]}


def server_copy(body, **trigger):
    """What the server returns for a body: ids, floats, defaults added."""
    copy = dict(body, id="x", created="t", trigger=dict(body["trigger"], id="t1", within=float(body["trigger"]["within"]),
                                                        match={}, match_related={}, threshold=1, **trigger))
    copy["actions"] = [dict(a, force=False, name=None) for a in body["actions"]]
    return copy


def test_a_server_copy_of_what_was_written_is_unchanged_and_a_ui_edit_is_found():
    body = pa.wanted(ITEM)
    assert pa.changed_fields(server_copy(body), body) == []
    assert pa.changed_fields(server_copy(body, after=["prefect.flow-run.Running"]), body) == ["trigger"]
    assert pa.changed_fields(None, body) == ["state"]


def test_a_key_the_task_drops_changes_the_digest():
    written = pa.wanted(dict(ITEM, description="old"))
    now = pa.wanted(ITEM)
    assert pa.changed_fields(server_copy(written), now) == ["description", "tags"]
    assert pa.owned(written) and pa.spec_tag(written) != pa.spec_tag(now)


def test_input_problems_name_the_field_and_the_fix():
    params = {"state": "present", "automations": [
        dict(ITEM, trigger=dict(TRIGGER, within=5)), {"name": "a"}, {"name": "b", "tags": [pa.OWNER_TAG]}]}
    heads = [p.split(":")[0] for p in pa.problems(params)]
    assert heads == ["automations[0].trigger.within", "automations[1].name", "automations[1].trigger",
                     "automations[1].actions", "automations[2].trigger", "automations[2].actions", "automations[2].tags"]
    assert pa.problems({"state": "absent", "automations": [{"name": "a"}]}) == []


def test_the_guards_are_scoped_to_the_pools_and_a_zero_threshold_removes_one():
    pending, cancelling = pa.stuck_run_guards("prod", ["prod", "prod-dev"], 1800, 0)
    scope = {"prefect.resource.role": "work-pool", "prefect.resource.name": ["prod", "prod-dev"]}
    assert pending["trigger"]["match_related"] == scope
    assert pending["trigger"]["within"] == 1800 and pending["actions"][0]["state"] == "CRASHED"
    assert cancelling == {"name": "prod: cancel flow runs stuck in Cancelling", "state": "absent"}
    assert pa.problems({"state": "present", "automations": [pending, cancelling]}) == []
    assert [g.get("state") for g in pa.stuck_run_guards("prod", [], 1800, 900)] == ["absent", "absent"]
