"""The changed_objects filter: what the site summary reports as changed."""
from __future__ import annotations

from ansible_collections.prefect_ops.ecs.plugins.filter.changed_objects import changed_objects


def test_single_results_are_named_only_when_they_changed():
    assert changed_objects({"cluster": {"changed": True}, "secret": {"changed": False},
                            "skipped": {"skipped": True, "changed": False}}) == ["cluster"]


def test_loops_name_the_changed_items_only():
    loop = {"changed": True, "results": [
        {"changed": True, "item": "/prefect/a/worker"},
        {"changed": False, "item": "/prefect/a/flow-runs"},
        {"changed": True, "item": {"name": "a-exec", "description": "x"}},
        {"changed": True, "item": [{"name": "a-worker"}, {"key": "policy", "value": {"Statement": []}}]},
    ]}
    assert changed_objects({"objects": loop}) == ["objects: /prefect/a/worker, a-exec, a-worker/policy"]


def test_an_unchanged_loop_or_a_missing_register_gives_no_line():
    assert changed_objects({"roles": {"changed": False, "results": [{"changed": False, "item": "x"}]},
                            "undefined": {}, "not a result": "text"}) == []


def test_a_label_can_merge_several_results():
    real = {"changed": True, "results": [{"changed": True, "item": "a"}, {"skipped": True, "item": "b"}]}
    predicted = {"changed": True, "results": [{"changed": True, "item": "b"}]}
    assert changed_objects({"policies": [real, predicted, {}]}) == ["policies: a, b"]
    assert changed_objects({"cluster": [{"changed": False}, {"changed": True}]}) == ["cluster"]


def test_objects_left_in_place_get_their_own_line():
    """A module that finds an object the collection did not create leaves it and says so (kept)."""
    pools = {"changed": True, "results": [
        {"changed": True, "item": {"name": "dev"}},
        {"changed": False, "kept": "work pool 'ops' was not created by prefect_ops.ecs ...", "item": {"name": "ops"}},
        {"changed": False, "kept": None, "item": {"name": "gone-already"}},
    ]}
    assert changed_objects({"other pools": pools}) == ["other pools: dev", "other pools (left in place): ops"]
    assert changed_objects({"ECS pool": {"changed": False, "kept": "work pool 'x' was not created ..."}}) == [
        "ECS pool (left in place)"]
