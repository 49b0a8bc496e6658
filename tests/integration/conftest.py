"""Fixtures for tests that run against the local stack (make test starts it)."""
from __future__ import annotations

import os
import uuid

import pytest

from stacktools.stack import PatientPrefectAPI, ProxyControl, aws_client, stack_env


@pytest.fixture(scope="session")
def stack() -> dict:
    return stack_env()


@pytest.fixture(scope="session")
def aws_proxy(stack) -> ProxyControl:
    return ProxyControl(stack["AWS_ENDPOINT_URL"])


@pytest.fixture(autouse=True)
def _no_leftover_faults(request):
    """Fault rules never leak from one test into the next."""
    yield
    if os.environ.get("AWS_ENDPOINT_URL"):
        ProxyControl(os.environ["AWS_ENDPOINT_URL"]).faults(None)


@pytest.fixture(scope="session")
def prefect(stack) -> PatientPrefectAPI:
    return PatientPrefectAPI()


@pytest.fixture()
def unique() -> str:
    """A short unique name for this test's resources."""
    return f"t{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def aws(stack):
    """aws("sqs") -> a boto3 client through the recording proxy; aws("sqs", direct=True) -> straight to moto."""
    return aws_client
