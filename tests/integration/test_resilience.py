"""Resilience of playbooks/site.yml over whole runs (issue 7 items 1-3): throttling, a Prefect outage,
interrupted runs. Every run uses the retry settings users should use (README "Retries"):
AWS_RETRY_MODE=standard and AWS_MAX_ATTEMPTS=10.

The runs are shared, because a site.yml run costs ~40 s of CPU on these 2-CPU machines and this file has
about 8 minutes of `make test`:

- chain (item 3): ONE site X is converged by a chain of runs, each killed right after the call of its point
  was applied: the AWS proxy (or the Prefect proxy) forwards the chosen call, the emulator applies it, and the
  proxy holds the answer until the run is dead, so the module never learns that its change was made (the
  hardest case: e.g. RegisterTaskDefinition applied, then killed). The kill is SIGKILL to ansible-playbook's
  process group and to every process below it: ansible-core's workers call setsid(), so the group alone
  would leave the running module alive. Run k must get past point k-1 without a failed task and is killed
  at point k; chaining them visits 10 points over every role that writes in 10 runs instead of 2 x 10 (a
  fresh site per point, each converged afterwards). Between two points one run has PREFECT_API_URL on a
  closed port (item 2, server down): it fails at the first Prefect call naming the URL and what to check,
  and the next runs, with the right URL, go on.
- fleet (items 1, 2 and the end of 3): ONE site.yml run converges six sites as six inventory hosts in
  parallel (site.yml's documented multi-environment mode, with the free strategy so that one site's retry
  waits do not stall the others at every task; the roles share nothing between hosts): a clean reference, first-attempt throttling,
  30 % random throttling for three seeds, and X after its last interruption. Each host's modules run with
  its own AWS access key (a two-line interpreter wrapper exports it), so the AWS proxy gives each site its
  own fault rule and seeded sequence and tells the sites' calls apart. All Prefect calls of that run go
  through the Prefect fault proxy, whose first answers are 503s and then 429s with Retry-After (item 2).
  A second run of the same hosts (but the reference), faults still on, must change nothing and make zero
  mutating calls.
- every site is compared with the reference, modulo its name: the objects read back from the emulator
  and Prefect with their settings (one revision per task-definition family and its content, one service and
  its configuration, one secret, queue + DLQ, one rule target, roles with their policy documents, log groups
  with retention, repository with its lifecycle policy, pools with their job-template defaults and queues,
  deployment), and the objects its runs created according to the AWS proxy's record (nothing orphaned).

Sites are not torn down: the stack is throwaway.
"""
from __future__ import annotations

import functools
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import botocore.config
import botocore.exceptions
import pytest
import yaml

from stacktools import leftovers
from stacktools.ansible_run import BIN, REPO, PlayResult, ansible_env, run_playbook
from stacktools.flow_runs import unique_site
from stacktools.prefect_proxy import build as build_prefect_proxy
from stacktools.processes import kill_run
from stacktools.proxy import start_in_thread
from stacktools.stack import PatientPrefectAPI, ProxyControl, aws_client

pytestmark = pytest.mark.stack

