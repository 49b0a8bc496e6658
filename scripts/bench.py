#!/usr/bin/env python
"""make bench: figures measured in one run on the local stack, written as JSON to $BENCH_OUT
(default .bench/results.json). Each benchmark updates its own keys and keeps the keys others wrote.

Flow runs at scale (issue 6): a site converged by playbooks/site.yml only, the real prefect-aws ECS
worker, N flow runs (BENCH_FLOW_RUNS, default 100) on the pinned flow-run task definition and N with
the pin removed; a pool concurrency limit L (BENCH_CONCURRENCY_LIMIT, default 10); a synthetic STOPPED
event; the worker's recorded AWS actions checked against its task role.

site.yml against the baseline (issue 8): wall time of a cold converge, a no-op re-run and a check run of
playbooks/site.yml and of benchmarks/baseline/site.yml (the same AWS objects and work pool, stock modules, one
task per object), the AWS calls of each (the recording proxy), and the objects the site manages, counted in
AWS by identity. The no-ops run in BENCH_PAIRS (default 3) turns of site, baseline and site under Mitogen's
mitogen_linear strategy; figures are medians, ratios the medians of each turn's ratio (mitogen_noop_ratio: over the
baseline's default-strategy no-op).

A burst of flow runs against ECS's own limits (issue 20, part of flow-runs; `make bench BENCH=burst` alone): N runs
(BENCH_BURST_RUNS, default 200) released at once to W worker replicas (BENCH_WORKER_REPLICAS, default 3) while the AWS
proxy emulates ECS's per-family RegisterTaskDefinition concurrency and a RunTask token bucket (BENCH_RUN_TASK_BURST /
BENCH_RUN_TASK_RATE, default 5 / 2 per second: AWS's 20 / 20 scaled down to this machine's submission speed; a
registration holds its family BENCH_REGISTER_LATENCY seconds, default 0.5), in four cases: unpinned without limits,
pinned without limits, pinned with the site's limits (pool concurrency limit BENCH_BURST_POOL_LIMIT, default 20, and
worker --limit BENCH_BURST_WORKER_LIMIT, default 10) and the site's defaults.

A fleet of environments (issue 16, `make bench BENCH=fleet`, not in the default): the no-op of N = 1, 4 and 8
environments (BENCH_FLEET_SIZES) as inventory hosts in one site.yml run, with the forks used: wall and CPU time,
the cost per environment and the ratio of the largest fleet to the smallest.

    python scripts/bench.py [site] [flow-runs] [burst] [fleet]      (default: site and flow-runs, which includes burst)
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from stacktools import flow_runs as fr  # noqa: E402  pylint: disable=wrong-import-position
from stacktools.ansible_run import REPO, mitogen_env, run_playbook  # noqa: E402  pylint: disable=wrong-import-position
from stacktools.stack import PatientPrefectAPI, ProxyControl, aws_client, stack_env  # noqa: E402  pylint: disable=wrong-import-position

BASELINE = REPO / "benchmarks" / "baseline"
# Actions that run on the controller only (no module process, no API call).
CONTROLLER_ONLY = {"ansible.builtin.set_fact", "set_fact", "ansible.builtin.assert", "assert", "ansible.builtin.debug",
                   "debug", "ansible.builtin.include_role", "include_role", "ansible.builtin.include_tasks",
                   "include_tasks", "ansible.builtin.validate_argument_spec", "validate_argument_spec",
                   "ansible.builtin.meta", "meta",
                   # its STS call is made on the controller; its result (module_runs 0) is hidden by no_log
                   "prefect_ops.ecs.site_context"}


def module_runs(task: dict) -> int:
    """Module processes a task started: one per loop item; an action of this collection that runs modules itself
    (preflight, ecs_verify) or none (site_context's STS call and site_summary run on the controller) says how many."""
    if isinstance(task.get("module_runs"), int):
        return task["module_runs"]
    return len(task.get("results") or [task])


def write(figures: dict) -> Path:
    path = Path(fr.bench_out_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(figures)
    path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    return path


def flow_runs_at_scale(n: int, limit: int) -> dict:
    started = time.monotonic()
    site = fr.converge(fr.unique_site("bench-scale"), ecs_iam_flow_run_task_role_create=True)
    h = fr.Harness(site)
    mark = h.proxy.mark()
    try:
        with h.worker:
            h.worker.wait_online()
            scale = fr.pinned_and_unpinned(h, n, timeout=1800)
            mismatches = fr.run_task_mismatches(site, scale.pop("run_task_calls"))
            crash = fr.crash(h)
            fr.converge(site.name, ecs_iam_flow_run_task_role_create=True, prefect_work_pools_concurrency_limit=limit)
            limited = fr.concurrency(h, n, limit, settle=10, timeout=1800)
            not_allowed = fr.worker_actions_not_allowed(h, mark)
            actions = fr.worker_actions(h, mark)
    finally:
        h.delete_flow()
        fr.teardown(site)
    return {
        "flow_runs": n,
        "register_task_definition_pinned": scale["register_task_definition_pinned"],
        "register_task_definition_unpinned": scale["register_task_definition_unpinned"],
        "run_task": scale["run_task"],
        "run_task_mismatches": mismatches,
        "concurrency_limit": limited["concurrency_limit"],
        "max_in_flight": limited["max_in_flight"],
        "observer_marked_crashed": crash["observer_marked_crashed"],
        "worker_actions": actions,
        "worker_actions_not_allowed": not_allowed,
        "flow_runs_bench_s": round(time.monotonic() - started, 1),
    }


def managed_resources(name: str) -> dict:
    """The AWS objects of a site (site.yml's names, which the baseline copies), each identity counted once,
    read straight from moto (not through the recording proxy)."""
    def c(service):
        return aws_client(service, direct=True)
    iam, sqs, events, ecs = c("iam"), c("sqs"), c("events"), c("ecs")
    counts = dict.fromkeys(["role", "inline policy", "attachment", "queue", "queue policy", "rule", "target", "secret",
                            "log group", "cluster", "task definition", "service", "repository"], 0)
    for role in iam.list_roles()["Roles"]:
        if role["RoleName"].startswith(f"{name}-"):
            counts["role"] += 1
            counts["inline policy"] += len(iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"])
            counts["attachment"] += len(iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"])
    for url in sqs.list_queues(QueueNamePrefix=f"{name}-").get("QueueUrls", []):
        counts["queue"] += 1
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})
        counts["queue policy"] += 1 if attrs.get("Policy") else 0
    for rule in events.list_rules(NamePrefix=f"{name}-")["Rules"]:
        counts["rule"] += 1
        counts["target"] += len(events.list_targets_by_rule(Rule=rule["Name"])["Targets"])
    counts["secret"] = sum(1 for s in c("secretsmanager").list_secrets()["SecretList"]
                           if s["Name"].startswith(f"prefect-ops/{name}/"))
    counts["log group"] = len(c("logs").describe_log_groups(logGroupNamePrefix=f"/prefect/{name}/")["logGroups"])
    counts["cluster"] = sum(1 for cl in ecs.describe_clusters(clusters=[name])["clusters"] if cl["status"] == "ACTIVE")
    for family in ecs.list_task_definition_families(familyPrefix=f"{name}-", status="ACTIVE")["families"]:
        counts["task definition"] += len(ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"])
    if counts["cluster"]:
        counts["service"] = len(ecs.list_services(cluster=name)["serviceArns"])
    counts["repository"] = sum(1 for r in c("ecr").describe_repositories()["repositories"]
                               if r["repositoryName"].startswith(f"{name}/"))
    return counts


def timed_run(proxy: ProxyControl, playbook, *, check: bool = False, **kwargs) -> dict:
    mark = proxy.mark()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = run_playbook(playbook, check=check, **kwargs)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU time of ansible-playbook, its workers and every module process (all waited for: no async)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.rc != 0:
        raise AssertionError(f"{playbook} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    tasks = [t for t in result.tasks() if not t.get("skipped")]
    return {"s": round(wall, 1), "cpu_s": round(cpu, 1), "changed": result.changed(),
            "aws_calls": len(proxy.aws_calls(mark)),
            "mutating": [f"{m['service']}:{m['action']}" for m in proxy.mutating(mark)], "tasks": len(tasks),
            "module_runs": sum(module_runs(t) for t in tasks if t.get("action") not in CONTROLLER_ONLY)}


PAIRS = int(os.environ.get("BENCH_PAIRS", "3"))


def median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def median_run(runs: list[dict]) -> dict:
    """The median of each number of the runs; the lists (mutating calls) of all runs together (any counts)."""
    out = {}
    for key, value in runs[0].items():
        if isinstance(value, list):
            out[key] = [item for run in runs for item in run[key]]
        else:
            out[key] = round(median(run[key] for run in runs), 1)
    out["changed"] = max(run["changed"] for run in runs)
    return out


def site_vs_baseline() -> dict:
    """Cold, no-op and check runs of site.yml and of the baseline, on fresh names, in one run of the stack."""
    proxy = ProxyControl(stack_env()["AWS_ENDPOINT_URL"])
    tag = uuid.uuid4().hex[:5]
    site, base = f"bs-{tag}", f"bb-{tag}"
    # The baseline makes the AWS objects and the one ECS pool: site.yml without the inventory's extra pool and
    # example deployment (Prefect objects only; the ECR repository is in both).
    site_vars = {"prefect_ecs_name": site, "ecs_verify_worker_timeout": 0, "prefect_work_pools_extra": [],
                 "prefect_deployments_list": []}
    base_args = {"inventory": "localhost,", "args": ["-c", "local"], "extra_vars": {"baseline_name": base}}
    runs = {}
    try:
        for label, playbook, kwargs in (("site", fr.SITE, {"extra_vars": site_vars}),
                                        ("baseline", BASELINE / "site.yml", base_args)):
            runs[label] = {"cold": timed_run(proxy, playbook, **kwargs),
                           "check": timed_run(proxy, playbook, check=True, **kwargs)}
        # The no-ops, PAIRS times in turns (site, baseline, site under Mitogen's mitogen_linear strategy: README,
        # "Faster runs with Mitogen"), so that a slow minute of the machine weighs on all three alike; each figure is
        # the median of its runs, each ratio the median of the ratios of one turn's runs.
        turns = [{"site": timed_run(proxy, fr.SITE, extra_vars=site_vars),
                  "baseline": timed_run(proxy, BASELINE / "site.yml", **base_args),
                  "mitogen": timed_run(proxy, fr.SITE, extra_vars=site_vars, env=mitogen_env())} for turn in range(PAIRS)]
        runs["site"]["noop"] = median_run([t["site"] for t in turns])
        runs["baseline"]["noop"] = median_run([t["baseline"] for t in turns])
        runs["site"]["noop_mitogen"] = median_run([t["mitogen"] for t in turns])
        ratios = {"noop": median(t["site"]["s"] / t["baseline"]["s"] for t in turns),
                  "mitogen": median(t["mitogen"]["s"] / t["baseline"]["s"] for t in turns)}
        resources = managed_resources(site)
        baseline_resources = managed_resources(base)
    finally:
        run_playbook(fr.TEARDOWN, extra_vars=site_vars)
        run_playbook(BASELINE / "teardown.yml", **base_args)
        PatientPrefectAPI().delete_pool(base)
    managed = sum(resources.values())
    s, b = runs["site"], runs["baseline"]
    cpus = len(os.sched_getaffinity(0))
    return {
        "site_cold_s": s["cold"]["s"], "site_noop_s": s["noop"]["s"], "site_check_s": s["check"]["s"],
        "baseline_cold_s": b["cold"]["s"], "baseline_noop_s": b["noop"]["s"], "baseline_check_s": b["check"]["s"],
        "noop_pairs": PAIRS, "noop_ratio": round(ratios["noop"], 2),
        # the site's no-op under mitogen_linear over the baseline's under the default strategy
        "site_noop_mitogen_s": s["noop_mitogen"]["s"], "site_noop_mitogen_cpu_s": s["noop_mitogen"]["cpu_s"],
        "mitogen_noop_ratio": round(ratios["mitogen"], 2),
        "site_changed_noop_mitogen": s["noop_mitogen"]["changed"],
        "mutating_calls_noop_mitogen": len(s["noop_mitogen"]["mutating"]),
        # CPU-seconds of each no-op (the runs are CPU-bound here) and the ratio a perfectly parallel run of the
        # same work on all `cpus` would reach: the floor no scheduling change can beat on this machine.
        "cpus": cpus, "site_noop_cpu_s": s["noop"]["cpu_s"], "baseline_noop_cpu_s": b["noop"]["cpu_s"],
        "noop_ratio_floor": round(s["noop"]["cpu_s"] / cpus / b["noop"]["s"], 2),
        "cold_ratio": round(s["cold"]["s"] / b["cold"]["s"], 2),
        "check_ratio": round(s["check"]["s"] / b["check"]["s"], 2),
        "managed_resources": managed, "managed_resources_by_kind": resources,
        "baseline_managed_resources_by_kind": baseline_resources,
        "aws_calls_noop": s["noop"]["aws_calls"], "baseline_aws_calls_noop": b["noop"]["aws_calls"],
        "aws_calls_per_resource_noop": round(s["noop"]["aws_calls"] / managed, 2),
        "aws_calls_cold": s["cold"]["aws_calls"], "baseline_aws_calls_cold": b["cold"]["aws_calls"],
        "mutating_calls_noop": len(s["noop"]["mutating"]), "mutating_calls_check": len(s["check"]["mutating"]),
        "baseline_mutating_calls_noop": b["noop"]["mutating"], "baseline_mutating_calls_check": b["check"]["mutating"],
        "site_changed_noop": s["noop"]["changed"], "baseline_changed_noop": b["noop"]["changed"],
        "site_tasks_noop": s["noop"]["tasks"], "baseline_tasks_noop": b["noop"]["tasks"],
        "site_module_runs_noop": s["noop"]["module_runs"], "baseline_module_runs_noop": b["noop"]["module_runs"],
    }


def print_table(title: str, figures: dict) -> None:
    width = max(len(k) for k in figures)
    print(f"\n{title}")
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")


def bench_site() -> bool:
    figures = site_vs_baseline()
    write(figures)
    print_table(f"site.yml against the stock-module baseline (local stack; no-ops: medians of {PAIRS} turns)", figures)
    print(f"\n  no-op: site {figures['site_noop_s']} s vs baseline {figures['baseline_noop_s']} s "
          f"= {figures['noop_ratio']}x (target <= 1.0x; the floor of this work on {figures['cpus']} CPUs: "
          f"{figures['noop_ratio_floor']}x, {figures['site_noop_cpu_s']} CPU-s vs {figures['baseline_noop_cpu_s']}); "
          f"AWS calls {figures['aws_calls_noop']} vs "
          f"{figures['baseline_aws_calls_noop']}; mutating no-op/check {figures['mutating_calls_noop']}/"
          f"{figures['mutating_calls_check']}")
    print(f"  no-op under mitogen_linear: {figures['site_noop_mitogen_s']} s = {figures['mitogen_noop_ratio']}x the "
          f"baseline's default-strategy no-op (target <= 0.6x)")
    print(f"  no-op tasks executed {figures['site_tasks_noop']} (target <= 25), module runs "
          f"{figures['site_module_runs_noop']} (target <= 14), AWS calls {figures['aws_calls_noop']} (target <= 41)")
    return (figures["mutating_calls_noop"] == 0 and figures["mutating_calls_check"] == 0
            and figures["site_changed_noop"] == 0 and figures["site_changed_noop_mitogen"] == 0
            and figures["mutating_calls_noop_mitogen"] == 0)


def fleet_inventory(path: Path, sites: list[str]) -> Path:
    """The local inventory's settings with one host per site (an environment each, all on the emulator's network)."""
    import yaml  # pylint: disable=import-outside-toplevel

    local = yaml.safe_load((REPO / "inventories" / "local" / "hosts.yml").read_text())["prefect_ecs"]["vars"]
    for key in ("prefect_deployments_ecr_repositories", "prefect_deployments_list", "prefect_work_pools_extra"):
        local.pop(key, None)
    hosts = {f"env-{i:02d}": {"prefect_ecs_name": site} for i, site in enumerate(sites, 1)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"prefect_ecs": {"hosts": hosts, "vars": {**local, "ecs_verify_worker_timeout": 0}}}))
    return path


def fleet_noop(sizes: list[int]) -> dict:
    """The no-op of a fleet of N environments (inventory hosts) in one site.yml run, for each N: converged once with
    the largest N, then one no-op run per N (--limit to the first N hosts), then torn down."""
    proxy = ProxyControl(stack_env()["AWS_ENDPOINT_URL"])
    tag = uuid.uuid4().hex[:5]
    largest = max(sizes)
    sites = [f"bf-{tag}-{i:02d}" for i in range(1, largest + 1)]
    inventory = str(fleet_inventory(REPO / ".bench" / f"fleet-{tag}.yml", sites))
    forks = max(largest, 10)
    args = ["--forks", str(forks)]
    figures = {"fleet_sizes": sizes, "fleet_forks": forks, "fleet_cpus": len(os.sched_getaffinity(0))}
    try:
        cold = timed_run(proxy, fr.SITE, inventory=inventory, args=args)
        figures["fleet_cold_s"] = {str(largest): cold["s"]}
        runs = {}
        for n in sizes:
            limit = ",".join(f"env-{i:02d}" for i in range(1, n + 1))
            runs[n] = timed_run(proxy, fr.SITE, inventory=inventory, args=[*args, "--limit", limit])
    finally:
        run_playbook(fr.TEARDOWN, inventory=inventory, args=args)
    figures.update({
        "fleet_noop_s": {str(n): r["s"] for n, r in runs.items()},
        "fleet_noop_s_per_env": {str(n): round(r["s"] / n, 1) for n, r in runs.items()},
        "fleet_noop_cpu_s": {str(n): r["cpu_s"] for n, r in runs.items()},
        "fleet_aws_calls_noop": {str(n): r["aws_calls"] for n, r in runs.items()},
        "fleet_mutating_calls_noop": {str(n): len(r["mutating"]) for n, r in runs.items()},
        "fleet_changed_noop": {str(n): r["changed"] for n, r in runs.items()},
    })
    smallest = min(sizes)
    figures[f"fleet_noop_ratio_{largest}_to_{smallest}"] = round(runs[largest]["s"] / runs[smallest]["s"], 2)
    return figures


def bench_fleet() -> bool:
    sizes = sorted({int(n) for n in os.environ.get("BENCH_FLEET_SIZES", "1,4,8").split(",")})
    figures = fleet_noop(sizes)
    write(figures)
    print_table("a fleet of environments in one site.yml run: the no-op (local stack, one run)", figures)
    largest, smallest = max(sizes), min(sizes)
    print(f"\n  no-op of {largest} environments in one run: {figures['fleet_noop_s'][str(largest)]} s, "
          f"{figures[f'fleet_noop_ratio_{largest}_to_{smallest}']}x the no-op of {smallest} "
          f"({figures['fleet_noop_s_per_env'][str(largest)]} s per environment; {figures['fleet_forks']} forks, "
          f"{figures['fleet_cpus']} CPUs)")
    return all(v == 0 for v in figures["fleet_mutating_calls_noop"].values()) and all(
        v == 0 for v in figures["fleet_changed_noop"].values())


def bench_flow_runs() -> bool:
    n = int(os.environ.get("BENCH_FLOW_RUNS", "100"))
    limit = int(os.environ.get("BENCH_CONCURRENCY_LIMIT", "10"))
    figures = flow_runs_at_scale(n, limit)
    write(figures)
    print_table("flow runs at scale (real prefect-aws ECS worker, local stack)", figures)
    return (figures["register_task_definition_pinned"] == 0 and figures["run_task"] == n
            and not figures["run_task_mismatches"] and figures["max_in_flight"] <= limit
            and figures["observer_marked_crashed"] and not figures["worker_actions_not_allowed"])


def burst_limits() -> dict:
    return {"run_task": {"burst": float(os.environ.get("BENCH_RUN_TASK_BURST", "5")),
                         "rate": float(os.environ.get("BENCH_RUN_TASK_RATE", "2"))},
            "register_family": {"latency": float(os.environ.get("BENCH_REGISTER_LATENCY", "0.5"))}}


BURST_COLUMNS = [("case", "case"), ("register_calls", "Register calls"), ("register_rejected", "rejected"),
                 ("run_task_calls", "RunTask calls"), ("run_task_throttled", "throttled"),
                 ("crashed_or_failed", "Crashed/Failed"), ("submitted", "submitted"), ("not_finished", "unfinished"),
                 ("submission_s", "first scheduled -> last RunTask s"), ("runs_per_minute", "runs/min")]


def burst_table(rows: list[dict]) -> str:
    """The rows as a Markdown table (what the README shows)."""
    lines = ["| " + " | ".join(title for _key, title in BURST_COLUMNS) + " |",
             "|" + "---|" * len(BURST_COLUMNS)]
    lines += ["| " + " | ".join(str(row[key]) for key, _title in BURST_COLUMNS) + " |" for row in rows]
    return "\n".join(lines)


def bench_burst() -> bool:
    n = int(os.environ.get("BENCH_BURST_RUNS", "200"))
    replicas = int(os.environ.get("BENCH_WORKER_REPLICAS", "3"))
    limits = burst_limits()
    site_limits = {"prefect_work_pools_concurrency_limit": int(os.environ.get("BENCH_BURST_POOL_LIMIT", "20")),
                   "ecs_worker_service_limit": int(os.environ.get("BENCH_BURST_WORKER_LIMIT", "10"))}
    started = time.monotonic()
    rows = fr.four_cases(fr.unique_site("bench-burst"), n, replicas, limits, site_limits, timeout=1800)
    figures = {"burst_flow_runs": n, "burst_worker_replicas": replicas, "burst_ecs_limits": limits,
               "burst_site_limits": site_limits, "burst_cases": rows,
               "burst_bench_s": round(time.monotonic() - started, 1)}
    write(figures)
    print(f"\n{n} flow runs released at once to {replicas} prefect-aws ECS workers; emulated ECS limits {limits} "
          f"(AWS: RunTask 20 burst / 20 per second); site limits {site_limits}\n")
    print(burst_table(rows))
    for row in rows:
        if row["crash_reasons"]:
            print(f"  {row['case']}: Crashed/Failed with {row['crash_reasons']}")
    by_case = {row["case"]: row for row in rows}
    defaults = by_case.get("site defaults", {})
    ok = (by_case.get("unpinned, no limits", {}).get("register_rejected", 0) > 0
          and defaults.get("crashed_or_failed") == 0 and defaults.get("register_rejected") == 0
          and defaults.get("not_finished") == 0 and defaults.get("submitted") == n)
    print(f"\n  unpinned: {by_case.get('unpinned, no limits', {}).get('register_rejected')} registrations rejected; "
          f"site defaults: {defaults.get('crashed_or_failed')} crashed, {defaults.get('register_rejected')} rejected "
          f"({'as required' if ok else 'NOT as required'})")
    return ok


def main() -> int:
    chosen = sys.argv[1:] or ["site", "flow-runs"]  # fleet only when asked for: BENCH=fleet
    if "flow-runs" in chosen and "burst" not in chosen:
        chosen.insert(chosen.index("flow-runs") + 1, "burst")
    benches = {"site": bench_site, "flow-runs": bench_flow_runs, "burst": bench_burst, "fleet": bench_fleet}
    unknown = [c for c in chosen if c not in benches]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {sorted(benches)}", file=sys.stderr)
        return 2
    ok = [benches[c]() for c in chosen]
    print(f"\nwritten to {fr.bench_out_path()}")
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
