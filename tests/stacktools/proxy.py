"""A small forwarding HTTP proxy with a record of calls and a control API under /_proxy/.

The AWS proxy and the Prefect proxy are subclasses: each decides how to describe a call and which
fault (if any) to answer with instead of forwarding it.

Control API (JSON):
  GET  /_proxy/health         -> {"ok": true}
  GET  /_proxy/calls?since=N  -> {"calls": [...], "next": M}  (calls N.. in order)
  POST /_proxy/reset          -> clears the record and the fault rules
  GET  /_proxy/faults         -> the current fault rules
  POST /_proxy/faults         -> replace the fault rules (body: the rules object); releases held calls
  POST /_proxy/release        -> answer the held calls now

Holding (any proxy): the rule {"hold": {"match": {"action": "CreateQueue", "params": {"QueueName": "q"}}}}
forwards the first matching call (upstream applies it), records it with "held": true and does not answer
it until released, so a test can kill the client after the change was made but before it saw the answer.
"match" compares the recorded call's fields for equality ("params": a subset of the parameters); "count"
(default 1) calls are held, each at most "timeout" seconds (default 120).
"""
from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
    "transfer-encoding", "upgrade", "content-length", "host",
}


class ProxyState:
    """The call record and fault rules, shared by all handler threads."""

    def __init__(self, record_path: str | None = None):
        self.lock = threading.Lock()
        self.calls: list[dict] = []
        self.faults: dict = {}
        self.counters: dict = {}
        self.record_path = record_path
        self.release = threading.Event()

    def add(self, call: dict) -> None:
        with self.lock:
            call["seq"] = len(self.calls)
            self.calls.append(call)
            if self.record_path:
                with open(self.record_path, "a", encoding="utf-8") as out:
                    out.write(json.dumps(call) + "\n")

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.faults = {}
            self.counters = {}
            self.release_held()

    def release_held(self) -> None:
        """Answer every held call; later holds wait on a fresh event."""
        self.release.set()
        self.release = threading.Event()


class ForwardingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream: urllib.parse.SplitResult
    state: ProxyState

    # -- subclass hooks -------------------------------------------------------------------------
    def describe(self, body: bytes) -> dict:  # pragma: no cover - overridden
        return {"method": self.command, "path": self.path}

    def fault_for(self, call: dict, body: bytes) -> tuple[int, dict, bytes] | None:
        """Return (status, headers, body) to answer instead of forwarding, or None."""
        return None

    def rewrite(self, call: dict, body: bytes) -> bytes:
        """The body to forward (the record keeps the call as the client sent it)."""
        return body

    def forwarded(self, call: dict) -> None:
        """Called once the upstream answered a call that fault_for let through (even when it failed)."""

    def hold_for(self, call: dict) -> tuple[threading.Event, float] | None:
        """(event, timeout) to wait for before answering a forwarded call the "hold" rule matches, or None."""
        rule = self.state.faults.get("hold")
        if not rule or call.get("status", 500) >= 400:
            return None
        for key, want in (rule.get("match") or {}).items():
            got = call.get(key)
            if isinstance(want, dict):
                if not isinstance(got, dict) or any(got.get(k) != v for k, v in want.items()):
                    return None
            elif got != want:
                return None
        with self.state.lock:
            held = self.state.counters.get("held", 0)
            if held >= int(rule.get("count", 1)):
                return None
            self.state.counters["held"] = held + 1
            return self.state.release, float(rule.get("timeout", 120))

    # -- plumbing -------------------------------------------------------------------------------
    def log_message(self, format, *args):  # noqa: A002  pylint: disable=redefined-builtin
        return

    def _send(self, status: int, headers: dict, body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload) -> None:
        self._send(status, {"Content-Type": "application/json"}, json.dumps(payload).encode())

    def _control(self, body: bytes) -> None:
        url = urllib.parse.urlsplit(self.path)
        path = url.path[len("/_proxy"):]
        state = self.state
        if path == "/health":
            return self._json(200, {"ok": True})
        if path == "/calls":
            since = int(urllib.parse.parse_qs(url.query).get("since", ["0"])[0])
            with state.lock:
                calls = state.calls[since:]
                nxt = len(state.calls)
            return self._json(200, {"calls": calls, "next": nxt})
        if path == "/reset" and self.command == "POST":
            state.reset()
            return self._json(200, {"ok": True})
        if path == "/release" and self.command == "POST":
            with state.lock:
                state.release_held()
            return self._json(200, {"ok": True})
        if path == "/faults":
            if self.command == "POST":
                with state.lock:
                    state.faults = json.loads(body or b"{}")
                    state.counters = {}
                    state.release_held()
            return self._json(200, state.faults)
        return self._json(404, {"error": f"unknown control path {path}"})

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/_proxy/"):
            return self._control(body)
        call = self.describe(body)
        call["ts"] = time.time()
        fault = self.fault_for(call, body)
        if fault is not None:
            status, headers, payload = fault
            call.update(status=status, fault=True)
            self.state.add(call)
            return self._send(status, headers, payload)
        # The client's Host header is kept, so URLs the upstream builds (SQS queue URLs) point at the proxy.
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP or k.lower() == "host"}
        conn_cls = http.client.HTTPSConnection if self.upstream.scheme == "https" else http.client.HTTPConnection
        conn = conn_cls(self.upstream.netloc, timeout=300)
        try:
            body = self.rewrite(call, body)
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            out_headers = {k: v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP}
            status = resp.status
        except OSError as exc:
            status, out_headers, payload = 502, {"Content-Type": "text/plain"}, f"proxy: upstream error {exc}".encode()
        finally:
            conn.close()
            self.forwarded(call)
        call.update(status=status, fault=False)
        hold = self.hold_for(call)
        if hold is not None:
            call["held"] = True
        self.state.add(call)
        if hold is not None:
            hold[0].wait(hold[1])
            try:
                self._send(status, out_headers, payload)
            except OSError:  # the client was killed while it waited: nobody to answer
                self.close_connection = True
            return None
        self._send(status, out_headers, payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


def serve(handler_cls: type[ForwardingHandler], upstream: str, port: int, host: str = "127.0.0.1",
          record_path: str | None = None) -> ThreadingHTTPServer:
    """Build a server (not yet serving) whose handler forwards to `upstream`."""
    state = ProxyState(record_path)
    handler = type(handler_cls.__name__, (handler_cls,), {
        "upstream": urllib.parse.urlsplit(upstream), "state": state,
    })
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.state = state  # type: ignore[attr-defined]
    return server


def start_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
