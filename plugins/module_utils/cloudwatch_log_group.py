# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A CloudWatch Logs log group (module cloudwatch_log_group): retention, KMS key and tags, created with the
ownership tags; an existing group without them is changed only when adopted (and then never gets them), and
removed only when it carries this run's ownership tags.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import json
import re

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

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
NAME_RE = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
KMS_RE = re.compile(r"^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$")
RETENTION = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
MAX_TAGS = 50


def argument_spec():
    return dict(
        name=dict(type="str", aliases=["log_group_name"]),
        names=dict(type="list", elements="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        site=dict(type="str"),
        retention=dict(type="int"),
        kms_key_id=dict(type="str", no_log=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        adopt=dict(type="bool", default=False),
    )


MUTUALLY_EXCLUSIVE = [["name", "names"]]
REQUIRED_ONE_OF = [["name", "names"]]


def static_problems(params):
    """Every input problem found without an AWS call; each names the option and the fix."""
    names = params.get("names")
    if names is not None:
        problems = [] if names else ["names: give at least one log group name"]
        if len(set(names)) != len(names):
            problems.append("names: a log group is listed twice; list each name once")
        for name in names:
            for problem in static_problems(dict(params, names=None, name=name)):
                problem = "names: " + problem[len("name: "):] if problem.startswith("name: ") else problem
                if problem not in problems:
                    problems.append(problem)
        return problems
    name = params.get("name") or ""
    problems = []
    if not NAME_RE.match(name):
        problems.append(f"name: {name!r} is not a log group name; use 1 to 512 letters, digits and ._-/# characters")
    site = params.get("site")
    problems += ecs.site_problems(site)
    if params.get("state") == "absent":
        return problems
    retention = params.get("retention")
    if retention is not None and retention != 0 and retention not in RETENTION:
        problems.append(f"retention: {retention} days is not a retention CloudWatch Logs accepts; use one of "
                        f"{', '.join(str(r) for r in RETENTION)}, or 0 to keep the events forever")
    key = params.get("kms_key_id")
    if key and not KMS_RE.match(key):
        problems.append(f"kms_key_id: {key!r} is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>); "
                        "CloudWatch Logs takes only a key ARN, or an empty string for no key")
    problems += ecs.tag_problems(params.get("tags"), "tags", "a log group", [OWNER_KEY, SITE_KEY], MAX_TAGS)
    problems += ecs.site_tag_problems(params.get("tags"), site)
    return problems


ownership_tags = ecs.site_ownership_tags
is_owned = ecs.is_site_owned
owner_text = ecs.site_owner_text


def result_group(arn, name, retention, key, tags):
    return {"arn": arn, "name": name, "retention": retention, "kms_key_id": key, "tags": dict(tags)}


def read_group(client, name, reads=None):
    """The group and its tags, or (None, {}); from ``reads`` (name -> (group, tags)) when it was read already."""
    if reads and name in reads:
        return reads[name]
    groups = client.paginate("describe_log_groups", "logGroups", logGroupNamePrefix=name)
    group = next((g for g in groups if g.get("logGroupName") == name), None)
    if group is None:
        return None, {}
    return group, client.list_tags_log_group(logGroupName=name).get("tags") or {}


def create(module, client, identity, region, changes, site):
    params = module.params
    name = params["name"]
    dummy, dummy, tags = plan_tags({}, params.get("tags"), params["purge_tags"], ownership_tags(site))
    retention = params.get("retention") or None
    key = params.get("kms_key_id") or None
    after = {"retention": retention, "kms_key_id": key, "tags": tags}
    changes.created("log group", f"create log group {name}", {k: v for k, v in after.items() if v is not None})
    if retention:
        changes.actions.append(f"put retention of log group {name} ({retention} days)")
    if module.check_mode:
        arn = names.build_arn(identity.partition, "logs", region, identity.account, f"log-group:{name}:*")
    else:
        payload = {"logGroupName": name, "tags": tags}
        if key:
            payload["kmsKeyId"] = key
        client.create_log_group(**payload)
        if retention:
            client.put_retention_policy(logGroupName=name, retentionInDays=retention)
        arn = (read_group(client, name)[0] or {}).get("arn")
    return changes.result(module, log_group=result_group(arn, name, retention, key, tags), owned=True, kept=None)


def converge(module, clients, reads=None):
    params = module.params
    problems = static_problems(params)
    fail_on_problems(module, problems)
    identity, region = identity_and_region(module, clients, problems)
    client = clients["logs"]
    name, site = params["name"], params.get("site")
    changes = Changes()
    group, current_tags = read_group(client, name, reads)
    if group is None:
        return create(module, client, identity, region, changes, site)

    owned = is_owned(current_tags, site)
    if not owned and not params["adopt"]:
        module.fail_json(msg=f"name: the log group {name} exists but is not this run's (it does not carry "
                             f"{owner_text(site)}; its tags: {json.dumps(current_tags, sort_keys=True)}), so it is "
                             "not changed; choose another name, or set adopt: true to manage its retention, key and "
                             "tags (it never gets the ownership tags, so state=absent never deletes it)", owned=False)
    check_mode = module.check_mode
    retention = group.get("retentionInDays")
    wanted = params.get("retention")
    if wanted is not None and (wanted or None) != retention:
        changes.updated("log group", f"put retention of log group {name} ({wanted or 'never expire'})",
                        {"retention": retention}, {"retention": wanted or None})
        if not check_mode:
            if wanted:
                client.put_retention_policy(logGroupName=name, retentionInDays=wanted)
            else:
                client.delete_retention_policy(logGroupName=name)
        retention = wanted or None
    key = group.get("kmsKeyId")
    if params.get("kms_key_id") is not None and (params["kms_key_id"] or None) != key:
        wanted_key = params["kms_key_id"] or None
        changes.updated("log group", f"{'associate' if wanted_key else 'disassociate'} the KMS key of log group {name}",
                        {"kms_key_id": key}, {"kms_key_id": wanted_key})
        if not check_mode:
            if wanted_key:
                client.associate_kms_key(logGroupName=name, kmsKeyId=wanted_key)
            else:
                client.disassociate_kms_key(logGroupName=name)
        key = wanted_key
    user_tags = ecs.tags_without_site(params.get("tags"))
    # An adopted group never gets the ownership tags: state=absent must be able to tell it apart.
    to_set, to_unset, tags = plan_tags(current_tags, user_tags, params["purge_tags"], ownership_tags(site) if owned else {})
    if to_set or to_unset:
        before, after = tag_diff(current_tags, tags)
        changes.updated("log group", f"update tags of log group {name}", {"tags": before}, {"tags": after})
        if not check_mode:
            if to_unset:
                client.untag_log_group(logGroupName=name, tags=list(to_unset))
            if to_set:
                client.tag_log_group(logGroupName=name, tags=to_set)
    return changes.result(module, log_group=result_group(group.get("arn"), name, retention, key, tags), owned=owned,
                          kept=None)


def remove(module, clients):
    """state=absent: delete the group only when it carries this run's ownership tags."""
    params = module.params
    fail_on_problems(module, static_problems(params))
    client = clients["logs"]
    name, site = params["name"], params.get("site")
    changes = Changes()
    group, tags = read_group(client, name)
    if group is None:
        return changes.result(module, log_group=None, owned=False, kept=None)
    if not is_owned(tags, site):
        kept = f"it does not carry the ownership tags ({owner_text(site)})"
        module.warn(f"Log group {name} was left in place: {kept}")
        return changes.result(module, log_group=result_group(group.get("arn"), name, group.get("retentionInDays"),
                                                             group.get("kmsKeyId"), tags), owned=False, kept=kept)
    changes.deleted("log group", f"delete log group {name}", {"arn": group.get("arn"), "tags": tags})
    if not module.check_mode:
        try:
            client.delete_log_group(logGroupName=name)
        except is_boto3_error_code("ResourceNotFoundException"):
            pass  # already gone
    return changes.result(module, log_group=None, owned=True, kept=None)


def run(module, clients):
    names = module.params.get("names")
    if not names:
        return run_state(module, clients, converge, remove, f"the log group {module.params['name']}")
    return run_many(module, clients, names)


def run_many(module, clients, names):
    """O(names): the same settings for several groups in one module run. Every name is checked, and (for
    state=present without adopt) every group read and its ownership checked, before the first write."""
    params = module.params
    fail_on_problems(module, static_problems(params))
    reads = {}
    if params["state"] == "present" and not params["adopt"]:
        try:
            reads = {name: read_group(clients["logs"], name) for name in names}
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
            module.fail_json_aws(e, msg=f"Failed to read the log groups {', '.join(names)}")
        foreign = [name for name, (group, tags) in reads.items() if group is not None and not is_owned(tags, params.get("site"))]
        if foreign:
            module.fail_json(msg=f"names: the log groups {', '.join(foreign)} exist but are not this run's (they do not "
                                 f"carry {owner_text(params.get('site'))}), so none is changed; choose other names, or "
                                 "set adopt: true to manage their retention, key and tags (they never get the ownership "
                                 "tags, so state=absent never deletes them)", owned=False)
    results, given = [], dict(params)
    for name in names:  # the single-group code, on the module's own parameters (a property without a setter)
        params.clear()
        params.update(given, names=None, name=name)
        results.append(run_state(module, clients, functools.partial(converge, reads=reads), remove,
                                 f"the log group {name}"))
    params.clear()
    params.update(given)
    merged = {"changed": any(r["changed"] for r in results), "actions": [a for r in results for a in r["actions"]],
              "log_groups": [r["log_group"] for r in results], "log_group": None,
              "owned": all(r["owned"] for r in results), "kept": None,
              "changed_items": [n for n, r in zip(names, results) if r["changed"]],
              "kept_items": [n for n, r in zip(names, results) if r.get("kept")]}
    if module._diff:  # pylint: disable=protected-access
        merged["diff"] = {"before": {n: r["diff"]["before"] for n, r in zip(names, results) if r["diff"]["before"]},
                          "after": {n: r["diff"]["after"] for n, r in zip(names, results) if r["diff"]["after"]}}
    return merged
