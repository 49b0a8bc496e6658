"""site.yml and teardown.yml: the role lists their preflight pass and summaries read match the roles they run."""
from __future__ import annotations

from pathlib import Path

import yaml

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"


def play(name):
    [only] = yaml.safe_load((PLAYBOOKS / name).read_text())
    return only


def run_order(p):
    """The roles a play runs after site_context, in order: its `roles`, and the roles its `tasks` import (site.yml)."""
    roles = [r["role"].removeprefix("prefect_ops.ecs.") for r in p.get("roles", [])]
    assert roles[0] == "site_context", "the host's context first"
    return roles[1:] + [t["ansible.builtin.import_role"]["name"].removeprefix("prefect_ops.ecs.")
                        for t in p.get("tasks", []) if "ansible.builtin.import_role" in t]


def context_first(p):
    """site_context first, under `roles`, exactly as every role's dependency on it (so it runs once per play)."""
    assert "pre_tasks" not in p and p["roles"][0] == {"role": "prefect_ops.ecs.site_context"}


def test_site_lists_its_roles_once_for_the_preflight_pass_and_the_summary():
    p = play("site.yml")
    assert p["vars"]["__site_roles"] == run_order(p)
    context_first(p)
    preflight = p["tasks"][0]
    # one task, the first, checks every role's inputs
    assert "__site_roles" in preflight["prefect_ops.ecs.preflight"]["roles"]
    # which validated every role's argument spec: the roles are imported without validating it again, and without
    # their own check (entry point run)
    imports = [t["ansible.builtin.import_role"] for t in p["tasks"][1:]]
    assert all(i["rolespec_validate"] is False and i["tasks_from"] == "run" for i in imports)
    [summary] = p["post_tasks"]
    assert summary["prefect_ops.ecs.site_summary"]["roles"] == "{{ __site_roles }}"


def test_teardown_summarises_the_roles_it_runs_in_their_order():
    p = play("teardown.yml")
    context_first(p)
    [summary] = p["post_tasks"]
    assert summary["vars"]["__site_roles"] == run_order(p)
