"""Unit tests of the per-host context (plugins/module_utils/site_context.py, plugins/action/site_context.py):
region, AWS identity and Prefect API of one host from its variables and the run's environment, the module defaults
that carry them, the objects a host claims and the conflicts between hosts (no AWS: STS is patched)."""
from __future__ import annotations

import types

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import site_context as ctx

ENV = {"AWS_REGION": "us-east-1", "PREFECT_API_URL": "http://a.example:4200/api", "PREFECT_API_AUTH_STRING": "admin:a"}
ROLE = "arn:aws:iam::111111111111:role/deployer"


def plan(env=None, **settings):
    settings.setdefault("name", "site")
    return ctx.plan(settings, ENV if env is None else env, "h1")


def problems_of(env=None, **settings):
    return plan(env, **settings)[1]


def test_region_is_the_host_variable_else_aws_region_else_aws_default_region():
    assert plan(region="eu-west-1")[0]["region"] == "eu-west-1"
    assert plan()[0]["region"] == "us-east-1"
    assert plan(env={"AWS_DEFAULT_REGION": "us-west-2"})[0]["region"] == "us-west-2"
    assert plan(env={"AWS_REGION": "", "AWS_DEFAULT_REGION": "ap-south-1"})[0]["region"] == "ap-south-1"


def test_a_host_without_region_fails_naming_the_host_and_the_fix():
    problems = problems_of(env={})
    assert len(problems) == 1
    assert problems[0].startswith("host h1 has no AWS region") and "prefect_ecs_region" in problems[0]
    assert "host_vars/h1" in problems[0]


@pytest.mark.parametrize("region", ["eu-west", "EU-WEST-1", "euwest1", "us-east-1 "])
def test_a_malformed_region_is_refused_naming_where_it_came_from(region):
    problems = problems_of(region=region.strip() + ("x" if region.endswith(" ") else ""))
    assert problems and "prefect_ecs_region must be an AWS region" in problems[0]
    problems = problems_of(env={"AWS_REGION": "nowhere"})
    assert problems and "AWS_REGION must be an AWS region" in problems[0]


def test_the_site_name_must_be_set_and_well_formed():
    assert "prefect_ecs_name must be set" in plan(name="")[1][0]
    assert "prefect_ecs_name must be set" in plan(name="-x")[1][0]
    assert plan(name="a" * 64)[1] == []


def test_identity_environment_profile_and_role_become_module_defaults():
    p = plan()[0]
    assert ctx.aws_module_defaults(p["region"], p["identity"]) == {"region": "us-east-1"}
    p = plan(aws_profile="prod")[0]
    # "" stops amazon.aws's environment fallback to AWS_ACCESS_KEY_ID & co, which would clash with a profile
    assert ctx.aws_module_defaults(p["region"], p["identity"]) == {
        "region": "us-east-1", "profile": "prod", "access_key": "", "secret_key": "", "session_token": ""}
    p = plan(aws_role_arn=ROLE, aws_profile="base")[0]
    creds = {"AccessKeyId": "ASIA1", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "later"}
    assert ctx.aws_module_defaults(p["region"], p["identity"], creds) == {
        "region": "us-east-1", "profile": "", "access_key": "ASIA1", "secret_key": "s", "session_token": "t"}
    assert ctx.identity_text(p["identity"]) == f"role {ROLE} assumed with profile base"


def test_role_options_are_checked_and_only_apply_with_a_role():
    p, problems = plan(aws_role_arn=ROLE)
    assert problems == [] and p["identity"]["session_name"] == "prefect-ops-h1" and p["identity"]["duration"] == 3600
    assert "must be the ARN of an IAM role" in plan(aws_role_arn="arn:aws:iam::1:user/x")[1][0]
    assert "only applies with prefect_ecs_aws_role_arn" in plan(aws_external_id="xyz")[1][0]
    assert "2-64" in plan(aws_role_arn=ROLE, aws_role_session_name="a b")[1][0]
    assert "900-43200" in plan(aws_role_arn=ROLE, aws_role_duration="60")[1][0]
    assert "900-43200" in plan(aws_role_arn=ROLE, aws_role_duration="soon")[1][0]
    assert plan(aws_role_arn=ROLE, aws_role_duration=7200)[0]["identity"]["duration"] == 7200
    assert "prefect_ecs_aws_external_id must be 2-1224" in plan(aws_role_arn=ROLE, aws_external_id="x")[1][0]


