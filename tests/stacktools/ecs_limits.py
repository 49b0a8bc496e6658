"""ECS's own limits, emulated by the AWS proxy (issue 20): moto enforces none of them.

The proxy turns them on with the fault rule {"ecs_limits": {...}} (aws_proxy.py); both are per account and
Region in AWS, so here they are shared by every caller of the proxy (all worker replicas together).

- "run_task": {"burst": B, "rate": R}: a token bucket for RunTask calls, full when the rule is set, refilled at R
  tokens per second up to B; a call finding no token is answered with ECS's throttling error
  (ThrottlingException, "Rate exceeded"). AWS's numbers (AWS Fargate throttling quotas,
  docs.aws.amazon.com/AmazonECS/latest/developerguide/throttling.html): "The rate quota for calls to the Amazon
  ECS RunTask API is 20 calls per second (burst and sustained)", beside the task-launch bucket of 100 tasks
  refilled at 20 per second; the error is the one of "Request throttling for the Amazon ECS API"
  (docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html). RUN_TASK_AWS holds them; the
  bench scales them down to what the local stack can submit (it says by how much).
- "register_family": {"latency": S}: ECS creates one revision of a family at a time. A RegisterTaskDefinition
  keeps its family busy for S seconds (the proxy waits S seconds before forwarding it: the time ECS takes to
  create the revision); another registration of the same family arriving meanwhile is rejected with
  ClientException "Too many concurrent attempts to create a new revision of the specified family." (the text
  users report: PrefectHQ/prefect#15865, #16485, #13024; AWS documents no number for it). botocore does not
  retry a ClientException; the caller sees it at once.

The classes take a clock so the unit tests (tests/unit/test_ecs_limits.py) control time.
"""
from __future__ import annotations

import json
import threading
import time

RUN_TASK_AWS = {"burst": 20, "rate": 20.0}
REGISTER_REJECTION = "Too many concurrent attempts to create a new revision of the specified family."
THROTTLED = "Rate exceeded"


class TokenBucket:
    """Holds at most `burst` tokens, refilled at `rate` per second; take() spends one if there is one."""

    def __init__(self, burst: int, rate: float, clock=time.monotonic):
        self.burst, self.rate, self.clock = int(burst), float(rate), clock
        self.tokens = float(burst)
        self.last = clock()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


class FamilyGate:
    """One registration per task definition family at a time."""

    def __init__(self):
        self.busy: set[str] = set()
        self.lock = threading.Lock()

    def enter(self, family: str) -> bool:
        with self.lock:
            if family in self.busy:
                return False
            self.busy.add(family)
            return True

    def leave(self, family: str) -> None:
        with self.lock:
            self.busy.discard(family)


class EcsLimits:
    """The limits one "ecs_limits" rule turns on, with their counters."""

    def __init__(self, rules: dict, clock=time.monotonic):
        run_task, register = rules.get("run_task"), rules.get("register_family")
        self.bucket = TokenBucket(run_task.get("burst", RUN_TASK_AWS["burst"]), run_task.get("rate", RUN_TASK_AWS["rate"]),
                                  clock) if run_task is not None else None
        self.latency = float(register.get("latency", 0.5)) if register is not None else None
        self.gate = FamilyGate()
        self.counts = {"run_task_throttled": 0, "register_rejected": 0}

    def admit(self, call: dict) -> tuple[str | None, str | None]:
        """(error, family): the ECS error to answer instead of forwarding the call, or the family the call now
        holds (the caller waits `latency`, forwards, then calls leave(family))."""
        if call.get("service") != "ecs":
            return None, None
        if call.get("action") == "RunTask" and self.bucket is not None and not self.bucket.take():
            self.counts["run_task_throttled"] += 1
            return "ThrottlingException", None
        if call.get("action") == "RegisterTaskDefinition" and self.latency is not None:
            family = (call.get("params") or {}).get("family") if isinstance(call.get("params"), dict) else None
            if family:
                if not self.gate.enter(family):
                    self.counts["register_rejected"] += 1
                    return "ClientException", None
                return None, family
        return None, None

    def leave(self, family: str) -> None:
        self.gate.leave(family)


def error_response(code: str) -> tuple[int, dict, bytes]:
    """ECS's answer (JSON protocol) for the two errors above."""
    message = REGISTER_REJECTION if code == "ClientException" else THROTTLED
    body = json.dumps({"__type": code, "message": message}).encode()
    return 400, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, body


def with_container_memory(body: bytes, memory: int) -> bytes:
    """A RegisterTaskDefinition body whose containers without memory or memoryReservation get `memory` MiB.

    Not an AWS behaviour: moto's RunTask needs container-level memory that Fargate does not (a task-level memory
    is enough there), and the prefect-aws worker's own definitions set only the task level. Without this, every
    unpinned RunTask would fail on moto for a reason AWS does not have.
    """
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return body
    containers = request.get("containerDefinitions") or []
    changed = False
    for container in containers:
        if not container.get("memory") and not container.get("memoryReservation"):
            container["memory"] = int(memory)
            changed = True
    return json.dumps(request).encode() if changed else body
