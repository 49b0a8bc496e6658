# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An ECS task definition family, managed as one resource (module ecs_task_definition).

A new revision is registered only when the desired definition differs *by meaning* from the
family's latest ACTIVE revision. Meaning: every field the user sets is compared after both sides
are put in one canonical form - AWS defaults filled in or dropped (container cpu 0, essential true,
empty lists, port mapping protocol tcp, health check interval/timeout/retries), registration-only
fields ignored (revision, status, ARN, registeredAt/By, compatibilities, requiresAttributes),
environment/secrets/environmentFiles order ignored (as prefect-aws's worker compares task
definitions), numbers compared by value ("512" == 512, "1 vCPU" == 1024).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import random
import re
import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.prefect_ops.ecs.plugins.module_utils import aws_names as names
from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import Changes
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import fail_on_problems
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import identity_and_region
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import plan_tags
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import run_state
from ansible_collections.prefect_ops.ecs.plugins.module_utils.aws_base import tag_diff

# Names whose value is a credential: in plain `environment` anyone who may describe the task
# definition (or read CloudTrail) reads them.
SECRET_NAMES = ("PREFECT_API_KEY", "PREFECT_API_AUTH_STRING")

# Task cpu (units) -> memory (MiB) sizes Fargate accepts.
FARGATE_SIZES = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4096 + 1, 1024)),
    1024: list(range(2048, 8192 + 1, 1024)),
    2048: list(range(4096, 16384 + 1, 1024)),
    4096: list(range(8192, 30720 + 1, 1024)),
    8192: list(range(16384, 61440 + 1, 4096)),
    16384: list(range(32768, 122880 + 1, 8192)),
}

# option -> RegisterTaskDefinition key, for the task-level options compared when set.
TASK_OPTIONS = {
    "container_definitions": "containerDefinitions",
    "cpu": "cpu",
    "memory": "memory",
    "network_mode": "networkMode",
    "requires_compatibilities": "requiresCompatibilities",
    "execution_role_arn": "executionRoleArn",
    "task_role_arn": "taskRoleArn",
    "runtime_platform": "runtimePlatform",
    "volumes": "volumes",
    "ephemeral_storage": "ephemeralStorage",
}
# Task-level fields this module has no option for: a new revision keeps the latest revision's value,
# so registering never drops what someone else set (a parameter not set is never touched).
CARRIED_OVER = ("placementConstraints", "pidMode", "ipcMode", "proxyConfiguration", "inferenceAccelerators",
                "enableFaultInjection")

# Integer fields of a container definition (users and templates often give them as strings).
CONTAINER_INTS = ("cpu", "memory", "memoryReservation", "startTimeout", "stopTimeout")
HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3}
# Container fields AWS fills in on registration when they are not given, with their value.
CONTAINER_DEFAULTS = {"cpu": 0, "essential": True, "versionConsistency": "enabled"}

CONCURRENT_REVISION = "Too many concurrent attempts to create a new revision"
RETRY_CONCURRENT = 6


def argument_spec():
    return dict(
        family=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        container_definitions=dict(type="list", elements="dict", aliases=["containers"]),
        cpu=dict(type="raw"),
        memory=dict(type="raw"),
        network_mode=dict(type="str", default="awsvpc", choices=["awsvpc", "bridge", "host", "none"]),
        requires_compatibilities=dict(type="list", elements="str", default=["FARGATE"],
                                      choices=["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"]),
        execution_role_arn=dict(type="str"),
        task_role_arn=dict(type="str"),
        runtime_platform=dict(type="dict"),
        volumes=dict(type="list", elements="dict"),
        ephemeral_storage=dict(type="dict"),
        keep_revisions=dict(type="int", default=5),
        site=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )


# --- input -----------------------------------------------------------------------------------------


