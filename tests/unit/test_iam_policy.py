"""Unit tests of plugins/module_utils/iam_policy.py (offline IAM policy evaluation) and its filters."""
from __future__ import annotations

import json

import pytest

from ansible_collections.prefect_ops.ecs.plugins.filter.iam import FilterModule
from ansible_collections.prefect_ops.ecs.plugins.module_utils import iam_policy as p

QUEUE = "arn:aws:sqs:us-east-1:123456789012:site-events"
OTHER_QUEUE = "arn:aws:sqs:us-east-1:123456789012:other-events"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/site/0123456789abcdef"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def test_allow_on_the_exact_resource():
    result = p.evaluate([doc(allow(["sqs:ReceiveMessage"], QUEUE))], "sqs:ReceiveMessage", QUEUE)
    assert result["decision"] == "allowed" and result["allowed"] is True
    assert result["allowed_by"] == ["#0.0"] and result["denied_by"] == [] and result["conditions"] == []


def test_nothing_matching_is_an_implicit_deny():
    assert p.evaluate([], "sqs:ReceiveMessage", QUEUE)["decision"] == "implicit_deny"
    assert p.evaluate([doc(allow("sqs:DeleteMessage", QUEUE))], "sqs:ReceiveMessage", QUEUE)["decision"] == "implicit_deny"


def test_resource_mismatch_is_not_allowed():
    result = p.evaluate([doc(allow("sqs:ReceiveMessage", QUEUE))], "sqs:ReceiveMessage", OTHER_QUEUE)
    assert result["allowed"] is False and result["decision"] == "implicit_deny"
    # a prefix is not a match: the pattern must cover the whole ARN
    assert not p.is_allowed([doc(allow("sqs:ReceiveMessage", QUEUE))], "sqs:ReceiveMessage", QUEUE + "-dlq")


def test_deny_beats_allow_in_any_order_and_across_documents():
    documents = [doc(deny("ecs:StopTask", TASK, Sid="NoStop")), doc(allow("ecs:*", "*", Sid="All"))]
    result = p.evaluate(documents, "ecs:StopTask", TASK)
    assert result["decision"] == "explicit_deny" and result["allowed"] is False
    assert result["denied_by"] == ["NoStop"] and result["allowed_by"] == ["All"]
    assert p.is_allowed(documents, "ecs:RunTask", TASK)
    assert not p.is_allowed(list(reversed(documents)), "ecs:StopTask", TASK)


def test_deny_with_not_resource_denies_everything_else():
    documents = [doc(allow("sqs:*"), {"Effect": "Deny", "Action": "sqs:*", "NotResource": QUEUE})]
    assert p.is_allowed(documents, "sqs:ReceiveMessage", QUEUE)
    assert p.evaluate(documents, "sqs:ReceiveMessage", OTHER_QUEUE)["decision"] == "explicit_deny"


def test_not_action_allows_everything_but_the_named_actions():
    documents = [doc({"Effect": "Allow", "NotAction": ["iam:*", "sqs:Delete*"], "Resource": "*"})]
    assert p.is_allowed(documents, "sqs:ReceiveMessage", QUEUE)
    assert not p.is_allowed(documents, "sqs:DeleteMessage", QUEUE)
    assert not p.is_allowed(documents, "iam:PassRole", "arn:aws:iam::123456789012:role/x")
    # a Deny with NotAction denies every other action
    documents = [doc(allow("*"), {"Effect": "Deny", "NotAction": "sqs:ReceiveMessage", "Resource": "*"})]
    assert p.is_allowed(documents, "sqs:ReceiveMessage", QUEUE)
    assert p.evaluate(documents, "sqs:DeleteMessage", QUEUE)["decision"] == "explicit_deny"


@pytest.mark.parametrize("pattern,action,expected", [
    ("ecs:*", "ecs:RunTask", True),
    ("ECS:runtask", "ecs:RunTask", True),              # actions ignore case
    ("ecs:Describe*", "ecs:DescribeTasks", True),
    ("ecs:Describe*", "ecs:RunTask", False),
    ("ecs:Stop?ask", "ecs:StopTask", True),
    ("ecs:Stop?ask", "ecs:StopTTask", False),           # ? is exactly one character
    ("*", "iam:PassRole", True),
    ("ecs:RunTask", "ecs:RunTasks", False),              # whole action, not a prefix
    ("ecs:Run.ask", "ecs:RunTask", False),               # '.' is literal, not a regex
    ("ecs:[R]unTask", "ecs:RunTask", False),             # no character classes in IAM
])
def test_action_wildcards(pattern, action, expected):
    assert p.action_matches(pattern, action) is expected


