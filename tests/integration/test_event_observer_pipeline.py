"""ecs_event_observer and ecs_event_observer_info against moto, through the recording proxy.

Each test runs the modules with the real ansible-playbook. To keep the suite fast, the steps of a
check -> apply -> check -> apply cycle run as tasks of one playbook (per-task `check_mode`), and the
proxy's calls are attributed to the task whose start/end window holds them, so "this step made no
mutating call" is still asserted per step. Direct boto3 calls to moto (not recorded) set up drift
and verify what AWS holds.
"""
from __future__ import annotations

import json
import os
from datetime import datetime

import botocore.exceptions
import pytest

from stacktools.ansible_run import run_playbook

pytestmark = pytest.mark.stack

FQCN = "prefect_ops.ecs.ecs_event_observer"
INFO = "prefect_ops.ecs.ecs_event_observer_info"
OWNER = "prefect-ops:owner"  # the pipeline's ownership tag before the one scheme: reserved, and moved from
MANAGED = {"prefect-ops:managed-by": "prefect_ops.ecs"}  # what a part made without a site carries


# --- helpers ---------------------------------------------------------------------------------


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class Steps:
    """The results of a playbook's tasks, each with the AWS calls made while it ran."""

    def __init__(self, results: list[dict], calls: list[dict]):
        self.results = results
        self.by_label = {r["label"]: r for r in results}
        self.calls = calls

    def __getitem__(self, label: str) -> dict:
        return self.by_label[label]

    def mutating(self, label: str) -> list[str]:
        return [c["action"] for c in self[label]["_calls"] if c["mutating"] and not c["fault"]]


# Calls a module makes that name none of its resources (everything else names the pipeline's queues,
# rule or clusters, which all contain the test's unique name).
ACCOUNT_LEVEL = {"GetCallerIdentity", "TestEventPattern", "DescribeKey", "GetKeyPolicy"}


def run_steps(aws_proxy, steps: list[tuple], env: dict | None = None, play_vars: dict | None = None,
              marker: str | None = None) -> Steps:
    """steps: (label, module, args, check_mode). One playbook; failures do not stop later steps.

    The shared stack may serve other clients at the same time (a worker's observer polls its queue),
    so a step's calls are those in its time window that name `marker` (default: the first step's
    `name`) or are account-level reads.
    """
    marker = marker or steps[0][2]["name"]
    tasks = [{"name": label, module: args, "check_mode": check, "diff": True, "ignore_errors": True}
             for label, module, args, check in steps]
    play = [{"name": "steps", "hosts": "localhost", "gather_facts": False, "vars": play_vars or {}, "tasks": tasks}]
    mark = aws_proxy.mark()
    res = run_playbook(play, inventory="localhost,", env=env, args=["-c", "local"])
    calls = [c for c in aws_proxy.aws_calls(mark) if c["action"] in ACCOUNT_LEVEL or marker in json.dumps(c["params"])]
    ran = res.data.get("plays", [{}])[0].get("tasks", [])
    assert len(ran) == len(steps), f"ansible-playbook rc={res.rc}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    results = []
    for task in ran:
        window = (_epoch(task["task"]["duration"]["start"]), _epoch(task["task"]["duration"]["end"]))
        result = dict(task["hosts"]["localhost"], label=task["task"]["name"])
        result["_calls"] = [c for c in calls if window[0] <= c["ts"] <= window[1]]
        results.append(result)
    attributed = sum(len(r["_calls"]) for r in results)
    assert attributed == len(calls), "a call of this test fell outside every task's window; per-step call checks would be unsound"
    return Steps(results, calls)


def ok(result: dict) -> dict:
    assert not result.get("failed"), f"{result['label']} failed: {result.get('msg')}"
    return result


@pytest.fixture(scope="module")
def identity(stack, aws):
    ident = aws("sts", direct=True).get_caller_identity()
    return {"account": ident["Account"], "partition": ident["Arn"].split(":")[1]}


def cluster_arn(identity, name, region=None):
    region = region or os.environ["AWS_REGION"]
    return f"arn:{identity['partition']}:ecs:{region}:{identity['account']}:cluster/{name}"


def queue_state(aws, name, region=None):
    sqs = aws("sqs", direct=True, region=region)
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except botocore.exceptions.ClientError:
        return None
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return {"url": url, "attributes": attributes, "tags": sqs.list_queue_tags(QueueUrl=url).get("Tags", {})}


def rule_state(aws, name, region=None):
    events = aws("events", direct=True, region=region)
    try:
        rule = events.describe_rule(Name=name)
    except botocore.exceptions.ClientError:
        return None
    tags = {t["Key"]: t["Value"] for t in events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]}
    return {"rule": rule, "targets": events.list_targets_by_rule(Rule=name)["Targets"], "tags": tags}