def test_session_name_default_keeps_to_what_sts_accepts():
    assert ctx.default_session_name("prod eu/1") == "prefect-ops-prod-eu-1"
    assert len(ctx.default_session_name("h" * 100)) == 64


def test_prefect_api_and_credential_from_the_environment():
    p, problems = plan()
    assert problems == []
    assert (p["api_url"], p["api_auth"], p["credential"]) == ("http://a.example:4200/api", "auth_string", "admin:a")
    assert ctx.prefect_module_defaults(p["api_url"], p["api_auth"], p["credential"]) == {
        "api_url": "http://a.example:4200/api", "api_key": "", "auth_string": "admin:a"}
    p = plan(env=dict(ENV, PREFECT_API_KEY="pnu_k"))[0]
    assert (p["api_auth"], p["credential"]) == ("api_key", "pnu_k")


def test_the_environments_credential_is_never_sent_to_another_server():
    p, problems = plan(api_url="https://b.example/api")
    assert problems == [] and p["api_url"] == "https://b.example/api" and p["credential"] == ""
    # the same server, written differently, keeps the environment's credential
    p = plan(api_url="HTTP://A.example:4200/api/")[0]
    assert p["credential"] == "admin:a"
    # no PREFECT_API_URL in the environment: its credential goes with the host's URL
    p = plan(env={"AWS_REGION": "us-east-1", "PREFECT_API_KEY": "k"}, api_url="https://b.example/api")[0]
    assert (p["api_auth"], p["credential"]) == ("api_key", "k")


def test_a_credential_from_a_named_environment_variable_or_from_vault():
    env = dict(ENV, PREFECT_API_KEY_PROD="pnu_prod")
    p, problems = plan(env=env, api_url="https://api.prefect.cloud/api/accounts/a/workspaces/w",
                       api_key_env="PREFECT_API_KEY_PROD")
    assert problems == [] and (p["api_auth"], p["credential"]) == ("api_key", "pnu_prod")
    p, problems = plan(api_url="https://b.example/api", api_auth_string="u:p")
    assert problems == [] and (p["api_auth"], p["credential"]) == ("auth_string", "u:p")
    problems = problems_of(api_url="https://b.example/api", api_key_env="NOT_SET_ANYWHERE")
    assert problems and "NOT_SET_ANYWHERE" in problems[0] and "prefect_ecs_api_key_env" in problems[0]
    problems = problems_of(api_key_env="1BAD")
    assert "must be the name of an environment variable" in problems[0]


def test_auth_none_carries_no_credential_and_an_explicit_kind_needs_its_value():
    p, problems = plan(api_auth="none")
    assert problems == [] and p["api_auth"] == "none" and p["credential"] == ""
    assert ctx.prefect_module_defaults(p["api_url"], "none", "") == {
        "api_url": "http://a.example:4200/api", "api_key": "", "auth_string": ""}
    assert "is none (authentication off), but a credential is set" in plan(api_auth="none", api_key="k")[1][0]
    problems = problems_of(api_auth="api_key")
    assert problems and "prefect_ecs_api_key is empty" in problems[0]
    assert "must be api_key" in plan(api_auth="basic")[1][0]


def test_a_bad_api_url_is_refused():
    assert "must be an http(s) URL" in plan(api_url="prefect.example/api")[1][0]
    assert "(from PREFECT_API_URL)" in plan(env=dict(ENV, PREFECT_API_URL="localhost:4200"))[1][0]


def test_ui_url_of_a_server_and_of_a_cloud_workspace():
    assert ctx.ui_url("http://127.0.0.1:4200/api/") == "http://127.0.0.1:4200"
    assert ctx.ui_url("https://api.prefect.cloud/api/accounts/A/workspaces/W") == \
        "https://app.prefect.cloud/account/A/workspace/W"


