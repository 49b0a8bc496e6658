"""The Prefect API layer as the modules use it, against the real local Prefect server.

Faults come from the Prefect fault proxy (tests/stacktools/prefect_proxy.py) running in this
process in front of the real server: 503 bursts, 429 with Retry-After. Also: the server down,
wrong or missing credentials, secrets kept out of -vvv output, a wrong api_url, the
module_defaults action group, and a second real server with CSRF protection on.
"""
from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from stacktools.ansible_run import run_module, run_playbook
from stacktools.prefect_converge import changed, converge, run_each
from stacktools.prefect_proxy import build as build_prefect_proxy
from stacktools.proxy import start_in_thread
from stacktools.stack import PatientPrefectAPI, PrefectAPI, ProxyControl

POOL = "prefect_ops.ecs.prefect_work_pool"
INFO = "prefect_ops.ecs.prefect_work_pool_info"
FAST = {"retry_delay": 0.05}

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def prefect(stack):
    """The stack's Prefect REST client for setup and read-back, patient with a locked SQLite database."""
    return PatientPrefectAPI()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def fault_proxy(stack):
    """(control, api_url) of a Prefect fault proxy in front of the stack's server."""
    server = build_prefect_proxy(stack["PREFECT_API_URL"].rsplit("/api", 1)[0])
    start_in_thread(server)
    yield ProxyControl(f"http://127.0.0.1:{server.server_port}"), f"http://127.0.0.1:{server.server_port}/api"
    server.shutdown()


@pytest.fixture()
def pool(prefect, unique):
    name = f"api-{unique}"
    yield name
    prefect.delete_pool(name)


def test_a_503_burst_is_retried_and_the_pool_created_once(prefect, fault_proxy, pool):
    control, url = fault_proxy
    control.faults({"fail_first": 3, "status": 503})
    res = run_module(POOL, {"name": pool, "type": "process", "api_url": url, "retries": 4, **FAST})
    assert not res.get("failed"), res.get("msg")
    assert res["changed"] is True
    calls = control.answered()
    assert [c["status"] for c in calls[:3]] == [503, 503, 503] and all(c["fault"] for c in calls[:3])
    assert [(c["method"], c["status"]) for c in calls[3:]] == [("GET", 404), ("POST", 201)]
    assert prefect.read_pool(pool)["type"] == "process"


def test_a_503_on_the_change_itself_is_retried(prefect, fault_proxy, pool):
    prefect.ok("POST", "/work_pools/", {"name": pool, "type": "process"})
    control, url = fault_proxy
    control.faults({"fail_first": 2, "status": 503, "methods": ["PATCH"]})
    res = run_module(POOL, {"name": pool, "concurrency_limit": 4, "api_url": url, **FAST})
    assert not res.get("failed") and res["changed"]
    assert [c["status"] for c in control.answered() if c["method"] == "PATCH"] == [503, 503, 204]
    assert prefect.read_pool(pool)["concurrency_limit"] == 4


def test_a_503_burst_longer_than_the_retries_fails_clearly_and_changes_nothing(prefect, fault_proxy, pool):
    control, url = fault_proxy
    control.faults({"fail_first": 100, "status": 503})
    res = run_module(POOL, {"name": pool, "type": "process", "api_url": url, "retries": 2, **FAST})
    assert res["failed"]
    assert "503" in res["msg"] and "Retried 2 time(s)" in res["msg"] and "retries" in res["msg"]
    assert len(control.calls()) == 3
    assert prefect.read_pool(pool) is None


def test_429_waits_as_long_as_retry_after_says(fault_proxy, pool):
    control, url = fault_proxy
    control.faults({"fail_first": 2, "status": 429, "retry_after": 1})
    res = run_module(INFO, {"name": pool, "api_url": url, **FAST})
    assert not res.get("failed"), res.get("msg")
    calls = control.answered()
    assert [c["status"] for c in calls[:3]] == [429, 429, 404]
    gaps = [b["ts"] - a["ts"] for a, b in zip(calls, calls[1:3])]
    assert all(gap >= 0.95 for gap in gaps), gaps  # retry_delay alone would be 0.05 s and 0.1 s


