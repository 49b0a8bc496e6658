# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Work pool base job templates: stock templates, per-key defaults, diffs, upgrades, identification.

A base job template is {"job_configuration": {...}, "variables": {"properties": {KEY: SCHEMA}}}.
The worker reads the top-level `default` of each variable's schema: that is what `job_variables`
manages, key by key, leaving every other key as it is.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import re

from ansible_collections.prefect_ops.ecs.plugins.module_utils.prefect_templates import (
    OLDER_VARIABLE_SETS,
    STOCK_TEMPLATES,
)

MISSING = object()
PLACEHOLDER = re.compile(r"{{\s*([\w\.\-\[\]$]+)\s*}}")
NON_STANDARD_PLACEHOLDER = ("prefect.blocks.", "prefect.variables.", "$")
ECS_NETWORK_KEYS = ("subnets", "securityGroups", "assignPublicIp")


def canonical(value):
    """A text form in which two values are equal only when they are the same JSON (True != 1)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def same(left, right):
    if left is MISSING or right is MISSING:
        return left is right
    return canonical(left) == canonical(right)


def properties(template):
    return ((template or {}).get("variables") or {}).get("properties") or {}


def stock_entry(pool_type):
    """The bundled stock template entry for a pool type ({package, version, template}), or None."""
    return STOCK_TEMPLATES.get(pool_type)


def stock_label(pool_type):
    entry = stock_entry(pool_type)
    return "%s %s" % (entry["package"], entry["version"]) if entry else None


def stock_template(pool_type):
    entry = stock_entry(pool_type)
    return copy.deepcopy(entry["template"]) if entry else None


def shape_error(template, what="base_job_template"):
    """Why the server would refuse this template, or None. {} (no template) is allowed."""
    if not isinstance(template, dict):
        return "%s must be a mapping with job_configuration and variables" % what
    if template == {}:
        return None
    job_config = template.get("job_configuration")
    variables = template.get("variables")
    if not isinstance(job_config, dict) or not job_config or not isinstance(variables, dict) or not variables:
        return ("%s must have both a job_configuration mapping and a variables mapping (a JSON schema with "
                "properties), like the template `prefect work-pool get-default-base-job-template` prints" % what)
    props = variables.get("properties", {})
    if not isinstance(props, dict):
        return "%s.variables.properties must be a mapping of variable name to JSON schema" % what
    used = set()
    for value in job_config.values():
        used.update(PLACEHOLDER.findall(json.dumps(value)))
    undeclared = sorted(n for n in used if not n.startswith(NON_STANDARD_PLACEHOLDER) and n not in props)
    if undeclared:
        return ("%s.job_configuration uses %s, which %s not declared in variables.properties; declare them or "
                "remove the placeholders" % (what, ", ".join("{{ %s }}" % n for n in undeclared),
                                             "is" if len(undeclared) == 1 else "are"))
    return None


# -- a small JSON-schema check for job variable defaults --------------------------------------------
def _type_ok(value, kind):
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True  # unknown type keyword: leave it to the server


def _describe(schema):
    if "enum" in schema:
        return "one of %s" % ", ".join(json.dumps(v) for v in schema["enum"])
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return " or ".join(kinds)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(_describe(s) for s in schema[key])
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    return "a valid value"


def value_error(value, schema, definitions, depth=0):
    """Why `value` does not fit `schema` (a short phrase), or None. Conservative: what it cannot judge passes."""
    if not isinstance(schema, dict) or depth > 6:
        return None
    if isinstance(value, str) and PLACEHOLDER.search(value):
        return None  # a template placeholder ({{ prefect.variables.x }}) resolved at run time
    if isinstance(value, dict) and set(value) == {"$ref"}:
        return None  # a block document reference
    if "$ref" in schema:
        ref = schema["$ref"]
        target = definitions.get(ref.rsplit("/", 1)[-1]) if ref.startswith("#/definitions/") else None
        return value_error(value, target, definitions, depth + 1) if target else None
    for key in ("anyOf", "oneOf"):
        if key in schema:
            if any(value_error(value, s, definitions, depth + 1) is None for s in schema[key]):
                return None
            return "expected %s" % _describe(schema)
    for sub in schema.get("allOf", []):
        err = value_error(value, sub, definitions, depth + 1)
        if err:
            return err
    if "enum" in schema and value not in schema["enum"]:
        return "expected %s" % _describe(schema)
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_type_ok(value, k) for k in kinds):
            return "expected %s, got %s" % (_describe(schema), type(value).__name__ if value is not None else "null")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            err = value_error(item, schema["items"], definitions, depth + 1)
            if err:
                return "item %d: %s" % (i, err)
    if isinstance(value, dict):
        extra = schema.get("additionalProperties")
        props = schema.get("properties") or {}
        for key, item in value.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            err = value_error(item, sub, definitions, depth + 1) if sub else None
            if err:
                return "%s: %s" % (key, err)
            if key not in props and extra is False:
                return "unexpected key %r" % key
    return None


def ecs_job_variable_errors(job_variables):
    """ECS-specific mistakes in the defaults a user gives; each message names the fix."""
    errors = []
    net = job_variables.get("network_configuration")
    if isinstance(net, dict) and net:
        if "awsvpcConfiguration" in net:
            errors.append(
                "job_variables.network_configuration must hold the awsvpcConfiguration fields directly "
                "(subnets, securityGroups, assignPublicIp): the ECS worker wraps it in awsvpcConfiguration itself. "
                "Move the keys of network_configuration.awsvpcConfiguration up one level")
        else:
            unknown = sorted(k for k in net if k not in ECS_NETWORK_KEYS)
            if unknown:
                errors.append("job_variables.network_configuration has unknown key(s) %s; the ECS worker sends it as "
                              "awsvpcConfiguration, which takes only %s" % (", ".join(unknown), ", ".join(ECS_NETWORK_KEYS)))
            for key in ("subnets", "securityGroups"):
                if key in net and not (isinstance(net[key], list) and all(isinstance(i, str) for i in net[key])):
                    errors.append("job_variables.network_configuration.%s must be a list of IDs" % key)
            if "assignPublicIp" in net and net["assignPublicIp"] not in ("ENABLED", "DISABLED"):
                errors.append("job_variables.network_configuration.assignPublicIp must be ENABLED or DISABLED "
                              "(quote it in YAML), got %r" % (net["assignPublicIp"],))
    return errors


def apply_job_variables(template, job_variables, pool_type=None, pool_name=None):
    """Return (new template, errors): `template` with the defaults of just the given keys set.

    A value of None removes that key's default. Keys the template lacks are errors that say how to
    get a template with them."""
    new = copy.deepcopy(template) if template else {}
    props = properties(new)
    definitions = (new.get("variables") or {}).get("definitions") or {}
    errors = []
    missing = [k for k in job_variables if k not in props]
    if missing:
        stock = stock_template(pool_type) if pool_type else None
        in_stock = [k for k in missing if k in properties(stock)]
        where = "work pool %r" % pool_name if pool_name else "the base job template"
        msg = ("job_variables %s: %s's base job template has no such variable%s"
               % (", ".join(sorted(missing)), where, "" if len(missing) == 1 else "s"))
        if in_stock:
            msg += (" (it was made from an older template). Set upgrade_template: true to move it to the %s "
                    "template, which has %s; defaults already set are kept"
                    % (stock_label(pool_type), ", ".join(sorted(in_stock))))
        else:
            msg += ("; valid keys: %s. To add a variable, give base_job_template with it in variables.properties"
                    % (", ".join(sorted(props)) or "none (the template is empty)"))
        errors.append(msg)
    for key, value in job_variables.items():
        if key not in props:
            continue
        if value is None:
            props[key].pop("default", None)
            continue
        err = value_error(value, props[key], definitions)
        if err:
            shown = dict((k, v) for k, v in props[key].items() if k not in ("description", "title"))
            errors.append("job_variables.%s: %s (the template's schema for %s is %s)"
                          % (key, err, key, json.dumps(shown)))
            continue
        props[key]["default"] = copy.deepcopy(value)
    if pool_type in ("ecs", "ecs:push"):
        errors.extend(ecs_job_variable_errors(job_variables))
    return new, errors


def defaults(template):
    """{key: default} for every variable that has a default."""
    return dict((k, v["default"]) for k, v in properties(template).items() if isinstance(v, dict) and "default" in v)


def _without_default(schema):
    return dict((k, v) for k, v in schema.items() if k != "default") if isinstance(schema, dict) else schema


def template_changes(before, after):
    """What differs between two templates, as (before view, after view, change paths).

    Views group the differences: job_variables (defaults, per key), base_job_template.variables
    (a variable's schema without its default), base_job_template.job_configuration (per key) and
    any other top-level part. Keys that did not change are left out of both views."""
    before, after = before or {}, after or {}
    b_view, a_view, paths = {}, {}, []

    def record(section, key, b, a):
        if same(left=b, right=a):
            return
        b_sec = b_view
        a_sec = a_view
        for part in section:
            b_sec = b_sec.setdefault(part, {})
            a_sec = a_sec.setdefault(part, {})
        if b is not MISSING:
            b_sec[key] = b
        if a is not MISSING:
            a_sec[key] = a
        paths.append(".".join(section + (key,)))

    bp, ap = properties(before), properties(after)
    keys = list(ap) + [k for k in bp if k not in ap]
    for key in keys:
        bs, as_ = bp.get(key, MISSING), ap.get(key, MISSING)
        bd = bs.get("default", MISSING) if isinstance(bs, dict) else MISSING
        ad = as_.get("default", MISSING) if isinstance(as_, dict) else MISSING
        record(("job_variables",), key, bd, ad)
        record(("base_job_template", "variables"), key,
               _without_default(bs) if bs is not MISSING else MISSING,
               _without_default(as_) if as_ is not MISSING else MISSING)
    bj, aj = before.get("job_configuration") or {}, after.get("job_configuration") or {}
    for key in list(aj) + [k for k in bj if k not in aj]:
        record(("base_job_template", "job_configuration"), key, bj.get(key, MISSING), aj.get(key, MISSING))
    bv, av = before.get("variables") or {}, after.get("variables") or {}
    for key in list(av) + [k for k in bv if k not in av]:
        if key != "properties":
            record(("base_job_template", "variables"), "<%s>" % key, bv.get(key, MISSING), av.get(key, MISSING))
    for key in list(after) + [k for k in before if k not in after]:
        if key not in ("job_configuration", "variables"):
            record(("base_job_template",), key, before.get(key, MISSING), after.get(key, MISSING))
    return b_view, a_view, paths


def _structure(template):
    """The template without any variable defaults: what a stock template fixes."""
    out = copy.deepcopy(template or {})
    for schema in properties(out).values():
        if isinstance(schema, dict):
            schema.pop("default", None)
    return out


def same_structure(a, b):
    """Whether two templates are equal apart from their variable defaults."""
    return same(_structure(a), _structure(b))


def identify(pool_type, template):
    """Which template a pool's template was made from, told by its variable set and structure."""
    names = list(properties(template))
    stock = stock_template(pool_type)
    label = stock_label(pool_type)
    info = {
        "stock": label,
        "matches_stock": bool(stock) and same_structure(stock, template),
        "created_from": None,
        "missing_variables": sorted(k for k in properties(stock) if k not in names) if stock else [],
        "extra_variables": sorted(k for k in names if k not in properties(stock)) if stock else [],
    }
    if not template:
        info["created_from"] = "none (empty template)"
    elif stock and set(names) == set(properties(stock)):
        info["created_from"] = label if info["matches_stock"] else "%s (customised)" % label
    else:
        for known in OLDER_VARIABLE_SETS.get(pool_type, []):
            if set(names) == set(known["variables"]):
                info["created_from"] = known["label"]
                break
        else:
            info["created_from"] = "custom"
    info["upgrade_available"] = bool(stock) and not info["matches_stock"]
    return info


def upgrade(template, new_template):
    """Move to `new_template`, keeping the defaults `template` already set.

    Returns (upgraded, kept, dropped): kept = {key: default} carried over, dropped = {key: default}
    for variables the new template no longer has (the current worker would not read them)."""
    new = copy.deepcopy(new_template)
    new_props = properties(new)
    kept, dropped = {}, {}
    for key, schema in properties(template).items():
        if not isinstance(schema, dict) or "default" not in schema:
            continue
        if key in new_props:
            if not same(new_props[key].get("default", MISSING), schema["default"]):
                new_props[key]["default"] = copy.deepcopy(schema["default"])
                kept[key] = schema["default"]
        elif schema["default"] not in (None, "", [], {}):
            dropped[key] = schema["default"]
    return new, kept, dropped
