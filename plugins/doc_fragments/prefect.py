# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # Options of every module that talks to the Prefect API (plugins/module_utils/prefect.py).
    DOCUMENTATION = r'''
options:
  api_url:
    description:
      - The Prefect API root.
      - For a self-hosted server this ends in C(/api), for example C(http://prefect.example.com:4200/api).
      - For Prefect Cloud it is the workspace URL
        C(https://api.prefect.cloud/api/accounts/ACCOUNT_ID/workspaces/WORKSPACE_ID).
      - If not set, the environment variable E(PREFECT_API_URL) of the host the module runs on is used.
      - Required, either way.
    type: str
  api_key:
    description:
      - A Prefect Cloud API key, sent as a C(Bearer) token.
      - If not set, the environment variable E(PREFECT_API_KEY) is used.
      - If O(auth_string) is also set, O(auth_string) is used, as Prefect's own client does.
      - Never logged and never returned.
    type: str
  auth_string:
    description:
      - The C(USER:PASSWORD) of a self-hosted server that runs with E(PREFECT_SERVER_API_AUTH_STRING), sent as HTTP
        Basic authentication.
      - If not set, the environment variable E(PREFECT_API_AUTH_STRING) is used.
      - Never logged and never returned.
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url).
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each HTTP request.
    type: float
    default: 30
  headers:
    description:
      - Extra HTTP headers sent with every request, for example for a proxy or an access gateway in front of a
        self-hosted server.
      - They are not hidden in logs; put credentials in O(api_key) or O(auth_string).
      - C(Authorization) and the CSRF headers cannot be set here.
    type: dict
    default: {}
  csrf_protection:
    description:
      - How to deal with servers that run with E(PREFECT_SERVER_CSRF_PROTECTION_ENABLED=true).
      - V(auto) sends changes without a token and, if the server asks for one, fetches a token and sends the
        change again.
      - V(enabled) fetches a token before the first change (one request fewer on such servers).
      - V(disabled) never fetches a token.
    type: str
    choices: [auto, enabled, disabled]
    default: auto
  retries:
    description:
      - How many times to retry a request that got HTTP 429, a 5xx answer or no connection, with exponential
        backoff starting at O(retry_delay) seconds (at most 30 s between attempts).
      - A 429 answer's C(Retry-After) header is honoured (up to 60 s).
      - Between V(0) and V(20).
    type: int
    default: 4
  retry_delay:
    description:
      - Seconds before the first retry; each further retry waits twice as long.
    type: float
    default: 1.0
notes:
  - These modules talk to the Prefect REST API with Ansible's own HTTP client; the Prefect SDK is not needed on the
    host they run on.
  - Use C(module_defaults) with the action group C(group/prefect_ops.ecs.prefect) to set the API options once
    for every Prefect module of a play.
'''
