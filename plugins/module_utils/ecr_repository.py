# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An ECR repository (module ecr_repository): created with the ownership tags, compared by meaning,
adopted only when asked to, removed only when it carries this site's ownership tags (and is empty
unless forced).

Ownership: a repository this module creates carries ``prefect-ops:managed-by: prefect_ops.ecs`` and,
when the run names a site (the ``site`` option, or the ``prefect-ops:site`` key of ``tags``),
``prefect-ops:site: <site>``. It is this run's when it carries the managed-by tag and the same site
tag (no site tag at all when the run names no site).

Compared when set, never otherwise: image tag mutability (case-insensitive), scan on push, the
lifecycle policy (parsed; rules in priority order, numbers as numbers, tag lists as sets, an empty
description as none) and the tags (amazon.aws semantics).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re

from ansible.module_utils.six import string_types

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_names as names
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import Changes
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import fail_on_problems
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import identity_and_region
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import plan_tags
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import run_state
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import tag_diff

OWNER_KEY = ecs.OWNER_KEY
OWNER_VALUE = ecs.OWNER_VALUE
SITE_KEY = ecs.SITE_KEY
NAME_RE = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
NAME_MIN, NAME_MAX = 2, 256
MUTABILITY = ("MUTABLE", "IMMUTABLE")
TAG_STATUS = ("tagged", "untagged", "any")
COUNT_TYPES = ("imageCountMoreThan", "sinceImagePushed")
MAX_TAGS = 50  # per ECR repository, the ownership tags included
MAX_POLICY = 30720  # characters of lifecycle policy text ECR accepts


