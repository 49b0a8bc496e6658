"""prefect_ops.ecs.ecs_cluster and the ecs_cluster role against the local stack (moto behind the
recording proxy).

check -> apply -> check -> apply per option (changed true, true, false, false; check mode and re-runs
make no mutating AWS call), the read-only lookup (create=false), adoption, bad input, throttling, and
state=absent removing only an empty cluster the collection created. Only calls naming the test's
unique cluster are counted (the stack is shared with background workers).
"""
from __future__ import annotations

import os

from stacktools.ansible_run import run_playbook
from test_ecs_support import actions, assert_ok, changed, run_steps, step

MODULE = "prefect_ops.ecs.ecs_cluster"
OWNER = {"key": "prefect-ops:managed-by", "value": "prefect_ops.ecs"}
ACCOUNT_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/{}"


def cycle(args):
    return [step(MODULE, args, check=True), step(MODULE, args), step(MODULE, args, check=True), step(MODULE, args)]


def describe(aws, name):
    clusters = aws("ecs", direct=True).describe_clusters(clusters=[name], include=["TAGS", "SETTINGS"])["clusters"]
    return clusters[0] if clusters else None


def tags_of(cluster):
    return {t["key"]: t["value"] for t in cluster.get("tags") or []}


def test_create_then_each_option_converges_and_reruns_change_nothing(aws, unique):
    base = {"name": unique, "capacity_providers": ["FARGATE"],
            "default_capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1}],
            "tags": {"team": "data", "old": "x"}}
    providers = dict(base, capacity_providers=["FARGATE_SPOT", "FARGATE"])
    strategy = dict(providers, default_capacity_provider_strategy=[
        {"capacity_provider": "FARGATE", "weight": 1, "base": 1}, {"capacity_provider": "FARGATE_SPOT", "weight": 3}])
    settings = dict(strategy, settings={"container_insights": "enhanced"})
    tags = dict(settings, tags={"team": "platform", "cost": "42"})
    # unset options are never compared: a task with the name only finds nothing to do
    bare = {"name": unique}
    reordered = dict(tags, capacity_providers=["FARGATE", "FARGATE_SPOT"], default_capacity_provider_strategy=list(
        reversed(tags["default_capacity_provider_strategy"])))
    steps = cycle(base) + cycle(providers) + cycle(strategy) + cycle(settings) + cycle(tags)
    steps += [step(MODULE, bare), step(MODULE, reordered)]
    results = run_steps(steps, unique)
    assert_ok(results)
    expected = {0: ["CreateCluster"], 1: ["PutClusterCapacityProviders"], 2: ["PutClusterCapacityProviders"],
                3: ["UpdateCluster"], 4: ["TagResource", "UntagResource"]}
    for n, mutating in expected.items():
        run = results[4 * n:4 * n + 4]
        assert changed(run) == [True, True, False, False], (n, [r.get("actions") for r in run])
        assert [sorted(actions(r)) for r in run] == [[], sorted(mutating), [], []], n
        assert {r["cluster_arn"] for r in run} == {ACCOUNT_ARN.format(unique)}
        assert run[0]["diff"] == {k: run[1]["diff"][k] for k in ("before", "after")}, n
    bare_run, reordered_run = results[-2:]
    assert not bare_run["changed"] and actions(bare_run) == []
    assert not reordered_run["changed"] and actions(reordered_run) == []

    # check mode predicted what the real run made, ARN included
    predicted, real = results[0]["cluster"], results[1]["cluster"]
    for key in ("clusterArn", "clusterName", "status", "capacityProviders", "defaultCapacityProviderStrategy"):
        assert predicted[key] == real[key], key
    assert sorted(predicted["tags"], key=str) == sorted(real["tags"], key=str)
    created = results[1]["mutating"][0]["params"]
    assert OWNER in created["tags"] and {"key": "team", "value": "data"} in created["tags"]
    assert "settings" not in created  # not set, not sent
    # the strategy update sends the providers as the cluster has them (PutClusterCapacityProviders needs both)
    sent = results[9]["mutating"][0]["params"]
    assert sorted(sent["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    assert results[8]["diff"]["after"] == {"cluster": {"defaultCapacityProviderStrategy": [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0}]}}
    assert results[12]["diff"] == {"before": {"cluster": {"settings": {"containerInsights": "disabled"}}},
                                   "after": {"cluster": {"settings": {"containerInsights": "enhanced"}}}}
    assert results[16]["diff"] == {"before": {"cluster": {"tags": {"team": "data", "old": "x"}}},
                                   "after": {"cluster": {"tags": {"team": "platform", "cost": "42"}}}}

    final = describe(aws, unique)
    assert sorted(final["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    assert {s["name"]: s["value"] for s in final["settings"]} == {"containerInsights": "enhanced"}
    assert tags_of(final) == {"prefect-ops:managed-by": "prefect_ops.ecs", "team": "platform", "cost": "42"}


def test_lookup_is_read_only_and_adoption_is_explicit(aws, unique):
    by_hand = f"{unique}-byhand"
    aws("ecs", direct=True).create_cluster(clusterName=by_hand, tags=[{"key": "owner", "value": "platform"}])
    missing = f"{unique}-missing"
    adopt = {"name": by_hand, "adopt": True, "capacity_providers": ["FARGATE"], "tags": {"team": "data"},
             "purge_tags": False}
    results = run_steps([
        step(MODULE, {"name": by_hand, "create": False}, check=True),
        step(MODULE, {"name": by_hand, "create": False}),
        step(MODULE, {"name": missing, "create": False}),
        step(MODULE, {"name": missing, "create": False}, check=True),
        step(MODULE, {"name": by_hand, "create": False, "tags": {"a": "b"}}),
        step(MODULE, {"name": by_hand, "tags": {"team": "data"}}),  # exists, not ours, no adopt
        step(MODULE, adopt, check=True),
        step(MODULE, adopt),
        step(MODULE, adopt),
    ], unique)
    lookup_check, lookup, gone, gone_check, with_tags, refused, adopt_check, adopted, again = results
    for result in (lookup_check, lookup):
        assert not result.get("failed") and not result["changed"] and not result["owned"]
        assert result["cluster_arn"] == ACCOUNT_ARN.format(by_hand) and result["cluster"]["status"] == "ACTIVE"
    for result in (gone, gone_check):
        assert result.get("failed") and result["msg"].startswith(f"name: there is no ACTIVE ECS cluster {missing}")
        assert "create it first" in result["msg"]
    assert with_tags.get("failed") and "tags: create=false only looks the cluster up" in with_tags["msg"]
    assert refused.get("failed") and "exists but was not created by this collection" in refused["msg"]
    assert "adopt: true" in refused["msg"]
    assert all(actions(r) == [] for r in results[:7])
    assert adopt_check["changed"] and adopted["changed"] and not again["changed"] and actions(again) == []
    assert sorted(actions(adopted)) == ["PutClusterCapacityProviders", "TagResource"]
    # adopted: managed, but never claimed (no ownership tag), so state=absent cannot delete it
    assert tags_of(describe(aws, by_hand)) == {"owner": "platform", "team": "data"}
    assert not adopted["owned"]


def test_bad_input_fails_before_any_change(aws, unique):
    results = run_steps([
        step(MODULE, {"name": f"{unique}.bad"}),
        step(MODULE, {"name": unique, "capacity_providers": ["fargate"]}),
        step(MODULE, {"name": unique, "capacity_providers": ["FARGATE"],
                      "default_capacity_provider_strategy": [{"capacity_provider": "FARGATE_SPOT", "weight": 1}]}),
        step(MODULE, {"name": unique, "default_capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1}]}),
        step(MODULE, {"name": unique, "tags": {"prefect-ops:managed-by": "me"}}),
    ], unique)
    expected = ["name: the ECS cluster name", "capacity_providers[0]: 'fargate'", "FARGATE_SPOT is not among",
                "(a new cluster has none, and capacity_providers is not set)", "tags: the key 'prefect-ops:managed-by'"]
    for words, result in zip(expected, results):
        assert result.get("failed") and words in result["msg"], (words, result.get("msg"))
        assert actions(result) == [], words
    assert describe(aws, unique) is None


def test_throttled_calls_converge_without_a_duplicate(aws, aws_proxy, unique):
    args = {"name": unique, "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
            "default_capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1}], "tags": {"team": "data"}}
    aws_proxy.faults({"mode": "first_attempt"})
    results = run_steps([step(MODULE, args), step(MODULE, dict(args, settings={"container_insights": "enabled"})),
                         step(MODULE, dict(args, settings={"container_insights": "enabled"}))], unique)
    assert_ok(results)
    assert changed(results) == [True, True, False]
    assert any(c["fault"] and c["action"] == "CreateCluster" for c in results[0]["calls"])
    assert any(c["fault"] and c["action"] == "UpdateCluster" for c in results[1]["calls"])
    assert actions(results[0]) == ["CreateCluster"] and actions(results[1]) == ["UpdateCluster"] and actions(results[2]) == []
    clusters = aws("ecs", direct=True).list_clusters()["clusterArns"]
    assert clusters.count(ACCOUNT_ARN.format(unique)) == 1


def _service(aws, cluster, name):
    ecs = aws("ecs", direct=True)
    td = ecs.register_task_definition(
        family=f"{cluster}-td", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "w", "image": "img", "memory": 512}])["taskDefinition"]
    network = {"awsvpcConfiguration": {"subnets": os.environ["PREFECT_OPS_FIXTURE_SUBNET_IDS"].split(",")[:1],
                                       "securityGroups": [os.environ["PREFECT_OPS_FIXTURE_SECURITY_GROUP_ID"]]}}
    ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=td["taskDefinitionArn"], desiredCount=0,
                       launchType="FARGATE", networkConfiguration=network)
    task = ecs.run_task(cluster=cluster, taskDefinition=td["taskDefinitionArn"], launchType="FARGATE",
                        networkConfiguration=network, startedBy="flow-run")["tasks"][0]
    return task["taskArn"]


def test_absent_removes_only_an_empty_cluster_the_collection_created(aws, unique):
    adopted = f"{unique}-adopted"
    aws("ecs", direct=True).create_cluster(clusterName=adopted)
    created = run_steps([step(MODULE, {"name": unique, "capacity_providers": ["FARGATE"]})], unique)[0]
    assert created["changed"] and actions(created) == ["CreateCluster"]
    task = _service(aws, unique, "workers")
    absent = {"name": unique, "state": "absent"}
    results = run_steps([step(MODULE, absent, check=True), step(MODULE, absent),
                         step(MODULE, {"name": adopted, "state": "absent"})], unique)
    refused_check, refused, left = results
    for result in (refused_check, refused):
        assert result.get("failed") and actions(result) == []
        assert f"cluster {unique} still holds service workers (ACTIVE)" in result["msg"]
        assert "(RUNNING, started by flow-run)" in result["msg"] or "started by flow-run" in result["msg"]
        assert "Remove them first" in result["msg"]
    assert not left.get("failed") and not left["changed"] and left["left_alone"] == [ACCOUNT_ARN.format(adopted)]
    assert actions(left) == [] and any("left alone" in w for w in left["warnings"])

    ecs = aws("ecs", direct=True)
    ecs.delete_service(cluster=unique, service="workers")
    ecs.stop_task(cluster=unique, task=task)
    results = run_steps([step(MODULE, absent, check=True), step(MODULE, absent), step(MODULE, absent)], unique)
    assert_ok(results)
    assert changed(results) == [True, True, False]
    assert [actions(r) for r in results] == [[], ["DeleteCluster"], []]
    assert results[0]["actions"] == [f"delete cluster {unique}"]
    assert results[0]["diff"]["before"]["cluster"]["clusterArn"] == ACCOUNT_ARN.format(unique)
    assert describe(aws, unique)["status"] == "INACTIVE"
    assert describe(aws, adopted)["status"] == "ACTIVE"


def role_play(name, label="facts", check=False, **role_vars):
    """One play running the role, then showing the facts it published (task "Show <label>")."""
    play = {"name": f"cluster role ({label})", "hosts": "localhost", "gather_facts": False,
            # role params (not vars): they outrank the facts an earlier play of the same run published
            "roles": [dict(role="prefect_ops.ecs.ecs_cluster", prefect_ecs_name=name, **role_vars)],
            "tasks": [{"name": f"Show {label}", "ansible.builtin.debug": {
                "msg": "{{ ecs_cluster | default({'arn': '', 'name': ''}) }}"}}]}
    if check:  # check_mode: false on a play would override --check
        play["check_mode"] = True
    return play


def role_run(*plays, check=False, diff=False):
    return run_playbook(list(plays), inventory="localhost,", check=check, diff=diff, args=["-c", "local"])


def test_role_creates_adopts_read_only_and_tears_down_only_its_own(aws, aws_proxy, unique):
    by_hand = f"{unique}-byhand"
    aws("ecs", direct=True).create_cluster(clusterName=by_hand)
    arn = ACCOUNT_ARN.format(unique)
    tags = {"prefect_ecs_tags": {"env": "test"}}

    def mutating(mark):
        return [c for c in aws_proxy.mutating(mark) if unique in str(c["params"])]  # by_hand contains unique

    mark = aws_proxy.mark()
    check = role_run(role_play(unique, **tags), check=True, diff=True)
    assert check.rc == 0, check.stdout[-3000:]
    assert check.task("Show facts")["msg"] == {"arn": arn, "name": unique}
    assert mutating(mark) == []
    first = role_run(role_play(unique, **tags))
    assert first.rc == 0 and first.task("Show facts")["msg"]["arn"] == arn
    assert tags_of(describe(aws, unique)) == {"prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": unique,
                                              "env": "test"}
    assert sorted(describe(aws, unique)["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]

    # a second run changes nothing; ecs_cluster_create=false is read only (in check mode and not)
    mark = aws_proxy.mark()
    again = role_run(role_play(unique, "second", **tags),
                     role_play(unique, "adopted", ecs_cluster_name=by_hand, ecs_cluster_create=False),
                     role_play(unique, "adopted-check", check=True, ecs_cluster_name=by_hand, ecs_cluster_create=False))
    assert again.rc == 0 and again.changed() == 0, again.stdout[-3000:]
    assert again.task("Show second")["msg"] == {"arn": arn, "name": unique}
    for label in ("adopted", "adopted-check"):
        assert again.task(f"Show {label}")["msg"] == {"arn": ACCOUNT_ARN.format(by_hand), "name": by_hand}
    # ... and fails clearly when the cluster is missing
    missing = role_run(role_play(unique, ecs_cluster_name=f"{unique}-missing", ecs_cluster_create=False))
    assert missing.rc != 0
    msg = missing.task("Fail when the adopted cluster cannot be used")["msg"]
    assert f"no ACTIVE ECS cluster {unique}-missing" in msg and "ecs_cluster_create=true" in msg
    assert mutating(mark) == []
    assert tags_of(describe(aws, by_hand)) == {}

    # teardown: the adopted one stays (also when named on the create path: no ownership tag), ours goes
    down = role_run(role_play(unique, "kept", ecs_cluster_name=by_hand, ecs_cluster_create=False, ecs_cluster_state="absent"),
                    role_play(unique, "foreign", ecs_cluster_name=by_hand, ecs_cluster_state="absent"),
                    role_play(unique, "down", ecs_cluster_state="absent"))
    assert down.rc == 0 and down.changed() == 1, down.stdout[-3000:]
    assert down.task("Show down")["msg"]["arn"] == ""  # absent publishes nothing
    assert describe(aws, by_hand)["status"] == "ACTIVE"
    assert describe(aws, unique)["status"] == "INACTIVE"
