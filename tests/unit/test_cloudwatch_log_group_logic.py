"""Unit tests of cloudwatch_log_group's logic (plugins/module_utils/cloudwatch_log_group.py), with a fake client.

Input problems name the option and are found before any call; options not set are neither compared nor sent; the
KMS key of an existing group is associated or disassociated (moto has no AssociateKmsKey, so only here); an adopted
group never gets the ownership tags; a group that is not this site's is never deleted; the client retries throttling.
"""
from __future__ import annotations

from unittest import mock

import botocore.exceptions
import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_base
from ansible_collections.prefect_ops.ecs.plugins.module_utils import cloudwatch_log_group as lg
from stacktools.fake_module import FakeModule

NAME = "/prefect/prod/worker"
ARN = f"arn:aws:logs:us-east-1:123456789012:log-group:{NAME}:*"
KEY = "arn:aws:kms:us-east-1:123456789012:key/k1"
OURS = {"prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": "prod"}
MUTATING = {"create_log_group", "delete_log_group", "put_retention_policy", "delete_retention_policy",
            "associate_kms_key", "disassociate_kms_key", "tag_log_group", "untag_log_group"}


def params(**over):
    base = {key: spec.get("default") for key, spec in lg.argument_spec().items()}
    base.update(name=NAME, site="prod")
    base.update(over)
    return base


def fake(tags=None, **group):
    client = mock.Mock()
    client.paginate.return_value = [{"logGroupName": NAME + "-other"}, {"logGroupName": NAME, "arn": ARN, **group}]
    client.list_tags_log_group.return_value = {"tags": OURS if tags is None else tags}
    return client


def clients(client):
    sts = mock.Mock()
    sts.get_caller_identity.return_value = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/x"}
    return {"sts": sts, "logs": client}


def mutating(client):
    return [name for name, dummy, dummy in client.mock_calls if name in MUTATING]


@pytest.mark.parametrize("over, field", [
    ({"name": "a b"}, "name:"), ({"retention": 2}, "retention:"), ({"kms_key_id": "alias/x"}, "kms_key_id:"),
    ({"tags": {"aws:x": "1"}}, "tags:"), ({"site": ""}, "site:"), ({"tags": {"prefect-ops:site": "dev"}}, "tags:"),
])
def test_bad_input_names_the_option_before_any_call(over, field):
    client = fake()
    with pytest.raises(AssertionError, match=field):
        lg.run(FakeModule(params(**over)), clients(client))
    assert client.mock_calls == []


def test_options_not_set_are_not_compared_or_sent():
    client = fake(retentionInDays=14, kmsKeyId=KEY)
    result = lg.run(FakeModule(params()), clients(client))
    assert not result["changed"] and mutating(client) == []
    assert result["log_group"] == {"arn": ARN, "name": NAME, "retention": 14, "kms_key_id": KEY, "tags": OURS}


@pytest.mark.parametrize("current, wanted, call", [
    (None, KEY, mock.call.associate_kms_key(logGroupName=NAME, kmsKeyId=KEY)),
    ("arn:aws:kms:us-east-1:123456789012:key/old", KEY, mock.call.associate_kms_key(logGroupName=NAME, kmsKeyId=KEY)),
    (KEY, "", mock.call.disassociate_kms_key(logGroupName=NAME)),
])
def test_the_key_of_an_existing_group_is_converged_and_check_mode_predicts_it(current, wanted, call):
    group = {"kmsKeyId": current} if current else {}
    check = lg.run(FakeModule(params(kms_key_id=wanted), check_mode=True), clients(client := fake(**group)))
    assert check["changed"] and mutating(client) == [] and check["log_group"]["kms_key_id"] == (wanted or None)
    result = lg.run(FakeModule(params(kms_key_id=wanted)), clients(client := fake(**group)))
    assert [c for c in client.mock_calls if c[0] in MUTATING] == [call]
    assert result["diff"] == {"before": {"log group": {"kms_key_id": current}},
                              "after": {"log group": {"kms_key_id": wanted or None}}}


def test_an_adopted_group_never_gets_the_ownership_tags_and_is_never_deleted():
    client = fake(tags={"owner": "team-x"})
    with pytest.raises(AssertionError, match="set adopt: true"):
        lg.run(FakeModule(params(retention=30)), clients(client))
    assert mutating(client) == []
    result = lg.run(FakeModule(params(retention=30, adopt=True, tags={"team": "data"}, purge_tags=False)),
                    clients(client))
    assert not result["owned"] and result["log_group"]["tags"] == {"owner": "team-x", "team": "data"}
    client.tag_log_group.assert_called_once_with(logGroupName=NAME, tags={"team": "data"})
    module = FakeModule(params(state="absent"))
    for tags in ({"owner": "team-x"}, {**OURS, "prefect-ops:site": "dev"}):
        client = fake(tags=tags)
        assert lg.run(module, clients(client))["kept"] and mutating(client) == []
    assert module.warnings


def test_a_new_group_is_created_with_the_ownership_tags_then_its_retention():
    client = fake()
    client.paginate.side_effect = [[], [{"logGroupName": NAME, "arn": ARN}]]
    result = lg.run(FakeModule(params(retention=30, tags={"team": "data"})), clients(client))
    assert mutating(client) == ["create_log_group", "put_retention_policy"]
    client.create_log_group.assert_called_once_with(logGroupName=NAME, tags={**OURS, "team": "data"})
    assert result["log_group"]["arn"] == ARN and result["owned"]


def test_the_modules_client_retries_throttling():
    raw = mock.Mock()
    raw.get_paginator.return_value.paginate.return_value.build_full_result.side_effect = [
        botocore.exceptions.ClientError({"Error": {"Code": "ThrottlingException"}}, "DescribeLogGroups"),
        {"logGroups": [{"logGroupName": NAME, "arn": ARN}]}]
    raw.list_tags_log_group.return_value = {"tags": OURS}
    with mock.patch("time.sleep"):
        result = lg.run(FakeModule(params()), clients(aws_base.RetryingClient(raw)))
    assert not result["changed"] and result["log_group"]["arn"] == ARN


@pytest.mark.parametrize("names, message", [
    ([], "names: give at least one"), ([NAME, NAME], "names: a log group is listed twice"),
    ([NAME, "a b"], "names: 'a b' is not a log group name"),
])
def test_names_are_checked_before_any_call(names, message):
    client = fake()
    with pytest.raises(AssertionError, match=message):
        lg.run(FakeModule(params(name=None, names=names)), clients(client))
    assert client.mock_calls == []


def test_names_without_adopt_refuse_a_foreign_group_before_any_write():
    client = fake(tags={"owner": "x"}, retentionInDays=30)
    with pytest.raises(AssertionError, match="names: the log groups /prefect/prod/worker exist but are not"):
        lg.run(FakeModule(params(name=None, names=[NAME], retention=7)), clients(client))
    assert mutating(client) == []


def test_the_change_record_names_each_group_of_a_multi_group_run():
    from ansible_collections.prefect_ops.ecs.plugins.filter.changed_objects import changed_objects

    result = {"changed": True, "changed_items": ["/a"], "kept_items": ["/b"]}
    assert changed_objects({"log groups": result}) == ["log groups: /a", "log groups (left in place): /b"]
    assert changed_objects({"log groups": dict(result, changed=False, changed_items=[], kept_items=[])}) == []