SITE = REPO / "playbooks" / "site.yml"
LOCAL_INVENTORY = REPO / "inventories" / "local" / "hosts.yml"
# what README "Retries" tells users to set (botocore reads both)
RETRY_ENV = {"AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "10"}
EXTRA_VARS = {"ecs_verify_worker_timeout": 0}
FAULTS = {
    "reference": None,
    "first-attempt": {"mode": "first_attempt"},
    "random-7": {"mode": "random", "rate": 0.3, "seed": 7},
    "random-11": {"mode": "random", "rate": 0.3, "seed": 11},
    "random-23": {"mode": "random", "rate": 0.3, "seed": 23},
}
THROTTLED = [label for label, rule in FAULTS.items() if rule]
PREFECT_OUTAGE = {"fail_first": 2, "status": 503, "then": {"fail_first": 2, "status": 429, "retry_after": 2}}
TASK_DEFINITION_FIELDS = ("containerDefinitions", "cpu", "memory", "networkMode", "executionRoleArn", "taskRoleArn",
                          "requiresCompatibilities", "status")
SERVICE_FIELDS = ("status", "taskDefinition", "desiredCount", "launchType", "networkConfiguration",
                  "deploymentConfiguration", "propagateTags")
DEPLOYMENT_FIELDS = ("entrypoint", "work_pool_name", "work_queue_name", "job_variables", "parameters", "paused",
                     "concurrency_limit")
FAILED_TASK = re.compile(r"^(fatal|failed): \[", re.M)
TASK_BANNER = re.compile(r"^TASK \[(?:prefect_ops\.ecs\.)?([a-z_]+) : ", re.M)


def access_key(label: str) -> str:
    return "AKIARES" + re.sub(r"[^A-Z0-9]", "", label.upper()).ljust(13, "0")[:13]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_inventory(directory: Path, name: str, hosts: dict[str, str]) -> Path:
    """The local inventory with one host per (label -> site); each host's modules run with the label's
    AWS access key, exported by an interpreter wrapper (ansible_python_interpreter)."""
    group_vars = yaml.safe_load(LOCAL_INVENTORY.read_text())["prefect_ecs"]["vars"]
    out = {}
    for label, site in hosts.items():
        wrapper = directory / f"python-{label}"
        wrapper.write_text(f"#!/bin/sh\nexport AWS_ACCESS_KEY_ID={access_key(label)}\n"
                           f"exec {shlex.quote(sys.executable)} \"$@\"\n")
        wrapper.chmod(0o755)
        out[label] = {"prefect_ecs_name": site, "ansible_python_interpreter": str(wrapper)}
    path = directory / f"{name}.yml"
    path.write_text(yaml.safe_dump({"prefect_ecs": {"hosts": out, "vars": group_vars}}))
    return path


def by_key(calls: list[dict], label: str) -> list[dict]:
    return [c for c in calls if c.get("aws") and c.get("access_key") == access_key(label)]


SECRET_SUFFIX = re.compile(r"(:secret:[^\"]+)-[A-Za-z0-9]{6}\b")


def normalise(value, site: str):
    """The value with the site's name replaced by <site>, and Secrets Manager's random ARN suffix by ??????."""
    text = json.dumps(value, sort_keys=True, default=str).replace(site, "<site>")
    return json.loads(SECRET_SUFFIX.sub(r"\1-??????", text))


# -- what a site has, read back from the emulator (directly, not recorded) and Prefect ---------------

def _all(client, operation: str, key: str, **kwargs) -> list:
    return client.get_paginator(operation).paginate(**kwargs).build_full_result().get(key, [])


def revisions(ecs, family: str) -> dict:
    """How many ACTIVE and INACTIVE revisions the family has (familyPrefix also matches longer names)."""
    out = {}
    for status in ("ACTIVE", "INACTIVE"):
        arns = _all(ecs, "list_task_definitions", "taskDefinitionArns", familyPrefix=family, status=status)
        out[status] = len([a for a in arns if a.rsplit("/", 1)[1].rsplit(":", 1)[0] == family])
    return out


@functools.cache
def site_objects(site: str) -> dict:
    """Every object of the site, named modulo the site, with what tells a duplicate or a half-made one (read
    once: the tests read it after the last run)."""
    ecs, iam = aws_client("ecs", direct=True), aws_client("iam", direct=True)
    sm, logs = aws_client("secretsmanager", direct=True), aws_client("logs", direct=True)
    sqs, events = aws_client("sqs", direct=True), aws_client("events", direct=True)
    ecr = aws_client("ecr", direct=True)
    out: dict = {}
    out["secrets"] = sorted(s["Name"] for s in _all(sm, "list_secrets", "SecretList") if site in s["Name"])
    out["clusters"] = {c["clusterName"]: (c["status"], sorted(c.get("capacityProviders", [])))
                       for c in ecs.describe_clusters(clusters=[site])["clusters"]}
    families = _all(ecs, "list_task_definition_families", "families", familyPrefix=site, status="ALL")
    out["task_definition_revisions"] = {family: revisions(ecs, family) for family in families}
    out["task_definitions"] = {family: {k: v for k, v in ecs.describe_task_definition(
        taskDefinition=family)["taskDefinition"].items() if k in TASK_DEFINITION_FIELDS} for family in families}
    services = ecs.list_services(cluster=site)["serviceArns"] if out["clusters"] else []
    described = ecs.describe_services(cluster=site, services=services)["services"] if services else []
    out["services"] = {s["serviceName"]: {k: v for k, v in s.items() if k in SERVICE_FIELDS} for s in described}
    out["log_groups"] = {g["logGroupName"]: g.get("retentionInDays")
                         for g in _all(logs, "describe_log_groups", "logGroups") if site in g["logGroupName"]}
    queues = sqs.list_queues(QueueNamePrefix=site).get("QueueUrls", [])
    out["queues"] = {url.rsplit("/", 1)[1]: sorted(
        k for k in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        if k in ("Policy", "RedrivePolicy")) for url in queues}
    rules = [r["Name"] for r in events.list_rules(NamePrefix=site)["Rules"]]
    out["rules"] = {rule: sorted((t["Id"], t["Arn"]) for t in events.list_targets_by_rule(Rule=rule)["Targets"])
                    for rule in rules}
    roles = [r["RoleName"] for r in _all(iam, "list_roles", "Roles") if site in r["RoleName"]]
    out["roles"] = {role: {
        "attached": sorted(a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]),
        "inline": {name: iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
                   for name in iam.list_role_policies(RoleName=role)["PolicyNames"]}} for role in roles}
    repos = [r["repositoryName"] for r in _all(ecr, "describe_repositories", "repositories")
             if site in r["repositoryName"]]
    out["repositories"] = {name: bool(ecr.get_lifecycle_policy(repositoryName=name).get("lifecyclePolicyText"))
                           for name in repos}
    api, pools, offset = PatientPrefectAPI(), [], 0
    while True:
        page = api.ok("POST", "/work_pools/filter", {"limit": 200, "offset": offset})
        pools += [p for p in page if site in p["name"]]
        if len(page) < 200:
            break
        offset += 200
    out["pools"] = {p["name"]: {
        "type": p["type"], "concurrency_limit": p.get("concurrency_limit"),
        "defaults": {k: v.get("default") for k, v in p["base_job_template"]["variables"]["properties"].items()},
        "queues": sorted(q["name"] for q in api.ok("POST", f"/work_pools/{p['name']}/queues/filter", {}))}
        for p in pools}
    deployments = api.ok("POST", "/deployments/filter", {"work_pools": {"name": {"any_": list(out["pools"]) or ["-"]}}})
    out["deployments"] = {d["name"]: {k: d.get(k) for k in DEPLOYMENT_FIELDS} for d in deployments}
    return normalise(out, site)


