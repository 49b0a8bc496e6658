# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS names, partitions, ARNs and ownership tags: pure helpers shared by the AWS-side modules.

Nothing here talks to AWS. Every check returns an error message (a sentence naming the field and
the fix) or None, so a module can collect all problems and fail before any call that changes
anything. ARNs are always built from a partition (taken from STS GetCallerIdentity by the caller),
never from a hard-coded ``arn:aws:``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections import namedtuple

# The account a module runs as: account ID, partition (aws, aws-cn, aws-us-gov, ...), caller ARN.
Identity = namedtuple("Identity", ["account", "partition", "arn"])

# kind -> (what to call it in messages, maximum length, allowed pattern, allowed characters in words)
NAME_RULES = {
    "sqs_queue": ("SQS queue name", 80, r"^[A-Za-z0-9_-]+$", "letters, digits, '-' and '_'"),
    "events_rule": ("EventBridge rule name", 64, r"^[A-Za-z0-9._-]+$", "letters, digits, '.', '-' and '_'"),
    "events_target_id": ("EventBridge target ID", 64, r"^[A-Za-z0-9._-]+$", "letters, digits, '.', '-' and '_'"),
    "iam_role": ("IAM role name", 64, r"^[A-Za-z0-9+=,.@_-]+$", "letters, digits and '+=,.@_-'"),
    "iam_user": ("IAM user name", 64, r"^[A-Za-z0-9+=,.@_-]+$", "letters, digits and '+=,.@_-'"),
    "iam_policy": ("IAM policy name", 128, r"^[A-Za-z0-9+=,.@_-]+$", "letters, digits and '+=,.@_-'"),
    "ecs_cluster": ("ECS cluster name", 255, r"^[A-Za-z0-9_-]+$", "letters, digits, '-' and '_'"),
    "ecs_service": ("ECS service name", 255, r"^[A-Za-z0-9_-]+$", "letters, digits, '-' and '_'"),
    "ecs_task_family": ("ECS task definition family", 255, r"^[A-Za-z0-9_-]+$", "letters, digits, '-' and '_'"),
    "log_group": ("CloudWatch log group name", 512, r"^[A-Za-z0-9_./#-]+$", "letters, digits and '_-./#'"),
    "secret": ("Secrets Manager secret name", 512, r"^[A-Za-z0-9/_+=.@-]+$", "letters, digits and '/_+=.@-'"),
}

# Region prefix -> partition. Longest prefixes first (us-isob- before us-iso-).
_REGION_PARTITIONS = (
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
    ("us-gov-", "aws-us-gov"),
    ("cn-", "aws-cn"),
    ("eusc-", "aws-eusc"),
)

_DNS_SUFFIX = {
    "aws": "amazonaws.com",
    "aws-cn": "amazonaws.com.cn",
    "aws-us-gov": "amazonaws.com",
    "aws-iso": "c2s.ic.gov",
    "aws-iso-b": "sc2s.sgov.gov",
    "aws-iso-e": "cloud.adc-e.uk",
    "aws-iso-f": "csp.hci.ic.gov",
    "aws-eusc": "amazonaws.eu",
}

_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_ARN_RE = re.compile(r"^arn:(aws(?:-[a-z]+(?:-[a-z]+)*)?):([a-z0-9-]+):([a-z0-9-]*):(\d+|aws|)?:(.+)$")

# Ownership: every resource a module of this collection creates carries this tag; its value names
# the module and the logical resource (e.g. "ecs_event_observer/my-pool"). state=absent only ever
# removes resources whose tag has exactly that value.
OWNER_TAG_KEY = "prefect-ops:owner"


def partition_for_region(region):
    """The partition a region belongs to (us-gov-west-1 -> aws-us-gov, cn-north-1 -> aws-cn)."""
    for prefix, partition in _REGION_PARTITIONS:
        if region.startswith(prefix):
            return partition
    return "aws"


def dns_suffix(partition):
    return _DNS_SUFFIX.get(partition, "amazonaws.com")


def check_region(region, field="region"):
    if not region:
        return f"{field}: no AWS region is set; set {field} (or AWS_REGION in the environment)"
    if not _REGION_RE.match(region):
        return f"{field}: {region!r} is not an AWS region name (e.g. us-east-1)"
    return None


def check_identity_region(identity, region, field="region"):
    """The credentials' partition must be the region's partition."""
    expected = partition_for_region(region)
    if identity.partition != expected:
        return (
            f"{field}: region {region} is in partition {expected}, but the credentials belong to partition "
            f"{identity.partition} ({identity.arn}); use credentials of that partition or a region of {identity.partition}"
        )
    return None


