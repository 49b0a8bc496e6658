"""Role ecs_alarms against moto (through the recording proxy), issue 18 item 3: opt-in CloudWatch alarms on the event
pipeline's dead-letter queue and on the worker service's running tasks, notifying an SNS topic the role creates or
one the user names. moto stores alarms and never evaluates them: the configuration CloudWatch holds is checked.

Three hosts of one ansible-playbook run: "made" (the role's own topic, both alarms), "theirs" (the user's topic, the
dead-letter alarm only), "off" (the default: the role does nothing). check predicts and mutates nothing -> apply ->
apply again and check change nothing -> a setting turned off removes its alarm -> teardown (state absent) removes what
the role made and leaves the user's topic.
"""
from __future__ import annotations

import yaml

from stacktools.ansible_run import run_playbook

ROLE = "prefect_ops.ecs.ecs_alarms"
PLAY = [{"name": "ecs_alarms under test", "hosts": "all", "gather_facts": False, "roles": [{"role": ROLE}]}]
OWNER = {"prefect-ops:managed-by": "prefect_ops.ecs"}


def inventory(tmp_path, hosts: dict) -> str:
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}))
    return str(path)


def ok(result):
    assert result.rc == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result


def alarms(cloudwatch, prefix):
    return {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]}


def tags(client, arn, key="ResourceARN"):
    return {t["Key"]: t["Value"] for t in client.list_tags_for_resource(**{key: arn})["Tags"]}


def topic_arn(sns, name):
    return next((t["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for t in page["Topics"]
                 if t["TopicArn"].endswith(f":{name}")), None)


def test_check_apply_reapply_turn_off_teardown(aws_proxy, aws, tmp_path, unique):
    cloudwatch, sns = aws("cloudwatch", direct=True), aws("sns", direct=True)
    theirs_topic = sns.create_topic(Name=f"{unique}-oncall")["TopicArn"]
    made, theirs, off = f"{unique}-made", f"{unique}-theirs", f"{unique}-off"
    hosts = {
        "made": {"prefect_ecs_name": made, "ecs_alarms_enabled": True, "ecs_alarms_worker_running_tasks": True,
                 "ecs_alarms_worker_min_running": 2, "ecs_alarms_tags": {"team": "data"}},
        "theirs": {"prefect_ecs_name": theirs, "ecs_alarms_enabled": True, "ecs_alarms_topic_arn": theirs_topic},
        "off": {"prefect_ecs_name": off},
    }
    inv = inventory(tmp_path, hosts)

    mark = aws_proxy.mark()
    check = ok(run_playbook(PLAY, inventory=inv, check=True))
    assert aws_proxy.mutating(mark) == [] and topic_arn(sns, f"{made}-prefect-alarms") is None
    assert alarms(cloudwatch, unique) == {}
    assert check.task("Publish the topic and what this role changed", "made")["ansible_facts"]["ecs_alarms_changes"]

    ok(run_playbook(PLAY, inventory=inv))
    topic = topic_arn(sns, f"{made}-prefect-alarms")
    assert tags(sns, topic, "ResourceArn") == {**OWNER, "prefect-ops:site": made, "team": "data"}
    found = alarms(cloudwatch, unique)
    assert sorted(found) == sorted([f"{made}-prefect-events-dlq", f"{made}-prefect-worker-running-tasks",
                                    f"{theirs}-prefect-events-dlq"])
    dlq = found[f"{made}-prefect-events-dlq"]
    assert (dlq["Namespace"], dlq["MetricName"], dlq["Dimensions"], dlq["Threshold"], dlq["ComparisonOperator"]) == (
        "AWS/SQS", "ApproximateNumberOfMessagesVisible", [{"Name": "QueueName", "Value": f"{made}-events-dlq"}], 0.0,
        "GreaterThanThreshold")
    assert dlq["AlarmActions"] == dlq["OKActions"] == [topic]
    tasks_alarm = found[f"{made}-prefect-worker-running-tasks"]
    assert (tasks_alarm["Namespace"], tasks_alarm["MetricName"], tasks_alarm["Threshold"],
            tasks_alarm["EvaluationPeriods"], tasks_alarm["TreatMissingData"]) == (
        "ECS/ContainerInsights", "RunningTaskCount", 2.0, 5, "breaching")
    assert sorted((d["Name"], d["Value"]) for d in tasks_alarm["Dimensions"]) == [
        ("ClusterName", made), ("ServiceName", f"{made}-workers")]
    assert tags(cloudwatch, dlq["AlarmArn"]) == {**OWNER, "prefect-ops:site": made, "team": "data"}
    assert found[f"{theirs}-prefect-events-dlq"]["AlarmActions"] == [theirs_topic]
    assert topic_arn(sns, f"{theirs}-prefect-alarms") is None

    mark = aws_proxy.mark()
    ok(run_playbook(PLAY, inventory=inv))
    ok(run_playbook(PLAY, inventory=inv, check=True))
    assert aws_proxy.mutating(mark) == []

    # The worker alarm turned off: removed (it is this site's); the rest stays.
    mark = aws_proxy.mark()
    ok(run_playbook(PLAY, inventory=inv, extra_vars={"ecs_alarms_worker_running_tasks": False}))
    assert [c["action"] for c in aws_proxy.mutating(mark)] == ["DeleteAlarms"]
    assert f"{made}-prefect-worker-running-tasks" not in alarms(cloudwatch, unique)

    ok(run_playbook(PLAY, inventory=inv, extra_vars={"ecs_alarms_state": "absent"}))
    assert alarms(cloudwatch, unique) == {} and topic_arn(sns, f"{made}-prefect-alarms") is None
    assert topic_arn(sns, f"{unique}-oncall") == theirs_topic
    sns.delete_topic(TopicArn=theirs_topic)


def test_bad_input_fails_before_any_aws_call_naming_the_variable(aws_proxy, tmp_path, unique):
    inv = inventory(tmp_path, {"bad": {"prefect_ecs_name": unique, "ecs_alarms_enabled": True,
                                       "ecs_alarms_worker_running_tasks": True, "ecs_alarms_worker_minutes": 2000,
                                       "ecs_alarms_topic_arn": "oncall"}})
    mark = aws_proxy.mark()
    result = run_playbook(PLAY, inventory=inv)
    assert result.rc != 0 and aws_proxy.mutating(mark) == []
    msg = result.task("Check inputs", "bad")["msg"]
    assert "ecs_alarms_worker_minutes: 2000" in msg and "ecs_alarms_topic_arn: 'oncall'" in msg, msg
