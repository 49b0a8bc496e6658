#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecr_repository
short_description: An ECR repository for flow images, created with the ownership tags, removed only when it is this site's
version_added: 0.1.0
description:
  - Creates an ECR repository with its image tag mutability, scan on push setting, lifecycle policy and
    tags, converges them in place, or removes the repository.
  - Every option the task sets is compared by meaning with what ECR reports - the image tag mutability
    (case-insensitive), scan on push, the lifecycle policy (parsed; rules in priority order, numbers as
    numbers, tag prefix and pattern lists as sets, an empty description as none) and the tags. An option
    that is not set is never compared or sent.
  - The repository this module creates carries the ownership tags C(prefect-ops:managed-by=prefect_ops.ecs)
    and, when the run names a site (O(site), or the C(prefect-ops:site) key of O(tags)),
    C(prefect-ops:site=<site>). A repository is this run's when it carries both (or the first and no
    C(prefect-ops:site) tag when the run names no site). An existing repository that is not this run's is
    not changed unless O(adopt=true); an adopted repository does not get the ownership tags, so
    O(state=absent) never deletes it.
  - O(state=absent) deletes only a repository that is this run's, and only when it holds no image unless
    O(force_delete=true). Any other repository is left in place, with a warning, and RV(kept) says why.
  - Check mode predicts the result, including the ARN and URI of a new repository, and makes no mutating
    call. With C(--diff) the diff holds before/after of exactly the fields that change.
  - Invalid input (the name, the tag mutability, every rule of the lifecycle policy, the tags) fails before
    any AWS call, with a message naming the option and the fix.
  - C(community.aws.ecs_ecr) has no tags option (so a repository it creates cannot carry the ownership tags),
    fails in check mode on a new repository when a lifecycle policy is given, reports a change it would make
    in check mode as skipped, and deletes a same-named repository whatever its tags; that is why this module
    exists (tests/integration/test_role_prefect_deployments.py proves those gaps).
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
options:
  name:
    description:
      - The repository name - 2 to 256 lowercase letters and digits in groups joined by C(.), C(_) or C(-), with
        optional C(/) namespaces (for example C(flows/etl)).
    type: str
    required: true
    aliases: [repository_name]
  state:
    description:
      - V(present) creates or converges the repository.
      - V(absent) deletes the repository when it is this run's (ownership tags) and empty (or O(force_delete=true)).
        The settings options are ignored.
    type: str
    choices: [present, absent]
    default: present
  site:
    description:
      - The site the repository belongs to - the value of its C(prefect-ops:site) ownership tag. Not set means the
        C(prefect-ops:site) key of O(tags), if any; a run that names no site owns only repositories without a
        C(prefect-ops:site) tag. When both are set they must be equal.
    type: str
  image_tag_mutability:
    description:
      - V(IMMUTABLE) (a tag always names the same image) or V(MUTABLE); case-insensitive. Not set means it is
        left as it is (a new repository is C(MUTABLE)).
    type: str
  scan_on_push:
    description:
      - Scan every image pushed for vulnerabilities. Not set means it is left as it is (a new repository does not scan).
    type: bool
  lifecycle_policy:
    description:
      - The lifecycle policy, a mapping with C(rules) or its JSON text, compared by meaning. Each rule has
        C(rulePriority) (unique, 1 or more; a rule with C(tagStatus=any) must have the highest), C(selection)
        (C(tagStatus) C(tagged), C(untagged) or C(any); C(tagPrefixList) or C(tagPatternList) for C(tagged);
        C(countType) C(imageCountMoreThan) or C(sinceImagePushed) with C(countUnit=days); C(countNumber) 1 or more),
        C(action) with C(type=expire) and optionally C(description).
      - Not set means the repository's policy is left as it is.
    type: raw
  adopt:
    description:
      - Manage an existing repository that is not this run's (created by hand, by another tool or site, or by
        C(community.aws.ecs_ecr)). Without it the module fails on such a repository, changing nothing.
      - An adopted repository gets the settings and O(tags) the task sets, never the ownership tags, so
        O(state=absent) never deletes it.
    type: bool
    default: false
  force_delete:
    description:
      - With O(state=absent), also delete a repository of this run that holds images (the images are lost).
        Without it such a repository is left in place and RV(kept) says so.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - Supports C(check_mode) and C(diff_mode).
  - AWS calls retry throttling with jittered backoff.
  - O(purge_tags=true) never removes the ownership tags of a repository this module created. The key
    C(prefect-ops:managed-by) may appear in O(tags) only with the value C(prefect_ops.ecs).
"""

EXAMPLES = r"""
- name: The repository of the ETL flow's images, this site's
  prefect_ops.ecs.ecr_repository:
    name: flows/etl
    site: prod-euw1
    image_tag_mutability: IMMUTABLE
    scan_on_push: true
    lifecycle_policy:
      rules:
        - rulePriority: 1
          description: Keep the last 30 images
          selection: {tagStatus: any, countType: imageCountMoreThan, countNumber: 30}
          action: {type: expire}
    tags:
      team: data
    purge_tags: false
  register: repo

- name: Push there
  ansible.builtin.debug:
    msg: "docker push {{ repo.repository.uri }}:1.0"

- name: Manage the settings of a repository made by hand (state=absent never deletes it)
  prefect_ops.ecs.ecr_repository:
    name: shared/base-images
    adopt: true
    scan_on_push: true

- name: Remove it (only if it carries this site's ownership tags and holds no image)
  prefect_ops.ecs.ecr_repository:
    name: flows/etl
    site: prod-euw1
    state: absent
"""

RETURN = r"""
repository:
  description:
    - The repository (predicted in check mode for a new one). None after O(state=absent) deleted it or found none.
    - C(lifecycle_policy) is the policy in its compared form (None when the repository has none).
  returned: always
  type: dict
  contains:
    arn:
      description: The repository ARN.
      type: str
      sample: arn:aws:ecr:us-east-1:123456789012:repository/flows/etl
    uri:
      description: The repository URI, what C(docker push) takes (with C(:<tag>)).
      type: str
      sample: 123456789012.dkr.ecr.us-east-1.amazonaws.com/flows/etl
    name:
      description: The repository name.
      type: str
      sample: flows/etl
    registry_id:
      description: The registry (account) ID.
      type: str
      sample: "123456789012"
    image_tag_mutability:
      description: C(MUTABLE) or C(IMMUTABLE).
      type: str
    scan_on_push:
      description: Whether pushed images are scanned.
      type: bool
    lifecycle_policy:
      description: The lifecycle policy.
      type: dict
    tags:
      description: The repository's tags.
      type: dict
      sample: {"prefect-ops:managed-by": "prefect_ops.ecs", "prefect-ops:site": "prod-euw1", "team": "data"}
owned:
  description: Whether the repository carries this run's ownership tags (so O(state=absent) may delete it).
  returned: always
  type: bool
kept:
  description: With O(state=absent), why a repository of that name was left in place; None otherwise.
  returned: always
  type: str
  sample: "it holds images; set force_delete: true to delete it with its images"
actions:
  description: What the run changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["put image scanning configuration of repository flows/etl (scan on push False)"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import clients
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ecr_repository import argument_spec
from ansible_collections.prefect_ops.ecs.plugins.module_utils.ecr_repository import run


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.exit_json(**run(module, clients(module, "sts", "ecr")))


if __name__ == "__main__":
    main()
