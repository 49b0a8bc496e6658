# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Automations (module prefect_automation): input checks, comparison and the diff, without API calls.

An automation the collection owns carries the tag OWNER_TAG. It is found by name among the owned automations only: a
same-named automation without the tag (made in the UI, by another tool) is never read as the collection's, changed or
deleted. Two owned automations with one name are an error naming both.

The server fills in defaults and ids (a trigger's ``id``, ``within`` as a float, ``force`` of an action, ...). An
automation is compared by what the task gives: every key given must equal the server's value (numbers by value, lists
of strings as sets), and a digest of the whole specification, kept in a second tag, catches a key the task no longer
gives. So a re-run changes nothing, an edit in the UI of a key the task sets is put back, and removing a key from the
task rewrites the automation.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json

from ansible_collections.prefect_ops.ecs.plugins.module_utils.ownership import MANAGED_BY

OWNER_TAG = "prefect-ops.managed-by:%s" % MANAGED_BY
SPEC_TAG_PREFIX = "prefect-ops.spec:"
FIELDS = ("description", "enabled", "trigger", "actions", "actions_on_trigger", "actions_on_resolve")
PROACTIVE_MIN_WITHIN = 10


def owned(automation):
    return OWNER_TAG in ((automation or {}).get("tags") or [])


def digest(spec):
    return hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def spec_tag(automation):
    return next((t[len(SPEC_TAG_PREFIX):] for t in (automation or {}).get("tags") or [] if t.startswith(SPEC_TAG_PREFIX)), None)


def _within_problems(trigger, where):
    out = []
    if not isinstance(trigger, dict):
        return ["%s: a trigger is a mapping with a type (event, compound, sequence, metric)" % where]
    kind = trigger.get("type")
    if kind not in ("event", "compound", "sequence", "metric"):
        out.append("%s.type: %r is not a trigger type; use event, compound, sequence or metric" % (where, kind))
    if kind == "event" and trigger.get("posture") == "Proactive":
        within = trigger.get("within")
        if not isinstance(within, (int, float)) or isinstance(within, bool) or within < PROACTIVE_MIN_WITHIN:
            out.append("%s.within: a Proactive trigger needs within of %d seconds or more (Prefect evaluates them every "
                       "5 s); got %r" % (where, PROACTIVE_MIN_WITHIN, within))
    if kind == "event" and trigger.get("posture") not in (None, "Reactive", "Proactive"):
        out.append("%s.posture: %r is neither Reactive nor Proactive" % (where, trigger.get("posture")))
    for i, sub in enumerate(trigger.get("triggers") or []):
        out += _within_problems(sub, "%s.triggers[%d]" % (where, i))
    return out


def problems(params):
    """Every input problem found without an API call; each names the field and the fix."""
    out = []
    seen = set()
    for i, item in enumerate(params.get("automations") or []):
        where = "automations[%d]" % i
        name = item.get("name")
        if not name or not str(name).strip():
            out.append("%s.name: give the automation a name (it is found by name among the collection's own)" % where)
        elif name in seen:
            out.append("%s.name: %r is listed twice; list each automation once" % (where, name))
        seen.add(name)
        if item_state(params, item) == "absent":
            continue
        if not item.get("trigger"):
            out.append("%s.trigger: an automation needs its trigger" % where)
        else:
            out += _within_problems(item["trigger"], where + ".trigger")
        if not item.get("actions"):
            out.append("%s.actions: an automation needs at least one action" % where)
        for field in ("actions", "actions_on_trigger", "actions_on_resolve"):
            for j, action in enumerate(item.get(field) or []):
                if not isinstance(action, dict) or not action.get("type"):
                    out.append("%s.%s[%d]: an action is a mapping with a type (e.g. change-flow-run-state)"
                               % (where, field, j))
        for tag in item.get("tags") or []:
            if str(tag) == OWNER_TAG or str(tag).startswith(SPEC_TAG_PREFIX):
                out.append("%s.tags: %r is the collection's own tag; remove it from tags" % (where, tag))
    return out


def item_state(params, item):
    """An item's state: absent when the module's state is, else the item's own (default present)."""
    return "absent" if params.get("state") == "absent" else (item.get("state") or "present")