def parse_size(value, kind):
    """cpu units or memory MiB as an int: 512, "512", "0.5 vCPU", "2 GB". None when not a size."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    if re.match(r"^\d+$", text):
        return int(text)
    unit = r"vcpu" if kind == "cpu" else r"gb"
    match = re.match(r"^(\d+(?:\.\d+)?)\s*" + unit + r"$", text, re.IGNORECASE)
    if match:
        size = float(match.group(1)) * 1024
        return int(size) if size.is_integer() else None
    return None


def _size_problem(field, value, kind):
    example = "512 or '0.5 vCPU'" if kind == "cpu" else "1024 or '1 GB'"
    unit = "cpu units (1024 = 1 vCPU)" if kind == "cpu" else "MiB"
    return f"{field}: {value!r} is not a size in {unit}; use e.g. {example}"


def fargate_problem(cpu, memory):
    """The message for a cpu/memory pair Fargate does not accept, else None."""
    if cpu not in FARGATE_SIZES:
        return (f"cpu: Fargate does not offer a task size of {cpu} cpu units; use one of "
                f"{', '.join(str(c) for c in FARGATE_SIZES)}")
    allowed = FARGATE_SIZES[cpu]
    if memory not in allowed:
        if len(allowed) <= 4:
            choices = ", ".join(str(m) for m in allowed)
        else:
            choices = f"{allowed[0]} to {allowed[-1]} in steps of {allowed[1] - allowed[0]}"
        return (f"memory: Fargate does not accept memory {memory} MiB with cpu {cpu}; with cpu {cpu} set memory to "
                f"{choices} (or change cpu)")
    return None


def _int(value):
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    return int(value)


def coerce_container(container, field):
    """A copy of a container definition with numbers as ints and environment values as strings."""
    problems = []
    container = copy.deepcopy(container)

    def convert(holder, key, where):
        if key in holder and holder[key] is not None:
            try:
                holder[key] = _int(holder[key])
            except (TypeError, ValueError):
                problems.append(f"{where}.{key}: {holder[key]!r} is not a whole number")

    for key in CONTAINER_INTS:
        convert(container, key, field)
    for i, mapping in enumerate(container.get("portMappings") or []):
        for key in ("containerPort", "hostPort"):
            convert(mapping, key, f"{field}.portMappings[{i}]")
    health = container.get("healthCheck")
    if isinstance(health, dict):
        for key in ("interval", "timeout", "retries", "startPeriod"):
            convert(health, key, f"{field}.healthCheck")
    for i, limit in enumerate(container.get("ulimits") or []):
        for key in ("softLimit", "hardLimit"):
            convert(limit, key, f"{field}.ulimits[{i}]")
    linux = container.get("linuxParameters")
    if isinstance(linux, dict):
        for key in ("maxSwap", "swappiness", "sharedMemorySize"):
            convert(linux, key, f"{field}.linuxParameters")
        for i, tmpfs in enumerate(linux.get("tmpfs") or []):
            convert(tmpfs, "size", f"{field}.linuxParameters.tmpfs[{i}]")
    for i, item in enumerate(container.get("environment") or []):
        if not isinstance(item, dict) or not item.get("name"):
            problems.append(f"{field}.environment[{i}]: each entry needs a name and a value")
            continue
        value = item.get("value")
        if isinstance(value, bool):
            problems.append(f"{field}.environment[{i}] ({item['name']}): the value {value!r} is a boolean; quote it "
                            "(ECS environment values are strings, e.g. 'true')")
        elif value is None:
            item["value"] = ""
        elif not isinstance(value, str):
            item["value"] = str(value)
    return container, problems


def container_problems(containers, params):
    problems = []
    if not containers:
        return ["container_definitions: give at least one container definition (AWS shape: name, image, ...)"]
    seen = set()
    for i, container in enumerate(containers):
        field = f"container_definitions[{i}]"
        if not isinstance(container, dict):
            problems.append(f"{field}: must be a dictionary in the AWS RegisterTaskDefinition shape")
            continue
        name = container.get("name")
        if not name or not isinstance(name, str):
            problems.append(f"{field}.name: every container needs a name")
        elif name in seen:
            problems.append(f"{field}.name: {name!r} is used by two containers; container names must be unique")
        seen.add(name)
        if not container.get("image"):
            problems.append(f"{field}.image: every container needs an image (e.g. prefecthq/prefect:3-python3.12)")
        for item in container.get("environment") or []:
            if isinstance(item, dict) and str(item.get("name", "")).upper() in SECRET_NAMES:
                problems.append(
                    f"{field}.environment: {item['name']} is a credential and must not be a plain environment variable "
                    "(anyone who may describe the task definition can read it); move it to "
                    f"{field}.secrets as {{name: {item['name']}, valueFrom: <Secrets Manager secret ARN or SSM "
                    "parameter ARN>}}")
        for j, item in enumerate(container.get("secrets") or []):
            if not isinstance(item, dict) or not item.get("name") or not item.get("valueFrom"):
                problems.append(f"{field}.secrets[{j}]: each secret needs a name and a valueFrom (a Secrets Manager "
                                "secret ARN or SSM parameter ARN)")
        if container.get("links") and params.get("network_mode") == "awsvpc":
            problems.append(f"{field}.links: links are not supported with network_mode awsvpc; remove them")
        problems += coerce_container(container, field)[1]
    return problems


def static_problems(params):
    """Every input problem found without an AWS call; each names the option and the fix."""
    problems = [names.check_name("ecs_task_family", params.get("family"), "family")]
    problems.append(ecs.check_owner_tag(params.get("tags")))
    problems += ecs.site_problems(params.get("site")) + ecs.site_tag_problems(params.get("tags"), params.get("site"))
    if params.get("state", "present") == "absent":
        return [p for p in problems if p]
    keep = params.get("keep_revisions")
    if keep is None or keep < 1:
        problems.append(f"keep_revisions: {keep} keeps no revision; use 1 or more (the latest revision is the one in use)")
    containers = params.get("container_definitions") or []
    problems += container_problems(containers, params)

    sizes = {}
    for kind in ("cpu", "memory"):
        value = params.get(kind)
        if value is not None:
            sizes[kind] = parse_size(value, kind)
            if sizes[kind] is None or sizes[kind] <= 0:
                problems.append(_size_problem(kind, value, kind))
    compatibilities = params.get("requires_compatibilities") or []
    if "FARGATE" in compatibilities:
        if params.get("network_mode") != "awsvpc":
            problems.append(f"network_mode: Fargate tasks need network_mode awsvpc (got {params.get('network_mode')}); "
                            "set network_mode: awsvpc or drop FARGATE from requires_compatibilities")
        missing = [kind for kind in ("cpu", "memory") if params.get(kind) is None]
        if missing:
            problems.append(f"{' and '.join(missing)}: Fargate needs task-level cpu and memory; set both (e.g. cpu: 512, "
                            "memory: 1024)")
        elif sizes.get("cpu") and sizes.get("memory"):
            problems.append(fargate_problem(sizes["cpu"], sizes["memory"]))
    if not params.get("execution_role_arn"):
        uses_secrets = any(isinstance(c, dict) and c.get("secrets") for c in containers)
        if uses_secrets:
            problems.append("execution_role_arn: containers with secrets need the task execution role (ECS reads the "
                            "secrets with it before the container starts); set execution_role_arn")
        awslogs = any(isinstance(c, dict) and (c.get("logConfiguration") or {}).get("logDriver") == "awslogs"
                      for c in containers)
        if awslogs and "FARGATE" in compatibilities:
            problems.append("execution_role_arn: the awslogs log driver on Fargate needs the task execution role "
                            "(it writes the logs); set execution_role_arn")
    for kind in ("runtime_platform", "ephemeral_storage"):
        if params.get(kind) is not None and not isinstance(params.get(kind), dict):
            problems.append(f"{kind}: give a dictionary in the AWS shape")
    storage = params.get("ephemeral_storage")
    if isinstance(storage, dict):
        try:
            _int(storage.get("sizeInGiB"))
        except (TypeError, ValueError):
            problems.append("ephemeral_storage.sizeInGiB: give the size as a whole number of GiB (21 to 200)")
    return [p for p in problems if p]


def identity_problems(params, identity):
    return [ecs.check_role_arn(params.get(option) or None, option, identity)
            for option in ("execution_role_arn", "task_role_arn")]


# --- canonical form --------------------------------------------------------------------------------


def _is_empty(value):
    return value is None or value == "" or value == [] or value == {}


def drop_empty(value):
    """Recursively drop keys whose value is None, "", [] or {} (False and 0 are kept)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = drop_empty(item)
            if not _is_empty(item):
                out[key] = item
        return out
    if isinstance(value, list):
        return [drop_empty(v) for v in value]
    return value


