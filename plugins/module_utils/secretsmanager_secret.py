# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Secrets Manager secret (module secretsmanager_secret): its value, description, KMS key and tags, created with
the ownership tags and changed or removed only when it carries them.

What the task does not set is never touched: rotation, the resource policy and replication are not even read.
The value is compared inside the module (GetSecretValue) and never returned.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

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
MANAGED_KEY = "alias/aws/secretsmanager"
NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
KMS_RE = re.compile(r"^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$")
MAX_VALUE = 65536
MAX_DESCRIPTION = 2048
MAX_TAGS = 50
HIDDEN = "(hidden)"


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        site=dict(type="str"),
        secret=dict(type="str", no_log=True),
        description=dict(type="str"),
        kms_key_id=dict(type="str", no_log=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        recovery_window=dict(type="int", default=30),
    )


# --- input -----------------------------------------------------------------------------------------


def static_problems(params):
    """Every input problem found without an AWS call; each names the option and the fix."""
    name = params.get("name") or ""
    problems = []
    if not NAME_RE.match(name):
        problems.append(f"name: {name!r} is not a secret name; use 1 to 512 letters, digits and /_+=.@- characters")
    site = params.get("site")
    problems += ecs.site_problems(site)
    if params.get("state") == "absent":
        window = params.get("recovery_window")
        if window != 0 and not 7 <= window <= 30:
            problems.append(f"recovery_window: {window} days is not allowed; use 0 (delete at once, no recovery) or 7 to 30")
        return problems
    value = params.get("secret")
    if value is not None and not 1 <= len(value) <= MAX_VALUE:
        problems.append(f"secret: the value must be 1 to {MAX_VALUE} characters (got {len(value)})")
    if params.get("description") is not None and len(params["description"]) > MAX_DESCRIPTION:
        problems.append(f"description: at most {MAX_DESCRIPTION} characters (got {len(params['description'])})")
    key = params.get("kms_key_id")
    if key and key != MANAGED_KEY and not KMS_RE.match(key):
        problems.append(f"kms_key_id: {key!r} is not a KMS key ARN; give arn:<partition>:kms:<region>:<account>:key/<id> "
                        f"(Secrets Manager reports the key ARN, so a key ID or alias would differ on every run), "
                        f"or empty / {MANAGED_KEY} for the AWS managed key")
    problems += ecs.tag_problems(params.get("tags"), "tags", "a secret", [OWNER_KEY, SITE_KEY], MAX_TAGS)
    problems += ecs.site_tag_problems(params.get("tags"), site)
    return problems


# --- comparison ------------------------------------------------------------------------------------


ownership_tags = ecs.site_ownership_tags
is_owned = ecs.is_site_owned
owner_text = ecs.site_owner_text


def key_of(key_id):
    """The KMS key as compared: the AWS managed key (empty, None or its alias) is None."""
    return None if not key_id or key_id == MANAGED_KEY else key_id


def wildcard_arn(identity, region, name):
    """The ARN of a secret not created yet, in the form IAM accepts (AWS appends 6 random characters)."""
    return names.build_arn(identity.partition, "secretsmanager", region, identity.account, f"secret:{name}-??????")


def result_secret(arn, name, description, key_id, tags, deleted=False):
    return {"arn": arn, "name": name, "description": description, "kms_key_id": key_id, "tags": dict(tags),
            "deleted": deleted}


# --- reading ---------------------------------------------------------------------------------------


def read_secret(client, name):
    try:
        return client.describe_secret(SecretId=name)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None


def read_value(client, arn):
    """The current value, or None when it is binary or there is none."""
    try:
        return client.get_secret_value(SecretId=arn).get("SecretString")
    except is_boto3_error_code("ResourceNotFoundException"):  # a secret with no version yet
        return None


def tags_of(secret):
    return {t["Key"]: t.get("Value", "") for t in secret.get("Tags") or []}


# --- converge --------------------------------------------------------------------------------------