def wanted(item):
    """The automation body the collection writes for a list item (the tags carry the mark and the digest)."""
    spec = dict((k, item.get(k)) for k in FIELDS if item.get(k) is not None)
    spec.setdefault("description", "")
    spec.setdefault("enabled", True)
    spec["name"] = item["name"]
    user_tags = [str(t) for t in item.get("tags") or []]
    spec["tags"] = sorted(set(user_tags)) + [OWNER_TAG, SPEC_TAG_PREFIX + digest(dict(spec, tags=sorted(set(user_tags))))]
    for field in ("actions_on_trigger", "actions_on_resolve"):
        spec.setdefault(field, [])
    return spec


def _same(given, found):
    """``given`` (from the task) matches ``found`` (the server's): keys given must match, others are the server's."""
    if isinstance(given, dict):
        return isinstance(found, dict) and all(_same(v, found.get(k)) for k, v in given.items())
    if isinstance(given, list):
        if not isinstance(found, list):
            return False
        if all(isinstance(x, str) for x in given) and all(isinstance(x, str) for x in found):
            return sorted(set(given)) == sorted(set(found))
        return len(given) == len(found) and all(_same(g, f) for g, f in zip(given, found))
    if isinstance(given, bool) or isinstance(found, bool):
        return given is found
    if isinstance(given, (int, float)) and isinstance(found, (int, float)):
        return float(given) == float(found)
    return given == found


def changed_fields(current, body):
    """The fields of ``body`` that differ from ``current`` (None: the automation does not exist)."""
    if current is None:
        return ["state"]
    fields = [k for k in ("name",) + FIELDS if not _same(body.get(k), current.get(k))]
    if spec_tag(current) != spec_tag(body) or sorted(current.get("tags") or []) != sorted(body["tags"]):
        fields.append("tags")
    return fields


def view(automation):
    """What the diff shows of an automation."""
    return dict((k, (automation or {}).get(k)) for k in ("name",) + FIELDS + ("tags",))


# -- the site's guards against flow runs stuck in Pending or Cancelling -------------------------------------------
ISSUE_PENDING = "PrefectHQ/prefect#20485"
ISSUE_CANCELLING = "PrefectHQ/prefect#18585"


def _stuck_guard(name, pools, state_event, seconds, new_state, message):
    return {
        "name": name,
        "description": "%s Set by prefect_ops.ecs for the work pools %s." % (message, ", ".join(pools)),
        "enabled": True,
        "trigger": {
            "type": "event", "posture": "Proactive",
            "match": {"prefect.resource.id": "prefect.flow-run.*"},
            "match_related": {"prefect.resource.role": "work-pool", "prefect.resource.name": list(pools)},
            "after": [state_event], "expect": ["prefect.flow-run.*"], "for_each": ["prefect.resource.id"],
            "threshold": 1, "within": int(seconds),
        },
        "actions": [{"type": "change-flow-run-state", "state": new_state, "message": message}],
    }


def stuck_run_guards(site, pools, pending_seconds, cancelling_seconds):
    """The two automations that finish a site's flow runs stuck in Pending (moved to Crashed: the pool's concurrency
    slot is freed and Crashed notifications apply) or Cancelling (moved to Cancelled), scoped to ``pools``. A
    threshold of 0 (or no pool) gives that guard as ``{name, state: absent}``, so a guard turned off is removed."""
    pools = sorted(set(p for p in pools or [] if p))
    pending_name, cancelling_name = guard_names(site)
    guards = [{"name": pending_name, "state": "absent"}, {"name": cancelling_name, "state": "absent"}]
    if pools and int(pending_seconds or 0) > 0:
        guards[0] = (_stuck_guard(
            pending_name, pools, "prefect.flow-run.Pending", pending_seconds, "CRASHED",
            "Pending for %d s without starting: its worker probably stopped before or during RunTask (%s)."
            % (int(pending_seconds), ISSUE_PENDING)))
    if pools and int(cancelling_seconds or 0) > 0:
        guards[1] = (_stuck_guard(
            cancelling_name, pools, "prefect.flow-run.Cancelling", cancelling_seconds,
            "CANCELLED", "Cancelling for %d s: its infrastructure is gone or never stopped (%s)."
            % (int(cancelling_seconds), ISSUE_CANCELLING)))
    return guards


def guard_names(site):
    return ["%s: crash flow runs stuck in Pending" % site, "%s: cancel flow runs stuck in Cancelling" % site]
