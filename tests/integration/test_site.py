"""playbooks/site.yml against the local stack: converges, re-runs as a no-op with zero mutating AWS
calls, check mode changes nothing and predicts the facts the real run produces."""
from __future__ import annotations

import pytest

import subprocess
import sys

from stacktools.ansible_run import REPO, run_playbook

SITE = REPO / "playbooks" / "site.yml"
TEARDOWN = REPO / "playbooks" / "teardown.yml"


def facts(result, task="Publish the cluster for later roles"):
    return result.task(task)["ansible_facts"]


@pytest.fixture(scope="module")
def site_name():
    return "it-site"


def local_worker(action: str, pool: str) -> None:
    subprocess.run([sys.executable, str(REPO / "scripts" / "local_worker.py"), action, "--pool", pool], check=True)


def test_check_mode_on_a_fresh_account_predicts_and_mutates_nothing(aws_proxy, unique):
    fresh = f"it-fresh-{unique}"
    mark = aws_proxy.mark()
    check = run_playbook(SITE, check=True, extra_vars={"prefect_ecs_name": fresh, "ecs_verify_worker_timeout": 0})
    assert check.rc == 0, check.stdout[-3000:]
    assert aws_proxy.mutating(mark) == []
    predicted = facts(check)["ecs_cluster_arn"]
    report = {c["check"]: c["status"] for c in facts(check, "Build the report")["ecs_verify_report"]}
    assert report[f"worker online in pool {fresh}"] == "not checked"
    real = run_playbook(SITE, extra_vars={"prefect_ecs_name": fresh, "ecs_verify_worker_timeout": 0})
    assert real.rc == 0, real.stdout[-3000:]
    assert facts(real)["ecs_cluster_arn"] == predicted
    pipeline = "Publish the pipeline for later roles"
    assert facts(real, pipeline) == facts(check, pipeline)


@pytest.fixture(scope="module")
def converged(site_name):
    """The site converged once, with a real ECS worker started as soon as site.yml has made the pool."""
    local_worker("start", site_name)
    try:
        return run_playbook(SITE, extra_vars={"prefect_ecs_name": site_name})
    finally:
        local_worker("stop", site_name)


def test_site_converges_then_second_run_and_check_change_nothing(aws_proxy, aws, site_name, converged):
    first = converged
    assert first.rc == 0, first.stdout[-3000:]
    assert first.changed() > 0
    report = {c["check"]: c["status"] for c in facts(first, "Build the report")["ecs_verify_report"]}
    # on the emulator the running count is no evidence (moto reports RUNNING without running anything)
    assert report.pop("worker service running = desired") == "not checked"
    assert set(report.values()) == {"pass"}, report
    assert report[f"worker online in pool {site_name}"] == "pass"

    mark = aws_proxy.mark()
    second = run_playbook(SITE, extra_vars={"prefect_ecs_name": site_name, "ecs_verify_worker_timeout": 0})
    assert second.rc == 0, second.stdout[-3000:]
    assert second.changed() == 0
    assert aws_proxy.mutating(mark) == []

    mark = aws_proxy.mark()
    check = run_playbook(SITE, check=True, diff=True, extra_vars={"prefect_ecs_name": site_name, "ecs_verify_worker_timeout": 0})
    assert check.rc == 0 and check.changed() == 0
    assert aws_proxy.mutating(mark) == []

    groups = aws("logs", direct=True).describe_log_groups(logGroupNamePrefix=f"/prefect/{site_name}/")["logGroups"]
    assert {(g["logGroupName"], g.get("retentionInDays")) for g in groups} == {
        (f"/prefect/{site_name}/worker", 30), (f"/prefect/{site_name}/flow-runs", 30)}


def test_verify_fails_and_says_why_when_no_worker_is_online(site_name, converged):
    play = [{"name": "verify only", "hosts": "prefect_ecs", "gather_facts": False, "roles": [
        {"role": "prefect_ops.ecs.ecs_verify", "ecs_verify_pool": f"{site_name}-development",
         "ecs_verify_worker_timeout": 5}]}]
    result = run_playbook(play, extra_vars={"prefect_ecs_name": site_name})
    assert result.rc != 0
    report = {c["check"]: c for c in facts(result, "Build the report")["ecs_verify_report"]}
    worker = report[f"worker online in pool {site_name}-development"]
    assert worker["status"] == "fail" and "no worker online" in worker["detail"]
    assert report["event pipeline present and wired (queue, DLQ redrive, queue policy for the rule, rule pattern, target)"]["status"] == "pass"


def test_teardown_removes_only_what_the_collection_created(aws, site_name, unique, converged):
    logs = aws("logs", direct=True)
    adopted = f"/prefect/{site_name}-{unique}-adopted/worker"
    logs.create_log_group(logGroupName=adopted)  # exists, but not ours: no ownership tag
    down = run_playbook(TEARDOWN, extra_vars={"prefect_ecs_name": site_name,
                                              "ecs_log_groups_worker_name": adopted})
    assert down.rc == 0, down.stdout[-3000:]
    names = {g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/prefect/")["logGroups"]}
    assert adopted in names
    assert f"/prefect/{site_name}/flow-runs" not in names
    assert aws("sqs", direct=True).list_queues(QueueNamePrefix=f"{site_name}-events").get("QueueUrls", []) == []
    assert aws("events", direct=True).list_rules(NamePrefix=f"{site_name}-task-state")["Rules"] == []
    ecs = aws("ecs", direct=True)
    clusters = ecs.describe_clusters(clusters=[site_name])["clusters"]
    assert [c["status"] for c in clusters] in ([], ["INACTIVE"])
    assert ecs.list_task_definitions(familyPrefix=f"{site_name}-worker", status="ACTIVE")["taskDefinitionArns"] == []
    roles = [r["RoleName"] for r in aws("iam", direct=True).list_roles()["Roles"]]
    assert [r for r in roles if r.startswith(f"{site_name}-")] == []
