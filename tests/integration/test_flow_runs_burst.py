"""Seeds 001 and 003 failing without the collection and passing with it (issue 20): the smaller version of
`make bench BENCH=burst` (scripts/bench.py, N=200 runs and 3 worker replicas there).

N runs are released at once to W real prefect-aws ECS workers while the AWS proxy emulates ECS's own limits
(tests/stacktools/ecs_limits.py): one RegisterTaskDefinition per family at a time, answered with ECS's
"Too many concurrent attempts" ClientException, and a RunTask token bucket answered with ThrottlingException.
The four cases of the bench run on one site converged by site.yml:

- unpinned, no limits: the workers register a definition per run concurrently; ECS rejects registrations and
  runs crash at submission (seed 003);
- pinned, no limits / pinned with the site's limits: no registration at all;
- the site's defaults (workers started as the site's worker task definition says): no run crashed, no
  registration rejected, every run submitted.
"""
from __future__ import annotations

import secrets

import pytest

from stacktools import flow_runs as fr
from stacktools.stack import own_prefect_server

N = 20
REPLICAS = 2
# Tighter than the bench (5 / 2 per second, registrations 0.5 s): fewer runs must still meet both limits.
LIMITS = {"run_task": {"burst": 3, "rate": 1}, "register_family": {"latency": 1.0}}
SITE_LIMITS = {"prefect_work_pools_concurrency_limit": 6, "ecs_worker_service_limit": 3}


@pytest.fixture(scope="module")
def rows():
    # On a Prefect server of its own: its burst on the shared SQLite server made a concurrent site.yml of the other
    # xdist worker fail on 503s (test_role_ecs_verify, fresh clone of 2026-12-04).
    with own_prefect_server(f"prefect-burst-{secrets.token_hex(3)}"):
        table = fr.four_cases(fr.unique_site("it-burst"), N, REPLICAS, LIMITS, SITE_LIMITS, timeout=600)
    for row in table:
        print(row)
    return {row["case"]: row for row in table}


@pytest.mark.slow(6)
def test_unpinned_workers_meet_ecs_registration_limit_and_runs_crash(rows):
    unpinned = rows["unpinned, no limits"]
    assert unpinned["register_calls"] > 0
    assert unpinned["register_rejected"] > 0, unpinned
    assert unpinned["crashed_or_failed"] > 0, unpinned


def test_pinned_workers_register_nothing(rows):
    for case in ("pinned, no limits", "pinned, site limits", "site defaults"):
        assert rows[case]["register_calls"] == 0, rows[case]


def test_the_run_task_limit_was_met(rows):
    """The emulated RunTask bucket really throttled someone in this burst: otherwise the cases below prove
    nothing about seed 001."""
    assert sum(row["run_task_throttled"] for row in rows.values()) > 0, rows


def test_the_sites_workers_ran_with_the_sdk_retry_settings_of_its_task_definition(rows):
    """The defaults chosen from the bench (roles/ecs_worker_service): what protects RunTask without a limit."""
    for case in ("site defaults", "pinned, site limits"):
        assert rows[case]["worker_env"] == {"AWS_RETRY_MODE": "adaptive", "AWS_MAX_ATTEMPTS": "10"}, rows[case]
    assert rows["pinned, no limits"]["worker_env"] == {}


def test_the_sites_limits_are_what_the_workers_ran_with(rows):
    limited = rows["pinned, site limits"]
    assert limited["pool_limit"] == SITE_LIMITS["prefect_work_pools_concurrency_limit"]
    assert f"--limit {SITE_LIMITS['ecs_worker_service_limit']}" in limited["worker_args"]
    assert rows["pinned, no limits"]["pool_limit"] is None


@pytest.mark.parametrize("case", ["site defaults", "pinned, site limits"])
def test_with_the_site_no_run_crashes_and_every_run_is_submitted(rows, case):
    row = rows[case]
    assert row["register_rejected"] == 0, row
    assert row["crashed_or_failed"] == 0, row
    assert row["not_finished"] == 0, row
    assert row["submitted"] == N, row
