"""Environments are hosts (issue 16): one site.yml run converges the hosts of inventories/aws-cloud (the README's
example) on the local stack, each in its own region, AWS account and Prefect target, with AWS_REGION and
AWS_DEFAULT_REGION unset.

The example's hosts, regions and roles are used as they are; an overlay inventory (a second -i) only points the
Prefect endpoints at local servers and adds each host's network (adopted):
- dev-us-east-1: the run's own AWS credentials; its own self-hosted-style server with authentication off
  (prefect_ecs_api_auth: none): no secret, no secret variable in the pool, no secrets in the worker, no secret read
  in the execution role;
- staging-eu-west-1: role assumed into account 222222222222; the run's PREFECT_API_URL and auth string (the stack's
  server);
- prod-us-west-2: role assumed into account 111111111111; a second `prefect server start` with its own home,
  database and auth string, its credential from the environment variable the host names.
Each Prefect server sits behind a recording proxy of this test, so the calls of each host are told apart.

Everything is checked against the emulator and the servers: every object of a host is in its region, account and
server and nowhere else; --check on the fresh fleet and the no-op re-run make no mutating call (sts:AssumeRole is the
read it is here); --limit one host touches only that host's objects; the preflight refuses a host without region and
two hosts that would manage the same objects before any change; teardown removes every object of every host, also
after a run killed half-way.
"""
from __future__ import annotations

import concurrent.futures
import importlib.util
import json
import secrets
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
import yaml

from stacktools.ansible_run import BIN, REPO, ansible_env, run_playbook
from stacktools.prefect_proxy import build as build_prefect_proxy
from stacktools.processes import kill_run
from stacktools.proxy import start_in_thread
from stacktools.stack import PatientPrefectAPI, ProxyControl, stack_script

pytestmark = pytest.mark.stack

SITE = REPO / "playbooks" / "site.yml"
TEARDOWN = REPO / "playbooks" / "teardown.yml"
EXAMPLE = REPO / "inventories" / "aws-cloud" / "hosts.yml"
DEFAULT_ACCOUNT = "123456789012"
# What the overlay may set on top of the example: endpoints, the local servers' kind of credential, the network.
OVERLAY_KEYS = {"prefect_ecs_api_url", "prefect_ecs_api_auth", "prefect_ecs_api_auth_string_env", "ecs_network_mode",
                "ecs_network_vpc_id", "ecs_network_subnet_ids", "ecs_network_security_group_ids"}
# The emulator runs no containers (README "The local stack"): the same settings as inventories/local.
EMULATOR_VARS = {"ecs_verify_emulated": True, "ecs_worker_service_wait": False, "ecs_verify_worker_timeout": 0}


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STACK = stack_script()
FIXTURE = _load("prefect_ops_fixture_script", REPO / "scripts" / "fixture.py")


@dataclass
class Host:
    name: str  # inventory host
    site: str
    region: str
    account: str
    role_arn: str
    server: str  # key of Fleet.servers


@dataclass
class Fleet:
    hosts: dict[str, Host]
    overlay: Path
    env: dict
    servers: dict[str, str]  # key -> API URL (through this test's recording proxy)
    proxies: dict[str, ProxyControl]
    auth: dict[str, str | None]  # key -> the server's auth string
    moto: str
    runs: dict[str, float] = field(default_factory=dict)

    def client(self, service: str, region: str, account: str):
        """boto3 straight to moto (not recorded), acting in `account`."""
        kwargs = {"region_name": region, "endpoint_url": self.moto, "aws_access_key_id": "testing",
                  "aws_secret_access_key": "testing"}
        if account != DEFAULT_ACCOUNT:
            creds = boto3.client("sts", **kwargs).assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/fleet-test-reader", RoleSessionName="fleet-test")["Credentials"]
            kwargs.update(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                          aws_session_token=creds["SessionToken"])
        return boto3.client(service, **kwargs)

    def prefect(self, key: str) -> PatientPrefectAPI:
        return PatientPrefectAPI(self.servers[key], auth_string=self.auth[key] or "")

    def run(self, playbook: Path, label: str, **kwargs):
        started = time.monotonic()
        result = run_playbook(playbook, inventory=str(EXAMPLE), env=self.env,
                              args=["-i", str(self.overlay), *kwargs.pop("args", [])], **kwargs)
        self.runs[label] = round(time.monotonic() - started, 1)
        return result

    def marks(self) -> dict[str, int]:
        return {key: proxy.mark() for key, proxy in self.proxies.items()}


def read_example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())["prefect_ecs"]["hosts"]


