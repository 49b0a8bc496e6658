"""Role ecs_flow_run_task_definitions against the local stack (moto behind the recording proxy, the real
Prefect server, the real prefect-aws ECS worker).

check on a fresh account predicts the ARNs and mutates nothing -> apply registers -> re-run and check
register nothing (zero mutating AWS calls) -> a changed image registers exactly one revision, and
keep_revisions prunes only our older ones -> the credential is only a secret -> the pool pins the default
ARN -> a real worker on the pinned pool registers no task definition and sends no credential -> absent
deregisters only what the collection registered. Bad input fails before any AWS call.
"""
from __future__ import annotations

import json
import time

import pytest
import yaml

from stacktools.ansible_run import run_playbook
from stacktools.aws_actions import is_mutating
from stacktools.stack import PatientPrefectAPI
from stacktools.worker import Worker

ROLE = "prefect_ops.ecs.ecs_flow_run_task_definitions"
PUBLISH = CHANGES = "Publish the flow-run task definition ARNs and what this role changed"
PREFECT_IMAGE = "prefecthq/prefect:3.8.8-python3.11"
CREDENTIALS = {"PREFECT_API_KEY", "PREFECT_API_AUTH_STRING"}
OWNER = {"prefect-ops:managed-by": "prefect_ops.ecs"}


def play(*roles: str) -> list:
    """One play over every inventory host (one host per case); `upstream` (a host variable) holds the facts
    the earlier roles of site.yml publish, set as facts before the roles run."""
    return [{
        "name": "ecs_flow_run_task_definitions under test", "hosts": "all", "gather_facts": False,
        "pre_tasks": [{"name": "Facts of the earlier roles",
                       "ansible.builtin.set_fact": {"{{ item.key }}": "{{ item.value }}"},
                       "loop": "{{ upstream | default({}) | dict2items }}",
                       "loop_control": {"label": "{{ item.key }}"}}],
        "roles": [{"role": r} for r in (roles or (ROLE,))],
    }]


def inventory(tmp_path, hosts: dict) -> str:
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "prefect_ecs_region": "us-east-1"}}}))
    return str(path)


def run(inv, *roles, check=False, extra_vars=None, args=None):
    return run_playbook(play(*roles), inventory=inv, check=check, extra_vars=extra_vars, args=args)


def ok(result):
    assert result.rc == 0 and result.failed() == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result


def published(result, host) -> dict:
    # the ARNs (the role's change record, published by the same task, is read by changes())
    return {k: v for k, v in result.task(PUBLISH, host)["ansible_facts"].items()
            if k != "ecs_flow_run_task_definitions_changes"}


def changes(result, host) -> list:
    return result.task(CHANGES, host)["ansible_facts"]["ecs_flow_run_task_definitions_changes"]


@pytest.fixture()
def account(aws):
    return aws("sts", direct=True).get_caller_identity()["Account"]


def upstream(site, account, kind="auth_string", secret_arn=None, **overrides) -> dict:
    """The facts the earlier roles publish (ecs_iam, prefect_api_secret: one dict per role)."""
    name = "PREFECT_API_KEY" if kind == "api_key" else "PREFECT_API_AUTH_STRING"
    if secret_arn is None:
        secret_arn = f"arn:aws:secretsmanager:us-east-1:{account}:secret:prefect-ops/{site}/{name}-AbC123"
    return {
        "ecs_iam": {"execution_role_arn": f"arn:aws:iam::{account}:role/{site}-us-east-1-execution",
                    "flow_run_task_role_arn": f"arn:aws:iam::{account}:role/{site}-us-east-1-flow-run"},
        "ecs_log_groups_flow_runs": f"/prefect/{site}/flow-runs",
        "prefect_api_secret": {"arn": secret_arn, "kind": kind},
        **overrides,
    }


def network(stack) -> dict:
    return {"ecs_network": {"subnet_ids": stack["PREFECT_OPS_FIXTURE_SUBNET_IDS"].split(","),
                            "security_group_ids": [stack["PREFECT_OPS_FIXTURE_SECURITY_GROUP_ID"]],
                            "vpc_id": stack["PREFECT_OPS_FIXTURE_VPC_ID"], "assign_public_ip": False}}


