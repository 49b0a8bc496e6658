"""Module prefect_ops.ecs.cloudwatch_log_group and role ecs_log_groups against moto (through the recording proxy).

Why the module exists: amazon.aws.cloudwatchlogs_log_group has no notion of ownership (given the ownership tags it
puts them on a group someone else created, and the role's teardown then deleted that group with its events) and
never compares the KMS key of an existing group. Each gap is asserted first (the test fails the day upstream fixes
it), then ours. moto has no AssociateKmsKey, so changing the key of an existing group is covered by the unit tests
(tests/unit/test_cloudwatch_log_group_logic.py); here a key given at creation and an unchanged key are.
"""
from __future__ import annotations

from stacktools.ansible_run import run_module, run_playbook

MODULE = "prefect_ops.ecs.cloudwatch_log_group"
OWNER = {"prefect-ops:managed-by": "prefect_ops.ecs"}


def actions(proxy, mark):
    return [c["action"] for c in proxy.mutating(mark)]


def group(logs, name):
    found = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
    return found[0] if found else None


def test_lifecycle_check_create_noop_retention_tags_remove(aws_proxy, aws, unique):
    logs = aws("logs", direct=True)
    key = aws("kms", direct=True).create_key(Description=f"{unique} logs")["KeyMetadata"]["Arn"]
    name, site = f"/prefect/{unique}/worker", unique
    args = {"name": name, "site": site, "retention": 30, "kms_key_id": key, "tags": {"team": "data"}, "purge_tags": False}

    mark = aws_proxy.mark()
    check = run_module(MODULE, args, check=True, diff=True)
    assert check["changed"] and actions(aws_proxy, mark) == [] and group(logs, name) is None
    assert check["log_group"]["arn"].endswith(f":log-group:{name}:*")
    assert check["diff"]["after"]["log group"]["retention"] == 30

    created = run_module(MODULE, args)
    assert created["changed"] and created["owned"]
    found = group(logs, name)
    assert (found["retentionInDays"], found.get("kmsKeyId")) == (30, key)
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {**OWNER, "prefect-ops:site": site, "team": "data"}
    assert created["log_group"] == {**check["log_group"], "arn": found["arn"]}

    mark = aws_proxy.mark()
    again = run_module(MODULE, args)
    assert not again["changed"] and actions(aws_proxy, mark) == []

    # Retention and a tag: check mode predicts, the run makes exactly those calls; unset options are not touched.
    change = {"name": name, "site": site, "retention": 7, "tags": {"cost": "1"}, "purge_tags": False}
    mark = aws_proxy.mark()
    check = run_module(MODULE, change, check=True, diff=True)
    assert check["changed"] and actions(aws_proxy, mark) == []
    assert check["diff"] == {"before": {"log group": {"retention": 30, "tags": {}}},
                             "after": {"log group": {"retention": 7, "tags": {"cost": "1"}}}}
    mark = aws_proxy.mark()
    assert run_module(MODULE, change)["changed"]
    assert sorted(actions(aws_proxy, mark)) == ["PutRetentionPolicy", "TagLogGroup"]
    assert group(logs, name).get("kmsKeyId") == key
    mark = aws_proxy.mark()
    forever = run_module(MODULE, {"name": name, "site": site, "retention": 0}, check=True)
    assert forever["changed"] and forever["log_group"]["retention"] is None and actions(aws_proxy, mark) == []

    gone = {"name": name, "site": site, "state": "absent"}
    mark = aws_proxy.mark()
    assert run_module(MODULE, gone, check=True)["changed"] and actions(aws_proxy, mark) == []
    assert run_module(MODULE, gone)["changed"] and group(logs, name) is None
    mark = aws_proxy.mark()
    assert not run_module(MODULE, gone)["changed"] and actions(aws_proxy, mark) == []


