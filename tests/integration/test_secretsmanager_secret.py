"""Module prefect_ops.ecs.secretsmanager_secret against moto (through the recording AWS proxy).

Why it exists: community.aws.secretsmanager_secret cancels a rotation it is not given (check mode included),
deletes a resource policy it is not given, and in check mode stops before returning the secret's tags when it
would change the policy; the prefect_api_secret role's ownership check read those tags, so it took over a foreign
secret with a resource policy. Each gap is asserted first (the test fails the day upstream fixes it), then ours.
"""
from __future__ import annotations

import json

from stacktools.ansible_run import run_module, run_playbook

MODULE = "prefect_ops.ecs.secretsmanager_secret"
OWNER = {"prefect-ops:managed-by": "prefect_ops.ecs"}
POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}


def actions(proxy, mark):
    return [c["action"] for c in proxy.mutating(mark)]


def tags(sm, name):
    return {t["Key"]: t["Value"] for t in sm.describe_secret(SecretId=name).get("Tags", [])}


def enable_rotation(sm, name):
    try:  # moto enables rotation, then fails to find the (absent) Lambda
        sm.rotate_secret(SecretId=name, RotationLambdaARN="arn:aws:lambda:us-east-1:123456789012:function:rotate",
                         RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    except sm.exceptions.ResourceNotFoundException:
        pass
    assert sm.describe_secret(SecretId=name)["RotationEnabled"] is True


def test_lifecycle_check_create_noop_value_tags_key_remove_restore(aws_proxy, aws, unique):
    sm = aws("secretsmanager", direct=True)
    name, site = f"prefect-ops/{unique}/PREFECT_API_KEY", unique
    first, second = f"pnu_{unique}FIRSTvalue", f"pnu_{unique}SECONDvalue"
    args = {"name": name, "site": site, "secret": first, "description": "the worker's key", "tags": {"team": "data"},
            "purge_tags": False}

    mark = aws_proxy.mark()
    check = run_module(MODULE, args, check=True, diff=True)
    assert check["changed"] and actions(aws_proxy, mark) == []
    assert check["secret"]["arn"].endswith(f":secret:{name}-??????") and check["value_changed"] is True
    assert check["diff"]["after"]["secret"]["secret"] == "(hidden)"

    created = run_module(MODULE, args)
    assert created["changed"] and created["value_changed"]
    described = sm.describe_secret(SecretId=name)
    assert created["secret"]["arn"] == described["ARN"]
    assert tags(sm, name) == {**OWNER, "prefect-ops:site": site, "team": "data"}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == first

    mark = aws_proxy.mark()
    again = run_module(MODULE, args)
    assert not again["changed"] and not again["value_changed"] and actions(aws_proxy, mark) == []
    assert again["secret"] == created["secret"]

    # A new value: check mode predicts it (the value hidden), the run writes it with one call.
    new = {**args, "secret": second}
    mark = aws_proxy.mark()
    check = run_module(MODULE, new, check=True, diff=True, verbosity=3)
    assert check["changed"] and check["value_changed"] and actions(aws_proxy, mark) == []
    assert first not in json.dumps(check) and second not in json.dumps(check)
    mark = aws_proxy.mark()
    written = run_module(MODULE, new)
    assert written["value_changed"] and actions(aws_proxy, mark) == ["UpdateSecret"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == second

    # Tags only: not a new value. Options not given (description, value, key) are left alone.
    mark = aws_proxy.mark()
    tagged = run_module(MODULE, {"name": name, "site": site, "tags": {"cost": "42"}, "purge_tags": False})
    assert tagged["changed"] and not tagged["value_changed"] and actions(aws_proxy, mark) == ["TagResource"]
    assert sm.describe_secret(SecretId=name)["Description"] == "the worker's key"

    # Another KMS key: the value is written again under it; then back to the AWS managed key, once.
    key = aws("kms", direct=True).create_key(Description=f"{unique} secret")["KeyMetadata"]["Arn"]
    rekey = run_module(MODULE, {**new, "kms_key_id": key})
    assert rekey["value_changed"] and sm.describe_secret(SecretId=name)["KmsKeyId"] == key
    assert rekey["secret"]["kms_key_id"] == key
    assert not run_module(MODULE, {**new, "kms_key_id": key})["changed"]
    back = run_module(MODULE, {**new, "kms_key_id": ""})
    assert back["changed"] and back["secret"]["kms_key_id"] is None
    assert sm.describe_secret(SecretId=name).get("KmsKeyId") in (None, "alias/aws/secretsmanager")
    assert not run_module(MODULE, {**new, "kms_key_id": ""})["changed"]

    # Removal: check mode deletes nothing; the run schedules the deletion; again is a no-op.
    gone = {"name": name, "site": site, "state": "absent", "recovery_window": 7}
    mark = aws_proxy.mark()
    assert run_module(MODULE, gone, check=True)["changed"] and actions(aws_proxy, mark) == []
    assert run_module(MODULE, gone)["changed"]
    assert sm.describe_secret(SecretId=name).get("DeletedDate") is not None
    mark = aws_proxy.mark()
    assert not run_module(MODULE, gone)["changed"] and actions(aws_proxy, mark) == []
    # present restores a secret of this site scheduled for deletion (check mode predicts it)
    mark = aws_proxy.mark()
    assert run_module(MODULE, new, check=True)["changed"] and actions(aws_proxy, mark) == []
    restored = run_module(MODULE, new)
    assert restored["changed"] and sm.describe_secret(SecretId=name).get("DeletedDate") is None
    assert run_module(MODULE, {**gone, "recovery_window": 0})["secret"] is None


def test_rotation_and_resource_policy_are_left_alone(aws_proxy, aws, unique):
    sm = aws("secretsmanager", direct=True)
    name, site, value = f"prefect-ops/{unique}/rotated", unique, f"pnu_{unique}ROT"
    sm.create_secret(Name=name, SecretString=value, Tags=[{"Key": k, "Value": v} for k, v in
                                                          {**OWNER, "prefect-ops:site": site}.items()])
    sm.put_resource_policy(SecretId=name, ResourcePolicy=json.dumps(POLICY))
    enable_rotation(sm, name)

    # The gap: the stock module, in check mode, cancels the rotation and returns no secret (it stopped early
    # because it would delete the policy).
    mark = aws_proxy.mark()
    stock = run_module("community.aws.secretsmanager_secret", {"name": name, "overwrite": False}, check=True)
    assert actions(aws_proxy, mark) == ["CancelRotateSecret"] and "secret" not in stock
    assert sm.describe_secret(SecretId=name).get("RotationEnabled") is False

    # Ours: check and apply of a new value touch neither the rotation nor the policy (nor read them).
    enable_rotation(sm, name)
    mark = aws_proxy.mark()
    check = run_module(MODULE, {"name": name, "site": site, "secret": value + "2"}, check=True)
    assert check["value_changed"] and actions(aws_proxy, mark) == []
    ours = run_module(MODULE, {"name": name, "site": site, "secret": value + "2"})
    assert ours["value_changed"] and actions(aws_proxy, mark) == ["UpdateSecret"]
    assert not [c for c in aws_proxy.aws_calls(mark) if "Rotat" in c["action"] or "ResourcePolicy" in c["action"]]
    assert json.loads(sm.get_resource_policy(SecretId=name)["ResourcePolicy"]) == POLICY
    assert sm.describe_secret(SecretId=name).get("RotationEnabled") is True

    # The stock module's write deletes the resource policy it was not given.
    mark = aws_proxy.mark()
    run_module("community.aws.secretsmanager_secret", {"name": name, "secret": value + "2"})
    assert "DeleteResourcePolicy" in actions(aws_proxy, mark)
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


def test_a_foreign_secret_is_refused_and_kept(aws_proxy, aws, unique):
    sm = aws("secretsmanager", direct=True)
    name = f"prefect-ops/{unique}/PREFECT_API_KEY"
    sm.create_secret(Name=name, SecretString="theirs", Tags=[{"Key": "owner", "Value": "team-x"}])
    sm.put_resource_policy(SecretId=name, ResourcePolicy=json.dumps(POLICY))
    mark = aws_proxy.mark()
    refused = run_module(MODULE, {"name": name, "site": unique, "secret": "ours"})
    assert refused.get("failed") and refused["owned"] is False
    assert "is not this run's" in refused["msg"] and "prefect-ops:site=" + unique in refused["msg"]
    kept = run_module(MODULE, {"name": name, "site": unique, "state": "absent"})
    assert not kept["changed"] and kept["kept"] and kept["owned"] is False
    # ... and a secret of another site is not this site's either
    other = run_module(MODULE, {"name": name, "site": unique + "-other", "state": "absent"})
    assert not other["changed"]
    assert actions(aws_proxy, mark) == []
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "theirs"
    assert tags(sm, name) == {"owner": "team-x"}
    assert json.loads(sm.get_resource_policy(SecretId=name)["ResourcePolicy"]) == POLICY


def test_bad_input_fails_before_any_aws_call_naming_the_option(aws_proxy, unique):
    cases = {
        "name": {"name": "bad name!", "secret": "x"},
        "kms_key_id": {"name": f"{unique}/k", "secret": "x", "kms_key_id": "not-a-key"},
        "recovery_window": {"name": f"{unique}/w", "state": "absent", "recovery_window": 3},
        "tags": {"name": f"{unique}/t", "secret": "x", "tags": {"aws:reserved": "1"}},
        "site": {"name": f"{unique}/s", "secret": "x", "site": " "},
    }
    play = [{"name": "bad input", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": field, MODULE: args, "ignore_errors": True} for field, args in cases.items()]}]
    mark = aws_proxy.mark()
    result = run_playbook(play, inventory="localhost,", args=["-c", "local"])
    assert aws_proxy.aws_calls(mark) == []
    for field in cases:
        res = result.task(field)
        assert res.get("failed") and f"{field}:" in res["msg"], (field, res.get("msg"))
