# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What this collection owns, defined once.

AWS objects carry the tags ``prefect-ops:managed-by: prefect_ops.ecs`` and ``prefect-ops:site: <site>``
(module_utils/ecs.py, OWNER_TAGS and the site tag; not yet the event pipeline's ``prefect-ops:owner``).

Prefect objects have no tags every kind shares, so the mark sits where each kind has room for it:

- work pools and work queues: the description contains ``managed by prefect_ops.ecs`` (any case; the roles'
  default description "..., managed by prefect_ops.ecs" has always carried it). A pool or queue the collection
  creates gets the mark appended to the description it is given. One found without it was made elsewhere (by hand,
  as seed 000 does, or by another tool): it is *adopted*, configured key by key but never marked and never
  deleted.
- deployments: the label ``prefect-ops.managed-by: prefect_ops.ecs``, set when the collection creates one. Labels,
  not tags: Prefect copies a deployment's tags onto every flow run. Prefect cannot change a deployment's labels
  after creation, so a deployment made elsewhere stays unmarked and is never deleted.

``state: absent`` deletes a Prefect object only when it carries the mark; otherwise the module reports it as kept.
"""
from __future__ import annotations

import re

MANAGED_BY = "prefect_ops.ecs"

DESCRIPTION_MARK = "managed by prefect_ops.ecs"
DEPLOYMENT_LABEL = "prefect-ops.managed-by"

_MARK_RE = re.compile(r"[\s,;.(\[-]*managed by prefect_ops\.ecs[)\].]*", re.IGNORECASE)


def description_marked(description):
    """Whether a pool's or queue's description carries the mark."""
    return DESCRIPTION_MARK in (description or "").lower()


def with_mark(description):
    """The description a pool or queue the collection owns is written with: the given one, mark appended."""
    if description_marked(description):
        return description
    if not description:
        return "Managed by prefect_ops.ecs"
    return "%s (%s)" % (description, DESCRIPTION_MARK)


def without_mark(description):
    """The description an adopted (unmarked) pool or queue is written with: the given one, any mark removed, so
    writing it never makes the object the collection's."""
    return _MARK_RE.sub("", description or "").strip()


def description_to_write(current, description):
    """The description to write for a pool or queue: ``current`` is the object as read (None when it is to be
    created). A new or marked object keeps the mark; an adopted one never gets it."""
    if current is None or description_marked(current.get("description")):
        return with_mark(description)
    return without_mark(description)


def deployment_marked(deployment):
    """Whether a deployment (as read) carries the label this collection sets on the deployments it creates."""
    return ((deployment or {}).get("labels") or {}).get(DEPLOYMENT_LABEL) == MANAGED_BY


def deployment_labels():
    """The labels a deployment the collection creates is given."""
    return {DEPLOYMENT_LABEL: MANAGED_BY}


def kept_message(kind, name):
    """Why ``state: absent`` left an unmarked Prefect object in place."""
    return ("%s %r was not created by prefect_ops.ecs (it carries no ownership mark), so it was left in place; "
            "delete it in Prefect if it should go" % (kind, name))


def kept_result(key, found, why):
    """The result of ``state: absent`` that leaves ``found`` (returned under ``key``) in place, saying ``why``."""
    return {"changed": False, key: found, "owned": False, "changes": [], "diff": dict(before={}, after={}),
            "kept": why}
