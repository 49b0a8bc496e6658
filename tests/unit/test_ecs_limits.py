"""ECS's own limits as the AWS proxy emulates them (tests/stacktools/ecs_limits.py), with a controlled clock."""
from __future__ import annotations

import json

from stacktools.ecs_limits import REGISTER_REJECTION, EcsLimits, TokenBucket, error_response, with_container_memory


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def run_task():
    return {"service": "ecs", "action": "RunTask", "params": {}}


def register(family):
    return {"service": "ecs", "action": "RegisterTaskDefinition", "params": {"family": family}}


def test_the_bucket_allows_a_burst_then_the_refill_rate():
    clock = Clock()
    bucket = TokenBucket(3, 2.0, clock)
    assert [bucket.take() for _i in range(4)] == [True, True, True, False]
    clock.now += 0.4  # 0.8 token: not yet one
    assert bucket.take() is False
    clock.now += 0.1  # one token
    assert bucket.take() is True
    clock.now += 60  # refills up to the burst, never above it
    assert [bucket.take() for _i in range(4)] == [True, True, True, False]


def test_run_task_beyond_the_bucket_is_throttled_and_counted_other_calls_are_not():
    clock = Clock()
    limits = EcsLimits({"run_task": {"burst": 2, "rate": 1}}, clock)
    assert [limits.admit(run_task())[0] for _i in range(3)] == [None, None, "ThrottlingException"]
    assert limits.admit({"service": "ecs", "action": "DescribeTasks", "params": {}}) == (None, None)
    assert limits.admit({"service": "sqs", "action": "RunTask", "params": {}}) == (None, None)
    assert limits.counts == {"run_task_throttled": 1, "register_rejected": 0}
    clock.now += 1
    assert limits.admit(run_task())[0] is None


def test_a_registration_while_its_family_is_busy_is_rejected_other_families_are_not():
    limits = EcsLimits({"register_family": {"latency": 0.3}})
    assert limits.admit(register("flows")) == (None, "flows")
    assert limits.admit(register("flows")) == ("ClientException", None)
    assert limits.admit(register("other")) == (None, "other")
    limits.leave("flows")
    assert limits.admit(register("flows")) == (None, "flows")
    assert limits.counts["register_rejected"] == 1
    assert limits.latency == 0.3


def test_without_a_rule_nothing_is_limited():
    limits = EcsLimits({})
    assert all(limits.admit(call) == (None, None) for call in [run_task()] * 50 + [register("f")] * 5)


def test_the_answers_carry_ecs_error_codes_and_texts():
    status, headers, body = error_response("ClientException")
    assert status == 400 and headers["x-amzn-ErrorType"] == "ClientException"
    assert json.loads(body) == {"__type": "ClientException",
                                "message": "Too many concurrent attempts to create a new revision of the specified family."}
    assert REGISTER_REJECTION in body.decode()
    assert json.loads(error_response("ThrottlingException")[2])["message"] == "Rate exceeded"


def test_container_memory_is_added_only_where_neither_memory_is_set():
    body = json.dumps({"family": "f", "memory": "2048", "containerDefinitions": [
        {"name": "a"}, {"name": "b", "memory": 256}, {"name": "c", "memoryReservation": 128}]}).encode()
    out = json.loads(with_container_memory(body, 512))
    assert [c.get("memory") for c in out["containerDefinitions"]] == [512, 256, None]
    assert out["memory"] == "2048"
    untouched = json.dumps({"containerDefinitions": [{"name": "a", "memory": 1}]}).encode()
    assert with_container_memory(untouched, 512) is untouched