def test_without_retry_after_backoff_starts_at_retry_delay(fault_proxy, pool):
    control, url = fault_proxy
    control.faults({"fail_first": 2, "status": 429})
    res = run_module(INFO, {"name": pool, "api_url": url, "retry_delay": 0.2})
    assert not res.get("failed"), res.get("msg")
    calls = control.calls()
    gaps = [b["ts"] - a["ts"] for a, b in zip(calls, calls[1:3])]
    assert 0.15 <= gaps[0] < 0.9 and 0.35 <= gaps[1] < 1.2, gaps


def test_server_down_fails_after_bounded_retries_with_the_fix():
    url = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there
    started = time.monotonic()
    res = run_module(POOL, {"name": "p", "type": "process", "api_url": url, "retries": 2, "retry_delay": 0.1})
    assert res["failed"]
    assert "unreachable" in res["msg"] and "after 3 attempt(s)" in res["msg"] and "api_url" in res["msg"]
    assert time.monotonic() - started < 30


def test_wrong_credentials_say_what_to_fix(stack, pool, prefect):
    res = run_module(POOL, {"name": pool, "type": "process", "auth_string": "admin:wrong-password"})
    assert res["failed"] and "401" in res["msg"] and "auth_string" in res["msg"]
    assert prefect.read_pool(pool) is None
    res = run_module(POOL, {"name": pool, "type": "process"}, env={"PREFECT_API_AUTH_STRING": ""})
    assert res["failed"] and "no credentials were given" in res["msg"]


def test_a_wrong_api_url_says_it_is_wrong(stack):
    root = stack["PREFECT_API_URL"].rsplit("/api", 1)[0]
    ui_root, cloud_ui, cloud_no_workspace = run_each(INFO, [
        {"name": "x", "api_url": root},  # the UI root, not the API
        {"name": "x", "api_url": "https://app.prefect.cloud/account/1/workspace/2"},
        {"name": "x", "api_url": "https://api.prefect.cloud/api/"},
    ])
    assert ui_root["failed"] and "api_url is probably wrong" in ui_root["msg"] and "/api" in ui_root["msg"]
    assert cloud_ui["failed"] and "Prefect Cloud UI address" in cloud_ui["msg"]
    assert cloud_no_workspace["failed"] and "does not name a Prefect Cloud workspace" in cloud_no_workspace["msg"]
    res = run_module(INFO, {"name": "x"}, env={"PREFECT_API_URL": ""})
    assert res["failed"] and "api_url is not set" in res["msg"]


def test_explicit_options_work_without_the_environment(stack, pool, prefect):
    args = {"name": pool, "type": "process", "api_url": stack["PREFECT_API_URL"],
            "auth_string": stack["PREFECT_API_AUTH_STRING"], "timeout": 10, "validate_certs": False,
            "headers": {"X-Request-Source": "ansible"}}
    results = converge(POOL, args, env={"PREFECT_API_URL": "", "PREFECT_API_AUTH_STRING": ""},
                       steps=("apply", "apply"))
    assert changed(results) == [True, False]
    assert prefect.read_pool(pool) is not None


def test_module_defaults_group_sets_the_api_options_once(stack, pool, prefect):
    results = converge(POOL, {"name": pool, "type": "process"}, steps=("apply", "apply"),
                       env={"PREFECT_API_URL": "", "PREFECT_API_AUTH_STRING": ""},
                       module_defaults={"group/prefect_ops.ecs.prefect": {
                           "api_url": stack["PREFECT_API_URL"], "auth_string": stack["PREFECT_API_AUTH_STRING"]}})
    assert changed(results) == [True, False]
    assert prefect.read_pool(pool) is not None