def cycle(name: str, module_args: dict) -> list[tuple]:
    return [("check", FQCN, module_args, True), ("apply", FQCN, module_args, False),
            ("check again", FQCN, module_args, True), ("apply again", FQCN, module_args, False)]


def assert_converges(steps: Steps, expect_diff: dict | None = None):
    """check predicts a change with no mutating call; apply changes; both re-runs change nothing, call nothing."""
    check, apply = ok(steps["check"]), ok(steps["apply"])
    assert check["changed"] and steps.mutating("check") == [], steps.mutating("check")
    assert apply["changed"] and steps.mutating("apply"), "apply made no mutating call"
    assert check["actions"] == apply["actions"], "check mode predicted other actions than apply took"
    if expect_diff is not None:
        got = {part: set(values) for part, values in check["diff"]["after"].items()}
        assert got == expect_diff, f"diff shows {got}, expected exactly {expect_diff}"
        assert apply["diff"] == check["diff"]
    for label in ("check again", "apply again"):
        assert not ok(steps[label])["changed"], f"{label}: {steps[label]['actions']}"
        assert steps.mutating(label) == [], f"{label} made mutating calls {steps.mutating(label)}"


# --- lifecycle with the seed's defaults ---------------------------------------------------------


def test_lifecycle_defaults_check_apply_info_absent(aws_proxy, aws, unique, identity):
    cluster = cluster_arn(identity, f"{unique}-cluster")
    args = {"name": unique, "clusters": [cluster]}
    steps = run_steps(aws_proxy, cycle(unique, args) + [("info", INFO, {"name": unique, "clusters": [cluster]}, False)])
    assert_converges(steps)
    check, apply = steps["check"], steps["apply"]
    # creation order: DLQ (the queue's redrive names it), queue, rule, target
    assert steps.mutating("apply") == ["CreateQueue", "CreateQueue", "PutRule", "PutTargets"]
    # check mode predicted the ARNs and URLs
    for part in ("queue", "dead_letter_queue"):
        assert check[part]["arn"] == apply[part]["arn"] and check[part]["url"] == apply[part]["url"]
    assert check["rule"]["arn"] == apply["rule"]["arn"]
    assert check["diff"]["before"] == {} and set(check["diff"]["after"]) == {"dead_letter_queue", "queue", "rule", "target"}

    # RETURN: queue/DLQ URL and ARN, rule ARN, the worker's environment and IAM statement
    queue_arn = f"arn:{identity['partition']}:sqs:{os.environ['AWS_REGION']}:{identity['account']}:{unique}-events"
    assert apply["queue"]["arn"] == queue_arn and apply["queue"]["url"].endswith(f"/{identity['account']}/{unique}-events")
    assert apply["dead_letter_queue"]["arn"] == queue_arn + "-dlq"
    rule_arn = apply["rule"]["arn"]
    assert rule_arn.endswith(f":rule/{unique}-task-state-changes")
    assert apply["worker_environment"]["PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME"] == f"{unique}-events"
    [statement] = apply["worker_policy_statements"]
    assert statement["Resource"] == queue_arn and "sqs:ReceiveMessage" in statement["Action"]

    # what AWS holds: the seed's values, the conditioned policy, the pattern, the target, the tags
    queue, dlq, rule = queue_state(aws, f"{unique}-events"), queue_state(aws, f"{unique}-events-dlq"), rule_state(aws, f"{unique}-task-state-changes")
    assert (queue["attributes"]["MessageRetentionPeriod"], queue["attributes"]["VisibilityTimeout"]) == ("604800", "300")
    assert (dlq["attributes"]["MessageRetentionPeriod"], dlq["attributes"]["VisibilityTimeout"]) == ("1209600", "60")
    assert json.loads(queue["attributes"]["RedrivePolicy"]) == {"deadLetterTargetArn": queue_arn + "-dlq", "maxReceiveCount": 3}
    policy = json.loads(queue["attributes"]["Policy"])
    assert len(policy["Statement"]) == 1
    assert policy["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    assert policy["Statement"][0]["Condition"] == {"ArnEquals": {"aws:SourceArn": rule_arn}}
    expected_pattern = {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"], "detail": {"clusterArn": [cluster]}}
    assert json.loads(rule["rule"]["EventPattern"]) == expected_pattern
    assert rule["rule"]["State"] == "ENABLED"
    assert [(t["Id"], t["Arn"]) for t in rule["targets"]] == [("prefect-ecs-events-queue", queue_arn)]
    for part in (queue, dlq, rule):
        assert part["tags"] == MANAGED

    # info: healthy, moto's TestEventPattern answers are "unknown", never a pass; read-only
    info = ok(steps["info"])
    assert info["healthy"] and info["exists"] and info["failed_checks"] == []
    assert info["pattern_tests"] == {"our_cluster": "unknown", "other_cluster": "unknown", "other_detail_type": "unknown"}
    assert {c["name"] for c in info["checks"] if c["status"] == "unknown"} == {
        "pattern_our_cluster_matches", "pattern_other_cluster_does_not_match", "pattern_other_detail_type_does_not_match"}
    assert "TestEventPattern" in {c["action"] for c in steps["info"]["_calls"]}
    assert steps.mutating("info") == []
    assert not any(c["action"] in ("PutEvents", "ReceiveMessage", "SendMessage") for c in steps.calls)

    # absent: check predicts, apply removes in an order that leaves nothing dangling, re-run is a no-op
    gone = {"name": unique, "state": "absent"}
    steps = run_steps(aws_proxy, [("check", FQCN, gone, True), ("apply", FQCN, gone, False), ("apply again", FQCN, gone, False),
                                  ("info", INFO, {"name": unique}, False)])
    assert ok(steps["check"])["changed"] and steps.mutating("check") == []
    assert ok(steps["apply"])["changed"] and steps["apply"]["actions"] == steps["check"]["actions"]
    deletes = [(c["action"], c["params"].get("QueueUrl", "").rsplit("/", 1)[-1]) for c in steps["apply"]["_calls"] if c["mutating"]]
    assert deletes == [("RemoveTargets", ""), ("DeleteRule", ""), ("DeleteQueue", f"{unique}-events"),
                       ("DeleteQueue", f"{unique}-events-dlq")]
    assert not ok(steps["apply again"])["changed"] and steps.mutating("apply again") == []
    assert queue_state(aws, f"{unique}-events") is None and queue_state(aws, f"{unique}-events-dlq") is None
    assert rule_state(aws, f"{unique}-task-state-changes") is None
    assert aws("events", direct=True).list_rule_names_by_target(TargetArn=queue_arn)["RuleNames"] == []
    info = ok(steps["info"])
    assert not info["exists"] and not info["healthy"] and info["rule"] is None


# --- every option: check -> apply -> check -> apply ------------------------------------------------


@pytest.mark.slow(3)
def test_each_option_check_apply_check_apply(aws_proxy, aws, unique, identity):
    kms = aws("kms", direct=True)
    key = kms.create_key(Description=f"{unique} events")["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{unique}", TargetKeyId=key["KeyId"])
    default_policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    default_policy["Statement"].append({"Sid": "events", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                        "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"})
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(default_policy))

    a, b = cluster_arn(identity, f"{unique}-a"), cluster_arn(identity, f"{unique}-b")
    args = {"name": unique, "clusters": [a]}
    ok(run_steps(aws_proxy, [("create", FQCN, args, False)])["create"])
    q, d, r = f"{unique}-events", f"{unique}-events-dlq", f"{unique}-task-state-changes"
    owner = MANAGED

    cases = [
        ("queue settings", {"visibility_timeout": 600, "message_retention_period": 86400},
         {"queue": {"visibility_timeout", "message_retention_period"}},
         lambda: queue_state(aws, q)["attributes"]["VisibilityTimeout"] == "600"
         and queue_state(aws, q)["attributes"]["MessageRetentionPeriod"] == "86400"),
        ("dead-letter queue settings", {"dead_letter_visibility_timeout": 120, "dead_letter_message_retention_period": 864000},
         {"dead_letter_queue": {"visibility_timeout", "message_retention_period"}},
         lambda: (queue_state(aws, d)["attributes"]["VisibilityTimeout"], queue_state(aws, d)["attributes"]["MessageRetentionPeriod"])
         == ("120", "864000")),
        ("max_receive_count", {"max_receive_count": 5}, {"queue": {"redrive_policy"}},
         lambda: json.loads(queue_state(aws, q)["attributes"]["RedrivePolicy"])["maxReceiveCount"] == 5),
        ("tags", {"tags": {"team": "data"}}, {"queue": {"tags"}, "dead_letter_queue": {"tags"}, "rule": {"tags"}},
         lambda: all(p["tags"] == {**owner, "team": "data"} for p in (queue_state(aws, q), queue_state(aws, d), rule_state(aws, r)))),
        ("tags without purge", {"tags": {"env": "test"}, "purge_tags": False},
         {"queue": {"tags"}, "dead_letter_queue": {"tags"}, "rule": {"tags"}},
         lambda: all(p["tags"] == {**owner, "team": "data", "env": "test"} for p in (queue_state(aws, q), rule_state(aws, r)))),
        ("tags purged", {"tags": {}}, {"queue": {"tags"}, "dead_letter_queue": {"tags"}, "rule": {"tags"}},
         lambda: all(p["tags"] == owner for p in (queue_state(aws, q), queue_state(aws, d), rule_state(aws, r)))),
        ("clusters", {"clusters": [b, a]}, {"rule": {"event_pattern"}},
         lambda: json.loads(rule_state(aws, r)["rule"]["EventPattern"])["detail"]["clusterArn"] in ([a, b], [b, a])),
        ("enabled", {"enabled": False}, {"rule": {"state"}}, lambda: rule_state(aws, r)["rule"]["State"] == "DISABLED"),
        ("rule_description", {"rule_description": "ours"}, {"rule": {"description"}},
         lambda: rule_state(aws, r)["rule"]["Description"] == "ours"),
        ("encryption none", {"encryption": "none"},
         {"queue": {"sqs_managed_sse_enabled"}, "dead_letter_queue": {"sqs_managed_sse_enabled"}},
         lambda: queue_state(aws, q)["attributes"]["SqsManagedSseEnabled"] == "false"),
        ("encryption kms", {"encryption": "kms", "kms_key_id": f"alias/{unique}"},
         {"queue": {"kms_key_id"}, "dead_letter_queue": {"kms_key_id"}},
         lambda: queue_state(aws, q)["attributes"]["KmsMasterKeyId"] == f"alias/{unique}"
         and queue_state(aws, d)["attributes"]["KmsMasterKeyId"] == f"alias/{unique}"),
        ("encryption sqs_managed", {"encryption": "sqs_managed", "kms_key_id": None},
         {"queue": {"kms_key_id", "sqs_managed_sse_enabled"}, "dead_letter_queue": {"kms_key_id", "sqs_managed_sse_enabled"}},
         lambda: not queue_state(aws, q)["attributes"].get("KmsMasterKeyId")
         and queue_state(aws, q)["attributes"]["SqsManagedSseEnabled"] == "true"),
    ]
    for label, change, expect_diff, holds in cases:
        args = {k: v for k, v in args.items() if k not in ("tags", "purge_tags")}
        args.update(change)
        args = {k: v for k, v in args.items() if v is not None}
        steps = run_steps(aws_proxy, cycle(unique, args))
        try:
            assert_converges(steps, expect_diff)
            assert holds(), "AWS does not hold the new value"
        except AssertionError as exc:
            raise AssertionError(f"option case {label!r}: {exc}") from exc
        if label == "encryption kms":
            statements = steps["apply"]["worker_policy_statements"]
            assert statements[1] == {"Sid": "PrefectEcsObserverDecryptQueue", "Effect": "Allow", "Action": "kms:Decrypt",
                                     "Resource": key["Arn"]}
            assert steps["apply"]["kms_key"]["policy_check"] == {"events_can_encrypt": True, "iam_policies_can_grant_decrypt": True}
            assert not steps["apply"].get("warnings")

    # a run that sets neither tags, encryption nor rule_description leaves them alone; defaults come back
    aws("sqs", direct=True).tag_queue(QueueUrl=queue_state(aws, q)["url"], Tags={"added": "by-hand"})
    steps = run_steps(aws_proxy, [("apply", FQCN, {"name": unique, "clusters": [a, b]}, False)])
    assert set(ok(steps["apply"])["diff"]["after"]) == {"queue", "dead_letter_queue", "rule"}
    assert set(steps["apply"]["diff"]["after"]["rule"]) == {"state"}
    queue = queue_state(aws, q)
    assert queue["tags"] == {**owner, "added": "by-hand"}
    assert queue["attributes"]["SqsManagedSseEnabled"] == "true"
    assert (queue["attributes"]["VisibilityTimeout"], queue["attributes"]["MessageRetentionPeriod"]) == ("300", "604800")
    assert json.loads(queue["attributes"]["RedrivePolicy"])["maxReceiveCount"] == 3
    assert rule_state(aws, r)["rule"]["Description"] == "ours"
    ok(run_steps(aws_proxy, [("remove", FQCN, {"name": unique, "state": "absent"}, False)])["remove"])


def test_kms_key_without_eventbridge_grant_warns(aws_proxy, aws, unique, identity):
    key = aws("kms", direct=True).create_key()["KeyMetadata"]
    args = {"name": unique, "clusters": [cluster_arn(identity, unique)], "encryption": "kms", "kms_key_id": key["KeyId"]}
    steps = run_steps(aws_proxy, [("check", FQCN, args, True)])
    result = ok(steps["check"])
    assert result["kms_key"]["policy_check"] == {"events_can_encrypt": False, "iam_policies_can_grant_decrypt": True}
    assert any("events.amazonaws.com" in w and key["Arn"] in w for w in result.get("warnings", []))
    assert {s["Principal"].get("Service") for s in result["kms_key"]["required_key_policy_statements"]} >= {"events.amazonaws.com"}
    assert steps.mutating("check") == []


# --- drift -------------------------------------------------------------------------------------


def test_drift_is_reported_and_restored(aws_proxy, aws, unique, identity):
    cluster = cluster_arn(identity, unique)
    args = {"name": unique, "clusters": [cluster]}
    created = ok(run_steps(aws_proxy, [("create", FQCN, args, False)])["create"])
    queue_arn, rule_arn = created["queue"]["arn"], created["rule"]["arn"]
    sqs, events = aws("sqs", direct=True), aws("events", direct=True)
    url = queue_state(aws, f"{unique}-events")["url"]
    loosened = json.loads(queue_state(aws, f"{unique}-events")["attributes"]["Policy"])
    loosened["Statement"].append({"Sid": "AnyRule", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                  "Action": "sqs:SendMessage", "Resource": queue_arn})
    # behind the module's back: visibility changed, policy loosened (one call: moto drops an unsent policy), target removed
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "30", "Policy": json.dumps(loosened)})
    events.remove_targets(Rule=f"{unique}-task-state-changes", Ids=["prefect-ecs-events-queue"])

    steps = run_steps(aws_proxy, [("info before", INFO, {"name": unique, "clusters": [cluster]}, False)]
                      + cycle(unique, args) + [("info after", INFO, {"name": unique, "clusters": [cluster]}, False)])
    before = ok(steps["info before"])
    assert not before["healthy"]
    assert set(before["failed_checks"]) == {"queue_policy_requires_source_arn", "rule_targets_queue"}
    assert before["queue"]["visibility_timeout"] == 30
    assert_converges(steps, {"queue": {"visibility_timeout", "policy"}, "target": {"id", "arn"}})
    assert steps["check"]["diff"]["before"]["queue"]["visibility_timeout"] == 30
    assert len(steps["check"]["diff"]["before"]["queue"]["policy"]["Statement"]) == 2
    assert ok(steps["info after"])["healthy"]

    queue = queue_state(aws, f"{unique}-events")
    assert queue["attributes"]["VisibilityTimeout"] == "300"
    policy = json.loads(queue["attributes"]["Policy"])
    assert [s["Condition"]["ArnEquals"]["aws:SourceArn"] for s in policy["Statement"]] == [rule_arn]
    assert [t["Arn"] for t in rule_state(aws, f"{unique}-task-state-changes")["targets"]] == [queue_arn]

    # the same meaning written differently is not drift: policy and pattern are compared by meaning
    statement = policy["Statement"][0]
    same_policy = {"Statement": [{"Condition": statement["Condition"], "Resource": [queue_arn], "Action": ["sqs:SendMessage"],
                                  "Principal": statement["Principal"], "Effect": "Allow", "Sid": statement["Sid"]}],
                   "Version": "2012-10-17", "Id": policy["Id"]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(same_policy, indent=2)})
    rule = rule_state(aws, f"{unique}-task-state-changes")["rule"]
    events.put_rule(Name=rule["Name"], State="ENABLED", Description=rule["Description"],
                    EventPattern=json.dumps({"detail": {"clusterArn": [cluster]}, "source": ["aws.ecs"],
                                             "detail-type": ["ECS Task State Change"]}, indent=1))
    steps = run_steps(aws_proxy, [("check", FQCN, args, True), ("apply", FQCN, args, False)])
    for label in ("check", "apply"):
        assert not ok(steps[label])["changed"] and steps.mutating(label) == [], steps[label]["actions"]
    assert json.loads(queue_state(aws, f"{unique}-events")["attributes"]["Policy"]) == same_policy  # untouched
    ok(run_steps(aws_proxy, [("remove", FQCN, {"name": unique, "state": "absent"}, False)])["remove"])