@pytest.fixture(scope="module")
def fleet(stack, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fleet")
    moto = stack["PREFECT_OPS_MOTO_URL"]
    tag = secrets.token_hex(3)
    auth = {"stack": stack["PREFECT_API_AUTH_STRING"], "prod": f"admin:{secrets.token_hex(12)}", "dev": None}
    names = {"prod": f"prefect-fleet-prod-{tag}", "dev": f"prefect-fleet-dev-{tag}"}
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # two more servers, each its own home and database
        started = {key: pool.submit(STACK.start_extra_prefect_server, names[key], auth[key]) for key in names}
        upstream = {key: future.result() for key, future in started.items()}
    upstream["stack"] = stack["PREFECT_API_URL"].rsplit("/api", 1)[0]
    proxies, servers, threads = {}, {}, []
    for key, url in upstream.items():
        server = build_prefect_proxy(url)
        threads.append(server)
        start_in_thread(server)
        proxies[key] = ProxyControl(f"http://127.0.0.1:{server.server_port}")
        servers[key] = f"http://127.0.0.1:{server.server_port}/api"

    example = read_example()
    server_of = {"dev-us-east-1": "dev", "staging-eu-west-1": "stack", "prod-us-west-2": "prod"}
    hosts, overlay = {}, {}
    for name, hv in example.items():
        role = hv.get("prefect_ecs_aws_role_arn", "")
        hosts[name] = Host(name, hv["prefect_ecs_name"], hv["prefect_ecs_region"],
                           role.split(":")[4] if role else DEFAULT_ACCOUNT, role, server_of[name])
    fleet_ = Fleet(hosts, tmp / "overlay.yml", {}, servers, proxies, auth, moto)
    for name, host in hosts.items():
        vpc, subnets, group = FIXTURE.ensure_network(fleet_.client("ec2", host.region, host.account))
        overlay[name] = {"ecs_network_mode": "adopt", "ecs_network_vpc_id": vpc, "ecs_network_subnet_ids": subnets,
                         "ecs_network_security_group_ids": [group]}
    overlay["dev-us-east-1"].update(prefect_ecs_api_url=servers["dev"])
    # a local server takes an auth string where Prefect Cloud takes a key: the kind changes, the mechanism (the
    # host names the environment variable that holds its credential) is the example's
    overlay["prod-us-west-2"].update(prefect_ecs_api_url=servers["prod"], prefect_ecs_api_auth="auth_string",
                                     prefect_ecs_api_auth_string_env="PREFECT_FLEET_PROD_AUTH")
    assert {k for hv in overlay.values() for k in hv} <= OVERLAY_KEYS
    fleet_.overlay.write_text(yaml.safe_dump({"prefect_ecs": {"hosts": overlay, "vars": EMULATOR_VARS}}))
    fleet_.env = {"AWS_REGION": None, "AWS_DEFAULT_REGION": None, "PREFECT_API_KEY": None,
                  "PREFECT_API_URL": servers["stack"], "PREFECT_API_AUTH_STRING": auth["stack"],
                  "PREFECT_FLEET_PROD_AUTH": auth["prod"], "AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "10"}
    try:
        yield fleet_
    finally:
        left = {h.name: objects_anywhere(fleet_, h) for h in hosts.values()}
        if any(left.values()):
            print(f"\nfleet: left behind, torn down: {left}")
            fleet_.run(TEARDOWN, "cleanup")
        for server in threads:
            server.shutdown()
        for name in names.values():
            STACK.stop_extra_prefect_server(name)
        print(f"\nfleet run times (s): {fleet_.runs}")


# -- what exists where ------------------------------------------------------------------------------------------

def site_objects(fleet: Fleet, site: str, region: str, account: str) -> dict[str, list[str]]:
    """The objects of `site` in one region of one account (IAM roles: those named for this region)."""
    ecs, out = fleet.client("ecs", region, account), {}
    out["cluster"] = [c["clusterArn"] for c in ecs.describe_clusters(clusters=[site])["clusters"]
                      if c["status"] == "ACTIVE"]
    out["service"] = ecs.list_services(cluster=site)["serviceArns"] if out["cluster"] else []
    # (moto's ListTaskDefinitionFamilies ignores status: read the ACTIVE revisions)
    out["task definition"] = [arn for arn in ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]
                              if f":task-definition/{site}-" in arn]
    out["queue"] = fleet.client("sqs", region, account).list_queues(QueueNamePrefix=f"{site}-").get("QueueUrls", [])
    out["rule"] = [r["Arn"] for r in fleet.client("events", region, account).list_rules(NamePrefix=f"{site}-")["Rules"]]
    out["log group"] = [g["arn"] for g in fleet.client("logs", region, account).describe_log_groups(
        logGroupNamePrefix=f"/prefect/{site}/")["logGroups"]]
    out["secret"] = [s["ARN"] for s in fleet.client("secretsmanager", region, account).list_secrets()["SecretList"]
                     if s["Name"].startswith(f"prefect-ops/{site}/")]
    out["role"] = [r["Arn"] for r in fleet.client("iam", region, account).list_roles()["Roles"]
                   if r["RoleName"].startswith(f"{site}-{region}-")]
    return {kind: names for kind, names in out.items() if names}


def places(fleet: Fleet) -> set[tuple[str, str]]:
    return {(h.region, h.account) for h in fleet.hosts.values()} | {
        (r, a) for r in {h.region for h in fleet.hosts.values()} for a in {h.account for h in fleet.hosts.values()}}


def objects_anywhere(fleet: Fleet, host: Host) -> dict:
    """(region, account) -> objects of the host's site there, for every region and account of the fleet; and the
    servers that hold its pool."""
    found = {place: site_objects(fleet, host.site, *place) for place in sorted(places(fleet))}
    found = {place: objs for place, objs in found.items() if objs}
    pools = [key for key in fleet.servers if fleet.prefect(key).read_pool(host.site) is not None]
    if pools:
        found["pools"] = pools
    return found


def failed(result) -> list[str]:
    """What failed in a run, host by host (for assertion messages)."""
    return [f"{t['host']}: {t['task']}: {t.get('msg', '')}"[:1500] for t in result.tasks() if t.get("failed")] or [
        result.stdout[-3000:] + result.stderr[-2000:]]


def aws_calls_of(calls: list[dict]) -> list[dict]:
    return [c for c in calls if c.get("aws") and c["action"] != "ReceiveMessage"]


def mutating(calls: list[dict]) -> list[str]:
    """Mutating AWS calls, sts:AssumeRole aside (a read, for this purpose: it changes nothing)."""
    return [f"{c['region']} {c['service']}:{c['action']}" for c in aws_calls_of(calls)
            if c["mutating"] and not c["fault"] and c["action"] != "AssumeRole"]


def prefect_writes(fleet: Fleet, marks: dict[str, int]) -> dict[str, list[str]]:
    out = {}
    for key, proxy in fleet.proxies.items():
        writes = [f"{c['method']} {c['path']}" for c in proxy.calls(marks[key])
                  if c["method"] not in ("GET", "HEAD") and not c["path"].endswith("/filter")
                  and not c["path"].endswith(("/count", "/csrf-token"))]
        if writes:
            out[key] = writes
    return out


# -- the tests, in order: check on a fresh fleet, converge, no-op, --limit, preflight, teardown ------------------

def test_the_example_is_three_regions_and_two_assumed_accounts(fleet):
    hosts = list(fleet.hosts.values())
    assert len({h.region for h in hosts}) >= 3
    assumed = [h for h in hosts if h.role_arn]
    assert len({h.account for h in assumed}) >= 2 and len(assumed) >= 2
    assert len({h.server for h in hosts}) == 3


@pytest.mark.slow(2)
def test_check_on_a_fresh_fleet_changes_nothing(fleet, aws_proxy):
    mark, marks = aws_proxy.mark(), fleet.marks()
    # ecs_verify_fail: in check mode verify still judges what exists, not what the run would make (issue 17 item 4),
    # so leftovers of an earlier run of this file (INACTIVE services in moto) would fail it
    result = fleet.run(SITE, "check", check=True, extra_vars={"ecs_verify_fail": False})
    assert result.rc == 0, failed(result)
    calls = aws_proxy.calls(mark)
    assert mutating(calls) == []
    assert prefect_writes(fleet, marks) == {}
    # one role assumed per role host, once for the whole run
    assert [c["region"] for c in calls if c.get("action") == "AssumeRole"].count("us-east-1") == 0
    assert sorted(c["region"] for c in calls if c.get("action") == "AssumeRole") == sorted(
        h.region for h in fleet.hosts.values() if h.role_arn)
    for host in fleet.hosts.values():
        assert objects_anywhere(fleet, host) == {}, host.name
        summary = result.task("Summarise what exists and what this run changed", host.name)["ansible_facts"][
            "prefect_ecs_summary"]
        assert (summary["region"], summary["account"]) == (host.region, host.account)
        assert summary["cluster"] == f"arn:aws:ecs:{host.region}:{host.account}:cluster/{host.site}"


@pytest.mark.slow(2)
def test_one_run_converges_every_host_in_its_own_region_account_and_server(fleet, aws_proxy):
    mark, marks = aws_proxy.mark(), fleet.marks()
    result = fleet.run(SITE, "converge")
    assert result.rc == 0, failed(result)
    calls = aws_calls_of(aws_proxy.calls(mark))
    assert {c["region"] for c in calls} == {h.region for h in fleet.hosts.values()}
    for host in fleet.hosts.values():
        found = objects_anywhere(fleet, host)
        assert set(found) == {(host.region, host.account), "pools"}, (host.name, found)
        kinds = set(found[(host.region, host.account)])
        expected = {"cluster", "service", "task definition", "queue", "rule", "log group", "role", "secret"}
        if host.server == "dev":
            expected.discard("secret")  # authentication off: nothing to store
        assert kinds == expected, (host.name, kinds)
        assert found["pools"] == [host.server], host.name
        # every call of the host's region went out with the host's identity: assumed keys for the role hosts
        keys = {c["access_key"] for c in calls if c["region"] == host.region and c["action"] != "AssumeRole"}
        assert (keys == {"testing"}) == (not host.role_arn), (host.name, keys)
        # the Prefect side: the host's pool was written through its server's proxy only
        assert any(f"/work_pools/{host.site}" in w or w == "POST /api/work_pools/"
                   for w in prefect_writes(fleet, marks).get(host.server, [])), host.name


def test_each_worker_talks_to_its_own_server_with_its_own_credential(fleet):
    for host in fleet.hosts.values():
        ecs = fleet.client("ecs", host.region, host.account)
        worker = ecs.describe_task_definition(taskDefinition=f"{host.site}-worker")["taskDefinition"]
        container = worker["containerDefinitions"][0]
        env = {e["name"]: e["value"] for e in container["environment"]}
        assert env["PREFECT_API_URL"] == fleet.servers[host.server], host.name
        assert not {"PREFECT_API_KEY", "PREFECT_API_AUTH_STRING"} & set(env), host.name
        pool = fleet.prefect(host.server).read_pool(host.site)
        defaults = {k: v.get("default") for k, v in pool["base_job_template"]["variables"]["properties"].items()}
        execution = fleet.client("iam", host.region, host.account).list_role_policies(
            RoleName=f"{host.site}-{host.region}-execution")["PolicyNames"]
        if host.server == "dev":  # prefect_ecs_api_auth: none
            assert container.get("secrets", []) == [] and execution == []
            assert defaults["prefect_api_key_secret_arn"] is None
            assert defaults["prefect_api_auth_string_secret_arn"] is None
        else:
            secret = container["secrets"][0]
            assert secret["name"] == "PREFECT_API_AUTH_STRING" and f":{host.region}:{host.account}:" in secret["valueFrom"]
            assert defaults["prefect_api_auth_string_secret_arn"] == secret["valueFrom"]
            assert execution == ["prefect-api-secret-read"]
            value = fleet.client("secretsmanager", host.region, host.account).get_secret_value(
                SecretId=secret["valueFrom"])["SecretString"]
            assert value == fleet.auth[host.server], f"{host.name} stored another server's credential"


@pytest.mark.slow(2)
def test_the_second_run_changes_nothing(fleet, aws_proxy):
    mark, marks = aws_proxy.mark(), fleet.marks()
    result = fleet.run(SITE, "no-op")
    assert result.rc == 0, failed(result)
    assert result.changed() == 0, [t["task"] for t in result.tasks() if t.get("changed")]
    assert mutating(aws_proxy.calls(mark)) == []
    assert prefect_writes(fleet, marks) == {}


@pytest.mark.slow(1)
def test_limit_one_host_touches_only_that_hosts_objects(fleet, aws_proxy):
    host = fleet.hosts["prod-us-west-2"]
    mark, marks = aws_proxy.mark(), fleet.marks()
    result = fleet.run(SITE, "limit", args=["--limit", host.name])
    assert result.rc == 0, failed(result)
    assert {t["host"] for t in result.tasks()} == {host.name} and result.changed() == 0
    calls = aws_calls_of(aws_proxy.calls(mark))
    assert calls and {c["region"] for c in calls} == {host.region}
    # the host's assumed identity for every call but the AssumeRole itself, and no other account's ARN anywhere
    assert {c["access_key"] for c in calls if c["action"] != "AssumeRole"}.isdisjoint({"testing"})
    others = {h.account for h in fleet.hosts.values()} - {host.account}
    assert [c for c in calls if any(account in json.dumps(c["params"]) for account in others)] == []
    # the Prefect side: only the host's server was asked anything
    asked = {key: len(proxy.calls(marks[key])) for key, proxy in fleet.proxies.items()}
    assert {key for key, n in asked.items() if n} == {host.server}, asked


def test_preflight_refuses_a_host_without_region_and_hosts_that_would_manage_the_same_objects(
        fleet, aws_proxy, tmp_path, unique):
    base = {"ecs_verify_worker_timeout": 0}
    hosts = {
        "lost": {"prefect_ecs_name": f"{unique}-lost"},
        "twin-a": {"prefect_ecs_name": f"{unique}-twin", "prefect_ecs_region": "us-east-1"},
        "twin-b": {"prefect_ecs_name": f"{unique}-twin", "prefect_ecs_region": "us-east-1"},
        "pool-a": {"prefect_ecs_name": f"{unique}-pa", "prefect_ecs_region": "us-east-1",
                   "prefect_work_pools_name": f"{unique}-shared"},
        "pool-b": {"prefect_ecs_name": f"{unique}-pb", "prefect_ecs_region": "eu-west-1",
                   "prefect_work_pools_name": f"{unique}-shared"},
    }
    local = yaml.safe_load((REPO / "inventories" / "local" / "hosts.yml").read_text())["prefect_ecs"]["vars"]
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"prefect_ecs": {"hosts": hosts, "vars": {**local, **base}}}))
    env = {**fleet.env, "PREFECT_API_URL": fleet.servers["stack"]}
    mark = aws_proxy.mark()
    result = run_playbook(SITE, inventory=str(inventory), env=env)
    assert result.rc != 0
    failures = {t["host"]: t for t in result.tasks() if t.get("failed")}
    assert set(failures) == set(hosts)
    assert "host lost has no AWS region" in failures["lost"]["msg"]
    for twin in ("twin-a", "twin-b"):
        assert failures[twin]["task"].endswith("Refuse environments of this run that would manage the same objects")
        assert failures[twin]["msg"].startswith(f"hosts twin-a and twin-b would both manage the site {unique}-twin in "
                                                f"AWS account {DEFAULT_ACCOUNT} (aws), region us-east-1")
    for host in ("pool-a", "pool-b"):
        assert failures[host]["msg"].startswith(f"hosts pool-a and pool-b would both manage the work pool "
                                                f"{unique}-shared on {fleet.servers['stack']}")
    assert aws_calls_of(aws_proxy.calls(mark)) and mutating(aws_proxy.calls(mark)) == []
    # under --limit the hosts of the run are compared: twin-a alone passes the preflight (nothing else runs)
    alone = run_playbook(SITE, inventory=str(inventory), env=env, check=True,
                         args=["--limit", "twin-a", "--tags", "always"])
    assert alone.rc == 0, failed(alone)
    assert mutating(aws_proxy.calls(mark)) == []


