"""Role prefect_api_secret against the local stack (moto behind the recording proxy).

check on a fresh account predicts and mutates nothing -> apply creates -> apply again and check change
nothing (zero mutating AWS calls) -> a new value is reported (check) and written (apply) without ever
appearing in ansible-playbook's output, even at -vvv -> teardown removes only what the role created.
Cases run side by side as inventory hosts of the same ansible-playbook runs (one host per case).
"""
from __future__ import annotations

import fnmatch
import json

import yaml

from stacktools.ansible_run import run_playbook

ROLE = "prefect_ops.ecs.prefect_api_secret"
PUBLISH = "Publish the credential and what this role changed"
PLAY = [{"name": "prefect_api_secret under test", "hosts": "all", "gather_facts": False, "roles": [{"role": ROLE}]}]


def inventory(tmp_path, hosts: dict, name="hosts.yml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}))
    return str(path)


def run(inv, *, check=False, env=None, args=None, json_output=True, extra=None):
    return run_playbook(PLAY, inventory=inv, check=check, env=env, args=args, json_output=json_output,
                        extra_vars=extra)


def ok(result):
    assert result.rc == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result


def facts(result, host) -> dict:
    res = result.task(PUBLISH, host)
    if "ansible_facts" in res:
        # the credential: the dict prefect_api_secret, keyed here by the names of its deprecated flat aliases, which
        # hold the same values (the role's change record is published by the same task)
        published = res["ansible_facts"]
        flat = {"prefect_api_secret_" + k: v for k, v in published["prefect_api_secret"].items()}
        assert {k: v for k, v in published.items() if k not in ("prefect_api_secret", "prefect_api_secret_changes")} == flat
        return flat
    raise AssertionError(f"{host}: nothing published")


def no_secret(result, *values):
    """The values appear nowhere in what ansible-playbook printed."""
    for value in values:
        assert value not in result.stdout, "a secret value was printed"
        assert value not in result.stderr, "a secret value was printed on stderr"


def test_check_apply_reapply_new_value_teardown_for_both_stores(aws_proxy, aws, tmp_path, unique):
    sm, ssm = aws("secretsmanager", direct=True), aws("ssm", direct=True)
    sm_name = f"prefect-ops/{unique}-sm/PREFECT_API_KEY"
    ssm_name = f"/prefect-ops/{unique}-ssm/PREFECT_API_AUTH_STRING"
    first = {"sm": f"pnu_{unique}FIRSTsecretVALUE", "ssm": f"admin:{unique}FIRSTssmVALUE"}
    second = {"sm": f"pnu_{unique}SECONDsecretVALUE", "ssm": f"admin:{unique}SECONDssmVALUE"}
    values = list(first.values()) + list(second.values())
    key = aws("kms", direct=True).create_key(Description=f"{unique} prefect credential")["KeyMetadata"]["Arn"]

    def hosts(value, name):
        return inventory(tmp_path, {
            # The documented default: the value comes from PREFECT_API_KEY (the environment, below), whose
            # presence selects kind api_key, stored in Secrets Manager.
            "sm": {"prefect_ecs_name": f"{unique}-sm", "prefect_api_secret_kms_key_arn": key},
            # As from Ansible Vault: the value is a variable, kind and store explicit.
            "ssm": {"prefect_ecs_name": f"{unique}-ssm", "prefect_api_secret_store": "ssm",
                    "prefect_api_secret_kind": "auth_string", "prefect_api_secret_value": value["ssm"]},
        }, name=name)

    inv, env = hosts(first, "first.yml"), {"PREFECT_API_KEY": first["sm"]}

    mark = aws_proxy.mark()
    check = ok(run(inv, check=True, env=env))
    assert aws_proxy.mutating(mark) == []
    predicted = {h: facts(check, h) for h in ("sm", "ssm")}
    assert predicted["sm"]["prefect_api_secret_arn"].endswith(f":secret:{sm_name}-??????")  # IAM wildcard form
    assert {h: (f["prefect_api_secret_kind"], f["prefect_api_secret_changed"]) for h, f in predicted.items()} == {
        "sm": ("api_key", True), "ssm": ("auth_string", True)}

    apply = ok(run(inv, env=env))
    assert apply.changed("sm") > 0 and apply.changed("ssm") > 0
    real = {h: facts(apply, h) for h in ("sm", "ssm")}
    described = sm.describe_secret(SecretId=sm_name)
    # Secrets Manager: the ARN the API returned (random suffix), matching the predicted wildcard form.
    assert real["sm"]["prefect_api_secret_arn"] == described["ARN"]
    assert fnmatch.fnmatchcase(real["sm"]["prefect_api_secret_arn"], predicted["sm"]["prefect_api_secret_arn"])
    assert {k: v for k, v in real["sm"].items() if k != "prefect_api_secret_arn"} == \
        {k: v for k, v in predicted["sm"].items() if k != "prefect_api_secret_arn"}
    # SSM: no random part, predicted exactly.
    account = aws("sts", direct=True).get_caller_identity()["Account"]
    assert real["ssm"] == predicted["ssm"]
    assert real["ssm"]["prefect_api_secret_arn"] == f"arn:aws:ssm:us-east-1:{account}:parameter{ssm_name}"

    assert sm.get_secret_value(SecretId=sm_name)["SecretString"] == first["sm"]
    # the customer key encrypts the secret and is published for the execution role's kms:Decrypt
    assert described["KmsKeyId"] == key == real["sm"]["prefect_api_secret_kms_key_arn"]
    assert real["ssm"]["prefect_api_secret_kms_key_arn"] == ""
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {
        "prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": f"{unique}-sm"}
    param = ssm.get_parameter(Name=ssm_name, WithDecryption=True)["Parameter"]
    assert (param["Type"], param["Value"]) == ("SecureString", first["ssm"])
    assert {t["Key"]: t["Value"] for t in ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=ssm_name)[
        "TagList"]} == {"prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": f"{unique}-ssm"}

    mark = aws_proxy.mark()
    again = ok(run(inv, env=env))
    assert again.changed() == 0 and aws_proxy.mutating(mark) == []
    assert {h: facts(again, h) for h in ("sm", "ssm")} == {h: {**real[h], "prefect_api_secret_changed": False}
                                                           for h in ("sm", "ssm")}
    mark = aws_proxy.mark()
    check = ok(run(inv, check=True, env=env, args=["--diff"]))
    assert check.changed() == 0 and aws_proxy.mutating(mark) == []
    no_secret(check, *values)
    no_secret(apply, *values)
    no_secret(again, *values)

    # New values: check mode reports them (one change per host, value hidden) and writes nothing ...
    inv, env = hosts(second, "second.yml"), {"PREFECT_API_KEY": second["sm"]}
    mark = aws_proxy.mark()
    check = ok(run(inv, check=True, env=env, args=["--diff"]))
    assert aws_proxy.mutating(mark) == []
    assert check.changed("sm") == 1 and check.changed("ssm") == 1
    assert all(facts(check, h)["prefect_api_secret_changed"] is True for h in ("sm", "ssm"))
    assert sm.get_secret_value(SecretId=sm_name)["SecretString"] == first["sm"]
    no_secret(check, *values)

    # ... and the real run writes them, printing no value even at -vvv (text output, every module's args).
    loud = run(inv, env=env, args=["-vvv", "--diff"], json_output=False)
    assert loud.rc == 0 and "failed=0" in loud.stdout, loud.stdout[-3000:]
    assert "Create the secret or update its value" in loud.stdout and "Create the parameter or update" in loud.stdout
    no_secret(loud, *values)
    assert sm.get_secret_value(SecretId=sm_name)["SecretString"] == second["sm"]
    assert ssm.get_parameter(Name=ssm_name, WithDecryption=True)["Parameter"]["Value"] == second["ssm"]

    # Teardown removes what the role created (the secret scheduled within its recovery window), then is a no-op.
    down = ok(run(inv, env=env, extra={"prefect_api_secret_state": "absent"}))
    assert down.changed("sm") == 1 and down.changed("ssm") == 1
    assert sm.describe_secret(SecretId=sm_name).get("DeletedDate") is not None
    assert ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [ssm_name]}])["Parameters"] == []
    mark = aws_proxy.mark()
    ok(run(inv, env=env, extra={"prefect_api_secret_state": "absent"}))
    assert aws_proxy.mutating(mark) == []