def assert_one_of_each(objects: dict) -> None:
    """A clean run's objects: one revision per task-definition family, one of each singular object."""
    assert objects["task_definition_revisions"] and all(
        n == {"ACTIVE": 1, "INACTIVE": 0} for n in objects["task_definition_revisions"].values()), objects
    assert [s for s, *_rest in objects["clusters"].values()] == ["ACTIVE"], objects["clusters"]
    assert len(objects["services"]) == 1 and len(objects["secrets"]) == 1, objects
    assert len(objects["queues"]) == 2, objects["queues"]  # the queue and its DLQ
    assert [len(targets) for targets in objects["rules"].values()] == [1], objects["rules"]
    assert len(objects["log_groups"]) == 2 and None not in objects["log_groups"].values(), objects["log_groups"]
    assert objects["repositories"] and all(objects["repositories"].values()), objects["repositories"]
    assert objects["pools"] and all(p["queues"] for p in objects["pools"].values()) and objects["deployments"], objects


def created_objects(calls: list[dict], site: str) -> set[str]:
    """The objects the calls created, according to the proxy's record, modulo the site's name."""
    objects, unknown = leftovers.created(calls)
    assert not unknown, f"creating actions leftovers.py does not know: {unknown}"
    return {f"{kind} {ident}".replace(site, "<site>") for kind, ident, _gone in objects}


# -- the Prefect fault proxy in front of the stack's server, for the whole module ----------------------

