"""The gates every change passes: ansible-lint (production profile), ansible-test sanity with no
ignore entries, ansible-doc for every module, action groups that name real modules."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False, **kw)


@pytest.mark.slow
def test_ansible_lint_production_profile():
    proc = run([str(BIN / "ansible-lint"), "--profile", "production", "--nocolor"])
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]


@pytest.mark.slow
def test_ansible_test_sanity_passes_with_no_ignores():
    ignores = [p for p in (REPO / "tests" / "sanity").glob("ignore-*.txt") if p.read_text().strip()]
    assert ignores == [], f"sanity ignore entries are not allowed: {ignores}"
    proc = run(["bash", "scripts/sanity.sh"], timeout=1800)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-3000:]


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders(module):
    proc = run([str(BIN / "ansible-doc"), f"prefect_ops.ecs.{module}"])
    assert proc.returncode == 0, proc.stderr
    assert f"prefect_ops.ecs.{module}" in proc.stdout
    for section in ("OPTIONS", "EXAMPLES", "RETURN VALUES"):
        assert section in proc.stdout, f"{module}: ansible-doc shows no {section}"


def test_action_groups_name_existing_modules():
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    named = [m for group in runtime["action_groups"].values() for m in group if isinstance(m, str)]
    missing = sorted(set(named) - set(MODULES))
    assert missing == [], f"meta/runtime.yml action_groups name modules that do not exist: {missing}"
    extends = [m["metadata"]["extend_group"] for m in runtime["action_groups"]["aws"] if isinstance(m, dict)]
    assert extends == [["amazon.aws.aws", "community.aws.aws"]]


def test_every_role_has_argument_specs_and_runs_in_the_hosts_context_preflight_first():
    """Each role depends on site_context (the host's context, before its argument spec is checked: its defaults read
    it) in the one form site.yml and teardown.yml list it under `roles` (so it runs once per play: any when, vars or
    tags would make each dependency a role of its own, run again), then runs every task with the context as
    module_defaults, its input checks first (the preflight action)."""
    dependency = {"role": "prefect_ops.ecs.site_context"}
    for playbook in ("site.yml", "teardown.yml"):
        play = yaml.safe_load((REPO / "playbooks" / playbook).read_text())[0]
        assert play["roles"][0] == dependency and "pre_tasks" not in play, playbook
    for role in sorted((REPO / "roles").iterdir()):
        assert (role / "meta" / "argument_specs.yml").is_file(), role.name
        if role.name == "site_context":
            continue
        meta = yaml.safe_load((role / "meta" / "main.yml").read_text())
        assert meta["dependencies"] == [dependency], role.name
        main = yaml.safe_load((role / "tasks" / "main.yml").read_text())
        assert main[0].get("prefect_ops.ecs.preflight") == {"roles": [role.name], "argument_spec": False}, \
            f"{role.name}: main.yml must start with the preflight (action prefect_ops.ecs.preflight on the role)"
        assert main[1:] == [{"name": main[1]["name"], "ansible.builtin.import_tasks": "run.yml"}], \
            f"{role.name}: after its input check, main.yml is the entry point run (site.yml imports run alone)"
        tasks = yaml.safe_load((role / "tasks" / "run.yml").read_text())
        assert len(tasks) == 1 and tasks[0]["module_defaults"] == {
            "group/prefect_ops.ecs.aws": "{{ prefect_ecs_context.aws }}",
            "group/prefect_ops.ecs.prefect": "{{ prefect_ecs_context.prefect }}"}, \
            f"{role.name}: every task runs in the one block that carries the host's context"
        assert not any("prefect_ops.ecs.preflight" in str(t) for t in tasks[0]["block"]), role.name
    site = yaml.safe_load((REPO / "playbooks" / "site.yml").read_text())[0]
    imported = [t["ansible.builtin.import_role"] for t in site["tasks"] if "ansible.builtin.import_role" in t]
    assert imported and all(i.get("tasks_from") == "run" and i.get("rolespec_validate") is False for i in imported), \
        "site.yml's preflight pass checked every role: it imports each at run, without the role's own check"


def test_changelog_fragments_pass_antsibull_changelog_lint():
    proc = run([str(BIN / "antsibull-changelog"), "lint"])
    assert proc.returncode == 0 and proc.stdout.strip() == "", proc.stdout + proc.stderr


def test_collection_tarball_leaves_out_tests_and_local_state(tmp_path):
    """galaxy.yml build_ignore: the built collection carries no tests, local state, venv or dev tooling."""
    import tarfile

    proc = run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(tmp_path)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    with tarfile.open(tmp_path / f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz") as tar:
        top = {name.split("/")[0] for name in tar.getnames()}
    left_out = {"tests", ".state", ".venv", ".git", ".pytest_cache", "scripts", "extensions", "Makefile",
                "requirements.txt", "pytest.ini"}
    assert top & left_out == set(), sorted(top & left_out)
    assert {"MANIFEST.json", "plugins", "roles", "playbooks", "meta", "awx"} <= top, sorted(top)