# --- delivery end to end (emulator only: real EventBridge refuses PutEvents with an aws. source) ---


def test_delivery_end_to_end_and_dead_letter(aws_proxy, aws, unique, identity):
    ours, other = cluster_arn(identity, f"{unique}-ours"), cluster_arn(identity, f"{unique}-other")
    created = ok(run_steps(aws_proxy, [("create", FQCN, {"name": unique, "clusters": [ours]}, False)])["create"])
    events, sqs = aws("events", direct=True), aws("sqs", direct=True)

    def entry(label, cluster=ours, detail_type="ECS Task State Change", source="aws.ecs"):
        return {"Source": source, "DetailType": detail_type,
                "Detail": json.dumps({"clusterArn": cluster, "lastStatus": "STOPPED", "label": label})}

    response = events.put_events(Entries=[
        entry("match"),
        entry("other detail-type", detail_type="ECS Container Instance State Change"),
        entry("other cluster", cluster=other),
        entry("other source", source="my.app"),
    ])
    assert response["FailedEntryCount"] == 0
    url = created["queue"]["url"].replace(os.environ["AWS_ENDPOINT_URL"], os.environ["PREFECT_OPS_MOTO_URL"])
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=0)["Messages"]
    assert [json.loads(m["Body"])["detail"]["label"] for m in received] == ["match"]
    body = json.loads(received[0]["Body"])
    assert (body["source"], body["detail-type"], body["detail"]["clusterArn"]) == ("aws.ecs", "ECS Task State Change", ours)

    # received 3 times without deletion (the first receive above counts): the next receive moves it to the DLQ
    for dummy in range(2):
        assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]) == 1
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", []) == []
    dlq_url = created["dead_letter_queue"]["url"].replace(os.environ["AWS_ENDPOINT_URL"], os.environ["PREFECT_OPS_MOTO_URL"])
    assert sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"] == {
        "ApproximateNumberOfMessages": "1"}

    info = ok(run_steps(aws_proxy, [("info", INFO, {"name": unique}, False)])["info"])
    assert info["dead_letter_queue"]["messages_visible"] == 1 and info["queue"]["messages_visible"] == 0
    assert {c["name"]: c["status"] for c in info["checks"]}["dead_letter_queue_empty"] == "warn"
    assert info["healthy"]
    ok(run_steps(aws_proxy, [("remove", FQCN, {"name": unique, "state": "absent"}, False)])["remove"])


