# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the ECS modules (ecs_task_definition, ecs_service): ownership tags, ECS tag
lists, ARNs, and making API answers JSON-safe. Nothing here talks to AWS except apply_tags."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_names as names

# The ownership tags and their rules are defined once, in module_utils/ownership.py; the ECS modules (and the
# log group, secret and ECR modules) use them through this module.
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ownership import (  # noqa: F401 pylint: disable=unused-import
    OWNER_KEY, OWNER_VALUE, OWNER_TAGS, SITE_KEY, site_ownership_tags, is_site_owned, is_owned_or_unsited,
    run_site, site_problems, site_tag_problems, tags_without_site, site_owner_text, check_owner_tag,
)


CLUSTER_ARN_EXAMPLE = "arn:<partition>:ecs:<region>:<12-digit account>:cluster/<cluster name>"
TASK_DEFINITION_ARN_EXAMPLE = "arn:<partition>:ecs:<region>:<12-digit account>:task-definition/<family>:<revision>"
ROLE_ARN_EXAMPLE = "arn:<partition>:iam::<12-digit account>:role/<role name>"


def tag_problems(tags, field, resource, reserved_keys, max_tags):
    """Problems of user tags for `resource` (e.g. "an ECS cluster"): another value for the ownership key,
    keys AWS reserves, key and value lengths, and the count with the ownership tags (`reserved_keys`)."""
    if not tags:
        return []
    problems = [check_owner_tag(tags, field)]
    for key, value in tags.items():
        if str(key).lower().startswith("aws:"):
            problems.append(f"{field}: the key {key!r} starts with aws:, which AWS reserves; rename it")
        elif not 1 <= len(str(key)) <= 128:
            problems.append(f"{field}: the key {key!r} must be 1 to 128 characters")
        if len(str(value)) > 256:
            problems.append(f"{field}.{key}: the value is {len(str(value))} characters, over the limit of 256")
    if len(set(tags) | set(reserved_keys)) > max_tags:
        plural = "s" if len(reserved_keys) > 1 else ""
        problems.append(f"{field}: {resource} holds at most {max_tags} tags, the ownership tag{plural} "
                        f"({', '.join(reserved_keys)}) included; give at most {max_tags - len(reserved_keys)}")
    return problems


def owned_by_run(params, obj):
    """An ECS object (cluster, service: ``tags`` as an ECS tag list) is this run's: the ownership tags with the
    run's site, or - made before the site option - the managed-by tag and no site tag (it then gets the site tag)."""
    return is_owned_or_unsited(tags_to_dict(obj.get("tags")), run_site(params))


def tags_to_dict(tag_list):
    """ECS tag list ([{key, value}]) -> dict."""
    return {t["key"]: t.get("value", "") for t in (tag_list or [])}


def dict_to_tags(tags):
    """dict -> ECS tag list, sorted by key (stable request bodies)."""
    return [{"key": k, "value": str(v)} for k, v in sorted((tags or {}).items())]


def user_tags(tags):
    """Tags that may be copied to a new object: AWS-reserved (aws:*) keys cannot be set by anyone."""
    return {k: v for k, v in (tags or {}).items() if not k.startswith("aws:")}


def jsonable(value):
    """An API answer with datetimes as ISO strings, so it can be returned and diffed."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def capacity_strategy(strategy):
    """The API form of a capacity provider strategy as the user sets it (weight and base only when given)."""
    if strategy is None:
        return None
    out = []
    for item in strategy:
        entry = {"capacityProvider": item["capacity_provider"]}
        entry.update({key: item[key] for key in ("weight", "base") if item.get(key) is not None})
        out.append(entry)
    return out


# --- ARNs ----------------------------------------------------------------------------------------


def family_arn(identity, region, family):
    return names.build_arn(identity.partition, "ecs", region, identity.account, f"task-definition/{family}")


def revision_arn(identity, region, family, revision):
    return f"{family_arn(identity, region, family)}:{int(revision)}"


def revision_of(arn):
    """The revision number at the end of a task definition ARN (or family:revision), else None."""
    try:
        return int(str(arn).rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return None


def service_arn(identity, region, cluster_name, service_name):
    return names.build_arn(identity.partition, "ecs", region, identity.account, f"service/{cluster_name}/{service_name}")


def resolve_cluster(value, identity, region, field="cluster"):
    """(cluster name, cluster ARN, problem) for a cluster given as name or ARN."""
    value = (value or "").strip()
    if value.startswith("arn:"):
        problem = names.check_arn(value, field, "ecs", "cluster", CLUSTER_ARN_EXAMPLE, identity=identity, region=region,
                                  name_kind="ecs_cluster")
        if problem:
            return None, None, problem
        return names.parse_arn(value)["resource_id"], value, None
    problem = names.check_name("ecs_cluster", value, field)
    if problem:
        return None, None, problem + f" (or give the cluster ARN, {CLUSTER_ARN_EXAMPLE})"
    return value, names.ecs_cluster_arn(identity, region, value), None


def check_role_arn(value, field, identity):
    """An IAM role ARN in the credentials' partition (IAM ARNs have no region)."""
    if value is None:
        return None
    return names.check_arn(value, field, "iam", "role", ROLE_ARN_EXAMPLE, identity=identity)


# --- tags on an ECS resource -----------------------------------------------------------------------


def apply_tags(ecs, check_mode, arn, to_set, to_unset):
    """TagResource/UntagResource on an ECS resource (nothing in check mode)."""
    if check_mode:
        return
    if to_unset:
        ecs.untag_resource(resourceArn=arn, tagKeys=list(to_unset))
    if to_set:
        ecs.tag_resource(resourceArn=arn, tags=dict_to_tags(to_set))
