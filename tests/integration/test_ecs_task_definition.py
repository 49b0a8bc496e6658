"""prefect_ops.ecs.ecs_task_definition against the local stack (moto behind the recording proxy).

check -> apply -> check -> apply per meaningful option (changed true, true, false, false; check mode
and re-runs make no mutating AWS call), env/secrets order, keep_revisions, bad input, throttling,
and state=absent removing only what the collection registered.
"""
from __future__ import annotations

import copy

from test_ecs_support import actions, assert_ok, changed, run_steps, step

MODULE = "prefect_ops.ecs.ecs_task_definition"
ROLE = "arn:aws:iam::123456789012:role/{}"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-auth-AbCdEf"
OWNER = {"key": "prefect-ops:managed-by", "value": "prefect_ops.ecs"}


def worker_args(family, **over):
    args = {
        "family": family,
        "cpu": 256,
        "memory": 512,
        "execution_role_arn": ROLE.format("exec"),
        "container_definitions": [{
            "name": "worker",
            "image": "prefecthq/prefect:3-latest",
            "memory": 512,  # moto's RunTask needs container-level memory
            "command": ["prefect", "worker", "start", "--pool", family, "--type", "ecs"],
            "environment": [{"name": "PREFECT_API_URL", "value": "http://prefect/api"},
                            {"name": "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME", "value": f"{family}-events"}],
            "secrets": [{"name": "PREFECT_API_AUTH_STRING", "valueFrom": SECRET},
                        {"name": "EXTRA_TOKEN", "valueFrom": SECRET + "-2"}],
        }],
        "tags": {"team": "data"},
    }
    args.update(over)
    return args


def cycle(args):
    """check -> apply -> check -> apply of the same arguments."""
    return [step(MODULE, args, check=True), step(MODULE, args), step(MODULE, args, check=True), step(MODULE, args)]


def active(aws, family):
    arns = aws("ecs", direct=True).list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]
    return sorted(int(a.rsplit(":", 1)[1]) for a in arns)


def describe(aws, arn):
    return aws("ecs", direct=True).describe_task_definition(taskDefinition=arn, include=["TAGS"])


def assert_cycle(results, mutating, registered=True):
    """changed true, true, false, false; the check predicts the apply; only the apply mutates."""
    assert_ok(results)
    assert changed(results) == [True, True, False, False]
    assert [r["registered"] for r in results] == [registered, registered, False, False]
    assert results[0]["task_definition_arn"] == results[1]["task_definition_arn"]
    assert results[2]["task_definition_arn"] == results[3]["task_definition_arn"] == results[1]["task_definition_arn"]
    assert [actions(r) for r in results] == [[], mutating, [], []]


def with_container(args, **over):
    args = copy.deepcopy(args)
    args["container_definitions"][0].update(over)
    return args


# option -> (argument change, the diff keys that name it). Each option alone is a difference in the
# unit tests; here every cycle also proves that what the endpoint returns for it compares equal.
OPTION_CHANGES = {
    "execution_role_arn": ({"execution_role_arn": ROLE.format("exec-2")}, {"executionRoleArn"}),
    "task_cpu_memory": ({"cpu": "512", "memory": "1 GB"}, {"cpu", "memory"}),
    "task_role_platform_storage": ({"task_role_arn": ROLE.format("task"),
                                    "runtime_platform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
                                    "ephemeral_storage": {"sizeInGiB": 30}},
                                   {"taskRoleArn", "runtimePlatform", "ephemeralStorage"}),
}


