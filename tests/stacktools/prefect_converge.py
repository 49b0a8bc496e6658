"""Run one module task as check -> apply -> check -> apply in a single ansible-playbook run.

Each step is the same task; the check steps set `check_mode: true` on the task, which reaches the
module exactly as `--check` does. Every step runs with `diff: true` and `ignore_errors: true`, so
a failing step is returned (with its message) instead of ending the play.

    check1, apply1, check2, apply2 = converge("prefect_ops.ecs.prefect_work_pool", {...})
    assert changed(results) == [True, True, False, False]
"""
from __future__ import annotations

from stacktools.ansible_run import run_playbook

STEPS = ("check", "apply", "check", "apply")


def converge(module: str, args: dict, *, steps=STEPS, env: dict | None = None, verbosity: int = 0,
             module_defaults: dict | None = None) -> list[dict]:
    tasks = [{"name": f"step {i} {step}", module: args, "check_mode": step == "check", "diff": True,
              "ignore_errors": True} for i, step in enumerate(steps)]
    play = {"name": "converge", "hosts": "localhost", "gather_facts": False, "tasks": tasks}
    if module_defaults:
        play["module_defaults"] = module_defaults
    res = run_playbook([play], inventory="localhost,", env=env,
                       args=["-c", "local"] + (["-" + "v" * verbosity] if verbosity else []))
    try:
        return [res.task(f"step {i} {step}") for i, step in enumerate(steps)]
    except KeyError as exc:
        raise AssertionError(f"ansible-playbook rc={res.rc}\nstdout:\n{res.stdout[-4000:]}\n"
                             f"stderr:\n{res.stderr[-4000:]}") from exc


def changed(results: list[dict]) -> list[bool]:
    """The `changed` of each step; a failed step fails the assertion with its message."""
    for res in results:
        assert not res.get("failed"), res.get("msg", res)
    return [bool(r.get("changed")) for r in results]
