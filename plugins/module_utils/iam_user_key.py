# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An IAM user with tags and inline policies, and the access key its one holder (a Prefect credentials block) holds
(module iam_user_key).

The holder is told, not read: ``held_key_id`` is the key ID the holder has now (empty: it has none). A run

- creates or converges the user (ownership tags, inline policies exactly as given);
- keeps the held key when it is an Active key of the user; otherwise (or with ``rotate``) creates a key and returns
  its secret once (``secret_access_key``), for the caller to write into the holder. IAM allows two keys per user: to
  make room, a key the holder does not hold is deleted first (left by an interrupted run; nothing else holds
  the user's keys);
- with ``retire_other_keys``, deactivates and then deletes every key but ``held_key_id``: the caller's last step,
  after the holder holds the new key.

The stock amazon.aws.iam_access_key creates a new key on every run that gives no key ID (it cannot converge on "the
key the block holds"), and user, inline policy and key cost three module runs (tests/integration/test_push_lane.py).
A user that does not carry this site's ownership tags fails the run before anything is written, and is left in place
by state=absent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_names as names
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import Changes
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import fail_on_problems
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import identity_and_region
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import plan_tags
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import run_state
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import tag_diff
from ansible_collections.prefect_ops.ecs.plugins.module_utils.iam_roles import PATH_RE, differs, document

import json

MAX_KEYS = 2  # IAM's limit of access keys per user
PREDICTED_KEY = "(a new access key: its ID is known after the run)"


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        site=dict(type="str", required=True),
        path=dict(type="str", default="/"),
        inline_policies=dict(type="dict"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=False),
        held_key_id=dict(type="str", default=""),
        rotate=dict(type="bool", default=False),
        retire_other_keys=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )


def static_problems(params):
    problems = ecs.site_problems(params.get("site"))
    problems.append(names.check_name("iam_user", params.get("name") or "", "name"))
    path = params.get("path") or ""
    if not PATH_RE.match(path) or len(path) > 512:
        problems.append("path: must start and end with / (e.g. / or /prefect/); got %r" % path)
    for policy, doc in (params.get("inline_policies") or {}).items():
        problems.append(names.check_name("iam_policy", str(policy), "inline_policies[%r]" % policy))
        if not isinstance(doc, dict) or "Statement" not in doc:
            problems.append("inline_policies[%r]: must be a policy document with a Statement" % policy)
    if params.get("rotate") and params.get("retire_other_keys"):
        problems.append("rotate and retire_other_keys: rotate in one task (it makes the new key), retire the old key "
                        "in a later one, after the holder holds the new key")
    problems += ecs.tag_problems(params.get("tags"), "tags", "an IAM user", [ecs.OWNER_KEY, ecs.SITE_KEY], 50)
    problems += ecs.site_tag_problems(params.get("tags"), params.get("site"))
    return [p for p in problems if p]


def read_user(iam, name):
    """The user as IAM holds it ({arn, tags, inline, keys: [{id, status, created}] oldest first}), or None."""
    try:
        user = iam.get_user(UserName=name)["User"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    tags = dict((t["Key"], t["Value"]) for t in iam.paginate("list_user_tags", "Tags", UserName=name))
    inline = dict((p, document(iam.get_user_policy(UserName=name, PolicyName=p)["PolicyDocument"]))
                  for p in iam.paginate("list_user_policies", "PolicyNames", UserName=name))
    keys = sorted(({"id": k["AccessKeyId"], "status": k["Status"], "created": str(k.get("CreateDate") or "")}
                   for k in iam.paginate("list_access_keys", "AccessKeyMetadata", UserName=name)),
                  key=lambda k: k["created"])
    return {"arn": user["Arn"], "tags": tags, "inline": inline, "keys": keys}


def plan_keys(keys, held, rotate, retire):
    """(make_new, delete_first, retire) for the user's ``keys`` (oldest first) and the key the holder holds:
    make_new - create a key; delete_first - key IDs to delete before creating (room under IAM's limit: keys the
    holder does not hold, oldest first); retire - key IDs to deactivate, then delete (all but the held one)."""
    active = [k["id"] for k in keys if k["status"] == "Active"]
    # in check mode, the retiring step after a predicted new key: the holder would hold that new key
    make_new = held != PREDICTED_KEY and (rotate or held not in active)
    delete_first = []
    if make_new:
        spare = [k["id"] for k in keys if k["id"] != held]
        delete_first = spare[:max(0, len(keys) - MAX_KEYS + 1)]
    to_retire = [k["id"] for k in keys if k["id"] != held and k["id"] not in delete_first] if retire and not make_new else []
    return make_new, delete_first, to_retire


def converge_user(module, iam, identity, changes, current, tags):
    params, name = module.params, module.params["name"]
    resource = "user " + name
    wanted_inline = params.get("inline_policies")
    if current is None:
        inline = dict(wanted_inline or {})
        changes.created(resource, "create user " + name, {"path": params["path"], "tags": tags, "inline_policies": inline})
        changes.actions.extend("put inline policy %s of user %s" % (p, name) for p in sorted(inline))
        if module.check_mode:
            arn = names.build_arn(identity.partition, "iam", "", identity.account, "user%s%s" % (params["path"], name))
        else:
            arn = iam.create_user(UserName=name, Path=params["path"],
                                  Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])["User"]["Arn"]
            for policy, doc in sorted(inline.items()):
                iam.put_user_policy(UserName=name, PolicyName=policy, PolicyDocument=json.dumps(doc))
        return {"arn": arn, "tags": tags, "inline": inline, "keys": []}
    inline = dict(current["inline"])
    if wanted_inline is not None:
        for policy, doc in sorted(wanted_inline.items()):
            if policy not in inline or differs(inline[policy], doc):
                changes.updated(resource, "put inline policy %s of user %s" % (policy, name),
                                {"inline_policies": {policy: inline.get(policy)}}, {"inline_policies": {policy: doc}})
                if not module.check_mode:
                    iam.put_user_policy(UserName=name, PolicyName=policy, PolicyDocument=json.dumps(doc))
                inline[policy] = doc
        for policy in sorted(set(inline) - set(wanted_inline)):
            changes.updated(resource, "delete inline policy %s of user %s" % (policy, name),
                            {"inline_policies": {policy: inline[policy]}}, {"inline_policies": {policy: None}})
            if not module.check_mode:
                iam.delete_user_policy(UserName=name, PolicyName=policy)
            del inline[policy]
    to_set, to_unset, after_tags = plan_tags(current["tags"], ecs.tags_without_site(params.get("tags")),
                                             params["purge_tags"], ecs.site_ownership_tags(params["site"]))
    if to_set or to_unset:
        before, after = tag_diff(current["tags"], after_tags)
        changes.updated(resource, "update tags of user " + name, {"tags": before}, {"tags": after})
        if not module.check_mode:
            if to_unset:
                iam.untag_user(UserName=name, TagKeys=list(to_unset))
            if to_set:
                iam.tag_user(UserName=name, Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())])
    return dict(current, inline=inline, tags=after_tags)


