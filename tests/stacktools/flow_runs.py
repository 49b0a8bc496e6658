"""Flow runs at scale on the local stack, with the real prefect-aws ECS worker (issue 6).

One site converged by playbooks/site.yml only; the real `prefect worker start --type ecs` for its pool,
run with the environment its task definition gives it and its own AWS access key, so that the AWS
proxy's record tells its calls (and its observer's) apart from everyone else's. Used by the
end-to-end test (small N) and by `make bench` (N=100): both call the same experiments.

Experiments:
  pinned_and_unpinned  N runs of a deployment on the pool's pinned task definition, N of one that
                       unpins it (job variable task_definition_arn: null): RegisterTaskDefinition
                       and RunTask counts, and every RunTask's cluster/network/roles/definition.
  concurrency          pool concurrency limit L < N: never more than L runs submitted at once;
                       finishing some through the API lets the next ones go out.
  crash                a STOPPED event with exit code 1 sent through EventBridge for one task: the
                       worker's observer marks that flow run Crashed.
  worker_permissions   every AWS action the worker and its observer made, checked against the
                       worker task role's policies for the resource it touched.
  burst                issue 20: N runs released at once to W worker replicas, with ECS's own limits
                       emulated by the AWS proxy (ecs_limits.py), in the cases of four_cases().
"""
from __future__ import annotations

import collections
import json
import os
import re
import shlex
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

from stacktools.ansible_run import REPO, run_playbook
from stacktools.stack import PatientPrefectAPI, ProxyControl, aws_client, stack_env
from stacktools.worker import Worker

SITE = REPO / "playbooks" / "site.yml"
TEARDOWN = REPO / "playbooks" / "teardown.yml"
SUMMARY_TASK = "Summarise what exists and what this run changed"
# The worker's own access key: moto accepts any key, the proxy records which one signed each call.
WORKER_ACCESS_KEY = "AKIAPREFECTWORKER001"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


@dataclass
class Site:
    name: str
    summary: dict
    pool: dict
    extra_vars: dict = field(default_factory=dict)

    @property
    def defaults(self) -> dict:
        props = self.pool["base_job_template"]["variables"]["properties"]
        return {k: v.get("default") for k, v in props.items()}


