"""The roles' input checks in Python (module_utils/role_inputs.py) and the action prefect_ops.ecs.preflight that runs
them with each role's argument spec and unknown-variable check, on the roles' real defaults and specs."""
from __future__ import annotations

import types

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs_cluster
from ansible_collections.prefect_ops.ecs.plugins.module_utils import role_inputs as r

SITE = {"prefect_ecs_name": "s1", "prefect_ecs_tags": {}}
CLUSTER = dict(SITE, ecs_cluster_name="s1", ecs_cluster_create=True, ecs_cluster_state="present",
               ecs_cluster_capacity_providers=["FARGATE", "FARGATE_SPOT"],
               ecs_cluster_capacity_provider_strategy=[{"capacity_provider": "FARGATE", "weight": 1, "base": 0}],
               ecs_cluster_container_insights="", ecs_cluster_tags={})
EVENTS = dict(SITE, ecs_events_name="s1", ecs_events_clusters=[], ecs_events_state="present",
              ecs_events_message_retention_period=604800, ecs_events_visibility_timeout=300,
              ecs_events_max_receive_count=3, ecs_events_dead_letter_message_retention_period=1209600,
              ecs_events_dead_letter_visibility_timeout=60, ecs_events_encryption="", ecs_events_kms_key_id="")
LOGS = dict(SITE, ecs_log_groups_state="present", ecs_log_groups_worker_name="/prefect/s1/worker",
            ecs_log_groups_flow_runs_name="/prefect/s1/flow-runs", ecs_log_groups_retention_days=30,
            ecs_log_groups_kms_key_id="", ecs_log_groups_tags={})


def test_rename_names_the_role_variables_not_plain_words():
    fields = {"name": "ecs_events_name", "rule_name": "ecs_events_rule", "clusters": "ecs_events_clusters"}
    assert r.rename("name: the name 'x' is bad", fields) == "ecs_events_name: the name 'x' is bad"
    assert r.rename("clusters[1]: not an ARN", fields) == "ecs_events_clusters[1]: not an ARN"
    assert (r.rename("rule_name: the rule name (built from name) is long; shorten name or set rule_name", fields)
            == "ecs_events_rule: the rule name (built from ecs_events_name) is long; shorten ecs_events_name or set "
               "ecs_events_rule")
    assert r.rename("tags: unchanged", fields) == "tags: unchanged"


def test_valid_defaults_pass():
    assert r.ecs_cluster(CLUSTER) == [] and r.ecs_events(EVENTS) == [] and r.ecs_log_groups(LOGS) == []
    assert r.ecs_verify({"ecs_verify_pool": "s1", "ecs_verify_worker_timeout": 0,
                         "ecs_verify_worker_task_role_requirements": []}) == []


def test_cluster_reuses_the_module_checks_naming_the_role_variables(monkeypatch):
    bad = dict(CLUSTER, ecs_cluster_name="bad name", ecs_cluster_tags={"prefect-ops:managed-by": "me"},
               ecs_cluster_capacity_provider_strategy=[{"capacity_provider": "fargate", "weight": 1}])
    problems = r.ecs_cluster(bad)
    assert any(p.startswith("ecs_cluster_name: ") for p in problems), problems
    assert any(p.startswith("ecs_cluster_tags: ") and "reserved" in p for p in problems), problems
    assert any(p.startswith("ecs_cluster_capacity_provider_strategy[0].capacity_provider: ") and "FARGATE?" in p
               for p in problems), problems
    # the module's own function is what runs: without it the role check finds nothing
    monkeypatch.setattr(ecs_cluster, "static_problems", lambda params: [])
    assert [p for p in r.ecs_cluster(bad) if "ecs_cluster_name" in p] == []


def test_cluster_role_offers_fargate_providers_only_and_adopted_clusters_are_only_looked_up():
    assert r.ecs_cluster(dict(CLUSTER, ecs_cluster_capacity_providers=["FARGATE", "my-asg"]))[0].startswith(
        "ecs_cluster_capacity_providers: the role creates Fargate clusters")
    # create=false: only the name is checked (the strategy and tags are not the role's to pass)
    assert r.ecs_cluster(dict(CLUSTER, ecs_cluster_create=False, ecs_cluster_capacity_providers=["x y"])) == []
    assert r.ecs_cluster(dict(CLUSTER, ecs_cluster_create=False, ecs_cluster_name="a b"))[0].startswith("ecs_cluster_name:")


def test_log_groups_check_both_names_and_report_a_shared_problem_once():
    problems = r.ecs_log_groups(dict(LOGS, ecs_log_groups_retention_days=8, ecs_log_groups_flow_runs_name="/a b"))
    assert [p.split(":", maxsplit=1)[0] for p in problems] == ["ecs_log_groups_retention_days", "ecs_log_groups_flow_runs_name"]
    assert r.ecs_log_groups(dict(LOGS, ecs_log_groups_kms_key_id="alias/x"))[0].startswith("ecs_log_groups_kms_key_id:")


