# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM roles with their trust policy, managed and inline policies and tags, several in one module run (module
iam_roles).

Every role is read first (GetRole, ListAttachedRolePolicies, ListRolePolicies, GetRolePolicy of each inline policy);
a role of a wanted name that this site did not create fails the run before anything is written. Then each role is
compared and only what differs is written. amazon.aws.iam_role plus iam_policy cost one module run per role and one
per inline policy, and iam_role cannot predict in check mode the inline policies of a role it would create
(tests/integration/test_iam_roles.py counts what this saves).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_names as names
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import Changes
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import fail_on_problems
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import identity_and_region
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import plan_tags
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import run_state
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import tag_diff

PATH_RE = re.compile(r"^/([A-Za-z0-9_+=,.@-]+/)*$")
MANAGED_POLICY_RE = re.compile(r"^arn:[a-z-]+:iam::([0-9]{12}|aws):policy/.+$")
BOUNDARY_RE = MANAGED_POLICY_RE
MAX_TAGS = 50


def argument_spec():
    return dict(
        site=dict(type="str", required=True),
        path=dict(type="str", default="/"),
        roles=dict(type="list", elements="dict", required=True, options=dict(
            name=dict(type="str", required=True),
            description=dict(type="str"),
            assume_role_policy_document=dict(type="dict"),
            managed_policies=dict(type="list", elements="str"),
            inline_policies=dict(type="dict"),
            permissions_boundary=dict(type="str"),
        )),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )


def static_problems(params):
    """Every input problem found without an AWS call; each names the option and the fix."""
    problems = ecs.site_problems(params.get("site"))
    path = params.get("path") or ""
    if not PATH_RE.match(path) or len(path) > 512:
        problems.append("path: must start and end with / (e.g. / or /prefect/); got %r" % path)
    seen = set()
    for i, role in enumerate(params.get("roles") or []):
        field = "roles[%d]" % i
        name = role.get("name") or ""
        problems.append(names.check_name("iam_role", name, field + ".name"))
        if name in seen:
            problems.append("%s.name: %r is listed twice; list each role once" % (field, name))
        seen.add(name)
        if params.get("state") == "absent":
            continue
        if not role.get("assume_role_policy_document"):
            problems.append("%s.assume_role_policy_document: a role needs its trust policy (who may assume it)" % field)
        for j, arn in enumerate(role.get("managed_policies") or []):
            if not MANAGED_POLICY_RE.match(str(arn)):
                problems.append("%s.managed_policies[%d]: %r is not a managed policy ARN "
                                "(arn:<partition>:iam::<account or aws>:policy/<name>)" % (field, j, arn))
        for policy, document in (role.get("inline_policies") or {}).items():
            problems.append(names.check_name("iam_policy", str(policy), "%s.inline_policies[%r]" % (field, policy)))
            if not isinstance(document, dict) or "Statement" not in document:
                problems.append("%s.inline_policies[%r]: must be a policy document with a Statement" % (field, policy))
        boundary = role.get("permissions_boundary")
        if boundary and not BOUNDARY_RE.match(boundary):
            problems.append("%s.permissions_boundary: %r is not a managed policy ARN; use an empty string for none"
                            % (field, boundary))
    problems += ecs.tag_problems(params.get("tags"), "tags", "an IAM role", [ecs.OWNER_KEY, ecs.SITE_KEY], MAX_TAGS)
    problems += ecs.site_tag_problems(params.get("tags"), params.get("site"))
    return [p for p in problems if p]


def read_role(iam, name):
    """The role as IAM holds it ({arn, path, description, trust, boundary, tags, attached, inline}), or None."""
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    attached = sorted(p["PolicyArn"] for p in iam.paginate("list_attached_role_policies", "AttachedPolicies",
                                                           RoleName=name))
    inline = {}
    for policy in iam.paginate("list_role_policies", "PolicyNames", RoleName=name):
        inline[policy] = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
    return {"arn": role["Arn"], "path": role.get("Path", "/"), "description": role.get("Description") or "",
            "trust": role.get("AssumeRolePolicyDocument") or {},
            "boundary": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn") or "",
            "tags": dict((t["Key"], t["Value"]) for t in role.get("Tags") or []), "attached": attached, "inline": inline}


