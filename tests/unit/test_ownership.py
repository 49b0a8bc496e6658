"""module_utils.ownership: the one definition of what the collection owns in Prefect."""
from __future__ import annotations

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import ownership as O


@pytest.mark.parametrize("description,marked", [
    ("ECS work pool of demo, managed by prefect_ops.ecs", True),  # the roles' default of earlier releases
    ("Managed by prefect_ops.ecs", True),
    ("dev (managed by prefect_ops.ecs)", True),
    ("made by hand", False), ("", False), (None, False),
    ("managed by prefect_ops", False),
])
def test_a_description_is_marked_only_by_the_whole_mark(description, marked):
    assert O.description_marked(description) is marked


def test_the_mark_is_appended_once():
    assert O.with_mark("dev") == "dev (managed by prefect_ops.ecs)"
    assert O.with_mark(O.with_mark("dev")) == "dev (managed by prefect_ops.ecs)"
    assert O.with_mark("") == O.with_mark(None) == "Managed by prefect_ops.ecs"
    assert O.with_mark("ECS pool, managed by prefect_ops.ecs") == "ECS pool, managed by prefect_ops.ecs"


@pytest.mark.parametrize("given,written", [
    ("ECS work pool of demo, managed by prefect_ops.ecs", "ECS work pool of demo"),
    ("dev (managed by prefect_ops.ecs)", "dev"),
    ("Managed by prefect_ops.ecs", ""),
    ("Development pool (process worker)", "Development pool (process worker)"),
])
def test_an_adopted_object_is_never_given_the_mark(given, written):
    assert O.without_mark(given) == written
    assert not O.description_marked(O.without_mark(given))


def test_the_description_written_keeps_the_objects_ownership():
    new, ours, theirs = None, {"description": "x (managed by prefect_ops.ecs)"}, {"description": "by hand"}
    assert O.description_to_write(new, "dev") == "dev (managed by prefect_ops.ecs)"
    assert O.description_to_write(ours, "dev") == "dev (managed by prefect_ops.ecs)"
    assert O.description_to_write(theirs, "dev, managed by prefect_ops.ecs") == "dev"


def test_deployments_are_marked_by_their_label():
    assert O.deployment_marked({"labels": O.deployment_labels()})
    assert O.deployment_marked({"labels": {"prefect.flow.id": "f", **O.deployment_labels()}})
    assert not O.deployment_marked({"labels": {"prefect.flow.id": "f"}})
    assert not O.deployment_marked({"labels": None}) and not O.deployment_marked(None)
    assert not O.deployment_marked({"labels": {O.DEPLOYMENT_LABEL: "someone-else"}})