def argument_spec():
    return dict(
        name=dict(type="str", required=True, aliases=["repository_name"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        site=dict(type="str"),
        scan_on_push=dict(type="bool"),
        image_tag_mutability=dict(type="str"),
        lifecycle_policy=dict(type="raw"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        adopt=dict(type="bool", default=False),
        force_delete=dict(type="bool", default=False),
    )


# --- input -----------------------------------------------------------------------------------------


def name_problem(name, field="name"):
    name = "" if name is None else str(name)
    if not NAME_MIN <= len(name) <= NAME_MAX or not NAME_RE.match(name):
        return (f"{field}: {name!r} is not an ECR repository name; use {NAME_MIN} to {NAME_MAX} lowercase letters and "
                "digits in groups joined by '.', '_' or '-', with optional '/' namespaces (for example flows/etl)")
    return None


def parse_policy(value, field="lifecycle_policy"):
    """(policy dict or None, problem or None): a mapping, or its JSON text."""
    if value is None:
        return None, None
    if isinstance(value, string_types):
        if not value.strip():
            return None, (f"{field}: the text is empty; give a lifecycle policy ({{'rules': [...]}}) or leave "
                          f"{field} out to keep the repository's policy as it is")
        try:
            value = json.loads(value)
        except ValueError as e:
            return None, f"{field}: not valid JSON ({e}); give a mapping or its JSON text"
    if not isinstance(value, dict):
        return None, f"{field}: must be a mapping {{'rules': [...]}} or its JSON text (got {type(value).__name__})"
    return value, None


def _is_int(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, string_types) and value.strip().isdigit()


def policy_problems(policy, field="lifecycle_policy"):
    """Problems of a parsed lifecycle policy, each naming the field and the fix."""
    rules = policy.get("rules")
    unknown = sorted(set(policy) - {"rules"})
    problems = []
    if unknown:
        problems.append(f"{field}: unknown key(s) {', '.join(unknown)}; a lifecycle policy has only rules")
    if not isinstance(rules, list) or not rules:
        return problems + [f"{field}.rules: give a list of at least one rule "
                           "({rulePriority, selection: {tagStatus, countType, countNumber}, action: {type: expire}})"]
    priorities = []
    any_rules = 0
    for i, rule in enumerate(rules):
        where = f"{field}.rules[{i}]"
        if not isinstance(rule, dict):
            problems.append(f"{where}: must be a mapping {{rulePriority, selection, action}}")
            continue
        priority = rule.get("rulePriority")
        if not _is_int(priority) or int(priority) < 1:
            problems.append(f"{where}.rulePriority: give a whole number, 1 or more (got {priority!r})")
        else:
            priorities.append(int(priority))
        selection = rule.get("selection")
        if not isinstance(selection, dict):
            problems.append(f"{where}.selection: give a mapping {{tagStatus, countType, countNumber}}")
        else:
            status = selection.get("tagStatus")
            if status not in TAG_STATUS:
                problems.append(f"{where}.selection.tagStatus: use {', '.join(TAG_STATUS)} (got {status!r})")
            if status == "any":
                any_rules += 1
            if status == "tagged" and not (selection.get("tagPrefixList") or selection.get("tagPatternList")):
                problems.append(f"{where}.selection: tagStatus tagged needs tagPrefixList or tagPatternList")
            count_type = selection.get("countType")
            if count_type not in COUNT_TYPES:
                problems.append(f"{where}.selection.countType: use {' or '.join(COUNT_TYPES)} (got {count_type!r})")
            number = selection.get("countNumber")
            if not _is_int(number) or int(number) < 1:
                problems.append(f"{where}.selection.countNumber: give a whole number, 1 or more (got {number!r})")
            if count_type == "sinceImagePushed" and selection.get("countUnit") != "days":
                problems.append(f"{where}.selection.countUnit: countType sinceImagePushed needs countUnit: days")
            if count_type == "imageCountMoreThan" and "countUnit" in selection:
                problems.append(f"{where}.selection.countUnit: only sinceImagePushed takes a countUnit; remove it")
        action = rule.get("action")
        if not isinstance(action, dict) or action.get("type") != "expire":
            problems.append(f"{where}.action: give {{type: expire}} (the only action ECR lifecycle rules have)")
    if len(set(priorities)) != len(priorities):
        problems.append(f"{field}.rules: each rulePriority may appear once")
    if any_rules > 1:
        problems.append(f"{field}.rules: only one rule may have tagStatus any")
    elif any_rules == 1 and priorities:
        rule = next(r for r in rules if isinstance(r, dict) and isinstance(r.get("selection"), dict)
                    and r["selection"].get("tagStatus") == "any")
        if _is_int(rule.get("rulePriority")) and int(rule["rulePriority"]) != max(priorities):
            problems.append(f"{field}.rules: the rule with tagStatus any must have the highest rulePriority "
                            "(ECR evaluates it last); renumber the rules")
    if len(json.dumps(policy)) > MAX_POLICY:
        problems.append(f"{field}: the policy is over {MAX_POLICY} characters of JSON; use fewer rules")
    return problems


def tag_problems(tags, field="tags"):
    return ecs.tag_problems(tags, field, "an ECR repository", [OWNER_KEY, SITE_KEY], MAX_TAGS)


def site_of(params):
    """(site or None, problem or None): the site option, else the prefect-ops:site key of tags."""
    site = params.get("site")
    tagged = (params.get("tags") or {}).get(SITE_KEY)
    problems = ecs.site_problems(site) or ecs.site_tag_problems(params.get("tags"), site)
    if problems:
        return None, problems[0]
    site = site if site is not None else tagged
    return (str(site) if site is not None else None), None


def normalize_mutability(value):
    return None if value is None else str(value).strip().upper()


def static_problems(params):
    """Every input problem found without an AWS call; each names the option and the fix."""
    problems = [name_problem(params.get("name"))]
    dummy, problem = site_of(params)
    problems.append(problem)
    if params.get("state", "present") == "absent":
        return [p for p in problems if p]
    mutability = normalize_mutability(params.get("image_tag_mutability"))
    if mutability is not None and mutability not in MUTABILITY:
        problems.append(f"image_tag_mutability: use IMMUTABLE (a tag always names the same image) or MUTABLE "
                        f"(got {params.get('image_tag_mutability')!r})")
    policy, problem = parse_policy(params.get("lifecycle_policy"))
    problems.append(problem)
    if policy is not None:
        problems += policy_problems(policy)
    problems += tag_problems(params.get("tags"))
    return [p for p in problems if p]


# --- comparison ------------------------------------------------------------------------------------


def canonical_policy(policy):
    """A lifecycle policy in a form equal for equal meaning: rules by priority, numbers as ints,
    tag lists as sorted sets, an empty or missing description dropped."""
    if policy is None:
        return None
    if isinstance(policy, string_types):
        policy = json.loads(policy)
    rules = []
    for rule in policy.get("rules") or []:
        selection = dict(rule.get("selection") or {})
        for key in ("tagPrefixList", "tagPatternList"):
            if key in selection:
                if selection[key]:
                    selection[key] = sorted(set(selection[key]))
                else:
                    del selection[key]
        if _is_int(selection.get("countNumber")):
            selection["countNumber"] = int(selection["countNumber"])
        out = {"rulePriority": int(rule["rulePriority"]) if _is_int(rule.get("rulePriority")) else rule.get("rulePriority"),
               "selection": selection, "action": dict(rule.get("action") or {})}
        if rule.get("description"):
            out["description"] = rule["description"]
        rules.append(out)
    rules.sort(key=lambda r: (not isinstance(r["rulePriority"], int), r["rulePriority"]))
    return {"rules": rules}


def policy_text(policy):
    return json.dumps(canonical_policy(policy), sort_keys=True, separators=(",", ":"))


def settings_of(repo, policy):
    """The settings this module manages, as the repository has them (`policy`: its parsed lifecycle policy)."""
    return {"image_tag_mutability": repo.get("imageTagMutability", "MUTABLE"),
            "scan_on_push": bool((repo.get("imageScanningConfiguration") or {}).get("scanOnPush", False)),
            "lifecycle_policy": canonical_policy(policy)}


def desired_settings(params):
    policy, dummy = parse_policy(params.get("lifecycle_policy"))
    return {"image_tag_mutability": normalize_mutability(params.get("image_tag_mutability")),
            "scan_on_push": params.get("scan_on_push"),
            "lifecycle_policy": canonical_policy(policy)}


def plan_settings(params, current):
    """Settings the task sets that differ from `current` (settings_of): (before, after), exactly those fields."""
    before, after = {}, {}
    for key, want in desired_settings(params).items():
        if want is not None and want != current.get(key):
            before[key], after[key] = copy.deepcopy(current.get(key)), copy.deepcopy(want)
    return before, after


ownership_tags = ecs.site_ownership_tags
is_owned = ecs.is_site_owned
owner_text = ecs.site_owner_text


def ownership_problem(name, tags, site):
    return (f"name: ECR repository {name} exists but is not this run's (it does not carry {owner_text(site)}; its tags: "
            f"{json.dumps(tags, sort_keys=True)}); choose another name, or set adopt: true to manage its settings and "
            "tags (it never gets the ownership tags, so state=absent never deletes it)")


def registry_uri(identity, region, name):
    return f"{identity.account}.dkr.ecr.{region}.{names.dns_suffix(identity.partition)}/{name}"


def repository_arn(identity, region, name):
    return names.build_arn(identity.partition, "ecr", region, identity.account, f"repository/{name}")


def create_payload(params, tags):
    payload = {"repositoryName": params["name"],
               "tags": [{"Key": k, "Value": str(v)} for k, v in sorted(tags.items())]}
    mutability = normalize_mutability(params.get("image_tag_mutability"))
    if mutability is not None:
        payload["imageTagMutability"] = mutability
    if params.get("scan_on_push") is not None:
        payload["imageScanningConfiguration"] = {"scanOnPush": bool(params["scan_on_push"])}
    return payload


def result_repository(arn, uri, name, registry_id, settings, tags):
    return {"arn": arn, "uri": uri, "name": name, "registry_id": registry_id,
            "image_tag_mutability": settings["image_tag_mutability"], "scan_on_push": settings["scan_on_push"],
            "lifecycle_policy": copy.deepcopy(settings["lifecycle_policy"]), "tags": dict(tags)}


# --- reading ---------------------------------------------------------------------------------------


def read_repository(client, name):
    try:
        found = client.describe_repositories(repositoryNames=[name]).get("repositories") or []
    except is_boto3_error_code("RepositoryNotFoundException"):
        return None
    return next((r for r in found if r.get("repositoryName") == name), None)


def read_tags(client, arn):
    return {t["Key"]: t.get("Value", "") for t in client.list_tags_for_resource(resourceArn=arn).get("tags") or []}


def read_policy(client, name):
    try:
        text = client.get_lifecycle_policy(repositoryName=name).get("lifecyclePolicyText")
    except is_boto3_error_code("LifecyclePolicyNotFoundException"):
        return None
    return json.loads(text) if text else None


# --- converge --------------------------------------------------------------------------------------


def converge(module, clients):
    params = module.params
    problems = static_problems(params)
    fail_on_problems(module, problems)
    identity, region = identity_and_region(module, clients, problems)
    fail_on_problems(module, problems)
    client = clients["ecr"]
    name = params["name"]
    site, dummy = site_of(params)
    user_tags = ecs.tags_without_site(params.get("tags"))
    check_mode = module.check_mode
    changes = Changes()
    current = read_repository(client, name)

    if current is None:
        dummy, dummy, tags = plan_tags({}, user_tags, params["purge_tags"], ownership_tags(site))
        payload = create_payload(params, tags)
        policy, dummy = parse_policy(params.get("lifecycle_policy"))
        after = {k: v for k, v in payload.items() if k != "repositoryName"}
        after["tags"] = dict(tags)
        if policy is not None:
            after["lifecyclePolicy"] = canonical_policy(policy)
        changes.created("repository", f"create repository {name}", after)
        if policy is not None:
            changes.actions.append(f"put lifecycle policy of repository {name}")
        if check_mode:
            arn, uri, registry_id = repository_arn(identity, region, name), registry_uri(identity, region, name), identity.account
        else:
            repo = client.create_repository(**payload)["repository"]
            arn, uri, registry_id = repo["repositoryArn"], repo["repositoryUri"], repo.get("registryId")
            if policy is not None:
                client.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=policy_text(policy))
        settings = {"image_tag_mutability": payload.get("imageTagMutability", "MUTABLE"),
                    "scan_on_push": bool(payload.get("imageScanningConfiguration", {}).get("scanOnPush", False)),
                    "lifecycle_policy": canonical_policy(policy)}
        return changes.result(module, repository=result_repository(arn, uri, name, registry_id, settings, tags),
                              owned=True, kept=None)

    arn = current["repositoryArn"]
    current_tags = read_tags(client, arn)
    owned = is_owned(current_tags, site)
    if not owned and not params["adopt"]:
        fail_on_problems(module, [ownership_problem(name, current_tags, site)])
    settings = settings_of(current, read_policy(client, name))
    before, after = plan_settings(params, settings)
    if "image_tag_mutability" in after:
        changes.updated("repository", f"put image tag mutability of repository {name} ({after['image_tag_mutability']})",
                        {"image_tag_mutability": before["image_tag_mutability"]},
                        {"image_tag_mutability": after["image_tag_mutability"]})
        if not check_mode:
            client.put_image_tag_mutability(repositoryName=name, imageTagMutability=after["image_tag_mutability"])
    if "scan_on_push" in after:
        changes.updated("repository", f"put image scanning configuration of repository {name} "
                        f"(scan on push {after['scan_on_push']})",
                        {"scan_on_push": before["scan_on_push"]}, {"scan_on_push": after["scan_on_push"]})
        if not check_mode:
            client.put_image_scanning_configuration(repositoryName=name,
                                                    imageScanningConfiguration={"scanOnPush": after["scan_on_push"]})
    if "lifecycle_policy" in after:
        changes.updated("repository", f"put lifecycle policy of repository {name}",
                        {"lifecycle_policy": before["lifecycle_policy"]}, {"lifecycle_policy": after["lifecycle_policy"]})
        if not check_mode:
            client.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=policy_text(after["lifecycle_policy"]))
    settings.update(after)
    # An adopted repository never gets the ownership tags: state=absent must be able to tell it apart.
    to_set, to_unset, tags = plan_tags(current_tags, user_tags, params["purge_tags"],
                                       ownership_tags(site) if owned else {})
    if to_set or to_unset:
        tags_before, tags_after = tag_diff(current_tags, tags)
        changes.updated("repository", f"update tags of repository {name}", {"tags": tags_before}, {"tags": tags_after})
        if not check_mode:
            if to_unset:
                client.untag_resource(resourceArn=arn, tagKeys=list(to_unset))
            if to_set:
                client.tag_resource(resourceArn=arn, tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())])
    return changes.result(module, repository=result_repository(arn, current["repositoryUri"], name,
                                                               current.get("registryId"), settings, tags),
                          owned=owned, kept=None)