def _sorted(items, *keys):
    return sorted(items or [], key=lambda item: tuple(str(item.get(k, "")) for k in keys) if isinstance(item, dict) else (str(item),))


def canonical_container(container, network_mode):
    """A container definition in the form where equal meaning gives equal values."""
    c, dummy = coerce_container(container or {}, "container")
    c["environment"] = _sorted([{"name": e.get("name"), "value": "" if e.get("value") is None else str(e.get("value"))}
                                for e in c.get("environment") or [] if isinstance(e, dict)], "name", "value")
    c["secrets"] = _sorted(c.get("secrets"), "name", "valueFrom")
    c["environmentFiles"] = _sorted(c.get("environmentFiles"), "type", "value")
    mappings = []
    for mapping in c.get("portMappings") or []:
        mapping = dict(mapping)
        mapping.setdefault("protocol", "tcp")
        if network_mode in ("awsvpc", "host") and "containerPort" in mapping and mapping.get("hostPort") is None:
            mapping["hostPort"] = mapping["containerPort"]
        mappings.append(mapping)
    c["portMappings"] = _sorted(mappings, "containerPort", "hostPort", "protocol", "name")
    for key, ident in (("mountPoints", ("sourceVolume", "containerPath")), ("volumesFrom", ("sourceContainer",))):
        items = []
        for item in c.get(key) or []:
            item = dict(item)
            if item.get("readOnly") is False:
                item.pop("readOnly")
            items.append(item)
        c[key] = _sorted(items, *ident)
    c["ulimits"] = _sorted(c.get("ulimits"), "name")
    c["systemControls"] = _sorted(c.get("systemControls"), "namespace")
    health = c.get("healthCheck")
    if isinstance(health, dict) and health:
        health = dict(health)
        for key, default in HEALTH_CHECK_DEFAULTS.items():
            if health.get(key) is None:
                health[key] = default
        c["healthCheck"] = health
    for key, default in CONTAINER_DEFAULTS.items():
        if key in c and c[key] == default:
            c.pop(key)
    return drop_empty(c)


