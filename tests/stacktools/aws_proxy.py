#!/usr/bin/env python
"""Recording, fault-injecting proxy in front of moto.

Every signed AWS call is recorded as {service, action, mutating, params, access_key, status, fault, seq, ts}.
`params` is the decoded request: the JSON body for JSON-protocol services (ECS, SQS, EventBridge,
Secrets Manager, Logs, ...), the form fields for query-protocol ones (IAM, STS, EC2).

Fault rules (POST /_proxy/faults):
  {"mode": "first_attempt"}                 throttle the first attempt of every distinct call
                                            (same service, action and body); its retry goes through
  {"mode": "random", "rate": 0.3, "seed": 7} throttle a share of calls, reproducibly for a seed
  optional filters on either: "services": [...], "actions": [...], "mutating_only": true
  {"by_access_key": {"AKIA1": {rules}, "AKIA2": {rules}}}
                                            each caller (access key) its own rules and counters (its
                                            own seeded sequence); other callers are not throttled
  {"hold": {...}}                           see proxy.py: forward a call, then hold its answer
  {"ecs_limits": {"run_task": {"burst": B, "rate": R}, "register_family": {"latency": S}}}
                                            ECS's own limits for every caller together (ecs_limits.py): a
                                            RunTask token bucket and one registration per family at a
                                            time; the answer is recorded with "limit" set
  {"moto_container_memory": 512}            give RegisterTaskDefinition's containers the memory moto's
                                            RunTask needs (ecs_limits.with_container_memory)
These keys combine in one rules object.
The throttling answer is the one each protocol really sends (ThrottlingException, Throttling,
RequestLimitExceeded), so botocore and amazon.aws retry it as they would in AWS.

    python tests/stacktools/aws_proxy.py --port 4567 --upstream http://127.0.0.1:5000 [--record f.jsonl]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
import urllib.parse
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stacktools import ecs_limits  # noqa: E402  pylint: disable=wrong-import-position
from stacktools.aws_actions import is_mutating  # noqa: E402  pylint: disable=wrong-import-position
from stacktools.proxy import ForwardingHandler, serve  # noqa: E402  pylint: disable=wrong-import-position

CREDENTIAL_SCOPE = re.compile(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/aws4_request")


def _flatten_form(body: bytes) -> dict:
    return {k: v[0] if len(v) == 1 else v for k, v in urllib.parse.parse_qs(body.decode(errors="replace")).items()}


class AwsProxyHandler(ForwardingHandler):
    def describe(self, body: bytes) -> dict:
        match = CREDENTIAL_SCOPE.search(self.headers.get("Authorization", ""))
        access_key, region, service = (match.group(1), match.group(2), match.group(3)) if match else (None, None, None)
        target = self.headers.get("X-Amz-Target")
        params: dict | str = {}
        if target:
            protocol, action = "json", target.rsplit(".", 1)[-1]
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                params = body.decode(errors="replace")
        elif self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded") or "Action=" in self.path:
            protocol = "ec2" if service == "ec2" else "query"
            params = _flatten_form(body) if body else _flatten_form(urllib.parse.urlsplit(self.path).query.encode())
            action = params.pop("Action", None) if isinstance(params, dict) else None
            if isinstance(params, dict):
                params.pop("Version", None)
        else:
            protocol = "rest"
            action = f"{self.command} {urllib.parse.urlsplit(self.path).path}"
            params = body.decode(errors="replace")[:4000]
        return {
            "aws": match is not None, "service": service, "region": region, "action": action,
            "protocol": protocol, "mutating": bool(match) and is_mutating(action), "params": params,
            "user_agent": self.headers.get("User-Agent", ""),
            # who called: a test gives the process under test its own access key (moto accepts any)
            "access_key": access_key,
        }

    def fault_for(self, call: dict, body: bytes):
        self.busy_family = None
        fault = self.throttle_fault(call, body)
        if fault is not None or not call["aws"] or "ecs_limits" not in self.state.faults:
            return fault
        with self.state.lock:
            limits = self.state.counters.get("ecs_limits")
            if limits is None:
                limits = self.state.counters["ecs_limits"] = ecs_limits.EcsLimits(self.state.faults["ecs_limits"])
        error, family = limits.admit(call)
        if error:
            call["limit"] = error
            return ecs_limits.error_response(error)
        if family:
            self.busy_family = (limits, family)
            time.sleep(limits.latency)  # the revision is being created: the family stays busy meanwhile
        return None

    def rewrite(self, call: dict, body: bytes) -> bytes:
        memory = self.state.faults.get("moto_container_memory")
        if memory and call.get("service") == "ecs" and call.get("action") == "RegisterTaskDefinition":
            return ecs_limits.with_container_memory(body, memory)
        return body

    def forwarded(self, call: dict) -> None:
        if getattr(self, "busy_family", None):
            limits, family = self.busy_family
            limits.leave(family)
            self.busy_family = None

    def throttle_fault(self, call: dict, body: bytes):
        """The "mode" rules: throttling answers of the first attempt or of a random share of calls."""
        rules, scope = self.state.faults, None
        if "by_access_key" in rules:
            scope = f"access_key:{call['access_key']}"
            rules = rules["by_access_key"].get(call["access_key"] or "") or {}
        mode = rules.get("mode")
        if not mode or not call["aws"]:
            return None
        if rules.get("services") and call["service"] not in rules["services"]:
            return None
        if rules.get("actions") and call["action"] not in rules["actions"]:
            return None
        if rules.get("mutating_only") and not call["mutating"]:
            return None
        with self.state.lock:
            counters = self.state.counters if scope is None else self.state.counters.setdefault(scope, {})
            if mode == "first_attempt":
                key = hashlib.sha256(f"{call['service']}|{call['action']}|".encode() + body).hexdigest()
                seen = counters.setdefault("seen", set())
                if key in seen:
                    return None
                seen.add(key)
            elif mode == "random":
                rng = counters.setdefault("rng", random.Random(rules.get("seed", 0)))
                if rng.random() >= float(rules.get("rate", 0.3)):
                    return None
            else:
                return None
            counters["injected"] = counters.get("injected", 0) + 1
        return throttle_response(call["protocol"])


def throttle_response(protocol: str) -> tuple[int, dict, bytes]:
    if protocol == "json":
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded (injected by aws_proxy)"})
        return 400, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": "ThrottlingException"}, body.encode()
    if protocol == "ec2":
        body = ("<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded "
                "(injected by aws_proxy)</Message></Error></Errors><RequestID>injected</RequestID></Response>")
        return 503, {"Content-Type": "text/xml"}, body.encode()
    body = ("<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded "
            "(injected by aws_proxy)</Message></Error><RequestId>injected</RequestId></ErrorResponse>")
    return 400, {"Content-Type": "text/xml"}, body.encode()


def build(upstream: str, port: int = 0, record_path: str | None = None):
    return serve(AwsProxyHandler, upstream, port, record_path=record_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--record")
    args = parser.parse_args()
    server = build(args.upstream, args.port, args.record)
    server.serve_forever()


if __name__ == "__main__":
    main()
