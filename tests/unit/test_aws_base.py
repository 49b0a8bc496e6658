"""Unit tests of the shared body of our AWS modules (plugins/module_utils/aws_base.py): run_state sends
state=absent to remove and anything else to converge, and turns an AWS error into a failure that names the
object."""
from __future__ import annotations

import botocore.exceptions
import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_base
from stacktools.fake_module import FakeModule


class AwsFailure(Exception):
    pass


class FailingModule(FakeModule):
    def fail_json_aws(self, exception, msg):
        raise AwsFailure(msg, exception)


def client_error(code):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "m"}}, "DescribeThing")


@pytest.mark.parametrize("state, called", [("present", "converge"), ("absent", "remove")])
def test_run_state_routes_on_state(state, called):
    seen = []
    result = aws_base.run_state(FailingModule({"state": state}), "clients",
                                lambda m, c: seen.append(("converge", c)) or {"changed": True},
                                lambda m, c: seen.append(("remove", c)) or {"changed": False}, "the thing t")
    assert seen == [(called, "clients")]
    assert result == {"changed": called == "converge"}


@pytest.mark.parametrize("error", [client_error("AccessDeniedException"),
                                   botocore.exceptions.EndpointConnectionError(endpoint_url="http://x")])
def test_run_state_fails_naming_the_object_on_an_aws_error(error):
    def converge(module, clients):
        raise error

    with pytest.raises(AwsFailure) as failure:
        aws_base.run_state(FailingModule({"state": "present"}), None, converge, None, "the ECS service web")
    assert failure.value.args == ("Failed to manage the ECS service web", error)


def test_run_state_lets_other_errors_through():
    def converge(module, clients):
        raise KeyError("a bug, not an AWS error")

    with pytest.raises(KeyError):
        aws_base.run_state(FailingModule({"state": "present"}), None, converge, None, "x")
