"""Unit tests of ecs_cluster's logic (plugins/module_utils/ecs_cluster.py).

No AWS here: validation (every problem names the option and the fix, and is found before any call),
the comparison by meaning, what an update sends (and that unset options are never sent), ownership
(an adopted cluster never gets the ownership tag), what keeps a cluster from being deleted, and waiting
for draining services (fake client and clock).
"""
from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs_cluster as cl
from stacktools.fake_module import FakeModule

ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/prefect"
OWNED = [{"key": ecs.OWNER_KEY, "value": ecs.OWNER_VALUE}]
STRATEGY = [{"capacity_provider": "FARGATE", "weight": 1, "base": 0}]


def params(**over):
    base = {key: spec.get("default") for key, spec in cl.argument_spec().items()}
    base.update(name="prefect")
    base.update(over)
    return base


def described(**over):
    """A cluster as DescribeClusters (include TAGS, SETTINGS) reports one."""
    cluster = {"clusterArn": ARN, "clusterName": "prefect", "status": "ACTIVE", "registeredContainerInstancesCount": 0,
               "runningTasksCount": 0, "pendingTasksCount": 0, "activeServicesCount": 0,
               "capacityProviders": ["FARGATE_SPOT", "FARGATE"],
               "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
               "settings": [{"name": "containerInsights", "value": "disabled"}], "tags": list(OWNED)}
    cluster.update(over)
    return cluster


# --- validation ---------------------------------------------------------------------------------------


def test_valid_input_has_no_problems():
    assert cl.static_problems(params(capacity_providers=["FARGATE", "FARGATE_SPOT"],
                                     default_capacity_provider_strategy=STRATEGY,
                                     settings={"container_insights": "enhanced"}, tags={"team": "data"})) == []
    assert cl.static_problems(params(capacity_providers=["my-asg-provider"],
                                     default_capacity_provider_strategy=[{"capacity_provider": "my-asg-provider"}])) == []


@pytest.mark.parametrize("name, words", [
    ("", "must not be empty"),
    ("a" * 256, "256 characters, over the limit of 255"),
    ("prefect.prod", "may only contain letters, digits, '-' and '_'"),
    ("prefect prod", "may only contain"),
])
def test_cluster_name_pattern(name, words):
    problems = cl.static_problems(params(name=name))
    assert len(problems) == 1 and problems[0].startswith("name:") and words in problems[0]
    assert cl.static_problems(params(name="a" * 255)) == []


@pytest.mark.parametrize("provider, words", [
    ("fargate_spot", "did you mean FARGATE_SPOT?"),
    ("ecs-provider", "reserved by AWS"),
    ("FargateCustom", "reserved by AWS"),
    ("my provider", "1-255 letters, digits"),
    ("", "is not a capacity provider name"),
])
def test_capacity_provider_names(provider, words):
    problems = cl.static_problems(params(capacity_providers=["FARGATE", provider]))
    assert len(problems) == 1 and problems[0].startswith("capacity_providers[1]:") and words in problems[0], problems


def test_duplicate_providers():
    problems = cl.static_problems(params(capacity_providers=["FARGATE", "FARGATE"]))
    assert problems == ["capacity_providers: each capacity provider may appear once"]


def test_strategy_naming_a_provider_not_in_the_list_names_the_fix():
    problems = cl.static_problems(params(capacity_providers=["FARGATE"], default_capacity_provider_strategy=[
        {"capacity_provider": "FARGATE", "weight": 1}, {"capacity_provider": "FARGATE_SPOT", "weight": 3}]))
    assert len(problems) == 1
    assert problems[0].startswith("default_capacity_provider_strategy: FARGATE_SPOT is not among the cluster's capacity "
                                  "providers (capacity_providers: FARGATE)")
    assert "add it to capacity_providers or remove it from the strategy" in problems[0]


