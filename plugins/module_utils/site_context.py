# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-host context of prefect_ops.ecs: one environment's region, AWS identity and Prefect API.

An inventory host is one environment. Its context is worked out once per host, before any role runs, by the
``prefect_ops.ecs.site_context`` action (plugins/action/site_context.py, which asks STS who the identity is);
every role then runs its AWS modules with ``module_defaults`` of the ``aws`` action group set to
``context['aws']`` and its Prefect modules with ``context['prefect']`` for the ``prefect`` group, so no role
looks up a region, a credential or an account on its own.

This file is the pure part (no AWS or Prefect call): reading the host's settings and the controller's
environment into a plan, the module defaults that carry it, the objects a host claims (for the check that
two hosts of one run never manage the same objects) and the messages. Unit-tested in
tests/unit/test_site_context.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
ROLE_ARN_PATTERN = re.compile(r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$")
SESSION_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{2,64}$")
EXTERNAL_ID_PATTERN = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
ENV_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SITE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
CALLER_ARN_PATTERN = re.compile(r"^arn:(aws[a-z-]*):(sts|iam)::([0-9]{12}):.+$")
CLOUD_API_PATTERN = re.compile(r"^https://api\.prefect\.cloud/api/accounts/([^/]+)/workspaces/([^/]+)$")

AUTH_KINDS = ("api_key", "auth_string", "none")
# credential kind -> the option that holds it (and, with _env, the option that names its environment variable)
CREDENTIAL_FIELDS = {"api_key": "api_key", "auth_string": "api_auth_string"}
# AssumeRole's limits: 15 minutes to 12 hours (a chained role: at most 1 hour).
MIN_DURATION, MAX_DURATION = 900, 43200

# The host variables the context reads (prefect_ecs_<option>) and their meaning; roles/site_context's
# argument spec documents the same names.
OPTIONS = (
    "name", "region", "aws_profile", "aws_role_arn", "aws_external_id", "aws_role_session_name",
    "aws_role_duration", "api_url", "api_key", "api_key_env", "api_auth_string", "api_auth_string_env", "api_auth",
)
# Other prefect_ecs_* variables that are not context inputs but are known (the misspelt-variable check).
OTHER_KNOWN = ("tags", "hosts", "context", "summary")
PREFIX = "prefect_ecs_"


def known_variables():
    return [PREFIX + o for o in OPTIONS + OTHER_KNOWN]


def _text(value):
    return "" if value is None else str(value).strip()


def default_session_name(host):
    """`prefect-ops-<host>`, with characters STS refuses replaced and cut to its 64 characters."""
    return re.sub(r"[^\w+=,.@-]", "-", "prefect-ops-%s" % host)[:64]


def normalize_api_url(url):
    """The API URL as the key of one Prefect server or workspace: scheme and host lower case, no trailing slash."""
    url = _text(url).rstrip("/")
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/]+)(.*)$", url)
    if not match:
        return url
    return "%s://%s%s" % (match.group(1).lower(), match.group(2).lower(), match.group(3))


def ui_url(api_url):
    """The UI URL of an API URL: a Cloud workspace's app URL, or a self-hosted server's URL without /api."""
    api = _text(api_url).rstrip("/")
    cloud = CLOUD_API_PATTERN.match(api)
    if cloud:
        return "https://app.prefect.cloud/account/%s/workspace/%s" % cloud.groups()
    return re.sub(r"/api$", "", api)


