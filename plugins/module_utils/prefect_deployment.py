# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prefect deployments: input checks, comparison by meaning, the change plan and its prediction.

Everything here is pure (no API call), so the module (plugins/modules/prefect_deployment.py) only
reads the server, asks `plan_create`/`plan_update` what to send, and sends it. The plan carries the
request body, the diff (before/after of exactly what changes), the `changes` paths and the predicted
deployment in the API's own shape, which check mode returns.

What the Prefect 3.8.8 server does that this follows (prefect/server/api/deployments.py):
- POST /deployments/ is an upsert on (flow_id, name); PATCH /deployments/{id} changes only the
  fields sent. PATCH `job_variables` replaces the whole mapping, so per-key changes send the merged
  mapping. PATCH `work_queue_name` without `work_pool_name` moves the deployment into the
  default-agent-pool, so a queue change always sends the pool too.
- `concurrency_limit` is written on create/update but read back as `global_concurrency_limit.limit`
  (the read field `concurrency_limit` is always null); null removes the limit; 0 is refused.
- PATCH `schedules` replaces every schedule, unless every existing schedule has a slug: then it only
  updates/creates the slugs sent and leaves the others, which DELETE .../schedules/{id} removes.
- Stored schedules are normalised: cron keeps timezone null when none is given; interval gets
  anchor_date=now and timezone "UTC"; an rrule without DTSTART gets DTSTART:20200101T000000, or for
  FREQ=MINUTELY/SECONDLY without COUNT a recent phase-equivalent one (PrefectHQ/prefect#21362).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import datetime
import re

from ansible_collections.prefect_ops.ecs.plugins.module_utils.ownership import deployment_labels
from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect import validate_name
from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect_job_template import (
    canonical,
    properties,
    value_error,
)

DEFAULT_QUEUE = "default"  # the name Prefect gives a new pool's default queue
COLLISION_STRATEGIES = ("ENQUEUE", "CANCEL_NEW")
GRACE_PERIOD_RANGE = (60, 86400)
SCHEDULE_KINDS = ("cron", "interval", "rrule")

# Credentials that must never sit in plain text in a deployment's job variables.
CREDENTIAL_ENV_KEYS = ("PREFECT_API_KEY", "PREFECT_API_AUTH_STRING")
API_KEY_PATTERN = re.compile(r"\bpn[ub]_[A-Za-z0-9]{30,}")
SECRET_HINT = ("a Prefect credential must not be stored in plain text in a deployment (anyone who can read the "
               "deployment can read it). Store it in Secrets Manager (role prefect_api_secret) and give its ARN as "
               "the work pool's prefect_api_key_secret_arn (Prefect Cloud) or prefect_api_auth_string_secret_arn "
               "(self-hosted) job variable (prefect_ops.ecs.prefect_work_pool job_variables)")

CRON_ALIASES = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,\-?#]+$")
ISO_DURATION = re.compile(r"^P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
                          r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$")
ISO_INSTANT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?"
                         r"\s*(Z|[+-]\d{2}:?\d{2})?$", re.IGNORECASE)
RRULE_LEGACY_ANCHOR = datetime.datetime(2020, 1, 1)
FLOATING_DTSTART = re.compile(r"^DTSTART:(\d{8}T\d{6})$", re.IGNORECASE)
UTC = datetime.timezone.utc

_TIMEZONES = []


# -- small parsers ------------------------------------------------------------------------------
def parse_interval(value):
    """Seconds (float > 0) from a number of seconds or an ISO 8601 duration such as PT1H; None if invalid."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if value > 0 else None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        match = ISO_DURATION.match(text.upper())
        if not match or text.upper() in ("P", "PT") or text.upper().endswith("T"):
            return None
        parts = dict((k, float(v)) for k, v in match.groupdict().items() if v is not None)
        seconds = (parts.get("w", 0) * 604800 + parts.get("d", 0) * 86400 + parts.get("h", 0) * 3600
                   + parts.get("m", 0) * 60 + parts.get("s", 0))
    return seconds if seconds > 0 else None


def parse_instant(text):
    """An aware datetime from an ISO 8601 date-time (naive means UTC, as the server reads it); None if invalid."""
    if isinstance(text, datetime.datetime):
        return text if text.tzinfo else text.replace(tzinfo=UTC)
    match = ISO_INSTANT.match(str(text or "").strip())
    if not match:
        return None
    year, month, day, hour, minute, second, frac, zone = match.groups()
    try:
        tz = UTC
        if zone and zone.upper() != "Z":
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            tz = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        return datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                                 int((frac or "0").ljust(6, "0")), tzinfo=tz)
    except ValueError:
        return None


def server_instant(text):
    """The anchor date as the server writes it back (naive input is UTC, shown with Z)."""
    when = parse_instant(text)
    if when is None:
        return text
    if when.utcoffset() == datetime.timedelta(0):
        return when.strftime("%Y-%m-%dT%H:%M:%S") + (".%06d" % when.microsecond if when.microsecond else "") + "Z"
    return when.isoformat()


def known_timezones():
    """The IANA time zones of this host (the server uses the same database), or None when unknown."""
    if not _TIMEZONES:
        try:
            import zoneinfo  # Python 3.9+
            _TIMEZONES.append(frozenset(zoneinfo.available_timezones()) or None)
        except ImportError:
            _TIMEZONES.append(None)
    return _TIMEZONES[0]


def _tz_offset_local(now, timezone):
    """`now` (aware) as naive wall-clock time in `timezone` (UTC when it cannot be resolved)."""
    try:
        import zoneinfo
        tzinfo = zoneinfo.ZoneInfo(timezone) if timezone else UTC
    except Exception:  # pylint: disable=broad-except  # no zoneinfo or unknown zone: the server would use UTC too
        tzinfo = UTC
    return now.astimezone(tzinfo).replace(tzinfo=None)


# -- cron and rrule by meaning --------------------------------------------------------------------
def cron_key(cron):
    """Cron text compared by meaning: whitespace and case do not matter, @daily equals 0 0 * * *."""
    text = " ".join(str(cron).split()).lower()
    return CRON_ALIASES.get(text, text)


def cron_error(cron):
    text = " ".join(str(cron or "").split())
    if not text:
        return "is empty"
    if text.startswith("@"):
        return None if text.lower() in CRON_ALIASES else (
            "%r is not a cron alias Prefect knows (%s)" % (text, ", ".join(sorted(CRON_ALIASES))))
    fields = text.split(" ")
    if len(fields) not in (5, 6):
        return "%r has %d fields; a cron expression has 5 (minute hour day month weekday), or 6 with seconds" % (
            text, len(fields))
    if any(f.lower() in ("h", "r") for f in fields):
        return "%r uses a random or hashed field (H, R), which Prefect does not support" % text
    bad = [f for f in fields if not CRON_FIELD.match(f)]
    if bad:
        return "%r has invalid field(s) %s" % (text, ", ".join(bad))
    return None


def _rrule_lines(rrule):
    return [line.strip() for line in str(rrule).replace("\r\n", "\n").split("\n") if line.strip()]


def _rrule_norm(lines):
    return [" ".join(line.split()).upper() for line in lines]


def _single_rule(lines):
    """The key=value parts of a single-rule rrule (no RDATE/EXDATE/EXRULE, one RRULE), or None."""
    rules = [l for l in lines if not l.upper().startswith("DTSTART")]
    if len(rules) != 1:
        return None
    body = rules[0]
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    elif ":" in body.split(";")[0]:
        return None  # EXRULE:, RDATE:, EXDATE:
    parts = {}
    for item in body.split(";"):
        if "=" in item:
            key, value = item.split("=", 1)
            parts[key.strip().upper()] = value.strip().upper()
    return parts


def _high_frequency_period(lines):
    """Seconds between occurrences of a SECONDLY/MINUTELY rule without COUNT (the server re-anchors those)."""
    parts = _single_rule(lines)
    if not parts or "COUNT" in parts or parts.get("FREQ") not in ("SECONDLY", "MINUTELY"):
        return None
    try:
        interval = int(parts.get("INTERVAL", "1"))
    except ValueError:
        return None
    return (1 if parts["FREQ"] == "SECONDLY" else 60) * max(interval, 1)


def server_rrule(rrule, timezone=None, now=None):
    """The rrule as the server stores it: DTSTART injected when missing (prefect normalize_rrule_string)."""
    if "DTSTART" in str(rrule).upper():
        return rrule
    lines = _rrule_lines(rrule)
    anchor = RRULE_LEGACY_ANCHOR
    period = _high_frequency_period(lines)
    if period:
        now = now or datetime.datetime.now(UTC)
        local = _tz_offset_local(now, timezone)
        delta = (local - RRULE_LEGACY_ANCHOR).total_seconds()
        if delta > 0:
            anchor = RRULE_LEGACY_ANCHOR + datetime.timedelta(seconds=int(delta // period) * period)
    return "DTSTART:%s\n%s" % (anchor.strftime("%Y%m%dT%H%M%S"), rrule)


def same_rrule(want, have):
    """Whether a stored rrule means the rule the user gave, allowing for the DTSTART the server injects."""
    want_lines, have_lines = _rrule_lines(want), _rrule_lines(have)
    if _rrule_norm(want_lines) == _rrule_norm(have_lines):
        return True
    if "DTSTART" in str(want).upper() or len(have_lines) < 2:
        return False
    match = FLOATING_DTSTART.match(have_lines[0])
    if not match or _rrule_norm(have_lines[1:]) != _rrule_norm(want_lines):
        return False
    anchor = datetime.datetime.strptime(match.group(1).upper(), "%Y%m%dT%H%M%S")
    period = _high_frequency_period(want_lines)
    if period:
        return (anchor - RRULE_LEGACY_ANCHOR).total_seconds() % period == 0
    return anchor == RRULE_LEGACY_ANCHOR


# -- schedules ---------------------------------------------------------------------------------------
def desired_schedule(item):
    """A schedules[] option item, normalised: kind, rule, timezone, active, parameters, slug."""
    d = dict(active=True if item.get("active") is None else bool(item["active"]),
             parameters=item.get("parameters") or {}, slug=item.get("slug") or None, timezone=item.get("timezone"))
    if item.get("cron") is not None:
        d.update(kind="cron", cron=item["cron"], day_or=True if item.get("day_or") is None else bool(item["day_or"]))
    elif item.get("interval") is not None:
        d.update(kind="interval", interval=parse_interval(item["interval"]), anchor_date=item.get("anchor_date"))
    else:
        d.update(kind="rrule", rrule=item.get("rrule"))
    return d


def schedule_request(d, slug=None):
    """The API body of one schedule (DeploymentScheduleCreate/Update)."""
    if d["kind"] == "cron":
        rule = dict(cron=d["cron"], day_or=d["day_or"])
    elif d["kind"] == "interval":
        seconds = d["interval"]
        rule = dict(interval=int(seconds) if float(seconds).is_integer() else seconds)
        if d["anchor_date"] is not None:
            rule["anchor_date"] = d["anchor_date"]
    else:
        rule = dict(rrule=d["rrule"])
    if d["timezone"] is not None:
        rule["timezone"] = d["timezone"]
    body = dict(schedule=rule, active=d["active"], parameters=copy.deepcopy(d["parameters"]))
    slug = slug or d["slug"]
    if slug:
        body["slug"] = slug
    return body


def predict_schedule(d, deployment_id=None, slug=None, now=None):
    """One schedule as the server will return it (ids and timestamps null)."""
    if d["kind"] == "cron":
        rule = dict(cron=d["cron"], timezone=d["timezone"], day_or=d["day_or"])
    elif d["kind"] == "interval":
        rule = dict(interval=float(d["interval"]),
                    anchor_date=server_instant(d["anchor_date"]) if d["anchor_date"] is not None else None,
                    timezone=d["timezone"] or "UTC")
    else:
        rule = dict(rrule=server_rrule(d["rrule"], d["timezone"], now), timezone=d["timezone"] or "UTC")
    return dict(id=None, created=None, updated=None, deployment_id=deployment_id, schedule=rule, active=d["active"],
                max_scheduled_runs=None, parameters=copy.deepcopy(d["parameters"]), slug=slug or d["slug"])


def same_schedule(d, have):
    """Whether an existing schedule (API shape) means what the desired one says."""
    rule = have.get("schedule") or {}
    if bool(have.get("active", True)) != d["active"]:
        return False
    if canonical(have.get("parameters") or {}) != canonical(d["parameters"]):
        return False
    if d["slug"] is not None and have.get("slug") != d["slug"]:
        return False
    if (rule.get("timezone") or "UTC") != (d["timezone"] or "UTC"):
        return False
    if d["kind"] == "cron":
        return ("cron" in rule and cron_key(rule["cron"]) == cron_key(d["cron"])
                and bool(rule.get("day_or", True)) == d["day_or"])
    if d["kind"] == "interval":
        if "interval" not in rule or abs(float(rule["interval"]) - d["interval"]) > 1e-6:
            return False
        if d["anchor_date"] is None:
            return True
        want, got = parse_instant(d["anchor_date"]), parse_instant(rule.get("anchor_date"))
        return want is not None and got is not None and want == got
    return "rrule" in rule and same_rrule(d["rrule"], rule["rrule"])


def match_schedules(desired, current):
    """For each desired schedule the index of an existing one with the same meaning (or None), and the
    indexes of the existing schedules nothing matched."""
    free = list(range(len(current)))
    matches = []
    for d in desired:  # a slug the user gave pins the match first
        found = None
        for j in free:
            if same_schedule(d, current[j]):
                found = j
                break
        if found is not None:
            free.remove(found)
        matches.append(found)
    return matches, free


def schedule_view(s):
    """An existing schedule (API shape) as a user would write it, for the diff."""
    rule = s.get("schedule") or {}
    view = {}
    for kind in SCHEDULE_KINDS:
        if kind in rule:
            view[kind] = rule[kind]
    if "anchor_date" in rule:
        view["anchor_date"] = rule["anchor_date"]
    view["timezone"] = rule.get("timezone")
    if rule.get("day_or") is False:
        view["day_or"] = False
    view["active"] = s.get("active", True)
    if s.get("parameters"):
        view["parameters"] = s["parameters"]
    if s.get("slug"):
        view["slug"] = s["slug"]
    return view


def desired_view(d):
    view = {d["kind"]: d[d["kind"]]}
    if d["kind"] == "interval" and d["anchor_date"] is not None:
        view["anchor_date"] = d["anchor_date"]
    view["timezone"] = d["timezone"]
    if d["kind"] == "cron" and d["day_or"] is False:
        view["day_or"] = False
    view["active"] = d["active"]
    if d["parameters"]:
        view["parameters"] = d["parameters"]
    if d["slug"]:
        view["slug"] = d["slug"]
    return view


def plan_schedules(desired, current, deployment_id=None, now=None):
    """What to send for the schedules, or None when they already mean the same.

    Returns dict(request=[...], deletes=[schedule ids], predicted=[...]). When every existing schedule has
    a slug the server only updates the slugs sent, so each desired schedule gets a slug (its own, the
    matching existing one's, a free existing one's, or a new one) and leftovers are deleted."""
    matches, unmatched = match_schedules(desired, current)
    if all(m is not None for m in matches) and not unmatched:
        return None
    targeted = bool(current) and all(s.get("slug") for s in current)
    if not targeted:
        return dict(request=[schedule_request(d) for d in desired], deletes=[],
                    predicted=[predict_schedule(d, deployment_id, now=now) for d in desired])
    taken = set(d["slug"] for d in desired if d["slug"])
    slugs = [d["slug"] for d in desired]
    for i, d in enumerate(desired):  # keep the slug of the existing schedule it matches
        if slugs[i] is None and matches[i] is not None and current[matches[i]]["slug"] not in taken:
            slugs[i] = current[matches[i]]["slug"]
            taken.add(slugs[i])
    spare = [current[j]["slug"] for j in unmatched if current[j]["slug"] not in taken]
    all_slugs = set(s["slug"] for s in current) | taken
    counter = 0
    for i, d in enumerate(desired):
        if slugs[i] is None:
            if spare:
                slugs[i] = spare.pop(0)
            else:
                counter += 1
                while "schedule-%d" % counter in all_slugs:
                    counter += 1
                slugs[i] = "schedule-%d" % counter
            taken.add(slugs[i])
            all_slugs.add(slugs[i])
    predicted = []
    for i, d in enumerate(desired):
        if matches[i] is not None and current[matches[i]]["slug"] == slugs[i]:
            predicted.append(copy.deepcopy(current[matches[i]]))
        else:
            predicted.append(predict_schedule(d, deployment_id, slug=slugs[i], now=now))
    return dict(request=[schedule_request(d, slug=slugs[i]) for i, d in enumerate(desired)],
                deletes=[s["id"] for s in current if s["slug"] not in taken], predicted=predicted)


# -- job variables ----------------------------------------------------------------------------------
def wanted_job_variables(params):
    """The job variables the task sets: job_variables plus the image shorthand."""
    wanted = dict(params.get("job_variables") or {})
    if params.get("image") is not None:
        wanted["image"] = params["image"]
    return wanted


def _walk(value, path):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, "%s.%s" % (path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, "%s[%d]" % (path, i))
    else:
        yield path, value


def credential_errors(job_variables, secrets=()):
    """Job variables that would store a Prefect credential in plain text, each named with the fix."""
    errors, reported = [], set()
    env = job_variables.get("env")
    if env is not None and not isinstance(env, dict):
        errors.append("job_variables.env must be a mapping of environment variable name to value")
    for key, value in (env.items() if isinstance(env, dict) else []):
        field = "job_variables.env.%s" % key
        if any(name in str(key).upper() for name in CREDENTIAL_ENV_KEYS):
            errors.append("%s: %s" % (field, SECRET_HINT))
            reported.add(field)
        elif isinstance(value, str) and API_KEY_PATTERN.search(value):
            errors.append("%s holds what looks like a Prefect API key: %s" % (field, SECRET_HINT))
            reported.add(field)
    secrets = [s for s in secrets if s and len(s) >= 6]
    for path, value in _walk(job_variables, "job_variables"):
        if path in reported or not isinstance(value, str):
            continue
        if any(secret in value for secret in secrets):
            errors.append("%s holds the api_key or auth_string this task authenticates with: %s" % (path, SECRET_HINT))
        elif API_KEY_PATTERN.search(value):
            errors.append("%s holds what looks like a Prefect API key: %s" % (path, SECRET_HINT))
    return errors


def template_errors(wanted, template, pool_name):
    """Job variables the pool's base job template lacks or whose value does not fit the variable's schema."""
    props = properties(template)
    definitions = ((template or {}).get("variables") or {}).get("definitions") or {}
    errors = []
    missing = sorted(k for k in wanted if k not in props)
    if missing:
        errors.append(
            "job_variables %s: work pool %r's base job template has no such variable%s, so the worker would ignore "
            "%s; valid keys: %s. Give the pool a template with %s (prefect_ops.ecs.prefect_work_pool "
            "upgrade_template or base_job_template) or drop %s"
            % (", ".join(missing), pool_name, "" if len(missing) == 1 else "s", "it" if len(missing) == 1 else "them",
               ", ".join(sorted(props)) or "none (the template is empty)", "it" if len(missing) == 1 else "them",
               "it" if len(missing) == 1 else "them"))
    for key in sorted(wanted):
        if key in props and wanted[key] is not None:
            err = value_error(wanted[key], props[key], definitions)
            if err:
                errors.append("job_variables.%s: %s (work pool %r's schema for %s is %s)"
                              % (key, err, pool_name, key, canonical(dict(
                                  (k, v) for k, v in props[key].items() if k not in ("description", "title")))))
    return errors


def merge_job_variables(current, wanted):
    """(merged, before view, after view, changed keys): `current` with just the wanted keys set (None removes)."""
    merged = copy.deepcopy(current or {})
    before, after, changed = {}, {}, []
    for key in sorted(wanted):
        value = wanted[key]
        if value is None:
            if key not in merged:
                continue
            before[key] = merged.pop(key)
        else:
            if key in merged and canonical(merged[key]) == canonical(value):
                continue
            if key in merged:
                before[key] = merged[key]
            merged[key] = copy.deepcopy(value)
            after[key] = value
        changed.append(key)
    return merged, before, after, changed


# -- input checks -------------------------------------------------------------------------------------
def _entrypoint_error(entrypoint):
    text = entrypoint.strip()
    if ":" in text:
        path, func = text.rsplit(":", 1)
        if path.strip() and func.strip() and func.strip().isidentifier():
            return None
    elif "." in text and not text.endswith(".py") and all(part.isidentifier() for part in text.split(".")):
        return None
    return ("entrypoint %r is not a flow entrypoint: give 'path/to/file.py:flow_function' (relative to the working "
            "directory of the flow run) or 'package.module.flow_function'" % entrypoint)


def schedule_errors(items):
    errors, slugs = [], []
    zones = known_timezones()
    for i, item in enumerate(items or []):
        where = "schedules[%d]" % i
        if not isinstance(item, dict):
            errors.append("%s must be a mapping with one of cron, interval or rrule" % where)
            continue
        kinds = [k for k in SCHEDULE_KINDS if item.get(k) is not None]
        if len(kinds) != 1:
            errors.append("%s must have exactly one of cron, interval or rrule (got %s)"
                          % (where, ", ".join(kinds) or "none"))
            continue
        kind = kinds[0]
        if kind == "cron":
            err = cron_error(item["cron"])
            if err:
                errors.append("%s.cron %s" % (where, err))
        elif kind == "interval":
            if parse_interval(item["interval"]) is None:
                errors.append("%s.interval %r is not a positive number of seconds or an ISO 8601 duration such as "
                              "PT1H" % (where, item["interval"]))
        elif "FREQ=" not in str(item["rrule"]).upper():
            errors.append("%s.rrule %r has no FREQ=: give an RFC 5545 rule such as 'FREQ=DAILY;BYHOUR=9'"
                          % (where, item["rrule"]))
        if item.get("anchor_date") is not None:
            if kind != "interval":
                errors.append("%s.anchor_date only applies to an interval schedule" % where)
            elif parse_instant(item["anchor_date"]) is None:
                errors.append("%s.anchor_date %r is not an ISO 8601 date-time such as 2024-01-01T09:00:00Z"
                              % (where, item["anchor_date"]))
        if item.get("day_or") is not None and kind != "cron":
            errors.append("%s.day_or only applies to a cron schedule" % where)
        tz = item.get("timezone")
        if tz is not None and (not tz or (zones and tz not in zones)):
            errors.append("%s.timezone %r is not an IANA time zone (for example Europe/Paris or UTC)" % (where, tz))
        if item.get("slug"):
            if item["slug"] in slugs:
                errors.append("%s.slug %r is used twice; slugs must be unique within a deployment" % (where, item["slug"]))
            slugs.append(item["slug"])
    return errors


def input_errors(params, secrets=()):
    """Every mistake in the options that can be found without asking the server; messages name the field."""
    p = params
    errors = [e for e in (validate_name(p.get("name"), "name"), validate_name(p.get("flow_name"), "flow_name")) if e]
    if p.get("state", "present") == "absent":
        return errors
    for option in ("work_pool_name", "work_queue_name"):
        if p.get(option) is not None:
            err = validate_name(p[option], option)
            if err:
                errors.append(err)
    if p.get("entrypoint") is not None:
        err = _entrypoint_error(p["entrypoint"])
        if err:
            errors.append(err)
    if p.get("image") is not None:
        if not str(p["image"]).strip():
            errors.append("image must not be empty: give an image reference such as 123456789012.dkr.ecr.us-east-1."
                          "amazonaws.com/flows:1.2")
        jv = p.get("job_variables") or {}
        if "image" in jv and canonical(jv["image"]) != canonical(p["image"]):
            errors.append("image and job_variables.image differ (%r, %r): image is a shorthand for "
                          "job_variables.image; give one of them" % (p["image"], jv["image"]))
    for key in p.get("job_variables") or {}:
        if not isinstance(key, str) or not key:
            errors.append("job_variables keys must be the names of work pool variables (got %r)" % (key,))
    errors.extend(credential_errors(wanted_job_variables(p), secrets))
    errors.extend(schedule_errors(p.get("schedules")))
    limit = p.get("concurrency_limit")
    if limit is not None and limit < 1 and limit != -1:
        errors.append("concurrency_limit must be 1 or more, or -1 to remove the limit (got %d); Prefect refuses 0 "
                      "(to stop new runs, set paused: true)" % limit)
    options = p.get("concurrency_options") or {}
    if options.get("collision_strategy") is not None and options["collision_strategy"] not in COLLISION_STRATEGIES:
        errors.append("concurrency_options.collision_strategy must be ENQUEUE or CANCEL_NEW (got %r)"
                      % options["collision_strategy"])
    grace = options.get("grace_period_seconds")
    if grace is not None and not GRACE_PERIOD_RANGE[0] <= grace <= GRACE_PERIOD_RANGE[1]:
        errors.append("concurrency_options.grace_period_seconds must be between %d and %d (got %d)"
                      % (GRACE_PERIOD_RANGE + (grace,)))
    for i, tag in enumerate(p.get("tags") or []):
        if not isinstance(tag, str) or not tag.strip():
            errors.append("tags[%d] must be a non-empty string (got %r)" % (i, tag))
    for i, step in enumerate(p.get("pull_steps") or []):
        if not isinstance(step, dict) or len(step) != 1:
            errors.append("pull_steps[%d] must be a mapping with exactly one key, the step's function (for example "
                          "prefect.deployments.steps.set_working_directory: {directory: /opt/flows})" % i)
    return errors


class PlanError(ValueError):
    """A change the options ask for that cannot be made; the message says what to give instead."""


# -- reading the server's deployment ------------------------------------------------------------------
def concurrency_limit_of(deployment):
    """The deployment's limit: the server returns it as global_concurrency_limit.limit."""
    gcl = (deployment or {}).get("global_concurrency_limit") or {}
    return gcl.get("limit")


def present(deployment, flow_name):
    """The deployment as the module returns it: the API object plus flow_name, and concurrency_limit filled in
    (the API's own field is deprecated and always null)."""
    out = copy.deepcopy(deployment)
    out["flow_name"] = flow_name
    out["concurrency_limit"] = concurrency_limit_of(deployment)
    return out


def _tags_key(tags):
    return sorted(set(tags or []))


SIMPLE_FIELDS = (
    # option (the API field of the same name), what is compared
    ("entrypoint", lambda v: v),
    ("description", lambda v: v),
    ("version", lambda v: v),
    ("paused", bool),
    ("enforce_parameter_schema", bool),
    ("tags", _tags_key),
    ("parameters", lambda v: canonical(v or {})),
    ("parameter_openapi_schema", lambda v: canonical(v or {})),
    ("pull_steps", lambda v: canonical(v or [])),
)


def _concurrency_options(current, wanted):
    """The concurrency options after setting the wanted sub-options (None sub-options keep their value)."""
    merged = dict(collision_strategy=None, grace_period_seconds=None)
    merged.update(current or {})
    for key, value in (wanted or {}).items():
        if value is not None:
            merged[key] = value
    return merged


def _predict_limit(current_gcl, limit):
    if limit is None:
        return None
    if current_gcl:
        gcl = copy.deepcopy(current_gcl)
        gcl["limit"] = limit
        return gcl
    return dict(id=None, created=None, updated=None, active=True, name=None, limit=limit, active_slots=0,
                slot_decay_per_second=0.0)


def plan_update(current, params, flow_name, default_queue=None, now=None):
    """The change an existing deployment needs. Returns dict(patch, deletes, before, after, changes, predicted)."""
    p = params
    patch, before, after, changes = {}, {}, {}, []
    predicted = copy.deepcopy(current)

    for option, key in SIMPLE_FIELDS:
        want = p.get(option)
        if want is None:
            continue
        have = current.get(option)
        if key(want) != key(have):
            patch[option] = want
            before[option], after[option] = have, want
            changes.append(option)
            predicted[option] = copy.deepcopy(want)

    # work pool and queue: a queue change always names the pool (otherwise the server moves the
    # deployment into its default-agent-pool)
    cur_pool, cur_queue = current.get("work_pool_name"), current.get("work_queue_name")
    want_pool, want_queue = p.get("work_pool_name"), p.get("work_queue_name")
    pool_changes = want_pool is not None and want_pool != cur_pool
    target_pool = want_pool if want_pool is not None else cur_pool
    if target_pool is None and want_queue is not None and want_queue != cur_queue:
        raise PlanError("work_queue_name %r needs work_pool_name: deployment %r has no work pool, and a queue is "
                        "always one of a pool's queues" % (want_queue, current.get("name")))
    if want_queue is not None:
        target_queue = want_queue
    elif pool_changes:
        target_queue = default_queue or DEFAULT_QUEUE
    else:
        target_queue = cur_queue
    if pool_changes or target_queue != cur_queue:
        patch["work_pool_name"] = target_pool
        if want_queue is not None:
            patch["work_queue_name"] = want_queue
        for option, have, want in (("work_pool_name", cur_pool, target_pool), ("work_queue_name", cur_queue, target_queue)):
            if have != want:
                before[option], after[option] = have, want
                changes.append(option)
        predicted.update(work_pool_name=target_pool, work_queue_name=target_queue, work_queue_id=None)

    wanted_jv = wanted_job_variables(p)
    if wanted_jv:
        merged, jb, ja, keys = merge_job_variables(current.get("job_variables") or {}, wanted_jv)
        if keys:
            patch["job_variables"] = merged
            before["job_variables"], after["job_variables"] = jb, ja
            changes.extend("job_variables.%s" % k for k in keys)
            predicted["job_variables"] = merged

    deletes = []
    if p.get("schedules") is not None:
        desired = [desired_schedule(item) for item in p["schedules"]]
        sched = plan_schedules(desired, current.get("schedules") or [], current.get("id"), now=now)
        if sched is not None:
            patch["schedules"] = sched["request"]
            deletes = sched["deletes"]
            before["schedules"] = [schedule_view(s) for s in current.get("schedules") or []]
            after["schedules"] = [desired_view(d) for d in desired]
            changes.append("schedules")
            predicted["schedules"] = sched["predicted"]

    if p.get("concurrency_limit") is not None:
        want = None if p["concurrency_limit"] < 0 else p["concurrency_limit"]
        have = concurrency_limit_of(current)
        if want != have:
            patch["concurrency_limit"] = want
            before["concurrency_limit"], after["concurrency_limit"] = have, want
            changes.append("concurrency_limit")
            predicted["global_concurrency_limit"] = _predict_limit(current.get("global_concurrency_limit"), want)
    if p.get("concurrency_options"):
        have = current.get("concurrency_options")
        want = _concurrency_options(have, p["concurrency_options"])
        if have is None or canonical(want) != canonical(_concurrency_options(have, None)):
            patch["concurrency_options"] = want
            before["concurrency_options"], after["concurrency_options"] = have, want
            changes.append("concurrency_options")
            predicted["concurrency_options"] = want

    return dict(patch=patch, deletes=deletes, before=before, after=after, changes=changes,
                predicted=present(predicted, flow_name))


def plan_create(params, flow_id, default_queue=None, now=None):
    """The POST body for a new deployment and its prediction. Returns dict(body, before, after, changes, predicted)."""
    p = params
    body = dict(name=p["name"], flow_id=flow_id, labels=deployment_labels())
    after = dict(state="present", name=p["name"], flow_name=p["flow_name"])
    for option, key in SIMPLE_FIELDS:
        if p.get(option) is not None:
            body[option] = copy.deepcopy(p[option])
            after[option] = p[option]
    body["work_pool_name"] = p["work_pool_name"]
    queue = p.get("work_queue_name")
    if queue is not None:
        body["work_queue_name"] = queue
    else:
        queue = default_queue or DEFAULT_QUEUE
    after.update(work_pool_name=p["work_pool_name"], work_queue_name=queue)
    jv = dict((k, v) for k, v in wanted_job_variables(p).items() if v is not None)
    if jv:
        body["job_variables"] = jv
        after["job_variables"] = jv
    desired = [desired_schedule(item) for item in p.get("schedules") or []]
    if desired:
        body["schedules"] = [schedule_request(d) for d in desired]
        after["schedules"] = [desired_view(d) for d in desired]
    limit = p.get("concurrency_limit")
    if limit is not None and limit > 0:
        body["concurrency_limit"] = limit
        after["concurrency_limit"] = limit
    options = None
    if p.get("concurrency_options"):
        options = _concurrency_options(None, p["concurrency_options"])
        body["concurrency_options"] = options
        after["concurrency_options"] = options

    predicted = dict(
        id=None, created=None, updated=None, name=p["name"], version=p.get("version"),
        description=p.get("description"), flow_id=flow_id, paused=bool(p.get("paused")),
        schedules=[predict_schedule(d, now=now) for d in desired], concurrency_limit=None,
        global_concurrency_limit=_predict_limit(None, body.get("concurrency_limit")), concurrency_options=options,
        job_variables=jv, parameters=copy.deepcopy(p.get("parameters") or {}), tags=list(p.get("tags") or []),
        labels=dict(deployment_labels(), **({"prefect.flow.id": flow_id} if flow_id else {})), work_queue_name=queue, work_queue_id=None,
        last_polled=None, parameter_openapi_schema=copy.deepcopy(p.get("parameter_openapi_schema") or {}),
        path=None, pull_steps=copy.deepcopy(p.get("pull_steps") or []), entrypoint=p.get("entrypoint"),
        storage_document_id=None, infrastructure_document_id=None, created_by=None, updated_by=None,
        work_pool_name=p["work_pool_name"], status="NOT_READY",
        enforce_parameter_schema=True if p.get("enforce_parameter_schema") is None else p["enforce_parameter_schema"])
    return dict(body=body, before=dict(state="absent"), after=after, changes=["state"],
                predicted=present(predicted, p["flow_name"]))