def converge_keys(module, iam, changes, user):
    """Apply plan_keys; returns (keys as left, the key the holder is to hold, its secret or None)."""
    params, name = module.params, module.params["name"]
    keys = list(user["keys"])
    held = params["held_key_id"] or ""
    make_new, delete_first, to_retire = plan_keys(keys, held, params["rotate"], params["retire_other_keys"])
    for key_id in delete_first:
        changes.deleted("access key " + key_id, "delete access key %s of user %s (the holder does not hold it)" % (key_id, name),
                        {"user": name})
        if not module.check_mode:
            iam.delete_access_key(UserName=name, AccessKeyId=key_id)
    keys = [k for k in keys if k["id"] not in delete_first]
    secret = None
    current_key = held
    if make_new:
        why = "rotate" if params["rotate"] else ("the holder holds no active key of the user" if not held else
                                                 "the key the holder holds (%s) is not an active key of the user" % held)
        if module.check_mode:
            current_key = PREDICTED_KEY
        else:
            created = iam.create_access_key(UserName=name)["AccessKey"]
            current_key, secret = created["AccessKeyId"], created["SecretAccessKey"]
            keys.append({"id": current_key, "status": "Active", "created": str(created.get("CreateDate") or "")})
        changes.created("access key", "create an access key for user %s (%s)" % (name, why), {"id": current_key, "user": name})
    for key_id in to_retire:
        status = next(k["status"] for k in keys if k["id"] == key_id)
        if status == "Active":
            changes.updated("access key " + key_id, "deactivate access key %s of user %s" % (key_id, name),
                            {"status": "Active"}, {"status": "Inactive"})
            if not module.check_mode:
                iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Inactive")
        changes.deleted("access key " + key_id, "delete access key %s of user %s" % (key_id, name), {"user": name})
        if not module.check_mode:
            iam.delete_access_key(UserName=name, AccessKeyId=key_id)
    keys = [k for k in keys if k["id"] not in to_retire]
    return keys, current_key, secret


