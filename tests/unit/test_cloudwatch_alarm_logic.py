"""Unit tests of cloudwatch_alarm's logic (plugins/module_utils/cloudwatch_alarm.py), with a fake client.

Input problems name the option and are found before any call; options not set keep the alarm's values (an update
sends the whole alarm, fields the module has no option for included); an adopted alarm never gets the ownership
tags; an alarm that is not this site's is never deleted; a metric math alarm is refused; the client retries
throttling.
"""
from __future__ import annotations

from unittest import mock

import botocore.exceptions
import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_base
from ansible_collections.prefect_ops.ecs.plugins.module_utils import cloudwatch_alarm as ca
from stacktools.fake_module import FakeModule

NAME = "prefect-prod-events-dlq"
ARN = f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{NAME}"
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"
OURS = {"prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": "prod"}
MUTATING = {"put_metric_alarm", "delete_alarms", "tag_resource", "untag_resource"}
ALARM = {"AlarmName": NAME, "AlarmArn": ARN, "AlarmDescription": "dlq", "Namespace": "AWS/SQS",
         "MetricName": "ApproximateNumberOfMessagesVisible", "Dimensions": [{"Name": "QueueName", "Value": "q-dlq"}],
         "Statistic": "Maximum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 0.0,
         "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching", "AlarmActions": [TOPIC],
         "OKActions": [], "InsufficientDataActions": [], "ActionsEnabled": True, "Unit": "Count",
         "StateValue": "OK"}
SETTINGS = {"namespace": "AWS/SQS", "metric_name": "ApproximateNumberOfMessagesVisible",
            "dimensions": {"QueueName": "q-dlq"}, "statistic": "Maximum", "period": 300, "evaluation_periods": 1,
            "threshold": 0, "comparison_operator": "GreaterThanThreshold"}


def params(**over):
    base = {key: spec.get("default") for key, spec in ca.argument_spec().items()}
    base.update(name=NAME, site="prod")
    base.update(over)
    return base


def fake(alarm=None, tags=None):
    client = mock.Mock()
    client.describe_alarms.return_value = {"MetricAlarms": [] if alarm is False else [dict(ALARM, **(alarm or {}))]}
    client.list_tags_for_resource.return_value = {
        "Tags": [{"Key": k, "Value": v} for k, v in (OURS if tags is None else tags).items()]}
    return client


def clients(client):
    sts = mock.Mock()
    sts.get_caller_identity.return_value = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/x"}
    return {"sts": sts, "cloudwatch": client}


def mutating(client):
    return [name for name, dummy, dummy in client.mock_calls if name in MUTATING]


@pytest.mark.parametrize("over, field", [
    ({"name": ""}, "name:"), ({"period": 45}, "period:"), ({"evaluation_periods": 0}, "evaluation_periods:"),
    ({"evaluation_periods": 2, "datapoints_to_alarm": 3}, "datapoints_to_alarm:"),
    ({"period": 60, "evaluation_periods": 1441}, "evaluation_periods:"), ({"threshold": float("nan")}, "threshold:"),
    ({"dimensions": {"QueueName": ""}}, "dimensions.QueueName:"), ({"alarm_actions": ["alerts"]}, "alarm_actions:"),
    ({"ok_actions": [TOPIC] * 6}, "ok_actions:"), ({"tags": {"aws:x": "1"}}, "tags:"), ({"site": ""}, "site:"),
    ({"tags": {"prefect-ops:site": "dev"}}, "tags:"),
])
def test_bad_input_names_the_option_before_any_call(over, field):
    client = fake()
    with pytest.raises(AssertionError, match=field):
        ca.run(FakeModule(params(**over)), clients(client))
    assert client.mock_calls == []


def test_a_new_alarm_needs_its_metric_and_threshold_and_gets_the_ownership_tags():
    client = fake(alarm=False)
    with pytest.raises(AssertionError, match="threshold: required to create the alarm"):
        ca.run(FakeModule(params(**{**SETTINGS, "threshold": None})), clients(client))
    assert mutating(client) == []
    check = ca.run(FakeModule(params(**SETTINGS, alarm_actions=[TOPIC]), check_mode=True), clients(client := fake(False)))
    assert check["changed"] and mutating(client) == [] and check["alarm"]["arn"] == ARN
    assert check["alarm"]["threshold"] == 0.0 and check["alarm"]["tags"] == OURS
    client = fake(alarm=False)
    client.describe_alarms.side_effect = [{"MetricAlarms": []}, {"MetricAlarms": [ALARM]}]
    result = ca.run(FakeModule(params(**SETTINGS, alarm_actions=[TOPIC], tags={"team": "data"})), clients(client))
    put = client.put_metric_alarm.call_args.kwargs
    assert put["Tags"] == [{"Key": k, "Value": v} for k, v in sorted({**OURS, "team": "data"}.items())]
    assert put["Dimensions"] == [{"Name": "QueueName", "Value": "q-dlq"}] and put["AlarmActions"] == [TOPIC]
    assert "AlarmDescription" not in put and "DatapointsToAlarm" not in put
    assert result["alarm"] == dict(check["alarm"], tags={**OURS, "team": "data"}) and result["owned"]