@pytest.fixture(scope="module")
def prefect_proxy(stack):
    """(control, api_url) of one in-process Prefect fault proxy: every run of this file talks to the server
    through it (the worker's task definition carries PREFECT_API_URL, so it must not change between runs)."""
    server = build_prefect_proxy(stack["PREFECT_API_URL"].rsplit("/api", 1)[0])
    start_in_thread(server)
    yield ProxyControl(f"http://127.0.0.1:{server.server_port}"), f"http://127.0.0.1:{server.server_port}/api"
    server.shutdown()


# -- item 3: the chain of interrupted runs ------------------------------------------------------------

@dataclass
class Point:
    role: str
    what: str
    proxy: str  # "aws" or "prefect"
    match: dict


def points(site: str) -> list[Point | str]:
    """The kill points in site.yml's order ("down": the run with the Prefect server unreachable)."""
    return [
        Point("prefect_api_secret", "secret created", "aws", {"service": "secretsmanager", "action": "CreateSecret"}),
        Point("ecs_cluster", "cluster created", "aws", {"service": "ecs", "action": "CreateCluster"}),
        Point("ecs_log_groups", "worker log group created, retention not yet set", "aws",
              {"service": "logs", "action": "CreateLogGroup", "params": {"logGroupName": f"/prefect/{site}/worker"}}),
        Point("ecs_events", "queue and DLQ created, no rule yet", "aws",
              {"service": "sqs", "action": "CreateQueue", "params": {"QueueName": f"{site}-events"}}),
        Point("ecs_events", "rule created, no target yet", "aws", {"service": "events", "action": "PutRule"}),
        Point("ecs_iam", "execution role created, no policy attached yet", "aws",
              {"service": "iam", "action": "CreateRole"}),
        Point("ecs_flow_run_task_definitions", "flow-run task definition registered", "aws",
              {"service": "ecs", "action": "RegisterTaskDefinition", "params": {"family": f"{site}-flow-run"}}),
        "down",
        Point("prefect_work_pools", "ECS pool created, its queues and the development pool not yet", "prefect",
              {"method": "POST", "path": "/api/work_pools/"}),
        Point("prefect_deployments", "deployment created", "prefect", {"method": "POST", "path": "/api/deployments/"}),
        Point("ecs_worker_service", "service created, not yet updated", "aws",
              {"service": "ecs", "action": "CreateService"}),
    ]


@dataclass
class KilledRun:
    point: Point
    held: dict | None
    output: str
    seconds: float
    survivors: list[int]

    @property
    def failed_tasks(self) -> list[str]:
        return [line for line in self.output.splitlines() if FAILED_TASK.match(line)]

    @property
    def last_role(self) -> str | None:
        roles = TASK_BANNER.findall(self.output)
        return roles[-1] if roles else None


@dataclass
class Chain:
    site: str
    runs: list[KilledRun] = field(default_factory=list)
    down: PlayResult | None = None
    down_url: str = ""
    down_index: int = 0  # runs[down_index:] came after the failed run
    seconds: float = 0.0
    mark: int = 0


def run_and_kill(inventory: Path, env: dict, point: Point, control: ProxyControl, tmp: Path,
                 timeout: float = 300) -> KilledRun:
    """site.yml (default callback, streamed to a file) killed with all its processes as soon as the proxy
    holds the point's call: the call was applied, its answer never reached the module."""
    cursor = control.mark()
    control.faults({"hold": {"match": point.match}})
    log = tmp / f"killed-{point.role}-{cursor}.log"
    cmd = [str(BIN / "ansible-playbook"), str(SITE), "-i", str(inventory), "-e", json.dumps(EXTRA_VARS)]
    run_env = ansible_env({**env, "PYTHONUNBUFFERED": "1", "ANSIBLE_LOCAL_TEMP": str(tmp / "local"),
                           "ANSIBLE_REMOTE_TEMP": str(tmp / "remote")}, json_output=False)
    started = time.monotonic()
    held, survivors = None, []
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=run_env, cwd=REPO,
                                start_new_session=True)
    try:
        while proc.poll() is None and time.monotonic() - started < timeout:
            new = control.calls(cursor)
            cursor += len(new)
            held = next((c for c in new if c.get("held")), None)
            if held:
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            survivors = kill_run(proc)
        proc.wait()
        control.faults(None)  # answers the held call: nobody is listening any more
    return KilledRun(point, held, log.read_text(encoding="utf-8"), time.monotonic() - started, survivors)


