#!/usr/bin/env python
"""A real `prefect worker start --type ecs` on this machine, standing in for the worker service's
container on the emulator (moto's ECS runs no containers).

    scripts/local_worker.py start --pool demo [--queue-name demo-events]
    scripts/local_worker.py stop --pool demo

`start` returns at once. In the background it waits until the pool exists (site.yml's work-pool role
creates and configures it before the worker service, as on AWS), then runs the worker with the
environment the worker's task definition would give it: PREFECT_API_URL and the credential from the
stack, the observer queue name, AWS settings pointing at the emulator. Its PID is recorded in the
stack directory, so `scripts/stack.py down` stops it too (SIGTERM, then SIGKILL after a grace period).
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent


def stack_dir() -> Path:
    return Path(os.environ["PREFECT_OPS_STACK_DIR"])


def pid_file(pool: str) -> Path:
    return stack_dir() / "workers" / f"{pool}.json"


def pool_exists(pool: str) -> bool:
    req = urllib.request.Request(f"{os.environ['PREFECT_API_URL'].rstrip('/')}/work_pools/{pool}")
    auth = os.environ.get("PREFECT_API_AUTH_STRING")
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def run(pool: str, queue_name: str, wait: float) -> int:
    deadline = time.monotonic() + wait
    while not pool_exists(pool):
        if time.monotonic() > deadline:
            print(f"local_worker: pool {pool} did not appear within {wait:.0f}s", file=sys.stderr)
            return 1
        time.sleep(1)
    env = dict(os.environ)
    env.update({
        "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME": queue_name,
        "PREFECT_WORKER_HEARTBEAT_SECONDS": "10",
    })
    os.execve(str(BIN / "prefect"), [str(BIN / "prefect"), "worker", "start", "--pool", pool, "--type", "ecs",
                                     "--name", f"local-{pool}", "--with-healthcheck"], env)
    return 0  # not reached


def start(pool: str, queue_name: str, wait: float) -> int:
    path = pid_file(pool)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        stop(pool)
    log = stack_dir() / f"local-worker-{pool}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, __file__, "run", "--pool", pool, "--queue-name", queue_name, "--wait", str(wait)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    # the marker is in the command line both before and after the exec into `prefect worker start`
    path.write_text(json.dumps({"pid": proc.pid, "marker": f"--pool {pool} "}))
    print(f"local_worker: started for pool {pool} (pid {proc.pid}, log {log})")
    return 0


def stop(pool: str) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from stack import stop_pid  # pylint: disable=import-outside-toplevel
    path = pid_file(pool)
    if path.exists():
        entry = json.loads(path.read_text())
        stop_pid(entry["pid"], entry["marker"], grace=10)
        path.unlink()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "run"])
    parser.add_argument("--pool", required=True)
    parser.add_argument("--queue-name")
    parser.add_argument("--wait", type=float, default=600)
    args = parser.parse_args()
    queue_name = args.queue_name or f"{args.pool}-events"
    if args.action == "start":
        return start(args.pool, queue_name, args.wait)
    if args.action == "run":
        return run(args.pool, queue_name, args.wait)
    return stop(args.pool)


if __name__ == "__main__":
    sys.exit(main())