def test_create_then_each_option_registers_once_and_reruns_change_nothing(aws, unique):
    family = f"{unique}-worker"
    args = worker_args(family, keep_revisions=10)
    steps = cycle(args)
    for change, dummy in OPTION_CHANGES.values():
        args = dict(args, **change)
        steps += cycle(args)
    args = with_container(args, image="prefecthq/prefect:3-python3.12")
    steps += cycle(args)
    results = run_steps(steps, unique)

    create = results[:4]
    assert_cycle(create, ["RegisterTaskDefinition"])
    assert create[1]["task_definition_arn"].endswith(f":task-definition/{family}:1")
    assert create[1]["task_definition_arn"].startswith("arn:aws:ecs:us-east-1:123456789012:")
    body = create[1]["mutating"][0]["params"]
    assert body["tags"] == sorted([OWNER, {"key": "team", "value": "data"}], key=lambda t: t["key"])
    assert create[0]["diff"]["after"]["task_definition"]["executionRoleArn"] == ROLE.format("exec")

    for n, (name, (dummy, keys)) in enumerate(OPTION_CHANGES.items(), start=1):
        run = results[4 * n:4 * n + 4]
        assert_cycle(run, ["RegisterTaskDefinition"])
        assert run[1]["task_definition_arn"].endswith(f"{family}:{n + 1}"), name
        diff = run[0]["diff"]
        assert set(diff["after"]["task_definition"]) == keys | {"taskDefinitionArn"}, (name, diff)
        assert diff["before"]["task_definition"]["taskDefinitionArn"].endswith(f"{family}:{n}")
        assert diff["after"]["task_definition"]["taskDefinitionArn"].endswith(f"{family}:{n + 1}")
    image = results[-4:]
    assert_cycle(image, ["RegisterTaskDefinition"])
    assert image[0]["diff"]["after"]["task_definition"]["containerDefinitions"] == {
        "worker": {"image": "prefecthq/prefect:3-python3.12"}}
    # the options a later step did not repeat are kept by the new revision
    final = describe(aws, image[1]["task_definition_arn"])["taskDefinition"]
    assert final["executionRoleArn"] == ROLE.format("exec-2") and final["taskRoleArn"] == ROLE.format("task")
    assert (final["cpu"], final["memory"]) == ("512", "1024")
    assert final["runtimePlatform"]["cpuArchitecture"] == "ARM64" and final["ephemeralStorage"] == {"sizeInGiB": 30}
    assert active(aws, family)[-1] == len(OPTION_CHANGES) + 2


def test_reordered_env_and_secrets_types_and_tag_change(aws, unique):
    family = f"{unique}-order"
    args = worker_args(family)
    container = args["container_definitions"][0]
    reordered = with_container(args, environment=list(reversed(container["environment"])),
                               secrets=list(reversed(container["secrets"])), memory="512")
    restringed = dict(reordered, cpu="256", memory="0.5 GB")
    retagged = dict(args, tags={"team": "platform"})
    results = run_steps([step(MODULE, args), step(MODULE, reordered, check=True), step(MODULE, reordered),
                         step(MODULE, restringed)] + cycle(retagged), unique)
    assert_ok(results)
    assert changed(results[:4]) == [True, False, False, False]
    assert [actions(r) for r in results[1:4]] == [[], [], []]
    # a tag change alone is applied to the revision in place: no new revision
    tags = results[4:]
    assert_cycle(tags, ["TagResource"], registered=False)
    assert tags[3]["task_definition_arn"] == results[0]["task_definition_arn"]
    assert tags[0]["diff"] == {"before": {"task_definition": {"tags": {"team": "data"}}},
                               "after": {"task_definition": {"tags": {"team": "platform"}}}}
    assert {t["key"]: t["value"] for t in describe(aws, f"{family}:1")["tags"]} == {
        "team": "platform", OWNER["key"]: OWNER["value"]}
    assert active(aws, family) == [1]


def test_keep_revisions_deregisters_only_older_revisions_of_ours(aws, unique):
    family = f"{unique}-keep"
    ecs = aws("ecs", direct=True)
    ecs.register_task_definition(family=family, containerDefinitions=[{"name": "x", "image": "by-hand", "memory": 128}])
    images = ["a", "b", "c", "d"]
    steps = [step(MODULE, with_container(worker_args(family, keep_revisions=2), image=i)) for i in images]
    lowered = with_container(worker_args(family, keep_revisions=1), image="d")
    steps += [step(MODULE, lowered, check=True), step(MODULE, lowered), step(MODULE, lowered)]
    results = run_steps(steps, unique)
    assert_ok(results)
    arn = results[0]["task_definition_arn"].rsplit(":", 1)[0]
    assert [r["task_definition_arn"] for r in results[:4]] == [f"{arn}:{n}" for n in (2, 3, 4, 5)]
    # revision 1 was registered by hand: counted, never deregistered
    assert [r["deregistered"] for r in results[:4]] == [[], [], [f"{arn}:2"], [f"{arn}:3"]]
    assert actions(results[2]) == ["RegisterTaskDefinition", "DeregisterTaskDefinition"]
    # lowering keep_revisions converges on the next run, without registering
    check, apply, again = results[4:]
    assert check["changed"] and not check["registered"] and check["deregistered"] == [f"{arn}:4"] and actions(check) == []
    assert apply["deregistered"] == [f"{arn}:4"] and actions(apply) == ["DeregisterTaskDefinition"]
    assert not again["changed"] and actions(again) == []
    assert active(aws, family) == [1, 5]


