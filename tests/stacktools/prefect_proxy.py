#!/usr/bin/env python
"""Fault-injecting proxy in front of the Prefect API.

Fault rules (POST /_proxy/faults):
  {"fail_first": 3, "status": 503}                    answer 503 to the next 3 API calls
  {"fail_first": 2, "status": 429, "retry_after": 1}  answer 429 with Retry-After: 1
  optional "methods": ["POST", ...] and "path_contains": "/work_pools/"
  {"fail_first": 2, "status": 503, "then": {"fail_first": 2, "status": 429, "retry_after": 1}}
                                                      phases: 2 x 503, then 2 x 429 with Retry-After
  {"hold": {...}}                                     see proxy.py: forward a call, then hold its answer
Every call is recorded as {method, path, status, fault}.

    python tests/stacktools/prefect_proxy.py --port 4568 --upstream http://127.0.0.1:4200
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stacktools.proxy import ForwardingHandler, serve  # noqa: E402  pylint: disable=wrong-import-position


class PrefectProxyHandler(ForwardingHandler):
    def describe(self, body: bytes) -> dict:
        return {"method": self.command, "path": self.path.split("?", 1)[0]}

    def fault_for(self, call: dict, body: bytes):
        with self.state.lock:
            rules, done = self.state.faults, self.state.counters.get("failed", 0)
            while rules.get("fail_first") and done >= int(rules["fail_first"]):  # this phase is over
                rules, done = rules.get("then") or {}, done - int(rules["fail_first"])
            if not rules.get("fail_first"):
                return None
            if rules.get("methods") and call["method"] not in rules["methods"]:
                return None
            if rules.get("path_contains") and rules["path_contains"] not in call["path"]:
                return None
            self.state.counters["failed"] = self.state.counters.get("failed", 0) + 1
        status = int(rules.get("status", 503))
        headers = {"Content-Type": "application/json"}
        if "retry_after" in rules:
            headers["Retry-After"] = str(rules["retry_after"])
        return status, headers, json.dumps({"detail": f"injected {status} by prefect_proxy"}).encode()


def build(upstream: str, port: int = 0):
    return serve(PrefectProxyHandler, upstream, port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    build(args.upstream, args.port).serve_forever()


if __name__ == "__main__":
    main()
