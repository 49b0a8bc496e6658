"""Session set-up shared by every suite.

`make test` runs pytest with xdist workers (scripts/run-tests.sh) against ONE shared stack. The
recording AWS proxy's call record is global to the proxy (tests take a mark and read the calls
after it), so two workers sharing one proxy would see each other's calls. Each xdist worker
therefore starts its own recording proxy in front of the shared moto server and points
AWS_ENDPOINT_URL (inherited by every ansible-playbook the worker starts) at it. Prefect fault proxies
are already per test. Run without xdist, the stack's own proxy is used unchanged.
"""
from __future__ import annotations

import collections
import os
import subprocess
import sys
from pathlib import Path

from stacktools.stack import stack_script

_PROXY: subprocess.Popen | None = None
_REPO = Path(__file__).resolve().parents[1]


def _start_worker_proxy(worker: str) -> None:
    global _PROXY  # pylint: disable=global-statement
    stack = stack_script()
    port = stack.free_port()
    _PROXY, log, _entry = stack.spawn(
        f"aws_proxy-{worker}",
        [sys.executable, str(_REPO / "tests" / "stacktools" / "aws_proxy.py"), "--port", str(port),
         "--upstream", os.environ["PREFECT_OPS_MOTO_URL"], "--record", str(stack.STATE_DIR / f"aws_calls-{worker}.jsonl")],
        stack.base_env(), "aws_proxy.py")
    url = f"http://{stack.HOST}:{port}"
    stack.wait_http(f"{url}/_proxy/health", f"the AWS proxy of xdist worker {worker}", _PROXY, log, 30)
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
    """Files holding `slow` tests run first, the longest first (order otherwise kept), so that under xdist the
    long files (test_resilience, test_fleet, molecule) start at once and the short ones fill in around them instead
    of one long file trailing at the end on one worker. `@pytest.mark.slow(N)` says a test (with its share of the
    file's fixtures) takes about N minutes on the CI machines; a plain `slow` counts as one."""
    minutes = collections.Counter()
    for item in items:
        marker = item.get_closest_marker("slow")
        if marker:
            minutes[item.path] += marker.args[0] if marker.args else 1
    items.sort(key=lambda item: -minutes[item.path])