@pytest.fixture(scope="module")
def chain(stack, prefect_proxy, aws_proxy, tmp_path_factory) -> Chain:
    """Site X converged by a chain of killed runs (and one run with the Prefect server down); the fleet run
    then converges it."""
    prefect_control, prefect_url = prefect_proxy
    tmp = tmp_path_factory.mktemp("chain")
    result = Chain(unique_site("rs-x"))
    inventory = write_inventory(tmp, "chain", {"chain": result.site})
    env = {**RETRY_ENV, "PREFECT_API_URL": prefect_url}
    result.mark = aws_proxy.mark()
    started = time.monotonic()
    for point in points(result.site):
        if point == "down":
            result.down_url = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there
            result.down = run_playbook(SITE, inventory=str(inventory), extra_vars=EXTRA_VARS,
                                       env={**env, "PREFECT_API_URL": result.down_url})
            result.down_index = len(result.runs)
            print(f"\nchain: Prefect server down -> rc {result.down.rc}")
            continue
        control = aws_proxy if point.proxy == "aws" else prefect_control
        run = run_and_kill(inventory, env, point, control, tmp)
        result.runs.append(run)
        print(f"chain: killed in {run.last_role} after {point.what} ({run.seconds:.0f}s, "
              f"{'held ' + (run.held.get('action') or run.held.get('path')) if run.held else 'NOT REACHED'})")
        if not run.held:
            break  # later points cannot be reached in order; the test reports this run
    result.seconds = time.monotonic() - started
    print(f"chain: {len(result.runs)} killed runs + 1 failed run in {result.seconds:.0f}s")
    return result


# -- items 1 and 2 (and the end of 3): the fleet run under faults, then the no-op run --------------------

@dataclass
class Fleet:
    sites: dict[str, str]  # label (inventory host) -> site name
    cold: PlayResult
    noop: PlayResult
    cold_calls: list[dict]
    noop_calls: list[dict]
    prefect_calls: list[dict]
    seconds: dict[str, float]


@pytest.fixture(scope="module")
def fleet(stack, prefect_proxy, aws_proxy, chain, tmp_path_factory) -> Fleet:
    prefect_control, prefect_url = prefect_proxy
    tmp = tmp_path_factory.mktemp("fleet")
    sites = {label: unique_site(f"rs-{label.replace('first-attempt', 'fa').replace('andom-', '')}")
             for label in FAULTS}
    sites["chain"] = chain.site
    # free strategy: each host goes at its own pace, so one site's retry waits do not hold the others back at
    # every task (the roles share nothing between hosts)
    env = {**RETRY_ENV, "PREFECT_API_URL": prefect_url, "ANSIBLE_STRATEGY": "free"}
    rules = {"by_access_key": {access_key(label): rule for label, rule in FAULTS.items() if rule}}
    seconds = {}

    aws_proxy.faults(rules)
    prefect_control.faults(PREFECT_OUTAGE)
    prefect_mark, mark = prefect_control.mark(), aws_proxy.mark()
    started = time.monotonic()
    cold = run_playbook(SITE, inventory=str(write_inventory(tmp, "cold", sites)), extra_vars=EXTRA_VARS, env=env)
    seconds["cold"] = time.monotonic() - started
    cold_calls, prefect_calls = aws_proxy.calls(mark), prefect_control.calls(prefect_mark)

    aws_proxy.faults(rules)  # the same rules again, with fresh counters and seeds
    prefect_control.faults(None)
    mark = aws_proxy.mark()
    started = time.monotonic()
    again = {label: site for label, site in sites.items() if label != "reference"}
    noop = run_playbook(SITE, inventory=str(write_inventory(tmp, "noop", again)), extra_vars=EXTRA_VARS, env=env)
    seconds["noop"] = time.monotonic() - started
    noop_calls = aws_proxy.calls(mark)
    aws_proxy.faults(None)

    print(f"\nfleet: {len(sites)} sites converged in one run in {seconds['cold']:.0f}s (rc {cold.rc}), "
          f"re-run of {len(again)} in {seconds['noop']:.0f}s (rc {noop.rc})")
    for label in sites:
        for phase, calls in (("converge", cold_calls), ("re-run", noop_calls)):
            mine = by_key(calls, label)
            if not mine:
                continue
            throttled = sum(c["fault"] for c in mine)
            print(f"  {label:13} {phase:8}: {len(mine):4} AWS calls, {throttled:3} throttled and retried, "
                  f"longest streak {longest_streak(mine)}")
    return Fleet(sites, cold, noop, cold_calls, noop_calls, prefect_calls, seconds)


