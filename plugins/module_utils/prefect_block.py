# -*- coding: utf-8 -*-
# Copyright: prefect_ops.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Block documents (module prefect_block_document): input checks, comparison and the diff, without API calls.

A block document is found by its block type's slug and its name. Its fields and which of them are secret come from
the newest block schema the server has for the type (looked up by slug, never a copy kept here). Secret values are
compared with the values read (``include_secrets=true``) and never printed: the diff and the return values show
them as MASK.

A block has no tags, description or labels. Whether a block is the collection's is said by its data: the caller
names, in ``owner_values``, the values of fields that only the collection's blocks hold (e.g. the access key IDs of
the IAM user the collection created). ``state: absent`` deletes a block only when each such field holds one of
the values listed; ``present`` refuses to overwrite a block that holds another value.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

MASK = "********"
# Prefect's rule for block document names (prefect.types.names.BlockDocumentName: lowercase letters, digits, dashes)
NAME_RE = re.compile(r"^[a-z0-9-]+$")
SLUG_RE = re.compile(r"^[a-z0-9-]+$")


def problems(params):
    """Every input problem found without an API call; each names the option and the fix."""
    out = []
    name = params.get("name") or ""
    if not NAME_RE.match(name):
        out.append("name: %r is not a block document name: Prefect allows lowercase letters, digits and dashes only "
                   "(e.g. prod-push-aws-credentials)" % name)
    slug = params.get("block_type_slug") or ""
    if not SLUG_RE.match(slug):
        out.append("block_type_slug: %r is not a block type slug (lowercase letters, digits and dashes, e.g. "
                   "aws-credentials)" % slug)
    for field, values in (params.get("owner_values") or {}).items():
        if not isinstance(values, list):
            out.append("owner_values.%s: give a list of the values that make a block the collection's" % field)
    if params.get("state") == "absent" and not params.get("owner_values"):
        out.append("owner_values: state=absent needs it: a block carries no ownership mark, so the module deletes it "
                   "only when its data holds a value only the collection's blocks hold (e.g. "
                   "owner_values: {aws_access_key_id: [<the keys of the IAM user the collection made>]})")
    return out


def schema_fields(schema):
    """(properties, secret field names) of a block schema as the server returns it."""
    fields = (schema or {}).get("fields") or {}
    return fields.get("properties") or {}, set(fields.get("secret_fields") or [])


def data_problems(data, schema, slug):
    """Keys of ``data`` the block type does not have, as messages naming the field and the known ones."""
    props, dummy = schema_fields(schema)
    unknown = sorted(k for k in (data or {}) if k not in props)
    if not unknown:
        return []
    return ["data: %s %s not a field of block type %r; its fields are %s"
            % (", ".join(unknown), "is" if len(unknown) == 1 else "are", slug, ", ".join(sorted(props)))]


def newest_schema(schemas):
    """The schema a new block is created with: the newest the server has for the type (as Prefect's client picks)."""
    return max(schemas, key=lambda s: s.get("created") or "") if schemas else None


def _secret(field, secrets):
    """Whether a top-level data key is secret (the schema lists nested secrets as 'field.sub' or 'field.*')."""
    return any(s == field or s.startswith(field + ".") for s in secrets)


def masked(data, secrets):
    """The data with every secret value replaced by MASK (None stays None: nothing is set)."""
    return dict((k, MASK if _secret(k, secrets) and v is not None else v) for k, v in (data or {}).items())


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def changed_fields(current, wanted):
    """The keys of ``wanted`` whose value differs from ``current``'s (keys not in ``wanted`` are left as they are)."""
    return sorted(k for k, v in (wanted or {}).items() if canonical((current or {}).get(k)) != canonical(v))


def foreign_values(data, owner_values):
    """{field: value} of the fields whose value is not one of the owner values (the block is not the collection's)."""
    return dict((field, (data or {}).get(field)) for field, allowed in (owner_values or {}).items()
                if (data or {}).get(field) not in (allowed or []))


def not_owned_message(name, slug, foreign, secrets):
    shown = ", ".join("%s=%s" % (k, json.dumps(MASK if _secret(k, secrets) else v)) for k, v in sorted(foreign.items()))
    return ("block document %r (type %s) holds %s, which is none of the values this collection's blocks hold, so it "
            "was not made by prefect_ops.ecs" % (name, slug, shown))


def plan(current, wanted, secrets):
    """(changes, before, after) for bringing ``current`` data (None: no block) to ``wanted`` (secrets masked)."""
    if current is None:
        return ["state"], dict(state="absent"), dict(state="present", data=masked(wanted, secrets))
    changes = changed_fields(current, wanted)
    before = dict((k, current.get(k)) for k in changes)
    after = dict((k, wanted[k]) for k in changes)
    # a changed secret shows as MASK before and after, with the field listed in changes
    return changes, masked(before, secrets), masked(after, secrets)
