#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: site_context
short_description: Work out one environment's region, AWS identity and Prefect API, once per host
version_added: 0.1.0
description:
  - An inventory host is one environment (site). This action works out, on the controller, everything the
    collection's roles need to reach that environment's AWS account and Prefect server or workspace, and returns
    it; the role prefect_ops.ecs.site_context sets it as the fact C(prefect_ecs_context) and the roles run every AWS module with
    C(module_defaults) of the C(prefect_ops.ecs.aws) group set to RV(aws) and every Prefect module with the
    C(prefect_ops.ecs.prefect) group set to RV(prefect).
  - "Region: O(region), else E(AWS_REGION), else E(AWS_DEFAULT_REGION); a host with none fails, naming the host."
  - "AWS identity: the credentials of the environment, a named O(aws_profile), or a role to assume
    (O(aws_role_arn), with the environment's or the profile's credentials). A role is assumed here, once per host,
    and its temporary credentials are handed to the modules; no module assumes it again. Partition and account
    come from the identity STS reports (C(sts:AssumeRole), else C(sts:GetCallerIdentity): exactly one STS call per
    host, a read)."
  - "Prefect API: O(api_url), else E(PREFECT_API_URL). The credential: O(api_key) or O(api_auth_string) (from
    Ansible Vault), or the environment variable named by O(api_key_env) / O(api_auth_string_env). The environment's
    own E(PREFECT_API_KEY) / E(PREFECT_API_AUTH_STRING) are used only for the environment's server: a host with
    its own O(api_url) names its own credential, so one server's credential is never sent to another.
    O(api_auth=none) is a self-hosted server with authentication off: no credential anywhere (no secret, no secret
    variable in the pool, no C(secrets) in the worker's task definition)."
  - Every option defaults to the host variable C(prefect_ecs_<option>); the collection's roles set no option, so
    the inventory is the one place these settings live (roles/site_context/meta/argument_specs.yml).
  - A C(prefect_ecs_*) host variable this collection does not know (a misspelt C(prefect_ecs_aws_role_arn), say)
    fails the host, naming the closest valid name, before any call.
  - The result holds temporary AWS credentials and the Prefect credential, so it is hidden from the output
    (as with C(no_log)) when the action succeeds.
  - This is an action plugin. It runs on the controller (which needs boto3), never on the host.
author:
  - prefect_ops.ecs maintainers (@prefect-ops)
attributes:
  check_mode:
    support: full
    description: Reads only (one STS call); runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing.
  action:
    support: full
    description: Runs on the controller.
options:
  name:
    description: The site name (default the host variable C(prefect_ecs_name)); names the site's objects.
    type: str
  region:
    description: AWS region of the environment (default C(prefect_ecs_region), then E(AWS_REGION), E(AWS_DEFAULT_REGION)).
    type: str
  aws_profile:
    description: A named profile of the AWS config/credentials files (default C(prefect_ecs_aws_profile)).
    type: str
  aws_role_arn:
    description:
      - A role to assume for this environment, with the profile's or the environment's credentials (default
        C(prefect_ecs_aws_role_arn)). Assumed once per host per run.
    type: str
  aws_external_id:
    description: The external ID the role's trust policy asks for (default C(prefect_ecs_aws_external_id)).
    type: str
  aws_role_session_name:
    description: The C(RoleSessionName) (default C(prefect_ecs_aws_role_session_name), else C(prefect-ops-<host>)).
    type: str
  aws_role_duration:
    description: Seconds the assumed role's credentials last, 900-43200 (default 3600; a chained role allows 3600 at most).
    type: int
  api_url:
    description: The Prefect API URL (default C(prefect_ecs_api_url), else E(PREFECT_API_URL)).
    type: str
  api_key:
    description: A Prefect Cloud API key (default C(prefect_ecs_api_key)); from Ansible Vault.
    type: str
  api_key_env:
    description: The name of the environment variable that holds the API key (default C(prefect_ecs_api_key_env)).
    type: str
  api_auth_string:
    description: The C(user:password) of a self-hosted server with basic auth (default C(prefect_ecs_api_auth_string)).
    type: str
  api_auth_string_env:
    description: The name of the environment variable that holds the auth string (default C(prefect_ecs_api_auth_string_env)).
    type: str
  api_auth:
    description:
      - The kind of credential (default C(prefect_ecs_api_auth), else C(api_key) when a key is set, C(auth_string)
        when only an auth string is).
      - V(none) is a self-hosted server with authentication off.
    type: str
    choices: [api_key, auth_string, none]
  pools:
    description: The work pools the host manages; two hosts of a run with one pool on one server are refused.
    type: list
    elements: str
    default: []
seealso:
  - module: prefect_ops.ecs.prefect_work_pool
'''

EXAMPLES = r'''
# The collection's roles do this themselves (role prefect_ops.ecs.site_context); in a play of your own:
- name: Work out this environment's context
  prefect_ops.ecs.site_context:
  register: prefect_ecs_context

- name: Any AWS or Prefect module of the collection, in the host's region, account and workspace
  module_defaults:
    group/prefect_ops.ecs.aws: "{{ prefect_ecs_context.aws }}"
    group/prefect_ops.ecs.prefect: "{{ prefect_ecs_context.prefect }}"
  block:
    - name: Read the site's pool
      prefect_ops.ecs.prefect_work_pool_info:
        name: "{{ prefect_ecs_name }}"
'''

RETURN = r'''
region:
  description: The environment's AWS region.
  returned: success
  type: str
  sample: eu-west-1
partition:
  description: The AWS partition of the identity.
  returned: success
  type: str
  sample: aws
account:
  description: The AWS account ID of the identity.
  returned: success
  type: str
  sample: "123456789012"
caller_arn:
  description: The ARN STS reported for the identity (an assumed-role ARN for a role).
  returned: success
  type: str
aws_identity:
  description: How the host reaches AWS, in words (no secret).
  returned: success
  type: str
  sample: role arn:aws:iam::123456789012:role/deployer assumed with the environment's credentials
aws:
  description:
    - The options of every AWS module of the host (C(module_defaults) of C(group/prefect_ops.ecs.aws)); holds the
      temporary credentials of an assumed role.
  returned: success
  type: dict
prefect:
  description: The options of every Prefect module of the host (C(api_url), C(api_key), C(auth_string)).
  returned: success
  type: dict
api_url:
  description: The Prefect API URL.
  returned: success
  type: str
api_auth:
  description: The kind of Prefect credential, C(api_key), C(auth_string) or C(none).
  returned: success
  type: str
ui_url:
  description: The Prefect UI of the API (a Cloud workspace's app URL, or the server without C(/api)).
  returned: success
  type: str
claims:
  description: What the host manages that no other host of the run may (its site in its region and account, its pools).
  returned: success
  type: list
  elements: str
module_runs:
  description: Always 0 - the one STS call is made by the action itself, on the controller.
  returned: always
  type: int
reused:
  description:
    - True when the host had its context already (C(prefect_ecs_context) registered by an earlier play of the run),
      which is returned as it is, without an STS call - the context is worked out once per host per run.
  returned: when the context was reused
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    # The work happens in the action plugin on the controller (plugins/action/site_context.py).
    module = AnsibleModule(argument_spec=dict(
        name=dict(type='str'), region=dict(type='str'), aws_profile=dict(type='str'), aws_role_arn=dict(type='str'),
        aws_external_id=dict(type='str'), aws_role_session_name=dict(type='str'), aws_role_duration=dict(type='int'),
        api_url=dict(type='str'), api_key=dict(type='str', no_log=True), api_key_env=dict(type='str', no_log=False),
        api_auth_string=dict(type='str', no_log=True), api_auth_string_env=dict(type='str', no_log=False),
        api_auth=dict(type='str', choices=['api_key', 'auth_string', 'none']),
        pools=dict(type='list', elements='str', default=[]),
    ), supports_check_mode=True)
    module.fail_json(msg="prefect_ops.ecs.site_context runs on the controller as an action plugin; call it as a task")


if __name__ == '__main__':
    main()