def document(value):
    """A policy document as IAM returns it (a dict; a string is JSON text) for comparing."""
    return json.loads(value) if isinstance(value, str) else value


def differs(current, wanted):
    return compare_policies(document(current), document(wanted))


def result_role(name, arn, owned, tags, attached, inline, wanted_order):
    """The role as this run leaves it; ``documents`` are the inline policies' documents in the wanted order."""
    order = [p for p in wanted_order if p in inline] + sorted(p for p in inline if p not in wanted_order)
    return {"name": name, "arn": arn, "owned": owned, "tags": dict(tags), "attached": sorted(attached),
            "inline": dict(inline), "documents": [inline[p] for p in order]}


def create_role(module, iam, identity, changes, wanted, tags):
    params, name = module.params, wanted["name"]
    inline = dict(wanted.get("inline_policies") or {})
    attached = sorted(set(wanted.get("managed_policies") or []))
    after = {"path": params["path"], "description": wanted.get("description") or "",
             "assume_role_policy_document": wanted["assume_role_policy_document"], "tags": tags,
             "managed_policies": attached, "inline_policies": inline}
    if wanted.get("permissions_boundary"):
        after["permissions_boundary"] = wanted["permissions_boundary"]
    changes.created("role " + name, "create role " + name, after)
    changes.actions.extend("attach %s to role %s" % (arn, name) for arn in attached)
    changes.actions.extend("put inline policy %s of role %s" % (p, name) for p in sorted(inline))
    if module.check_mode:
        arn = names.build_arn(identity.partition, "iam", "", identity.account, "role%s%s" % (params["path"], name))
    else:
        payload = dict(RoleName=name, Path=params["path"], AssumeRolePolicyDocument=json.dumps(wanted["assume_role_policy_document"]),
                       Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])
        if wanted.get("description") is not None:
            payload["Description"] = wanted["description"]
        if wanted.get("permissions_boundary"):
            payload["PermissionsBoundary"] = wanted["permissions_boundary"]
        arn = iam.create_role(**payload)["Role"]["Arn"]
        for policy_arn in attached:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        for policy, doc in sorted(inline.items()):
            iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(doc))
    return result_role(name, arn, True, tags, attached, inline, list(inline))


def update_role(module, iam, changes, wanted, current):
    """Write what differs between the wanted role and the one IAM holds; an option not set is left alone."""
    params, name, check_mode = module.params, wanted["name"], module.check_mode
    resource = "role " + name
    trust = wanted.get("assume_role_policy_document")
    if trust is not None and differs(current["trust"], trust):
        changes.updated(resource, "update the trust policy of role " + name,
                        {"assume_role_policy_document": current["trust"]}, {"assume_role_policy_document": trust})
        if not check_mode:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
    description = wanted.get("description")
    if description is not None and description != current["description"]:
        changes.updated(resource, "update the description of role " + name,
                        {"description": current["description"]}, {"description": description})
        if not check_mode:
            iam.update_role(RoleName=name, Description=description)
    boundary = wanted.get("permissions_boundary")
    if boundary and boundary != current["boundary"]:
        changes.updated(resource, "put the permissions boundary of role " + name,
                        {"permissions_boundary": current["boundary"]}, {"permissions_boundary": boundary})
        if not check_mode:
            iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=boundary)
    attached = current["attached"]
    if wanted.get("managed_policies") is not None:
        want = sorted(set(wanted["managed_policies"]))
        if want != attached:
            changes.updated(resource, "attach and detach managed policies of role " + name,
                            {"managed_policies": attached}, {"managed_policies": want})
            if not check_mode:
                for arn in sorted(set(want) - set(attached)):
                    iam.attach_role_policy(RoleName=name, PolicyArn=arn)
                for arn in sorted(set(attached) - set(want)):
                    iam.detach_role_policy(RoleName=name, PolicyArn=arn)
            attached = want
    inline = dict(current["inline"])
    wanted_inline = wanted.get("inline_policies")
    if wanted_inline is not None:
        for policy, doc in sorted(wanted_inline.items()):
            if policy not in inline or differs(inline[policy], doc):
                changes.updated(resource, "put inline policy %s of role %s" % (policy, name),
                                {"inline_policies": {policy: inline.get(policy)}}, {"inline_policies": {policy: doc}})
                if not check_mode:
                    iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(doc))
                inline[policy] = doc
        for policy in sorted(set(inline) - set(wanted_inline)):
            changes.updated(resource, "delete inline policy %s of role %s" % (policy, name),
                            {"inline_policies": {policy: inline[policy]}}, {"inline_policies": {policy: None}})
            if not check_mode:
                iam.delete_role_policy(RoleName=name, PolicyName=policy)
            del inline[policy]
    owner = ecs.site_ownership_tags(params["site"])
    to_set, to_unset, tags = plan_tags(current["tags"], ecs.tags_without_site(params.get("tags")), params["purge_tags"], owner)
    if to_set or to_unset:
        before, after = tag_diff(current["tags"], tags)
        changes.updated(resource, "update tags of role " + name, {"tags": before}, {"tags": after})
        if not check_mode:
            if to_unset:
                iam.untag_role(RoleName=name, TagKeys=list(to_unset))
            if to_set:
                iam.tag_role(RoleName=name, Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())])
    return result_role(name, current["arn"], True, tags, attached, inline, list(wanted_inline or {}))