def test_caller_arns_give_partition_and_account():
    assert ctx.parse_caller_arn("arn:aws-us-gov:sts::123456789012:assumed-role/r/s") == ("aws-us-gov", "123456789012")
    assert ctx.parse_caller_arn("arn:aws:iam::210987654321:user/u") == ("aws", "210987654321")
    with pytest.raises(ValueError):
        ctx.parse_caller_arn("arn:aws:sts::12:x")


def test_claims_and_conflicts_name_both_hosts_once_per_set_of_hosts():
    url = "http://a.example:4200/api"
    claims = {
        "a": ctx.claims("s", "us-east-1", "1", "aws", url, ["s", "s-dev"]),
        "b": ctx.claims("s", "us-east-1", "1", "aws", "HTTP://A.EXAMPLE:4200/api/", ["s"]),  # same site, same server
        "c": ctx.claims("s", "us-east-1", "2", "aws", "http://c.example/api", ["s"]),  # another account and server
        "d": ctx.claims("t", "eu-west-1", "1", "aws", url, ["s-dev"]),  # another site, one pool on a's server
    }
    a = ctx.conflicts(claims, "a")
    assert a == [
        "hosts a and b would both manage the site s in AWS account 1 (aws), region us-east-1; the work pool s on "
        "http://a.example:4200/api: give each environment its own prefect_ecs_name (or work pool names), or put "
        "them in different regions, AWS accounts or Prefect workspaces",
        "hosts a and d would both manage the work pool s-dev on http://a.example:4200/api: give each environment its "
        "own prefect_ecs_name (or work pool names), or put them in different regions, AWS accounts or Prefect "
        "workspaces"]
    assert ctx.conflicts(claims, "c") == []
    assert len(ctx.conflicts(claims, "b")) == 1 and ctx.conflicts(claims, "b")[0].startswith("hosts a and b")
    three = dict(claims, e=claims["b"])
    assert ctx.conflicts(three, "b")[0].startswith("hosts a, b and e would all manage the site s")
    assert ctx.conflicts({"a": claims["a"]}, "a") == []  # --limit a: only the hosts of the run


def test_build_the_context():
    p = plan(aws_role_arn=ROLE, region="eu-west-1", api_auth="none")[0]
    creds = {"AccessKeyId": "ASIA1", "SecretAccessKey": "s", "SessionToken": "t"}
    out = ctx.build(p, "aws", "111111111111", "arn:aws:sts::111111111111:assumed-role/deployer/x", creds, ["site"])
    assert out["region"] == "eu-west-1" and out["account"] == "111111111111" and out["partition"] == "aws"
    assert out["aws"]["access_key"] == "ASIA1" and out["prefect"]["auth_string"] == ""
    assert out["claims"] == ["site site in AWS account 111111111111 (aws), region eu-west-1",
                             "work pool site on http://a.example:4200/api"]
    assert out["ui_url"] == "http://a.example:4200" and out["api_auth"] == "none"


# -- the action plugin (STS patched) -------------------------------------------------------------------------

class FakeSTS:
    def __init__(self, calls):
        self.calls = calls

    def assume_role(self, **kwargs):
        self.calls.append(("AssumeRole", kwargs))
        account = kwargs["RoleArn"].split(":")[4]
        return {"AssumedRoleUser": {"Arn": f"arn:aws:sts::{account}:assumed-role/r/{kwargs['RoleSessionName']}"},
                "Credentials": {"AccessKeyId": "ASIAX", "SecretAccessKey": "sk", "SessionToken": "st",
                                "Expiration": "2026-12-02T00:00:00Z"}}

    def get_caller_identity(self):
        self.calls.append(("GetCallerIdentity", {}))
        return {"Arn": "arn:aws:iam::123456789012:user/ci"}