def test_modules_run_where_the_prefect_sdk_is_not_installed(tmp_path, pool, prefect):
    """As in a minimal execution environment: importing prefect or prefect_aws fails in the module's Python."""
    for package in ("prefect", "prefect_aws"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(f"raise ImportError('{package} is not installed here')\n")
    env = {"PYTHONPATH": str(tmp_path)}
    probe = run_module("ansible.builtin.command", {"cmd": "{{ ansible_playbook_python }} -c 'import prefect'"}, env=env)
    assert probe.get("failed") and "prefect is not installed here" in probe["stderr"]  # the shadow works
    results = converge(POOL, {"name": pool, "type": "ecs", "job_variables": {"cpu": 256}}, env=env,
                       steps=("apply", "apply"))
    assert changed(results) == [True, False]
    assert prefect.read_pool(pool)["base_job_template"]["variables"]["properties"]["cpu"]["default"] == 256
    info = run_module(INFO, {"name": pool}, env=env)
    assert not info.get("failed") and info["work_pools"][0]["name"] == pool


def run_vvv(args: dict, env: dict | None = None):
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [{"name": "t", POOL: args, "ignore_errors": True}]}]
    return run_playbook(play, inventory="localhost,", env=env, json_output=False, args=["-c", "local", "-vvv"])


@pytest.mark.parametrize("which", ["auth_string_right", "auth_string_wrong", "api_key"])
def test_secrets_never_appear_in_output_at_vvv(stack, pool, which):
    if which == "auth_string_right":
        secret = stack["PREFECT_API_AUTH_STRING"]
        args, env = {"name": pool, "type": "process", "auth_string": secret}, {"PREFECT_API_AUTH_STRING": ""}
    elif which == "auth_string_wrong":
        secret = "admin:leak-canary-7f3a"
        args, env = {"name": pool, "type": "process", "auth_string": secret}, None
    else:
        secret = "pnu_leak-canary-9b1c"
        args, env = {"name": pool, "type": "process", "api_key": secret}, {"PREFECT_API_AUTH_STRING": ""}
    res = run_vvv(args, env)
    out = res.stdout + res.stderr
    assert "module under test" not in out  # sanity: this is the verbose human output
    assert ("changed: [localhost]" in out) == (which == "auth_string_right"), out[-3000:]
    password = secret.split(":", 1)[-1]
    for leak in (secret, password, base64.b64encode(secret.encode()).decode()):
        assert leak not in out
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in out  # the invocation shows it masked


# -- a second real server with CSRF protection on -----------------------------------------------------

@pytest.fixture(scope="module")
def csrf_server(tmp_path_factory):
    """A real `prefect server start` with PREFECT_SERVER_CSRF_PROTECTION_ENABLED=true (and auth)."""
    home = tmp_path_factory.mktemp("csrf-prefect")
    port = free_port()
    auth = "admin:csrf-test-password"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "AWS_"))}
    env.update({
        "PREFECT_HOME": str(home), "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'p.db'}",
        "PREFECT_SERVER_CSRF_PROTECTION_ENABLED": "true", "PREFECT_SERVER_API_AUTH_STRING": auth,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_UI_ENABLED": "false",
    })
    prefect_bin = str(Path(sys.executable).parent / "prefect")
    with open(home / "server.log", "wb") as log:
        proc = subprocess.Popen([prefect_bin, "server", "start", "--host", "127.0.0.1", "--port", str(port)],  # pylint: disable=consider-using-with
                                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((home / "server.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        yield {"url": url, "auth": auth}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        except ProcessLookupError:
            pass


def test_csrf_protected_server(csrf_server):
    api = PrefectAPI(csrf_server["url"], csrf_server["auth"])
    assert api.request("POST", "/work_pools/", {"name": "raw", "type": "process"})[0] == 403  # it really enforces
    env = {"PREFECT_API_URL": csrf_server["url"], "PREFECT_API_AUTH_STRING": csrf_server["auth"]}
    for mode, name in (("auto", "csrf-auto"), ("enabled", "csrf-enabled")):
        results = converge(POOL, {"name": name, "type": "process", "concurrency_limit": 2, "csrf_protection": mode},
                           env=env)
        assert changed(results) == [True, True, False, False], mode
        assert api.read_pool(name)["concurrency_limit"] == 2
    res = run_module(POOL, {"name": "csrf-disabled", "type": "process", "csrf_protection": "disabled"}, env=env)
    assert res["failed"] and "403" in res["msg"] and "CSRF" in res["msg"] and "csrf_protection" in res["msg"]
    assert api.read_pool("csrf-disabled") is None
    results = converge("prefect_ops.ecs.prefect_work_queue", {"name": "q", "work_pool": "csrf-auto", "priority": 1},
                       env=env, steps=("apply", "apply"))
    assert changed(results) == [True, False]
