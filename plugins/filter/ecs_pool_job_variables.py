# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: ecs_pool_job_variables
short_description: The job-template defaults an ECS work pool takes from the site's earlier roles
version_added: 0.1.0
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
description:
  - One definition of how the cluster, network, roles, pinned task definition, log group and API-key secret of a
    site become the defaults of an C(ecs) or C(ecs:push) pool (roles C(prefect_work_pools) and C(ecs_push_lane)).
  - Empty inputs are left out, so a default the user set in Prefect for a key the site does not manage is never
    touched.
options:
  _input:
    description:
      - C(cluster), C(vpc_id), C(subnet_ids), C(security_group_ids), C(assign_public_ip), C(execution_role_arn),
        C(task_role_arn), C(task_definition_arn), C(log_group), C(region), C(secret_arn) and C(secret_kind)
        (V(api_key), V(auth_string) or V(none)). Missing keys count as empty.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The ECS pool with the site's defaults
  prefect_ops.ecs.prefect_work_pool:
    name: prod
    type: ecs
    job_variables: "{{ {'cluster': ecs_cluster.arn, 'subnet_ids': ecs_network.subnet_ids} | prefect_ops.ecs.ecs_pool_job_variables }}"
"""

RETURN = r"""
_value:
  description: Job variable -> default, for O(prefect_ops.ecs.prefect_work_pool#module:job_variables).
  type: dict
"""


def _truthy(value):
    return value if not isinstance(value, str) else value.strip().lower() in ("1", "true", "yes", "on")


def ecs_pool_job_variables(inputs):
    i = dict(inputs or {})
    out = {}
    for key in ("cluster", "vpc_id", "execution_role_arn", "task_role_arn", "task_definition_arn"):
        if i.get(key):
            out[key] = i[key]
    if i.get("subnet_ids"):
        out["network_configuration"] = {
            "subnets": list(i["subnet_ids"]), "securityGroups": list(i.get("security_group_ids") or []),
            "assignPublicIp": "ENABLED" if _truthy(i.get("assign_public_ip")) else "DISABLED"}
    if i.get("log_group"):
        out["configure_cloudwatch_logs"] = True
        out["cloudwatch_logs_options"] = {"awslogs-group": i["log_group"], "awslogs-region": i.get("region"),
                                          "awslogs-create-group": "false"}
    kind = i.get("secret_kind")
    if i.get("secret_arn"):
        used, other = (("prefect_api_key_secret_arn", "prefect_api_auth_string_secret_arn") if kind == "api_key"
                       else ("prefect_api_auth_string_secret_arn", "prefect_api_key_secret_arn"))
        out[used], out[other] = i["secret_arn"], None
    if kind == "none":
        out["prefect_api_key_secret_arn"] = out["prefect_api_auth_string_secret_arn"] = None
    return out


class FilterModule(object):
    def filters(self):
        return {"ecs_pool_job_variables": ecs_pool_job_variables}
