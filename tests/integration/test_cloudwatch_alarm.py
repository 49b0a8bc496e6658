"""Module prefect_ops.ecs.cloudwatch_alarm against moto (through the recording proxy). moto stores alarms and never
evaluates them: these tests check the configuration CloudWatch holds, not notifications.

Why the module exists (issue 18, alarms): amazon.aws.cloudwatch_metric_alarm has no tags option, so an alarm it makes
carries no ownership mark, and its state=absent deletes any alarm of that name, one made by hand included; an update
sends only the task's options, resetting the ones the task leaves out. Each gap is asserted first (the test fails the
day upstream closes it), then ours.
"""
from __future__ import annotations

from stacktools.ansible_run import run_module, run_playbook

MODULE = "prefect_ops.ecs.cloudwatch_alarm"
STOCK = "amazon.aws.cloudwatch_metric_alarm"
OWNER = {"prefect-ops:managed-by": "prefect_ops.ecs"}


def actions(proxy, mark):
    return [c["action"] for c in proxy.mutating(mark)]


def alarm(cloudwatch, name):
    found = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return found[0] if found else None


def tags(cloudwatch, arn):
    return {t["Key"]: t["Value"] for t in cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"]}


def dlq_alarm(name, site, topic, **over):
    return {"name": name, "site": site, "namespace": "AWS/SQS", "metric_name": "ApproximateNumberOfMessagesVisible",
            "dimensions": {"QueueName": f"{site}-events-dlq"}, "statistic": "Maximum", "period": 300,
            "evaluation_periods": 1, "threshold": 0, "comparison_operator": "GreaterThanThreshold",
            "treat_missing_data": "notBreaching", "alarm_actions": [topic], **over}


def test_lifecycle_check_create_noop_update_remove(aws_proxy, aws, unique):
    cloudwatch = aws("cloudwatch", direct=True)
    topic = aws("sns", direct=True).create_topic(Name=f"{unique}-alerts")["TopicArn"]
    name, site = f"prefect-{unique}-events-dlq", unique
    args = dlq_alarm(name, site, topic, description="dead letters", tags={"team": "data"})

    mark = aws_proxy.mark()
    check = run_module(MODULE, args, check=True, diff=True)
    assert check["changed"] and actions(aws_proxy, mark) == [] and alarm(cloudwatch, name) is None
    assert check["alarm"]["arn"].endswith(f":alarm:{name}") and check["diff"]["after"]["alarm"]["threshold"] == 0.0

    created = run_module(MODULE, args)
    assert created["changed"] and created["owned"]
    found = alarm(cloudwatch, name)
    assert (found["Namespace"], found["Dimensions"], found["AlarmActions"], found["TreatMissingData"]) == (
        "AWS/SQS", [{"Name": "QueueName", "Value": f"{site}-events-dlq"}], [topic], "notBreaching")
    assert tags(cloudwatch, found["AlarmArn"]) == {**OWNER, "prefect-ops:site": site, "team": "data"}
    assert created["alarm"] == {**check["alarm"], "arn": found["AlarmArn"]}

    mark = aws_proxy.mark()
    again = run_module(MODULE, args)
    assert not again["changed"] and actions(aws_proxy, mark) == []

    # One option: check mode predicts it, the run sends it, and every option the task leaves out keeps its value.
    change = {"name": name, "site": site, "evaluation_periods": 3, "datapoints_to_alarm": 2}
    mark = aws_proxy.mark()
    check = run_module(MODULE, change, check=True, diff=True)
    assert check["changed"] and actions(aws_proxy, mark) == []
    assert check["diff"] == {"before": {"alarm": {"evaluation_periods": 1, "datapoints_to_alarm": None}},
                             "after": {"alarm": {"evaluation_periods": 3, "datapoints_to_alarm": 2}}}
    mark = aws_proxy.mark()
    assert run_module(MODULE, change)["changed"] and actions(aws_proxy, mark) == ["PutMetricAlarm"]
    found = alarm(cloudwatch, name)
    assert (found["EvaluationPeriods"], found["DatapointsToAlarm"], found["AlarmActions"], found["AlarmDescription"],
            found["TreatMissingData"]) == (3, 2, [topic], "dead letters", "notBreaching")
    assert tags(cloudwatch, found["AlarmArn"])["team"] == "data"

    gone = {"name": name, "site": site, "state": "absent"}
    mark = aws_proxy.mark()
    assert run_module(MODULE, gone, check=True)["changed"] and actions(aws_proxy, mark) == []
    assert run_module(MODULE, gone)["changed"] and alarm(cloudwatch, name) is None
    mark = aws_proxy.mark()
    assert not run_module(MODULE, gone)["changed"] and actions(aws_proxy, mark) == []


def test_the_stock_module_cannot_mark_or_spare_an_alarm_and_ours_never_deletes_one_made_by_hand(
        aws_proxy, aws, unique):
    cloudwatch = aws("cloudwatch", direct=True)
    topic = aws("sns", direct=True).create_topic(Name=f"{unique}-alerts")["TopicArn"]
    name, site = f"prefect-{unique}-events-dlq", unique
    stock_args = {"name": name, "metric_name": "ApproximateNumberOfMessagesVisible", "namespace": "AWS/SQS",
                  "statistic": "Maximum", "comparison": "GreaterThanThreshold", "threshold": 0.0, "period": 300,
                  "evaluation_periods": 1, "dimensions": {"QueueName": f"{site}-events-dlq"}, "alarm_actions": [topic],
                  "description": "made by hand"}

    # The gaps: no tags option at all; an update without alarm_actions drops them; state=absent deletes the alarm
    # whoever made it.
    refused = run_module(STOCK, {**stock_args, "tags": OWNER})
    assert refused.get("failed") and "tags" in refused["msg"], refused.get("msg")
    assert run_module(STOCK, stock_args)["changed"]
    assert alarm(cloudwatch, name)["AlarmActions"] == [topic]
    assert run_module(STOCK, {k: v for k, v in stock_args.items() if k != "alarm_actions"})["changed"]
    assert alarm(cloudwatch, name)["AlarmActions"] == []
    assert run_module(STOCK, {"name": name, "state": "absent"})["changed"] and alarm(cloudwatch, name) is None

    # Ours: an alarm made by hand is refused, adopted without the ownership tags, and never deleted.
    cloudwatch.put_metric_alarm(AlarmName=name, Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
                                Statistic="Maximum", Period=300, EvaluationPeriods=1, Threshold=0.0,
                                ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic],
                                Tags=[{"Key": "owner", "Value": "team-x"}])
    arn = alarm(cloudwatch, name)["AlarmArn"]
    mark = aws_proxy.mark()
    refused = run_module(MODULE, dlq_alarm(name, site, topic))
    assert refused.get("failed") and refused["owned"] is False and "set adopt: true" in refused["msg"]
    adopted = run_module(MODULE, {"name": name, "site": site, "adopt": True, "threshold": 5, "tags": {"team": "data"},
                                  "purge_tags": False})
    assert adopted["changed"] and adopted["owned"] is False
    assert tags(cloudwatch, arn) == {"owner": "team-x", "team": "data"}
    assert (alarm(cloudwatch, name)["Threshold"], alarm(cloudwatch, name)["AlarmActions"]) == (5.0, [topic])
    kept = run_module(MODULE, {"name": name, "site": site, "state": "absent"})
    assert not kept["changed"] and kept["kept"] and alarm(cloudwatch, name) is not None
    assert "DeleteAlarms" not in actions(aws_proxy, mark)
    cloudwatch.delete_alarms(AlarmNames=[name])


def test_bad_input_fails_before_any_aws_call_naming_the_option(aws_proxy, unique):
    cases = {
        "name": {"name": ""},
        "period": {"name": f"{unique}-p", "period": 45},
        "datapoints_to_alarm": {"name": f"{unique}-d", "evaluation_periods": 1, "datapoints_to_alarm": 2},
        "alarm_actions": {"name": f"{unique}-a", "alarm_actions": ["my-topic"]},
        "tags": {"name": f"{unique}-t", "tags": {"aws:reserved": "1"}},
    }
    play = [{"name": "bad input", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": field, MODULE: args, "ignore_errors": True} for field, args in cases.items()]}]
    mark = aws_proxy.mark()
    result = run_playbook(play, inventory="localhost,", args=["-c", "local"])
    assert aws_proxy.aws_calls(mark) == []
    for field in cases:
        res = result.task(field)
        assert res.get("failed") and f"{field}:" in res["msg"], (field, res.get("msg"))
