"""site.yml and teardown.yml: the role lists their preflight pass and summaries read match the roles they run."""
from __future__ import annotations

from pathlib import Path

import yaml

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"


def play(name):
    [only] = yaml.safe_load((PLAYBOOKS / name).read_text())
    return only


def run_order(p):
    """The roles a play runs, in order: its `roles`, or the roles its `tasks` import (site.yml)."""
    if "roles" in p:
        return [r["role"].removeprefix("prefect_ops.ecs.") for r in p["roles"]]
    return [t["ansible.builtin.import_role"]["name"].removeprefix("prefect_ops.ecs.") for t in p["tasks"]]


def test_site_lists_its_roles_once_for_the_preflight_pass_and_the_summary():
    p = play("site.yml")
    assert p["vars"]["__site_roles"] == run_order(p)
    context, preflight = p["pre_tasks"]
    assert context["ansible.builtin.import_role"] == {"name": "prefect_ops.ecs.site_context", "tasks_from": "context",
                                                      "rolespec_validate": False} and "when" not in context
    # one task checks every role's inputs
    assert "__site_roles" in preflight["prefect_ops.ecs.preflight"]["roles"]
    # which validated every role's argument spec: the roles are imported without validating it again
    assert all(t["ansible.builtin.import_role"]["rolespec_validate"] is False for t in p["tasks"])
    [summary] = p["post_tasks"]
    assert summary["prefect_ops.ecs.site_summary"]["roles"] == "{{ __site_roles }}"


def test_teardown_summarises_the_roles_it_runs_in_their_order():
    p = play("teardown.yml")
    [context] = p["pre_tasks"]
    assert context["ansible.builtin.import_role"]["tasks_from"] == "context" and "when" not in context
    [summary] = p["post_tasks"]
    assert summary["vars"]["__site_roles"] == run_order(p)