@pytest.mark.slow(3)
def test_teardown_removes_every_object_of_every_host_also_after_an_interrupted_run(fleet, aws_proxy, tmp_path):
    down = fleet.run(TEARDOWN, "teardown")
    assert down.rc == 0, failed(down)
    for host in fleet.hosts.values():
        assert objects_anywhere(fleet, host) == {}, host.name

    # a run killed half-way: when staging's cluster exists and its log group is being created, dev and prod are
    # about as far (one task at a time for every host)
    staging = fleet.hosts["staging-eu-west-1"]
    cursor = aws_proxy.mark()
    aws_proxy.faults({"hold": {"match": {"action": "CreateLogGroup", "region": staging.region}}})
    cmd = [str(BIN / "ansible-playbook"), str(SITE), "-i", str(EXAMPLE), "-i", str(fleet.overlay)]
    held = None
    with open(tmp_path / "killed.log", "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True,
                                env=ansible_env(fleet.env, json_output=False))
    try:
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline and not held:
            new = aws_proxy.calls(cursor)
            cursor += len(new)
            held = next((c for c in new if c.get("held")), None)
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            assert kill_run(proc) == []
        proc.wait()
        aws_proxy.faults(None)
    assert held, (tmp_path / "killed.log").read_text()[-3000:]
    half = {h.name: objects_anywhere(fleet, h) for h in fleet.hosts.values()}
    assert all(half.values()), half  # every host had made something

    down = fleet.run(TEARDOWN, "teardown after kill")
    assert down.rc == 0, failed(down)
    for host in fleet.hosts.values():
        assert objects_anywhere(fleet, host) == {}, host.name
