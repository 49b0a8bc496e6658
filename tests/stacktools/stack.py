"""Test-side view of the local stack: its environment, the proxies' control API, API clients."""
from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import os
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import boto3
import botocore.config

REQUIRED = ("PREFECT_API_URL", "PREFECT_API_AUTH_STRING", "AWS_ENDPOINT_URL", "PREFECT_OPS_MOTO_URL",
            "PREFECT_OPS_STACK_DIR")


def stack_env() -> dict:
    """The stack's variables; raises with the fix when the stack is not up."""
    missing = [k for k in REQUIRED if not os.environ.get(k)]
    if missing:
        raise RuntimeError(
            f"the local stack is not in the environment (missing {', '.join(missing)}): run the tests "
            "with `make test`, or `make stack-up` then `set -a; . .state/stack/env; set +a`")
    return {k: v for k, v in os.environ.items() if k.startswith(("PREFECT_", "AWS_"))}


def http_json(method: str, url: str, payload=None, headers: dict | None = None, timeout: float = 30):
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
            return resp.status, (json.loads(body) if body else None)
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body)
        except ValueError:
            return exc.code, body.decode(errors="replace")


class ProxyControl:
    """Client of a proxy's /_proxy/ control API (tests/stacktools/proxy.py)."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")

    def calls(self, since: int = 0) -> list[dict]:
        return http_json("GET", f"{self.url}/_proxy/calls?since={since}")[1]["calls"]

    def answered(self, since: int = 0) -> list[dict]:
        """The calls without the upstream's own 503s: under load the local Prefect server answers 503 when its
        SQLite database is locked, and a module retries those like the injected ones. A test that lists the
        statuses a retry saw reads this; one that asserts no write was tried reads calls()."""
        return [c for c in self.calls(since) if c["fault"] or c["status"] != 503]

    def mark(self) -> int:
        return http_json("GET", f"{self.url}/_proxy/calls?since=1000000000")[1]["next"]

    def reset(self) -> None:
        http_json("POST", f"{self.url}/_proxy/reset", {})

    def faults(self, rules: dict | None) -> None:
        http_json("POST", f"{self.url}/_proxy/faults", rules or {})

    def release(self) -> None:
        """Answer the calls a "hold" rule is holding (tests/stacktools/proxy.py)."""
        http_json("POST", f"{self.url}/_proxy/release", {})

    def aws_calls(self, since: int = 0) -> list[dict]:
        return [c for c in self.calls(since) if c.get("aws")]

    def mutating(self, since: int = 0) -> list[dict]:
        return [c for c in self.aws_calls(since) if c["mutating"] and not c["fault"]]


class PrefectAPI:
    """Minimal Prefect REST client for tests (auth string from the stack)."""

    def __init__(self, url: str | None = None, auth_string: str | None = None):
        self.url = (url or os.environ["PREFECT_API_URL"]).rstrip("/")
        auth = auth_string if auth_string is not None else os.environ.get("PREFECT_API_AUTH_STRING")
        self.headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}

    def request(self, method: str, path: str, payload=None):
        return http_json(method, f"{self.url}/{path.lstrip('/')}", payload, self.headers)

    def ok(self, method: str, path: str, payload=None):
        status, body = self.request(method, path, payload)
        if status >= 300:
            raise AssertionError(f"{method} {path} -> {status}: {body}")
        return body

    def read_pool(self, name: str) -> dict | None:
        status, body = self.request("GET", f"/work_pools/{urllib.parse.quote(name, safe='')}")
        return body if status == 200 else None

    def delete_pool(self, name: str) -> None:
        self.request("DELETE", f"/work_pools/{urllib.parse.quote(name, safe='')}")

    def workers(self, pool: str) -> list[dict]:
        return self.ok("POST", f"/work_pools/{pool}/workers/filter", {})


class PatientPrefectAPI(PrefectAPI):
    """The tests' own REST client, retrying 503 a few times: a SQLite-backed server answers 503 when its
    database is locked by a background service, and a test's setup call should not fail on that."""

    def request(self, method: str, path: str, payload=None):
        for attempt in range(6):
            status, body = super().request(method, path, payload)
            if status != 503:
                break
            time.sleep(0.5 * (attempt + 1))
        return status, body


def aws_client(service: str, direct: bool = False, region: str | None = None, attempts: int | None = None):
    """boto3 client through the recording proxy, or straight to moto (`direct`: not recorded).
    `attempts`: botocore standard-mode total attempts (1 = no retry)."""
    endpoint = os.environ["PREFECT_OPS_MOTO_URL"] if direct else os.environ["AWS_ENDPOINT_URL"]
    config = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": attempts}) if attempts else None
    return boto3.client(service, endpoint_url=endpoint, region_name=region or os.environ.get("AWS_REGION", "us-east-1"),
                        aws_access_key_id="testing", aws_secret_access_key="testing", config=config)


def stack_dir() -> Path:
    return Path(os.environ["PREFECT_OPS_STACK_DIR"])


def stack_script():
    """scripts/stack.py (the stack's own start-up helpers: free_port, spawn, wait_http, extra servers), loaded as a
    module."""
    spec = importlib.util.spec_from_file_location("prefect_ops_stack_script",
                                                  Path(__file__).resolve().parents[2] / "scripts" / "stack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def own_prefect_server(name: str):
    """A Prefect server of the caller's own (own home and SQLite database, basic auth on), for a test whose load
    would make the shared server answer 503 to the other xdist worker's playbooks. Inside the block this process's
    PREFECT_API_URL and PREFECT_API_AUTH_STRING point at it: the playbooks and workers it starts inherit them,
    PrefectAPI() reads them. On leaving they are restored and the server is stopped (`make stack-down` stops it
    too if the process dies first). Yields the API URL."""
    script = stack_script()
    auth = f"admin:{secrets.token_hex(12)}"
    url = f"{script.start_extra_prefect_server(name, auth)}/api"
    saved = {key: os.environ.get(key) for key in ("PREFECT_API_URL", "PREFECT_API_AUTH_STRING")}
    os.environ.update(PREFECT_API_URL=url, PREFECT_API_AUTH_STRING=auth)
    try:
        yield url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        script.stop_extra_prefect_server(name)
