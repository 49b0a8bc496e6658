#!/usr/bin/env python
"""make bench: figures measured in one run on the local stack, written as JSON to $BENCH_OUT
(default .bench/results.json). Each benchmark updates its own keys and keeps the keys others wrote.

Flow runs at scale (issue 6): a site converged by playbooks/site.yml only, the real prefect-aws ECS
worker, N flow runs (BENCH_FLOW_RUNS, default 100) on the pinned flow-run task definition and N with
the pin removed; a pool concurrency limit L (BENCH_CONCURRENCY_LIMIT, default 10); a synthetic STOPPED
event; the worker's recorded AWS actions checked against its task role.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from stacktools import flow_runs as fr  # noqa: E402  pylint: disable=wrong-import-position


def write(figures: dict) -> Path:
    path = Path(fr.bench_out_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(figures)
    path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    return path


def flow_runs_at_scale(n: int, limit: int) -> dict:
    started = time.monotonic()
    site = fr.converge(fr.unique_site("bench-scale"), ecs_iam_flow_run_task_role_create=True)
    h = fr.Harness(site)
    mark = h.proxy.mark()
    try:
        with h.worker:
            h.worker.wait_online()
            scale = fr.pinned_and_unpinned(h, n, timeout=1800)
            mismatches = fr.run_task_mismatches(site, scale.pop("run_task_calls"))
            crash = fr.crash(h)
            fr.converge(site.name, ecs_iam_flow_run_task_role_create=True, prefect_work_pools_concurrency_limit=limit)
            limited = fr.concurrency(h, n, limit, settle=10, timeout=1800)
            not_allowed = fr.worker_actions_not_allowed(h, mark)
            actions = fr.worker_actions(h, mark)
    finally:
        h.delete_flow()
        fr.teardown(site)
    return {
        "flow_runs": n,
        "register_task_definition_pinned": scale["register_task_definition_pinned"],
        "register_task_definition_unpinned": scale["register_task_definition_unpinned"],
        "run_task": scale["run_task"],
        "run_task_mismatches": mismatches,
        "concurrency_limit": limited["concurrency_limit"],
        "max_in_flight": limited["max_in_flight"],
        "observer_marked_crashed": crash["observer_marked_crashed"],
        "worker_actions": actions,
        "worker_actions_not_allowed": not_allowed,
        "flow_runs_bench_s": round(time.monotonic() - started, 1),
    }


def main() -> int:
    n = int(os.environ.get("BENCH_FLOW_RUNS", "100"))
    limit = int(os.environ.get("BENCH_CONCURRENCY_LIMIT", "10"))
    figures = flow_runs_at_scale(n, limit)
    path = write(figures)
    width = max(len(k) for k in figures)
    print("\nflow runs at scale (real prefect-aws ECS worker, local stack)")
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")
    print(f"\nwritten to {path}")
    ok = (figures["register_task_definition_pinned"] == 0 and figures["run_task"] == n
          and not figures["run_task_mismatches"] and figures["max_in_flight"] <= limit
          and figures["observer_marked_crashed"] and not figures["worker_actions_not_allowed"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