def _canonical_volume(volume):
    volume = drop_empty(copy.deepcopy(volume))
    efs = volume.get("efsVolumeConfiguration")
    if isinstance(efs, dict):
        if efs.get("rootDirectory") == "/":
            efs.pop("rootDirectory")
        if efs.get("transitEncryption") == "DISABLED":
            efs.pop("transitEncryption")
    return volume


def canonical_value(key, value, network_mode):
    """One task-level field in canonical form; "not set" and "empty" are both None."""
    if key in ("cpu", "memory"):
        if _is_empty(value):
            return None
        size = parse_size(value, key)
        return size if size is not None else str(value)
    if key == "networkMode":
        return value or "bridge"
    if key == "requiresCompatibilities":
        return sorted(value) if value else None
    if key == "containerDefinitions":
        if not value:
            return None
        return {c.get("name"): canonical_container(c, network_mode) for c in value}
    if key == "volumes":
        return [_canonical_volume(v) for v in _sorted(value, "name")] if value else None
    if key == "runtimePlatform":
        platform = drop_empty(dict(value or {}))
        if platform.get("operatingSystemFamily") == "LINUX":
            platform.pop("operatingSystemFamily")
        if platform.get("cpuArchitecture") == "X86_64":
            platform.pop("cpuArchitecture")
        return platform or None
    if key == "ephemeralStorage":
        storage = drop_empty(dict(value or {}))
        if "sizeInGiB" in storage:
            try:
                storage["sizeInGiB"] = _int(storage["sizeInGiB"])
            except (TypeError, ValueError):
                pass
        return storage or None
    return None if _is_empty(value) else value


def compared_keys(params):
    """The task-level keys the user sets (only those are compared)."""
    return [key for option, key in TASK_OPTIONS.items() if params.get(option) is not None]


def canonical(definition, keys):
    definition = definition or {}
    network_mode = definition.get("networkMode") or "bridge"
    return {key: canonical_value(key, definition.get(key), network_mode) for key in keys}


def differences(want, have):
    """(before, after) holding exactly what differs; containers are compared key by key, by name."""
    before, after = {}, {}
    for key in want:
        new, old = want.get(key), have.get(key)
        if new == old:
            continue
        if key == "containerDefinitions" and isinstance(new, dict) and isinstance(old, dict):
            b, a = {}, {}
            for name in sorted(set(new) | set(old), key=str):
                n, o = new.get(name), old.get(name)
                if n == o:
                    continue
                if n is None or o is None:
                    if o is not None:
                        b[name] = o
                    if n is not None:
                        a[name] = n
                    continue
                fields = sorted(k for k in set(n) | set(o) if n.get(k) != o.get(k))
                b[name] = {k: o[k] for k in fields if k in o}
                a[name] = {k: n[k] for k in fields if k in n}
            before[key], after[key] = b, a
            continue
        before[key], after[key] = old, new
    return before, after


