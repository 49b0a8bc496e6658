"""Unit tests of the base job template logic (plugins/module_utils/prefect_job_template.py)."""
from __future__ import annotations

import copy

from ansible_collections.prefect_ops.ecs.plugins.module_utils import prefect_job_template as T
from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect_templates import OLDER_VARIABLE_SETS

ECS = T.stock_template("ecs")


def older_ecs_template():
    """An ECS template with the variable set of the server's offline registry copy."""
    tpl = copy.deepcopy(ECS)
    props = tpl["variables"]["properties"]
    for key in ("prefect_api_key_secret_arn", "prefect_api_auth_string_secret_arn"):
        del props[key]
        del tpl["job_configuration"][key]
    for key in ("stream_output", "task_start_timeout_seconds", "task_watch_poll_interval"):
        props[key] = {"type": "integer" if key != "stream_output" else "boolean", "default": 0 if key != "stream_output" else True}
    assert set(props) == set(OLDER_VARIABLE_SETS["ecs"][0]["variables"])
    return tpl


def test_stock_templates_are_copies():
    a = T.stock_template("ecs")
    a["variables"]["properties"]["cluster"]["default"] = "changed"
    assert T.stock_template("ecs")["variables"]["properties"]["cluster"]["default"] is None
    assert T.stock_template("docker") is None
    assert T.stock_label("ecs").startswith("prefect-aws ")