def test_a_group_made_by_hand_is_refused_or_adopted_and_never_deleted(aws_proxy, aws, unique):
    logs = aws("logs", direct=True)
    name, site = f"/prefect/{unique}/worker", unique
    logs.create_log_group(logGroupName=name, tags={"owner": "team-x"})

    # The gap: the stock module, given the ownership tags, puts them on the group (the role's teardown then
    # deleted it), and never compares the KMS key of an existing group.
    key = aws("kms", direct=True).create_key(Description=f"{unique} logs")["KeyMetadata"]["Arn"]
    mark = aws_proxy.mark()
    stock = run_module("amazon.aws.cloudwatchlogs_log_group", {
        "log_group_name": name, "kms_key_id": key, "tags": {**OWNER, "prefect-ops:site": site}, "purge_tags": False},
        check=True)
    assert stock["changed"] and actions(aws_proxy, mark) == []
    mark = aws_proxy.mark()
    stock = run_module("amazon.aws.cloudwatchlogs_log_group", {"log_group_name": name, "kms_key_id": key})
    assert not stock["changed"] and actions(aws_proxy, mark) == [] and group(logs, name).get("kmsKeyId") is None

    mark = aws_proxy.mark()
    refused = run_module(MODULE, {"name": name, "site": site, "retention": 30})
    assert refused.get("failed") and refused["owned"] is False and "set adopt: true" in refused["msg"]
    adopted = run_module(MODULE, {"name": name, "site": site, "retention": 30, "adopt": True,
                                  "tags": {"team": "data"}, "purge_tags": False})
    assert adopted["changed"] and adopted["owned"] is False
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"owner": "team-x", "team": "data"}
    assert group(logs, name)["retentionInDays"] == 30
    kept = run_module(MODULE, {"name": name, "site": site, "state": "absent"})
    assert not kept["changed"] and kept["kept"] and group(logs, name) is not None
    assert "DeleteLogGroup" not in actions(aws_proxy, mark)

    # The role adopts it the same way: converge, then teardown, and the group is still there.
    play = [{"hosts": "localhost", "gather_facts": False, "vars": {"prefect_ecs_name": site},
             "roles": [{"role": "prefect_ops.ecs.ecs_log_groups"}]}]
    up = run_playbook(play, inventory="localhost,", args=["-c", "local"])
    assert up.rc == 0, up.stdout[-3000:]
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"owner": "team-x", "team": "data"}
    assert logs.list_tags_log_group(logGroupName=f"/prefect/{site}/flow-runs")["tags"] == {
        **OWNER, "prefect-ops:site": site}
    down = run_playbook(play, inventory="localhost,", args=["-c", "local"],
                        extra_vars={"ecs_log_groups_state": "absent"})
    assert down.rc == 0, down.stdout[-3000:]
    assert group(logs, name) is not None and group(logs, f"/prefect/{site}/flow-runs") is None
    logs.delete_log_group(logGroupName=name)


def test_bad_input_fails_before_any_aws_call_naming_the_option(aws_proxy, unique):
    cases = {
        "name": {"name": "bad name!"},
        "retention": {"name": f"/{unique}/r", "retention": 2},
        "kms_key_id": {"name": f"/{unique}/k", "kms_key_id": "alias/logs"},
        "tags": {"name": f"/{unique}/t", "tags": {"aws:reserved": "1"}},
        "site": {"name": f"/{unique}/s", "site": " "},
    }
    play = [{"name": "bad input", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": field, MODULE: args, "ignore_errors": True} for field, args in cases.items()]}]
    mark = aws_proxy.mark()
    result = run_playbook(play, inventory="localhost,", args=["-c", "local"])
    assert aws_proxy.aws_calls(mark) == []
    for field in cases:
        res = result.task(field)
        assert res.get("failed") and f"{field}:" in res["msg"], (field, res.get("msg"))


def test_several_groups_in_one_module_run_refusing_a_foreign_one_before_any_write(aws_proxy, aws, unique):
    """names: the role's two groups in one module run (one process instead of a loop's two); a group that is not
    this site's, without adopt, fails the run before any group is written; removal keeps the foreign one."""
    logs = aws("logs", direct=True)
    mine, theirs = f"/prefect/{unique}/worker", f"/prefect/{unique}/flow-runs"
    args = {"names": [mine, theirs], "site": unique, "retention": 30}

    mark = aws_proxy.mark()
    check = run_module(MODULE, args, check=True, diff=True)
    assert check["changed"] and actions(aws_proxy, mark) == []
    assert check["changed_items"] == [mine, theirs] and [g["name"] for g in check["log_groups"]] == [mine, theirs]
    assert sorted(check["diff"]["after"]) == sorted([mine, theirs])
    created = run_module(MODULE, args)
    assert created["changed"] and created["changed_items"] == [mine, theirs]
    assert [group(logs, n)["retentionInDays"] for n in (mine, theirs)] == [30, 30]
    mark = aws_proxy.mark()
    again = run_module(MODULE, args)
    assert not again["changed"] and again["changed_items"] == [] and actions(aws_proxy, mark) == []

    # a foreign group beside one of ours: refused before the first write (ours keeps its retention)
    foreign = f"/prefect/{unique}/by-hand"
    logs.create_log_group(logGroupName=foreign)
    mark = aws_proxy.mark()
    refused = run_module(MODULE, {"names": [mine, foreign], "site": unique, "retention": 7})
    assert refused.get("failed") and foreign in refused["msg"] and "adopt" in refused["msg"]
    assert actions(aws_proxy, mark) == [] and group(logs, mine)["retentionInDays"] == 30

    gone = run_module(MODULE, {"names": [mine, theirs, foreign], "site": unique, "state": "absent"})
    assert gone["changed_items"] == [mine, theirs] and gone["kept_items"] == [foreign]
    assert group(logs, mine) is None and group(logs, theirs) is None and group(logs, foreign) is not None
    logs.delete_log_group(logGroupName=foreign)
