"""What a run created, from the AWS proxy's record, and which of it still exists.

Tags alone miss task definitions, inline policies, attachments and targets: this reads every
successful creating call the proxy saw since a mark and asks the emulator (directly, not through
the proxy) whether each object is still there. A creating action it does not know makes it fail
rather than pass silently.

    python tests/stacktools/leftovers.py --since N   # exit 1 and list what is left, or unknown actions
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script (molecule's destroy step)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stacktools.stack import ProxyControl, aws_client, stack_env  # noqa: E402

# Mutating actions that create nothing of their own: they change, tag or remove an object created by
# one of the CREATES actions (or a resource the run adopted).
NOT_CREATING_PREFIXES = ("Delete", "Deregister", "Remove", "Untag", "Tag", "Update", "Detach", "Stop",
                         "Cancel", "Disassociate", "Release", "Revoke", "Modify", "Set", "Change", "Purge",
                         "Send", "Reset", "Start", "Restore", "Rotate")
NOT_CREATING = {("logs", "PutRetentionPolicy"), ("logs", "AssociateKmsKey"), ("secretsmanager", "PutSecretValue"),
                ("ecs", "PutClusterCapacityProviders"), ("ecs", "RunTask"),
                ("ecr", "PutLifecyclePolicy"), ("ecr", "PutImageScanningConfiguration"),
                ("ecr", "PutImageTagMutability")}


def _gone_on_error(call, *args, **kwargs) -> bool:
    try:
        call(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any NotFound/NoSuchEntity-style error means gone
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if any(word in code for word in ("NotFound", "NoSuch", "NonExistent", "DoesNotExist", "ResourceNotFound")):
            return True
        raise
    return False


def _queue(p):
    return "queue", p["QueueName"], lambda: _gone_on_error(
        aws_client("sqs", direct=True).get_queue_url, QueueName=p["QueueName"])


def _rule(p):
    bus = p.get("EventBusName", "default")
    return "rule", p["Name"], lambda: _gone_on_error(
        aws_client("events", direct=True).describe_rule, Name=p["Name"], EventBusName=bus)


def _targets(p):
    rule, ids = p["Rule"], [t["Id"] for t in p.get("Targets", [])]
    bus = p.get("EventBusName", "default")

    def gone():
        events = aws_client("events", direct=True)
        try:
            found = events.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"]
        except events.exceptions.ResourceNotFoundException:
            return True
        return not {t["Id"] for t in found} & set(ids)
    return "target", f"{rule}/{','.join(ids)}", gone


def _role(p):
    return "role", p["RoleName"], lambda: _gone_on_error(aws_client("iam", direct=True).get_role, RoleName=p["RoleName"])


def _inline_policy(p):
    return "inline policy", f"{p['RoleName']}/{p['PolicyName']}", lambda: _gone_on_error(
        aws_client("iam", direct=True).get_role_policy, RoleName=p["RoleName"], PolicyName=p["PolicyName"])


def _attachment(p):
    def gone():
        iam = aws_client("iam", direct=True)
        try:
            attached = iam.list_attached_role_policies(RoleName=p["RoleName"])["AttachedPolicies"]
        except iam.exceptions.NoSuchEntityException:
            return True
        return p["PolicyArn"] not in {a["PolicyArn"] for a in attached}
    return "policy attachment", f"{p['RoleName']}/{p['PolicyArn']}", gone


def _secret(p):
    def gone():
        sm = aws_client("secretsmanager", direct=True)
        try:
            return "DeletedDate" in sm.describe_secret(SecretId=p["Name"])  # scheduled for deletion = gone
        except sm.exceptions.ResourceNotFoundException:
            return True
    return "secret", p["Name"], gone


def _parameter(p):
    return "parameter", p["Name"], lambda: _gone_on_error(aws_client("ssm", direct=True).get_parameter, Name=p["Name"])


def _log_group(p):
    def gone():
        groups = aws_client("logs", direct=True).describe_log_groups(logGroupNamePrefix=p["logGroupName"])["logGroups"]
        return p["logGroupName"] not in {g["logGroupName"] for g in groups}
    return "log group", p["logGroupName"], gone


def _cluster(p):
    def gone():
        found = aws_client("ecs", direct=True).describe_clusters(clusters=[p["clusterName"]])["clusters"]
        return all(c["status"] == "INACTIVE" for c in found)
    return "cluster", p["clusterName"], gone


def _task_definition_family(p):
    def gone():
        ecs = aws_client("ecs", direct=True)
        arns = ecs.list_task_definitions(familyPrefix=p["family"], status="ACTIVE")["taskDefinitionArns"]
        return not [a for a in arns if a.rsplit("/", 1)[1].rsplit(":", 1)[0] == p["family"]]
    return "task definition", p["family"], gone


def _service(p):
    def gone():
        found = aws_client("ecs", direct=True).describe_services(cluster=p["cluster"], services=[p["serviceName"]])
        return all(s["status"] == "INACTIVE" for s in found["services"])
    return "service", f"{p['cluster']}/{p['serviceName']}", gone


def _scalable_target(p):
    def gone():
        found = aws_client("application-autoscaling", direct=True).describe_scalable_targets(
            ServiceNamespace=p["ServiceNamespace"], ResourceIds=[p["ResourceId"]])["ScalableTargets"]
        return not found
    return "scalable target", p["ResourceId"], gone


def _scaling_policy(p):
    def gone():
        found = aws_client("application-autoscaling", direct=True).describe_scaling_policies(
            ServiceNamespace=p["ServiceNamespace"], ResourceId=p["ResourceId"], PolicyNames=[p["PolicyName"]])
        return not found["ScalingPolicies"]
    return "scaling policy", f"{p['ResourceId']}/{p['PolicyName']}", gone


def _repository(p):
    # the proxy records ECR calls under the signing name "ecr" (the endpoint is api.ecr.<region>)
    return "repository", p["repositoryName"], lambda: _gone_on_error(
        aws_client("ecr", direct=True).describe_repositories, repositoryNames=[p["repositoryName"]])


CREATES = {
    ("sqs", "CreateQueue"): _queue,
    ("events", "PutRule"): _rule,
    ("events", "PutTargets"): _targets,
    ("iam", "CreateRole"): _role,
    ("iam", "PutRolePolicy"): _inline_policy,
    ("iam", "AttachRolePolicy"): _attachment,
    ("secretsmanager", "CreateSecret"): _secret,
    ("ssm", "PutParameter"): _parameter,
    ("logs", "CreateLogGroup"): _log_group,
    ("ecs", "CreateCluster"): _cluster,
    ("ecs", "RegisterTaskDefinition"): _task_definition_family,
    ("ecs", "CreateService"): _service,
    ("application-autoscaling", "RegisterScalableTarget"): _scalable_target,
    ("application-autoscaling", "PutScalingPolicy"): _scaling_policy,
    ("ecr", "CreateRepository"): _repository,
}


def created(calls: list[dict]) -> tuple[list[tuple], list[str]]:
    """(kind, identity, gone-check) for every object the calls created, and the unknown creating actions."""
    objects, unknown = {}, set()
    for call in calls:
        if not call.get("aws") or not call.get("mutating") or call.get("fault") or call.get("status", 200) >= 300:
            continue
        key = (call["service"], call["action"])
        if key in CREATES:
            kind, ident, gone = CREATES[key](call.get("params") or {})
            objects.setdefault((kind, ident), gone)
        elif key not in NOT_CREATING and not call["action"].startswith(NOT_CREATING_PREFIXES):
            unknown.add(f"{call['service']}:{call['action']}")
    return [(kind, ident, gone) for (kind, ident), gone in objects.items()], sorted(unknown)


def leftovers(since: int, proxy_url: str | None = None) -> dict:
    url = proxy_url or stack_env()["AWS_ENDPOINT_URL"]
    objects, unknown = created(ProxyControl(url).calls(since))
    left = [f"{kind} {ident}" for kind, ident, gone in objects if not gone()]
    return {"created": [f"{kind} {ident}" for kind, ident, _gone in objects], "left": left, "unknown_actions": unknown}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--since", type=int, required=True, help="the proxy record position to start from")
    args = parser.parse_args(argv)
    report = leftovers(args.since)
    print(json.dumps(report, indent=2))
    return 1 if report["left"] or report["unknown_actions"] else 0


if __name__ == "__main__":
    sys.exit(main())
