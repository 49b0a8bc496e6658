#!/usr/bin/env python
"""The local stack that stands in for the cloud: a real Prefect server and a moto server.

    scripts/stack.py up | down | status | env

`up` starts, on free 127.0.0.1 ports:
  - moto (MOTO_IAM_LOAD_MANAGED_POLICIES=true), the AWS emulator;
  - the recording AWS proxy in front of moto (tests/stacktools/aws_proxy.py): AWS_ENDPOINT_URL
    points at it, so every AWS call of a run is recorded and faults can be injected;
  - `prefect server start` with SQLite and authentication on (PREFECT_SERVER_API_AUTH_STRING).
It waits for each to be healthy and writes an env file (`env` prints it as `export` lines).
Running `up` twice reuses a healthy stack. `down` stops exactly the processes it started, by PID.

State lives in $PREFECT_OPS_STACK_DIR (default: <repo>/.state/stack), so several stacks can run
side by side (one per directory).
"""
from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STATE_DIR = Path(os.environ.get("PREFECT_OPS_STACK_DIR", REPO / ".state" / "stack")).resolve()
STATE_FILE = STATE_DIR / "state.json"
ENV_FILE = STATE_DIR / "env"
REGION = os.environ.get("PREFECT_OPS_STACK_REGION", "us-east-1")
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_http(url: str, what: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if http_ok(url):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise SystemExit(f"stack: {what} did not become healthy at {url} (see {log}):\n{tail}")


def pid_alive(pid: int, marker: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return marker in cmdline


def load_state() -> dict | None:
    if not STATE_FILE.exists():
        return None
    return json.loads(STATE_FILE.read_text())


def healthy(state: dict) -> bool:
    return all(pid_alive(p["pid"], p["marker"]) for p in state["processes"]) and all(
        http_ok(url) for url in state["health"]
    )


def spawn(name: str, argv: list[str], env: dict, marker: str) -> tuple[subprocess.Popen, Path, dict]:
    log = STATE_DIR / f"{name}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=STATE_DIR,
        )
    return proc, log, {"name": name, "pid": proc.pid, "marker": marker}


def base_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "AWS_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def start_prefect_server(name: str, auth: str | None, port: int | None = None):
    """`prefect server start` with its own home and SQLite database under the stack directory (`name`), basic auth
    with `auth` (None: authentication off). Returns (process, log, state entry, server URL); not yet healthy."""
    port = port or free_port()
    home = STATE_DIR / ("prefect-home" if name == "prefect" else f"{name}-home")
    home.mkdir(parents=True, exist_ok=True)
    database = STATE_DIR / ("prefect.db" if name == "prefect" else f"{name}.db")
    env = base_env() | {
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{database}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # Register the block types (aws-credentials, ...) on every start: the memo in PREFECT_HOME outlives the
        # database `down` deletes, and with it a restarted server would skip the registration.
        "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false",
        "PREFECT_SERVER_API_HOST": HOST,
        "PREFECT_SERVER_API_PORT": str(port),
    }
    if auth:
        env["PREFECT_SERVER_API_AUTH_STRING"] = auth
    proc, log, entry = spawn(name, [str(BIN / "prefect"), "server", "start", "--host", HOST, "--port", str(port)],
                             env, "prefect")
    return proc, log, entry, f"http://{HOST}:{port}"


def extra_servers_dir() -> Path:
    """Where tests record the extra Prefect servers they start (`down` stops them too)."""
    return STATE_DIR / "servers"


def start_extra_prefect_server(name: str, auth: str | None, timeout: float = 180) -> str:
    """A further, separate Prefect server (own home, database and auth string) for tests of several Prefect
    targets; recorded so that `down` stops it even when the test that started it did not. Returns its URL."""
    proc, log, entry, url = start_prefect_server(name, auth)
    extra_servers_dir().mkdir(exist_ok=True)
    (extra_servers_dir() / f"{name}.json").write_text(json.dumps(entry))
    wait_http(f"{url}/api/health", f"Prefect server {name}", proc, log, timeout)
    return url


def stop_extra_prefect_server(name: str) -> None:
    record = extra_servers_dir() / f"{name}.json"
    if record.exists():
        entry = json.loads(record.read_text())
        stop_pid(entry["pid"], entry["marker"])
        record.unlink()
    for suffix in (".db", ".db-shm", ".db-wal"):
        (STATE_DIR / f"{name}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(STATE_DIR / f"{name}-home", ignore_errors=True)


def up() -> dict:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    state = load_state()
    if state and healthy(state):
        print(f"stack: already up ({STATE_DIR})")
        return state
    if state:
        down(quiet=True)
    moto_port, proxy_port, prefect_port = free_port(), free_port(), free_port()
    auth = f"admin:{secrets.token_hex(12)}"
    processes, health = [], []

    env = base_env() | {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    proc, log, entry = spawn("moto", [str(BIN / "moto_server"), "-H", HOST, "-p", str(moto_port)],
                             env, "moto_server")
    processes.append(entry)
    moto_url = f"http://{HOST}:{moto_port}"
    wait_http(f"{moto_url}/moto-api/", "moto", proc, log, 60)
    health.append(f"{moto_url}/moto-api/")

    proxy_script = REPO / "tests" / "stacktools" / "aws_proxy.py"
    proc, log, entry = spawn(
        "aws_proxy",
        [sys.executable, str(proxy_script), "--port", str(proxy_port), "--upstream", moto_url,
         "--record", str(STATE_DIR / "aws_calls.jsonl")],
        base_env(), "aws_proxy.py",
    )
    processes.append(entry)
    proxy_url = f"http://{HOST}:{proxy_port}"
    wait_http(f"{proxy_url}/_proxy/health", "AWS proxy", proc, log, 30)
    health.append(f"{proxy_url}/_proxy/health")

    proc, log, entry, prefect_url = start_prefect_server("prefect", auth, prefect_port)
    processes.append(entry)
    wait_http(f"{prefect_url}/api/health", "Prefect server", proc, log, 120)
    health.append(f"{prefect_url}/api/health")

    state = {
        "dir": str(STATE_DIR),
        "processes": processes,
        "health": health,
        "env": {
            "PREFECT_API_URL": f"{prefect_url}/api",
            "PREFECT_API_AUTH_STRING": auth,
            "PREFECT_OPS_PREFECT_UI_URL": prefect_url,
            "AWS_ENDPOINT_URL": proxy_url,
            "PREFECT_OPS_AWS_PROXY_URL": proxy_url,
            "PREFECT_OPS_MOTO_URL": moto_url,
            "PREFECT_OPS_STACK_DIR": str(STATE_DIR),
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        },
    }
    STATE_FILE.write_text(json.dumps(state, indent=2))
    write_env(state)
    print(f"stack: up ({STATE_DIR}); Prefect UI at {prefect_url}")
    return state


def write_env(state: dict) -> None:
    lines = [f"{k}={shlex.quote(v)}" for k, v in state["env"].items()]
    extra = STATE_DIR / "fixture.env"
    if extra.exists():
        lines += [ln for ln in extra.read_text().splitlines() if ln.strip()]
    ENV_FILE.write_text("\n".join(lines) + "\n")
    ENV_FILE.chmod(0o600)


def stop_pid(pid: int, marker: str, grace: float = 10.0) -> None:
    if not pid_alive(pid, marker):
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not pid_alive(pid, marker):
            return
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def down(quiet: bool = False) -> None:
    state = load_state()
    if not state:
        if not quiet:
            print("stack: not running")
        return
    for worker in sorted((STATE_DIR / "workers").glob("*.json")):  # scripts/local_worker.py
        entry = json.loads(worker.read_text())
        stop_pid(entry["pid"], entry["marker"])
        worker.unlink()
    for server in sorted(extra_servers_dir().glob("*.json")):  # start_extra_prefect_server (tests)
        stop_extra_prefect_server(server.stem)
    for proc in reversed(state["processes"]):
        stop_pid(proc["pid"], proc["marker"])
    for name in ("state.json", "env", "fixture.env", "prefect.db", "prefect.db-shm", "prefect.db-wal"):
        (STATE_DIR / name).unlink(missing_ok=True)
    if not quiet:
        print(f"stack: down ({STATE_DIR})")


def status() -> int:
    state = load_state()
    if not state:
        print("stack: not running")
        return 1
    for proc in state["processes"]:
        print(f"{proc['name']:10} pid {proc['pid']:7} {'alive' if pid_alive(proc['pid'], proc['marker']) else 'DEAD'}")
    for url in state["health"]:
        print(f"{'ok' if http_ok(url) else 'FAIL':4} {url}")
    print(f"Prefect UI: {state['env']['PREFECT_OPS_PREFECT_UI_URL']}")
    return 0 if healthy(state) else 1


def print_env() -> int:
    if not ENV_FILE.exists():
        print("stack: not running (no env file)", file=sys.stderr)
        return 1
    for line in ENV_FILE.read_text().splitlines():
        print(f"export {line}")
    return 0


def main(argv: list[str]) -> int:
    cmd = argv[1] if len(argv) > 1 else "status"
    if cmd == "up":
        up()
        return 0
    if cmd == "down":
        down()
        return 0
    if cmd == "status":
        return status()
    if cmd == "env":
        return print_env()
    if cmd == "refresh-env":
        state = load_state()
        if state:
            write_env(state)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
