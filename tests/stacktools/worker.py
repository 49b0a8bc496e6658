"""Start and stop a real `prefect worker start` (prefect-aws's ECS worker by default) on the stack.

The worker may ignore SIGINT: it is stopped by PID (its process group), SIGTERM first, SIGKILL after
a grace period.

    with Worker("my-pool", env={"PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME": q}) as w:
        w.wait_online()
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from stacktools.stack import PrefectAPI, stack_dir


class Worker:
    def __init__(self, pool: str, *, worker_type: str = "ecs", name: str | None = None,
                 env: dict | None = None, args: list[str] | None = None, log_path: Path | None = None):
        self.pool = pool
        self.worker_type = worker_type
        self.name = name or f"test-worker-{uuid.uuid4().hex[:8]}"
        self.extra_env = env or {}
        self.args = args or []
        self.log_path = log_path or stack_dir() / f"worker-{self.name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Worker":
        env = dict(os.environ)
        env.update({
            "PREFECT_WORKER_HEARTBEAT_SECONDS": "5",
            "PREFECT_WORKER_QUERY_SECONDS": "2",
            "PREFECT_LOGGING_LEVEL": "INFO",
        })
        env.update(self.extra_env)
        cmd = [str(Path(sys.executable).parent / "prefect"), "worker", "start", "--pool", self.pool,
               "--type", self.worker_type, "--name", self.name, *self.args]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_online(self, timeout: float = 90, api: PrefectAPI | None = None) -> dict:
        api = api or PrefectAPI()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise AssertionError(f"worker exited with {self.proc.returncode}:\n{self.log()[-4000:]}")
            status, body = api.request("POST", f"/work_pools/{self.pool}/workers/filter", {})
            if status == 200:
                for worker in body:
                    if worker["name"] == self.name and worker.get("status") == "ONLINE":
                        return worker
            time.sleep(1)
        raise AssertionError(f"worker {self.name} not ONLINE in pool {self.pool} after {timeout}s:\n{self.log()[-4000:]}")

    def stop(self, grace: float = 10) -> int | None:
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            return self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(10)
        except ProcessLookupError:
            return self.proc.poll()

    def __enter__(self) -> "Worker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