# --- bad input ------------------------------------------------------------------------------------


def test_bad_input_fails_before_any_change(aws_proxy, unique, identity):
    good = cluster_arn(identity, unique)
    account, region = identity["account"], os.environ["AWS_REGION"]
    cases = {
        "rule name over 64": ({"name": unique + "n" * (46 - len(unique)), "clusters": [good]},
                              ["rule_name", "64", "shorten name by at least 1"]),
        "queue name over 80": ({"name": unique, "queue_name": "q" * 81, "clusters": [good]}, ["queue_name", "80"]),
        "cluster ARN format": ({"name": unique, "clusters": [f"arn:aws:ecs:{region}:{account}:service/x"]},
                               ["clusters[0]", "arn:<partition>:ecs:<region>"]),
        "partition mismatch": ({"name": unique, "clusters": [f"arn:aws-us-gov:ecs:{region}:{account}:cluster/x"]},
                               ["clusters[0]", "partition aws-us-gov", f"arn:{identity['partition']}:"]),
        "region mismatch": ({"name": unique, "clusters": [f"arn:{identity['partition']}:ecs:eu-west-1:{account}:cluster/x"]},
                            ["clusters[0]", "region eu-west-1"]),
        "kms without key": ({"name": unique, "clusters": [good], "encryption": "kms"}, ["kms_key_id"]),
        "reserved tag": ({"name": unique, "clusters": [good], "tags": {OWNER: "x"}}, ["tags", OWNER]),
        "no clusters": ({"name": unique}, ["clusters"]),
        "commercial ARN in GovCloud": ({"name": unique, "region": "us-gov-west-1",
                                        "clusters": [f"arn:aws:ecs:us-gov-west-1:{account}:cluster/x"]},
                                       ["clusters[0]", "partition aws,", "arn:aws-us-gov:"]),
    }
    steps = run_steps(aws_proxy, [(label, FQCN, args, False) for label, (args, dummy) in cases.items()], marker=unique)
    for label, (dummy, words) in cases.items():
        result = steps[label]
        assert result.get("failed"), f"{label}: did not fail"
        for word in words:
            assert word in result["msg"], f"{label}: {word!r} not in {result['msg']!r}"
        actions = {c["action"] for c in result["_calls"]}
        assert actions <= {"GetCallerIdentity"}, f"{label}: made AWS calls {actions} before failing"
    assert [c for c in steps.calls if c["mutating"]] == []


