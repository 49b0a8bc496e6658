"""Unit tests of ecr_repository's logic (plugins/module_utils/ecr_repository.py).

No AWS here: validation (every problem names the option and the fix, found before any call), the comparison
by meaning (the lifecycle policy parsed and canonical, mutability case-insensitive, unset options never compared
or sent), ownership (managed-by and site; an adopted repository never gets the ownership tags), check mode (a
new repository's ARN and URI predicted, no mutating call) and state=absent (only this site's repositories, only
empty ones unless force_delete), with a fake ECR client.
"""
from __future__ import annotations

import json
from unittest import mock

import botocore.exceptions
import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecr_repository as er
from stacktools.fake_module import FakeModule

NAME = "flows/etl"
ARN = f"arn:aws:ecr:us-east-1:123456789012:repository/{NAME}"
URI = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{NAME}"
OURS = {"prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": "prod"}


def params(**over):
    base = {key: spec.get("default") for key, spec in er.argument_spec().items()}
    base.update(name=NAME)
    base.update(over)
    return base


def policy(keep=30, **rule_over):
    rule = {"rulePriority": 1, "description": f"keep {keep}",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
            "action": {"type": "expire"}}
    rule.update(rule_over)
    return {"rules": [rule]}


# --- validation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Flows", "a", "flows//etl", "flows/", "-flows", "flows_", "x" * 257, ""])
def test_bad_names_name_the_option_and_the_rule(name):
    [problem] = er.static_problems(params(name=name))
    assert problem.startswith("name:") and "lowercase letters and digits" in problem and "flows/etl" in problem


@pytest.mark.parametrize("name", ["ab", "flows/etl", "prod/flows/etl-v2", "a.b_c-d", "x" * 256])
def test_good_names(name):
    assert er.static_problems(params(name=name)) == []


def test_every_problem_is_reported_at_once_with_its_fix():
    problems = er.static_problems(params(
        name="Bad_", image_tag_mutability="sometimes", lifecycle_policy="{not json",
        tags={"aws:x": "1", "prefect-ops:managed-by": "someone"}))
    assert [p.split(":")[0] for p in problems] == ["name", "image_tag_mutability", "lifecycle_policy", "tags", "tags"]
    assert "IMMUTABLE" in problems[1] and "not valid JSON" in problems[2] and "remove it from tags" in problems[3]


def test_mutability_is_case_insensitive():
    assert er.static_problems(params(image_tag_mutability="immutable")) == []
    assert er.desired_settings(params(image_tag_mutability="Mutable"))["image_tag_mutability"] == "MUTABLE"