def converge(name: str, **extra_vars) -> Site:
    """site.yml for `name` (the local inventory's settings plus extra_vars); fails on a failed run."""
    extra = {"prefect_ecs_name": name, "ecs_verify_worker_timeout": 0, **extra_vars}
    result = run_playbook(SITE, extra_vars=extra)
    if result.rc != 0:
        raise AssertionError(f"site.yml failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    summary = result.task(SUMMARY_TASK)["ansible_facts"]["prefect_ecs_summary"]
    pool = PatientPrefectAPI().ok("GET", f"/work_pools/{name}")
    return Site(name, summary, pool, extra)


def teardown(site: Site) -> None:
    run_playbook(TEARDOWN, extra_vars={"prefect_ecs_name": site.name, **site.extra_vars})


class Harness:
    """The stack's Prefect API and AWS record, and the worker for one site's pool."""

    def __init__(self, site: Site, worker_args: list[str] | None = None):
        self.site = site
        self.api = PatientPrefectAPI()
        self.proxy = ProxyControl(stack_env()["AWS_ENDPOINT_URL"])
        self.worker = Worker(site.name, args=worker_args or [], env={
            # what the worker's task definition gives it (roles/ecs_worker_service), pointed at the stack
            "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME": f"{site.name}-events",
            "AWS_ACCESS_KEY_ID": WORKER_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": "worker-secret",
        })
        self.flow_id: str | None = None

    # -- Prefect objects -------------------------------------------------------------------------
    def deployment(self, name: str, job_variables: dict | None = None) -> str:
        if not self.flow_id:
            self.flow_id = self.api.ok("POST", "/flows/", {"name": f"{self.site.name}-scale"})["id"]
        body = {"name": name, "flow_id": self.flow_id, "work_pool_name": self.site.name,
                "entrypoint": "flows/hello.py:hello", "job_variables": job_variables or {}}
        return self.api.ok("POST", "/deployments/", body)["id"]

    def create_runs(self, deployment_id: str, n: int) -> list[str]:
        return [self.api.ok("POST", f"/deployments/{deployment_id}/create_flow_run", {})["id"] for _run in range(n)]

    def states(self, run_ids: list[str]) -> dict[str, str]:
        return {r["id"]: (r.get("state") or {}).get("type") for r in self.runs(run_ids)}

    def runs(self, run_ids: list[str]) -> list[dict]:
        out: list[dict] = []
        for start in range(0, len(run_ids), 200):  # the API's page size
            chunk = run_ids[start:start + 200]
            out += self.api.ok("POST", "/flow_runs/filter", {"flow_runs": {"id": {"any_": chunk}}, "limit": 200})
        return out

    def finish(self, run_ids: list[str], state: str = "COMPLETED") -> None:
        for run_id in run_ids:
            self.api.ok("POST", f"/flow_runs/{run_id}/set_state", {"state": {"type": state}, "force": True})

    def delete_flow(self) -> None:
        if self.flow_id:
            self.api.request("DELETE", f"/flows/{self.flow_id}")  # with its deployments and runs

    def delete_flow_named(self, name: str) -> None:
        status, flow = self.api.request("GET", f"/flows/name/{name}")
        if status == 200:
            self.api.request("DELETE", f"/flows/{flow['id']}")

    # -- the worker's AWS calls ------------------------------------------------------------------
    def worker_calls(self, since: int, action: str | None = None) -> list[dict]:
        return [c for c in self.proxy.aws_calls(since)
                if c.get("access_key") == WORKER_ACCESS_KEY and not c["fault"] and (not action or c["action"] == action)]

    def run_task_calls(self, since: int) -> list[dict]:
        return [c for c in self.worker_calls(since, "RunTask") if c["service"] == "ecs"]

    def wait(self, condition, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            if self.worker.proc and self.worker.proc.poll() is not None:
                raise AssertionError(f"worker exited with {self.worker.proc.returncode}:\n{self.worker.log()[-4000:]}")
            time.sleep(1)
        raise AssertionError(f"{what} not within {timeout:.0f}s; worker log:\n{self.worker.log()[-4000:]}")


def pinned_and_unpinned(h: Harness, n: int, timeout: float = 600) -> dict:
    """N runs on the pinned pool default, N with the pin removed; counts of the worker's calls."""
    pinned_arn = h.site.defaults.get("task_definition_arn")
    out = {"flow_runs": n, "pinned_task_definition": pinned_arn}
    for label, job_variables in (("pinned", {}), ("unpinned", {"task_definition_arn": None})):
        deployment = h.deployment(f"scale-{label}", job_variables)
        since = h.proxy.mark()
        runs = h.create_runs(deployment, n)
        # every run is submitted (moto's tasks never start: a run stays Pending once its RunTask went
        # out); unpinned (a null job variable) the worker registers a definition and then fails the run on its
        # "Task definition ARN mismatch: None != ..." assertion: the run ends Crashed; burst() unpins at the pool
        h.wait(lambda: all(s in FINAL | {"PENDING"} for s in h.states(runs).values())
               and len(h.worker_calls(since, "RunTask")) + sum(s == "CRASHED" for s in h.states(runs).values()) >= n,
               timeout, f"{n} {label} runs submitted")
        out[f"register_task_definition_{label}"] = len(h.worker_calls(since, "RegisterTaskDefinition"))
        out[f"run_task_{label}"] = len(h.run_task_calls(since))
        if label == "pinned":
            out["run_task"] = out["run_task_pinned"]
            out["run_task_calls"] = h.run_task_calls(since)
        h.finish([r for r, s in h.states(runs).items() if s not in FINAL])
    return out


# -- issue 20: a burst of runs, several worker replicas, ECS's own limits ---------------------------

@dataclass
class Case:
    """One row of the burst table: what the runs' deployment and the W workers are given."""
    label: str
    pinned: bool
    worker_env: dict = field(default_factory=dict)
    worker_args: list = field(default_factory=list)


def site_worker(site: Site) -> tuple[dict, list[str]]:
    """The environment and `prefect worker start` options of the site's worker task definition (what its ECS
    service runs), for workers started here: minus what points at AWS rather than the stack (PREFECT_API_URL, the
    credential secret), EXTRA_PIP_PACKAGES (installed here already) and --with-healthcheck (its fixed port 8080
    would collide between replicas on one machine)."""
    ecs = aws_client("ecs", direct=True)
    td = ecs.describe_task_definition(taskDefinition=site.summary["worker_task_definition"])["taskDefinition"]
    container = td["containerDefinitions"][0]
    env = {e["name"]: e["value"] for e in container.get("environment", [])
           if e["name"] not in ("PREFECT_API_URL", "EXTRA_PIP_PACKAGES")}
    command = container.get("command") or []
    if len(command) == 3 and command[:2] in (["/bin/sh", "-c"], ["sh", "-c"]):
        command = shlex.split(command[2])
    args, skip = [], {"prefect", "worker", "start", "--with-healthcheck"}
    i = 0
    while i < len(command):
        if command[i] in ("--pool", "--type", "-p", "-t"):
            i += 2
            continue
        if command[i] not in skip:
            args.append(command[i])
        i += 1
    return env, args


class Finisher(threading.Thread):
    """Completes every submitted run (one with an infrastructure_pid) of `run_ids`, as its flow would: a pool
    concurrency limit then lets the next runs out. Records when each run was seen submitted."""

    def __init__(self, h: Harness, run_ids: list[str], interval: float = 1.0):
        super().__init__(daemon=True)
        self.h, self.run_ids, self.interval = h, run_ids, interval
        self.submitted: dict[str, str] = {}
        self.final: dict[str, str] = {}
        self.reasons: dict[str, str] = {}  # the state message of a run that ended Crashed or Failed
        self.stop_event = threading.Event()

    def poll(self) -> None:
        for run in self.h.runs([r for r in self.run_ids if r not in self.final]):
            state = (run.get("state") or {}).get("type")
            if run.get("infrastructure_pid"):
                self.submitted.setdefault(run["id"], run["infrastructure_pid"])
            if state in FINAL:
                self.final[run["id"]] = state
                if state in ("CRASHED", "FAILED"):
                    message = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-f]{6,}", "<id>", run["state"].get("message") or "")
                    self.reasons[run["id"]] = message[:120]
            elif run["id"] in self.submitted:
                self.h.api.ok("POST", f"/flow_runs/{run['id']}/set_state", {"state": {"type": "COMPLETED"}, "force": True})
                self.final[run["id"]] = "COMPLETED"

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.poll()
            except Exception:  # pylint: disable=broad-except  # keep polling through a busy server's errors
                pass
            self.stop_event.wait(self.interval)

    def done(self) -> bool:
        return len(self.final) == len(self.run_ids)


def burst(site: Site, case: Case, n: int, replicas: int, limits: dict, timeout: float = 900) -> dict:
    """N runs released at once (the pool is paused while they are created) to W worker replicas, with the AWS
    proxy emulating ECS's limits `limits` (ecs_limits.py) for every caller together."""
    h = Harness(site)
    api = h.api
    pool = api.ok("GET", f"/work_pools/{site.name}")
    pool_limit = pool.get("concurrency_limit")
    if not case.pinned:
        # Unpinned as a pool made by Prefect's guide is: no task_definition_arn default in its template. (A deployment
        # job variable task_definition_arn=null is not the same: prefect-aws 0.7.12 then fails every submission on
        # its "Task definition ARN mismatch: None != ..." assertion, whatever ECS answers.)
        template = json.loads(json.dumps(pool["base_job_template"]))
        template["variables"]["properties"]["task_definition_arn"].pop("default", None)
        api.ok("PATCH", f"/work_pools/{site.name}", {"base_job_template": template})
    deployment = h.deployment(f"burst-{case.label}-{uuid.uuid4().hex[:4]}", {})
    # The local server is SQLite: under a burst of 200 runs it answers some writes 503 for longer than the Prefect
    # client's 5 retries (observed: runs Crashed with "Failed to submit flow run to infrastructure: ... 503"). Every
    # case's workers get more retries, so that what crashes a run here is ECS's limits, not the stand-in server.
    workers = [Worker(site.name, args=case.worker_args,
                      env={**h.worker.extra_env, "PREFECT_CLIENT_MAX_RETRIES": "10", **case.worker_env})
               for _w in range(replicas)]
    ecs = aws_client("ecs", direct=True)
    finisher = None
    api.ok("PATCH", f"/work_pools/{site.name}", {"is_paused": True})
    try:
        runs = h.create_runs(deployment, n)  # before the workers poll: a busy SQLite server answers 503
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.wait_online(timeout=180)
        h.proxy.faults({"ecs_limits": limits, "moto_container_memory": 512})
        since = h.proxy.mark()
        finisher = Finisher(h, runs)
        started = time.time()
        api.ok("PATCH", f"/work_pools/{site.name}", {"is_paused": False})
        finisher.start()
        deadline = time.monotonic() + timeout
        while not finisher.done() and time.monotonic() < deadline:
            dead = [w for w in workers if w.proc and w.proc.poll() is not None]
            if dead:
                raise AssertionError(f"worker exited with {dead[0].proc.returncode}:\n{dead[0].log()[-4000:]}")
            time.sleep(2)
        finisher.stop_event.set()
        finisher.join(10)
        finisher.poll()
    finally:
        if finisher:
            finisher.stop_event.set()
        h.proxy.faults({})
        for worker in workers:
            worker.stop()
        restore = {"is_paused": False} | ({} if case.pinned else {"base_job_template": pool["base_job_template"]})
        api.request("PATCH", f"/work_pools/{site.name}", restore)
        _stop_all_tasks(ecs, site.summary["cluster"])
    calls = [c for c in h.proxy.aws_calls(since) if c.get("access_key") == WORKER_ACCESS_KEY]
    register = [c for c in calls if c["action"] == "RegisterTaskDefinition"]
    run_task = [c for c in calls if c["action"] == "RunTask" and c["service"] == "ecs"]
    ran = [c for c in run_task if not c["fault"] and c["status"] < 400]
    states = {r: finisher.final.get(r) for r in runs}
    last = max((c["ts"] for c in ran), default=started)
    submitted = len(finisher.submitted)
    seconds = max(last - started, 0.001)
    return {
        "case": case.label, "flow_runs": n, "replicas": replicas, "pinned": case.pinned, "pool_limit": pool_limit,
        "worker_args": " ".join(case.worker_args),
        "worker_env": {k: v for k, v in case.worker_env.items() if k.startswith(("AWS_", "PREFECT_INTEGRATIONS_AWS_ECS_WORKER"))},
        "register_calls": len(register),
        "register_rejected": sum(c.get("limit") == "ClientException" for c in register),
        "run_task_calls": len(run_task),
        "run_task_throttled": sum(c.get("limit") == "ThrottlingException" for c in run_task),
        "crashed_or_failed": sum(s in ("CRASHED", "FAILED") for s in states.values()),
        "not_finished": sum(s is None for s in states.values()),
        "submitted": submitted,
        "crash_reasons": dict(collections.Counter(finisher.reasons.values()).most_common(3)),
        "submission_s": round(seconds, 1),
        "runs_per_minute": round(submitted / seconds * 60, 1),
    }


def _stop_all_tasks(ecs, cluster: str) -> None:
    """moto keeps RunTask's tasks RUNNING; they would block the cluster's deletion in teardown."""
    for status in ("RUNNING", "PENDING"):
        for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus=status):
            for arn in page["taskArns"]:
                ecs.stop_task(cluster=cluster, task=arn, reason="burst experiment done")


