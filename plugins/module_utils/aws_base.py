# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared plumbing of this collection's AWS modules (built on amazon.aws's AnsibleAWSModule).

- clients whose every call retries throttling with jittered backoff (AWSRetry.jittered_backoff);
- the caller identity (account and partition from STS GetCallerIdentity) that ARNs are built from, read only
  when a module first builds an ARN from it;
- input problems collected and reported at once, before any call that changes anything;
- a change record that yields the result's ``actions`` and the ``--diff`` before/after of exactly
  what changes;
- tag planning with amazon.aws semantics plus the collection's ownership tag.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
from collections.abc import Mapping

try:
    import boto3
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.botocore import enable_placebo
from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.prefect_ops.ecs.plugins.module_utils import ownership
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_names import OWNER_TAG_KEY
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_names import Identity
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_names import check_identity_region
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_names import check_region
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_names import parse_arn
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_names import partition_for_region

# AWSRetry retries the query-protocol codes (Throttling, RequestLimitExceeded, ...). The JSON-protocol
# services (SQS, EventBridge, ECS, KMS, Logs, Secrets Manager) answer with these instead.
THROTTLING_CODES = [
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "SlowDown",
]

RETRY_SETTINGS = {"retries": 10, "delay": 1, "backoff": 2.0, "max_delay": 30}

_NEVER_WRAP = ("get_paginator", "can_paginate", "get_waiter", "generate_presigned_url", "close")


def retry_decorator(extra_codes=None):
    return AWSRetry.jittered_backoff(
        catch_extra_error_codes=THROTTLING_CODES + list(extra_codes or []), **RETRY_SETTINGS
    )


class RetryingClient:
    """A boto3 client whose every API call retries throttling with jittered backoff.

    Unlike amazon.aws's RetryingBotoClientWrapper no call can forget ``aws_retry=True``.
    """

    def __init__(self, client, decorator=None):
        self.client = client
        self.retry = decorator or retry_decorator()

    def __getattr__(self, name):
        attr = getattr(self.client, name)
        if callable(attr) and name not in _NEVER_WRAP:
            wrapped = self.retry(attr)
            setattr(self, name, wrapped)
            return wrapped
        return attr

    def paginate(self, operation, result_key, **kwargs):
        """Every item of a paginated list call, each page retried on throttling."""
        paginator = self.client.get_paginator(operation)
        return self.retry(lambda: paginator.paginate(**kwargs).build_full_result())().get(result_key, [])


def _user_agent():
    try:  # amazon.aws's own user agent (APN/1.0 Ansible/<version> amazon.aws/<version>), as module.client() sets it
        from ansible_collections.amazon.aws.plugins.module_utils.botocore import _get_user_agent_string

        return _get_user_agent_string()
    except Exception:  # pylint: disable=broad-except
        return None


class Clients(Mapping):
    """The module's boto3 clients, made on first use from ONE boto3 session, each retrying throttling.

    amazon.aws's ``module.client()`` opens a new session per client: each one loads the endpoint rules and scans
    botocore's data again (~0.1 s a client), and the modules made an STS client that a run which reads every ARN
    it needs never uses. The connection parameters (region, endpoint, credentials, profile, ``aws_config``) and
    the errors are amazon.aws's (``get_aws_connection_info``, as ``module.client()`` reads them).
    """

    def __init__(self, module, services, decorators=None):
        self._module, self._services, self._decorators = module, tuple(services), dict(decorators or {})
        self._made, self._connection = {}, None

    def _connect(self):
        if self._connection is None:
            region, endpoint, params = get_aws_connection_info(self._module)
            params = dict(params)
            config = botocore.config.Config(user_agent=_user_agent())
            for key in ("config", "aws_config"):
                extra = params.pop(key, None)
                if extra:
                    config = config.merge(extra if isinstance(extra, botocore.config.Config)
                                          else botocore.config.Config(**extra))
            session = boto3.session.Session(profile_name=params.pop("profile_name", None))
            enable_placebo(session)
            self._connection = (session, dict(params, config=config, region_name=region, endpoint_url=endpoint))
        return self._connection

    def __getitem__(self, service):
        if service not in self._services:
            raise KeyError(service)
        if service not in self._made:
            try:
                session, params = self._connect()
                client = session.client(service, **params)
            except botocore.exceptions.NoRegionError:
                self._module.fail_json(msg=f"The {self._module._name} module requires a region and none was found "
                                           "in configuration, environment variables or module parameters")
            except (ValueError, botocore.exceptions.BotoCoreError) as e:
                self._module.fail_json_aws(e, msg="Couldn't connect to AWS")
            self._made[service] = RetryingClient(client, self._decorators.get(service))
        return self._made[service]

    def __iter__(self):
        return iter(self._services)

    def __len__(self):
        return len(self._services)


def clients(module, *services, decorators=None):
    """Lazily made clients of ``services`` (see Clients); ``decorators`` maps a service to its retry decorator."""
    return Clients(module, services, decorators)


def strip_metadata(response):
    response = dict(response or {})
    response.pop("ResponseMetadata", None)
    return response


def run_state(module, clients, converge, remove, what):
    """The body of a module with a state option: absent -> remove, else converge; an AWS error fails the
    module naming ``what`` (e.g. "the secret prefect/api")."""
    try:
        if module.params["state"] == "absent":
            return remove(module, clients)
        return converge(module, clients)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage {what}")
    return None


