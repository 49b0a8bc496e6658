"""Run playbooks and single modules with ansible-playbook and read the results as JSON.

Every integration test drives the real `ansible-playbook` of the venv (so module start-up, argument
specs, no_log and check mode behave as for users) with the `ansible.posix.json` callback.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass
class PlayResult:
    rc: int
    stdout: str
    stderr: str
    data: dict = field(default_factory=dict)

    @property
    def stats(self) -> dict:
        return self.data.get("stats", {})

    def tasks(self) -> list[dict]:
        """Every task result as {"task": name, "host": host, **result}."""
        out = []
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                for host, res in task.get("hosts", {}).items():
                    out.append({"task": task["task"]["name"], "host": host, **res})
        return out

    def task(self, name: str, host: str | None = None) -> dict:
        for res in self.tasks():
            if (res["task"] == name or res["task"].endswith(f" : {name}")) and (host is None or res["host"] == host):
                return res
        raise KeyError(f"no result for task {name!r}; tasks: {[t['task'] for t in self.tasks()]}")

    def changed(self, host: str | None = None) -> int:
        return sum(s.get("changed", 0) for h, s in self.stats.items() if host is None or h == host)

    def failed(self) -> int:
        return sum(s.get("failures", 0) + s.get("unreachable", 0) for s in self.stats.values())


def ansible_env(extra: dict | None = None, json_output: bool = True) -> dict:
    env = dict(os.environ)
    env.update({
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
    })
    if json_output:
        env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    for key, value in (extra or {}).items():  # None unsets a variable of the test's environment
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def mitogen_env() -> dict:
    """The environment that runs ansible-playbook under Mitogen's mitogen_linear strategy (README, "Faster runs
    with Mitogen"): the strategy plugins of the pinned mitogen package, and the strategy."""
    import ansible_mitogen  # the pinned mitogen package (requirements.txt)

    plugins = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY_PLUGINS": str(plugins), "ANSIBLE_STRATEGY": "mitogen_linear"}


def run_playbook(playbook: str | Path | list, *, inventory: str | None = None, check: bool = False,
                 diff: bool = False, extra_vars: dict | None = None, env: dict | None = None,
                 args: list[str] | None = None, json_output: bool = True, timeout: int = 1800) -> PlayResult:
    """Run a playbook file, or a list of plays (written to a temporary file)."""
    tmp = None
    if isinstance(playbook, list):
        tmp = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False, dir=REPO / ".state")
        yaml.safe_dump(playbook, tmp)
        tmp.close()
        playbook = tmp.name
    cmd = [str(BIN / "ansible-playbook"), str(playbook)]
    cmd += ["-i", inventory or str(REPO / "inventories" / "local" / "hosts.yml")]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    cmd += args or []
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(env, json_output),
                              cwd=REPO, timeout=timeout, check=False)
    finally:
        if tmp:
            os.unlink(tmp.name)
    data = {}
    if json_output:
        start = proc.stdout.find("{")
        try:
            data = json.loads(proc.stdout[start:]) if start >= 0 else {}
        except ValueError:
            data = {}
        if "stats" not in data and proc.returncode == 0:
            # never read an unparsed run as "nothing changed"
            raise AssertionError(f"ansible-playbook printed no JSON result:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return PlayResult(proc.returncode, proc.stdout, proc.stderr, data)


def run_module(module: str, module_args: dict | None = None, *, check: bool = False, diff: bool = False,
               env: dict | None = None, verbosity: int = 0, play_vars: dict | None = None) -> dict:
    """Run one module task on localhost; return its result (with "failed", "changed", "msg", ...)."""
    play = [{
        "name": "run one module", "hosts": "localhost", "gather_facts": False,
        "vars": play_vars or {},
        "tasks": [{"name": "module under test", module: module_args or {}}],
    }]
    args = ["-" + "v" * verbosity] if verbosity else []
    res = run_playbook(play, inventory="localhost,", check=check, diff=diff, env=env,
                       args=["-c", "local", *args])
    try:
        return res.task("module under test")
    except KeyError as exc:
        raise AssertionError(f"ansible-playbook rc={res.rc}\nstdout:\n{res.stdout[-4000:]}\nstderr:\n{res.stderr[-4000:]}") from exc