def arn(account, family, revision) -> str:
    return f"arn:aws:ecs:us-east-1:{account}:task-definition/{family}:{revision}"


def active(ecs, family) -> list[str]:
    arns = ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]
    return sorted((a for a in arns if a.rsplit("/", 1)[1].rsplit(":", 1)[0] == family),
                  key=lambda a: int(a.rsplit(":", 1)[1]))


def registrations(aws_proxy, since) -> list[str]:
    """Families of the RegisterTaskDefinition calls recorded since the mark."""
    return [c["params"]["family"] for c in aws_proxy.aws_calls(since)
            if c["action"] == "RegisterTaskDefinition" and is_mutating(c["action"]) and not c["fault"]]


def test_check_predicts_apply_registers_rerun_registers_nothing(aws_proxy, aws, tmp_path, unique, account):
    ecs = aws("ecs", direct=True)
    images = [{"name": "etl", "image": "ghcr.io/acme/etl:1.0", "cpu": 2048, "memory": 4096}]
    inv = inventory(tmp_path, {"site": {"prefect_ecs_name": unique, "upstream": upstream(unique, account),
                                        "ecs_flow_run_task_definitions_images": images}})
    default, etl = f"{unique}-flow-run", f"{unique}-flow-run-etl"

    mark = aws_proxy.mark()
    check = ok(run(inv, check=True))
    assert aws_proxy.mutating(mark) == []
    predicted = published(check, "site")
    assert predicted == {"ecs_flow_run_task_definitions_arn": arn(account, default, 1),
                         "ecs_flow_run_task_definitions_arns": {"etl": arn(account, etl, 1)}}
    assert changes(check, "site") == [f"task definitions: {default}, {etl}"]
    assert active(ecs, default) == [] and active(ecs, etl) == []

    mark = aws_proxy.mark()
    apply = ok(run(inv))
    assert published(apply, "site") == predicted
    assert sorted(registrations(aws_proxy, mark)) == sorted([default, etl])
    assert changes(apply, "site") == changes(check, "site")
    assert active(ecs, default) == [arn(account, default, 1)] and active(ecs, etl) == [arn(account, etl, 1)]

    mark = aws_proxy.mark()
    again = ok(run(inv))
    assert again.changed() == 0 and aws_proxy.mutating(mark) == []
    assert published(again, "site") == predicted and changes(again, "site") == []
    mark = aws_proxy.mark()
    check = ok(run(inv, check=True, args=["--diff"]))
    assert check.changed() == 0 and aws_proxy.mutating(mark) == []
    assert published(check, "site") == predicted

    # What the worker stops supplying once the ARN is pinned, carried by the definition itself.
    up = upstream(unique, account)
    for family, image, cpu, memory in ((default, PREFECT_IMAGE, "1024", "2048"), (etl, "ghcr.io/acme/etl:1.0", "2048", "4096")):
        response = ecs.describe_task_definition(taskDefinition=family, include=["TAGS"])
        td = response["taskDefinition"]
        assert {t["key"]: t["value"] for t in response["tags"]} == {**OWNER, "prefect-ops:site": unique}
        assert (td["networkMode"], td["requiresCompatibilities"], td["cpu"], td["memory"]) == (
            "awsvpc", ["FARGATE"], cpu, memory)
        assert td["executionRoleArn"] == up["ecs_iam"]["execution_role_arn"]
        assert td["taskRoleArn"] == up["ecs_iam"]["flow_run_task_role_arn"]
        [container] = td["containerDefinitions"]
        assert container["name"] == "prefect"  # prefect-aws's ECS_DEFAULT_CONTAINER_NAME
        assert container["image"] == image and container["essential"] is True
        assert container["memory"] == int(memory)
        assert container["logConfiguration"] == {"logDriver": "awslogs", "options": {
            "awslogs-group": up["ecs_log_groups_flow_runs"], "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "flow-run"}}
        assert container["secrets"] == [{"name": "PREFECT_API_AUTH_STRING", "valueFrom": up["prefect_api_secret"]["arn"]}]


def test_a_changed_image_registers_one_revision_and_keep_revisions_prunes_only_ours(aws_proxy, aws, tmp_path,
                                                                                    unique, account):
    ecs = aws("ecs", direct=True)
    default, etl = f"{unique}-flow-run", f"{unique}-flow-run-etl"

    def site(tag, keep=2):
        return inventory(tmp_path, {"site": {
            "prefect_ecs_name": unique, "upstream": upstream(unique, account),
            "ecs_flow_run_task_definitions_keep_revisions": keep,
            "ecs_flow_run_task_definitions_images": [{"name": "etl", "image": f"ghcr.io/acme/etl:{tag}"}]}})

    ok(run(site("1")))
    mark = aws_proxy.mark()
    second = ok(run(site("2")))
    assert registrations(aws_proxy, mark) == [etl]  # exactly one new revision, of the changed family
    assert [c["action"] for c in aws_proxy.mutating(mark)] == ["RegisterTaskDefinition"]
    assert published(second, "site") == {"ecs_flow_run_task_definitions_arn": arn(account, default, 1),
                                         "ecs_flow_run_task_definitions_arns": {"etl": arn(account, etl, 2)}}
    assert changes(second, "site") == [f"task definitions: {etl}"]
    assert active(ecs, etl) == [arn(account, etl, 1), arn(account, etl, 2)]

    # A revision registered outside the collection (no ownership tag) in the same family.
    theirs = ecs.register_task_definition(family=etl, containerDefinitions=[
        {"name": "prefect", "image": "theirs:1", "memory": 512}])["taskDefinition"]["taskDefinitionArn"]
    assert theirs == arn(account, etl, 3)

    mark = aws_proxy.mark()
    ok(run(site("4")))  # registers :4; keeps 2 ACTIVE (:4 and theirs :3): deregisters ours :2 and :1
    assert registrations(aws_proxy, mark) == [etl]
    deregistered = sorted(c["params"]["taskDefinition"] for c in aws_proxy.mutating(mark)
                          if c["action"] == "DeregisterTaskDefinition")
    assert deregistered == sorted([arn(account, etl, 1), arn(account, etl, 2)])
    assert active(ecs, etl) == [theirs, arn(account, etl, 4)]

    mark = aws_proxy.mark()
    ok(run(site("4", keep=1)))  # lowering the number prunes on the next run, registers nothing; theirs stays
    assert aws_proxy.mutating(mark) == []
    assert active(ecs, etl) == [theirs, arn(account, etl, 4)]
    assert active(ecs, default) == [arn(account, default, 1)]


def test_the_credential_is_only_a_secret_of_the_kind_given(aws, tmp_path, unique, account):
    ecs = aws("ecs", direct=True)
    hosts = {
        "cloud": {"prefect_ecs_name": f"{unique}-cloud", "upstream": upstream(f"{unique}-cloud", account, "api_key")},
        "selfhosted": {"prefect_ecs_name": f"{unique}-self", "upstream": upstream(f"{unique}-self", account)},
        "noauth": {"prefect_ecs_name": f"{unique}-noauth",
                   "upstream": upstream(f"{unique}-noauth", account, secret_arn="")},
    }
    ok(run(inventory(tmp_path, hosts)))
    expected = {"cloud": "PREFECT_API_KEY", "selfhosted": "PREFECT_API_AUTH_STRING", "noauth": None}
    for host, name in expected.items():
        td = ecs.describe_task_definition(taskDefinition=f"{hosts[host]['prefect_ecs_name']}-flow-run")["taskDefinition"]
        [container] = td["containerDefinitions"]
        assert not CREDENTIALS & {e["name"] for e in container.get("environment", [])}, host
        secrets = container.get("secrets", [])
        if name is None:
            assert secrets == [], host
        else:
            assert secrets == [{"name": name, "valueFrom": hosts[host]["upstream"]["prefect_api_secret"]["arn"]}], host


def test_the_pool_pins_the_default_definition_and_keeps_the_matching_secret_variable(tmp_path, unique, account):
    prefect = PatientPrefectAPI()
    pinned, plain = f"{unique}-pinned", f"{unique}-plain"
    inv = inventory(tmp_path, {
        pinned: {"prefect_ecs_name": pinned, "upstream": upstream(pinned, account)},
        # without the role's fact the pool's task_definition_arn is left alone (the worker builds definitions)
        plain: {"prefect_ecs_name": plain, "upstream": upstream(plain, account)},
    })
    try:
        result = run_playbook([play(ROLE, "prefect_ops.ecs.prefect_work_pools")[0] | {"hosts": pinned},
                               play("prefect_ops.ecs.prefect_work_pools")[0] | {"hosts": plain}], inventory=inv)
        ok(result)
        fact = published(result, pinned)["ecs_flow_run_task_definitions_arn"]
        assert fact == arn(account, f"{pinned}-flow-run", 1)
        variables = prefect.read_pool(pinned)["base_job_template"]["variables"]["properties"]
        assert variables["task_definition_arn"]["default"] == fact
        # the worker strips the credential from RunTask's overrides only when this variable is set; the pinned
        # definition carries the same secret under the same name
        secret = upstream(pinned, account)["prefect_api_secret"]["arn"]
        assert variables["prefect_api_auth_string_secret_arn"]["default"] == secret
        assert variables["prefect_api_key_secret_arn"].get("default") is None
        assert prefect.read_pool(plain)["base_job_template"]["variables"]["properties"][
            "task_definition_arn"].get("default") is None
    finally:
        prefect.delete_pool(pinned)
        prefect.delete_pool(plain)


def wait_for_runs(aws_proxy, since, count, worker, timeout=120) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        calls = [c for c in aws_proxy.aws_calls(since) if c["action"] == "RunTask" and not c["fault"]]
        if len(calls) >= count:
            return calls
        if worker.proc and worker.proc.poll() is not None:
            raise AssertionError(f"worker exited with {worker.proc.returncode}:\n{worker.log()[-4000:]}")
        time.sleep(1)
    raise AssertionError(f"{len(calls)} of {count} RunTask calls within {timeout}s; worker log:\n{worker.log()[-4000:]}")


def test_a_worker_on_the_pinned_pool_registers_nothing_and_sends_no_credential(
        aws_proxy, aws, stack, tmp_path, unique, account):
    """Seeds 001/003: with the pool's task_definition_arn pinned the real prefect-aws worker starts flow runs
    from the pinned ARNs (the pool's default, or a deployment's own) and never calls RegisterTaskDefinition."""
    prefect = PatientPrefectAPI()
    site = f"{unique}-e2e"
    cluster = aws("ecs", direct=True).create_cluster(clusterName=site)["cluster"]["clusterArn"]
    up = upstream(site, account, ecs_cluster={"name": site, "arn": cluster}, **network(stack))
    inv = inventory(tmp_path, {"site": {"prefect_ecs_name": site, "upstream": up,
                                        "ecs_flow_run_task_definitions_images": [{"name": "etl", "image": "acme/etl:1"}]}})
    flow = None
    try:
        facts = published(ok(run(inv, ROLE, "prefect_ops.ecs.prefect_work_pools")), "site")
        default, etl = facts["ecs_flow_run_task_definitions_arn"], facts["ecs_flow_run_task_definitions_arns"]["etl"]
        flow = prefect.ok("POST", "/flows/", {"name": f"pinned-{unique}"})
        runs = {}
        for name, job_variables in (("default", {}), ("etl", {"task_definition_arn": etl}),
                                    # control: without the pool's secret variable the worker would send its
                                    # own credential in the clear (the pinned definition cannot stop that)
                                    ("unstripped", {"prefect_api_auth_string_secret_arn": None})):
            deployment = prefect.ok("POST", "/deployments/", {"name": f"{name}-{unique}", "flow_id": flow["id"],
                                                              "work_pool_name": site, "job_variables": job_variables})
            runs[prefect.ok("POST", f"/deployments/{deployment['id']}/create_flow_run", {})["id"]] = name

        since = aws_proxy.mark()
        with Worker(site) as worker:
            calls = wait_for_runs(aws_proxy, since, len(runs), worker)
        assert registrations(aws_proxy, since) == [], worker.log()[-3000:]
        by_run = {}
        for call in calls:
            tags = {t["key"]: t["value"] for t in call["params"].get("tags", [])}
            by_run[runs[tags["prefect.io/flow-run-id"]]] = call["params"]
        assert {name: params["taskDefinition"] for name, params in by_run.items()} == {
            "default": default, "etl": etl, "unstripped": default}
        for name, params in by_run.items():
            [override] = params["overrides"]["containerOverrides"]
            assert override["name"] == "prefect"
            env = {e["name"] for e in override.get("environment", [])}
            assert "PREFECT_API_URL" in env and "PREFECT__FLOW_RUN_ID" in env
            if name == "unstripped":
                assert "PREFECT_API_AUTH_STRING" in env  # the control: the variable is what keeps it out
            else:
                assert not CREDENTIALS & env, (name, sorted(env))
    finally:
        if flow:
            prefect.request("DELETE", f"/flows/{flow['id']}")  # with its deployments and flow runs
        prefect.delete_pool(site)
        ok(run(inv, extra_vars={"ecs_flow_run_task_definitions_state": "absent"}))
        aws("ecs", direct=True).delete_cluster(cluster=cluster)


def test_absent_deregisters_only_what_the_collection_registered(aws_proxy, aws, tmp_path, unique, account):
    ecs = aws("ecs", direct=True)
    default, etl, old = (f"{unique}-flow-run{s}" for s in ("", "-etl", "-old"))
    images = [{"name": "etl", "image": "acme/etl:1"}, {"name": "old", "image": "acme/old:1"}]
    host = {"prefect_ecs_name": unique, "upstream": upstream(unique, account),
            "ecs_flow_run_task_definitions_images": images}
    ok(run(inventory(tmp_path, {"site": host})))

    # one image retired on a present run: only its family is deregistered
    host["ecs_flow_run_task_definitions_images"] = [images[0], {"name": "old", "state": "absent"}]
    mark = aws_proxy.mark()
    retired = ok(run(inventory(tmp_path, {"site": host})))
    assert [(c["action"], c["params"].get("taskDefinition")) for c in aws_proxy.mutating(mark)] == [
        ("DeregisterTaskDefinition", arn(account, old, 1))]
    assert published(retired, "site")["ecs_flow_run_task_definitions_arns"] == {"etl": arn(account, etl, 1)}
    assert changes(retired, "site") == [f"deregistered task definitions: {old}"]
    assert active(ecs, old) == [] and active(ecs, etl) == [arn(account, etl, 1)]

    # a revision registered outside the collection (no ownership tag) in the pool default's family
    theirs = ecs.register_task_definition(family=default, containerDefinitions=[
        {"name": "prefect", "image": "theirs:1", "memory": 512}])["taskDefinition"]["taskDefinitionArn"]
    inv = inventory(tmp_path, {"site": host})
    mark = aws_proxy.mark()
    check = ok(run(inv, check=True, extra_vars={"ecs_flow_run_task_definitions_state": "absent"}))
    assert aws_proxy.mutating(mark) == [] and check.changed() > 0
    down = ok(run(inv, extra_vars={"ecs_flow_run_task_definitions_state": "absent"}))
    assert changes(down, "site") == changes(check, "site") == [f"deregistered task definitions: {default}, {etl}"]
    assert active(ecs, default) == [theirs]  # registered outside the collection: left ACTIVE
    assert active(ecs, etl) == []
    mark = aws_proxy.mark()
    again = ok(run(inv, extra_vars={"ecs_flow_run_task_definitions_state": "absent"}))
    assert again.changed() == 0 and aws_proxy.mutating(mark) == []


def test_the_worker_limit_reaches_the_worker_command(aws, stack, tmp_path, unique, account):
    """The worker's --limit (ecs_worker_service_limit) caps the flow runs one worker submits at once."""
    cluster = aws("ecs", direct=True).create_cluster(clusterName=unique)["cluster"]["clusterArn"]
    up = {"ecs_cluster": {"name": unique, "arn": cluster}, **network(stack)}
    inv = inventory(tmp_path, {
        "limited": {"prefect_ecs_name": f"{unique}-l", "upstream": up, "ecs_worker_service_limit": 7},
        "unlimited": {"prefect_ecs_name": f"{unique}-u", "upstream": up}})
    try:
        result = ok(run(inv, "prefect_ops.ecs.ecs_worker_service", check=True))
        command = {h: result.task("Register the worker's task definition (a new revision only when it really changes)",
                                  h)["task_definition"]["containerDefinitions"][0]["command"] for h in ("limited", "unlimited")}
        assert command["limited"][-2:] == ["--limit", "7"]
        assert "--limit" not in command["unlimited"]
    finally:
        aws("ecs", direct=True).delete_cluster(cluster=cluster)


def test_bad_input_fails_before_any_change_naming_the_field(aws_proxy, tmp_path, unique, account):
    def case(name, **role_vars):
        return {"prefect_ecs_name": f"{unique}-{name}", "upstream": upstream(f"{unique}-{name}", account), **role_vars}

    cases = {
        "duplicate": (case("duplicate", ecs_flow_run_task_definitions_images=[
            {"name": "etl", "image": "a:1"}, {"name": "etl", "image": "a:2"}]), ["ecs_flow_run_task_definitions_images"]),
        "no-image": (case("no-image", ecs_flow_run_task_definitions_images=[{"name": "etl"}]),
                     ["ecs_flow_run_task_definitions_images", "image"]),
        "bad-name": (case("bad-name", ecs_flow_run_task_definitions_images=[{"name": "etl/v2", "image": "a:1"}]),
                     ["ecs_flow_run_task_definitions_images", "etl/v2"]),
        "misspelt-key": (case("misspelt-key", ecs_flow_run_task_definitions_images=[{"name": "etl", "imgae": "a:1"}]),
                         ["imgae"]),
        "misspelt-var": (case("misspelt-var", ecs_flow_run_task_definitions_keep_revision=3),
                         ["ecs_flow_run_task_definitions_keep_revision"]),
        "kind": (case("kind", ecs_flow_run_task_definitions_secret_kind="password"),
                 ["ecs_flow_run_task_definitions_secret_kind"]),
        "no-execution-role": (case("no-execution-role", ecs_flow_run_task_definitions_execution_role_arn=""),
                              ["ecs_flow_run_task_definitions_execution_role_arn", "ecs_iam"]),
        "secret-not-arn": (case("secret-not-arn", ecs_flow_run_task_definitions_secret_arn="my-secret"),
                           ["ecs_flow_run_task_definitions_secret_arn"]),
        "keep-zero": (case("keep-zero", ecs_flow_run_task_definitions_keep_revisions=0),
                      ["ecs_flow_run_task_definitions_keep_revisions"]),
        # every definition is checked before the first is registered: the valid pool default is not registered
        "fargate-pair": (case("fargate-pair", ecs_flow_run_task_definitions_images=[
            {"name": "etl", "image": "a:1", "cpu": 256, "memory": 4096}]),
            ["memory 4096 MiB with cpu 256", "ecs_flow_run_task_definitions_images[0].memory"]),
        "family-too-long": (case("family-too-long", ecs_flow_run_task_definitions_family="f" * 256), ["family", "255", "ecs_flow_run_task_definitions_family"]),
    }
    inv = inventory(tmp_path, {name: host for name, (host, _expected) in cases.items()})
    mark = aws_proxy.mark()
    result = run(inv)
    assert aws_proxy.mutating(mark) == []
    for name, (_host, expected) in cases.items():
        failed = [t for t in result.tasks() if t["host"] == name and t.get("failed")]
        assert failed, f"{name}: did not fail"
        text = json.dumps(failed)
        for needle in expected:
            assert needle in text, f"{name}: {needle!r} not in {text[-1500:]}"