def check_name(kind, value, field, derived_from=None):
    """Validate a resource name; `derived_from` names the option the value was built from, for the fix."""
    what, limit, pattern, allowed = NAME_RULES[kind]
    source = f" (built from {derived_from})" if derived_from else ""
    if not value:
        return f"{field}: the {what} must not be empty"
    if len(value) > limit:
        fix = (
            f"shorten {derived_from} by at least {len(value) - limit} characters or set {field}"
            if derived_from
            else f"use at most {limit} characters"
        )
        return f"{field}: the {what} {value!r}{source} is {len(value)} characters, over the limit of {limit}; {fix}"
    if not re.match(pattern, value):
        return f"{field}: the {what} {value!r}{source} may only contain {allowed}"
    return None


def parse_arn(arn):
    """Split an ARN into partition, service, region, account and resource; None when it is not one."""
    if not isinstance(arn, str):
        return None
    match = _ARN_RE.match(arn)
    if not match:
        return None
    partition, service, region, account, resource = match.groups()
    resource_type, sep, resource_id = None, None, resource
    found = re.match(r"^([^:/]+)([:/])(.+)$", resource)
    if found:
        resource_type, sep, resource_id = found.groups()
    return {
        "partition": partition,
        "service": service,
        "region": region,
        "account": account or "",
        "resource": resource,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "separator": sep,
    }


def build_arn(partition, service, region, account, resource):
    if not partition:
        raise ValueError("an ARN needs a partition (from STS GetCallerIdentity)")
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def check_arn(value, field, service, resource_type, example, identity=None, region=None, name_kind=None,
              require_account=True):
    """Validate an ARN's format, then that its partition (and region) are the ones this run works in.

    `example` shows the expected format in the message (e.g. "arn:<partition>:ecs:<region>:<account>:cluster/<name>").
    """
    parts = parse_arn(value)
    if not parts or parts["service"] != service or parts["resource_type"] != resource_type or not parts["resource_id"]:
        return f"{field}: {value!r} is not a valid {service} {resource_type} ARN; expected {example}"
    if require_account and not _ACCOUNT_RE.match(parts["account"]):
        return f"{field}: {value!r} has no 12-digit account ID; expected {example}"
    if identity is not None and parts["partition"] != identity.partition:
        return (
            f"{field}: {value!r} is in partition {parts['partition']}, but this run works in partition "
            f"{identity.partition}; use an ARN starting with arn:{identity.partition}:"
        )
    if region is not None and parts["region"] != region:
        return (
            f"{field}: {value!r} is in region {parts['region'] or '(none)'}, but this run works in region {region}; "
            f"events of a resource reach only its own region, so use a resource of {region} or set region"
        )
    if name_kind:
        problem = check_name(name_kind, parts["resource_id"], field)
        if problem:
            return problem
    return None


# --- ARNs and URLs of the resources the modules manage ------------------------------------------


def sqs_queue_arn(identity, region, name):
    return build_arn(identity.partition, "sqs", region, identity.account, name)


def sqs_queue_url(endpoint_url, identity, region, name):
    """The URL SQS gives a queue: <endpoint>/<account>/<name> (https://sqs.<region>.<dns suffix> by default)."""
    base = (endpoint_url or f"https://sqs.{region}.{dns_suffix(identity.partition)}").rstrip("/")
    return f"{base}/{identity.account}/{name}"


def events_rule_arn(identity, region, name, event_bus="default"):
    resource = f"rule/{name}" if event_bus in (None, "", "default") else f"rule/{event_bus}/{name}"
    return build_arn(identity.partition, "events", region, identity.account, resource)


def ecs_cluster_arn(identity, region, name):
    return build_arn(identity.partition, "ecs", region, identity.account, f"cluster/{name}")


def iam_role_arn(identity, name, path="/"):
    path = path if path.endswith("/") else path + "/"
    return build_arn(identity.partition, "iam", "", identity.account, f"role{path}{name}")


def kms_key_arn(identity, region, key_id):
    return build_arn(identity.partition, "kms", region, identity.account, f"key/{key_id}")


def account_root_arn(identity):
    return build_arn(identity.partition, "iam", "", identity.account, "root")


# --- ownership ------------------------------------------------------------------------------------


def owner_value(module_name, logical_name):
    return f"{module_name}/{logical_name}"


def owner_tags(module_name, logical_name):
    return {OWNER_TAG_KEY: owner_value(module_name, logical_name)}


def ownership(tags, module_name, logical_name):
    """'ours' when the tag names this module and resource, 'unowned' without the tag, else 'foreign'."""
    value = (tags or {}).get(OWNER_TAG_KEY)
    if value is None:
        return "unowned"
    return "ours" if value == owner_value(module_name, logical_name) else "foreign"
