"""Role ecs_warm_lane after site.yml on the local stack: a process pool whose limit is the warm slots,
served by an ECS service of process workers (desired count = slots, one run per container, the
credential only as a secret); a re-run changes nothing; the site worker's facts stay its own; state
absent removes the service, its task definitions and the pool."""
from __future__ import annotations

import pytest

from stacktools.ansible_run import REPO, run_playbook

SITE = str(REPO / "playbooks" / "site.yml")
TEARDOWN = str(REPO / "playbooks" / "teardown.yml")


def play(state: str = "present", slots: int = 3) -> list:
    return [
        {"name": "site", "ansible.builtin.import_playbook": SITE},
        {"name": "warm lane", "hosts": "prefect_ecs", "gather_facts": False,
         "roles": [{"role": "prefect_ops.ecs.ecs_warm_lane", "vars": {
             "ecs_warm_lane_enabled": True, "ecs_warm_lane_slots": slots, "ecs_warm_lane_state": state}}],
         "post_tasks": [{"name": "Facts after the warm lane", "ansible.builtin.set_fact": {
             "after": {"warm": "{{ ecs_warm_lane_service_arn }}", "worker": "{{ ecs_worker_service_arn | default('') }}",
                       "changes": "{{ ecs_warm_lane_changes }}"}}}]},
    ]


@pytest.mark.slow(4)
def test_warm_lane_converges_idempotently_and_is_removed(aws, aws_proxy, prefect, unique):
    warm_site = f"it-warm-{unique}"
    extra = {"prefect_ecs_name": warm_site, "ecs_verify_worker_timeout": 0}
    try:
        first = run_playbook(play(), extra_vars=extra)
        assert first.rc == 0, first.stdout[-3000:]
        after = first.task("Facts after the warm lane")["ansible_facts"]["after"]
        assert after["warm"].endswith(f":service/{warm_site}/{warm_site}-warm")
        assert after["worker"].endswith(f":service/{warm_site}/{warm_site}-workers")  # the site worker's, kept
        # ... never overwritten: the worker-service role ran twice and published the warm service under the warm
        # lane's prefix, the site worker's under its own
        published = [sorted(t["ansible_facts"]) for t in first.tasks()
                     if t["task"].endswith("Publish the worker service and what this role changed")]
        assert published == [sorted(f"{prefix}_{k}" for k in ("arn", "task_definition_arn", "service", "task_definition",
                                                              "changes"))
                             for prefix in ("ecs_worker_service", "__ecs_warm_lane_worker")], published
        assert "pool" in after["changes"]

        pool = prefect.ok("GET", f"/work_pools/{warm_site}-warm")
        assert pool["type"] == "process" and pool["concurrency_limit"] == 3
        ecs = aws("ecs", direct=True)
        (service,) = ecs.describe_services(cluster=warm_site, services=[f"{warm_site}-warm"])["services"]
        assert service["desiredCount"] == 3
        td = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        (container,) = td["containerDefinitions"]
        assert container["command"] == ["prefect", "worker", "start", "--pool", f"{warm_site}-warm", "--type", "process",
                                        "--with-healthcheck", "--limit", "1"]
        assert [s["name"] for s in container["secrets"]] == ["PREFECT_API_AUTH_STRING"]
        assert not {e["name"] for e in container["environment"]} & {"PREFECT_API_AUTH_STRING", "PREFECT_API_KEY"}

        mark = aws_proxy.mark()
        second = run_playbook(play(), extra_vars=extra)
        assert second.rc == 0 and second.changed() == 0, second.stdout[-3000:]
        assert aws_proxy.mutating(mark) == []

        gone = run_playbook(play(state="absent"), extra_vars=extra)
        assert gone.rc == 0, gone.stdout[-3000:]
        assert prefect.read_pool(f"{warm_site}-warm") is None
        (service,) = ecs.describe_services(cluster=warm_site, services=[f"{warm_site}-warm"])["services"]
        assert service["status"] == "INACTIVE"
        assert ecs.list_task_definitions(familyPrefix=f"{warm_site}-warm-worker", status="ACTIVE")["taskDefinitionArns"] == []
        # the site's own worker service is untouched
        (worker,) = ecs.describe_services(cluster=warm_site, services=[f"{warm_site}-workers"])["services"]
        assert worker["status"] == "ACTIVE"
    finally:
        run_playbook(TEARDOWN, extra_vars={**extra, "ecs_warm_lane_enabled": True})