def longest_streak(calls: list[dict]) -> int:
    """The most throttling answers one request got before it went through."""
    best = streak = 0
    for call in calls:
        streak = streak + 1 if call["fault"] else 0
        best = max(best, streak)
    return best


# -- the proxy features these tests rely on --------------------------------------------------------------

def test_a_held_call_is_applied_and_answered_only_when_released(aws_proxy, unique):
    name = f"{unique}-held"
    aws_proxy.faults({"hold": {"match": {"action": "CreateQueue", "params": {"QueueName": name}}}})
    mark, answers = aws_proxy.mark(), []
    caller = threading.Thread(target=lambda: answers.append(aws_client("sqs").create_queue(QueueName=name)))
    caller.start()
    deadline = time.monotonic() + 30
    while not [c for c in aws_proxy.calls(mark) if c.get("held")] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert aws_client("sqs", direct=True).get_queue_url(QueueName=name)["QueueUrl"]  # applied ...
    time.sleep(0.3)
    assert answers == []  # ... but not answered
    aws_proxy.release()
    caller.join(30)
    assert answers and answers[0]["QueueUrl"].endswith(name)
    aws_client("sqs").create_queue(QueueName=f"{name}-2")  # one call held (count 1): the next one goes through


def test_aws_fault_rules_per_access_key(aws_proxy, unique):
    def sqs(label):
        return boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1",
                            aws_access_key_id=access_key(label), aws_secret_access_key="x",
                            config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1}))

    aws_proxy.faults({"by_access_key": {access_key("throttled"): {"mode": "first_attempt"}}})
    with pytest.raises(botocore.exceptions.ClientError):
        sqs("throttled").create_queue(QueueName=f"{unique}-a")
    sqs("throttled").create_queue(QueueName=f"{unique}-a")  # its retry goes through
    sqs("other").create_queue(QueueName=f"{unique}-b")  # another caller is not throttled


def test_prefect_proxy_phases_503_then_429_with_retry_after(prefect_proxy):
    control, url = prefect_proxy
    control.faults(PREFECT_OUTAGE)
    answers = []
    for _call in range(5):
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=10) as resp:
                answers.append((resp.status, None))
        except urllib.error.HTTPError as exc:
            answers.append((exc.code, exc.headers.get("Retry-After")))
    control.faults(None)
    assert answers == [(503, None), (503, None), (429, "2"), (429, "2"), (200, None)]


# -- the scenarios ---------------------------------------------------------------------------------------

@pytest.mark.slow(12)
def test_throttled_site_runs_converge_without_duplicates_and_rerun_as_a_no_op(fleet):
    """Item 1: first-attempt throttling and ~30 % random throttling (three seeds) over whole site.yml runs."""
    cold, noop = fleet.cold, fleet.noop
    assert cold.rc == 0, cold.stdout[-4000:] + cold.stderr[-2000:]
    reference = fleet.sites["reference"]
    assert by_key(fleet.cold_calls, "reference") and not any(c["fault"] for c in by_key(fleet.cold_calls, "reference"))
    expected = site_objects(reference)
    assert_one_of_each(expected)
    expected_created = created_objects(by_key(fleet.cold_calls, "reference"), reference)
    for label in THROTTLED:
        site, mine = fleet.sites[label], by_key(fleet.cold_calls, label)
        throttled = [c for c in mine if c["fault"]]
        assert throttled, f"{label}: no call was throttled"
        if label == "first-attempt":  # every distinct call once
            assert len(throttled) == len({(c["service"], c["action"], json.dumps(c["params"], sort_keys=True))
                                          for c in mine}), label
        else:
            assert 0.15 <= len(throttled) / len(mine) <= 0.45, (label, len(throttled), len(mine))
        assert cold.stats[label]["failures"] == 0 and cold.stats[label]["changed"] > 0, (label, cold.stats[label])
        assert site_objects(site) == expected, label
        assert created_objects(mine, site) == expected_created, label

    assert noop.rc == 0, noop.stdout[-4000:] + noop.stderr[-2000:]
    for label in THROTTLED:
        assert noop.stats[label]["changed"] == 0, (label, noop.stats[label])
        mine = by_key(fleet.noop_calls, label)
        assert any(c["fault"] for c in mine), f"{label}: the re-run was not throttled"
        assert [c["action"] for c in mine if c["mutating"] and not c["fault"]] == [], label


