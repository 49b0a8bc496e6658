"""Run module tasks in one ansible-playbook run: check -> apply -> check -> apply, and friends.

Each step is one task; the check steps set `check_mode: true` on the task, which reaches the module
exactly as `--check` does. Every step runs with `diff: true` and `ignore_errors: true`, so a failing
step is returned (with its message) instead of ending the play. One playbook run for many steps keeps
the tests quick (ansible-playbook's start-up is most of a step's cost).

    check1, apply1, check2, apply2 = converge("prefect_ops.ecs.prefect_work_pool", {...})
    assert changed(results) == [True, True, False, False]
    first, second = phases(module, [args_a, args_b])      # converge args_a, then args_b
    results = run_each(module, [bad_args_1, bad_args_2])  # one apply step each
"""
from __future__ import annotations


from stacktools.ansible_run import run_playbook

STEPS = ("check", "apply", "check", "apply")


def run_steps(module: str, steps: list[tuple[dict, bool]], *, env: dict | None = None, verbosity: int = 0,
              module_defaults: dict | None = None) -> list[dict]:
    """Run (args, check_mode) steps as tasks of one play; return each step's result."""
    tasks = [{"name": f"step {i}", module: args, "check_mode": check, "diff": True, "ignore_errors": True}
             for i, (args, check) in enumerate(steps)]
    play = {"name": "steps", "hosts": "localhost", "gather_facts": False, "tasks": tasks}
    if module_defaults:
        play["module_defaults"] = module_defaults
    res = run_playbook([play], inventory="localhost,", env=env,
                       args=["-c", "local"] + (["-" + "v" * verbosity] if verbosity else []))
    try:
        return [res.task(f"step {i}") for i in range(len(steps))]
    except KeyError as exc:
        raise AssertionError(f"ansible-playbook rc={res.rc}\nstdout:\n{res.stdout[-4000:]}\n"
                             f"stderr:\n{res.stderr[-4000:]}") from exc


def phases(module: str, args_list: list[dict], *, steps=STEPS, **kwargs) -> list[list[dict]]:
    """converge() each args in turn, all in one playbook run; one result list per args."""
    flat = run_steps(module, [(args, step == "check") for args in args_list for step in steps], **kwargs)
    return [flat[i:i + len(steps)] for i in range(0, len(flat), len(steps))]


def converge(module: str, args: dict, *, steps=STEPS, **kwargs) -> list[dict]:
    return phases(module, [args], steps=steps, **kwargs)[0]


def run_each(module: str, args_list: list[dict], *, check: bool = False, **kwargs) -> list[dict]:
    """One step per args, all in one playbook run."""
    return run_steps(module, [(args, check) for args in args_list], **kwargs)


def changed(results: list[dict]) -> list[bool]:
    """The `changed` of each step; a failed step fails the assertion with its message."""
    for res in results:
        assert not res.get("failed"), res.get("msg", res)
    return [bool(r.get("changed")) for r in results]
