# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ECS task-state event pipeline of the Prefect ECS worker, as one resource.

Parts: a dead-letter queue, the events queue (redrive to the DLQ, a policy that lets only our rule
send), an EventBridge rule on the default bus matching ECS Task State Change events of the given
clusters, and the rule's target (the queue). Used by ecs_event_observer (converge) and
ecs_event_observer_info (read-only checks).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import json

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_names as names
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ownership
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import Changes
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import check_tags
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import fail_on_problems
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import identity_and_region
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import plan_tags
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import strip_metadata
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import tag_diff

MODULE = "ecs_event_observer"
# The pipeline's ownership tag before the one scheme (prefect-ops:owner=ecs_event_observer/<name>): recognised on
# a part this pipeline made, and removed when the part is converged (it gets the ownership tags instead).
LEGACY_KEYS = (names.OWNER_TAG_KEY,)
SOURCE = "aws.ecs"
DETAIL_TYPE = "ECS Task State Change"
TARGET_ID = "prefect-ecs-events-queue"
EVENTS_PRINCIPAL = "events.amazonaws.com"
WORKER_QUEUE_ENV = "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME"
WORKER_REGION_ENV = "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_REGION"
# What the worker's observer calls (prefect_aws.observers.ecs.SqsSubscriber).
WORKER_SQS_ACTIONS = [
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
]
NO_QUEUE = ["AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"]

# The seed's values (and prefect-aws ecs-worker deploy-events').
DEFAULTS = {
    "message_retention_period": 604800,
    "visibility_timeout": 300,
    "dead_letter_message_retention_period": 1209600,
    "dead_letter_visibility_timeout": 60,
    "max_receive_count": 3,
}
RANGES = {
    "message_retention_period": (60, 1209600),
    "visibility_timeout": (0, 43200),
    "dead_letter_message_retention_period": (60, 1209600),
    "dead_letter_visibility_timeout": (0, 43200),
    "max_receive_count": (1, 1000),
    "kms_data_key_reuse_period_seconds": (60, 86400),
}
PART_OPTIONS = {"queue": "queue_name", "dead_letter_queue": "dead_letter_queue_name", "rule": "rule_name"}
SUFFIXES = {"queue_name": "-events", "dead_letter_queue_name": "-events-dlq", "rule_name": "-task-state-changes"}
CLUSTER_ARN_EXAMPLE = "arn:<partition>:ecs:<region>:<12-digit account>:cluster/<cluster name>"

# SQS attribute -> key in results and diffs
ATTRIBUTE_KEYS = {
    "MessageRetentionPeriod": "message_retention_period",
    "VisibilityTimeout": "visibility_timeout",
    "RedrivePolicy": "redrive_policy",
    "Policy": "policy",
    "SqsManagedSseEnabled": "sqs_managed_sse_enabled",
    "KmsMasterKeyId": "kms_key_id",
    "KmsDataKeyReusePeriodSeconds": "kms_data_key_reuse_period_seconds",
}
JSON_ATTRIBUTES = ("Policy", "RedrivePolicy")


# --- argument specs ---------------------------------------------------------------------------


def _name_spec():
    return dict(
        name=dict(type="str", required=True),
        queue_name=dict(type="str"),
        dead_letter_queue_name=dict(type="str"),
        rule_name=dict(type="str"),
        site=dict(type="str"),
    )