def four_cases(name: str, n: int, replicas: int, limits: dict, site_limits: dict, timeout: float = 900) -> list[dict]:
    """Issue 20's table: the same burst in four cases, on one site converged by site.yml.

    1. unpinned, no limits: the pool without its pinned task_definition_arn default; a plain `prefect worker start`;
    2. pinned, no limits: the site's pinned definition; the same plain workers;
    3. pinned with limits: site.yml with a pool concurrency limit and a worker --limit (`site_limits`), workers
       started as the site's worker task definition says;
    4. the site's defaults: site.yml's defaults, workers as its worker task definition says.
    A plain worker gets only what it cannot run without (the observer's queue, its AWS key)."""
    site = converge(name, ecs_iam_flow_run_task_role_create=True)
    rows: dict[str, dict] = {}
    try:
        rows["unpinned, no limits"] = burst(site, Case("unpinned, no limits", pinned=False), n, replicas, limits, timeout)
        rows["pinned, no limits"] = burst(site, Case("pinned, no limits", pinned=True), n, replicas, limits, timeout)
        env, args = site_worker(site)
        rows["site defaults"] = burst(site, Case("site defaults", True, env, args), n, replicas, limits, timeout)
        limited = converge(name, ecs_iam_flow_run_task_role_create=True, **site_limits)
        env, args = site_worker(limited)
        rows["pinned, site limits"] = burst(limited, Case("pinned, site limits", True, env, args), n, replicas, limits,
                                            timeout)
    finally:
        Harness(site).delete_flow_named(f"{name}-scale")
        teardown(site)
    return [rows[k] for k in ("unpinned, no limits", "pinned, no limits", "pinned, site limits", "site defaults")
            if k in rows]