def test_a_new_kms_key_re_encrypts_an_existing_parameter(aws_proxy, aws, tmp_path, unique):
    """community.aws.ssm_parameter never compares the KMS key of an existing parameter (the gap: asserted first,
    so this fails the day upstream fixes it); the role does, and writes the value again under the wanted key."""
    ssm = aws("ssm", direct=True)
    name, value = f"/prefect-ops/{unique}/PREFECT_API_AUTH_STRING", f"admin:{unique}KMSvalue"
    key = aws("kms", direct=True).create_key(Description=f"{unique} rekey")["KeyMetadata"]["Arn"]

    def key_id():
        return ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]["KeyId"]

    def hosts(kms):
        return inventory(tmp_path, {"site": {
            "prefect_ecs_name": unique, "prefect_api_secret_store": "ssm", "prefect_api_secret_name": name,
            "prefect_api_secret_kind": "auth_string", "prefect_api_secret_value": value,
            "prefect_api_secret_kms_key_arn": kms}}, name=f"{'kms' if kms else 'default'}.yml")

    ok(run(hosts("")))
    assert key_id() == "alias/aws/ssm"

    # The stock module, asked for the same value under another key, reports ok and leaves the key.
    stock = [{"name": "stock ssm_parameter", "hosts": "all", "gather_facts": False, "tasks": [{
        "name": "Same value, another key", "no_log": True, "community.aws.ssm_parameter": {
            "name": name, "state": "present", "string_type": "SecureString", "value": value, "key_id": key}}]}]
    mark = aws_proxy.mark()
    gap = ok(run_playbook(stock, inventory=hosts("")))
    assert gap.changed() == 0 and aws_proxy.mutating(mark) == [] and key_id() == "alias/aws/ssm"

    # The role: check mode predicts the change and writes nothing; the run re-encrypts; a re-run is a no-op.
    inv = hosts(key)
    mark = aws_proxy.mark()
    check = ok(run(inv, check=True))
    assert aws_proxy.mutating(mark) == [] and key_id() == "alias/aws/ssm"
    assert facts(check, "site")["prefect_api_secret_changed"] is True
    mark = aws_proxy.mark()
    apply = ok(run(inv))
    assert [c["action"] for c in aws_proxy.mutating(mark)] == ["PutParameter"]
    assert key_id() == key and facts(apply, "site")["prefect_api_secret_kms_key_arn"] == key
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == value
    mark = aws_proxy.mark()
    again = ok(run(inv))
    assert again.changed() == 0 and aws_proxy.mutating(mark) == []

    # Back to the AWS managed key, the same way.
    back = ok(run(hosts("")))
    assert back.changed() >= 1 and key_id() == "alias/aws/ssm"
    ok(run(hosts(""), extra={"prefect_api_secret_state": "absent"}))
    assert ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"] == []


