"""The unknown_variables filter: a misspelt role variable is named with the closest valid name."""
from __future__ import annotations

from ansible_collections.prefect_ops.ecs.plugins.filter.unknown_variables import unknown_variables

KNOWN = ["ecs_iam_state", "ecs_iam_pass_role_arns", "ecs_iam_path", "ecs_iam_tags", "ecs_iam_execution_role_arn"]


def test_known_names_pass():
    assert unknown_variables(["ecs_iam_state", "ecs_iam_tags"], KNOWN, "ecs_iam_") == []


def test_each_unknown_name_gets_the_closest_known_one_sorted():
    assert unknown_variables(["ecs_iam_stat", "ecs_iam_pass_roles_arns"], KNOWN, "ecs_iam_") == [
        "ecs_iam_pass_roles_arns (did you mean ecs_iam_pass_role_arns?)",
        "ecs_iam_stat (did you mean ecs_iam_state?)",
    ]


def test_swapped_letters_prefer_the_anagram():
    # "ptah" shares no character pair with "path", but is its anagram
    assert unknown_variables(["ecs_iam_ptah"], KNOWN, "ecs_iam_") == ["ecs_iam_ptah (did you mean ecs_iam_path?)"]


def test_only_names_of_the_prefix_are_suggested_and_ties_go_to_the_first_sorted():
    known = ["ecs_iam_aby", "ecs_iam_abx", "ecs_cluster_abz"]  # abx and aby score the same for abz
    assert unknown_variables(["ecs_iam_abz"], known, "ecs_iam_") == ["ecs_iam_abz (did you mean ecs_iam_abx?)"]


def test_without_a_known_name_of_the_prefix_the_name_alone():
    assert unknown_variables(["ecs_iam_x"], ["ecs_cluster_name"], "ecs_iam_") == ["ecs_iam_x"]
