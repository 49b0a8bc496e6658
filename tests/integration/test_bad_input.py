"""Bad input to playbooks/site.yml (issue 7 item 4): one site.yml run, one inventory host per case (hosts fail
independently). site.yml first checks every role's inputs (its first task: the action prefect_ops.ecs.preflight for
every role's argument spec, unknown variables and module checks, then the asserts some roles' preflights still make),
so each case must fail there: for the role that owns the field (no API call; an unknown pool type or job variable:
the work pool module in check mode, which only reads), with a message naming the field, before ANY mutating AWS call
of the whole run and with no pool created.
"""
from __future__ import annotations

import json
import time

import yaml

from stacktools.ansible_run import REPO, run_playbook

SITE = REPO / "playbooks" / "site.yml"


def cases(account: str, foreign_subnet: str) -> dict:
    """case -> (host variables, role that must catch it, strings the message must contain)."""
    secret = "secret:prefect-ops/x/PREFECT_API_KEY-AbC123"
    return {
        "pool-name": ({"prefect_work_pools_name": "prefect-pool"}, "prefect_work_pools", ["prefect_work_pools_name"]),
        "pool-type": ({"prefect_work_pools_extra": [{"name": "{{ prefect_ecs_name }}-side", "type": "no-such-worker"}]},
                      "prefect_work_pools", ["no-such-worker"]),
        "flow-run-size": ({"ecs_flow_run_task_definitions_cpu": 256, "ecs_flow_run_task_definitions_memory": 8192},
                          "ecs_flow_run_task_definitions", ["ecs_flow_run_task_definitions_memory", "8192"]),
        "worker-size": ({"ecs_worker_service_cpu": 512, "ecs_worker_service_memory": 512},
                        "ecs_worker_service", ["ecs_worker_service_memory"]),
        "subnet-outside-vpc": ({"ecs_network_subnet_ids": [foreign_subnet]}, "ecs_network",
                               ["ecs_network_subnet_ids", foreign_subnet]),
        "no-security-group": ({"ecs_network_security_group_ids": []}, "ecs_network", ["ecs_network_security_group_ids"]),
        "iam-name-too-long": ({"ecs_iam_name_prefix": "p" * 60}, "ecs_iam", ["ecs_iam_execution_role_name", "64"]),
        "queue-rule-too-long": ({"ecs_events_name": "e" * 50}, "ecs_events", ["ecs_events_name", "64"]),
        "job-variable-unknown": ({"prefect_work_pools_job_variables": {"no_such_variable": 1}}, "prefect_work_pools",
                                 ["no_such_variable"]),
        "no-api-url": ({"ecs_worker_service_api_url": ""}, "ecs_worker_service", ["ecs_worker_service_api_url"]),
        # a Prefect Cloud credential (api_key) with no PREFECT_API_KEY in the environment
        "cloud-no-key": ({"prefect_api_secret_kind": "api_key"}, "prefect_api_secret",
                         ["prefect_api_secret_value", "PREFECT_API_KEY"]),
        "arn-other-partition": ({"prefect_api_secret_arn": f"arn:aws-cn:secretsmanager:cn-north-1:{account}:{secret}"},
                                "prefect_api_secret", ["prefect_api_secret_arn", "aws-cn"]),
        "arn-other-region": ({"prefect_api_secret_arn": f"arn:aws:secretsmanager:eu-west-1:{account}:{secret}"},
                             "prefect_api_secret", ["prefect_api_secret_arn", "eu-west-1"]),
        "negative-concurrency": ({"prefect_work_pools_concurrency_limit": -5}, "prefect_work_pools",
                                 ["prefect_work_pools_concurrency_limit"]),
        "negative-desired": ({"ecs_worker_service_desired_count": -1}, "ecs_worker_service",
                             ["ecs_worker_service_desired_count"]),
        "retention-8": ({"ecs_log_groups_retention_days": 8}, "ecs_log_groups", ["ecs_log_groups_retention_days"]),
        "misspelt-cluster": ({"ecs_cluster_nmae": "x"}, "ecs_cluster", ["ecs_cluster_nmae", "ecs_cluster_name"]),
        "misspelt-worker": ({"ecs_worker_service_desried_count": 2}, "ecs_worker_service",
                            ["ecs_worker_service_desried_count", "ecs_worker_service_desired_count"]),
        "verify-requirement-shape": ({"ecs_verify_worker_task_role_requirements": [
            {"action": "ecs:RunTask", "resource": "*"}, "sqs:ReceiveMessage"]}, "ecs_verify",
            ["ecs_verify_worker_task_role_requirements", "[1]"]),
    }