def test_back_to_the_aws_managed_key_converges_once(aws_proxy, aws, tmp_path, unique):
    """community.aws.secretsmanager_secret, given no kms_key_id for a secret under a customer key, updates it on every
    run and never changes its key (the gap: asserted first); the role (prefect_ops.ecs.secretsmanager_secret) converges once."""
    sm = aws("secretsmanager", direct=True)
    name, value = f"prefect-ops/{unique}/PREFECT_API_KEY", f"pnu_{unique}MANAGEDkeyVALUE"
    key = aws("kms", direct=True).create_key(Description=f"{unique} back")["KeyMetadata"]["Arn"]

    def hosts(kms):
        return inventory(tmp_path, {"site": {
            "prefect_ecs_name": unique, "prefect_api_secret_name": name, "prefect_api_secret_kind": "api_key",
            "prefect_api_secret_value": value, "prefect_api_secret_kms_key_arn": kms}},
            name=f"{'kms' if kms else 'managed'}.yml")

    def key_id():
        return sm.describe_secret(SecretId=name).get("KmsKeyId")

    ok(run(hosts(key)))
    assert key_id() == key

    stock = [{"name": "stock secretsmanager_secret", "hosts": "all", "gather_facts": False, "tasks": [{
        "name": "Same value, no key", "no_log": True, "community.aws.secretsmanager_secret": {
            "name": name, "state": "present", "secret": value}}]}]
    for attempt in range(2):
        gap = ok(run_playbook(stock, inventory=hosts("")))
        assert gap.changed() == 1 and key_id() == key, f"stock run {attempt + 1}"

    inv = hosts("")
    mark = aws_proxy.mark()
    check = ok(run(inv, check=True))
    assert aws_proxy.mutating(mark) == [] and key_id() == key
    assert facts(check, "site")["prefect_api_secret_changed"] is True
    apply = ok(run(inv))
    assert key_id() in (None, "alias/aws/secretsmanager")  # AWS omits the managed key; moto returns the alias
    assert facts(apply, "site")["prefect_api_secret_changed"] is True
    assert sm.get_secret_value(SecretId=name)["SecretString"] == value
    mark = aws_proxy.mark()
    again = ok(run(inv))
    assert again.changed() == 0 and aws_proxy.mutating(mark) == []
    ok(run(inv, extra={"prefect_api_secret_state": "absent", "prefect_api_secret_recovery_window_days": 0}))


