"""Unit tests of plugins/module_utils/aws_names.py: names, partitions, ARNs, ownership (no AWS)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_names as n

REPO = Path(__file__).resolve().parents[2]
GOV = n.Identity("123456789012", "aws-us-gov", "arn:aws-us-gov:iam::123456789012:user/x")
COM = n.Identity("123456789012", "aws", "arn:aws:iam::123456789012:user/x")
CN = n.Identity("123456789012", "aws-cn", "arn:aws-cn:iam::123456789012:user/x")


@pytest.mark.parametrize("region,partition", [
    ("us-east-1", "aws"), ("eu-west-3", "aws"), ("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn"),
    ("us-iso-east-1", "aws-iso"), ("us-isob-east-1", "aws-iso-b"),
])
def test_partition_for_region(region, partition):
    assert n.partition_for_region(region) == partition


def test_arns_use_the_identity_partition():
    assert n.sqs_queue_arn(GOV, "us-gov-west-1", "q") == "arn:aws-us-gov:sqs:us-gov-west-1:123456789012:q"
    assert n.events_rule_arn(CN, "cn-north-1", "r") == "arn:aws-cn:events:cn-north-1:123456789012:rule/r"
    assert n.events_rule_arn(COM, "us-east-1", "r", "bus") == "arn:aws:events:us-east-1:123456789012:rule/bus/r"
    assert n.ecs_cluster_arn(GOV, "us-gov-west-1", "c") == "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/c"
    assert n.iam_role_arn(GOV, "role", "/prefect") == "arn:aws-us-gov:iam::123456789012:role/prefect/role"
    assert n.account_root_arn(CN) == "arn:aws-cn:iam::123456789012:root"
    with pytest.raises(ValueError):
        n.build_arn("", "sqs", "us-east-1", "123456789012", "q")


def test_queue_url_prediction():
    assert n.sqs_queue_url(None, CN, "cn-north-1", "q") == "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q"
    assert n.sqs_queue_url("http://localhost:4566/", COM, "us-east-1", "q") == "http://localhost:4566/123456789012/q"


@pytest.mark.parametrize("kind,limit", [("sqs_queue", 80), ("events_rule", 64), ("iam_role", 64)])
def test_name_length_limits(kind, limit):
    assert n.check_name(kind, "a" * limit, "field") is None
    message = n.check_name(kind, "a" * (limit + 1), "field")
    assert message.startswith("field:") and f"limit of {limit}" in message and str(limit + 1) in message


def test_name_built_from_another_option_says_what_to_shorten():
    message = n.check_name("events_rule", "p" * 50 + "-task-state-changes", "rule_name", derived_from="name")
    assert "rule_name" in message and "shorten name by at least 5 characters or set rule_name" in message


def test_name_characters():
    assert "may only contain" in n.check_name("sqs_queue", "bad.name", "queue_name")
    assert n.check_name("events_rule", "ok.name_1-2", "rule_name") is None


def test_parse_arn_partitions():
    assert n.parse_arn("arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/c")["partition"] == "aws-us-gov"
    parts = n.parse_arn("arn:aws-cn:events:cn-north-1:123456789012:rule/r")
    assert (parts["service"], parts["resource_type"], parts["resource_id"]) == ("events", "rule", "r")
    assert n.parse_arn("not-an-arn") is None
    assert n.parse_arn(None) is None


CLUSTER = dict(service="ecs", resource_type="cluster", example="arn:<partition>:ecs:...:cluster/<name>")


def test_check_arn_accepts_a_cluster_arn_of_this_partition_and_region():
    assert n.check_arn("arn:aws:ecs:us-east-1:123456789012:cluster/prefect", "clusters[0]", identity=COM,
                       region="us-east-1", name_kind="ecs_cluster", **CLUSTER) is None


@pytest.mark.parametrize("arn,words", [
    ("arn:aws:ecs:us-east-1:123456789012:service/prefect", ["not a valid ecs cluster ARN", "expected arn:<partition>"]),
    ("arn:aws:ecs:us-east-1:123456789012:cluster", ["not a valid ecs cluster ARN"]),
    ("arn:aws:ecs:us-east-1:1234:cluster/prefect", ["12-digit account"]),
    ("arn:aws-cn:ecs:us-east-1:123456789012:cluster/prefect", ["partition aws-cn", "arn:aws:"]),
    ("arn:aws:ecs:eu-west-1:123456789012:cluster/prefect", ["region eu-west-1", "us-east-1"]),
    ("arn:aws:ecs:us-east-1:123456789012:cluster/bad.name", ["may only contain"]),
])
def test_check_arn_names_the_field_and_the_problem(arn, words):
    message = n.check_arn(arn, "clusters[0]", identity=COM, region="us-east-1", name_kind="ecs_cluster", **CLUSTER)
    assert message and message.startswith("clusters[0]:")
    for word in words:
        assert word in message


def test_identity_region_mismatch():
    assert n.check_identity_region(GOV, "us-gov-west-1") is None
    message = n.check_identity_region(COM, "us-gov-west-1")
    assert "region" in message and "aws-us-gov" in message
    assert n.check_region(None).startswith("region:")
    assert "not an AWS region" in n.check_region("useast1")


def test_ownership():
    ours = n.owner_tags("ecs_event_observer", "pool")
    assert n.ownership(ours, "ecs_event_observer", "pool") == "ours"
    assert n.ownership({}, "ecs_event_observer", "pool") == "unowned"
    assert n.ownership(ours, "ecs_event_observer", "other") == "foreign"


def _code_without_docs(path: Path) -> str:
    """The source with DOCUMENTATION/EXAMPLES/RETURN strings and docstrings removed."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
            body[0] = ast.Pass()
    docs = ("DOCUMENTATION", "EXAMPLES", "RETURN")
    tree.body = [s for s in tree.body if not (isinstance(s, ast.Assign) and getattr(s.targets[0], "id", "") in docs)]
    return ast.unparse(tree)


@pytest.mark.parametrize("rel", [
    "plugins/module_utils/aws_names.py", "plugins/module_utils/aws_base.py", "plugins/module_utils/event_observer.py",
    "plugins/modules/ecs_event_observer.py", "plugins/modules/ecs_event_observer_info.py",
])
def test_no_hard_coded_partition_in_code(rel):
    code = _code_without_docs(REPO / rel)
    assert not re.search(r"arn:aws[:-]", code), f"{rel} builds an ARN with a hard-coded partition"