def plan(settings, env, host):
    """Read one host's settings (``{option: value}``, the prefect_ecs_<option> host variables; empty means unset)
    and the controller's environment ``env`` into ``(plan, problems)``.

    ``plan`` holds everything but the identity STS reports: region, how to reach AWS (``identity``), the Prefect
    API URL, credential kind and credential. ``problems`` are messages naming the host, the variable and the fix;
    a plan with problems must not be used.
    """
    s = dict((k, _text(settings.get(k))) for k in OPTIONS)
    problems = []

    def problem(field, text):
        problems.append("host %s: %s%s %s" % (host, PREFIX, field, text))

    if not SITE_NAME_PATTERN.match(s["name"]):
        problem("name", "must be set for the host in the inventory: the site name, 1-64 letters, digits, - or _, "
                        "starting with a letter or digit (got %r)" % s["name"])

    # --- region ---------------------------------------------------------------------------------------------
    region, region_from = s["region"], "prefect_ecs_region"
    if not region:
        for var in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            if _text(env.get(var)):
                region, region_from = _text(env.get(var)), var
                break
    if not region:
        problems.append(
            "host %s has no AWS region: set prefect_ecs_region for it in the inventory (host_vars/%s), or AWS_REGION "
            "in the environment of the run (an AWX AWS credential injects keys, not a region)" % (host, host))
    elif not REGION_PATTERN.match(region):
        problems.append("host %s: %s must be an AWS region such as eu-west-1 (got %r)" % (host, region_from, region))

    # --- AWS identity ---------------------------------------------------------------------------------------
    identity = {"profile": s["aws_profile"], "role_arn": s["aws_role_arn"], "external_id": s["aws_external_id"],
                "session_name": s["aws_role_session_name"] or default_session_name(host), "duration": 3600}
    if s["aws_role_arn"] and not ROLE_ARN_PATTERN.match(s["aws_role_arn"]):
        problem("aws_role_arn", "must be the ARN of an IAM role, arn:<partition>:iam::<account>:role/<name> (got %r)"
                % s["aws_role_arn"])
    if not s["aws_role_arn"]:
        for field in ("aws_external_id", "aws_role_session_name", "aws_role_duration"):
            if s[field]:
                problem(field, "only applies with prefect_ecs_aws_role_arn (the role to assume): set that, or remove "
                               "this variable")
    if s["aws_external_id"] and not EXTERNAL_ID_PATTERN.match(s["aws_external_id"]):
        problem("aws_external_id", "must be 2-1224 of letters, digits and +=,.@:/-_ (got %d characters)"
                % len(s["aws_external_id"]))
    if s["aws_role_session_name"] and not SESSION_NAME_PATTERN.match(s["aws_role_session_name"]):
        problem("aws_role_session_name", "must be 2-64 of letters, digits and +=,.@-_ (got %r)"
                % s["aws_role_session_name"])
    if s["aws_role_duration"]:
        try:
            identity["duration"] = int(s["aws_role_duration"])
        except ValueError:
            identity["duration"] = 0
        if not MIN_DURATION <= identity["duration"] <= MAX_DURATION:
            problem("aws_role_duration",
                    "must be %d-%d seconds (got %r)" % (MIN_DURATION, MAX_DURATION, s["aws_role_duration"]))

    # --- Prefect API ----------------------------------------------------------------------------------------
    env_url = _text(env.get("PREFECT_API_URL"))
    api_url = s["api_url"] or env_url
    if api_url and not re.match(r"^https?://[^/]+", api_url):
        problem("api_url" if s["api_url"] else "api_url (from PREFECT_API_URL)",
                "must be an http(s) URL: a self-hosted server's API root ends in /api (http://HOST:4200/api), a "
                "Prefect Cloud workspace is https://api.prefect.cloud/api/accounts/ACCOUNT_ID/workspaces/WORKSPACE_ID "
                "(got %r)" % api_url)
    # The environment's credential goes with the environment's server only: a host that names another server
    # names its credential too (a value, an environment variable, or none), so one server's key is never sent
    # to another.
    env_credentials_apply = not s["api_url"] or not env_url or normalize_api_url(s["api_url"]) == normalize_api_url(env_url)
    values = {}
    for kind, default_env in (("api_key", "PREFECT_API_KEY"), ("auth_string", "PREFECT_API_AUTH_STRING")):
        value_field, env_field = CREDENTIAL_FIELDS[kind], CREDENTIAL_FIELDS[kind] + "_env"
        if s[env_field] and not ENV_NAME_PATTERN.match(s[env_field]):
            problem(env_field, "must be the name of an environment variable (got %r)" % s[env_field])
            values[kind] = ""
        elif s[value_field]:
            values[kind] = s[value_field]
        elif s[env_field]:
            values[kind] = _text(env.get(s[env_field]))
        elif env_credentials_apply:
            values[kind] = _text(env.get(default_env))
        else:
            values[kind] = ""
    auth = s["api_auth"]
    if auth and auth not in AUTH_KINDS:
        problem("api_auth", "must be api_key (Prefect Cloud), auth_string (a self-hosted server with basic auth) or "
                            "none (a self-hosted server with authentication off) (got %r)" % auth)
    elif auth in ("api_key", "auth_string"):
        field = CREDENTIAL_FIELDS[auth]
        if not values[auth]:
            named = s[field + "_env"]
            problem(field, "is empty, and prefect_ecs_api_auth is %s: set it from Ansible Vault, or name the "
                           "environment variable that holds it in %s%s_env%s" % (
                               auth, PREFIX, field, " (%s is empty or not set)" % named if named else ""))
    elif not auth:
        # as Prefect's own settings: the key when there is one, else the auth string; neither is left to the role
        # that stores the credential (prefect_api_secret), which then says what to set
        auth = "api_key" if values["api_key"] or not values["auth_string"] else "auth_string"
        for kind, field in CREDENTIAL_FIELDS.items():
            named = s[field + "_env"]
            if named and not values[kind]:
                problem(field + "_env", "names %s, which is empty or not set in the environment of the run" % named)
    credential = values.get(auth, "") if auth != "none" else ""
    if auth == "none" and (s["api_key"] or s["api_auth_string"]):
        problem("api_auth", "is none (authentication off), but a credential is set: remove prefect_ecs_api_key / "
                            "prefect_ecs_api_auth_string, or set prefect_ecs_api_auth to their kind")

    return {
        "host": host, "name": s["name"], "region": region, "identity": identity,
        "api_url": api_url.rstrip("/"), "api_auth": auth, "credential": credential,
    }, problems