def test_adopted_and_foreign_secrets_are_never_changed_or_removed(aws_proxy, aws, tmp_path, unique):
    sm = aws("secretsmanager", direct=True)
    theirs = sm.create_secret(Name=f"{unique}/their-key", SecretString="their-value")["ARN"]
    # A secret with the name the role would manage, but not created by it (no ownership tags), with a resource
    # policy: community.aws.secretsmanager_secret's check-mode read returned no tags for it, so the role took it over.
    squatted = f"prefect-ops/{unique}-foreign/PREFECT_API_KEY"
    squatted_arn = sm.create_secret(Name=squatted, SecretString="someone-elses")["ARN"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    sm.put_resource_policy(SecretId=squatted, ResourcePolicy=policy)
    inv = inventory(tmp_path, {
        "adopted": {"prefect_ecs_name": f"{unique}-adopted", "prefect_api_secret_arn": theirs,
                    "prefect_api_secret_kind": "auth_string"},
        "foreign": {"prefect_ecs_name": f"{unique}-foreign"},
    })
    env = {"PREFECT_API_KEY": f"pnu_{unique}"}

    mark = aws_proxy.mark()
    apply = run(inv, env=env)
    assert aws_proxy.mutating(mark) == []
    # adopted: published as given, not even read
    assert facts(apply, "adopted") == {"prefect_api_secret_arn": theirs, "prefect_api_secret_kind": "auth_string",
                                       "prefect_api_secret_kms_key_arn": "", "prefect_api_secret_changed": False}
    assert not [c for c in aws_proxy.aws_calls(mark) if theirs in json.dumps(c["params"])]
    # foreign: refused, with the way to adopt it
    assert apply.stats["foreign"]["failures"] == 1 and apply.stats["adopted"]["failures"] == 0
    refusal = json.dumps([t for t in apply.tasks() if t["host"] == "foreign" and t.get("failed")])
    assert "prefect_api_secret_arn" in refusal and squatted_arn in refusal

    mark = aws_proxy.mark()
    ok(run(inv, env=env, extra={"prefect_api_secret_state": "absent"}))
    assert aws_proxy.mutating(mark) == []
    for arn, value in ((theirs, "their-value"), (squatted_arn, "someone-elses")):
        assert sm.describe_secret(SecretId=arn).get("DeletedDate") is None
        assert sm.get_secret_value(SecretId=arn)["SecretString"] == value
        assert not sm.describe_secret(SecretId=arn).get("Tags")
    assert json.loads(sm.get_resource_policy(SecretId=squatted)["ResourcePolicy"]) == json.loads(policy)


def test_bad_input_fails_before_any_change_naming_the_variable(aws_proxy, tmp_path, unique):
    cases = {
        "misspelt": ({"prefect_api_secret_sotre": "ssm"}, ["prefect_api_secret_sotre", "prefect_api_secret_store"]),
        "no-value": ({"prefect_api_secret_value": ""}, ["prefect_api_secret_value", "PREFECT_API_KEY"]),
        "kms-alias": ({"prefect_api_secret_kms_key_arn": "alias/prefect"}, ["prefect_api_secret_kms_key_arn"]),
        "arn-without-suffix": ({"prefect_api_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:mykey"},
                               ["prefect_api_secret_arn"]),
        "bad-store": ({"prefect_api_secret_store": "vault"}, ["prefect_api_secret_store"]),
        "suffix-like-name": ({"prefect_api_secret_name": "prefect/ends-in-abcdef"}, ["prefect_api_secret_name"]),
        "window": ({"prefect_api_secret_recovery_window_days": 3}, ["prefect_api_secret_recovery_window_days"]),
    }
    inv = inventory(tmp_path, {name: {"prefect_ecs_name": f"{unique}-{name}", **case_vars}
                               for name, (case_vars, _expected) in cases.items()})
    mark = aws_proxy.mark()
    result = run(inv, env={"PREFECT_API_KEY": f"pnu_{unique}"})
    assert aws_proxy.mutating(mark) == []
    for name, (_case_vars, expected) in cases.items():
        failed = [t for t in result.tasks() if t["host"] == name and t.get("failed")]
        assert failed, f"{name}: did not fail"
        text = json.dumps(failed)
        for needle in expected:
            assert needle in text, f"{name}: {needle!r} not in {text[-1500:]}"
