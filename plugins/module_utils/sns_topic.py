# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An SNS topic (module sns_topic): display name, KMS key and tags, created with the ownership tags; an existing
topic without them is changed only when adopted (and then never gets them), and removed only when it carries this
run's ownership tags. Subscriptions and the access policy are left to their owners: a topic this module creates has
SNS's default policy (the account's principals may publish: CloudWatch alarms of the account can notify it).
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
SITE_KEY = ecs.SITE_KEY
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MAX_TAGS = 50
# option -> topic attribute
ATTRIBUTES = {"display_name": "DisplayName", "kms_master_key_id": "KmsMasterKeyId"}


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        site=dict(type="str"),
        display_name=dict(type="str"),
        kms_master_key_id=dict(type="str", no_log=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        adopt=dict(type="bool", default=False),
    )


def static_problems(params):
    """Every input problem found without an AWS call; each names the option and the fix."""
    name = params.get("name") or ""
    problems = []
    if not NAME_RE.match(name):
        problems.append(f"name: {name!r} is not an SNS topic name; use 1 to 256 letters, digits, - and _ (FIFO "
                        "topics are not managed here)")
    site = params.get("site")
    problems += ecs.site_problems(site)
    if params.get("state") == "absent":
        return problems
    display = params.get("display_name")
    if display is not None and len(display) > 100:
        problems.append(f"display_name: {len(display)} characters; SNS takes at most 100")
    problems += ecs.tag_problems(params.get("tags"), "tags", "an SNS topic", [OWNER_KEY, SITE_KEY], MAX_TAGS)
    problems += ecs.site_tag_problems(params.get("tags"), site)
    return problems


ownership_tags = ecs.site_ownership_tags
is_owned = ecs.is_site_owned
owner_text = ecs.site_owner_text


def read_topic(client, arn):
    """The topic's attributes and tags, or (None, {})."""
    try:
        attributes = client.get_topic_attributes(TopicArn=arn)["Attributes"]
    except is_boto3_error_code("NotFound"):
        return None, {}
    listed = client.list_tags_for_resource(ResourceArn=arn).get("Tags") or []
    return attributes, {t["Key"]: t.get("Value", "") for t in listed}


def settings(attributes):
    return {option: (attributes or {}).get(key) or "" for option, key in ATTRIBUTES.items()}


def result_topic(arn, name, current, tags):
    return dict(current, arn=arn, name=name, tags=dict(tags))


def converge(module, clients):
    params = module.params
    problems = static_problems(params)
    fail_on_problems(module, problems)
    identity, region = identity_and_region(module, clients, problems)
    client = clients["sns"]
    name, site = params["name"], params.get("site")
    arn = names.build_arn(identity.partition, "sns", region, identity.account, name)
    changes = Changes()
    wanted = {option: params[option] for option in ATTRIBUTES if params.get(option) is not None}
    attributes, current_tags = read_topic(client, arn)
    if attributes is None:
        dummy, dummy, tags = plan_tags({}, ecs.tags_without_site(params.get("tags")), params["purge_tags"],
                                       ownership_tags(site))
        after = dict(settings({}), **wanted)
        changes.created("topic", f"create SNS topic {name}", dict(after, tags=tags))
        if not module.check_mode:
            created = client.create_topic(Name=name, Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
                                          Attributes={ATTRIBUTES[k]: v for k, v in wanted.items() if v})
            arn = created["TopicArn"]
        return changes.result(module, topic=result_topic(arn, name, after, tags), owned=True, kept=None)

    owned = is_owned(current_tags, site)
    if not owned and not params["adopt"]:
        module.fail_json(msg=f"name: the SNS topic {name} exists but is not this run's (it does not carry "
                             f"{owner_text(site)}; its tags: {json.dumps(current_tags, sort_keys=True)}), so it is not "
                             "changed; choose another name, or set adopt: true to manage its display name, key and "
                             "tags (it never gets the ownership tags, so state=absent never deletes it)", owned=False)
    current = settings(attributes)
    for option, value in wanted.items():
        if current[option] != value:
            changes.updated("topic", f"set {ATTRIBUTES[option]} of SNS topic {name}", {option: current[option]},
                            {option: value})
            if not module.check_mode:
                client.set_topic_attributes(TopicArn=arn, AttributeName=ATTRIBUTES[option], AttributeValue=value)
            current[option] = value
    # An adopted topic never gets the ownership tags: state=absent must be able to tell it apart.
    to_set, to_unset, tags = plan_tags(current_tags, ecs.tags_without_site(params.get("tags")), params["purge_tags"],
                                       ownership_tags(site) if owned else {})
    if to_set or to_unset:
        before, after = tag_diff(current_tags, tags)
        changes.updated("topic", f"update tags of SNS topic {name}", {"tags": before}, {"tags": after})
        if not module.check_mode:
            if to_unset:
                client.untag_resource(ResourceArn=arn, TagKeys=list(to_unset))
            if to_set:
                client.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())])
    return changes.result(module, topic=result_topic(arn, name, current, tags), owned=owned, kept=None)


def remove(module, clients):
    """state=absent: delete the topic only when it carries this run's ownership tags."""
    params = module.params
    problems = static_problems(params)
    fail_on_problems(module, problems)
    identity, region = identity_and_region(module, clients, problems)
    client = clients["sns"]
    name, site = params["name"], params.get("site")
    arn = names.build_arn(identity.partition, "sns", region, identity.account, name)
    changes = Changes()
    attributes, tags = read_topic(client, arn)
    if attributes is None:
        return changes.result(module, topic=None, owned=False, kept=None)
    if not is_owned(tags, site):
        kept = f"it does not carry the ownership tags ({owner_text(site)})"
        module.warn(f"SNS topic {name} was left in place: {kept}")
        return changes.result(module, topic=result_topic(arn, name, settings(attributes), tags), owned=False, kept=kept)
    changes.deleted("topic", f"delete SNS topic {name}", {"arn": arn, "tags": tags})
    if not module.check_mode:
        client.delete_topic(TopicArn=arn)  # deleting a topic that is gone already succeeds
    return changes.result(module, topic=None, owned=True, kept=None)


def run(module, clients):
    return run_state(module, clients, converge, remove, f"the SNS topic {module.params['name']}")
