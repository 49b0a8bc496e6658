# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The least-privilege IAM policy of an identity that submits flow runs to ECS the way prefect-aws's ECS worker does
(the push lane's IAM user: Prefect Cloud submits push runs with that worker's code).

The calls of one submission (prefect_aws/workers/ecs_worker.py 0.7.12): DescribeTaskDefinition of the pinned
definition (RegisterTaskDefinition, DeregisterTaskDefinition and TagResource on it only without a pinned one),
DescribeVpcs and DescribeSubnets for a custom network configuration, RunTask with tags in the site's cluster, iam:PassRole
of the execution and task roles the task runs with, DescribeTasks while it starts and StopTask on cancellation.
Nothing on ``*`` but the reads that have no resource-level permissions; nothing to create clusters, security groups,
VPCs or roles (what ``prefect work-pool create --type ecs:push --provision-infra`` grants).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

CLUSTER_ARN = re.compile(r"^arn:(?P<partition>[a-z-]+):ecs:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):cluster/(?P<name>.+)$")
TASK_DEFINITION_ARN = re.compile(r"^arn:[a-z-]+:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/(?P<family>[^:]+):[0-9]+$")


class PolicyInputError(ValueError):
    pass


def ecs_submission_policy(cluster_arn, pass_role_arns, task_definition_arn=""):
    """The policy document. ``task_definition_arn``: the pool's pinned definition (RunTask is then limited to its
    family and nothing registers definitions); empty: the submission registers its own."""
    cluster = CLUSTER_ARN.match(cluster_arn or "")
    if not cluster:
        raise PolicyInputError("the cluster must be an ECS cluster ARN (got %r)" % (cluster_arn,))
    prefix = "arn:%(partition)s:ecs:%(region)s:%(account)s" % cluster.groupdict()
    tasks = "%s:task/%s/*" % (prefix, cluster.group("name"))
    pinned = TASK_DEFINITION_ARN.match(task_definition_arn or "")
    if task_definition_arn and not pinned:
        raise PolicyInputError("the pinned task definition must be a task definition ARN with its revision (got %r)"
                               % (task_definition_arn,))
    definitions = "%s:task-definition/%s:*" % (prefix, pinned.group("family")) if pinned else prefix + ":task-definition/*"
    on_cluster = {"ArnEquals": {"ecs:cluster": cluster_arn}}
    statements = [
        {"Sid": "ReadTaskDefinitions", "Effect": "Allow",
         "Action": ["ecs:DescribeTaskDefinition"] if pinned else
         ["ecs:DeregisterTaskDefinition", "ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"],
         "Resource": "*"},
        {"Sid": "RunTasksInTheCluster", "Effect": "Allow", "Action": ["ecs:RunTask"], "Resource": definitions,
         "Condition": on_cluster},
        {"Sid": "ManageTasksInTheCluster", "Effect": "Allow", "Action": ["ecs:DescribeTasks", "ecs:StopTask"],
         "Resource": tasks, "Condition": on_cluster},
        {"Sid": "TagWhatTheSubmissionCreates", "Effect": "Allow", "Action": ["ecs:TagResource"],
         "Resource": [tasks] if pinned else [prefix + ":task-definition/*", tasks],
         "Condition": {"StringEquals": {"ecs:CreateAction": ["RunTask"] if pinned else ["RegisterTaskDefinition", "RunTask"]}}},
        {"Sid": "DescribeNetwork", "Effect": "Allow", "Action": ["ec2:DescribeSubnets", "ec2:DescribeVpcs"], "Resource": "*"},
    ]
    roles = sorted(set(r for r in pass_role_arns or [] if r))
    if roles:
        statements.append({"Sid": "PassTaskRolesToEcs", "Effect": "Allow", "Action": ["iam:PassRole"], "Resource": roles,
                           "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}})
    return {"Version": "2012-10-17", "Statement": statements}