# --- ownership --------------------------------------------------------------------------------------


def test_foreign_parts_are_never_taken_or_removed_without_adopt(aws_proxy, aws, unique, identity):
    sqs = aws("sqs", direct=True)
    url = sqs.create_queue(QueueName=f"{unique}-events")["QueueUrl"]  # made by hand, untagged
    cluster = cluster_arn(identity, unique)
    other = f"{unique}o"
    steps = run_steps(aws_proxy, [
        ("present", FQCN, {"name": unique, "site": "a", "clusters": [cluster]}, False),
        ("absent", FQCN, {"name": unique, "site": "a", "state": "absent"}, False),
        ("adopt", FQCN, {"name": unique, "site": "a", "clusters": [cluster], "adopt": True}, False),
        ("other pipeline on our queue", FQCN,
         {"name": other, "site": "b", "queue_name": f"{unique}-events", "clusters": [cluster]}, False),
        ("other pipeline absent", FQCN, {"name": other, "site": "b", "queue_name": f"{unique}-events", "state": "absent"},
         False),
        ("remove", FQCN, {"name": unique, "site": "a", "state": "absent"}, False),
    ])
    assert steps["present"].get("failed") and "adopt" in steps["present"]["msg"] and "queue_name" in steps["present"]["msg"]
    assert steps.mutating("present") == []
    assert not ok(steps["absent"])["changed"] and steps["absent"]["left_alone"] == [f"queue {unique}-events"]
    assert steps.mutating("absent") == []
    assert ok(steps["adopt"])["changed"] and steps["adopt"]["queue"]["tags"] == dict(MANAGED, **{"prefect-ops:site": "a"})
    assert "update tags of queue" in " ".join(steps["adopt"]["actions"])
    assert steps["other pipeline on our queue"].get("failed") and "it belongs to 'a'" in steps["other pipeline on our queue"]["msg"]
    assert steps.mutating("other pipeline on our queue") == []
    assert f"queue {unique}-events" in steps["other pipeline absent"]["left_alone"]
    assert steps.mutating("other pipeline absent") == []
    assert ok(steps["remove"])["changed"]
    with pytest.raises(botocore.exceptions.ClientError):
        sqs.get_queue_attributes(QueueUrl=url)


