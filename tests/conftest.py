"""Session set-up shared by every suite.

`make test` runs pytest with xdist workers (scripts/run-tests.sh) against ONE shared stack. The
recording AWS proxy's call record is global to the proxy (tests take a mark and read the calls
after it), so two workers sharing one proxy would see each other's calls. Each xdist worker
therefore starts its own recording proxy in front of the shared moto server and points
AWS_ENDPOINT_URL (inherited by every ansible-playbook the worker starts) at it. Prefect fault proxies
are already per test. Run without xdist, the stack's own proxy is used unchanged.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

_PROXY: subprocess.Popen | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_worker_proxy(worker: str) -> None:
    global _PROXY  # pylint: disable=global-statement
    stack_dir = Path(os.environ.get("PREFECT_OPS_STACK_DIR", "."))
    port = _free_port()
    log = open(stack_dir / f"aws_proxy-{worker}.log", "ab")  # pylint: disable=consider-using-with
    _PROXY = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, str(Path(__file__).parent / "stacktools" / "aws_proxy.py"), "--port", str(port),
         "--upstream", os.environ["PREFECT_OPS_MOTO_URL"], "--record", str(stack_dir / f"aws_calls-{worker}.jsonl")],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_proxy/health", timeout=2):
                break
        except OSError:
            if _PROXY.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the AWS proxy of xdist worker {worker} did not start (see {log.name})") from None
            time.sleep(0.2)
    os.environ["AWS_ENDPOINT_URL"] = os.environ["PREFECT_OPS_AWS_PROXY_URL"] = url


def pytest_configure(config):  # noqa: ARG001 - pytest hook signature
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and os.environ.get("PREFECT_OPS_MOTO_URL") and os.environ.get("AWS_ENDPOINT_URL"):
        _start_worker_proxy(worker)


def pytest_unconfigure(config):  # noqa: ARG001 - pytest hook signature
    if _PROXY is not None and _PROXY.poll() is None:
        _PROXY.terminate()
        try:
            _PROXY.wait(10)
        except subprocess.TimeoutExpired:
            _PROXY.kill()


def pytest_collection_modifyitems(session, config, items):  # noqa: ARG001 - pytest hook signature
    """Files holding a `slow` test run first (order otherwise kept), so that under xdist the long
    files start at once and the short ones fill in around them instead of trailing at the end."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)
