"""playbooks/site.yml against the local stack: converges with every verify check passing (a real worker online),
verify fails naming why when no worker is online, teardown removes only what the collection created: AWS objects
without the ownership tags, and a work pool and a deployment made by hand in Prefect, survive it; the hand-made pool
that has the name of one of the site's pools is adopted (configured, never marked), not deleted.

Check mode on a fresh and on a converged account (zero mutating calls, predicted facts == real ones) and the no-op
re-run are proved by molecule's default scenario (tests/molecule) and, under throttling, by
tests/integration/test_resilience.py: not repeated here (the make test time budget)."""
from __future__ import annotations

import pytest

import subprocess
import sys

from stacktools.ansible_run import REPO, run_playbook
from stacktools.stack import PatientPrefectAPI

SITE = REPO / "playbooks" / "site.yml"
TEARDOWN = REPO / "playbooks" / "teardown.yml"


def facts(result, task="Publish the cluster and what this role changed"):
    return result.task(task)["ansible_facts"]


@pytest.fixture(scope="module")
def site_name():
    return "it-site"


def local_worker(action: str, pool: str) -> None:
    subprocess.run([sys.executable, str(REPO / "scripts" / "local_worker.py"), action, "--pool", pool], check=True)


@pytest.fixture(scope="module")
def prefect(stack):
    return PatientPrefectAPI()


@pytest.fixture(scope="module")
def hand_made_pool(prefect, site_name):
    """The development pool the inventory names, made by hand before the site first runs (seed 000's way)."""
    name = f"{site_name}-development"
    prefect.delete_pool(name)
    prefect.ok("POST", "/work_pools/", {"name": name, "type": "process", "description": "made by hand",
                                        "concurrency_limit": 7})
    yield name
    prefect.delete_pool(name)


@pytest.fixture(scope="module")
def converged(site_name, hand_made_pool):
    """The site converged once, with a real ECS worker started as soon as site.yml has made the pool."""
    local_worker("start", site_name)
    try:
        return run_playbook(SITE, extra_vars={"prefect_ecs_name": site_name})
    finally:
        local_worker("stop", site_name)


def test_site_converges_and_every_check_passes(aws, prefect, site_name, hand_made_pool, converged):
    first = converged
    assert first.rc == 0, first.stdout[-3000:]
    assert first.changed() > 0
    report = {c["check"]: c["status"] for c in facts(first, "Build the report")["ecs_verify_report"]}
    # on the emulator the running count is no evidence (moto reports RUNNING without running anything)
    assert report.pop("worker service running = desired") == "not checked"
    assert set(report.values()) == {"pass"}, report
    assert report[f"worker online in pool {site_name}"] == "pass"

    # the production pool is the site's; the development pool made by hand is adopted: configured, not marked
    assert "managed by prefect_ops.ecs" in prefect.read_pool(site_name)["description"]
    adopted = prefect.read_pool(hand_made_pool)
    assert (adopted["description"], adopted["concurrency_limit"]) == ("Development pool (process worker)", 7)

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


def test_roles_of_a_later_play_check_their_own_inputs(aws_proxy, site_name, converged):
    """site.yml's roles skip their own preflight (its first task checked every input): a play variable, so a role in a
    play after an imported site.yml checks its inputs again and fails on a misspelt variable before any change."""
    plays = [{"name": "site", "ansible.builtin.import_playbook": str(SITE)},
             {"name": "a later play", "hosts": "prefect_ecs", "gather_facts": False, "vars": {"ecs_cluster_nmae": "x"},
              "roles": [{"role": "prefect_ops.ecs.ecs_cluster"}]}]
    mark = aws_proxy.mark()
    result = run_playbook(plays, extra_vars={"prefect_ecs_name": site_name, "ecs_verify_worker_timeout": 0})
    assert result.rc != 0
    failed = [t for t in result.tasks() if t.get("failed")]
    assert [t["task"] for t in failed] == ["prefect_ops.ecs.ecs_cluster : Check inputs"]
    assert "ecs_cluster_nmae" in failed[0]["msg"] and result.changed() == 0 and aws_proxy.mutating(mark) == []


def test_teardown_removes_only_what_the_collection_created(request, aws, prefect, site_name, hand_made_pool, unique,
                                                           converged):
    logs = aws("logs", direct=True)
    adopted = f"/prefect/{site_name}-{unique}-adopted/worker"
    logs.create_log_group(logGroupName=adopted)  # exists, but not ours: no ownership tag
    # a deployment made by hand (prefect deploy, the UI) on the site's pool: not the site's to delete
    hello = prefect.ok("GET", "/flows/name/hello")
    by_hand = prefect.ok("POST", "/deployments/", {"name": f"{site_name}-by-hand", "flow_id": hello["id"],
                                                   "work_pool_name": site_name, "entrypoint": "flows/hello.py:hello"})
    request.addfinalizer(lambda: prefect.request("DELETE", f"/deployments/{by_hand['id']}"))
    down = run_playbook(TEARDOWN, extra_vars={"prefect_ecs_name": site_name,
                                              "ecs_log_groups_worker_name": adopted})
    assert down.rc == 0, down.stdout[-3000:]
    assert prefect.read_pool(site_name) is None
    assert prefect.read_pool(hand_made_pool)["description"] == "Development pool (process worker)"
    assert prefect.request("GET", f"/deployments/name/hello/{site_name}-hello")[0] == 404
    assert prefect.ok("GET", f"/deployments/name/hello/{site_name}-by-hand")["entrypoint"] == "flows/hello.py:hello"
    assert f"other pools (left in place): {hand_made_pool}" in down.stdout
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