def not_owned_message(name, site, arn):
    return ("the IAM user %s (%s) exists but was not created by prefect_ops.ecs for the site %r (its prefect-ops:* tags "
            "differ), so it is neither changed nor removed; choose another name" % (name, arn, site))


def result(module, changes, user, keys, access_key_id, secret):
    out = changes.result(module, user={"name": module.params["name"], "arn": user["arn"] if user else "",
                                       "tags": user["tags"] if user else {},
                                       "inline_policies": user["inline"] if user else {}},
                         keys=keys, key_ids=[k["id"] for k in keys], access_key_id=access_key_id,
                         new_key=secret is not None or access_key_id == PREDICTED_KEY)
    if secret is not None:
        out["secret_access_key"] = secret
    return out


def converge(module, clients):
    params = module.params
    fail_on_problems(module, static_problems(params))
    identity, dummy = identity_and_region(module, clients)
    iam, site = clients["iam"], params["site"]
    current = read_user(iam, params["name"])
    if current and not ecs.is_site_owned(current["tags"], site):
        module.fail_json(msg="name: " + not_owned_message(params["name"], site, current["arn"]))
    changes = Changes()
    tags = plan_tags({}, ecs.tags_without_site(params.get("tags")), params["purge_tags"], ecs.site_ownership_tags(site))[2]
    user = converge_user(module, iam, identity, changes, current, tags)
    keys, access_key_id, secret = converge_keys(module, iam, changes, user)
    return result(module, changes, user, keys, access_key_id, secret)


def remove(module, clients):
    """state=absent: the user, its keys and inline policies, when it carries this site's tags; otherwise kept.
    In check mode its key IDs are returned (a caller's ownership check reads them before anything is removed)."""
    params = module.params
    fail_on_problems(module, static_problems(dict(params, inline_policies=None)))
    iam, name, site = clients["iam"], params["name"], params["site"]
    found = read_user(iam, name)
    changes = Changes()
    if found is None:
        return changes.result(module, user={}, keys=[], key_ids=[], access_key_id="", new_key=False, kept=False)
    if not ecs.is_site_owned(found["tags"], site):
        module.warn("IAM user %s was left in place: it does not carry %s" % (name, ecs.site_owner_text(site)))
        return changes.result(module, user={}, keys=[], key_ids=[], access_key_id="", new_key=False, kept=True)
    changes.deleted("user " + name, "delete user " + name,
                    {"arn": found["arn"], "inline_policies": found["inline"], "access_keys": [k["id"] for k in found["keys"]]})
    if not module.check_mode:
        for key in found["keys"]:
            iam.delete_access_key(UserName=name, AccessKeyId=key["id"])
        for policy in found["inline"]:
            iam.delete_user_policy(UserName=name, PolicyName=policy)
        try:
            iam.delete_user(UserName=name)
        except is_boto3_error_code("NoSuchEntity"):
            pass
    keys = found["keys"] if module.check_mode else []
    return changes.result(module, user={"name": name, "arn": found["arn"], "tags": found["tags"],
                                        "inline_policies": found["inline"]} if module.check_mode else {},
                          keys=keys, key_ids=[k["id"] for k in keys], access_key_id="", new_key=False, kept=False)


def run(module, clients):
    return run_state(module, clients, converge, remove, "the IAM user %s" % module.params["name"])