def not_owned_message(site, found):
    return ("the IAM role(s) %s exist but were not created by prefect_ops.ecs for the site %r (their prefect-ops:* "
            "tags differ), so they are neither changed nor removed; use them by ARN (%s) instead, or choose other "
            "names" % (", ".join(sorted(found)), site, ", ".join(found[n] for n in sorted(found))))


def roles_state(roles):
    """ARN -> {attached, documents} of each role as this run leaves it (what ecs_verify checks)."""
    return dict((r["arn"], {"attached": r["attached"], "documents": r["documents"]}) for r in roles)


def converge(module, clients):
    params = module.params
    problems = static_problems(params)
    fail_on_problems(module, problems)
    identity, dummy = identity_and_region(module, clients, problems)
    iam = clients["iam"]
    site = params["site"]
    # read every role first: a role this site did not create fails the run before anything is written
    current = dict((r["name"], read_role(iam, r["name"])) for r in params["roles"])
    foreign = dict((n, c["arn"]) for n, c in current.items() if c and not ecs.is_site_owned(c["tags"], site))
    if foreign:
        module.fail_json(msg="roles: " + not_owned_message(site, foreign), not_owned=sorted(foreign), roles=[])
    changes = Changes()
    tags = plan_tags({}, ecs.tags_without_site(params.get("tags")), params["purge_tags"], ecs.site_ownership_tags(site))[2]
    out = []
    for wanted in params["roles"]:
        found = current[wanted["name"]]
        if found is None:
            out.append(create_role(module, iam, identity, changes, wanted, tags))
        else:
            out.append(update_role(module, iam, changes, wanted, found))
    return changes.result(module, roles=out, roles_state=roles_state(out), not_owned=[], kept=[])


def remove(module, clients):
    """state=absent: delete each role that carries this site's ownership tags, with its policies; others are kept."""
    params = module.params
    fail_on_problems(module, static_problems(params))
    iam, site = clients["iam"], params["site"]
    changes, kept = Changes(), []
    for wanted in params["roles"]:
        name = wanted["name"]
        found = read_role(iam, name)
        if found is None:
            continue
        if not ecs.is_site_owned(found["tags"], site):
            kept.append(name)
            module.warn("IAM role %s was left in place: it does not carry %s" % (name, ecs.site_owner_text(site)))
            continue
        changes.deleted("role " + name, "delete role " + name,
                        {"arn": found["arn"], "managed_policies": found["attached"], "inline_policies": found["inline"]})
        if module.check_mode:
            continue
        for arn in found["attached"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=arn)
        for policy in found["inline"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for profile in iam.paginate("list_instance_profiles_for_role", "InstanceProfiles", RoleName=name):
            iam.remove_role_from_instance_profile(RoleName=name, InstanceProfileName=profile["InstanceProfileName"])
        try:
            iam.delete_role(RoleName=name)
        except is_boto3_error_code("NoSuchEntity"):
            pass  # already gone
    return changes.result(module, roles=[], roles_state={}, not_owned=kept, kept=kept)


def run(module, clients):
    return run_state(module, clients, converge, remove, "the IAM roles")