# --- desired definition ----------------------------------------------------------------------------


def desired_definition(params):
    """The RegisterTaskDefinition payload from the options the user sets (no tags, no carry-over)."""
    containers = [coerce_container(c, "container")[0] for c in params.get("container_definitions") or []]
    payload = {"family": params["family"], "containerDefinitions": containers}
    for option, key in TASK_OPTIONS.items():
        value = params.get(option)
        if option == "container_definitions" or value is None:
            continue
        if option in ("cpu", "memory"):
            size = parse_size(value, option)
            value = str(size) if size is not None else str(value)
        if option == "ephemeral_storage" and isinstance(value, dict) and "sizeInGiB" in value:
            value = dict(value, sizeInGiB=_int(value["sizeInGiB"]))
        if _is_empty(value) and option in ("execution_role_arn", "task_role_arn"):
            continue  # "" means "none": omitted from the new revision
        payload[key] = value
    return payload


def register_payload(params, current, tags, allowed_keys=None):
    """The payload of a new revision: what the user sets, plus what the latest revision has for every
    field the user does not set (so it is not dropped), plus tags."""
    payload = desired_definition(params)
    if current:
        for option, key in TASK_OPTIONS.items():
            if params.get(option) is None and not _is_empty(current.get(key)):
                payload[key] = copy.deepcopy(current[key])
        for key in CARRIED_OVER:
            if current.get(key):
                payload[key] = copy.deepcopy(current[key])
    if allowed_keys is not None:
        payload = {k: v for k, v in payload.items() if k in allowed_keys}
    payload["tags"] = ecs.dict_to_tags(tags)
    return payload


def register_input_keys(client):
    """The RegisterTaskDefinition parameters the installed botocore knows (None when unknown)."""
    try:
        return set(client.meta.service_model.operation_model("RegisterTaskDefinition").input_shape.members)
    except Exception:  # pylint: disable=broad-except
        return None


def predicted_definition(payload, arn, revision):
    """What RegisterTaskDefinition would return for `payload` (check mode)."""
    predicted = {k: copy.deepcopy(v) for k, v in payload.items() if k != "tags"}
    predicted.update(taskDefinitionArn=arn, revision=revision, status="ACTIVE")
    return predicted


# --- reading ---------------------------------------------------------------------------------------


def _family_of(arn):
    return str(arn).rsplit("/", 1)[-1].rsplit(":", 1)[0]


def revision_arns(client, family, status="ACTIVE"):
    """ARNs of the family's revisions with `status`, newest first (sorted here: not every endpoint sorts)."""
    arns = client.paginate("list_task_definitions", "taskDefinitionArns", familyPrefix=family, status=status)
    arns = [a for a in arns if _family_of(a) == family and ecs.revision_of(a) is not None]
    return sorted(set(arns), key=ecs.revision_of, reverse=True)


def describe(client, arn):
    """(task definition, tags) of one revision."""
    response = client.describe_task_definition(taskDefinition=arn, include=["TAGS"])
    return response["taskDefinition"], ecs.tags_to_dict(response.get("tags"))


def revision_tags(client, arn):
    return ecs.tags_to_dict(client.list_tags_for_resource(resourceArn=arn).get("tags"))


def register(client, payload, sleep=time.sleep):
    """RegisterTaskDefinition; also retries ECS's "Too many concurrent attempts to create a new
    revision" (a ClientException, so not a throttling code), with jittered backoff."""
    attempt = 0
    while True:
        try:
            return client.register_task_definition(**payload)
        except is_boto3_error_code("ClientException") as e:
            if CONCURRENT_REVISION not in str(e) or attempt >= RETRY_CONCURRENT:
                raise
            attempt += 1
            sleep(random.uniform(0, min(30, 2 ** attempt)))


# --- converge --------------------------------------------------------------------------------------


def prune(client, check_mode, changes, arns, keep, site, tag_cache=None):
    """Deregister this site's ACTIVE revisions beyond the newest `keep` (ARNs newest first); returns
    (deregistered, left_alone)."""
    deregistered, left_alone = [], []
    tag_cache = tag_cache or {}
    for arn in arns[keep:]:
        tags = tag_cache[arn] if arn in tag_cache else revision_tags(client, arn)
        if not ecs.is_owned_or_unsited(tags, site):
            left_alone.append(arn)
            continue
        changes.updated(arn, f"deregister task definition {arn.rsplit('/', 1)[-1]}", {"status": "ACTIVE"},
                        {"status": "INACTIVE"})
        if not check_mode:
            try:
                client.deregister_task_definition(taskDefinition=arn)
            except is_boto3_error_code("ClientException") as e:
                if "INACTIVE" not in str(e) and "does not exist" not in str(e):
                    raise
        deregistered.append(arn)
    return deregistered, left_alone