# --- throttling -----------------------------------------------------------------------------------


def test_throttled_calls_are_retried_with_backoff(aws_proxy, aws, unique, identity, monkeypatch):
    env = {"AWS_MAX_ATTEMPTS": "1"}  # botocore gives up at once: only the module's own retries can converge
    aws_proxy.faults({"mode": "first_attempt"})
    # premise: with AWS_MAX_ATTEMPTS=1 botocore itself does not retry a throttled call
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(botocore.exceptions.ClientError, match="Throttling"):
        aws("sqs").list_queues(QueueNamePrefix=unique)
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")

    cluster = cluster_arn(identity, unique)
    args = {"name": unique, "clusters": [cluster]}
    steps = run_steps(aws_proxy, [("apply", FQCN, args, False), ("apply again", FQCN, args, False),
                                  ("info", INFO, {"name": unique}, False),
                                  ("remove", FQCN, {"name": unique, "state": "absent"}, False)], env=env)
    aws_proxy.faults(None)
    assert ok(steps["apply"])["changed"]
    faults = [c for c in steps["apply"]["_calls"] if c["fault"]]
    assert {c["action"] for c in faults} >= {"GetCallerIdentity", "GetQueueUrl", "CreateQueue", "PutRule", "PutTargets"}
    for fault in faults:  # each throttled call was made again and went through
        assert any(c["action"] == fault["action"] and c["params"] == fault["params"] and not c["fault"] and c["seq"] > fault["seq"]
                   for c in steps["apply"]["_calls"]), f"{fault['action']} was not retried"
    assert not ok(steps["apply again"])["changed"] and steps.mutating("apply again") == []
    assert ok(steps["info"])["healthy"]
    assert ok(steps["remove"])["changed"] and queue_state(aws, f"{unique}-events") is None