def fail_on_problems(module, problems):
    """Fail with every input problem at once; each names the option and the fix."""
    problems = [p for p in problems if p]
    if problems:
        module.fail_json(msg="Invalid parameters: " + " | ".join(problems), invalid_parameters=problems)


def caller_identity(module, sts):
    """(account, partition, arn) of the credentials, from STS GetCallerIdentity."""
    try:
        response = sts.get_caller_identity()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not read the caller identity (sts:GetCallerIdentity); check the AWS credentials")
    parts = parse_arn(response["Arn"])
    if not parts:
        module.fail_json(msg=f"sts:GetCallerIdentity returned an unexpected ARN {response['Arn']!r}")
    return Identity(response["Account"], parts["partition"], response["Arn"])


class LazyIdentity:
    """The caller identity, read from STS the first time an ARN is built from it.

    A run whose reads return every ARN it needs makes no STS call; the partition is the region's. When the
    account is first read from STS, the credentials' partition is checked against the region's (a mismatch fails
    the module before it changes anything: modules build their ARNs while planning).
    """

    def __init__(self, module, sts, region):
        self._module, self._sts, self._region, self._identity = module, sts, region, None
        self._account = None

    def learn_account(self, arn):
        """Take the account from the ARN of an object these credentials read in their own account (no STS call)."""
        parts = parse_arn(arn) if arn else None
        if self._identity is None and parts and parts.get("account"):
            self._account = parts["account"]

    def _get(self):
        if self._identity is None:
            # the module's clients (the STS client is made only now) or an STS client
            sts = self._sts["sts"] if isinstance(self._sts, Mapping) else self._sts
            identity = caller_identity(self._module, sts)
            fail_on_problems(self._module, [check_identity_region(identity, self._region)])
            self._identity = identity
        return self._identity

    @property
    def account(self):
        return self._account or self._get().account

    @property
    def partition(self):
        """The region's partition (the credentials must be of it: checked when the account is read)."""
        return partition_for_region(self._region)

    @property
    def arn(self):
        return self._get().arn


def identity_and_region(module, sts, problems=None):
    """The identity (read from STS when first used) and region of this run; a region problem fails at once.

    ``sts``: the module's clients (their STS client is made only if the identity is read) or an STS client."""
    problems = problems if problems is not None else []
    region = module.region
    problem = check_region(region)
    if problem:
        fail_on_problems(module, problems + [problem])
    return LazyIdentity(module, sts, region), region


class Changes:
    """What a run changes (or would change in check mode): actions and the diff's before/after."""

    def __init__(self):
        self.actions = []
        self.before = {}
        self.after = {}

    @property
    def changed(self):
        return bool(self.actions)

    def created(self, resource, action, after):
        self.actions.append(action)
        self.after[resource] = copy.deepcopy(after)

    def deleted(self, resource, action, before):
        self.actions.append(action)
        self.before[resource] = copy.deepcopy(before)

    def updated(self, resource, action, before, after):
        """Record changed fields only: `before`/`after` hold exactly the fields that differ."""
        self.actions.append(action)
        self.before.setdefault(resource, {}).update(copy.deepcopy(before))
        self.after.setdefault(resource, {}).update(copy.deepcopy(after))

    def diff(self):
        return {"before": self.before, "after": self.after}

    def result(self, module, **result):
        result["changed"] = self.changed
        result["actions"] = list(self.actions)
        if module._diff:  # pylint: disable=protected-access
            result["diff"] = self.diff()
        return result


def check_tags(tags, field="tags"):
    """User tags may not set the pipeline's old ownership tag, nor the managed-by tag to another value."""
    if tags and OWNER_TAG_KEY in tags:
        return f"{field}: the key {OWNER_TAG_KEY!r} is reserved for the ownership tag this collection sets; remove it from {field}"
    return ownership.check_owner_tag(tags, field)


def plan_tags(current, tags, purge_tags, owner, legacy=()):
    """Tags to set and to remove with amazon.aws semantics; the ownership tag is always kept.

    tags=None leaves the user's tags alone (only the ownership tag is ensured). ``legacy``: keys of an older
    ownership scheme, removed whatever purge_tags says. Returns (to_set: dict of str, to_unset: list, after: dict).
    """
    current = dict(current or {})
    dropped = [key for key in legacy if key in current]
    for key in dropped:
        del current[key]
    if tags is None:
        desired, purge = dict(current), False
    else:
        desired, purge = {k: str(v) for k, v in tags.items()}, purge_tags
    desired.update(owner)
    to_set, to_unset = compare_aws_tags(current, desired, purge_tags=purge)
    to_set = {k: str(v) for k, v in to_set.items()}
    after = {k: v for k, v in current.items() if k not in to_unset}
    after.update(to_set)
    return to_set, sorted(set(to_unset) | set(dropped)), after


def tag_diff(current, after):
    """Before/after of the tags that change (keys added, removed or changed)."""
    keys = sorted(k for k in set(current) | set(after) if current.get(k) != after.get(k))
    return {k: current[k] for k in keys if k in current}, {k: after[k] for k in keys if k in after}
