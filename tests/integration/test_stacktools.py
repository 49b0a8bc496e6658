"""The shared test tools work against the real stack: the AWS proxy records and throttles like AWS,
the Prefect proxy injects 503/429, and the worker helper runs a real prefect-aws ECS worker."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import botocore.exceptions
import pytest

from stacktools import prefect_proxy
from stacktools.proxy import start_in_thread
from stacktools.stack import PrefectAPI, ProxyControl, aws_client, http_json
from stacktools.worker import Worker


def boto(service, attempts: int | None = None):
    return aws_client(service, attempts=attempts)


def test_aws_proxy_records_service_action_params_and_mutating(aws_proxy, unique):
    mark = aws_proxy.mark()
    sqs = boto("sqs")
    url = sqs.create_queue(QueueName=f"{unique}-rec")["QueueUrl"]
    sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    boto("iam").create_role(RoleName=f"{unique}-role", AssumeRolePolicyDocument="{}")
    calls = aws_proxy.aws_calls(mark)
    by_action = {c["action"]: c for c in calls}
    assert by_action["CreateQueue"]["service"] == "sqs"
    assert by_action["CreateQueue"]["params"]["QueueName"] == f"{unique}-rec"
    assert by_action["CreateQueue"]["mutating"] is True
    assert by_action["GetQueueAttributes"]["mutating"] is False
    assert by_action["CreateRole"]["service"] == "iam"
    assert by_action["CreateRole"]["protocol"] == "query"
    assert by_action["CreateRole"]["params"]["RoleName"] == f"{unique}-role"
    assert [c["action"] for c in aws_proxy.mutating(mark)] == ["CreateQueue", "CreateRole"]


@pytest.mark.parametrize("service,call,code", [
    ("sqs", lambda c, n: c.create_queue(QueueName=n), "ThrottlingException"),          # JSON protocol
    ("iam", lambda c, n: c.create_user(UserName=n), "Throttling"),                     # query protocol
    ("ec2", lambda c, n: c.create_key_pair(KeyName=n), "RequestLimitExceeded"),        # EC2 protocol
])
def test_first_attempt_throttle_is_retried_by_botocore(aws_proxy, unique, service, call, code):
    aws_proxy.faults({"mode": "first_attempt"})
    # Without retries the injected answer surfaces as the throttling error AWS itself sends ...
    with pytest.raises(botocore.exceptions.ClientError) as err:
        call(boto(service, attempts=1), f"{unique}-a")
    assert err.value.response["Error"]["Code"] == code
    # ... and with botocore's standard retries the same kind of call converges after one throttle.
    mark = aws_proxy.mark()
    call(boto(service, attempts=3), f"{unique}-b")
    attempts = [c for c in aws_proxy.aws_calls(mark) if c["mutating"]]
    assert [c["fault"] for c in attempts] == [True, False]


def test_random_throttle_is_reproducible_for_a_seed(aws_proxy):
    def pattern(seed):
        aws_proxy.faults({"mode": "random", "rate": 0.3, "seed": seed})
        sts = boto("sts", attempts=1)
        out = []
        for _attempt in range(40):
            try:
                sts.get_caller_identity()
                out.append(False)
            except botocore.exceptions.ClientError as exc:
                assert exc.response["Error"]["Code"] == "Throttling"
                out.append(True)
        return out

    first, again, other = pattern(7), pattern(7), pattern(8)
    assert first == again
    assert first != other
    assert 4 <= sum(first) <= 20  # about 30 % of 40


def _register(ecs, family, memory: int | None = 128):
    container = {"name": "c", "image": "busybox", **({"memory": memory} if memory else {})}
    try:
        ecs.register_task_definition(family=family, containerDefinitions=[container])
        return "ok"
    except botocore.exceptions.ClientError as exc:
        return f"{exc.response['Error']['Code']}: {exc.response['Error']['Message']}"


def test_ecs_limits_reject_concurrent_registrations_of_one_family(aws_proxy, unique):
    """Seed 003's error: a registration while another of the same family is being created is rejected with ECS's
    text; botocore does not retry it. Another family is not affected, and the family is free again afterwards."""
    from concurrent.futures import ThreadPoolExecutor  # pylint: disable=import-outside-toplevel

    aws_proxy.faults({"ecs_limits": {"register_family": {"latency": 1.5}}})
    ecs = boto("ecs")
    with ThreadPoolExecutor(5) as pool:
        same = [pool.submit(_register, ecs, f"{unique}-f") for _i in range(4)]
        other = pool.submit(_register, ecs, f"{unique}-g")
        results = sorted(f.result() for f in same)
    assert results[-1] == "ok" and results.count("ok") == 1, results
    assert set(results[:-1]) == {"ClientException: Too many concurrent attempts to create a new revision of the "
                                 "specified family."}
    assert other.result() == "ok"
    assert _register(ecs, f"{unique}-f") == "ok"  # the family is free once the first registration is done
    recorded = [c for c in aws_proxy.aws_calls() if c["action"] == "RegisterTaskDefinition"
                and c["params"].get("family") == f"{unique}-f"]
    assert sum(c.get("limit") == "ClientException" for c in recorded) == 3


def test_ecs_limits_throttle_run_task_beyond_its_bucket(aws_proxy, unique):
    aws_proxy.faults({"ecs_limits": {"run_task": {"burst": 2, "rate": 0.01}}})
    ecs = boto("ecs", attempts=1)

    def run_task():
        try:
            ecs.run_task(cluster=f"{unique}-missing", taskDefinition="nothing:1")
        except botocore.exceptions.ClientError as exc:
            return exc.response["Error"]["Code"]
        return "ok"

    # the first two reach moto (which has no such cluster), the third is throttled as ECS does
    assert [run_task() for _i in range(3)] == ["ClusterNotFoundException"] * 2 + ["ThrottlingException"]
    # a client with retries waits and gets through once the bucket refills
    aws_proxy.faults({"ecs_limits": {"run_task": {"burst": 1, "rate": 2}}})
    assert run_task() == "ClusterNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as err:
        boto("ecs", attempts=4).run_task(cluster=f"{unique}-missing", taskDefinition="nothing:1")
    assert err.value.response["Error"]["Code"] == "ClusterNotFoundException"


def test_moto_container_memory_is_given_to_registrations_without_it(aws_proxy, unique, aws):
    aws_proxy.faults({"moto_container_memory": 384})
    assert _register(boto("ecs"), f"{unique}-m", memory=None) == "ok"
    stored = aws("ecs", direct=True).describe_task_definition(taskDefinition=f"{unique}-m")["taskDefinition"]
    assert stored["containerDefinitions"][0]["memory"] == 384
    # the record keeps what the client sent
    (call,) = [c for c in aws_proxy.aws_calls() if c["action"] == "RegisterTaskDefinition"
               and c["params"].get("family") == f"{unique}-m"]
    assert "memory" not in call["params"]["containerDefinitions"][0]


def test_prefect_proxy_injects_503_then_429_with_retry_after(stack):
    server = prefect_proxy.build(stack["PREFECT_API_URL"].rsplit("/api", 1)[0])
    start_in_thread(server)
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        control = ProxyControl(base)
        api = PrefectAPI(url=f"{base}/api")
        control.faults({"fail_first": 2, "status": 503})
        statuses = [api.request("POST", "/work_pools/filter", {})[0] for _attempt in range(3)]
        assert statuses == [503, 503, 200]
        control.faults({"fail_first": 1, "status": 429, "retry_after": 2})
        status = api.request("POST", "/work_pools/filter", {})[0]
        assert status == 429
        recorded = control.calls()
        assert [c["status"] for c in recorded] == [503, 503, 200, 429]
        # the Retry-After header is really sent
        control.faults({"fail_first": 1, "status": 429, "retry_after": 2})
        try:
            urllib.request.urlopen(f"{base}/api/health", timeout=5)  # noqa: S310
        except urllib.error.HTTPError as exc:
            assert exc.code == 429 and exc.headers["Retry-After"] == "2"
        else:
            pytest.fail("no 429")
    finally:
        server.shutdown()


def test_wrong_credentials_are_refused_by_the_stack(stack):
    status = PrefectAPI(auth_string="admin:wrong").request("POST", "/work_pools/filter", {})[0]
    assert status == 401


def test_worker_helper_runs_a_real_ecs_worker(prefect, unique):
    pool = f"{unique}-pool"
    worker = Worker(pool, env={"PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME": f"{unique}-absent"})
    try:
        worker.start()
        online = worker.wait_online(timeout=120)
        assert online["status"] == "ONLINE"
        # the worker created the pool with prefect-aws's ECS template (it did not exist)
        assert prefect.read_pool(pool)["type"] == "ecs"
    finally:
        rc = worker.stop(grace=10)
        prefect.delete_pool(pool)
    assert rc is not None
    assert worker.proc.poll() is not None


def test_stack_env_points_aws_at_the_proxy(stack):
    assert stack["AWS_ENDPOINT_URL"] != stack["PREFECT_OPS_MOTO_URL"]
    assert http_json("GET", f"{stack['AWS_ENDPOINT_URL']}/_proxy/health")[1] == {"ok": True}


def test_leftovers_lists_what_a_run_created_until_it_is_gone(aws_proxy, unique):
    from stacktools.leftovers import leftovers
    mark = aws_proxy.mark()
    sqs, iam, logs, ecs = boto("sqs"), boto("iam"), boto("logs"), boto("ecs")
    url = sqs.create_queue(QueueName=f"{unique}-left")["QueueUrl"]
    iam.create_role(RoleName=f"{unique}-left", AssumeRolePolicyDocument="{}")
    policy = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:GetQueueUrl", "Resource": "*"}]}'
    iam.put_role_policy(RoleName=f"{unique}-left", PolicyName="p", PolicyDocument=policy)
    logs.create_log_group(logGroupName=f"/{unique}/left")
    ecs.register_task_definition(family=f"{unique}-left", containerDefinitions=[{"name": "c", "image": "i", "memory": 64}])
    ecr = boto("ecr")
    ecr.create_repository(repositoryName=f"{unique}/left")
    ecr.put_image_tag_mutability(repositoryName=f"{unique}/left", imageTagMutability="IMMUTABLE")
    ecr.put_image_scanning_configuration(repositoryName=f"{unique}/left", imageScanningConfiguration={"scanOnPush": True})
    ecr.put_lifecycle_policy(repositoryName=f"{unique}/left", lifecyclePolicyText=json.dumps({"rules": [
        {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
         "action": {"type": "expire"}}]}))
    report = leftovers(mark)
    expected = {f"queue {unique}-left", f"role {unique}-left", f"inline policy {unique}-left/p",
                f"log group /{unique}/left", f"task definition {unique}-left", f"repository {unique}/left"}
    assert set(report["created"]) == expected and set(report["left"]) == expected
    assert report["unknown_actions"] == []

    # a task definition is gone only once every revision it registered is deregistered
    sqs.delete_queue(QueueUrl=url)
    iam.delete_role_policy(RoleName=f"{unique}-left", PolicyName="p")
    logs.delete_log_group(logGroupName=f"/{unique}/left")
    ecr.delete_repository(repositoryName=f"{unique}/left")
    assert set(leftovers(mark)["left"]) == {f"role {unique}-left", f"task definition {unique}-left"}
    iam.delete_role(RoleName=f"{unique}-left")
    ecs.deregister_task_definition(taskDefinition=f"{unique}-left:1")
    assert leftovers(mark)["left"] == []


def test_leftovers_refuses_a_creating_action_it_cannot_check(aws_proxy):
    from stacktools.leftovers import leftovers
    mark = aws_proxy.mark()
    vpc = boto("ec2").create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    try:
        assert leftovers(mark)["unknown_actions"] == ["ec2:CreateVpc"]
    finally:
        boto("ec2").delete_vpc(VpcId=vpc)