def failure_of(result, host: str) -> dict | None:
    failed = [t for t in result.tasks() if t["host"] == host and t.get("failed")]
    return failed[0] if failed else None


def test_bad_input_fails_early_naming_the_field(aws_proxy, aws, prefect, tmp_path, unique, stack):
    account = aws("sts", direct=True).get_caller_identity()["Account"]
    ec2 = aws("ec2", direct=True)
    fixture_vpc = stack["PREFECT_OPS_FIXTURE_VPC_ID"]
    foreign = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] != fixture_vpc][0]
    table = cases(account, foreign)
    base = yaml.safe_load((REPO / "inventories" / "local" / "hosts.yml").read_text())["prefect_ecs"]["vars"]
    for key in ("prefect_deployments_ecr_repositories", "prefect_deployments_list", "prefect_work_pools_extra"):
        base.pop(key)
    hosts = {name: {"prefect_ecs_name": f"{unique}-{i:02d}", **case_vars}
             for i, (name, (case_vars, _role, _needles)) in enumerate(table.items())}
    inv = tmp_path / "hosts.yml"
    inv.write_text(yaml.safe_dump({"prefect_ecs": {"hosts": hosts, "vars": base}}))

    env = {"PREFECT_API_KEY": ""}
    mark = aws_proxy.mark()
    started = time.monotonic()
    result = run_playbook(SITE, inventory=str(inv), env=env, args=["--forks", "20"],
                          extra_vars={"ecs_verify_worker_timeout": 0})
    wall = time.monotonic() - started
    mutating = aws_proxy.mutating(mark)

    rows, problems = [], []
    for name, (_vars, role, needles) in table.items():
        site = hosts[name]["prefect_ecs_name"]
        fail = failure_of(result, name)
        if fail is None:
            problems.append(f"{name}: did not fail")
            continue
        # the site-wide preflight (one task for every role) says which role's inputs failed; a role's own
        # preflight task is named after the role
        where = (",".join(fail["problems"]) if fail.get("problems")
                 else fail["task"].split(" : ")[0].rsplit(".", 1)[-1])
        text = json.dumps([{k: r.get(k) for k in ("msg", "assertion", "module_stderr")}
                           for r in [fail, *fail.get("results", [])]])
        mine = [c for c in mutating if site in json.dumps(c["params"])]
        services = sorted({c["service"] for c in mine})
        rows.append(f"{name:22} failed in {where:30} ({fail['task'].split(' : ')[-1][:50]}); "
                    f"mutating AWS calls for the site before: {len(mine)} {services}")
        # the site-wide preflight reports every role's problems at once: a value the user set for one role can also
        # be wrong for a role that takes its default from it (no security group: the network, the pool, the worker)
        if role not in where.split(","):
            problems.append(f"{name}: failed in {where}, expected {role}: {text[:600]}")
        for needle in needles:
            if needle not in text:
                problems.append(f"{name}: {needle!r} not in {text[:800]}")
        if mine:
            problems.append(f"{name}: mutating calls before the failure: {[c['action'] for c in mine]}")
        pool = f"{site}-side" if name == "pool-type" else site
        if prefect.read_pool(pool) is not None or prefect.read_pool(site) is not None:
            problems.append(f"{name}: a pool of {site} exists")
    print(f"\nbad input: {len(table)} cases in one site.yml run, {wall:.0f}s")
    print("\n".join(rows))
    # every host failed in the site-wide preflight: the run as a whole wrote nothing to AWS
    assert [c["action"] for c in mutating] == [], mutating
    assert not problems, "\n".join(problems)
