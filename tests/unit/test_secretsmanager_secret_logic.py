"""Unit tests of secretsmanager_secret's logic (plugins/module_utils/secretsmanager_secret.py), with a fake client.

Input problems name the option and are found before any call; options not set are neither compared nor sent;
the AWS managed key compares equal in all its spellings; a foreign secret is refused with no mutating call; the
module's client retries throttling.
"""
from __future__ import annotations

from unittest import mock

import botocore.exceptions
import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_base
from ansible_collections.prefect_ops.ecs.plugins.module_utils import secretsmanager_secret as sms
from stacktools.fake_module import FakeModule

NAME = "prefect-ops/prod/PREFECT_API_KEY"
ARN = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{NAME}-AbCdEf"
OURS = [{"Key": "prefect-ops:managed-by", "Value": "prefect_ops.ecs"}, {"Key": "prefect-ops:site", "Value": "prod"}]
MUTATING = {"create_secret", "update_secret", "tag_resource", "untag_resource", "delete_secret", "restore_secret",
            "cancel_rotate_secret", "rotate_secret", "delete_resource_policy", "put_resource_policy"}


def params(**over):
    base = {key: spec.get("default") for key, spec in sms.argument_spec().items()}
    base.update(name=NAME, site="prod")
    base.update(over)
    return base


def fake(value="v1", tags=None, **described):
    client = mock.Mock()
    client.describe_secret.return_value = {"ARN": ARN, "Name": NAME, "Tags": OURS if tags is None else tags, **described}
    client.get_secret_value.return_value = {"SecretString": value}
    return client


def clients(client):
    sts = mock.Mock()
    sts.get_caller_identity.return_value = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/x"}
    return {"sts": sts, "secretsmanager": client}


def mutating(client):
    return [name for name, dummy, dummy in client.mock_calls if name in MUTATING]


@pytest.mark.parametrize("over, field", [
    ({"name": "has space"}, "name:"), ({"kms_key_id": "key"}, "kms_key_id:"), ({"secret": ""}, "secret:"),
    ({"state": "absent", "recovery_window": 31}, "recovery_window:"), ({"tags": {"aws:x": "1"}}, "tags:"),
    ({"site": ""}, "site:"), ({"tags": {"prefect-ops:site": "dev"}}, "tags:"),
    # Secrets Manager reports the key ARN: a key ID or alias would be a difference on every run
    ({"kms_key_id": "alias/prefect"}, "kms_key_id:"), ({"kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab"}, "kms_key_id:"),
    ({"kms_key_id": "arn:aws:kms:us-east-1:123456789012:alias/prefect"}, "kms_key_id:"),
])
def test_bad_input_names_the_option_before_any_call(over, field):
    client = fake()
    with pytest.raises(AssertionError, match=field):
        sms.run(FakeModule(params(**over)), clients(client))
    assert client.mock_calls == []


@pytest.mark.parametrize("current, wanted", [(None, ""), ("alias/aws/secretsmanager", ""), (None, "alias/aws/secretsmanager")])
def test_the_aws_managed_key_in_any_spelling_is_no_change(current, wanted):
    client = fake(**({"KmsKeyId": current} if current else {}))
    result = sms.run(FakeModule(params(secret="v1", kms_key_id=wanted)), clients(client))
    assert not result["changed"] and mutating(client) == [] and result["secret"]["kms_key_id"] is None


def test_options_not_set_are_not_compared_or_sent():
    client = fake(value="something else", Description="theirs", KmsKeyId="arn:aws:kms:us-east-1:123456789012:key/k")
    result = sms.run(FakeModule(params()), clients(client))
    assert not result["changed"] and mutating(client) == [] and client.get_secret_value.call_count == 0
    assert result["secret"]["description"] == "theirs"


def test_a_new_key_writes_the_value_again_in_one_call_and_check_mode_predicts_it():
    key = "arn:aws:kms:us-east-1:123456789012:key/new"
    check = sms.run(FakeModule(params(secret="v1", kms_key_id=key), check_mode=True), clients(client := fake()))
    assert check["changed"] and check["value_changed"] and mutating(client) == []
    result = sms.run(FakeModule(params(secret="v1", kms_key_id=key)), clients(client := fake()))
    client.update_secret.assert_called_once_with(SecretId=ARN, KmsKeyId=key, SecretString="v1")
    assert result["value_changed"] and result["secret"]["kms_key_id"] == key
    assert result["diff"]["after"] == {"secret": {"kms_key_id": key}}


def test_a_foreign_or_other_sites_secret_is_refused_without_a_change():
    for tags in ([], [OURS[0]], [OURS[0], {"Key": "prefect-ops:site", "Value": "dev"}]):
        client = fake(tags=tags)
        with pytest.raises(AssertionError, match="is not this run's"):
            sms.run(FakeModule(params(secret="v2")), clients(client))
        assert mutating(client) == [] and client.get_secret_value.call_count == 0
        module = FakeModule(params(state="absent"))
        assert sms.run(module, clients(client))["kept"] and mutating(client) == [] and module.warnings


def test_a_new_secret_in_check_mode_gets_the_wildcard_arn():
    client = fake()
    client.describe_secret.side_effect = botocore.exceptions.ClientError(
        {"Error": {"Code": "ResourceNotFoundException"}}, "DescribeSecret")
    result = sms.run(FakeModule(params(secret="v1"), check_mode=True), clients(client))
    assert result["secret"]["arn"] == f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{NAME}-??????"
    assert mutating(client) == [] and result["value_changed"]
    with pytest.raises(AssertionError, match="secret: the secret .* does not exist; give its value"):
        sms.run(FakeModule(params(), check_mode=True), clients(client))


def test_the_modules_client_retries_throttling():
    raw = fake()
    raw.describe_secret.side_effect = [botocore.exceptions.ClientError(
        {"Error": {"Code": "ThrottlingException"}}, "DescribeSecret"), raw.describe_secret.return_value]
    with mock.patch("time.sleep"):
        result = sms.run(FakeModule(params(secret="v1")), clients(aws_base.RetryingClient(raw)))
    assert not result["changed"] and raw.describe_secret.call_count == 2
