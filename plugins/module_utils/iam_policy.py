# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evaluate IAM identity-policy documents offline: does a set of documents allow action A on resource R?

Pure functions, no AWS call. Used by the filter plugin ``prefect_ops.ecs.iam_not_allowed`` (the
``ecs_verify`` role's "roles carry the needed actions" check) and importable from tests, e.g. to check
the AWS calls a worker made against its task role's policy.

What is evaluated, as IAM does for identity-based policies of one principal:

- ``Effect`` ``Allow`` / ``Deny``; an explicit Deny beats any Allow; nothing matching is an implicit deny.
- ``Action`` / ``NotAction``: wildcards ``*`` and ``?``, case-insensitive (``ecs:runtask`` is ``ecs:RunTask``).
- ``Resource`` / ``NotResource``: wildcards ``*`` and ``?``, case-sensitive (ARNs are).
- A statement without ``Resource`` or ``NotResource`` applies to every resource.

What is not evaluated: ``Condition`` blocks (a statement with a condition counts as if it had none; the
conditions met on the way are returned so a caller can report them), policy variables such as
``${aws:username}`` (compared literally), permission boundaries, SCPs, session and resource policies.

A requirement's resource is compared as a plain string: ``*`` in it stands for "any resource of that
shape" and is only covered by a statement whose pattern has a wildcard at that place (a statement on
``arn:aws:ecs:r:1:task/c/*`` covers the requirement ``arn:aws:ecs:r:1:task/c/*``; one on
``arn:aws:ecs:r:1:task/c/abc`` does not).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

ALLOWED = "allowed"
EXPLICIT_DENY = "explicit_deny"
IMPLICIT_DENY = "implicit_deny"


class PolicyError(ValueError):
    """A document or requirement that cannot be read as an IAM policy."""


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def load_document(document):
    """A policy document as a dict: accepts a dict or its JSON text (URL-decoded, as IAM returns it)."""
    if isinstance(document, dict):
        return document
    if isinstance(document, (str, bytes)):
        try:
            loaded = json.loads(document)
        except ValueError as exc:
            raise PolicyError("a policy document is not valid JSON: %s" % exc)
        if isinstance(loaded, dict):
            return loaded
    raise PolicyError("a policy document must be a dict or its JSON text, got %s" % type(document).__name__)


def statements(document):
    """The statements of one document (``Statement`` may be one statement or a list)."""
    doc = load_document(document)
    out = []
    for statement in _as_list(doc.get("Statement")):
        if not isinstance(statement, dict):
            raise PolicyError("a policy statement must be a dict, got %r" % (statement,))
        out.append(statement)
    return out


def _pattern(text, ignore_case):
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    flags = (re.IGNORECASE | re.DOTALL) if ignore_case else re.DOTALL
    return re.compile("^" + regex + "$", flags)


def action_matches(pattern, action):
    """Whether an IAM action pattern (``ecs:*``, ``s3:Get?bject``, ``*``) matches an action, ignoring case."""
    return bool(_pattern(str(pattern), True).match(str(action)))


def resource_matches(pattern, resource):
    """Whether an IAM resource pattern (``arn:aws:sqs:*:123456789012:q-*``, ``*``) matches a resource."""
    return bool(_pattern(str(pattern), False).match(str(resource)))


def statement_matches(statement, action, resource):
    """Whether a statement applies to the action on the resource (its Condition is not looked at)."""
    if "Action" in statement:
        action_ok = any(action_matches(p, action) for p in _as_list(statement["Action"]))
    elif "NotAction" in statement:
        action_ok = not any(action_matches(p, action) for p in _as_list(statement["NotAction"]))
    else:
        action_ok = False  # a statement with neither applies to no action
    if not action_ok:
        return False
    if "Resource" in statement:
        return any(resource_matches(p, resource) for p in _as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(resource_matches(p, resource) for p in _as_list(statement["NotResource"]))
    return True


def _effect(statement):
    effect = str(statement.get("Effect", "")).capitalize()
    if effect not in ("Allow", "Deny"):
        raise PolicyError("a policy statement's Effect must be Allow or Deny, got %r" % (statement.get("Effect"),))
    return effect


def evaluate(documents, action, resource):
    """Evaluate identity-policy documents for one action on one resource.

    ``documents``: a list of policy documents (dicts or JSON text), or a single document.
    Returns a dict: ``action``, ``resource``, ``decision`` (``allowed``, ``explicit_deny`` or
    ``implicit_deny``), ``allowed`` (bool), ``allowed_by`` and ``denied_by`` (the ``Sid`` of each matching
    statement, or ``#<document>.<statement>`` when it has none) and ``conditions`` (the
    ``Condition`` of each matching statement that has one, with ``sid`` and ``effect``: not evaluated).
    """
    if isinstance(documents, (dict, str, bytes)):
        documents = [documents]
    allowed_by, denied_by, conditions = [], [], []
    for d_index, document in enumerate(documents or []):
        for s_index, statement in enumerate(statements(document)):
            effect = _effect(statement)
            if not statement_matches(statement, action, resource):
                continue
            sid = statement.get("Sid") or "#%d.%d" % (d_index, s_index)
            (denied_by if effect == "Deny" else allowed_by).append(sid)
            if statement.get("Condition"):
                conditions.append({"sid": sid, "effect": effect, "condition": statement["Condition"]})
    decision = EXPLICIT_DENY if denied_by else ALLOWED if allowed_by else IMPLICIT_DENY
    return {
        "action": action,
        "resource": resource,
        "decision": decision,
        "allowed": decision == ALLOWED,
        "allowed_by": allowed_by,
        "denied_by": denied_by,
        "conditions": conditions,
    }


def is_allowed(documents, action, resource):
    """True when the documents allow the action on the resource (conditions not evaluated)."""
    return evaluate(documents, action, resource)["allowed"]


def _requirement(requirement):
    if not isinstance(requirement, dict) or not requirement.get("action") or not requirement.get("resource"):
        raise PolicyError("a requirement must be a dict with a non-empty action and resource, got %r" % (requirement,))
    return requirement


def evaluate_requirements(documents, requirements):
    """Evaluate each requirement (``{action, resource, ...}``): the requirement with the keys of evaluate() added."""
    out = []
    for requirement in requirements or []:
        requirement = _requirement(requirement)
        result = dict(requirement)
        result.update(evaluate(documents, requirement["action"], requirement["resource"]))
        out.append(result)
    return out


def not_allowed(documents, requirements):
    """The requirements the documents do not allow, each with ``decision``, ``allowed_by``, ``denied_by``..."""
    return [r for r in evaluate_requirements(documents, requirements) if not r["allowed"]]
