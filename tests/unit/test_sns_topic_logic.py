"""Unit tests of sns_topic's logic (plugins/module_utils/sns_topic.py), with a fake client.

Input problems name the option and are found before any call; options not set are neither compared nor sent;
subscriptions and the policy are never touched; an adopted topic never gets the ownership tags; a topic that is not
this site's is never deleted.
"""
from __future__ import annotations

from unittest import mock

import botocore.exceptions
import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import sns_topic as st
from stacktools.fake_module import FakeModule

NAME = "prod-prefect-alarms"
ARN = f"arn:aws:sns:us-east-1:123456789012:{NAME}"
OURS = {"prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": "prod"}
MUTATING = {"create_topic", "delete_topic", "set_topic_attributes", "tag_resource", "untag_resource", "subscribe",
            "unsubscribe"}


def params(**over):
    base = {key: spec.get("default") for key, spec in st.argument_spec().items()}
    base.update(name=NAME, site="prod")
    base.update(over)
    return base


def fake(attributes=None, tags=None, exists=True):
    client = mock.Mock()
    if exists:
        client.get_topic_attributes.return_value = {"Attributes": {"TopicArn": ARN, "DisplayName": "Prefect",
                                                                   **(attributes or {})}}
    else:
        client.get_topic_attributes.side_effect = botocore.exceptions.ClientError(
            {"Error": {"Code": "NotFound"}}, "GetTopicAttributes")
    client.list_tags_for_resource.return_value = {
        "Tags": [{"Key": k, "Value": v} for k, v in (OURS if tags is None else tags).items()]}
    client.create_topic.return_value = {"TopicArn": ARN}
    return client


def clients(client):
    sts = mock.Mock()
    sts.get_caller_identity.return_value = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/x"}
    return {"sts": sts, "sns": client}


def mutating(client):
    return [name for name, dummy, dummy in client.mock_calls if name in MUTATING]


@pytest.mark.parametrize("over, field", [
    ({"name": "a.b"}, "name:"), ({"display_name": "x" * 101}, "display_name:"), ({"tags": {"aws:x": "1"}}, "tags:"),
    ({"site": ""}, "site:"), ({"tags": {"prefect-ops:site": "dev"}}, "tags:"),
])
def test_bad_input_names_the_option_before_any_call(over, field):
    client = fake()
    with pytest.raises(AssertionError, match=field):
        st.run(FakeModule(params(**over)), clients(client))
    assert client.mock_calls == []


def test_a_new_topic_gets_the_ownership_tags_and_check_mode_predicts_it():
    check = st.run(FakeModule(params(display_name="Prefect prod"), check_mode=True), clients(client := fake(exists=False)))
    assert check["changed"] and mutating(client) == []
    assert check["topic"] == {"arn": ARN, "name": NAME, "display_name": "Prefect prod", "kms_master_key_id": "",
                              "tags": OURS}
    result = st.run(FakeModule(params(display_name="Prefect prod", tags={"team": "data"})),
                    clients(client := fake(exists=False)))
    client.create_topic.assert_called_once_with(
        Name=NAME, Attributes={"DisplayName": "Prefect prod"},
        Tags=[{"Key": k, "Value": v} for k, v in sorted({**OURS, "team": "data"}.items())])
    assert result["topic"] == dict(check["topic"], tags={**OURS, "team": "data"}) and result["owned"]


def test_options_not_set_are_not_compared_and_subscriptions_are_never_touched():
    client = fake()
    result = st.run(FakeModule(params()), clients(client))
    assert not result["changed"] and mutating(client) == []
    assert not client.list_subscriptions_by_topic.called
    result = st.run(FakeModule(params(display_name="")), clients(client := fake()))
    assert result["diff"] == {"before": {"topic": {"display_name": "Prefect"}}, "after": {"topic": {"display_name": ""}}}
    client.set_topic_attributes.assert_called_once_with(TopicArn=ARN, AttributeName="DisplayName", AttributeValue="")


def test_an_adopted_topic_never_gets_the_ownership_tags_and_is_never_deleted():
    client = fake(tags={"owner": "team-x"})
    with pytest.raises(AssertionError, match="set adopt: true"):
        st.run(FakeModule(params(display_name="x")), clients(client))
    assert mutating(client) == []
    result = st.run(FakeModule(params(adopt=True, tags={"team": "data"}, purge_tags=False)), clients(client))
    assert not result["owned"] and result["topic"]["tags"] == {"owner": "team-x", "team": "data"}
    client.tag_resource.assert_called_once_with(ResourceArn=ARN, Tags=[{"Key": "team", "Value": "data"}])
    module = FakeModule(params(state="absent"))
    for tags in ({"owner": "team-x"}, {**OURS, "prefect-ops:site": "dev"}):
        client = fake(tags=tags)
        assert st.run(module, clients(client))["kept"] and mutating(client) == []
    assert module.warnings


def test_absent_deletes_only_its_own_topic():
    check = st.run(FakeModule(params(state="absent"), check_mode=True), clients(client := fake()))
    assert check["changed"] and check["topic"] is None and mutating(client) == []
    assert st.run(FakeModule(params(state="absent")), clients(client))["changed"]
    client.delete_topic.assert_called_once_with(TopicArn=ARN)
    gone = st.run(FakeModule(params(state="absent")), clients(client := fake(exists=False)))
    assert not gone["changed"] and mutating(client) == []