@pytest.mark.parametrize("bad, needle", [
    ({"rules": []}, "lifecycle_policy.rules: give a list of at least one rule"),
    ({"rule": []}, "unknown key(s) rule"),
    (policy(rulePriority=0), "rules[0].rulePriority: give a whole number, 1 or more"),
    (policy(action={"type": "delete"}), "rules[0].action: give {type: expire}"),
    (policy(selection={"tagStatus": "all", "countType": "imageCountMoreThan", "countNumber": 3}),
     "rules[0].selection.tagStatus: use tagged, untagged, any"),
    (policy(selection={"tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 3}),
     "tagStatus tagged needs tagPrefixList or tagPatternList"),
    (policy(selection={"tagStatus": "any", "countType": "sinceImagePushed", "countNumber": 3}),
     "countType sinceImagePushed needs countUnit: days"),
    (policy(selection={"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 0}),
     "rules[0].selection.countNumber: give a whole number, 1 or more"),
    ({"rules": [policy()["rules"][0], {**policy()["rules"][0]}]}, "each rulePriority may appear once"),
    ({"rules": [policy()["rules"][0], {"rulePriority": 2, "action": {"type": "expire"}, "selection": {
        "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7}}]},
     "the rule with tagStatus any must have the highest rulePriority"),
    ("[1, 2]", "must be a mapping {'rules': [...]} or its JSON text"),
    ("  ", "the text is empty"),
])
def test_lifecycle_policy_problems_name_the_field_and_the_fix(bad, needle):
    problems = er.static_problems(params(lifecycle_policy=bad))
    assert problems and all(p.startswith("lifecycle_policy") for p in problems)
    assert any(needle in p for p in problems), problems


def test_a_valid_policy_as_mapping_or_json_text():
    assert er.static_problems(params(lifecycle_policy=policy())) == []
    assert er.static_problems(params(lifecycle_policy=json.dumps(policy()))) == []


def test_site_from_the_option_or_the_tags_and_never_two_different():
    assert er.site_of(params(site="prod")) == ("prod", None)
    assert er.site_of(params(tags={"prefect-ops:site": "prod"})) == ("prod", None)
    assert er.site_of(params()) == (None, None)
    site, problem = er.site_of(params(site="prod", tags={"prefect-ops:site": "dev"}))
    assert site is None and problem.startswith("tags: prefect-ops:site='dev' differs from site='prod'")


def test_absent_checks_only_the_name_and_the_site():
    assert er.static_problems(params(state="absent", image_tag_mutability="nope", lifecycle_policy="{")) == []
    assert er.static_problems(params(state="absent", name="X"))[0].startswith("name:")


# --- comparison -------------------------------------------------------------------------------------------


def test_same_policy_meaning_is_equal():
    mine = {"rules": [
        {"rulePriority": 2, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": "30"},
         "action": {"type": "expire"}, "description": ""},
        {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPrefixList": ["v", "release", "v"],
                                          "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
         "action": {"type": "expire"}}]}
    theirs = json.dumps({"rules": [
        {"action": {"type": "expire"}, "rulePriority": 1,
         "selection": {"countNumber": 7, "countUnit": "days", "countType": "sinceImagePushed",
                       "tagPrefixList": ["release", "v"], "tagStatus": "tagged"}},
        {"rulePriority": 2, "action": {"type": "expire"},
         "selection": {"countType": "imageCountMoreThan", "tagStatus": "any", "countNumber": 30}}]})
    assert er.canonical_policy(mine) == er.canonical_policy(theirs)
    assert er.policy_text(mine) == er.policy_text(theirs)
    assert er.canonical_policy(policy(5)) != er.canonical_policy(policy(6))
    assert er.canonical_policy(policy(5, description="a")) != er.canonical_policy(policy(5, description="b"))


def test_only_the_set_options_that_differ_are_planned():
    current = er.settings_of({"imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True}},
                             json.dumps(policy(30)))
    assert er.plan_settings(params(), current) == ({}, {})  # nothing set: nothing compared
    same = params(image_tag_mutability="immutable", scan_on_push=True, lifecycle_policy=json.dumps(policy(30)))
    assert er.plan_settings(same, current) == ({}, {})
    before, after = er.plan_settings(params(scan_on_push=False, lifecycle_policy=policy(5)), current)
    assert set(after) == {"scan_on_push", "lifecycle_policy"} and before["scan_on_push"] is True
    assert after["lifecycle_policy"]["rules"][0]["selection"]["countNumber"] == 5


def test_a_repository_without_policy_or_scanning_reports_the_ecr_defaults():
    assert er.settings_of({}, None) == {"image_tag_mutability": "MUTABLE", "scan_on_push": False, "lifecycle_policy": None}


def test_ownership_needs_managed_by_and_the_same_site():
    assert er.is_owned(OURS, "prod")
    assert not er.is_owned(OURS, "dev")
    assert not er.is_owned({"prefect-ops:site": "prod"}, "prod")
    assert not er.is_owned(OURS, None)  # a site-less run does not claim a site's repository
    assert er.is_owned({"prefect-ops:managed-by": "prefect_ops.ecs"}, None)


def test_uri_and_arn_follow_the_partition():
    from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_names import Identity
    china = Identity("123456789012", "aws-cn", "arn:aws-cn:iam::123456789012:user/x")
    assert er.registry_uri(china, "cn-north-1", NAME) == f"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/{NAME}"
    assert er.repository_arn(china, "cn-north-1", NAME) == f"arn:aws-cn:ecr:cn-north-1:123456789012:repository/{NAME}"


# --- converge / remove with a fake client -------------------------------------------------------------------


MUTATING = ("create_repository", "put_lifecycle_policy", "put_image_scanning_configuration", "put_image_tag_mutability",
            "tag_resource", "untag_resource", "delete_repository")


def not_found(code):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "not found"}}, "Op")


def fake_ecr(repo=None, tags=None, lifecycle=None, images=()):
    client = mock.Mock()
    if repo is None:
        client.describe_repositories.side_effect = not_found("RepositoryNotFoundException")
    else:
        client.describe_repositories.return_value = {"repositories": [repo]}
    client.list_tags_for_resource.return_value = {"tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}
    if lifecycle is None:
        client.get_lifecycle_policy.side_effect = not_found("LifecyclePolicyNotFoundException")
    else:
        client.get_lifecycle_policy.return_value = {"lifecyclePolicyText": json.dumps(lifecycle)}
    client.list_images.return_value = {"imageIds": [{"imageTag": t} for t in images]}
    client.create_repository.side_effect = lambda **kw: {"repository": repository(
        imageTagMutability=kw.get("imageTagMutability", "MUTABLE"))}
    return client


def repository(**over):
    repo = {"repositoryArn": ARN, "repositoryUri": URI, "repositoryName": NAME, "registryId": "123456789012",
            "imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True}}
    repo.update(over)
    return repo


def clients(ecr):
    sts = mock.Mock()
    sts.get_caller_identity.return_value = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/x"}
    return {"sts": sts, "ecr": ecr}


def mutating(client):
    return [name for name, dummy, dummy in client.mock_calls if name in MUTATING]


WANT = dict(site="prod", image_tag_mutability="IMMUTABLE", scan_on_push=True, lifecycle_policy=policy(30),
            tags={"team": "data"}, purge_tags=False)


def test_check_mode_on_a_new_repository_predicts_it_and_calls_nothing_that_changes():
    client = fake_ecr()
    result = er.run(FakeModule(params(**WANT), check_mode=True), clients(client))
    assert mutating(client) == []
    assert result["changed"] and result["owned"]
    assert result["actions"] == [f"create repository {NAME}", f"put lifecycle policy of repository {NAME}"]
    repo = result["repository"]
    assert (repo["arn"], repo["uri"], repo["name"]) == (ARN, URI, NAME)
    assert repo["tags"] == {**OURS, "team": "data"} and repo["scan_on_push"] is True
    assert result["diff"]["after"]["repository"]["lifecyclePolicy"] == er.canonical_policy(policy(30))


def test_apply_creates_with_the_ownership_tags_then_puts_the_policy():
    client = fake_ecr()
    result = er.run(FakeModule(params(**WANT)), clients(client))
    assert mutating(client) == ["create_repository", "put_lifecycle_policy"]
    client.create_repository.assert_called_once_with(
        repositoryName=NAME, imageTagMutability="IMMUTABLE", imageScanningConfiguration={"scanOnPush": True},
        tags=[{"Key": "prefect-ops:managed-by", "Value": "prefect_ops.ecs"}, {"Key": "prefect-ops:site", "Value": "prod"},
              {"Key": "team", "Value": "data"}])
    assert json.loads(client.put_lifecycle_policy.call_args.kwargs["lifecyclePolicyText"]) == er.canonical_policy(policy(30))
    assert result["repository"]["uri"] == URI


def test_a_converged_repository_is_not_changed_whatever_the_policy_looks_like():
    reported = {"rules": [{"action": {"type": "expire"}, "selection": {"countNumber": 30, "tagStatus": "any",
                                                                       "countType": "imageCountMoreThan"},
                           "description": "keep 30", "rulePriority": 1}]}
    client = fake_ecr(repository(), {**OURS, "team": "data", "other": "kept"}, reported)
    result = er.run(FakeModule(params(**WANT)), clients(client))
    assert not result["changed"] and mutating(client) == [] and result["actions"] == []


def test_drift_sends_only_what_differs_and_check_mode_predicts_it():
    client = fake_ecr(repository(imageScanningConfiguration={"scanOnPush": False}), OURS, policy(10))
    check = er.run(FakeModule(params(**WANT), check_mode=True), clients(client))
    assert mutating(client) == [] and check["changed"]
    assert check["diff"] == {"before": {"repository": {"scan_on_push": False, "lifecycle_policy": er.canonical_policy(policy(10)),
                                                       "tags": {}}},
                             "after": {"repository": {"scan_on_push": True, "lifecycle_policy": er.canonical_policy(policy(30)),
                                                      "tags": {"team": "data"}}}}
    assert check["repository"]["scan_on_push"] is True
    result = er.run(FakeModule(params(**WANT)), clients(client))
    assert mutating(client) == ["put_image_scanning_configuration", "put_lifecycle_policy", "tag_resource"]
    assert result["actions"] == check["actions"]
    client.tag_resource.assert_called_once_with(resourceArn=ARN, tags=[{"Key": "team", "Value": "data"}])


def test_purge_never_removes_the_ownership_tags():
    client = fake_ecr(repository(), {**OURS, "old": "x"})
    er.run(FakeModule(params(site="prod", tags={})), clients(client))
    client.untag_resource.assert_called_once_with(resourceArn=ARN, tagKeys=["old"])
    client.tag_resource.assert_not_called()


@pytest.mark.parametrize("tags", [{"team": "platform"}, {**OURS, "prefect-ops:site": "elsewhere"}])
def test_a_repository_not_this_sites_is_refused_without_adopt_and_never_claimed_with_it(tags):
    client = fake_ecr(repository(imageTagMutability="MUTABLE"), tags)
    with pytest.raises(AssertionError, match=f"name: ECR repository {NAME} exists but is not this run's.*set adopt: true"):
        er.run(FakeModule(params(**WANT)), clients(client))
    assert mutating(client) == []
    result = er.run(FakeModule(params(**{**WANT, "adopt": True})), clients(client))
    assert not result["owned"]
    assert mutating(client) == ["put_image_tag_mutability", "put_lifecycle_policy", "tag_resource"]
    client.tag_resource.assert_called_once_with(resourceArn=ARN, tags=[{"Key": "team", "Value": "data"}])


def test_unset_options_are_never_sent():
    client = fake_ecr()
    er.run(FakeModule(params()), clients(client))
    client.create_repository.assert_called_once_with(
        repositoryName=NAME, tags=[{"Key": "prefect-ops:managed-by", "Value": "prefect_ops.ecs"}])
    assert mutating(client) == ["create_repository"]


def test_bad_input_fails_before_any_call():
    client = fake_ecr()
    sts = clients(client)
    with pytest.raises(AssertionError, match="Invalid parameters: lifecycle_policy"):
        er.run(FakeModule(params(lifecycle_policy={"rules": []})), sts)
    assert client.mock_calls == [] and sts["sts"].mock_calls == []


def test_absent_deletes_only_this_sites_empty_repository_unless_forced():
    # another site's, or nobody's: left in place, with the reason
    for tags in ({**OURS, "prefect-ops:site": "dev"}, {"team": "x"}):
        client = fake_ecr(repository(), tags)
        result = er.run(FakeModule(params(state="absent", site="prod")), clients(client))
        assert not result["changed"] and mutating(client) == [] and "does not carry the ownership tags" in result["kept"]
    # ours with images: kept unless force_delete
    client = fake_ecr(repository(), OURS, images=["v1"])
    result = er.run(FakeModule(params(state="absent", site="prod")), clients(client))
    assert not result["changed"] and mutating(client) == [] and "set force_delete: true" in result["kept"]
    result = er.run(FakeModule(params(state="absent", site="prod", force_delete=True), check_mode=True), clients(client))
    assert result["changed"] and mutating(client) == []
    result = er.run(FakeModule(params(state="absent", site="prod", force_delete=True)), clients(client))
    client.delete_repository.assert_called_once_with(repositoryName=NAME, force=True)
    assert result["repository"] is None and result["kept"] is None
    # ours and empty: deleted without force
    client = fake_ecr(repository(), OURS)
    er.run(FakeModule(params(state="absent", site="prod")), clients(client))
    client.delete_repository.assert_called_once_with(repositoryName=NAME, force=False)
    # none: nothing to do
    client = fake_ecr()
    assert er.run(FakeModule(params(state="absent", site="prod")), clients(client))["changed"] is False