def create(module, client, identity, region, changes, site, user_tags):
    params = module.params
    name = params["name"]
    if params.get("secret") is None:
        fail_on_problems(module, [f"secret: the secret {name} does not exist; give its value to create it"])
    dummy, dummy, tags = plan_tags({}, user_tags, params["purge_tags"], ownership_tags(site))
    key_id = key_of(params.get("kms_key_id"))
    after = {"description": params.get("description"), "kms_key_id": key_id, "secret": HIDDEN, "tags": tags}
    changes.created("secret", f"create secret {name}", {k: v for k, v in after.items() if v is not None})
    if module.check_mode:
        arn = wildcard_arn(identity, region, name)
    else:
        payload = {"Name": name, "SecretString": params["secret"],
                   "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
        if params.get("description") is not None:
            payload["Description"] = params["description"]
        if key_id:
            payload["KmsKeyId"] = key_id
        arn = client.create_secret(**payload)["ARN"]
    return changes.result(module, secret=result_secret(arn, name, params.get("description"), key_id, tags),
                          owned=True, value_changed=True, kept=None)


def converge(module, clients):
    params = module.params
    problems = static_problems(params)
    fail_on_problems(module, problems)
    identity, region = identity_and_region(module, clients, problems)
    client = clients["secretsmanager"]
    name, site = params["name"], params.get("site")
    user_tags = ecs.tags_without_site(params.get("tags"))
    changes = Changes()
    current = read_secret(client, name)
    if current is None:
        return create(module, client, identity, region, changes, site, user_tags)

    arn = current["ARN"]
    current_tags = tags_of(current)
    if not is_owned(current_tags, site):
        module.fail_json(msg=f"name: the secret {name} ({arn}) exists but is not this run's (it does not carry "
                             f"{owner_text(site)}; its tags: {json.dumps(current_tags, sort_keys=True)}), so it is "
                             "neither changed nor removed; choose another name, or use that secret by its ARN "
                             "instead of managing it", owned=False, secret={"arn": arn, "name": name})
    check_mode = module.check_mode
    if current.get("DeletedDate"):
        changes.updated("secret", f"restore secret {name} (it was scheduled for deletion)", {"deleted": True},
                        {"deleted": False})
        if not check_mode:
            client.restore_secret(SecretId=arn)

    update = {}
    description = current.get("Description")
    if params.get("description") is not None and params["description"] != (description or ""):
        update["Description"] = params["description"]
        changes.updated("secret", f"update description of secret {name}", {"description": description},
                        {"description": params["description"]})
        description = params["description"]
    key_id = key_of(current.get("KmsKeyId"))
    if params.get("kms_key_id") is not None and key_of(params["kms_key_id"]) != key_id:
        # A new key takes effect with a new version: the value is written again under it.
        update["KmsKeyId"] = params["kms_key_id"] or MANAGED_KEY
        changes.updated("secret", f"encrypt secret {name} with {update['KmsKeyId']}", {"kms_key_id": key_id},
                        {"kms_key_id": key_of(update["KmsKeyId"])})
        key_id = key_of(update["KmsKeyId"])
    value_changed = False
    if params.get("secret") is not None:
        # A secret scheduled for deletion cannot be read before it is restored: check mode predicts a new value.
        unreadable = check_mode and current.get("DeletedDate")
        value_changed = "KmsKeyId" in update or bool(unreadable) or read_value(client, arn) != params["secret"]
        if value_changed:
            update["SecretString"] = params["secret"]
            if "KmsKeyId" not in update:
                changes.updated("secret", f"put a new value of secret {name}", {"secret": HIDDEN}, {"secret": HIDDEN})
    if update and not check_mode:
        client.update_secret(SecretId=arn, **update)

    to_set, to_unset, tags = plan_tags(current_tags, user_tags, params["purge_tags"], ownership_tags(site))
    if to_set or to_unset:
        before, after = tag_diff(current_tags, tags)
        changes.updated("secret", f"update tags of secret {name}", {"tags": before}, {"tags": after})
        if not check_mode:
            if to_unset:
                client.untag_resource(SecretId=arn, TagKeys=list(to_unset))
            if to_set:
                client.tag_resource(SecretId=arn, Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())])
    return changes.result(module, secret=result_secret(arn, name, description, key_id, tags), owned=True,
                          value_changed=value_changed, kept=None)


def remove(module, clients):
    """state=absent: schedule the deletion of the secret (or delete it at once) when it carries this run's tags."""
    params = module.params
    fail_on_problems(module, static_problems(params))
    client = clients["secretsmanager"]
    name, site = params["name"], params.get("site")
    changes = Changes()
    current = read_secret(client, name)
    if current is None:
        return changes.result(module, secret=None, owned=False, value_changed=False, kept=None)
    tags = tags_of(current)
    secret = result_secret(current["ARN"], name, current.get("Description"), key_of(current.get("KmsKeyId")), tags,
                           deleted=bool(current.get("DeletedDate")))
    if not is_owned(tags, site):
        kept = f"it does not carry the ownership tags ({owner_text(site)})"
        module.warn(f"Secret {name} was left in place: {kept}")
        return changes.result(module, secret=secret, owned=False, value_changed=False, kept=kept)
    window = params["recovery_window"]
    if current.get("DeletedDate"):  # already scheduled for deletion
        return changes.result(module, secret=secret, owned=True, value_changed=False, kept=None)
    how = "at once, without recovery" if window == 0 else f"after a recovery window of {window} days"
    changes.deleted("secret", f"delete secret {name} {how}", {"arn": current["ARN"], "tags": tags})
    if not module.check_mode:
        if window == 0:
            client.delete_secret(SecretId=current["ARN"], ForceDeleteWithoutRecovery=True)
        else:
            client.delete_secret(SecretId=current["ARN"], RecoveryWindowInDays=window)
    return changes.result(module, secret=None if window == 0 else dict(secret, deleted=True), owned=True,
                          value_changed=False, kept=None)


def run(module, clients):
    return run_state(module, clients, converge, remove, f"the secret {module.params['name']}")