@pytest.mark.slow
def test_a_prefect_outage_of_503s_then_429s_over_a_whole_run_converges(fleet):
    """Item 2: the first Prefect calls of the fleet run are answered 503, then 429 with Retry-After."""
    calls = fleet.prefect_calls
    assert [(c["status"], c["fault"]) for c in calls[:4]] == [(503, True), (503, True), (429, True), (429, True)]
    assert not any(c["fault"] for c in calls[4:])
    assert fleet.cold.rc == 0, fleet.cold.stdout[-4000:]
    for label, site in fleet.sites.items():
        objects = site_objects(site)
        assert {"<site>", "<site>-development"} <= set(objects["pools"]), (label, objects["pools"])
        assert objects["deployments"], label


@pytest.mark.slow
def test_prefect_server_down_fails_naming_the_url_then_the_right_url_converges(chain, fleet):
    """Item 2: PREFECT_API_URL on a closed port fails at the first Prefect call, saying which URL and what to
    check; the next runs of the same site (with the right URL) get past it and the site converges."""
    down = chain.down
    assert down is not None and down.rc != 0
    failed = [t for t in down.tasks() if t.get("failed")]
    assert len(failed) == 1, [t["task"] for t in failed]
    msg = failed[0]["msg"]
    print(f"\nserver down: {failed[0]['task']}: {msg}")
    assert chain.down_url in msg and "unreachable" in msg
    assert "Check that api_url is right" in msg and "server is up" in msg
    after = chain.runs[chain.down_index:]
    assert after and all(r.held and not r.failed_tasks for r in after)
    assert fleet.cold.stats["chain"]["failures"] == 0


@pytest.mark.slow
def test_interrupted_runs_resume_without_duplicates_or_orphans(chain, fleet, aws_proxy):
    """Item 3: killed right after 10 applied changes over every role that writes, the site still converges
    to exactly what a clean run makes, and a run after that changes nothing."""
    runs = chain.runs
    assert len(runs) == 10 and {r.point.role for r in runs} == {
        "prefect_api_secret", "ecs_cluster", "ecs_log_groups", "ecs_events", "ecs_iam",
        "ecs_flow_run_task_definitions", "prefect_work_pools", "prefect_deployments", "ecs_worker_service"}
    for k, run in enumerate(runs):
        assert run.held, f"run {k + 1} never reached its point ({run.point.what}):\n{run.output[-3000:]}"
        assert run.survivors == [], f"run {k + 1}: processes outlived the kill: {run.survivors}"
        assert run.failed_tasks == [], f"run {k + 1} failed before its point:\n{run.failed_tasks}"
        assert run.last_role == run.point.role, (k + 1, run.last_role, run.point.role)
    assert fleet.cold.rc == 0 and fleet.cold.stats["chain"]["failures"] == 0, fleet.cold.stats["chain"]
    assert fleet.noop.rc == 0 and fleet.noop.stats["chain"]["changed"] == 0, fleet.noop.stats["chain"]
    assert [c["action"] for c in by_key(fleet.noop_calls, "chain") if c["mutating"]] == []
    reference = fleet.sites["reference"]
    assert site_objects(chain.site) == site_objects(reference)
    every_call = by_key(aws_proxy.calls(chain.mark), "chain")
    assert created_objects(every_call, chain.site) == created_objects(by_key(fleet.cold_calls, "reference"), reference)