@pytest.mark.parametrize("strategy, words", [
    ([{"capacity_provider": "FARGATE", "weight": 1001}], "[0].weight: 1001 is out of range; use 0 to 1000"),
    ([{"capacity_provider": "FARGATE", "weight": 1, "base": -1}], "[0].base: -1 is out of range"),
    ([{"capacity_provider": "FARGATE", "weight": 1, "base": 1}, {"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 2}],
     "only one capacity provider may have a base"),
    ([{"capacity_provider": "FARGATE"}, {"capacity_provider": "FARGATE_SPOT", "weight": 0}],
     "at least one capacity provider a weight greater than 0"),
    ([{"capacity_provider": "FARGATE", "weight": 1}, {"capacity_provider": "FARGATE", "weight": 2}], "may appear once"),
    ([{"capacity_provider": "FARGATE", "weight": 1}, {"capacity_provider": "my-asg", "weight": 1}],
     "either Fargate providers (FARGATE, FARGATE_SPOT) or providers of your own"),
])
def test_strategy_problems(strategy, words):
    providers = ["FARGATE", "FARGATE_SPOT", "my-asg"]
    problems = cl.static_problems(params(capacity_providers=providers, default_capacity_provider_strategy=strategy))
    assert len(problems) == 1 and problems[0].startswith("default_capacity_provider_strategy") and words in problems[0], problems


def test_one_provider_with_weight_zero_is_fine():
    assert cl.static_problems(params(capacity_providers=["FARGATE"],
                                     default_capacity_provider_strategy=[{"capacity_provider": "FARGATE"}])) == []


def test_tags_may_not_take_over_the_ownership_key_or_aws_keys():
    problems = cl.static_problems(params(tags={ecs.OWNER_KEY: "someone-else", "aws:cloudformation:x": "1"}))
    assert len(problems) == 2
    assert problems[0].startswith("tags: the key 'prefect-ops:managed-by' is reserved")
    assert "starts with aws:" in problems[1]
    # repeating the ownership tag with its own value is allowed (the explicit hand-over of an adopted cluster)
    assert cl.static_problems(params(tags={ecs.OWNER_KEY: ecs.OWNER_VALUE})) == []
    too_many = {f"k{i}": "v" for i in range(50)}
    assert cl.static_problems(params(tags=too_many)) == [
        "tags: an ECS cluster holds at most 50 tags, the ownership tag (prefect-ops:managed-by) included; give at most 49"]


def test_create_false_is_read_only_and_refuses_options_that_would_change_the_cluster():
    assert cl.static_problems(params(create=False)) == []
    problems = cl.static_problems(params(create=False, capacity_providers=["FARGATE"], tags={"a": "b"}, state="absent"))
    assert [p.split(":", 1)[0] for p in problems] == ["create", "capacity_providers", "tags"]
    assert all("never changes it" in p for p in problems)


def test_absent_checks_only_the_name():
    assert cl.static_problems(params(state="absent", capacity_providers=["nope nope"])) == []
    assert cl.static_problems(params(state="absent", name="x/y"))[0].startswith("name:")


def test_strategy_without_providers_is_checked_against_the_cluster():
    p = params(default_capacity_provider_strategy=[{"capacity_provider": "FARGATE_SPOT", "weight": 1}])
    assert cl.dynamic_problems(p, described()) == []
    problems = cl.dynamic_problems(p, described(capacityProviders=["FARGATE"]))
    assert len(problems) == 1
    assert ("FARGATE_SPOT is not among the cluster's capacity providers (the cluster has FARGATE, and capacity_providers "
            "is not set)") in problems[0]
    problems = cl.dynamic_problems(p, None)
    assert "(a new cluster has none, and capacity_providers is not set)" in problems[0]


def test_removing_a_provider_the_current_strategy_uses_needs_the_strategy_too():
    problems = cl.dynamic_problems(params(capacity_providers=["FARGATE_SPOT"]), described())
    assert len(problems) == 1 and problems[0].startswith("capacity_providers: the cluster's default capacity provider "
                                                         "strategy uses FARGATE")
    assert "set default_capacity_provider_strategy too" in problems[0]
    assert cl.dynamic_problems(params(capacity_providers=["FARGATE_SPOT"], default_capacity_provider_strategy=[
        {"capacity_provider": "FARGATE_SPOT", "weight": 1}]), described()) == []


# --- comparison ---------------------------------------------------------------------------------------


def test_same_meaning_is_no_change():
    p = params(capacity_providers=["FARGATE", "FARGATE_SPOT"],  # other order than the cluster reports
               default_capacity_provider_strategy=[{"capacity_provider": "FARGATE", "weight": 1}],  # base unset == 0
               settings={"container_insights": "disabled"}, tags={})
    assert cl.plan_update(p, described()) == (None, None, {}, {})
    # a cluster that does not report the setting counts as disabled
    assert cl.plan_update(p, described(settings=None)) == (None, None, {}, {})


def test_unset_options_are_never_compared_nor_sent():
    anything = described(capacityProviders=["my-asg"], defaultCapacityProviderStrategy=[{"capacityProvider": "my-asg"}],
                         settings=[{"name": "containerInsights", "value": "enhanced"}])
    assert cl.plan_update(params(), anything) == (None, None, {}, {})
    assert cl.plan_update(params(settings={"container_insights": None}), anything) == (None, None, {}, {})


def test_a_strategy_change_sends_the_current_providers_with_it():
    p = params(default_capacity_provider_strategy=[{"capacity_provider": "FARGATE", "weight": 1, "base": 1},
                                                   {"capacity_provider": "FARGATE_SPOT", "weight": 3}])
    capacity, insights, before, after = cl.plan_update(p, described())
    assert capacity == {"capacityProviders": ["FARGATE_SPOT", "FARGATE"], "defaultCapacityProviderStrategy": [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 3}]}
    assert insights is None and set(after) == {"defaultCapacityProviderStrategy"}
    assert before["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]


def test_a_provider_change_sends_the_current_strategy_with_it():
    capacity, dummy, before, after = cl.plan_update(params(capacity_providers=["FARGATE"]), described())
    assert capacity == {"capacityProviders": ["FARGATE"],
                        "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]}
    assert before == {"capacityProviders": ["FARGATE", "FARGATE_SPOT"]} and after == {"capacityProviders": ["FARGATE"]}


def test_a_cluster_without_providers_is_compared_without_failing():
    """moto reports no capacityProviders key for a cluster without providers (community.aws fails on it)."""
    bare = {k: v for k, v in described().items() if k not in ("capacityProviders", "defaultCapacityProviderStrategy")}
    capacity, dummy, dummy, after = cl.plan_update(params(capacity_providers=["FARGATE"]), bare)
    assert capacity == {"capacityProviders": ["FARGATE"], "defaultCapacityProviderStrategy": []}
    assert cl.plan_update(params(capacity_providers=[], default_capacity_provider_strategy=[]), bare) == (None, None, {}, {})


def test_container_insights_change():
    dummy, insights, before, after = cl.plan_update(params(settings={"container_insights": "enhanced"}), described())
    assert insights == "enhanced"
    assert before == {"settings": {"containerInsights": "disabled"}} and after == {"settings": {"containerInsights": "enhanced"}}


def test_create_payload_carries_only_what_is_set_and_the_prediction_matches_it():
    payload = cl.create_payload(params(), ecs.OWNER_TAGS)
    assert payload == {"clusterName": "prefect", "tags": OWNED}
    full = cl.create_payload(params(capacity_providers=["FARGATE"], default_capacity_provider_strategy=STRATEGY,
                                    settings={"container_insights": "enabled"}), ecs.OWNER_TAGS)
    assert full["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    assert full["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    predicted = cl.predicted_cluster(full, ARN)
    assert predicted["clusterArn"] == ARN and predicted["status"] == "ACTIVE" and predicted["tags"] == OWNED
    assert predicted["capacityProviders"] == ["FARGATE"]


# --- converge / remove with a fake client ---------------------------------------------------------------


MUTATING = ("create_cluster", "put_cluster_capacity_providers", "update_cluster", "tag_resource", "untag_resource",
            "delete_cluster")


def fake_ecs(cluster=None, services=(), tasks=()):
    fake_services, fake_tasks = list(services), list(tasks)
    client = mock.Mock()
    client.describe_clusters.return_value = {"clusters": [cluster] if cluster else [], "failures": []}
    client.create_cluster.side_effect = lambda **kw: {"cluster": cl.predicted_cluster(kw, ARN)}
    client.paginate.side_effect = lambda op, key, **kw: (
        [s["serviceArn"] for s in services] if op == "list_services"
        else [t["taskArn"] for t in tasks if t.get("desiredStatus", "RUNNING") == kw.get("desiredStatus")])
    client.describe_services.side_effect = lambda cluster, services: {"services": [
        s for s in fake_services if s["serviceArn"] in services]}
    client.describe_tasks.side_effect = lambda cluster, tasks: {"tasks": [t for t in fake_tasks if t["taskArn"] in tasks]}
    return client


def clients(ecs_client):
    sts = mock.Mock()
    sts.get_caller_identity.return_value = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/x"}
    return {"sts": sts, "ecs": ecs_client}


def mutating(client):
    return [name for name, dummy, dummy in client.mock_calls if name in MUTATING]


def test_check_mode_predicts_the_arn_of_a_new_cluster_and_calls_nothing_that_changes():
    client = fake_ecs()
    result = cl.run(FakeModule(params(capacity_providers=["FARGATE"], tags={"a": "b"}), check_mode=True), clients(client))
    assert result["changed"] and result["cluster_arn"] == ARN and result["owned"]
    assert result["cluster"]["tags"] == [{"key": "a", "value": "b"}] + OWNED
    assert result["diff"]["after"]["cluster"]["capacityProviders"] == ["FARGATE"]
    assert mutating(client) == []


def test_an_untagged_cluster_is_refused_without_adopt_and_never_gets_the_ownership_tag_with_it():
    foreign = described(tags=[{"key": "team", "value": "platform"}])
    client = fake_ecs(foreign)
    with pytest.raises(AssertionError, match="exists but was not created by this collection.*set adopt: true"):
        cl.run(FakeModule(params(tags={"site": "x"}, purge_tags=False)), clients(client))
    assert mutating(client) == []
    result = cl.run(FakeModule(params(tags={"site": "x"}, purge_tags=False, adopt=True)), clients(client))
    assert result["changed"] and not result["owned"]
    client.tag_resource.assert_called_once_with(resourceArn=ARN, tags=[{"key": "site", "value": "x"}])
    # purge on an adopted cluster removes the other tags, still without claiming it
    client = fake_ecs(foreign)
    cl.run(FakeModule(params(tags={"site": "x"}, adopt=True)), clients(client))
    client.untag_resource.assert_called_once_with(resourceArn=ARN, tagKeys=["team"])
    client.tag_resource.assert_called_once_with(resourceArn=ARN, tags=[{"key": "site", "value": "x"}])


def test_purge_never_removes_the_ownership_tag_of_our_cluster():
    client = fake_ecs(described(tags=OWNED + [{"key": "old", "value": "1"}]))
    result = cl.run(FakeModule(params(tags={})), clients(client))
    client.untag_resource.assert_called_once_with(resourceArn=ARN, tagKeys=["old"])
    assert result["owned"] and mutating(client) == ["untag_resource"]


def test_create_false_only_reads_and_fails_clearly_when_the_cluster_is_not_active():
    client = fake_ecs(described(tags=[]))
    result = cl.run(FakeModule(params(create=False)), clients(client))
    assert not result["changed"] and result["cluster_arn"] == ARN and not result["owned"]
    assert mutating(client) == []
    for missing in (None, described(status="INACTIVE")):
        with pytest.raises(AssertionError, match="no ACTIVE ECS cluster prefect .*create it first.*create: true"):
            cl.run(FakeModule(params(create=False)), clients(fake_ecs(missing)))


def test_bad_input_fails_before_any_call():
    client = fake_ecs(described())
    with pytest.raises(AssertionError, match="Invalid parameters: capacity_providers"):
        cl.run(FakeModule(params(capacity_providers=["FARGATE_SPOT"])), clients(client))  # strategy uses FARGATE
    assert mutating(client) == []


SERVICE = {"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/prefect/workers", "serviceName": "workers",
           "clusterArn": ARN, "status": "ACTIVE"}


def task(tid, last="RUNNING", desired="RUNNING", cluster=ARN):
    return {"taskArn": f"arn:aws:ecs:us-east-1:123456789012:task/prefect/{tid}", "clusterArn": cluster, "lastStatus": last,
            "desiredStatus": desired, "startedBy": "prefect-worker"}


def test_blockers_are_what_ecs_would_refuse_to_delete():
    other = "arn:aws:ecs:us-east-1:123456789012:cluster/prefect-2"
    services = [SERVICE, dict(SERVICE, serviceArn=SERVICE["serviceArn"] + "-old", serviceName="old", status="DRAINING"),
                dict(SERVICE, serviceArn=SERVICE["serviceArn"] + "-gone", serviceName="gone", status="INACTIVE"),
                dict(SERVICE, serviceArn="arn:x:other", serviceName="elsewhere", clusterArn=other)]
    tasks = [task("run1"), task("stop1", last="RUNNING", desired="STOPPED"), task("done", last="STOPPED", desired="STOPPED"),
             task("else", cluster=other)]
    waitable, blocking = cl.read_blockers(fake_ecs(described(), services, tasks), ARN, registered=2)
    assert waitable == ["service old (DRAINING)", "task stop1 (RUNNING, stopping)"]
    assert blocking == ["2 registered container instance(s)", "service workers (ACTIVE)",
                        "task run1 (RUNNING, started by prefect-worker)"]


def test_absent_refuses_a_cluster_with_services_and_names_them():
    client = fake_ecs(described(), [SERVICE])
    with pytest.raises(AssertionError, match=r"cluster prefect still holds service workers \(ACTIVE\); ECS deletes only an "
                                             r"empty cluster\. Remove them first"):
        cl.run(FakeModule(params(state="absent")), clients(client))
    assert mutating(client) == []


def test_absent_leaves_a_cluster_without_the_ownership_tag_alone():
    client = fake_ecs(described(tags=[{"key": "team", "value": "platform"}]))
    module = FakeModule(params(state="absent"))
    result = cl.run(module, clients(client))
    assert not result["changed"] and result["left_alone"] == [ARN] and not result["owned"]
    assert mutating(client) == [] and "left alone" in module.warnings[0]
    client.paginate.assert_not_called()


def test_absent_deletes_our_empty_cluster_and_check_mode_only_predicts():
    client = fake_ecs(described())
    check = cl.run(FakeModule(params(state="absent"), check_mode=True), clients(client))
    assert check["changed"] and check["actions"] == ["delete cluster prefect"] and mutating(client) == []
    assert check["diff"]["before"]["cluster"]["clusterArn"] == ARN and check["diff"]["after"] == {}
    result = cl.run(FakeModule(params(state="absent")), clients(client))
    assert result["changed"] and mutating(client) == ["delete_cluster"]
    client.delete_cluster.assert_called_once_with(cluster=ARN)
    gone = fake_ecs(None)
    again = cl.run(FakeModule(params(state="absent")), clients(gone))
    assert not again["changed"] and mutating(gone) == []


# --- waiting for draining services ----------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 0.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def _module():
    module = mock.Mock()

    def fail(**kwargs):
        raise AssertionError(kwargs["msg"])
    module.fail_json.side_effect = fail
    return module


def test_wait_returns_once_draining_services_are_gone():
    clock = Clock()
    client = mock.Mock()
    answers = iter([(["service old (DRAINING)"], []), (["service old (DRAINING)"], []), ([], [])])
    with mock.patch.object(cl, "read_blockers", side_effect=lambda *a: next(answers)):
        cl.wait_empty(_module(), client, ARN, "prefect", 60, sleep=clock.sleep, clock=clock.time)
    assert clock.now == 10


def test_wait_fails_at_once_on_an_active_service_and_at_the_timeout_on_a_draining_one():
    clock = Clock()
    with mock.patch.object(cl, "read_blockers", return_value=([], ["service workers (ACTIVE)"])):
        with pytest.raises(AssertionError, match=r"service workers \(ACTIVE\)"):
            cl.wait_empty(_module(), mock.Mock(), ARN, "prefect", 60, sleep=clock.sleep, clock=clock.time)
    assert clock.now == 0
    with mock.patch.object(cl, "read_blockers", return_value=(["service old (DRAINING)"], [])):
        with pytest.raises(AssertionError, match=r"after waiting 12 s.*raise wait_timeout"):
            cl.wait_empty(_module(), mock.Mock(), ARN, "prefect", 12, sleep=clock.sleep, clock=clock.time)


# --- one ownership model: managed-by + site -----------------------------------------------------------------

SITE_TAG = {"key": ecs.SITE_KEY, "value": "prod"}


def test_a_cluster_of_this_site_is_ours_another_sites_is_refused_and_kept():
    client = fake_ecs(described(tags=OWNED + [SITE_TAG]))
    result = cl.run(FakeModule(params(site="prod")), clients(client))
    assert result["owned"] and not result["changed"] and mutating(client) == []
    other = fake_ecs(described(tags=OWNED + [dict(SITE_TAG, value="dev")]))
    with pytest.raises(AssertionError, match="not created by this collection for this site.*prefect-ops:site=prod"):
        cl.run(FakeModule(params(site="prod")), clients(other))
    kept = cl.run(FakeModule(params(site="prod", state="absent")), clients(other))
    assert kept["left_alone"] == [ARN] and mutating(other) == []


def test_the_site_tag_among_the_tasks_tags_names_the_site_as_before_the_option():
    client = fake_ecs(described(tags=OWNED + [SITE_TAG]))
    assert cl.run(FakeModule(params(tags={ecs.SITE_KEY: "prod"}, purge_tags=False)), clients(client))["owned"]
    with pytest.raises(AssertionError, match="tags: prefect-ops:site='dev' differs from site='prod'"):
        cl.run(FakeModule(params(site="prod", tags={ecs.SITE_KEY: "dev"})), clients(client))


def test_a_cluster_made_before_the_site_option_gets_the_site_tag_in_place():
    client = fake_ecs(described(tags=list(OWNED)))  # the managed-by tag alone
    check = cl.run(FakeModule(params(site="prod", purge_tags=False), check_mode=True), clients(client))
    assert check["changed"] and check["owned"] and mutating(client) == []
    result = cl.run(FakeModule(params(site="prod", purge_tags=False)), clients(client))
    assert result["owned"] and mutating(client) == ["tag_resource"]  # never create_cluster / delete_cluster
    client.tag_resource.assert_called_once_with(resourceArn=ARN, tags=[SITE_TAG])


def test_one_definition_of_the_aws_ownership_tags():
    from ansible_collections.prefect_ops.ecs.plugins.module_utils import ownership

    assert ecs.site_ownership_tags is ownership.site_ownership_tags and ecs.OWNER_TAGS is ownership.OWNER_TAGS
    assert ownership.is_owned_or_unsited({ecs.OWNER_KEY: ecs.OWNER_VALUE}, "prod")
    assert not ownership.is_owned_or_unsited({ecs.OWNER_KEY: ecs.OWNER_VALUE, ecs.SITE_KEY: "dev"}, "prod")
    assert not ownership.is_owned_or_unsited({ecs.SITE_KEY: "prod"}, "prod")
    assert ownership.run_site({"site": None, "tags": {ecs.SITE_KEY: "prod"}}) == "prod"
    assert ownership.run_site({"site": None, "tags": None}) is None


def test_the_roles_filter_for_stock_modules_applies_the_same_rule():
    from ansible_collections.prefect_ops.ecs.plugins.filter.aws_owned import aws_owned

    tags = {ecs.OWNER_KEY: ecs.OWNER_VALUE, ecs.SITE_KEY: "prod"}
    assert aws_owned(tags, "prod") and not aws_owned(tags, "dev") and not aws_owned({ecs.SITE_KEY: "prod"}, "prod")
    assert not aws_owned(None, "prod") and aws_owned({ecs.OWNER_KEY: ecs.OWNER_VALUE}, None)


def test_the_roles_ownership_filters_are_the_modules_tags():
    from ansible_collections.prefect_ops.ecs.plugins.filter import aws_owned as f
    tags = f.ownership_tags("prod")
    assert tags == ecs.site_ownership_tags("prod") == {ecs.OWNER_KEY: ecs.OWNER_VALUE, ecs.SITE_KEY: "prod"}
    assert f.aws_owned(tags, "prod") and not f.aws_owned(tags, "dev")
    assert f.ownership_filters("prod") == {"tag:" + ecs.OWNER_KEY: ecs.OWNER_VALUE, "tag:" + ecs.SITE_KEY: "prod"}
    assert f.ownership_tags(None) == {ecs.OWNER_KEY: ecs.OWNER_VALUE}
