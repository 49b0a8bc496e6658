"""End to end: the real `prefect worker start --type ecs` serves a pool this collection created.

The pool is created and configured by prefect_ops.ecs.prefect_work_pool (job_variables: cluster,
vpc_id, network_configuration, cpu/memory); a flow run of a deployment in that pool is picked up by
the real prefect-aws ECS worker, whose RunTask call (recorded by the AWS proxy in front of moto)
must carry the cluster, subnets, security groups and assignPublicIp set through job_variables.
While the worker runs, prefect_work_pool_info must report it live.
"""
from __future__ import annotations

import time

import pytest

from stacktools.ansible_run import run_module
from stacktools.stack import PatientPrefectAPI
from stacktools.prefect_converge import changed, converge
from stacktools.worker import Worker

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def prefect(stack):
    """The stack's Prefect REST client for setup and read-back, patient with a locked SQLite database."""
    return PatientPrefectAPI()


def wait_for_call(aws_proxy, since: int, action: str, worker: Worker, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in aws_proxy.aws_calls(since):
            if call["service"] == "ecs" and call["action"] == action and not call["fault"]:
                return call
        if worker.proc and worker.proc.poll() is not None:
            raise AssertionError(f"worker exited with {worker.proc.returncode}:\n{worker.log()[-4000:]}")
        time.sleep(1)
    raise AssertionError(f"no ecs {action} within {timeout}s; worker log:\n{worker.log()[-4000:]}")


def test_the_ecs_worker_runs_tasks_with_the_pools_network_settings(prefect, aws, aws_proxy, stack, unique):
    pool = f"e2e-{unique}"
    cluster_arn = aws("ecs").create_cluster(clusterName=f"flows-{unique}")["cluster"]["clusterArn"]
    subnets = stack["PREFECT_OPS_FIXTURE_SUBNET_IDS"].split(",")
    security_group = stack["PREFECT_OPS_FIXTURE_SECURITY_GROUP_ID"]
    network = {"subnets": subnets, "securityGroups": [security_group], "assignPublicIp": "DISABLED"}
    flow = None
    try:
        results = converge("prefect_ops.ecs.prefect_work_pool", {
            "name": pool, "type": "ecs",
            "job_variables": {"cluster": cluster_arn, "vpc_id": stack["PREFECT_OPS_FIXTURE_VPC_ID"],
                              "network_configuration": network, "cpu": 256, "memory": 512},
        })
        assert changed(results) == [True, True, False, False]

        flow = prefect.ok("POST", "/flows/", {"name": f"e2e-flow-{unique}"})
        deployment = prefect.ok("POST", "/deployments/", {"name": f"e2e-{unique}", "flow_id": flow["id"],
                                                          "work_pool_name": pool})
        run = prefect.ok("POST", f"/deployments/{deployment['id']}/create_flow_run", {})

        since = aws_proxy.mark()
        with Worker(pool) as worker:
            worker.wait_online()
            info = run_module("prefect_ops.ecs.prefect_work_pool_info", {"name": pool, "flow_run_counts": False})
            (pool_info,) = info["work_pools"]
            assert pool_info["online_workers"] >= 1
            assert any(w["name"] == worker.name and w["status"] == "ONLINE" for w in pool_info["workers"])

            call = wait_for_call(aws_proxy, since, "RunTask", worker)

        params = call["params"]
        assert params["cluster"] == cluster_arn
        assert params["networkConfiguration"] == {"awsvpcConfiguration": network}
        assert params["launchType"] == "FARGATE"
        tags = {t["key"]: t["value"] for t in params.get("tags", [])}
        assert tags.get("prefect.io/flow-run-id") == run["id"]
        overrides = params["overrides"]
        assert overrides["cpu"] == "256" and overrides["memory"] == "512"
    finally:
        if flow:
            prefect.request("DELETE", f"/flows/{flow['id']}")  # with its deployment and flow run
        prefect.delete_pool(pool)
        aws("ecs").delete_cluster(cluster=cluster_arn)