def remove(module, clients):
    """state=absent: delete the repository when it carries this run's ownership tags, and is empty unless forced."""
    params = module.params
    fail_on_problems(module, static_problems(params))
    client = clients["ecr"]
    name = params["name"]
    site, dummy = site_of(params)
    changes = Changes()
    current = read_repository(client, name)
    if current is None:
        return changes.result(module, repository=None, owned=False, kept=None)
    arn = current["repositoryArn"]
    tags = read_tags(client, arn)
    settings = settings_of(current, read_policy(client, name))
    repository = result_repository(arn, current["repositoryUri"], name, current.get("registryId"), settings, tags)
    if not is_owned(tags, site):
        kept = f"it does not carry the ownership tags ({owner_text(site)})"
        module.warn(f"ECR repository {name} was left in place: {kept}")
        return changes.result(module, repository=repository, owned=False, kept=kept)
    images = client.list_images(repositoryName=name, maxResults=1).get("imageIds") or []
    if images and not params["force_delete"]:
        kept = "it holds images; set force_delete: true to delete it with its images"
        module.warn(f"ECR repository {name} was left in place: {kept}")
        return changes.result(module, repository=repository, owned=True, kept=kept)
    changes.deleted("repository", f"delete repository {name}" + (" with its images" if images else ""),
                    {"arn": arn, "uri": current["repositoryUri"], "tags": tags})
    if not module.check_mode:
        client.delete_repository(repositoryName=name, force=bool(images))
    return changes.result(module, repository=None, owned=True, kept=None)


def run(module, clients):
    return run_state(module, clients, converge, remove, f"the ECR repository {module.params['name']}")