def identity_text(identity):
    """How the host reaches AWS, in words (no secret): for messages and the summary."""
    if identity["role_arn"]:
        source = "profile %s" % identity["profile"] if identity["profile"] else "the environment's credentials"
        return "role %s assumed with %s" % (identity["role_arn"], source)
    if identity["profile"]:
        return "profile %s" % identity["profile"]
    return "the environment's credentials"


def parse_caller_arn(arn):
    """(partition, account) of an STS caller or assumed-role ARN."""
    match = CALLER_ARN_PATTERN.match(arn or "")
    if not match:
        raise ValueError("STS returned an unexpected caller ARN %r" % arn)
    return match.group(1), match.group(3)


def aws_module_defaults(region, identity, credentials=None):
    """The options every AWS module of the host runs with (module_defaults of group/prefect_ops.ecs.aws).

    Options set to "" stop amazon.aws's environment fallback (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...), so the
    identity of the host is the one used even when the controller's environment holds another.
    """
    out = {"region": region}
    if credentials:
        out.update(profile="", access_key=credentials["AccessKeyId"], secret_key=credentials["SecretAccessKey"],
                   session_token=credentials["SessionToken"])
    elif identity["profile"]:
        out.update(profile=identity["profile"], access_key="", secret_key="", session_token="")
    return out


def prefect_module_defaults(api_url, auth, credential):
    """The options every Prefect module of the host runs with (module_defaults of group/prefect_ops.ecs.prefect).
    Both credentials are always given (one possibly empty), so a module never falls back to the environment's."""
    return {"api_url": api_url, "api_key": credential if auth == "api_key" else "",
            "auth_string": credential if auth == "auth_string" else ""}


def claims(name, region, account, partition, api_url, pools):
    """What a host would manage that no other host of the run may: its site in its region and account, and each
    of its work pools on its Prefect server or workspace."""
    out = []
    if name:
        out.append("site %s in AWS account %s (%s), region %s" % (name, account, partition, region))
    if api_url:
        server = normalize_api_url(api_url)
        out += ["work pool %s on %s" % (pool, server) for pool in sorted(set(p for p in pools if p))]
    return out


def build(plan_, partition, account, caller_arn, credentials, pools):
    """The context of one host (``prefect_ecs_context``) from its plan and the identity STS reported."""
    return {
        "host": plan_["host"], "name": plan_["name"], "region": plan_["region"],
        "partition": partition, "account": account, "caller_arn": caller_arn,
        "aws_identity": identity_text(plan_["identity"]),
        "aws": aws_module_defaults(plan_["region"], plan_["identity"], credentials),
        "api_url": plan_["api_url"], "api_auth": plan_["api_auth"], "ui_url": ui_url(plan_["api_url"]),
        "prefect": prefect_module_defaults(plan_["api_url"], plan_["api_auth"], plan_["credential"]),
        "claims": claims(plan_["name"], plan_["region"], account, partition, plan_["api_url"], pools),
    }


def conflicts(claims_by_host, host):
    """Messages for the objects ``host`` claims that other hosts of the run claim too: one message per set of
    hosts, naming them all and every shared object."""
    shared = {}
    for claim in claims_by_host.get(host) or []:
        others = tuple(sorted(h for h, theirs in claims_by_host.items() if h != host and claim in (theirs or [])))
        if others:
            shared.setdefault(others, []).append(claim)
    out = []
    for others, claims_ in sorted(shared.items()):
        names = sorted((host,) + others)
        out.append("hosts %s and %s would %s manage the %s: give each environment its own prefect_ecs_name (or work "
                   "pool names), or put them in different regions, AWS accounts or Prefect workspaces"
                   % (", ".join(names[:-1]), names[-1], "both" if len(names) == 2 else "all", "; the ".join(claims_)))
    return out