# --- GovCloud -------------------------------------------------------------------------------------


def test_govcloud_builds_aws_us_gov_arns(aws_proxy, aws, unique):
    region = "us-gov-west-1"
    args = {"name": unique, "clusters": ["prefect"], "region": region}
    steps = run_steps(aws_proxy, [("check", FQCN, args, True), ("apply", FQCN, args, False), ("apply again", FQCN, args, False),
                                  ("info", INFO, {"name": unique, "clusters": ["prefect"], "region": region}, False),
                                  ("remove", FQCN, {"name": unique, "state": "absent", "region": region}, False)])
    check, apply = ok(steps["check"]), ok(steps["apply"])
    account = apply["queue"]["arn"].split(":")[4]
    prefix = f"arn:aws-us-gov:sqs:{region}:{account}:"
    for result in (check, apply):
        assert result["queue"]["arn"] == prefix + f"{unique}-events"
        assert result["dead_letter_queue"]["arn"] == prefix + f"{unique}-events-dlq"
        assert result["rule"]["arn"] == f"arn:aws-us-gov:events:{region}:{account}:rule/{unique}-task-state-changes"
        assert result["cluster_arns"] == [f"arn:aws-us-gov:ecs:{region}:{account}:cluster/prefect"]
        assert result["worker_policy_statements"][0]["Resource"] == prefix + f"{unique}-events"
        assert result["queue"]["policy"]["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] == result["rule"]["arn"]
        assert "arn:aws:" not in json.dumps({k: v for k, v in result.items() if k not in ("invocation", "_calls")})
    assert {c["region"] for c in steps["apply"]["_calls"] if c["service"] in ("sqs", "events")} == {region}
    assert not ok(steps["apply again"])["changed"] and steps.mutating("apply again") == []
    assert ok(steps["info"])["healthy"]
    assert ok(steps["remove"])["changed"] and queue_state(aws, f"{unique}-events", region=region) is None


def test_absent_keeps_a_dead_letter_queue_another_queue_still_uses(aws_proxy, aws, unique, identity):
    args = {"name": unique, "clusters": [cluster_arn(identity, unique)]}
    created = ok(run_steps(aws_proxy, [("create", FQCN, args, False)])["create"])
    sqs = aws("sqs", direct=True)
    hand = sqs.create_queue(QueueName=f"{unique}-hand", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": created["dead_letter_queue"]["arn"], "maxReceiveCount": 5})})["QueueUrl"]
    gone = {"name": unique, "state": "absent"}
    steps = run_steps(aws_proxy, [("check", FQCN, gone, True), ("absent", FQCN, gone, False)])
    for label in ("check", "absent"):
        assert ok(steps[label])["left_alone"] == [f"dead_letter_queue {unique}-events-dlq"]
        assert any(f"{unique}-hand" in w for w in steps[label]["warnings"])
    assert steps["absent"]["actions"] == steps["check"]["actions"]
    assert [c["action"] for c in steps["absent"]["_calls"] if c["mutating"]] == ["RemoveTargets", "DeleteRule", "DeleteQueue"]
    assert queue_state(aws, f"{unique}-events") is None and queue_state(aws, f"{unique}-events-dlq") is not None
    sqs.delete_queue(QueueUrl=hand)
    steps = run_steps(aws_proxy, [("absent", FQCN, gone, False)])
    assert ok(steps["absent"])["actions"] == [f"delete dead_letter_queue {unique}-events-dlq"]
    assert queue_state(aws, f"{unique}-events-dlq") is None


def test_parts_tagged_by_the_old_scheme_are_recognised_and_moved_in_place(aws_proxy, aws, unique, identity):
    """A pipeline made before the one ownership scheme (prefect-ops:owner=ecs_event_observer/<name>) is this site's:
    converging it re-tags each part (ownership tags set, the old tag removed) without recreating anything."""
    sqs, events = aws("sqs", direct=True), aws("events", direct=True)
    cluster = cluster_arn(identity, unique)
    args = {"name": unique, "site": "prod", "clusters": [cluster]}
    ok(run_steps(aws_proxy, [("create", FQCN, args, False)])["create"])
    ours = dict(MANAGED, **{"prefect-ops:site": "prod"})
    old = {OWNER: f"ecs_event_observer/{unique}"}
    for name in (f"{unique}-events", f"{unique}-events-dlq"):  # back to what the module made before
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.untag_queue(QueueUrl=url, TagKeys=list(ours))
        sqs.tag_queue(QueueUrl=url, Tags=old)
    rule_arn = events.describe_rule(Name=f"{unique}-task-state-changes")["Arn"]
    events.untag_resource(ResourceARN=rule_arn, TagKeys=list(ours))
    events.tag_resource(ResourceARN=rule_arn, Tags=[{"Key": OWNER, "Value": old[OWNER]}])

    steps = run_steps(aws_proxy, [("check", FQCN, args, True), ("migrate", FQCN, args, False),
                                  ("again", FQCN, args, False)])
    assert ok(steps["check"])["changed"] and steps.mutating("check") == []
    assert ok(steps["migrate"])["changed"]
    assert sorted(set(steps.mutating("migrate"))) == ["TagQueue", "TagResource", "UntagQueue", "UntagResource"]
    parts = (queue_state(aws, f"{unique}-events"), queue_state(aws, f"{unique}-events-dlq"),
             rule_state(aws, f"{unique}-task-state-changes"))
    assert all(part["tags"] == ours for part in parts)
    assert not ok(steps["again"])["changed"] and steps.mutating("again") == []
    ok(run_steps(aws_proxy, [("remove", FQCN, dict(args, state="absent"), False)])["remove"])