BAD_INPUT = {
    "fargate_pair": ({"cpu": 256, "memory": 4096}, "memory: Fargate does not accept memory 4096 MiB with cpu 256"),
    "api_key_in_env": (None, "container_definitions[0].environment: PREFECT_API_KEY is a credential"),
    "role_partition": ({"execution_role_arn": "arn:aws-cn:iam::123456789012:role/x"}, "execution_role_arn:"),
    "secrets_without_role": ({"execution_role_arn": None}, "execution_role_arn: containers with secrets need"),
    "keep_revisions": ({"keep_revisions": 0}, "keep_revisions:"),
}


def test_bad_input_fails_before_any_change(aws, unique):
    family = f"{unique}-bad"
    steps = []
    for name, (change, dummy) in BAD_INPUT.items():
        if name == "api_key_in_env":
            args = with_container(worker_args(family), environment=[{"name": "PREFECT_API_KEY", "value": "pnu_x"}])
        else:
            args = {k: v for k, v in dict(worker_args(family), **change).items() if v is not None}
        steps.append(step(MODULE, args))
    results = run_steps(steps, unique)
    for (name, (dummy, message)), result in zip(BAD_INPUT.items(), results):
        assert result.get("failed"), name
        assert message in result["msg"], (name, result["msg"])
        assert actions(result) == [], name
    assert "secrets" in results[1]["msg"] and "valueFrom" in results[1]["msg"]
    assert active(aws, family) == []


def test_throttled_calls_converge_without_a_duplicate_revision(aws, aws_proxy, unique):
    family = f"{unique}-throttle"
    args = worker_args(family)
    aws_proxy.faults({"mode": "first_attempt"})
    results = run_steps([step(MODULE, args), step(MODULE, args)], unique)
    assert_ok(results)
    assert changed(results) == [True, False]
    assert any(c["fault"] for c in results[0]["calls"]), "no call was throttled: the test proves nothing"
    assert any(c["fault"] and c["action"] == "RegisterTaskDefinition" for c in results[0]["calls"])
    assert actions(results[0]) == ["RegisterTaskDefinition"] and actions(results[1]) == []
    assert active(aws, family) == [1]


def test_absent_deregisters_only_what_the_collection_registered(aws, unique):
    family = f"{unique}-absent"
    aws("ecs", direct=True).register_task_definition(
        family=family, containerDefinitions=[{"name": "x", "image": "by-hand", "memory": 128}])
    absent = {"family": family, "state": "absent"}
    results = run_steps([step(MODULE, worker_args(family)), step(MODULE, with_container(worker_args(family), image="b")),
                         step(MODULE, absent, check=True), step(MODULE, absent), step(MODULE, absent)], unique)
    assert_ok(results)
    arn = results[0]["task_definition_arn"].rsplit(":", 1)[0]
    check, apply, again = results[2:]
    assert check["changed"] and check["deregistered"] == [f"{arn}:3", f"{arn}:2"] and actions(check) == []
    assert check["diff"]["after"] == {f"{arn}:3": {"status": "INACTIVE"}, f"{arn}:2": {"status": "INACTIVE"}}
    assert apply["deregistered"] == [f"{arn}:3", f"{arn}:2"] and apply["left_alone"] == [f"{arn}:1"]
    assert actions(apply) == ["DeregisterTaskDefinition", "DeregisterTaskDefinition"]
    assert any("left ACTIVE" in w for w in apply.get("warnings", []))
    assert not again["changed"] and actions(again) == []
    assert active(aws, family) == [1]


def test_next_revision_arn_follows_a_deregistered_latest(aws, unique):
    """AWS never reuses a revision number: after :1 and :2 (deregistered) check mode predicts :3."""
    family = f"{unique}-next"
    ecs = aws("ecs", direct=True)
    for image in ("one", "two"):
        ecs.register_task_definition(family=family, containerDefinitions=[{"name": "x", "image": image, "memory": 128}])
    ecs.deregister_task_definition(taskDefinition=f"{family}:2")
    check, apply = run_steps([step(MODULE, worker_args(family), check=True), step(MODULE, worker_args(family))], unique)
    assert check["task_definition_arn"].endswith(f"{family}:3") and actions(check) == []
    assert apply["task_definition_arn"] == check["task_definition_arn"]
