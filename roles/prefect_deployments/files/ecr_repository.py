# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Create, tag or remove one ECR repository, owned through the collection's ownership tags.

Run by the prefect_deployments role (ansible.builtin.script) for what community.aws.ecs_ecr (10.0.0)
cannot do: it has no tags option, so it cannot create a repository carrying the ownership tags, and its
state=absent deletes a repository whatever its tags say (tests/integration/test_role_prefect_deployments.py,
the gap test). The repository's settings (tag mutability, scan on push, lifecycle policy) are converged by
community.aws.ecs_ecr afterwards.

Input: the JSON request in the environment variable PREFECT_OPS_ECR_REQUEST:
  {name, state: present|absent, check: bool, region, site, tags: {..}, image_tag_mutability, scan_on_push,
   adopt: bool, force: bool}
Output (stdout): one JSON object {changed, name, existed, exists, owned, arn, uri, actions, kept, msg};
exit status 1 on failure (msg says why and what to do).

Credentials come from boto3's standard chain (AWS_PROFILE, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
instance roles), the endpoint from AWS_ENDPOINT_URL when set. Throttling is retried (botocore standard mode).
"""

import json
import os
import sys

MANAGED_BY = ("prefect-ops:managed-by", "prefect_ops.ecs")
SITE_KEY = "prefect-ops:site"


def registry_domain(partition):
    return {"aws-cn": "amazonaws.com.cn", "aws-iso": "c2s.ic.gov", "aws-iso-b": "sc2s.sgov.gov"}.get(
        partition, "amazonaws.com")


def predicted(sts, region, name):
    """ARN and URI of a repository not created yet (check mode), from the caller's account and partition."""
    who = sts.get_caller_identity()
    partition = who["Arn"].split(":")[1]
    account = who["Account"]
    return ("arn:%s:ecr:%s:%s:repository/%s" % (partition, region, account, name),
            "%s.dkr.ecr.%s.%s/%s" % (account, region, registry_domain(partition), name))


def describe(ecr, name):
    try:
        return ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    except ecr.exceptions.RepositoryNotFoundException:
        return None


def converge(req, ecr, sts):
    name, check, site = req["name"], bool(req.get("check")), req["site"]
    out = dict(changed=False, name=name, existed=False, exists=False, owned=False, arn=None, uri=None,
               actions=[], kept=None)
    repo = describe(ecr, name)
    tags = {}
    if repo is not None:
        out.update(existed=True, exists=True, arn=repo["repositoryArn"], uri=repo["repositoryUri"])
        tags = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]}
    owned = tags.get(MANAGED_BY[0]) == MANAGED_BY[1] and tags.get(SITE_KEY) == site
    out["owned"] = owned

    if req["state"] == "absent":
        if repo is None:
            return out
        if not owned:
            out["kept"] = ("it does not carry the ownership tags %s=%s and %s=%s"
                           % (MANAGED_BY[0], MANAGED_BY[1], SITE_KEY, site))
            return out
        images = ecr.list_images(repositoryName=name, maxResults=1)["imageIds"]
        if images and not req.get("force"):
            out["kept"] = ("it holds images; set prefect_deployments_ecr_force_delete: true to delete it with its "
                           "images")
            return out
        if not check:
            ecr.delete_repository(repositoryName=name, force=bool(images))
        out.update(changed=True, exists=False, actions=["DeleteRepository"])
        return out

    wanted = dict(req.get("tags") or {})
    wanted.update({MANAGED_BY[0]: MANAGED_BY[1], SITE_KEY: site})
    if repo is None:
        if check:
            out["arn"], out["uri"] = predicted(sts, ecr.meta.region_name, name)
        else:
            repo = ecr.create_repository(
                repositoryName=name,
                imageTagMutability=req["image_tag_mutability"],
                imageScanningConfiguration={"scanOnPush": bool(req["scan_on_push"])},
                tags=[{"Key": k, "Value": str(v)} for k, v in sorted(wanted.items())],
            )["repository"]
            out.update(exists=True, arn=repo["repositoryArn"], uri=repo["repositoryUri"])
        out.update(changed=True, owned=True, actions=["CreateRepository"])
        return out
    if not owned:
        if req.get("adopt"):
            return out  # its settings are managed, it never gets our tags, so absent never deletes it
        raise Refused(
            "ECR repository %r exists but this site did not create it (tags %s): choose another name in "
            "prefect_deployments_ecr_repositories, or set adopt: true on its entry to manage its settings without "
            "ever deleting it" % (name, json.dumps(tags, sort_keys=True)))
    missing = dict((k, str(v)) for k, v in wanted.items() if tags.get(k) != str(v))
    if missing:
        if not check:
            ecr.tag_resource(resourceArn=repo["repositoryArn"],
                             tags=[{"Key": k, "Value": v} for k, v in sorted(missing.items())])
        out.update(changed=True, actions=["TagResource"], tags_changed=sorted(missing))
    return out


class Refused(Exception):
    pass


def main():
    try:
        req = json.loads(os.environ["PREFECT_OPS_ECR_REQUEST"])
    except (KeyError, ValueError) as exc:
        print(json.dumps(dict(failed=True, msg="no valid request in PREFECT_OPS_ECR_REQUEST: %s" % exc)))
        return 1
    try:
        import boto3
        import botocore.config
        import botocore.exceptions
    except ImportError as exc:
        print(json.dumps(dict(failed=True, msg="boto3 is required on the host that runs the play: %s" % exc)))
        return 1
    config = botocore.config.Config(retries={"mode": "standard", "max_attempts": 10})
    region = req.get("region") or None
    try:
        ecr = boto3.client("ecr", region_name=region, config=config)
        sts = boto3.client("sts", region_name=region, config=config)
        out = converge(req, ecr, sts)
    except Refused as exc:
        print(json.dumps(dict(failed=True, name=req.get("name"), msg=str(exc))))
        return 1
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        print(json.dumps(dict(failed=True, name=req.get("name"),
                              msg="ECR repository %r: %s" % (req.get("name"), exc))))
        return 1
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