@pytest.fixture()
def action(monkeypatch):
    from ansible.playbook.task import Task
    from ansible.template import Templar
    from ansible.parsing.dataloader import DataLoader

    from ansible_collections.prefect_ops.ecs.plugins.action import site_context as plugin

    calls, sessions = [], []

    class Session:
        def __init__(self, profile_name=None, region_name=None):
            sessions.append((profile_name, region_name))

        def client(self, service, config=None):
            assert service == "sts" and config.retries["mode"] == "standard"
            return FakeSTS(calls)

    monkeypatch.setattr(plugin.boto3.session, "Session", Session)
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_API_AUTH_STRING"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PREFECT_API_URL", "http://a.example/api")
    monkeypatch.setenv("PREFECT_API_AUTH_STRING", "admin:a")

    def run(host_vars, args=None, check=False):
        task = Task()
        task.args = args or {}
        task.check_mode = check
        loader = DataLoader()
        task_vars = dict(host_vars, inventory_hostname="h1")
        connection = types.SimpleNamespace(_shell=types.SimpleNamespace(tmpdir=None))
        act = plugin.ActionModule(task, connection=connection, play_context=None, loader=loader,
                                  templar=Templar(loader=loader, variables=task_vars), shared_loader_obj=None)
        return act.run(task_vars=task_vars)
    run.calls, run.sessions = calls, sessions
    return run


def test_action_assumes_the_role_once_and_hides_its_result(action):
    res = action({"prefect_ecs_name": "s", "prefect_ecs_region": "eu-west-1", "prefect_ecs_aws_role_arn": ROLE,
                  "prefect_ecs_aws_external_id": "ext-id"}, args={"pools": ["s"]})
    assert not res.get("failed"), res
    assert res["_ansible_no_log"] is True and res["changed"] is False
    assert [c[0] for c in action.calls] == ["AssumeRole"]
    assert action.calls[0][1] == {"RoleArn": ROLE, "RoleSessionName": "prefect-ops-h1", "DurationSeconds": 3600,
                                  "ExternalId": "ext-id"}
    assert action.sessions == [(None, "eu-west-1")]
    assert res["account"] == "111111111111" and res["aws"]["session_token"] == "st"
    assert res["prefect"] == {"api_url": "http://a.example/api", "api_key": "", "auth_string": "admin:a"}


def test_action_without_a_role_reads_the_caller_identity_with_the_profile(action):
    res = action({"prefect_ecs_name": "s", "prefect_ecs_region": "eu-west-1", "prefect_ecs_aws_profile": "p"})
    assert [c[0] for c in action.calls] == ["GetCallerIdentity"] and action.sessions == [("p", "eu-west-1")]
    assert res["account"] == "123456789012" and res["aws"]["profile"] == "p"


def test_action_refuses_a_misspelt_variable_and_a_missing_region_before_any_call(action):
    res = action({"prefect_ecs_name": "s", "prefect_ecs_aws_role_arm": ROLE})
    assert res["failed"] and action.calls == []
    assert "prefect_ecs_aws_role_arm (did you mean prefect_ecs_aws_role_arn?)" in res["msg"]
    assert "host h1 has no AWS region" in res["msg"]
    assert "_ansible_no_log" not in res  # a failure says what to fix


def test_action_reports_an_sts_failure_naming_the_host(action, monkeypatch):
    import botocore.exceptions

    def denied(self, **kwargs):
        raise botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "AssumeRole")
    monkeypatch.setattr(FakeSTS, "assume_role", denied)
    res = action({"prefect_ecs_name": "s", "prefect_ecs_region": "eu-west-1", "prefect_ecs_aws_role_arn": ROLE})
    assert res["failed"] and res["msg"].startswith(f"host h1: could not assume {ROLE}")
    assert "AccessDenied" in res["msg"]


def test_action_keeps_the_context_a_host_has_from_an_earlier_play_without_a_call(action):
    first = action({"prefect_ecs_name": "s", "prefect_ecs_region": "eu-west-1"})
    assert [c[0] for c in action.calls] == ["GetCallerIdentity"]
    again = action({"prefect_ecs_name": "s", "prefect_ecs_region": "eu-west-1", "prefect_ecs_context": first})
    assert len(action.calls) == 1, "no second STS call"
    assert again["reused"] is True and again["_ansible_no_log"] is True
    assert {k: again[k] for k in ("aws", "prefect", "account", "region", "claims")} == {
        k: first[k] for k in ("aws", "prefect", "account", "region", "claims")}
    # a failed earlier attempt is not kept
    action({"prefect_ecs_name": "s", "prefect_ecs_region": "eu-west-1", "prefect_ecs_context": {"failed": True}})
    assert len(action.calls) == 2