def test_options_not_set_are_not_compared_and_keep_the_alarms_values_on_an_update():
    client = fake()
    result = ca.run(FakeModule(params(**SETTINGS)), clients(client))
    assert not result["changed"] and mutating(client) == []
    assert result["alarm"]["alarm_actions"] == [TOPIC] and result["alarm"]["description"] == "dlq"

    client = fake()
    result = ca.run(FakeModule(params(threshold=2)), clients(client))
    assert result["diff"] == {"before": {"alarm": {"threshold": 0.0}}, "after": {"alarm": {"threshold": 2.0}}}
    put = client.put_metric_alarm.call_args.kwargs
    assert put == {"AlarmName": NAME, "AlarmDescription": "dlq", "Namespace": "AWS/SQS",
                   "MetricName": "ApproximateNumberOfMessagesVisible",
                   "Dimensions": [{"Name": "QueueName", "Value": "q-dlq"}], "Statistic": "Maximum", "Period": 300,
                   "EvaluationPeriods": 1, "Threshold": 2.0, "ComparisonOperator": "GreaterThanThreshold",
                   "TreatMissingData": "notBreaching", "AlarmActions": [TOPIC], "OKActions": [],
                   "InsufficientDataActions": [], "ActionsEnabled": True, "Unit": "Count"}


def test_check_mode_predicts_an_update_and_makes_no_call():
    client = fake()
    check = ca.run(FakeModule(params(alarm_actions=[], description=""), check_mode=True), clients(client))
    assert check["changed"] and mutating(client) == []
    assert check["alarm"]["alarm_actions"] == [] and check["alarm"]["description"] == ""
    result = ca.run(FakeModule(params(alarm_actions=[], description="")), clients(client := fake()))
    assert result["alarm"] == check["alarm"]
    put = client.put_metric_alarm.call_args.kwargs
    assert put["AlarmActions"] == [] and "AlarmDescription" not in put


def test_an_extended_statistic_is_kept_unless_a_statistic_is_set():
    extended = {"Statistic": None, "ExtendedStatistic": "p99"}
    ca.run(FakeModule(params(threshold=5)), clients(client := fake(extended)))
    put = client.put_metric_alarm.call_args.kwargs
    assert put["ExtendedStatistic"] == "p99" and "Statistic" not in put
    ca.run(FakeModule(params(statistic="Maximum")), clients(client := fake(extended)))
    put = client.put_metric_alarm.call_args.kwargs
    assert put["Statistic"] == "Maximum" and "ExtendedStatistic" not in put


def test_an_adopted_alarm_never_gets_the_ownership_tags_and_is_never_deleted():
    client = fake(tags={"owner": "team-x"})
    with pytest.raises(AssertionError, match="set adopt: true"):
        ca.run(FakeModule(params(threshold=3)), clients(client))
    assert mutating(client) == []
    result = ca.run(FakeModule(params(threshold=3, adopt=True, tags={"team": "data"}, purge_tags=False)),
                    clients(client))
    assert not result["owned"] and result["alarm"]["tags"] == {"owner": "team-x", "team": "data"}
    client.tag_resource.assert_called_once_with(ResourceARN=ARN, Tags=[{"Key": "team", "Value": "data"}])
    module = FakeModule(params(state="absent"))
    for tags in ({"owner": "team-x"}, {**OURS, "prefect-ops:site": "dev"}):
        client = fake(tags=tags)
        assert ca.run(module, clients(client))["kept"] and mutating(client) == []
    assert module.warnings


def test_absent_deletes_only_its_own_alarm_and_check_mode_predicts_it():
    check = ca.run(FakeModule(params(state="absent"), check_mode=True), clients(client := fake()))
    assert check["changed"] and check["alarm"] is None and mutating(client) == []
    assert ca.run(FakeModule(params(state="absent")), clients(client))["changed"]
    client.delete_alarms.assert_called_once_with(AlarmNames=[NAME])
    gone = ca.run(FakeModule(params(state="absent")), clients(client := fake(False)))
    assert not gone["changed"] and mutating(client) == []


def test_a_metric_math_alarm_is_refused():
    client = fake({"MetricName": None, "Namespace": None, "Metrics": [{"Id": "m1"}]})
    with pytest.raises(AssertionError, match="metric math alarm"):
        ca.run(FakeModule(params(threshold=1)), clients(client))
    assert mutating(client) == []


def test_the_modules_client_retries_throttling():
    raw = mock.Mock()
    raw.describe_alarms.side_effect = [
        botocore.exceptions.ClientError({"Error": {"Code": "Throttling"}}, "DescribeAlarms"), {"MetricAlarms": [ALARM]}]
    raw.list_tags_for_resource.return_value = {"Tags": [{"Key": k, "Value": v} for k, v in OURS.items()]}
    with mock.patch("time.sleep"):
        result = ca.run(FakeModule(params(**SETTINGS)), clients(aws_base.RetryingClient(raw)))
    assert not result["changed"] and result["alarm"]["arn"] == ARN
