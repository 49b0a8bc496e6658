"""Unit tests of the event pipeline's logic (plugins/module_utils/event_observer.py, aws_base.py).

No AWS here: pure functions, and fake clients where a client is needed.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from unittest import mock

import botocore.exceptions
import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_base
from ansible_collections.prefect_ops.ecs.plugins.module_utils import event_observer as eo
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_names import Identity

COM = Identity("123456789012", "aws", "arn:aws:iam::123456789012:user/x")
GOV = Identity("123456789012", "aws-us-gov", "arn:aws-us-gov:iam::123456789012:user/x")
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:p-events"
RULE_ARN = "arn:aws:events:us-east-1:123456789012:rule/p-task-state-changes"


def params(**over):
    base = {k: v.get("default") for k, v in eo.argument_spec().items()}
    base.update(name="p", clusters=["prefect"])
    base.update(over)
    return base


# --- names and input ----------------------------------------------------------------------------


def test_default_names_follow_the_seed():
    resolved, problems = eo.resolve_names(params(name="my-ecs-pool"))
    assert problems == []
    assert resolved == {"queue_name": "my-ecs-pool-events", "dead_letter_queue_name": "my-ecs-pool-events-dlq",
                        "rule_name": "my-ecs-pool-task-state-changes"}


def test_longest_name_that_fits_the_rule_limit():
    assert eo.resolve_names(params(name="n" * 45))[1] == []
    problems = eo.resolve_names(params(name="n" * 46))[1]
    assert len(problems) == 1 and problems[0].startswith("rule_name:") and "limit of 64" in problems[0]
    assert "shorten name" in problems[0]
    # an explicit rule name lifts the limit on name (the queues still must fit 80)
    assert eo.resolve_names(params(name="n" * 46, rule_name="short"))[1] == []


def test_queue_name_limit_is_80():
    assert eo.resolve_names(params(queue_name="q" * 80))[1] == []
    problems = eo.resolve_names(params(queue_name="q" * 81))[1]
    assert problems and problems[0].startswith("queue_name:") and "limit of 80" in problems[0]
    problems = eo.resolve_names(params(name="n" * 40, dead_letter_queue_name="d" * 81, rule_name="r"))[1]
    assert problems[0].startswith("dead_letter_queue_name:")


def test_bad_characters_and_same_queue_names():
    assert any(p.startswith("name:") for p in eo.resolve_names(params(name="my pool"))[1])
    assert any(p.startswith("dead_letter_queue_name:") for p in
               eo.resolve_names(params(queue_name="same", dead_letter_queue_name="same"))[1])


def test_static_problems():
    assert eo.static_problems(params()) == []
    assert any(p.startswith("kms_key_id:") for p in eo.static_problems(params(encryption="kms")))
    assert any(p.startswith("kms_key_id:") for p in eo.static_problems(params(kms_key_id="alias/x")))
    assert any(p.startswith("visibility_timeout:") and "0 to 43200" in p for p in eo.static_problems(params(visibility_timeout=43201)))
    assert any(p.startswith("max_receive_count:") for p in eo.static_problems(params(max_receive_count=0)))
    assert any(p.startswith("clusters:") for p in eo.static_problems(params(clusters=None)))
    assert eo.static_problems(params(clusters=None, state="absent")) == []


def test_clusters_resolve_in_the_credentials_partition():
    arns, problems, warnings = eo.resolve_clusters(["b", "a", "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/a"],
                                                   GOV, "us-gov-west-1")
    assert problems == [] and warnings == []
    assert arns == ["arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/a", "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/b"]


def test_clusters_bad_input():
    arns, problems, warnings = eo.resolve_clusters([
        "arn:aws:ecs:us-east-1:123456789012:cluster/ok",
        "arn:aws:ecs:us-east-1:123456789012:task/x",
        "arn:aws-cn:ecs:us-east-1:123456789012:cluster/x",
        "arn:aws:ecs:us-west-2:123456789012:cluster/x",
        "not/a cluster",
        "arn:aws:ecs:us-east-1:210987654321:cluster/other-account",
    ], COM, "us-east-1")
    assert [p.split(":", 1)[0] for p in problems] == ["clusters[1]", "clusters[2]", "clusters[3]", "clusters[4]"]
    assert "partition aws-cn" in problems[1] and "region us-west-2" in problems[2]
    assert len(warnings) == 1 and warnings[0].startswith("clusters[5]:")
    assert arns == ["arn:aws:ecs:us-east-1:123456789012:cluster/ok", "arn:aws:ecs:us-east-1:210987654321:cluster/other-account"]


# --- desired state --------------------------------------------------------------------------------


def test_queue_policy_lets_only_our_rule_send():
    policy = eo.queue_policy(QUEUE_ARN, RULE_ARN)
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": RULE_ARN}}
    assert eo.policy_checks(policy, QUEUE_ARN, RULE_ARN) == (True, [])


def test_policy_check_finds_the_cli_defect():
    """prefect-aws ecs-worker's policy has a second statement with no source condition."""
    policy = eo.queue_policy(QUEUE_ARN, RULE_ARN)
    policy["Statement"].append({"Sid": "Loose", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes"], "Resource": QUEUE_ARN})
    assert eo.policy_checks(policy, QUEUE_ARN, RULE_ARN) == (True, ["Loose"])
    anyone = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*"}]}
    assert eo.policy_checks(anyone, QUEUE_ARN, RULE_ARN) == (False, ["statement 0"])
    other_rule = eo.queue_policy(QUEUE_ARN, RULE_ARN.replace("p-task", "x-task"))
    assert eo.policy_checks(other_rule, QUEUE_ARN, RULE_ARN) == (False, [])


def test_event_pattern_and_its_canonical_form():
    pattern = eo.event_pattern(["arn:b", "arn:a"])
    assert pattern == {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"], "detail": {"clusterArn": ["arn:a", "arn:b"]}}
    reordered = json.dumps({"detail": {"clusterArn": ["arn:b", "arn:a"]}, "detail-type": ["ECS Task State Change"], "source": ["aws.ecs"]})
    assert eo.canonical_pattern(reordered) == eo.canonical_pattern(pattern)
    assert eo.canonical_pattern(eo.event_pattern(["arn:a"])) != eo.canonical_pattern(pattern)


def test_worker_statements():
    [sqs] = eo.worker_policy_statements(QUEUE_ARN)
    assert sqs["Resource"] == QUEUE_ARN and "sqs:ReceiveMessage" in sqs["Action"] and "sqs:DeleteMessage" in sqs["Action"]
    assert not any(a in sqs["Action"] for a in ("sqs:SendMessage", "sqs:*"))
    statements = eo.worker_policy_statements(QUEUE_ARN, "arn:aws:kms:us-east-1:123456789012:key/k")
    assert statements[1] == {"Sid": "PrefectEcsObserverDecryptQueue", "Effect": "Allow", "Action": "kms:Decrypt",
                             "Resource": "arn:aws:kms:us-east-1:123456789012:key/k"}


def test_desired_queues_use_the_seed_values_and_the_partition():
    resolved, dummy = eo.resolve_names(params())
    desired, rule_arn = eo.desired_queues(params(), GOV, "us-gov-west-1", resolved, {})
    dlq_name, dlq_arn, dlq = desired["dead_letter_queue"]
    name, arn, queue = desired["queue"]
    assert rule_arn == "arn:aws-us-gov:events:us-gov-west-1:123456789012:rule/p-task-state-changes"
    assert arn == "arn:aws-us-gov:sqs:us-gov-west-1:123456789012:p-events"
    assert dlq == {"MessageRetentionPeriod": "1209600", "VisibilityTimeout": "60"}
    assert (queue["MessageRetentionPeriod"], queue["VisibilityTimeout"]) == ("604800", "300")
    assert json.loads(queue["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}
    assert json.loads(queue["Policy"])["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] == rule_arn


@pytest.mark.parametrize("encryption,current,wanted", [
    (None, {"KmsMasterKeyId": "k"}, {}),
    ("sqs_managed", {}, {"SqsManagedSseEnabled": "true"}),
    ("sqs_managed", {"KmsMasterKeyId": "k"}, {"SqsManagedSseEnabled": "true", "KmsMasterKeyId": ""}),
    ("none", {}, {"SqsManagedSseEnabled": "false"}),
    ("kms", {}, {"SqsManagedSseEnabled": "false", "KmsMasterKeyId": "alias/k"}),
])
def test_encryption_attributes(encryption, current, wanted):
    p = params(encryption=encryption, kms_key_id="alias/k" if encryption == "kms" else None)
    assert eo.encryption_attributes(p, current) == wanted


# --- comparing -------------------------------------------------------------------------------


def test_policy_compared_by_meaning():
    desired = {"Policy": json.dumps(eo.queue_policy(QUEUE_ARN, RULE_ARN))}
    same = json.loads(desired["Policy"])
    same["Statement"][0] = dict(reversed(list(same["Statement"][0].items())))
    same["Statement"][0]["Action"] = ["sqs:SendMessage"]
    assert eo.attribute_differences({"Policy": json.dumps(same, indent=4)}, desired) == {}
    loosened = json.loads(desired["Policy"])
    del loosened["Statement"][0]["Condition"]
    assert set(eo.attribute_differences({"Policy": json.dumps(loosened)}, desired)) == {"Policy"}
    assert set(eo.attribute_differences({}, desired)) == {"Policy"}


def test_redrive_and_plain_attributes():
    redrive = json.dumps({"deadLetterTargetArn": "arn:dlq", "maxReceiveCount": 3})
    desired = {"RedrivePolicy": redrive, "VisibilityTimeout": "300", "SqsManagedSseEnabled": "true"}
    current = {"RedrivePolicy": json.dumps({"maxReceiveCount": "3", "deadLetterTargetArn": "arn:dlq"}),
               "VisibilityTimeout": "300", "SqsManagedSseEnabled": "TRUE"}
    assert eo.attribute_differences(current, desired) == {}
    current["VisibilityTimeout"] = "30"
    differences = eo.attribute_differences(current, desired)
    assert differences == {"VisibilityTimeout": ("30", "300")}
    assert eo.diff_values(differences) == ({"visibility_timeout": 30}, {"visibility_timeout": 300})


def test_tags_with_amazon_aws_semantics_keep_the_owner_tag():
    owner = {"prefect-ops:owner": "ecs_event_observer/p"}
    current = {"team": "a", "aws:cloudformation:stack": "s", "prefect-ops:owner": "ecs_event_observer/p"}
    assert aws_base.plan_tags(current, None, True, owner) == ({}, [], current)
    to_set, to_unset, after = aws_base.plan_tags(current, {"env": 1}, True, owner)
    assert to_set == {"env": "1"} and to_unset == ["team"]
    assert after == {"aws:cloudformation:stack": "s", "prefect-ops:owner": "ecs_event_observer/p", "env": "1"}
    to_set, to_unset, after = aws_base.plan_tags(current, {"env": "x"}, False, owner)
    assert to_set == {"env": "x"} and to_unset == []
    to_set, to_unset, dummy = aws_base.plan_tags({"team": "a"}, None, True, owner)
    assert to_set == owner and to_unset == []
    assert aws_base.check_tags({"prefect-ops:owner": "x"}).startswith("tags:")


# --- KMS ----------------------------------------------------------------------------------------


def test_key_policy_check():
    default = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]}
    assert eo.check_key_policy(default, COM) == {"events_can_encrypt": False, "iam_policies_can_grant_decrypt": True}
    full = {"Statement": eo.kms_key_policy_statements(COM)}
    assert eo.check_key_policy(full, COM) == {"events_can_encrypt": True, "iam_policies_can_grant_decrypt": True}
    events_only = {"Statement": [{"Effect": "Allow", "Principal": {"Service": ["events.amazonaws.com"]},
                                  "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*"}]}
    assert eo.check_key_policy(events_only, COM) == {"events_can_encrypt": True, "iam_policies_can_grant_decrypt": False}
    deny = {"Statement": [dict(eo.kms_key_policy_statements(COM)[0], Effect="Deny")]}
    assert eo.check_key_policy(deny, COM)["events_can_encrypt"] is False


def _client_error(code, op="Op"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, op)


def test_aws_managed_key_is_refused():
    kms = mock.Mock()
    kms.describe_key.return_value = {"KeyMetadata": {"Arn": "arn:aws:kms:us-east-1:123456789012:key/k", "KeyId": "k", "KeyManager": "AWS"}}
    kms.get_key_policy.return_value = {"Policy": "{}"}
    facts = eo.kms_key_facts(kms, "alias/aws/sqs", COM)
    assert facts["error"].startswith("kms_key_id:") and "AWS managed" in facts["error"]
    kms.describe_key.side_effect = _client_error("NotFoundException")
    assert eo.kms_key_facts(kms, "alias/missing", COM)["error"].startswith("kms_key_id: no KMS key")


# --- TestEventPattern -----------------------------------------------------------------------------


@pytest.mark.parametrize("response,outcome", [({"Result": True}, "match"), ({"Result": False}, "no_match"), ({}, "unknown")])
def test_event_pattern_answers(response, outcome):
    events = mock.Mock()
    events.test_event_pattern.return_value = response
    assert eo.try_event_pattern(events, {"source": ["aws.ecs"]}, {"source": "aws.ecs"})[0] == outcome


def test_missing_result_is_never_a_pass():
    events = mock.Mock()
    events.test_event_pattern.return_value = {"ResponseMetadata": {}}
    checks = eo.Checks()
    results = eo._pattern_tests(events, checks, COM, "us-east-1", eo.event_pattern(["arn:aws:ecs:us-east-1:123456789012:cluster/c"]),
                                ["arn:aws:ecs:us-east-1:123456789012:cluster/c"])
    assert set(results.values()) == {"unknown"}
    assert checks.names("pass") == [] and len(checks.names("unknown")) == 3


def test_pattern_tests_pass_and_fail_on_real_answers():
    events = mock.Mock()
    events.test_event_pattern.side_effect = [{"Result": True}, {"Result": True}, {"Result": False}]
    checks = eo.Checks()
    cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/c"
    eo._pattern_tests(events, checks, COM, "us-east-1", eo.event_pattern([cluster]), [cluster])
    assert checks.names("pass") == ["pattern_our_cluster_matches", "pattern_other_detail_type_does_not_match"]
    assert checks.names("fail") == ["pattern_other_cluster_does_not_match"]
    sent = [json.loads(c.kwargs["Event"]) for c in events.test_event_pattern.call_args_list]
    assert sent[0]["detail"]["clusterArn"] == cluster and sent[1]["detail"]["clusterArn"] != cluster
    assert all(e["account"] == COM.account and e["source"] == "aws.ecs" for e in sent)


# --- retries -----------------------------------------------------------------------------------


def test_every_call_retries_throttling_with_jittered_backoff():
    raw = mock.Mock()
    raw.get_queue_url.side_effect = [_client_error("ThrottlingException"), _client_error("RequestThrottled"), {"QueueUrl": "u"}]
    client = aws_base.RetryingClient(raw)
    with mock.patch("time.sleep") as sleep, mock.patch("random.uniform", side_effect=lambda a, b: b / 2) as uniform:
        assert client.get_queue_url(QueueName="q") == {"QueueUrl": "u"}
    assert raw.get_queue_url.call_count == 3
    # each wait is a uniform draw (jitter) under a doubling cap (backoff): uniform(0, 1), then uniform(0, 2)
    assert [c.args[1] for c in uniform.call_args_list[:2]] == [1, 2]
    assert [c.args[0] for c in sleep.call_args_list] == [0.5, 1.0]


def test_other_errors_are_not_retried():
    raw = mock.Mock()
    raw.delete_queue.side_effect = _client_error("AccessDenied")
    with mock.patch("time.sleep") as sleep, pytest.raises(botocore.exceptions.ClientError):
        aws_base.RetryingClient(raw).delete_queue(QueueUrl="u")
    assert raw.delete_queue.call_count == 1 and sleep.call_count == 0


# --- ensure_* with fake clients ------------------------------------------------------------------


MUTATING = ("create_queue", "set_queue_attributes", "tag_queue", "untag_queue", "delete_queue", "put_rule",
            "put_targets", "tag_resource", "untag_resource", "remove_targets", "delete_rule")


def _mutations(client):
    return [c[0] for c in client.method_calls if c[0] in MUTATING]


def _desired_queue():
    resolved, dummy = eo.resolve_names(params())
    desired, dummy = eo.desired_queues(params(), COM, "us-east-1", resolved, {})
    return desired["queue"]


def test_check_mode_predicts_a_new_queue_without_calls():
    sqs, changes = mock.Mock(), aws_base.Changes()
    desired = _desired_queue()
    tags = aws_base.plan_tags(None, {"a": "b"}, True, {"prefect-ops:owner": "ecs_event_observer/p"})
    item = eo.ensure_queue(sqs, True, changes, "queue", None, desired, tags, "https://sqs/123456789012/p-events")
    assert _mutations(sqs) == []
    assert changes.actions == ["create queue p-events"]
    view = eo.queue_view(item)
    assert view["arn"] == desired[1] and view["url"] == "https://sqs/123456789012/p-events" and view["visibility_timeout"] == 300
    assert changes.after["queue"]["tags"] == {"a": "b", "prefect-ops:owner": "ecs_event_observer/p"}


def test_update_changes_only_what_differs_and_resends_the_policy():
    sqs, changes = mock.Mock(), aws_base.Changes()
    name, arn, attributes = _desired_queue()
    current_attributes = dict(attributes, VisibilityTimeout="30", QueueArn=arn)
    current = {"name": name, "url": "u", "attributes": current_attributes, "tags": {"prefect-ops:owner": "ecs_event_observer/p"}}
    tags = aws_base.plan_tags(current["tags"], None, True, {"prefect-ops:owner": "ecs_event_observer/p"})
    eo.ensure_queue(sqs, False, changes, "queue", current, (name, arn, attributes), tags, "u")
    sqs.set_queue_attributes.assert_called_once_with(QueueUrl="u", Attributes={"VisibilityTimeout": "300", "Policy": attributes["Policy"]})
    assert _mutations(sqs) == ["set_queue_attributes"]
    assert changes.diff() == {"before": {"queue": {"visibility_timeout": 30}}, "after": {"queue": {"visibility_timeout": 300}}}


def test_in_sync_queue_makes_no_call():
    sqs, changes = mock.Mock(), aws_base.Changes()
    name, arn, attributes = _desired_queue()
    current = {"name": name, "url": "u", "attributes": dict(attributes, QueueArn=arn), "tags": {"prefect-ops:owner": "ecs_event_observer/p"}}
    tags = aws_base.plan_tags(current["tags"], None, True, {"prefect-ops:owner": "ecs_event_observer/p"})
    eo.ensure_queue(sqs, False, changes, "queue", current, (name, arn, attributes), tags, "u")
    assert _mutations(sqs) == [] and not changes.changed


def test_rule_update_keeps_what_the_module_does_not_manage():
    events, changes = mock.Mock(), aws_base.Changes()
    cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/c"
    current = {"name": "r", "arn": RULE_ARN, "targets": [], "tags": {"prefect-ops:owner": "ecs_event_observer/p"},
               "rule": {"Name": "r", "Arn": RULE_ARN, "State": "ENABLED", "Description": "kept", "RoleArn": "arn:role",
                        "EventPattern": json.dumps(eo.event_pattern(["arn:aws:ecs:us-east-1:123456789012:cluster/old"]))}}
    tags = aws_base.plan_tags(current["tags"], None, True, {"prefect-ops:owner": "ecs_event_observer/p"})
    eo.ensure_rule(events, False, changes, current, "r", RULE_ARN, eo.event_pattern([cluster]), params(), tags)
    events.put_rule.assert_called_once()
    kwargs = events.put_rule.call_args.kwargs
    assert kwargs["Description"] == "kept" and kwargs["RoleArn"] == "arn:role" and kwargs["State"] == "ENABLED"
    assert json.loads(kwargs["EventPattern"])["detail"]["clusterArn"] == [cluster]
    assert list(changes.after["rule"]) == ["event_pattern"]


def test_target_drift_is_detected():
    module, events = mock.Mock(), mock.Mock()
    events.put_targets.return_value = {"FailedEntryCount": 0}
    rule = {"name": "r", "targets": [{"Id": eo.TARGET_ID, "Arn": QUEUE_ARN, "InputPath": "$.detail"}]}
    changes = aws_base.Changes()
    eo.ensure_target(module, events, False, changes, rule, QUEUE_ARN)
    events.put_targets.assert_called_once_with(Rule="r", Targets=[{"Id": eo.TARGET_ID, "Arn": QUEUE_ARN}])
    assert changes.before["target"]["InputPath"] == "$.detail"
    events.reset_mock()
    eo.ensure_target(module, events, False, aws_base.Changes(), {"name": "r", "targets": [{"Id": eo.TARGET_ID, "Arn": QUEUE_ARN}]}, QUEUE_ARN)
    events.put_targets.assert_not_called()


# --- inspect (the info module's checks) on a mis-wired pipeline --------------------------------------


def _fake_module(**module_params):
    module = mock.Mock()
    module.params = {"name": "p", "queue_name": None, "dead_letter_queue_name": None, "rule_name": None, "clusters": None}
    module.params.update(module_params)
    module.region = "us-east-1"
    module.fail_json.side_effect = AssertionError
    return module


def _fake_clients(queue_attributes, rule, targets):
    sqs, events, sts, kms = mock.Mock(), mock.Mock(), mock.Mock(), mock.Mock()
    sts.get_caller_identity.return_value = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/x"}
    urls = {"p-events": "https://sqs/123456789012/p-events", "p-events-dlq": "https://sqs/123456789012/p-events-dlq"}
    sqs.get_queue_url.side_effect = lambda QueueName: {"QueueUrl": urls[QueueName]}
    dlq_attributes = {"QueueArn": QUEUE_ARN + "-dlq", "ApproximateNumberOfMessages": "2", "ApproximateNumberOfMessagesNotVisible": "0"}
    sqs.get_queue_attributes.side_effect = lambda QueueUrl, AttributeNames: {
        "Attributes": queue_attributes if QueueUrl.endswith("p-events") else dlq_attributes}
    sqs.list_queue_tags.return_value = {"Tags": {"prefect-ops:owner": "ecs_event_observer/p"}}
    events.describe_rule.return_value = rule
    events.paginate.return_value = targets
    events.list_tags_for_resource.return_value = {"Tags": []}
    events.test_event_pattern.return_value = {}
    return {"sqs": sqs, "events": events, "sts": sts, "kms": kms}


def test_inspect_reports_each_broken_wire():
    cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/c"
    loose = eo.queue_policy(QUEUE_ARN, RULE_ARN)
    loose["Statement"].append({"Sid": "Loose", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                               "Action": "sqs:SendMessage", "Resource": QUEUE_ARN})
    queue_attributes = {"QueueArn": QUEUE_ARN, "Policy": json.dumps(loose), "ApproximateNumberOfMessages": "4",
                        "RedrivePolicy": json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:elsewhere",
                                                     "maxReceiveCount": 3})}
    rule = {"Name": "p-task-state-changes", "Arn": RULE_ARN, "State": "DISABLED",
            "EventPattern": json.dumps(eo.event_pattern(["arn:aws:ecs:us-east-1:123456789012:cluster/old"]))}
    targets = [{"Id": eo.TARGET_ID, "Arn": QUEUE_ARN, "InputPath": "$.detail"}]
    clients = _fake_clients(queue_attributes, rule, targets)
    result = eo.inspect(_fake_module(clusters=[cluster]), clients)
    assert result["exists"] and not result["healthy"]
    assert set(result["failed_checks"]) == {"queue_redrives_to_dead_letter_queue", "queue_policy_requires_source_arn",
                                            "rule_pattern", "rule_enabled", "rule_targets_queue"}
    statuses = {c["name"]: c["status"] for c in result["checks"]}
    assert statuses["queue_policy_allows_rule"] == "pass" and statuses["dead_letter_queue_empty"] == "warn"
    assert result["queue"]["messages_visible"] == 4 and result["dead_letter_queue"]["messages_visible"] == 2
    # read-only: no call that changes anything, no events sent, no messages received
    for client in clients.values():
        assert _mutations(client) == []
        assert not any(c[0] in ("put_events", "receive_message", "send_message") for c in client.method_calls)


def test_inspect_healthy_pipeline():
    cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/c"
    queue_attributes = {"QueueArn": QUEUE_ARN, "Policy": json.dumps(eo.queue_policy(QUEUE_ARN, RULE_ARN)),
                        "RedrivePolicy": json.dumps({"deadLetterTargetArn": QUEUE_ARN + "-dlq", "maxReceiveCount": 3})}
    rule = {"Name": "p-task-state-changes", "Arn": RULE_ARN, "State": "ENABLED", "EventPattern": json.dumps(eo.event_pattern([cluster]))}
    clients = _fake_clients(queue_attributes, rule, [{"Id": eo.TARGET_ID, "Arn": QUEUE_ARN}])
    clients["events"].test_event_pattern.side_effect = [{"Result": True}, {"Result": False}, {"Result": False}]
    result = eo.inspect(_fake_module(clusters=["c"]), clients)
    assert result["healthy"] and result["failed_checks"] == [] and result["unknown_checks"] == []
    assert result["pattern_tests"] == {"our_cluster": "match", "other_cluster": "no_match", "other_detail_type": "no_match"}


# --- documentation --------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["ecs_event_observer", "ecs_event_observer_info"])
def test_ansible_doc_renders(module):
    """Done-when: ansible-doc renders both modules (options from the doc fragments included)."""
    doc = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "-j", f"prefect_ops.ecs.{module}"],
                         capture_output=True, text=True, check=False, timeout=120)
    assert doc.returncode == 0, doc.stderr
    data = json.loads(doc.stdout)[f"prefect_ops.ecs.{module}"]
    options = data["doc"]["options"]
    spec = eo.argument_spec() if module == "ecs_event_observer" else eo.info_argument_spec()
    assert set(spec) <= set(options), set(spec) - set(options)
    assert {"region", "endpoint_url", "access_key", "profile"} <= set(options)
    assert data["examples"] and data["return"]