@pytest.mark.parametrize("pattern,resource,expected", [
    ("arn:aws:ecs:us-east-1:123456789012:task/site/*", TASK, True),
    ("arn:aws:ecs:*:123456789012:task/site/*", TASK, True),
    ("arn:aws:ecs:us-east-1:123456789012:task/other/*", TASK, False),
    ("arn:aws:ecs:us-east-1:123456789012:TASK/site/*", TASK, False),  # resources are case-sensitive
    ("arn:aws:sqs:us-east-1:123456789012:site-event?", QUEUE, True),
])
def test_resource_wildcards(pattern, resource, expected):
    assert p.resource_matches(pattern, resource) is expected


def test_a_wildcard_requirement_is_only_covered_by_a_wildcard_at_that_place():
    any_task = "arn:aws:ecs:us-east-1:123456789012:task/site/*"
    assert p.is_allowed([doc(allow("ecs:StopTask", "arn:aws:ecs:us-east-1:123456789012:task/site/*"))], "ecs:StopTask", any_task)
    assert p.is_allowed([doc(allow("ecs:StopTask", "*"))], "ecs:StopTask", any_task)
    assert not p.is_allowed([doc(allow("ecs:StopTask", TASK))], "ecs:StopTask", any_task)


def test_statement_without_resource_applies_everywhere_and_without_action_nowhere():
    assert p.is_allowed([doc({"Effect": "Allow", "Action": "sqs:ReceiveMessage"})], "sqs:ReceiveMessage", QUEUE)
    assert not p.is_allowed([doc({"Effect": "Allow", "Resource": "*"})], "sqs:ReceiveMessage", QUEUE)


def test_conditions_are_ignored_but_reported():
    condition = {"ArnEquals": {"ecs:cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/site"}}
    documents = [doc(allow("ecs:RunTask", "*", Sid="Run", Condition=condition))]
    result = p.evaluate(documents, "ecs:RunTask", "arn:aws:ecs:us-east-1:123456789012:task-definition/x:1")
    assert result["allowed"] is True
    assert result["conditions"] == [{"sid": "Run", "effect": "Allow", "condition": condition}]
    # a conditional Deny counts as a Deny (conditions are not evaluated either way)
    documents.append(doc(deny("ecs:RunTask", "*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})))
    assert p.evaluate(documents, "ecs:RunTask", "x")["decision"] == "explicit_deny"


def test_documents_as_json_text_single_statements_and_single_documents():
    text = json.dumps({"Version": "2012-10-17", "Statement": allow("sqs:ReceiveMessage", [OTHER_QUEUE, QUEUE])})
    assert p.is_allowed([text], "sqs:ReceiveMessage", QUEUE)
    assert p.is_allowed(text, "sqs:ReceiveMessage", QUEUE)
    assert p.is_allowed(doc(allow("sqs:ReceiveMessage", QUEUE)), "sqs:ReceiveMessage", QUEUE)


@pytest.mark.parametrize("bad", ["{not json", 42, doc("not a statement"), doc({"Effect": "Maybe", "Action": "*"})])
def test_unreadable_documents_raise(bad):
    with pytest.raises(p.PolicyError):
        p.evaluate([bad], "sqs:ReceiveMessage", QUEUE)


def test_not_allowed_keeps_the_requirement_and_says_why():
    documents = [doc(allow(["sqs:ReceiveMessage", "sqs:DeleteMessage"], QUEUE)), doc(deny("sqs:DeleteMessage", QUEUE, Sid="NoDelete"))]
    requirements = [
        {"action": "sqs:ReceiveMessage", "resource": QUEUE, "why": "observer"},
        {"action": "sqs:DeleteMessage", "resource": QUEUE},
        {"action": "sqs:GetQueueUrl", "resource": QUEUE},
    ]
    missing = p.not_allowed(documents, requirements)
    assert [(m["action"], m["decision"]) for m in missing] == [
        ("sqs:DeleteMessage", "explicit_deny"), ("sqs:GetQueueUrl", "implicit_deny")]
    assert missing[0]["denied_by"] == ["NoDelete"]
    assert [r["why"] for r in p.evaluate_requirements(documents, requirements) if "why" in r] == ["observer"]
    with pytest.raises(p.PolicyError):
        p.not_allowed(documents, [{"action": "sqs:GetQueueUrl", "resource": ""}])


def test_filters_are_the_module_utils_functions():
    filters = FilterModule().filters()
    documents = [doc(allow("sqs:ReceiveMessage", QUEUE))]
    requirements = [{"action": "sqs:ReceiveMessage", "resource": QUEUE}, {"action": "sqs:DeleteMessage", "resource": QUEUE}]
    assert [m["action"] for m in filters["iam_not_allowed"](documents, requirements)] == ["sqs:DeleteMessage"]
    assert [m["allowed"] for m in filters["iam_evaluate"](documents[0], requirements)] == [True, False]
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match="iam_not_allowed"):
        filters["iam_not_allowed"](["{not json"], requirements)