def test_apply_sets_only_the_given_keys_at_the_top_level_default():
    net = {"subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}
    new, errors = T.apply_job_variables(ECS, {"cluster": "arn:c", "network_configuration": net}, "ecs")
    assert errors == []
    props = new["variables"]["properties"]
    assert props["cluster"]["default"] == "arn:c"
    assert props["network_configuration"]["default"] == net  # top level, what the worker reads
    assert "properties" not in props["network_configuration"]
    before, after = T.defaults(ECS), T.defaults(new)
    assert {k for k in set(before) | set(after) if before.get(k, "<none>") != after.get(k, "<none>")} == {
        "cluster", "network_configuration"}
    assert new["job_configuration"] == ECS["job_configuration"]
    assert ECS["variables"]["properties"]["cluster"]["default"] is None  # input untouched


def test_null_removes_a_default():
    new, errors = T.apply_job_variables(ECS, {"launch_type": None}, "ecs")
    assert errors == [] and "default" not in new["variables"]["properties"]["launch_type"]


def test_unknown_key_of_an_older_template_says_how_to_upgrade():
    new, errors = T.apply_job_variables(older_ecs_template(), {"prefect_api_key_secret_arn": "arn:s"}, "ecs", "p1")
    assert len(errors) == 1
    assert "prefect_api_key_secret_arn" in errors[0] and "upgrade_template: true" in errors[0]
    assert "'p1'" in errors[0]


def test_unknown_key_that_no_template_has_lists_valid_keys():
    errors = T.apply_job_variables(ECS, {"clutser": "x"}, "ecs")[1]
    assert "clutser" in errors[0] and "valid keys" in errors[0] and "cluster" in errors[0]


def test_values_are_checked_against_the_schema():
    bad = {"cpu": "1024", "launch_type": "FARGATE_NOPE", "auto_deregister_task_definition": 1}
    errors = T.apply_job_variables(ECS, bad, "ecs")[1]
    text = "\n".join(errors)
    assert "job_variables.cpu" in text and "integer" in text
    assert "job_variables.launch_type" in text and "FARGATE_SPOT" in text
    assert "job_variables.auto_deregister_task_definition" in text and "boolean" in text


def test_schema_check_accepts_placeholders_block_references_and_nullable_values():
    errors = T.apply_job_variables(ECS, {
        "cpu": None, "memory": 2048, "cluster": "{{ prefect.variables.ecs_cluster }}",
        "aws_credentials": {"$ref": {"block_document_id": "0b7d9bb4-5c47-4ac5-9c9e-6d8f0e1b0b7e"}},
        "env": {"A": "1", "B": None}, "labels": {"team": "data"},
    }, "ecs")[1]
    assert errors == []


def test_labels_values_must_be_strings():
    errors = T.apply_job_variables(ECS, {"labels": {"n": 1}}, "ecs")[1]
    assert errors and "labels" in errors[0] and "n:" in errors[0]


def test_ecs_network_configuration_mistakes_fail_with_the_fix():
    errors = T.apply_job_variables(ECS, {"network_configuration": {
        "awsvpcConfiguration": {"subnets": ["subnet-1"]}}}, "ecs")[1]
    assert errors and "directly" in errors[0] and "awsvpcConfiguration" in errors[0]
    bad = {"subnets": "subnet-1", "assignPublicIp": True, "subnet": ["x"]}
    errors = T.apply_job_variables(ECS, {"network_configuration": bad}, "ecs")[1]
    text = "\n".join(errors)
    assert "unknown key(s) subnet" in text and "subnets must be a list" in text and "ENABLED or DISABLED" in text


def test_template_changes_are_per_key_and_only_what_changed():
    after = T.apply_job_variables(ECS, {"cluster": "arn:c", "launch_type": None}, "ecs")[0]
    before_view, after_view, paths = T.template_changes(ECS, after)
    assert before_view == {"job_variables": {"cluster": None, "launch_type": "FARGATE"}}
    assert after_view == {"job_variables": {"cluster": "arn:c"}}
    assert sorted(paths) == ["job_variables.cluster", "job_variables.launch_type"]
    assert T.template_changes(ECS, copy.deepcopy(ECS)) == ({}, {}, [])


def test_template_changes_show_schema_and_job_configuration_changes():
    after = copy.deepcopy(ECS)
    after["job_configuration"]["stream_output"] = True
    after["variables"]["properties"]["extra"] = {"type": "string", "default": "x"}
    before_view, after_view, paths = T.template_changes(ECS, after)
    assert after_view["base_job_template"]["job_configuration"] == {"stream_output": True}
    assert before_view["base_job_template"]["job_configuration"] == {"stream_output": False}
    assert after_view["base_job_template"]["variables"] == {"extra": {"type": "string"}}
    assert after_view["job_variables"] == {"extra": "x"}
    assert "extra" not in before_view.get("job_variables", {})
    assert set(paths) == {"base_job_template.job_configuration.stream_output", "base_job_template.variables.extra",
                          "job_variables.extra"}


def test_comparison_ignores_key_order_but_not_types():
    reordered = {"variables": dict(reversed(list(ECS["variables"].items()))),
                 "job_configuration": dict(reversed(list(ECS["job_configuration"].items())))}
    assert T.same(ECS, reordered)
    assert not T.same({"a": True}, {"a": 1})
    assert not T.same({"a": 1}, {"a": 1.5})


def test_identify_tells_stock_older_custom_and_empty():
    assert T.identify("ecs", ECS)["created_from"] == T.stock_label("ecs")
    assert T.identify("ecs", ECS)["matches_stock"] is True
    configured = T.apply_job_variables(ECS, {"cluster": "c"}, "ecs")[0]
    assert T.identify("ecs", configured)["matches_stock"] is True  # defaults are not structure
    old = T.identify("ecs", older_ecs_template())
    assert old["created_from"] == OLDER_VARIABLE_SETS["ecs"][0]["label"]
    assert old["upgrade_available"] is True
    assert old["missing_variables"] == ["prefect_api_auth_string_secret_arn", "prefect_api_key_secret_arn"]
    assert old["extra_variables"] == ["stream_output", "task_start_timeout_seconds", "task_watch_poll_interval"]
    custom = copy.deepcopy(ECS)
    custom["job_configuration"]["stream_output"] = True
    assert T.identify("ecs", custom)["created_from"].endswith("(customised)")
    assert T.identify("ecs", {"job_configuration": {"a": "{{ a }}"},
                              "variables": {"properties": {"a": {}}}})["created_from"] == "custom"
    assert T.identify("ecs", {})["created_from"].startswith("none")
    assert T.identify("docker", {"x": 1})["stock"] is None


def test_upgrade_keeps_defaults_and_reports_dropped_ones():
    given = {"cluster": "arn:c", "cpu": 512, "task_start_timeout_seconds": 300}
    old = T.apply_job_variables(older_ecs_template(), given, "ecs")[0]
    new, kept, dropped = T.upgrade(old, ECS)
    assert T.same_structure(new, ECS)
    assert T.defaults(new)["cluster"] == "arn:c" and T.defaults(new)["cpu"] == 512
    assert kept == {"cluster": "arn:c", "cpu": 512}
    assert dropped == {"task_start_timeout_seconds": 300, "stream_output": True, "task_watch_poll_interval": 0}
    assert "prefect_api_key_secret_arn" in new["variables"]["properties"]


def test_shape_errors_name_the_problem():
    assert T.shape_error({}) is None
    assert T.shape_error(ECS) is None
    assert "job_configuration" in T.shape_error({"variables": {"properties": {}}})
    msg = T.shape_error({"job_configuration": {"a": "{{ nope }}"}, "variables": {"properties": {}}})
    assert "{{ nope }}" in msg and "not declared" in msg
    assert T.shape_error({"job_configuration": {"a": "{{ prefect.variables.x }}"},
                          "variables": {"properties": {}}}) is None
