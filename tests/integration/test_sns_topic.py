"""Module prefect_ops.ecs.sns_topic against moto (through the recording proxy).

Why the module exists (issue 18, alarms: the topic the site's alarms notify): community.aws.sns_topic removes every
subscription its task does not list (subscriptions default to none, purge_subscriptions to true), so the on-call's
subscription to the alarm topic was gone after the next run, and its state=absent deletes any topic of that name.
Each gap is asserted first (the test fails the day upstream closes it), then ours.
"""
from __future__ import annotations

from stacktools.ansible_run import run_module

MODULE = "prefect_ops.ecs.sns_topic"
STOCK = "community.aws.sns_topic"
OWNER = {"prefect-ops:managed-by": "prefect_ops.ecs"}


def actions(proxy, mark):
    return [c["action"] for c in proxy.mutating(mark)]


def topic_arn(sns, name):
    return next((t["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for t in page["Topics"]
                 if t["TopicArn"].endswith(f":{name}")), None)


def subscribers(sns, arn):
    return [s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]]


def test_lifecycle_keeps_subscriptions_and_removes_only_its_own_topic(aws_proxy, aws, unique):
    sns = aws("sns", direct=True)
    name, site = f"{unique}-prefect-alarms", unique
    args = {"name": name, "site": site, "display_name": "Prefect", "tags": {"team": "data"}}

    mark = aws_proxy.mark()
    check = run_module(MODULE, args, check=True, diff=True)
    assert check["changed"] and actions(aws_proxy, mark) == [] and topic_arn(sns, name) is None
    created = run_module(MODULE, args)
    arn = topic_arn(sns, name)
    assert created["changed"] and created["topic"] == {**check["topic"], "arn": arn} and arn.endswith(f":{name}")
    assert {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]} == {
        **OWNER, "prefect-ops:site": site, "team": "data"}
    sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="oncall@example.com")

    mark = aws_proxy.mark()
    again = run_module(MODULE, args)
    assert not again["changed"] and actions(aws_proxy, mark) == []
    renamed = run_module(MODULE, {"name": name, "site": site, "display_name": "Prefect prod"}, diff=True)
    assert renamed["diff"] == {"before": {"topic": {"display_name": "Prefect"}},
                               "after": {"topic": {"display_name": "Prefect prod"}}}
    assert subscribers(sns, arn) == ["oncall@example.com"]

    # The gap: the stock module, run on the same topic without listing subscriptions, unsubscribes the on-call.
    stock = run_module(STOCK, {"name": name, "display_name": "Prefect prod"})
    assert stock["changed"] and subscribers(sns, arn) == []

    gone = {"name": name, "site": site, "state": "absent"}
    mark = aws_proxy.mark()
    assert run_module(MODULE, gone, check=True)["changed"] and actions(aws_proxy, mark) == []
    assert run_module(MODULE, gone)["changed"] and topic_arn(sns, name) is None
    mark = aws_proxy.mark()
    assert not run_module(MODULE, gone)["changed"] and actions(aws_proxy, mark) == []


def test_a_topic_made_by_hand_is_refused_adopted_and_never_deleted(aws_proxy, aws, unique):
    sns = aws("sns", direct=True)
    name, site = f"{unique}-alerts", unique
    arn = sns.create_topic(Name=name, Tags=[{"Key": "owner", "Value": "team-x"}])["TopicArn"]

    mark = aws_proxy.mark()
    refused = run_module(MODULE, {"name": name, "site": site})
    assert refused.get("failed") and refused["owned"] is False and "set adopt: true" in refused["msg"]
    adopted = run_module(MODULE, {"name": name, "site": site, "adopt": True, "tags": {"team": "data"},
                                  "purge_tags": False})
    assert adopted["changed"] and adopted["owned"] is False
    assert {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]} == {
        "owner": "team-x", "team": "data"}
    kept = run_module(MODULE, {"name": name, "site": site, "state": "absent"})
    assert not kept["changed"] and kept["kept"] and topic_arn(sns, name) == arn
    assert "DeleteTopic" not in actions(aws_proxy, mark)

    # The gap: the stock module's state=absent deletes it whoever made it.
    assert run_module(STOCK, {"name": name, "state": "absent"})["changed"] and topic_arn(sns, name) is None
