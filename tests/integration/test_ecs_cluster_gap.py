"""Why the collection has its own ecs_cluster: community.aws.ecs_cluster (10.0.0) cannot do the job.

- Its argument spec has no `tags` (plugins/modules/ecs_cluster.py, main(): state, name, delay, repeat,
  purge_capacity_providers, capacity_providers, capacity_provider_strategy), so a task with tags is
  rejected and a cluster it creates carries no tags - not the ownership tag either, so a teardown could
  never tell the cluster the collection created from one it adopted.
- In check mode it returns no cluster for a cluster that does not exist yet, so the ARN later roles need
  cannot be predicted.
- On a re-run against a cluster without capacity providers it reads existing["capacityProviders"], which
  the moto emulator does not report for such a cluster: the task fails with KeyError 'capacityProviders'.

Each test first asserts the community module's actual behaviour - so it fails, and tells us to drop our
module, the day upstream fixes it - then shows that ours does the job.
"""
from __future__ import annotations

from test_ecs_support import actions, run_steps, step

OURS = "prefect_ops.ecs.ecs_cluster"
THEIRS = "community.aws.ecs_cluster"
OWNER = {"key": "prefect-ops:managed-by", "value": "prefect_ops.ecs"}


def describe(aws, name):
    return aws("ecs", direct=True).describe_clusters(clusters=[name], include=["TAGS"])["clusters"][0]


def test_community_cluster_cannot_carry_tags_ours_tags_it(aws, unique):
    theirs_name, ours_name = f"{unique}-theirs", f"{unique}-ours"
    tags = {"prefect-ops:site": "demo"}
    results = run_steps([
        step(THEIRS, {"name": theirs_name, "state": "present", "tags": tags}),
        step(THEIRS, {"name": theirs_name, "state": "present", "capacity_providers": ["FARGATE"]}),
        step(OURS, {"name": ours_name, "capacity_providers": ["FARGATE"], "tags": tags}),
    ], unique)
    rejected, created, ours = results
    # community.aws: the argument spec rejects tags before any call ...
    assert rejected.get("failed") and "Unsupported parameters" in rejected["msg"] and "tags" in rejected["msg"]
    assert rejected["calls"] == []
    # ... and the cluster it creates has none, so it cannot carry the ownership tag
    assert created["changed"] and actions(created) == ["CreateCluster"]
    assert "tags" not in created["mutating"][0]["params"]
    assert describe(aws, theirs_name).get("tags", []) == []
    # ours: the cluster carries the ownership tag and the task's tags from its creation on
    assert ours["changed"] and actions(ours) == ["CreateCluster"]
    assert {(t["key"], t["value"]) for t in describe(aws, ours_name)["tags"]} == {
        (OWNER["key"], OWNER["value"]), ("prefect-ops:site", "demo")}


def test_community_cluster_predicts_no_arn_and_fails_on_a_rerun(aws, unique):
    theirs_name, ours_name = f"{unique}-theirs", f"{unique}-ours"
    results = run_steps([
        step(THEIRS, {"name": theirs_name, "state": "present"}, check=True),
        step(THEIRS, {"name": theirs_name, "state": "present"}),
        step(THEIRS, {"name": theirs_name, "state": "present"}),
        step(OURS, {"name": ours_name}, check=True),
        step(OURS, {"name": ours_name}),
        step(OURS, {"name": ours_name}),
    ], unique)
    theirs_check, theirs_create, theirs_again, ours_check, ours_create, ours_again = results
    # community.aws: check mode says "changed" but returns no cluster (no ARN to hand to later roles)
    assert theirs_check["changed"] and "cluster" not in theirs_check
    assert theirs_create["changed"] and not theirs_create.get("failed")
    # the re-run on a cluster without capacity providers fails (moto does not report the empty list)
    assert theirs_again.get("failed") and "capacityProviders" in theirs_again["msg"]
    # ours: the ARN is predicted, the re-run is a no-op
    assert ours_check["cluster_arn"] == ours_create["cluster_arn"] == ours_create["cluster"]["clusterArn"]
    assert ours_check["cluster_arn"].endswith(f":cluster/{ours_name}")
    assert not ours_again.get("failed") and not ours_again["changed"] and actions(ours_again) == []