def run_task_mismatches(site: Site, calls: list[dict]) -> list[str]:
    """What in each RunTask differs from the site's cluster, network, task role and pinned definition."""
    d, problems = site.defaults, []
    network = {"awsvpcConfiguration": d["network_configuration"]}
    for call in calls:
        p = call["params"]
        checks = {
            "cluster": (p.get("cluster"), site.summary["cluster"]),
            "networkConfiguration": (p.get("networkConfiguration"), network),
            "taskDefinition": (p.get("taskDefinition"), d.get("task_definition_arn")),
            "overrides.taskRoleArn": ((p.get("overrides") or {}).get("taskRoleArn"), d.get("task_role_arn")),
        }
        problems += [f"RunTask {k}: {got!r} != {want!r}" for k, (got, want) in checks.items() if got != want]
    return problems


def concurrency(h: Harness, n: int, limit: int, settle: float = 15, timeout: float = 300) -> dict:
    """Pool limit L < N: at most L submitted at once; finishing runs lets the next ones out."""
    deployment = h.deployment("scale-limited")
    since = h.proxy.mark()
    runs = h.create_runs(deployment, n)
    freed: list[str] = []
    max_in_flight = 0
    while len(freed) < n:
        h.wait(lambda: len(h.run_task_calls(since)) >= min(n, len(freed) + limit), timeout, "the next runs submitted")
        time.sleep(settle)  # give the worker time to (wrongly) submit more than the limit
        in_flight = len(h.run_task_calls(since)) - len(freed)
        max_in_flight = max(max_in_flight, in_flight)
        states = h.states(runs)
        pending = [r for r in runs if states[r] == "PENDING" and r not in freed]
        if not pending:
            break
        batch = pending[: max(1, limit // 2)]
        h.finish(batch)
        freed += batch
    h.finish([r for r, s in h.states(runs).items() if s not in FINAL])
    return {"concurrency_limit": limit, "max_in_flight": max_in_flight, "limited_runs": n,
            "limited_run_task": len(h.run_task_calls(since))}


def crash(h: Harness, timeout: float = 120) -> dict:
    """A synthetic STOPPED event (exit code 1) for one submitted task: the observer marks it Crashed."""
    deployment = h.deployment("scale-crash")
    since = h.proxy.mark()
    (run_id,) = h.create_runs(deployment, 1)
    h.wait(lambda: h.run_task_calls(since), timeout, "the crash run submitted")
    ecs = aws_client("ecs", direct=True)
    cluster = h.site.summary["cluster"]
    task_arns = ecs.list_tasks(cluster=cluster)["taskArns"]
    tasks = ecs.describe_tasks(cluster=cluster, tasks=task_arns, include=["TAGS"])["tasks"] if task_arns else []
    task = next(t for t in tasks if {x["key"]: x["value"] for x in t.get("tags", [])}.get("prefect.io/flow-run-id") == run_id)
    detail = {"clusterArn": cluster, "taskArn": task["taskArn"], "taskDefinitionArn": task["taskDefinitionArn"],
              "lastStatus": "STOPPED", "desiredStatus": "STOPPED", "stopCode": "EssentialContainerExited",
              "stoppedReason": "Essential container in task exited",
              "containers": [{"name": "prefect", "exitCode": 1, "lastStatus": "STOPPED", "taskArn": task["taskArn"]}]}
    entry = {"Source": "aws.ecs", "DetailType": "ECS Task State Change", "Detail": json.dumps(detail),
             "Resources": [task["taskArn"]]}
    failed = aws_client("events").put_events(Entries=[entry])["FailedEntryCount"]
    try:
        h.wait(lambda: h.states([run_id])[run_id] == "CRASHED", timeout, "the observer marking the run Crashed")
        crashed = True
    except AssertionError:
        crashed = False
    h.finish([r for r, s in h.states([run_id]).items() if s not in FINAL])
    return {"observer_marked_crashed": crashed and failed == 0, "crash_flow_run": run_id}


# -- least privilege that is also sufficient ---------------------------------------------------

def _queue_arn(site: Site, params: dict) -> str:
    name = params.get("QueueName") or urllib.parse.urlsplit(params.get("QueueUrl", "")).path.rsplit("/", 1)[-1]
    prefix = site.summary["events_queue"].rsplit(":", 1)[0]
    return f"{prefix}:{name}"


def _task_arn(site: Site, task: str, cluster: str | None) -> str:
    if task.startswith("arn:"):
        return task
    cluster_name = (cluster or site.summary["cluster"]).rsplit("/", 1)[-1]
    return site.summary["cluster"].split(":cluster/")[0] + f":task/{cluster_name}/{task}"


def _task_definition_arn(site: Site, ref: str) -> str:
    return ref if ref.startswith("arn:") else site.summary["cluster"].split(":cluster/")[0] + f":task-definition/{ref}"


def requirements(site: Site, calls: list[dict]) -> list[dict]:
    """(action, resource) pairs IAM authorises for the recorded calls, including the implicit ones
    (iam:PassRole for the roles a RunTask passes, ecs:TagResource for tags on create)."""
    ecs = aws_client("ecs", direct=True)
    needed: list[dict] = []

    def need(action, resource, call):
        needed.append({"action": action, "resource": resource, "call": f"{call['service']}:{call['action']}"})

    for call in calls:
        svc, act, p = call["service"], call["action"], call.get("params") or {}
        action = f"{svc}:{act}"
        if svc == "sts" and act == "GetCallerIdentity":
            continue  # needs no permission
        if svc == "sqs":
            need(action, _queue_arn(site, p), call)
        elif action in ("ecs:DescribeTasks", "ecs:StopTask"):
            for task in p.get("tasks") or [p.get("task")]:
                need(action, _task_arn(site, task, p.get("cluster")), call)
        elif action == "ecs:RunTask":
            td_arn = _task_definition_arn(site, p["taskDefinition"])
            need(action, td_arn, call)
            if p.get("tags"):
                need("ecs:TagResource", _task_arn(site, "00000000000000000000000000000000", p.get("cluster")), call)
            td = ecs.describe_task_definition(taskDefinition=td_arn)["taskDefinition"]
            overrides = p.get("overrides") or {}
            for role in {td.get("executionRoleArn"), td.get("taskRoleArn"),
                         overrides.get("taskRoleArn"), overrides.get("executionRoleArn")} - {None, ""}:
                need("iam:PassRole", role, call)
        elif action == "ecs:RegisterTaskDefinition":
            need(action, "*", call)
            if p.get("tags"):
                need("ecs:TagResource", _task_definition_arn(site, f"{p['family']}:1"), call)
            for role in {p.get("executionRoleArn"), p.get("taskRoleArn")} - {None, ""}:
                need("iam:PassRole", role, call)
        elif action in ("ecs:DescribeTaskDefinition", "ecs:DeregisterTaskDefinition", "ec2:DescribeSubnets",
                        "ec2:DescribeVpcs", "ec2:DescribeSecurityGroups"):
            need(action, "*", call)
        elif action == "logs:GetLogEvents":
            arn = site.summary["cluster"].split(":ecs:")[0] + ":logs:" + site.summary["cluster"].split(":")[3] + ":" \
                + site.summary["cluster"].split(":")[4] + f":log-group:{p['logGroupName']}:log-stream:{p['logStreamName']}"
            need(action, arn, call)
        else:
            need(action, "unknown: no resource mapping for this action (add one)", call)
    return needed


def worker_actions_not_allowed(h: Harness, since: int = 0) -> list[str]:
    """The worker's recorded actions its task role's policies do not allow, as 'action on resource'."""
    from ansible_collections.prefect_ops.ecs.plugins.module_utils.iam_policy import not_allowed  # pylint: disable=import-outside-toplevel

    iam = aws_client("iam", direct=True)
    role = h.site.summary["worker_task_role"].rsplit("/", 1)[-1]
    documents = [iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
                 for name in iam.list_role_policies(RoleName=role)["PolicyNames"]]
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        documents.append(iam.get_policy_version(PolicyArn=attached["PolicyArn"],
                                                VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"])
    needed = requirements(h.site, h.worker_calls(since))
    missing = not_allowed(documents, [{"action": r["action"], "resource": r["resource"]} for r in needed])
    return sorted({f"{m['action']} on {m['resource']}" for m in missing})


def worker_actions(h: Harness, since: int = 0) -> list[str]:
    return sorted({f"{c['service']}:{c['action']}" for c in h.worker_calls(since)})


def unique_site(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def bench_out_path() -> str:
    return os.environ.get("BENCH_OUT") or str(REPO / ".bench" / "results.json")