def test_events_names_the_rule_built_from_the_name_and_leaves_the_clusters_to_the_run():
    [problem] = r.ecs_events(dict(EVENTS, ecs_events_name="e" * 50))
    assert problem.startswith("ecs_events_name (rule <name>-task-state-changes): ") and "64" in problem
    assert "shorten ecs_events_name by at least 5" in problem and "set rule_name" not in problem
    # no cluster yet: it comes from the ecs_cluster role's facts; a listed one that is wrong is refused now
    assert r.ecs_events(dict(EVENTS, ecs_events_clusters=[])) == []
    assert r.ecs_events(dict(EVENTS, ecs_events_max_receive_count=0))[0].startswith("ecs_events_max_receive_count:")
    assert "set ecs_events_encryption" in r.ecs_events(dict(EVENTS, ecs_events_kms_key_id="k"))[0]


def test_verify_uses_the_actions_own_checks():
    problems = r.ecs_verify({"ecs_verify_pool": "", "ecs_verify_worker_timeout": -1,
                             "ecs_verify_worker_task_role_requirements": [{"action": "a", "resource": "<nope>"}, "x"]})
    heads = [p.split(" ", maxsplit=1)[0] for p in problems]
    assert heads == ["ecs_verify_worker_task_role_requirements[0]:", "ecs_verify_worker_task_role_requirements[1]",
                     "ecs_verify_worker_timeout", "ecs_verify_pool"]


def test_a_role_whose_checks_are_still_asserts_has_none_here():
    assert r.problems("ecs_iam", {}) == []


@pytest.fixture
def preflight():
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook.task import Task
    from ansible.template import Templar

    from ansible_collections.prefect_ops.ecs.plugins.action import preflight as plugin

    def run(host_vars, roles, argument_spec=True):
        task = Task()
        task.args = {"roles": roles, "argument_spec": argument_spec}
        loader = DataLoader()
        task_vars = dict(host_vars, inventory_hostname="h1")
        connection = types.SimpleNamespace(_shell=types.SimpleNamespace(tmpdir=None))
        act = plugin.ActionModule(task, connection=connection, play_context=None, loader=loader,
                                  templar=Templar(loader=loader, variables=task_vars), shared_loader_obj=None)
        return act.run(task_vars=task_vars)
    return run


def test_action_passes_the_roles_defaults(preflight):
    res = preflight({"prefect_ecs_name": "s1"}, ["ecs_cluster", "ecs_log_groups", "ecs_events"])
    assert not res.get("failed"), res
    assert res["problems"] == {} and res["preflight_tasks"] == []


def test_action_reports_every_role_at_once_spec_unknown_names_and_module_checks(preflight):
    res = preflight({"prefect_ecs_name": "s1", "ecs_cluster_nmae": "x", "ecs_log_groups_retention_days": 8,
                     "ecs_events_max_receive_count": "many", "ecs_iam_state": "present",
                     "prefect_ecs_context": {"region": "us-east-1", "partition": "aws", "account": "123456789012"}},
                    ["ecs_cluster", "ecs_log_groups", "ecs_events", "ecs_iam"])
    assert res["failed"]
    assert res["problems"]["ecs_cluster"] == [
        "unknown variable ecs_cluster_nmae (did you mean ecs_cluster_name?); valid names are the options of "
        "roles/ecs_cluster/meta/argument_specs.yml"]
    assert res["problems"]["ecs_log_groups"][0].startswith("ecs_log_groups_retention_days: 8 days")
    # the argument spec (as validate_argument_spec checks it): an int that is not one
    assert "ecs_events_max_receive_count" in res["problems"]["ecs_events"][0]
    assert res["preflight_tasks"] == ["ecs_iam"] and "ecs_iam" not in res["problems"]
    assert res["msg"].splitlines()[0].startswith("ecs_cluster: unknown variable ecs_cluster_nmae")


def test_action_templates_defaults_with_the_hosts_variables(preflight):
    # ecs_events_name defaults to "{{ prefect_ecs_name }}": a long site name makes the rule name too long
    res = preflight({"prefect_ecs_name": "e" * 50}, ["ecs_events"])
    assert res["failed"] and "ecs_events_name (rule <name>-task-state-changes)" in res["msg"]
    # without the argument spec (inside the role, where Ansible validated it) the Python checks still run
    res = preflight({"prefect_ecs_name": "s1", "ecs_log_groups_retention_days": 8}, ["ecs_log_groups"], False)
    assert res["failed"] and "ecs_log_groups_retention_days: 8 days" in res["msg"]


def test_action_refuses_a_role_that_is_not_the_collections(preflight):
    from ansible.errors import AnsibleActionFail
    with pytest.raises(AnsibleActionFail, match="not a role of prefect_ops.ecs"):
        preflight({}, ["no_such_role"])