def argument_spec():
    spec = _name_spec()
    spec.update(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        clusters=dict(type="list", elements="str", aliases=["cluster_arns"]),
        message_retention_period=dict(type="int", default=DEFAULTS["message_retention_period"]),
        visibility_timeout=dict(type="int", default=DEFAULTS["visibility_timeout"]),
        dead_letter_message_retention_period=dict(type="int", default=DEFAULTS["dead_letter_message_retention_period"]),
        dead_letter_visibility_timeout=dict(type="int", default=DEFAULTS["dead_letter_visibility_timeout"]),
        max_receive_count=dict(type="int", default=DEFAULTS["max_receive_count"]),
        encryption=dict(type="str", choices=["sqs_managed", "kms", "none"]),
        kms_key_id=dict(type="str"),
        kms_data_key_reuse_period_seconds=dict(type="int", no_log=False),
        rule_description=dict(type="str"),
        enabled=dict(type="bool", default=True),
        adopt=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    return spec


def info_argument_spec():
    spec = _name_spec()
    spec.update(clusters=dict(type="list", elements="str", aliases=["cluster_arns"]))
    return spec


# --- names and input ------------------------------------------------------------------------


def resolve_names(params):
    """Queue, DLQ and rule names (derived from `name` unless overridden) and their problems."""
    base = params["name"] or ""
    resolved, problems = {}, []
    if not base or not all(ch.isalnum() or ch in "-_" for ch in base):
        problems.append(f"name: {base!r} must be non-empty and contain only letters, digits, '-' and '_'")
    for option, suffix in SUFFIXES.items():
        given = params.get(option)
        resolved[option] = given if given else base + suffix
        kind = "events_rule" if option == "rule_name" else "sqs_queue"
        problems.append(names.check_name(kind, resolved[option], option, derived_from=None if given else "name"))
    if resolved["queue_name"] == resolved["dead_letter_queue_name"]:
        problems.append("dead_letter_queue_name: the dead-letter queue must not be the events queue; use another name")
    return resolved, [p for p in problems if p]


def static_problems(params):
    """Problems found without any AWS call."""
    problems = []
    for option, (low, high) in RANGES.items():
        value = params.get(option)
        if value is not None and not low <= value <= high:
            problems.append(f"{option}: {value} is out of range; use a value from {low} to {high}")
    encryption, key = params.get("encryption"), params.get("kms_key_id")
    if encryption == "kms" and not key:
        problems.append("kms_key_id: encryption=kms needs kms_key_id (a key ID, ARN, alias name or alias ARN)")
    if key and encryption != "kms":
        problems.append("kms_key_id: only used with encryption=kms; set encryption: kms or remove kms_key_id")
    if params.get("kms_data_key_reuse_period_seconds") is not None and encryption != "kms":
        problems.append("kms_data_key_reuse_period_seconds: only used with encryption=kms")
    if params.get("state", "present") == "present" and not params.get("clusters"):
        problems.append("clusters: give at least one ECS cluster ARN (or cluster name) whose task events the worker must see")
    return problems


def resolve_clusters(clusters, identity, region, account_warnings=True):
    """Cluster ARNs (a bare name becomes an ARN in this account), problems, warnings.

    account_warnings=False leaves out the warnings about ARNs of other accounts (they need the account).
    """
    arns, problems, warnings = [], [], []
    for i, value in enumerate(clusters or []):
        field = f"clusters[{i}]"
        value = (value or "").strip()
        if value.startswith("arn:"):
            problem = names.check_arn(value, field, "ecs", "cluster", CLUSTER_ARN_EXAMPLE, identity=identity,
                                      region=region, name_kind="ecs_cluster")
            if problem:
                problems.append(problem)
                continue
            if account_warnings and names.parse_arn(value)["account"] != identity.account:
                warnings.append(
                    f"{field}: {value} belongs to another account than the credentials ({identity.account}); its task "
                    "events reach this account's default bus only if that account forwards them"
                )
            arns.append(value)
        else:
            problem = names.check_name("ecs_cluster", value, field)
            if problem:
                problems.append(problem + f" (or give the full ARN, {CLUSTER_ARN_EXAMPLE})")
                continue
            arns.append(names.ecs_cluster_arn(identity, region, value))
    return sorted(set(arns)), problems, warnings


# --- desired state ---------------------------------------------------------------------------


def event_pattern(cluster_arns):
    return {"source": [SOURCE], "detail-type": [DETAIL_TYPE], "detail": {"clusterArn": sorted(cluster_arns)}}


def canonical_pattern(pattern):
    """An event pattern in a form where equal meaning gives equal values (lists sorted)."""
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except ValueError:
            return pattern
    if isinstance(pattern, dict):
        return {k: canonical_pattern(v) for k, v in pattern.items()}
    if isinstance(pattern, list):
        items = [canonical_pattern(v) for v in pattern]
        try:
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
        except TypeError:
            return items
    return pattern


def queue_policy(queue_arn, rule_arn):
    """Only EventBridge, only SendMessage, only on behalf of our rule."""
    return {
        "Version": "2012-10-17",
        "Id": "prefect-ops-ecs-events",
        "Statement": [
            {
                "Sid": "AllowOnlyOurRuleToSend",
                "Effect": "Allow",
                "Principal": {"Service": EVENTS_PRINCIPAL},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        ],
    }


def worker_policy_statements(queue_arn, kms_key_arn=None):
    statements = [
        {"Sid": "PrefectEcsObserverConsumeQueue", "Effect": "Allow", "Action": list(WORKER_SQS_ACTIONS), "Resource": queue_arn}
    ]
    if kms_key_arn:
        statements.append(
            {"Sid": "PrefectEcsObserverDecryptQueue", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": kms_key_arn}
        )
    return statements


def kms_key_policy_statements(identity):
    """What the key policy of a customer managed key must grant for this pipeline."""
    return [
        {
            "Sid": "AllowEventBridgeToEncryptForEcsEventsQueue",
            "Effect": "Allow",
            "Principal": {"Service": EVENTS_PRINCIPAL},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
        },
        {
            "Sid": "EnableIamPoliciesForWorkerRole",
            "Effect": "Allow",
            "Principal": {"AWS": names.account_root_arn(identity)},
            "Action": "kms:*",
            "Resource": "*",
        },
    ]


def encryption_attributes(params, current_attributes):
    """SSE attributes to enforce; empty when `encryption` is not set (left as it is)."""
    encryption = params.get("encryption")
    current_attributes = current_attributes or {}
    has_kms = bool(current_attributes.get("KmsMasterKeyId"))
    if encryption is None:
        return {}
    if encryption == "kms":
        wanted = {"SqsManagedSseEnabled": "false", "KmsMasterKeyId": params["kms_key_id"]}
        if params.get("kms_data_key_reuse_period_seconds") is not None:
            wanted["KmsDataKeyReusePeriodSeconds"] = str(params["kms_data_key_reuse_period_seconds"])
        return wanted
    wanted = {"SqsManagedSseEnabled": "true" if encryption == "sqs_managed" else "false"}
    if has_kms:
        wanted["KmsMasterKeyId"] = ""
    return wanted


def desired_queues(params, identity, region, resolved, current):
    dlq_name, queue_name = resolved["dead_letter_queue_name"], resolved["queue_name"]
    dlq_arn = names.sqs_queue_arn(identity, region, dlq_name)
    queue_arn = names.sqs_queue_arn(identity, region, queue_name)
    rule_arn = names.events_rule_arn(identity, region, resolved["rule_name"])
    dlq = {
        "MessageRetentionPeriod": str(params["dead_letter_message_retention_period"]),
        "VisibilityTimeout": str(params["dead_letter_visibility_timeout"]),
    }
    dlq.update(encryption_attributes(params, (current.get("dead_letter_queue") or {}).get("attributes")))
    queue = {
        "MessageRetentionPeriod": str(params["message_retention_period"]),
        "VisibilityTimeout": str(params["visibility_timeout"]),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": params["max_receive_count"]}),
        "Policy": json.dumps(queue_policy(queue_arn, rule_arn)),
    }
    queue.update(encryption_attributes(params, (current.get("queue") or {}).get("attributes")))
    return {"dead_letter_queue": (dlq_name, dlq_arn, dlq), "queue": (queue_name, queue_arn, queue)}, rule_arn


# --- reading ---------------------------------------------------------------------------------


def read_queue(sqs, name):
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except is_boto3_error_code(NO_QUEUE):
        return None
    try:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        tags = sqs.list_queue_tags(QueueUrl=url).get("Tags") or {}
    except is_boto3_error_code(NO_QUEUE):  # deleted between the calls
        return None
    return {"name": name, "url": url, "attributes": attributes, "tags": tags}


def read_rule(events, name):
    try:
        rule = strip_metadata(events.describe_rule(Name=name))
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    targets = events.paginate("list_targets_by_rule", "Targets", Rule=name)
    tags = boto3_tag_list_to_ansible_dict(events.list_tags_for_resource(ResourceARN=rule["Arn"]).get("Tags", []))
    return {"name": name, "arn": rule["Arn"], "rule": rule, "targets": targets, "tags": tags}


def read_all(clients, resolved, identity=None):
    """The queue, DLQ and rule as they exist; `identity` learns the account from a queue found (no STS call)."""
    current = {
        "dead_letter_queue": read_queue(clients["sqs"], resolved["dead_letter_queue_name"]),
        "queue": read_queue(clients["sqs"], resolved["queue_name"]),
        "rule": read_rule(clients["events"], resolved["rule_name"]),
    }
    if identity is not None:
        for part in ("queue", "dead_letter_queue"):  # found by name in the credentials' own account
            identity.learn_account(((current[part] or {}).get("attributes") or {}).get("QueueArn"))
    return current


def part_ownership(tags, logical_name, site):
    """'ours', 'unowned' (no ownership tag at all) or 'foreign' for a part's tags.

    Ours: the collection's ownership tags with this run's site (module_utils/ownership.py), or - made before the
    pipeline had them - its own ``prefect-ops:owner=ecs_event_observer/<name>`` tag with this site's site tag or
    none. Converging such a part moves it to the ownership tags (the old tag removed), in place."""
    tags = tags or {}
    if ownership.is_site_owned(tags, site):
        return "ours"
    if tags.get(names.OWNER_TAG_KEY) == names.owner_value(MODULE, logical_name) and tags.get(ownership.SITE_KEY) in (None, site):
        return "ours"
    if ownership.OWNER_KEY in tags or names.OWNER_TAG_KEY in tags:
        return "foreign"
    return "unowned"


def ownership_problems(current, logical_name, adopt, site):
    """Resources with our names that this pipeline did not create: fail unless adopt=true."""
    problems = []
    for part, item in current.items():
        if not item:
            continue
        owner = part_ownership(item.get("tags"), logical_name, site)
        if owner == "ours" or adopt:
            continue
        tags = item.get("tags") or {}
        found = tags.get(names.OWNER_TAG_KEY) or tags.get(ownership.SITE_KEY)
        why = (f"it belongs to {found!r}" if owner == "foreign" and found
               else f"it does not carry {ownership.site_owner_text(site)}")
        problems.append(
            f"{part}: {item['name']} exists but was not created by this pipeline ({why}); set adopt: true to take it "
            f"over, or choose another name or {PART_OPTIONS[part]}"
        )
    return problems


# --- views (results and diffs) ----------------------------------------------------------------


def _value(attribute, raw):
    if raw is None:
        return None
    if attribute in JSON_ATTRIBUTES:
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw
    if attribute in ("MessageRetentionPeriod", "VisibilityTimeout", "KmsDataKeyReusePeriodSeconds"):
        try:
            return int(raw)
        except ValueError:
            return raw
    if attribute == "SqsManagedSseEnabled":
        return str(raw).lower() == "true"
    return raw


def encryption_of(attributes):
    if attributes.get("KmsMasterKeyId"):
        return "kms"
    return "sqs_managed" if str(attributes.get("SqsManagedSseEnabled", "")).lower() == "true" else "none"


def queue_view(item):
    if not item:
        return None
    attributes = item["attributes"]
    view = {"name": item["name"], "url": item["url"], "arn": attributes.get("QueueArn")}
    for attribute, key in ATTRIBUTE_KEYS.items():
        if attribute in attributes:
            view[key] = _value(attribute, attributes[attribute])
    view["encryption"] = encryption_of(attributes)
    view["tags"] = dict(item.get("tags") or {})
    return view


def rule_view(item):
    if not item:
        return None
    rule = item["rule"]
    return {
        "name": item["name"],
        "arn": item["arn"],
        "state": rule.get("State"),
        "description": rule.get("Description"),
        "event_bus_name": rule.get("EventBusName", "default"),
        "event_pattern": canonical_pattern(rule.get("EventPattern")),
        "targets": [{"id": t["Id"], "arn": t["Arn"]} for t in item.get("targets") or []],
        "tags": dict(item.get("tags") or {}),
    }


def attribute_differences(current, desired):
    """{attribute: (have, want)} of the desired attributes that differ; policies compared by meaning."""
    differences = {}
    for attribute, want in desired.items():
        have = current.get(attribute)
        if attribute == "Policy":
            have_doc = _value(attribute, have) if have else None
            if not isinstance(have_doc, dict) or compare_policies(have_doc, json.loads(want)):
                differences[attribute] = (have, want)
        elif attribute == "RedrivePolicy":
            have_doc = _value(attribute, have) if have else None
            want_doc = json.loads(want)
            if not isinstance(have_doc, dict) or (
                have_doc.get("deadLetterTargetArn") != want_doc["deadLetterTargetArn"]
                or str(have_doc.get("maxReceiveCount")) != str(want_doc["maxReceiveCount"])
            ):
                differences[attribute] = (have, want)
        elif attribute == "SqsManagedSseEnabled":
            if str(have or "false").lower() != want:
                differences[attribute] = (have, want)
        elif (have or "") != want:
            differences[attribute] = (have, want)
    return differences


def diff_values(differences):
    before = {ATTRIBUTE_KEYS[a]: _value(a, have) for a, (have, want) in differences.items()}
    after = {ATTRIBUTE_KEYS[a]: _value(a, want) for a, (have, want) in differences.items()}
    return before, after


# --- KMS ---------------------------------------------------------------------------------------


def _listify(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _allows(statement, action):
    if statement.get("Effect") != "Allow" or "NotAction" in statement:
        return False
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in _listify(statement.get("Action")))


def check_key_policy(policy, identity):
    """Does the key policy let EventBridge encrypt, and let IAM (the worker's role) decrypt?"""
    statements = _listify((policy or {}).get("Statement"))
    root = names.account_root_arn(identity)

    def principals(statement, kind):
        principal = statement.get("Principal")
        if principal == "*":
            return ["*"]
        return _listify((principal or {}).get(kind)) if isinstance(principal, dict) else []

    events_ok = any(
        (EVENTS_PRINCIPAL in principals(s, "Service") or "*" in principals(s, "AWS") or principals(s, "AWS") == ["*"])
        and _allows(s, "kms:GenerateDataKey")
        and _allows(s, "kms:Decrypt")
        for s in statements
    )
    iam_ok = any(
        any(p in (root, identity.account, "*") for p in principals(s, "AWS")) and _allows(s, "kms:Decrypt")
        for s in statements
    )
    return {"events_can_encrypt": events_ok, "iam_policies_can_grant_decrypt": iam_ok}


def kms_key_facts(kms, key_id, identity):
    """Key ARN and manager, and whether its key policy grants what the pipeline needs.

    Returns {"error": message} instead when the key cannot be used.
    """
    try:
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    except is_boto3_error_code("NotFoundException"):
        return {"error": f"kms_key_id: no KMS key {key_id!r} in this account and region; create it or fix kms_key_id"}
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        return {"error": f"kms_key_id: could not describe KMS key {key_id!r}: {e}"}
    facts = {
        "arn": metadata["Arn"],
        "key_id": metadata["KeyId"],
        "key_manager": metadata.get("KeyManager"),
        "required_key_policy_statements": kms_key_policy_statements(identity),
    }
    if metadata.get("KeyManager") == "AWS":
        facts["error"] = (
            f"kms_key_id: {key_id} is an AWS managed key; its key policy cannot grant {EVENTS_PRINCIPAL}, so "
            "EventBridge could not deliver to the queue. Use a customer managed key or encryption: sqs_managed"
        )
    try:
        policy = json.loads(kms.get_key_policy(KeyId=metadata["KeyId"], PolicyName="default")["Policy"])
        facts["policy_check"] = check_key_policy(policy, identity)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, ValueError):
        facts["policy_check"] = {"events_can_encrypt": None, "iam_policies_can_grant_decrypt": None}
    return facts


def kms_warnings(kms_info):
    warnings = []
    check = kms_info["policy_check"]
    if check["events_can_encrypt"] is False:
        warnings.append(
            f"the key policy of {kms_info['arn']} does not allow {EVENTS_PRINCIPAL} kms:GenerateDataKey and kms:Decrypt; "
            "EventBridge cannot deliver to the queue until it does (see kms_key.required_key_policy_statements)"
        )
    if check["iam_policies_can_grant_decrypt"] is False:
        warnings.append(
            f"the key policy of {kms_info['arn']} does not delegate to IAM (account root); the worker's role cannot "
            "decrypt messages with an IAM statement alone: add the role to the key policy with kms:Decrypt"
        )
    if check["events_can_encrypt"] is None:
        warnings.append(f"could not read the key policy of {kms_info['arn']} to check it (kms:GetKeyPolicy)")
    return warnings


# --- sample events for TestEventPattern ---------------------------------------------------------


def sample_event(identity, region, cluster_arn, detail_type=DETAIL_TYPE, source=SOURCE):
    task_arn = cluster_arn.replace(":cluster/", ":task/", 1) + "/0123456789abcdef0123456789abcdef"
    return {
        "version": "0",
        "id": "3c9d9f5e-0000-4000-8000-000000000000",
        "detail-type": detail_type,
        "source": source,
        "account": identity.account,
        "time": "2024-01-01T00:00:00Z",
        "region": region,
        "resources": [task_arn],
        "detail": {"clusterArn": cluster_arn, "taskArn": task_arn, "lastStatus": "RUNNING", "desiredStatus": "RUNNING"},
    }


def other_cluster_arn(identity, region, cluster_arns):
    candidate = "prefect-ops-other-cluster"
    while names.ecs_cluster_arn(identity, region, candidate) in cluster_arns:
        candidate += "-x"
    return names.ecs_cluster_arn(identity, region, candidate)


def try_event_pattern(events, pattern, event):
    """'pass' when EventBridge says it matches, 'fail' when not, 'unknown' when the endpoint gives no answer."""
    try:
        response = events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        return "unknown", f"TestEventPattern failed: {e}"
    if "Result" not in response:
        return "unknown", "the endpoint answered TestEventPattern without a Result (emulators such as moto do)"
    return ("match" if response["Result"] else "no_match"), None


# --- converging ------------------------------------------------------------------------------


def default_description(name):
    return f"ECS task state changes for the Prefect ECS worker ({name}); managed by prefect_ops.ecs"


def _diffable(view):
    """A view without the parts that are not configuration (URLs are shown in the result)."""
    view = dict(view or {})
    view.pop("url", None)
    return view


def ensure_queue(sqs, check_mode, changes, part, current, desired, tags_plan, predicted_url):
    """Create the queue or bring its managed attributes and tags to the desired values."""
    name, arn, attributes = desired
    to_set, to_unset, tags_after = tags_plan
    if current is None:
        created = {k: v for k, v in attributes.items() if v != ""}
        item = {"name": name, "url": predicted_url, "attributes": dict(created, QueueArn=arn), "tags": tags_after}
        changes.created(part, f"create {part} {name}", _diffable(queue_view(item)))
        if not check_mode:
            item["url"] = sqs.create_queue(QueueName=name, Attributes=created, tags=tags_after)["QueueUrl"]
        return item

    after = dict(current, attributes=dict(current["attributes"]), tags=tags_after)
    differences = attribute_differences(current["attributes"], attributes)
    if differences:
        before_values, after_values = diff_values(differences)
        changes.updated(part, f"update {part} {name}: {', '.join(sorted(after_values))}", before_values, after_values)
        payload = {attribute: want for attribute, (have, want) in differences.items()}
        if "Policy" in attributes:
            # Send the policy with every change: moto drops a queue's policy on any SetQueueAttributes
            # call without one, and SQS takes an unchanged policy as a no-op.
            payload.setdefault("Policy", attributes["Policy"])
        if not check_mode:
            sqs.set_queue_attributes(QueueUrl=current["url"], Attributes=payload)
        after["attributes"].update(payload)
    if to_set or to_unset:
        before_tags, after_tags = tag_diff(current["tags"], tags_after)
        changes.updated(part, f"update tags of {part} {name}", {"tags": before_tags}, {"tags": after_tags})
        if not check_mode:
            if to_unset:
                sqs.untag_queue(QueueUrl=current["url"], TagKeys=to_unset)
            if to_set:
                sqs.tag_queue(QueueUrl=current["url"], Tags=to_set)
    return after


def ensure_rule(events, check_mode, changes, current, name, arn, pattern, params, tags_plan):
    """Create the rule or bring its pattern, state, description and tags to the desired values."""
    to_set, to_unset, tags_after = tags_plan
    state = "ENABLED" if params["enabled"] else "DISABLED"
    description = params.get("rule_description")
    if current is None:
        description = description if description is not None else default_description(params["name"])
        rule = {"Name": name, "Arn": arn, "State": state, "Description": description, "EventBusName": "default",
                "EventPattern": json.dumps(pattern)}
        item = {"name": name, "arn": arn, "rule": rule, "targets": [], "tags": tags_after}
        view = rule_view(item)
        view.pop("targets")
        changes.created("rule", f"create rule {name}", view)
        if not check_mode:
            item["arn"] = events.put_rule(Name=name, EventPattern=json.dumps(pattern), State=state, Description=description,
                                          Tags=ansible_dict_to_boto3_tag_list(tags_after))["RuleArn"]
        return item

    rule = current["rule"]
    before, after = {}, {}
    if canonical_pattern(rule.get("EventPattern")) != canonical_pattern(pattern):
        before["event_pattern"], after["event_pattern"] = canonical_pattern(rule.get("EventPattern")), canonical_pattern(pattern)
    if rule.get("State") != state:
        before["state"], after["state"] = rule.get("State"), state
    if description is not None and (rule.get("Description") or "") != description:
        before["description"], after["description"] = rule.get("Description"), description
    new_rule = dict(rule, EventPattern=json.dumps(pattern), State=state)
    if description is not None:
        new_rule["Description"] = description
    if after:
        changes.updated("rule", f"update rule {name}: {', '.join(sorted(after))}", before, after)
        if not check_mode:
            # PutRule replaces the rule: carry over what this module does not manage.
            kwargs = {k: new_rule[k] for k in ("Description", "RoleArn") if new_rule.get(k)}
            events.put_rule(Name=name, EventPattern=new_rule["EventPattern"], State=state, **kwargs)
    if to_set or to_unset:
        before_tags, after_tags = tag_diff(current["tags"], tags_after)
        changes.updated("rule", f"update tags of rule {name}", {"tags": before_tags}, {"tags": after_tags})
        if not check_mode:
            if to_unset:
                events.untag_resource(ResourceARN=current["arn"], TagKeys=to_unset)
            if to_set:
                events.tag_resource(ResourceARN=current["arn"], Tags=ansible_dict_to_boto3_tag_list(to_set))
    return dict(current, rule=new_rule, tags=tags_after)


# Target settings that would change what reaches the worker; ours has none of them.
_TARGET_SHAPING = ("Input", "InputPath", "InputTransformer", "SqsParameters", "RoleArn")


def ensure_target(module, events, check_mode, changes, rule_item, queue_arn):
    targets = list(rule_item.get("targets") or [])
    ours = next((t for t in targets if t["Id"] == TARGET_ID), None)
    desired = {"Id": TARGET_ID, "Arn": queue_arn}
    others = [t for t in targets if t["Id"] != TARGET_ID]
    for target in others:
        if target.get("Arn") == queue_arn:
            module.warn(f"rule {rule_item['name']} has another target {target['Id']!r} on the events queue; "
                        "each event reaches the worker twice. Remove that target.")
    if ours is not None and ours.get("Arn") == queue_arn and not any(k in ours for k in _TARGET_SHAPING):
        return targets
    view = {"id": TARGET_ID, "arn": queue_arn}
    if ours is None:
        changes.created("target", f"add target {TARGET_ID} (queue) to rule {rule_item['name']}", view)
    else:
        before = {"id": ours["Id"], "arn": ours.get("Arn")}
        before.update({k: ours[k] for k in _TARGET_SHAPING if k in ours})
        changes.updated("target", f"update target {TARGET_ID} of rule {rule_item['name']}", before, view)
    if not check_mode:
        response = events.put_targets(Rule=rule_item["name"], Targets=[desired])
        if response.get("FailedEntryCount"):
            module.fail_json(msg=f"PutTargets on rule {rule_item['name']} failed", failed_entries=response.get("FailedEntries"))
    return others + [desired]


def converge(module, clients):
    """state=present: validate, read, plan and apply (or predict in check mode). Returns the result."""

    params = module.params
    resolved, problems = resolve_names(params)
    problems += static_problems(params)
    problems.append(check_tags(params.get("tags")))
    problems += ownership.site_problems(params.get("site")) + ownership.site_tag_problems(params.get("tags"), params.get("site"))
    fail_on_problems(module, problems)

    identity, region = identity_and_region(module, clients, problems)
    cluster_arns, cluster_problems, dummy = resolve_clusters(params["clusters"], identity, region, account_warnings=False)
    fail_on_problems(module, problems + cluster_problems)
    kms_info = None
    if params.get("encryption") == "kms":
        kms_info = kms_key_facts(clients["kms"], params["kms_key_id"], identity)
        fail_on_problems(module, [kms_info.get("error")])

    current = read_all(clients, resolved, identity)
    warnings = resolve_clusters(params["clusters"], identity, region)[2]
    if kms_info:
        warnings += kms_warnings(kms_info)
    if params["dead_letter_message_retention_period"] < params["message_retention_period"]:
        warnings.append(
            f"dead_letter_message_retention_period ({params['dead_letter_message_retention_period']}) is shorter than "
            f"message_retention_period ({params['message_retention_period']}): a message keeps its original enqueue time "
            "when it moves to the dead-letter queue, so it may expire there before anyone looks at it"
        )

    site = ownership.run_site(params)
    fail_on_problems(module, ownership_problems(current, params["name"], params["adopt"], site))
    for warning in warnings:
        module.warn(warning)

    owner = ownership.site_ownership_tags(site)
    user_tags = ownership.tags_without_site(params.get("tags"))
    desired, rule_arn = desired_queues(params, identity, region, resolved, current)
    pattern = event_pattern(cluster_arns)
    changes = Changes()
    check_mode = module.check_mode
    sqs, events = clients["sqs"], clients["events"]
    endpoint = _known_sqs_base(current) or sqs.meta.endpoint_url

    items = {}
    for part in ("dead_letter_queue", "queue"):  # the DLQ first: the queue's redrive policy names it
        existing = current[part]
        tags = plan_tags((existing or {}).get("tags"), user_tags, params["purge_tags"], owner, LEGACY_KEYS)
        url = names.sqs_queue_url(endpoint, identity, region, desired[part][0])
        items[part] = ensure_queue(sqs, check_mode, changes, part, existing, desired[part], tags, url)

    tags = plan_tags((current["rule"] or {}).get("tags"), user_tags, params["purge_tags"], owner, LEGACY_KEYS)
    rule_item = ensure_rule(events, check_mode, changes, current["rule"], resolved["rule_name"], rule_arn, pattern, params, tags)
    queue_arn = desired["queue"][1]
    rule_item["targets"] = ensure_target(module, events, check_mode, changes, rule_item, queue_arn)
    # The info module's checks on what exists after this run (in check mode: what exists now), so a
    # later check (the ecs_verify role) need not read it all again.
    after = current if check_mode or not changes.changed else read_all(clients, resolved)
    health = health_report(clients, params["name"], resolved, identity, region, cluster_arns, after, test_patterns=False,
                           site=site)
    health.pop("changed")
    health["cluster_arns"] = cluster_arns  # what the rule pattern was checked against

    return changes.result(
        module,
        health=health,
        queue=queue_view(items["queue"]),
        dead_letter_queue=queue_view(items["dead_letter_queue"]),
        rule=rule_view(rule_item),
        cluster_arns=cluster_arns,
        worker_environment={WORKER_QUEUE_ENV: resolved["queue_name"], WORKER_REGION_ENV: region},
        worker_policy_statements=worker_policy_statements(queue_arn, (kms_info or {}).get("arn")),
        kms_key=kms_info,
    )


def _known_sqs_base(current):
    """The endpoint part of an existing queue's URL, to predict the URL of a queue still to create."""
    for part in ("queue", "dead_letter_queue"):
        item = current.get(part)
        if item and item.get("url"):
            return item["url"].rsplit("/", 2)[0]
    return None


def remove(module, clients):
    """state=absent: delete exactly the parts this pipeline owns: targets, rule, queue, then DLQ."""

    params = module.params
    resolved, problems = resolve_names(params)
    fail_on_problems(module, problems + [names.check_region(module.region)])
    current = read_all(clients, resolved)
    changes = Changes()
    check_mode = module.check_mode
    sqs, events = clients["sqs"], clients["events"]
    left_alone = []

    def owned(part):
        item = current[part]
        if not item:
            return False
        if part_ownership(item["tags"], params["name"], ownership.run_site(params)) == "ours":
            return True
        left_alone.append(f"{part} {item['name']}")
        module.warn(f"{part} {item['name']} was not created by this pipeline (it does not carry "
                    f"{ownership.site_owner_text(ownership.run_site(params))}); left alone")
        return False

    if owned("rule"):
        rule = current["rule"]
        ids = [t["Id"] for t in rule["targets"]]
        if ids:
            changes.deleted("target", f"remove targets {', '.join(ids)} from rule {rule['name']}",
                            [{"id": t["Id"], "arn": t["Arn"]} for t in rule["targets"]])
            if not check_mode:
                events.remove_targets(Rule=rule["name"], Ids=ids)
        changes.deleted("rule", f"delete rule {rule['name']}", rule_view(dict(rule, targets=[])))
        if not check_mode:
            events.delete_rule(Name=rule["name"])
    deleted_urls = set()
    for part in ("queue", "dead_letter_queue"):  # the queue first: its redrive policy names the DLQ
        if owned(part):
            item = current[part]
            if part == "dead_letter_queue":
                sources = [u for u in sqs.paginate("list_dead_letter_source_queues", "queueUrls", QueueUrl=item["url"])
                           if u not in deleted_urls]
                if sources:
                    left_alone.append(f"{part} {item['name']}")
                    module.warn(f"{part} {item['name']} is left in place: queues still redrive to it ({', '.join(sources)})")
                    continue
            deleted_urls.add(item["url"])
            changes.deleted(part, f"delete {part} {item['name']}", _diffable(queue_view(item)))
            if not check_mode:
                try:
                    sqs.delete_queue(QueueUrl=item["url"])
                except is_boto3_error_code(NO_QUEUE):
                    pass
    return changes.result(module, queue=None, dead_letter_queue=None, rule=None, left_alone=left_alone)


# --- read-only inspection (ecs_event_observer_info) -----------------------------------------------


def _source_arns(statement):
    found = []
    for operator, conditions in (statement.get("Condition") or {}).items():
        if not operator.startswith(("ArnEquals", "ArnLike", "StringEquals", "StringLike")):
            continue
        for key, value in (conditions or {}).items():
            if key.lower() == "aws:sourcearn":
                found += _listify(value)
    return found


def _lets_events_send(statement, queue_arn):
    if statement.get("Effect") != "Allow" or not _allows(statement, "sqs:SendMessage"):
        return False
    principal = statement.get("Principal")
    services = _listify(principal.get("Service")) if isinstance(principal, dict) else []
    anyone = principal == "*" or (isinstance(principal, dict) and "*" in _listify(principal.get("AWS")))
    resources = _listify(statement.get("Resource")) or ["*"]
    on_queue = any(fnmatch.fnmatchcase(queue_arn, r) for r in resources)
    return on_queue and (EVENTS_PRINCIPAL in services or anyone)


def policy_checks(policy, queue_arn, rule_arn):
    """(allows our rule, statements that let a sender in without an aws:SourceArn condition)."""
    statements = _listify((policy or {}).get("Statement"))
    senders = [s for s in statements if _lets_events_send(s, queue_arn)]
    allows_rule = any(rule_arn in _source_arns(s) for s in senders)
    unconditioned = [s.get("Sid", f"statement {i}") for i, s in enumerate(senders) if not _source_arns(s)]
    return allows_rule, unconditioned


class Checks:
    def __init__(self):
        self.items = []

    def add(self, name, status, detail=None):
        self.items.append({"name": name, "status": status, "detail": detail})

    def verdict(self, name, ok, detail_ok, detail_bad):
        self.add(name, "pass" if ok else "fail", detail_ok if ok else detail_bad)

    def names(self, status):
        return [c["name"] for c in self.items if c["status"] == status]


def _depth(attributes, key):
    try:
        return int(attributes.get(key, 0))
    except ValueError:
        return None


def inspect(module, clients):
    """Every part present and wired, queue depths, rule state and (where supported) TestEventPattern."""
    params = module.params
    resolved, problems = resolve_names(params)
    fail_on_problems(module, problems)
    identity, region = identity_and_region(module, clients, problems)
    expected_clusters = None
    if params.get("clusters"):
        expected_clusters, cluster_problems, dummy = resolve_clusters(params["clusters"], identity, region, account_warnings=False)
        problems += cluster_problems
    fail_on_problems(module, problems)
    current = read_all(clients, resolved, identity)
    return health_report(clients, params["name"], resolved, identity, region, expected_clusters, current,
                         site=ownership.run_site(params))


def health_report(clients, name, resolved, identity, region, expected_clusters, current, test_patterns=True, site=None):
    """The read-only checks of the pipeline as `current` (read_all) found it; the info module's result.

    test_patterns=False leaves out the TestEventPattern calls (converge: the rule's pattern is the one it built).
    """
    queue, dlq, rule = current["queue"], current["dead_letter_queue"], current["rule"]
    queue_arn = names.sqs_queue_arn(identity, region, resolved["queue_name"])
    dlq_arn = names.sqs_queue_arn(identity, region, resolved["dead_letter_queue_name"])
    rule_arn = names.events_rule_arn(identity, region, resolved["rule_name"])
    checks = Checks()
    for part, item in (("queue", queue), ("dead_letter_queue", dlq), ("rule", rule)):
        label = resolved[PART_OPTIONS[part]]
        checks.verdict(f"{part}_exists", item is not None, f"{label} exists", f"{label} does not exist")

    if queue:
        redrive = _value("RedrivePolicy", queue["attributes"].get("RedrivePolicy")) or {}
        checks.verdict("queue_redrives_to_dead_letter_queue", isinstance(redrive, dict) and redrive.get("deadLetterTargetArn") == dlq_arn,
                       f"redrive to {dlq_arn} after {redrive.get('maxReceiveCount') if isinstance(redrive, dict) else '?'} receives",
                       f"the redrive policy does not point at {dlq_arn}: {redrive or 'none'}")
        policy = _value("Policy", queue["attributes"].get("Policy"))
        allows_rule, unconditioned = policy_checks(policy if isinstance(policy, dict) else {}, queue_arn, rule_arn)
        checks.verdict("queue_policy_allows_rule", allows_rule, f"{EVENTS_PRINCIPAL} may send on behalf of {rule_arn}",
                       f"the queue policy does not let {EVENTS_PRINCIPAL} send with aws:SourceArn {rule_arn}")
        checks.verdict("queue_policy_requires_source_arn", not unconditioned, "every sender grant is limited by aws:SourceArn",
                       f"statements {', '.join(unconditioned)} let any rule (or anyone) send: add an aws:SourceArn condition")
    if rule:
        pattern = canonical_pattern(rule["rule"].get("EventPattern"))
        clusters_in_rule = (pattern.get("detail") or {}).get("clusterArn") if isinstance(pattern, dict) else None
        if expected_clusters is not None:
            expected = canonical_pattern(event_pattern(expected_clusters))
            checks.verdict("rule_pattern", pattern == expected, "the rule's pattern is the expected one",
                           f"the rule's pattern is {json.dumps(pattern)}, expected {json.dumps(expected)}")
        else:
            shape = isinstance(pattern, dict) and pattern.get("source") == [SOURCE] and pattern.get("detail-type") == [DETAIL_TYPE] \
                and isinstance(clusters_in_rule, list) and bool(clusters_in_rule)
            checks.verdict("rule_pattern", shape, f"{SOURCE} / {DETAIL_TYPE} for clusters {clusters_in_rule}",
                           f"the rule's pattern is not an ECS task state change pattern for given clusters: {json.dumps(pattern)}")
        checks.verdict("rule_enabled", rule["rule"].get("State") == "ENABLED", "the rule is ENABLED",
                       f"the rule is {rule['rule'].get('State')}")
        targets = [t for t in rule["targets"] if t.get("Arn") == queue_arn]
        clean = [t for t in targets if not any(k in t for k in _TARGET_SHAPING)]
        checks.verdict("rule_targets_queue", bool(clean), f"target {clean[0]['Id'] if clean else ''} delivers to {queue_arn}",
                       f"no target of the rule delivers events unchanged to {queue_arn}")
        pattern_tests = _pattern_tests(clients["events"], checks, identity, region, pattern, clusters_in_rule) if test_patterns else {}
    else:
        pattern_tests = {}

    if dlq:
        depth = (_depth(dlq["attributes"], "ApproximateNumberOfMessages") or 0) + (
            _depth(dlq["attributes"], "ApproximateNumberOfMessagesNotVisible") or 0)
        checks.add("dead_letter_queue_empty", "pass" if depth == 0 else "warn",
                   "no failed events" if depth == 0 else f"{depth} events the worker could not process are in the DLQ")

    kms_info = None
    if queue and encryption_of(queue["attributes"]) == "kms":
        kms_info = kms_key_facts(clients["kms"], queue["attributes"]["KmsMasterKeyId"], identity)
        policy_check = kms_info.get("policy_check") or {}
        for key, name in (("events_can_encrypt", "kms_key_allows_eventbridge"), ("iam_policies_can_grant_decrypt", "kms_key_delegates_to_iam")):
            value = policy_check.get(key)
            checks.add(name, "unknown" if value is None else ("pass" if value else "fail"), kms_info.get("error"))

    queue_out = queue_view(queue)
    if queue_out:
        attributes = queue["attributes"]
        queue_out.update(messages_visible=_depth(attributes, "ApproximateNumberOfMessages"),
                         messages_in_flight=_depth(attributes, "ApproximateNumberOfMessagesNotVisible"),
                         messages_delayed=_depth(attributes, "ApproximateNumberOfMessagesDelayed"))
    dlq_out = queue_view(dlq)
    if dlq_out:
        dlq_out.update(messages_visible=_depth(dlq["attributes"], "ApproximateNumberOfMessages"),
                       messages_in_flight=_depth(dlq["attributes"], "ApproximateNumberOfMessagesNotVisible"))
    exists = all((queue, dlq, rule))
    failed = checks.names("fail")
    return dict(
        changed=False,
        exists=exists,
        healthy=exists and not failed,
        checks=checks.items,
        failed_checks=failed,
        unknown_checks=checks.names("unknown"),
        queue=queue_out,
        dead_letter_queue=dlq_out,
        rule=rule_view(rule),
        pattern_tests=pattern_tests,
        owned=({part: part_ownership(item["tags"], name, site) for part, item in current.items() if item}),
        worker_environment={WORKER_QUEUE_ENV: resolved["queue_name"], WORKER_REGION_ENV: region},
        worker_policy_statements=worker_policy_statements(queue_arn, (kms_info or {}).get("arn")),
        kms_key=kms_info,
    )


def _pattern_tests(events, checks, identity, region, pattern, clusters_in_rule):
    """TestEventPattern with sample events; never PutEvents (a live queue is read by the worker)."""
    if not isinstance(clusters_in_rule, list) or not clusters_in_rule or not isinstance(clusters_in_rule[0], str):
        checks.add("pattern_matches_our_cluster", "fail", "the rule's pattern names no cluster ARN to test with")
        return {}
    ours = clusters_in_rule[0]
    other = other_cluster_arn(identity, region, clusters_in_rule)
    samples = {
        "our_cluster": (sample_event(identity, region, ours), "match"),
        "other_cluster": (sample_event(identity, region, other), "no_match"),
        "other_detail_type": (sample_event(identity, region, ours, detail_type="ECS Container Instance State Change"), "no_match"),
    }
    results = {}
    for label, (event, expected) in samples.items():
        outcome, why = try_event_pattern(events, pattern, event)
        results[label] = outcome
        name = f"pattern_{label}_{'matches' if expected == 'match' else 'does_not_match'}"
        if outcome == "unknown":
            checks.add(name, "unknown", why)
        else:
            checks.verdict(name, outcome == expected, f"a sample event is {outcome}", f"a sample event is {outcome}, expected {expected}")
    return results
