# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What this collection owns, defined once.

AWS objects carry the tags ``prefect-ops:managed-by: prefect_ops.ecs`` and ``prefect-ops:site: <site>`` (below:
OWNER_TAGS, SITE_KEY and the functions after them). An object
is a run's when it carries both with the run's site (or the managed-by tag and no site tag when the run names no
site). The ECS cluster, service and task definition modules also take as theirs an object with the managed-by tag
and no site tag (what they created before they had a site option, when the site was an ordinary tag the task may
have left out), and give it the site tag; the event pipeline recognises its old tag
``prefect-ops:owner=ecs_event_observer/<name>`` and replaces it. Moved to the one scheme in place, never recreated.

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


# -- AWS objects: tags ------------------------------------------------------------------------------------------
OWNER_KEY = "prefect-ops:managed-by"
OWNER_VALUE = MANAGED_BY
OWNER_TAGS = {OWNER_KEY: OWNER_VALUE}
SITE_KEY = "prefect-ops:site"


def site_ownership_tags(site):
    """The tags an AWS object of ``site`` is created with (the managed-by tag alone when the run names no site)."""
    tags = dict(OWNER_TAGS)
    if site is not None:
        tags[SITE_KEY] = site
    return tags


def is_site_owned(tags, site):
    """The object carries the managed-by tag and this run's site tag (no site tag when the run names none)."""
    return (tags or {}).get(OWNER_KEY) == OWNER_VALUE and (tags or {}).get(SITE_KEY) == site


def is_owned_or_unsited(tags, site):
    """is_site_owned, or an object with the managed-by tag and no site tag at all (made before the module had a
    site option): the run takes it as its own and gives it the site tag."""
    tags = tags or {}
    return is_site_owned(tags, site) or (tags.get(OWNER_KEY) == OWNER_VALUE and SITE_KEY not in tags)


def run_site(params):
    """The site of a run: the site option, else the site tag among the task's tags (how callers named the site
    before the modules had the option), else None."""
    site = params.get("site")
    if site is None:
        site = (params.get("tags") or {}).get(SITE_KEY)
    return None if site is None else str(site)


def check_owner_tag(tags, field="tags"):
    """User tags may repeat the ownership tag with its own value, never set another value."""
    if tags and OWNER_KEY in tags and str(tags[OWNER_KEY]) != OWNER_VALUE:
        return (f"{field}: the key {OWNER_KEY!r} is reserved for the ownership tag ({OWNER_KEY}: {OWNER_VALUE}) "
                f"this collection sets; remove it from {field}")
    return None


def site_problems(site):
    """The input problem of a site option that is set but empty."""
    if site is not None and not str(site).strip():
        return ["site: must not be empty; give the site name (or leave site out)"]
    return []


def site_tag_problems(tags, site):
    """The input problem of a tags option whose site tag differs from the site option."""
    tagged = (tags or {}).get(SITE_KEY)
    if site is not None and tagged is not None and str(tagged) != str(site):
        return [f"tags: {SITE_KEY}={tagged!r} differs from site={site!r}; the site tag is set from site, "
                f"remove {SITE_KEY} from tags (or make them equal)"]
    return []


def tags_without_site(tags):
    """The user's tags without the site tag (which comes from the site option); None stays None."""
    return None if tags is None else {k: v for k, v in tags.items() if k != SITE_KEY}


def site_owner_text(site):
    return f"{OWNER_KEY}={OWNER_VALUE}" + (f" and {SITE_KEY}={site}" if site is not None else f" without a {SITE_KEY} tag")