def test_one_ownership_scheme_and_the_pipelines_old_tag_recognised_then_moved():
    from ansible_collections.prefect_ops.ecs.plugins.module_utils import event_observer as eo

    ours = {"prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": "prod"}
    old = {"prefect-ops:owner": "ecs_event_observer/p"}
    assert eo.part_ownership(ours, "p", "prod") == "ours"
    assert eo.part_ownership(dict(ours, **{"prefect-ops:site": "dev"}), "p", "prod") == "foreign"
    assert eo.part_ownership(old, "p", "prod") == "ours"  # made before the scheme, without a site tag
    assert eo.part_ownership(dict(old, **{"prefect-ops:site": "prod"}), "p", "prod") == "ours"
    assert eo.part_ownership(dict(old, **{"prefect-ops:site": "dev"}), "p", "prod") == "foreign"
    assert eo.part_ownership({"prefect-ops:owner": "ecs_event_observer/other"}, "p", "prod") == "foreign"
    assert eo.part_ownership({"team": "a"}, "p", "prod") == "unowned"
    # converging a part with the old tag: the ownership tags set, the old tag removed, whatever purge_tags says
    to_set, to_unset, after = aws_base.plan_tags(dict(old, team="a"), {}, False, ours, eo.LEGACY_KEYS)
    assert to_set == ours and to_unset == ["prefect-ops:owner"] and after == dict(ours, team="a")
    problems = eo.ownership_problems({"queue": {"name": "q", "tags": dict(ours, **{"prefect-ops:site": "dev"})}},
                                     "p", False, "prod")
    assert len(problems) == 1 and problems[0].startswith("queue: q exists but was not created by this pipeline")