def converge(module, clients):
    params = module.params
    problems = static_problems(params)
    fail_on_problems(module, problems)
    identity, region = identity_and_region(module, clients, problems)
    fail_on_problems(module, problems + identity_problems(params, identity))

    client = clients["ecs"]
    family, site = params["family"], ecs.run_site(params)
    owner = ecs.site_ownership_tags(site)
    check_mode = module.check_mode
    changes = Changes()
    arns = revision_arns(client, family)
    current, current_tags = describe(client, arns[0]) if arns else (None, {})

    keys = compared_keys(params)
    want = canonical(desired_definition(params), keys)
    have = canonical(current, keys) if current else {}
    tags = current_tags
    if current is None or want != have:
        base_tags = ecs.user_tags(current_tags) if current else {}
        dummy, dummy, tags = plan_tags(base_tags, ecs.tags_without_site(params.get("tags")), params["purge_tags"], owner)
        payload = register_payload(params, current, tags, register_input_keys(client))
        if check_mode:
            latest = max([ecs.revision_of(a) for a in arns + revision_arns(client, family, "INACTIVE")[:1]] or [0])
            arn = ecs.revision_arn(identity, region, family, latest + 1)
            definition = predicted_definition(payload, arn, latest + 1)
        else:
            response = register(client, payload)
            definition = response["taskDefinition"]
            tags = ecs.tags_to_dict(response.get("tags")) or tags
            arn = definition["taskDefinitionArn"]
        label = arn.rsplit("/", 1)[-1]
        if current:
            before, after = differences(want, have)
            tags_before, tags_after = tag_diff(current_tags, tags)
            if tags_before or tags_after:
                before["tags"], after["tags"] = tags_before, tags_after
            changed_fields = ", ".join(sorted(after))
            before["taskDefinitionArn"], after["taskDefinitionArn"] = current["taskDefinitionArn"], arn
            changes.updated("task_definition", f"register task definition {label} (changed: {changed_fields})",
                            before, after)
        else:
            changes.created("task_definition", f"register task definition {label}", dict(want, taskDefinitionArn=arn))
        arns = [arn] + arns
        registered = True
    else:
        definition, arn, registered = current, current["taskDefinitionArn"], False
        if ecs.is_owned_or_unsited(current_tags, site):  # a revision made before the site option gets the site tag
            to_set, to_unset, tags = plan_tags(current_tags, ecs.tags_without_site(params.get("tags")),
                                               params["purge_tags"], owner)
            if to_set or to_unset:
                before, after = tag_diff(current_tags, tags)
                changes.updated("task_definition", f"update tags of task definition {arn.rsplit('/', 1)[-1]}",
                                {"tags": before}, {"tags": after})
                ecs.apply_tags(client, check_mode, arn, to_set, to_unset)
    tag_cache = {arn: tags}
    if current:
        tag_cache[current["taskDefinitionArn"]] = current_tags
    deregistered, dummy = prune(client, check_mode, changes, arns, params["keep_revisions"], site, tag_cache)
    return changes.result(
        module,
        task_definition=ecs.jsonable(definition),
        task_definition_arn=arn,
        registered=registered,
        deregistered=deregistered,
        tags=tags,
    )


def remove(module, clients):
    """state=absent: deregister the family's ACTIVE revisions that carry the ownership tag."""
    params = module.params
    fail_on_problems(module, static_problems(params))
    client = clients["ecs"]
    changes = Changes()
    arns = revision_arns(client, params["family"])
    deregistered, left_alone = prune(client, module.check_mode, changes, arns, 0, ecs.run_site(params))
    for arn in left_alone:
        module.warn(f"task definition {arn} was not registered by this collection for this site (it does not carry "
                    f"{ecs.site_owner_text(ecs.run_site(params))}); left ACTIVE")
    return changes.result(module, task_definition=None, task_definition_arn=None, registered=False,
                          deregistered=deregistered, left_alone=left_alone)


def run(module, clients):
    return run_state(module, clients, converge, remove, f"the ECS task definition family {module.params['family']}")
