"""Role prefect_deployments against the local stack (moto behind the recording proxy, the real Prefect server
behind a counting proxy).

check on a fresh site mutates nothing (no AWS write, no Prefect write, not even the flow) -> apply creates the
ECR repository with prefect_ops.ecs.ecr_repository (scan on push, tag immutability, lifecycle policy and ownership tags read back with boto3) and the
deployments (read back from the Prefect API; job_variables.task_definition_arn from the fact) -> re-run and check
change nothing (zero mutating AWS calls, zero Prefect writes) -> changed settings converge, check mode predicting
them -> absent removes only what carries this site's ownership tags, only empty repositories unless forced.

The gap test first: community.aws.ecs_ecr (10.0.0) converges settings on re-runs, but has no tags option, fails in
check mode on a repository that does not exist yet when a lifecycle policy is given, reports a change it would make
in check mode as skipped, and deletes a repository whatever its tags. Each assertion states its actual behaviour, so
the test fails, and says the role could use it again instead of prefect_ops.ecs.ecr_repository, the day upstream fixes
it.
"""
from __future__ import annotations

import json
import urllib.parse

import pytest
import yaml

from stacktools.ansible_run import run_playbook
from stacktools.prefect_proxy import build as build_prefect_proxy
from stacktools.proxy import start_in_thread
from stacktools.stack import ProxyControl
from test_ecs_support import actions, changed, run_steps, step

pytestmark = pytest.mark.stack

ROLE = "prefect_ops.ecs.prefect_deployments"
THEIRS = "community.aws.ecs_ecr"
# one task publishes the repository URIs, the deployments (flow_name/name -> id) and what the role changed
PUBLISH_URIS = PUBLISH_DEPLOYMENTS = RECORD = "Publish the repository URIs and deployments and what this role changed"
OWNERSHIP = {"prefect-ops:managed-by": "prefect_ops.ecs"}
PREFECT_IMAGE = "prefecthq/prefect:3.8.8-python3.11"

# One inventory host per case (cases run in parallel, forks). Before the role: the fact of the earlier role that
# registers the flow-run task definitions (the host's `upstream_task_definitions`) and the site's ECS pool.
PLAY = [{
    "name": "prefect_deployments under test", "hosts": "all", "gather_facts": False,
    "pre_tasks": [
        {"name": "Facts of the earlier roles",
         "ansible.builtin.set_fact": {"ecs_flow_run_task_definitions_arns": "{{ upstream_task_definitions }}"},
         "when": "upstream_task_definitions is defined"},
        {"name": "The site's ECS pool (prefect_work_pools would create it)",
         "prefect_ops.ecs.prefect_work_pool": {"name": "{{ prefect_ecs_name }}", "type": "ecs"},
         "when": "prefect_deployments_state | default('present') == 'present'"},
    ],
    "roles": [{"role": ROLE}],
}]


def q(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def lifecycle(keep: int) -> dict:
    return {"rules": [{"rulePriority": 1, "description": f"keep last {keep}",
                       "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
                       "action": {"type": "expire"}}]}


def repo_state(ecr, name: str) -> dict | None:
    try:
        repo = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    except ecr.exceptions.RepositoryNotFoundException:
        return None
    try:
        policy = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
    except ecr.exceptions.LifecyclePolicyNotFoundException:
        policy = None
    return {"uri": repo["repositoryUri"], "mutability": repo["imageTagMutability"],
            "scan_on_push": repo["imageScanningConfiguration"]["scanOnPush"], "lifecycle": policy,
            "tags": {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]}}


def put_image(ecr, name: str, tag: str = "v1") -> None:
    """An image, as `docker push` would leave it (moto stores the manifest; no Docker needed)."""
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023,
                           "digest": "sha256:" + "b" * 64},
                "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 32654,
                            "digest": "sha256:" + "c" * 64}]}
    ecr.put_image(repositoryName=name, imageManifest=json.dumps(manifest), imageTag=tag)


@pytest.fixture()
def prefect_calls(stack):
    """(control, api_url): the Prefect fault proxy in this process, counting every call the runs make."""
    server = build_prefect_proxy(stack["PREFECT_API_URL"].rsplit("/api", 1)[0])
    start_in_thread(server)
    yield ProxyControl(f"http://127.0.0.1:{server.server_port}"), f"http://127.0.0.1:{server.server_port}/api"
    server.shutdown()


def prefect_writes(control: ProxyControl, since: int) -> list[dict]:
    return [c for c in control.calls(since) if c["method"] != "GET"]


@pytest.fixture()
def cleanup(prefect, aws):
    """Sites (pool names) and flows to delete after the test, whatever it left."""
    made = {"pools": [], "flows": [], "repositories": []}
    yield made
    for flow in made["flows"]:
        status, body = prefect.request("GET", f"/flows/name/{q(flow)}")
        if status == 200:
            prefect.request("DELETE", f"/flows/{body['id']}")
    for pool in made["pools"]:
        prefect.delete_pool(pool)
    ecr = aws("ecr", direct=True)
    for name in made["repositories"]:
        try:
            ecr.delete_repository(repositoryName=name, force=True)
        except ecr.exceptions.RepositoryNotFoundException:
            pass


def inventory(tmp_path, hosts: dict) -> str:
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}))
    return str(path)


def run(inv: str, api_url: str, *, check: bool = False, extra_vars: dict | None = None):
    return run_playbook(PLAY, inventory=inv, check=check, extra_vars=extra_vars, env={"PREFECT_API_URL": api_url})


def ok(result):
    assert result.rc == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return result


def fact(result, task: str, name: str, host: str):
    return result.task(task, host)["ansible_facts"][name]


def read_deployment(prefect, flow: str, name: str) -> dict | None:
    status, body = prefect.request("GET", f"/deployments/name/{q(flow)}/{q(name)}")
    return body if status == 200 else None


# -- the gap --------------------------------------------------------------------------------------------------------
def test_ecs_ecr_gaps_the_role_works_around(aws, unique):
    """What community.aws.ecs_ecr does, and why the role uses prefect_ops.ecs.ecr_repository instead."""
    ecr = aws("ecr", direct=True)
    name = f"{unique}/gap"
    foreign = f"{unique}/someone-else"
    ecr.create_repository(repositoryName=foreign, tags=[{"Key": "owner", "Value": "another-team"}])
    args = {"name": name, "image_tag_mutability": "immutable", "scan_on_push": True,
            "lifecycle_policy": json.dumps(lifecycle(10))}
    results = run_steps([
        step(THEIRS, args, check=True),                                           # 0 fresh, check mode
        step(THEIRS, args),                                                       # 1 create
        step(THEIRS, args),                                                       # 2 re-run
        step(THEIRS, {**args, "scan_on_push": False}, check=True),                # 3 drift, check mode
        step(THEIRS, {**args, "scan_on_push": False}),                            # 4 converge scan on push
        step(THEIRS, {**args, "scan_on_push": False,
                      "lifecycle_policy": json.dumps(lifecycle(5))}),             # 5 converge the policy
        step(THEIRS, {**args, "scan_on_push": False,
                      "lifecycle_policy": json.dumps(lifecycle(5))}),             # 6 re-run
        step(THEIRS, {**args, "tags": OWNERSHIP}),                                # 7 tags?
        step(THEIRS, {"name": foreign, "state": "absent"}),                       # 8 absent, not ours
    ], unique)

    # Gap 1: check mode on a repository that does not exist yet fails when a lifecycle policy is given.
    assert results[0].get("failed") and "could not find repository" in results[0]["msg"]
    assert results[0]["mutating"] == []
    # What the role relies on: creation, re-runs and changed settings converge, re-runs make no mutating call.
    assert changed(results[1:3]) == [True, False]
    assert actions(results[1])[0] == "CreateRepository" and actions(results[2]) == []
    assert [actions(r) for r in results[4:7]] == [["PutImageScanningConfiguration"], ["PutLifecyclePolicy"], []]
    state = repo_state(ecr, name)
    assert (state["scan_on_push"], state["lifecycle"]["rules"][0]["selection"]["countNumber"]) == (False, 5)
    # Gap 2: a change it would make in check mode comes back skipped, so a --check recap counts no change.
    assert results[3]["changed"] is True and results[3]["skipped"] is True and results[3]["mutating"] == []
    # Gap 3: no tags option; the repository it created carries no tag, so teardown could not tell it is ours.
    assert results[7].get("failed") and "tags" in results[7]["msg"]
    assert state["tags"] == {}
    # Gap 4: state=absent deletes a same-named repository whatever its tags say.
    assert actions(results[8]) == ["DeleteRepository"] and repo_state(ecr, foreign) is None
    ecr.delete_repository(repositoryName=name, force=True)


# -- the role ---------------------------------------------------------------------------------------------------------
def test_check_apply_rerun_converge_and_absent(aws, aws_proxy, prefect, prefect_calls, cleanup, tmp_path, unique):
    control, api_url = prefect_calls
    ecr = aws("ecr", direct=True)
    account = aws("sts", direct=True).get_caller_identity()["Account"]
    flow = f"{unique}-hello"
    repo = f"{unique}/flows"
    cleanup["pools"].append(unique)
    cleanup["flows"].append(flow)
    cleanup["repositories"].append(repo)
    task_definition = f"arn:aws:ecs:us-east-1:{account}:task-definition/{unique}-hello:3"
    host = {
        "prefect_ecs_name": unique,
        "prefect_ecs_tags": {"team": "data"},
        "upstream_task_definitions": {"hello": task_definition},
        "prefect_deployments_ecr_keep_images": 5,
        "prefect_deployments_ecr_repositories": [{"name": repo}],
        "prefect_deployments_list": [
            {"name": "hello-ecs", "flow_name": flow, "entrypoint": "flows/hello.py:hello",
             "image": f"{account}.dkr.ecr.us-east-1.amazonaws.com/{repo}:1.0", "task_definition": "hello",
             "parameters": {"name": "ECS"}, "tags": ["demo"], "description": "hello on ECS",
             "schedules": [{"cron": "0 6 * * 1-5", "timezone": "Europe/Paris"}],
             "concurrency_limit": 2, "concurrency_options": {"collision_strategy": "CANCEL_NEW"},
             "pull_steps": [{"prefect.deployments.steps.set_working_directory": {"directory": "/opt/prefect"}}]},
            {"name": "hello-paused", "flow_name": flow, "entrypoint": "flows/hello.py:hello", "work_queue": "slow",
             "image": PREFECT_IMAGE, "job_variables": {"cpu": 512, "memory": 1024}, "paused": True},
        ],
    }
    inv = inventory(tmp_path, {"site": host})

    # 1. check mode on a fresh site: predictions, and nothing written anywhere (not the pool, flow or repository)
    aws_mark, prefect_mark = aws_proxy.mark(), control.mark()
    check = ok(run(inv, api_url, check=True))
    assert aws_proxy.mutating(aws_mark) == [] and prefect_writes(control, prefect_mark) == []
    assert repo_state(ecr, repo) is None and prefect.read_pool(unique) is None
    assert prefect.request("GET", f"/flows/name/{q(flow)}")[0] == 404
    predicted_uris = fact(check, PUBLISH_URIS, "prefect_deployments_ecr_repository_uris", "site")
    assert predicted_uris == {repo: f"{account}.dkr.ecr.us-east-1.amazonaws.com/{repo}"}
    assert fact(check, PUBLISH_DEPLOYMENTS, "prefect_deployments_deployments", "site") == {
        f"{flow}/hello-ecs": None, f"{flow}/hello-paused": None}
    predicted_changes = fact(check, RECORD, "prefect_deployments_changes", "site")
    assert predicted_changes == [f"ECR repositories: {repo}", f"deployments: {flow}/hello-ecs, {flow}/hello-paused"]

    # 2. apply: the repository and the deployments, read back
    aws_mark = aws_proxy.mark()
    apply = ok(run(inv, api_url))
    assert [c["action"] for c in aws_proxy.mutating(aws_mark) if c["service"] == "ecr"] == [
        "CreateRepository", "PutLifecyclePolicy"]
    assert fact(apply, PUBLISH_URIS, "prefect_deployments_ecr_repository_uris", "site") == predicted_uris
    # check mode predicted exactly what apply changes, the new repository's settings included
    assert fact(apply, RECORD, "prefect_deployments_changes", "site") == predicted_changes
    state = repo_state(ecr, repo)
    assert state["uri"] == predicted_uris[repo]
    assert state["mutability"] == "IMMUTABLE" and state["scan_on_push"] is True
    [rule] = state["lifecycle"]["rules"]
    assert rule["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5}
    assert rule["action"] == {"type": "expire"}
    assert state["tags"] == {**OWNERSHIP, "prefect-ops:site": unique, "team": "data"}

    ecs_dep = read_deployment(prefect, flow, "hello-ecs")
    paused = read_deployment(prefect, flow, "hello-paused")
    assert fact(apply, PUBLISH_DEPLOYMENTS, "prefect_deployments_deployments", "site") == {
        f"{flow}/hello-ecs": ecs_dep["id"], f"{flow}/hello-paused": paused["id"]}
    assert ecs_dep["work_pool_name"] == unique and ecs_dep["entrypoint"] == "flows/hello.py:hello"
    assert ecs_dep["job_variables"] == {"image": f"{account}.dkr.ecr.us-east-1.amazonaws.com/{repo}:1.0",
                                        "task_definition_arn": task_definition}
    assert ecs_dep["parameters"] == {"name": "ECS"} and ecs_dep["tags"] == ["demo"]
    assert ecs_dep["description"] == "hello on ECS" and ecs_dep["paused"] is False
    assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in ecs_dep["schedules"]] == [
        ("0 6 * * 1-5", "Europe/Paris")]
    assert ecs_dep["global_concurrency_limit"]["limit"] == 2
    assert ecs_dep["concurrency_options"]["collision_strategy"] == "CANCEL_NEW"
    assert ecs_dep["pull_steps"] == [{"prefect.deployments.steps.set_working_directory": {"directory": "/opt/prefect"}}]
    assert paused["work_pool_name"] == unique and paused["work_queue_name"] == "slow" and paused["paused"] is True
    assert paused["job_variables"] == {"image": PREFECT_IMAGE, "cpu": 512, "memory": 1024}

    # 3. re-run and check mode: nothing changes, no mutating AWS call, no Prefect write
    for check_mode in (False, True):
        aws_mark, prefect_mark = aws_proxy.mark(), control.mark()
        again = ok(run(inv, api_url, check=check_mode))
        assert again.changed() == 0, [t["task"] for t in again.tasks() if t.get("changed")]
        assert aws_proxy.mutating(aws_mark) == [] and prefect_writes(control, prefect_mark) == []
        assert fact(again, RECORD, "prefect_deployments_changes", "site") == []

    # 4. changed settings: check mode predicts them without writing, apply converges, a re-run is clean again
    host["prefect_deployments_ecr_repositories"] = [{"name": repo, "scan_on_push": False, "keep_images": 3}]
    host["prefect_deployments_list"][0]["parameters"] = {"name": "changed"}
    inv = inventory(tmp_path, {"site": host})
    aws_mark, prefect_mark = aws_proxy.mark(), control.mark()
    check = ok(run(inv, api_url, check=True))
    assert aws_proxy.mutating(aws_mark) == [] and prefect_writes(control, prefect_mark) == []
    assert check.changed() == 2  # the recap counts the repository settings check mode would change
    expected = [f"ECR repositories: {repo}", f"deployments: {flow}/hello-ecs"]
    assert fact(check, RECORD, "prefect_deployments_changes", "site") == expected
    assert repo_state(ecr, repo)["scan_on_push"] is True
    aws_mark = aws_proxy.mark()
    converge = ok(run(inv, api_url))
    assert fact(converge, RECORD, "prefect_deployments_changes", "site") == expected
    # only what differs is sent: the same mutability is not put again
    assert [c["action"] for c in aws_proxy.mutating(aws_mark)] == ["PutImageScanningConfiguration", "PutLifecyclePolicy"]
    state = repo_state(ecr, repo)
    assert state["scan_on_push"] is False and state["lifecycle"]["rules"][0]["selection"]["countNumber"] == 3
    assert read_deployment(prefect, flow, "hello-ecs")["parameters"] == {"name": "changed"}
    aws_mark = aws_proxy.mark()
    assert ok(run(inv, api_url)).changed() == 0 and aws_proxy.mutating(aws_mark) == []

    # 5. absent: check mode removes nothing, then the deployments and the (empty) repository go, the flow stays
    aws_mark, prefect_mark = aws_proxy.mark(), control.mark()
    check = ok(run(inv, api_url, check=True, extra_vars={"prefect_deployments_state": "absent"}))
    assert aws_proxy.mutating(aws_mark) == [] and prefect_writes(control, prefect_mark) == []
    removal = [f"removed deployments: {flow}/hello-ecs, {flow}/hello-paused", f"removed ECR repositories: {repo}"]
    assert fact(check, RECORD, "prefect_deployments_changes", "site") == removal
    down = ok(run(inv, api_url, extra_vars={"prefect_deployments_state": "absent"}))
    assert fact(down, RECORD, "prefect_deployments_changes", "site") == removal
    assert repo_state(ecr, repo) is None
    assert read_deployment(prefect, flow, "hello-ecs") is None and read_deployment(prefect, flow, "hello-paused") is None
    assert prefect.request("GET", f"/flows/name/{q(flow)}")[0] == 200
    aws_mark, prefect_mark = aws_proxy.mark(), control.mark()
    again = ok(run(inv, api_url, extra_vars={"prefect_deployments_state": "absent"}))
    assert again.changed() == 0 and aws_proxy.mutating(aws_mark) == [] and prefect_writes(control, prefect_mark) == []


def test_absent_removes_only_this_sites_empty_repositories(aws, aws_proxy, prefect_calls, cleanup, tmp_path, unique):
    _control, api_url = prefect_calls
    ecr = aws("ecr", direct=True)
    names = {case: f"{unique}/{case}" for case in ("empty", "images", "foreign", "adopted", "other-site")}
    cleanup["repositories"].extend(names.values())
    cleanup["pools"].extend(f"{unique}-{case}" for case in names)
    # same-named repositories this site did not create: no ownership tags, or another site's
    ecr.create_repository(repositoryName=names["foreign"], tags=[{"Key": "owner", "Value": "another-team"}])
    ecr.create_repository(repositoryName=names["adopted"], imageTagMutability="MUTABLE")
    ecr.create_repository(repositoryName=names["other-site"], tags=[
        {"Key": "prefect-ops:managed-by", "Value": "prefect_ops.ecs"}, {"Key": "prefect-ops:site", "Value": "elsewhere"}])
    untouched = {case: repo_state(ecr, names[case]) for case in ("foreign", "other-site")}

    def host(case, **entry):
        return {"prefect_ecs_name": f"{unique}-{case}",
                "prefect_deployments_ecr_repositories": [{"name": names[case], **entry}]}

    inv = inventory(tmp_path, {case: host(case, **({"adopt": True} if case == "adopted" else {})) for case in names})
    aws_mark = aws_proxy.mark()
    apply = run(inv, api_url)
    assert {h: s["failures"] for h, s in apply.stats.items()} == {
        "empty": 0, "images": 0, "foreign": 1, "adopted": 0, "other-site": 1}
    for case in ("foreign", "other-site"):
        refusal = json.dumps([t for t in apply.tasks() if t["host"] == case and t.get("failed")])
        assert "adopt: true" in refusal and names[case] in refusal
        assert repo_state(ecr, names[case]) == untouched[case]
    touched = {c["params"].get("repositoryName") or c["params"].get("resourceArn", "").split("/", 1)[-1]
               for c in aws_proxy.mutating(aws_mark)}
    assert names["foreign"] not in touched and names["other-site"] not in touched
    # adopted: its settings are managed, it never gets the ownership tags
    adopted = repo_state(ecr, names["adopted"])
    assert adopted["mutability"] == "IMMUTABLE" and adopted["scan_on_push"] is True and adopted["tags"] == {}
    put_image(ecr, names["images"])

    down = ok(run(inv, api_url, extra_vars={"prefect_deployments_state": "absent"}))
    assert repo_state(ecr, names["empty"]) is None
    assert repo_state(ecr, names["images"]) is not None
    kept = json.dumps([t for t in down.tasks() if t["host"] == "images"])
    assert "holds images" in kept and "prefect_deployments_ecr_force_delete" in kept
    assert repo_state(ecr, names["adopted"]) == adopted
    for case in ("foreign", "other-site"):
        assert repo_state(ecr, names[case]) == untouched[case]

    force = {"prefect_deployments_state": "absent", "prefect_deployments_ecr_force_delete": True}
    forced = ok(run(inv, api_url, extra_vars=force))
    assert forced.changed("images") == 1 and forced.changed() == 1
    assert repo_state(ecr, names["images"]) is None
    assert repo_state(ecr, names["adopted"]) == adopted


def test_bad_input_fails_before_any_change_naming_the_field(aws_proxy, prefect, prefect_calls, cleanup, tmp_path,
                                                            unique):
    control, api_url = prefect_calls
    flow = f"{unique}-flow"
    cleanup["flows"].append(flow)
    good = {"name": "good", "flow_name": flow, "entrypoint": "flows/hello.py:hello", "image": PREFECT_IMAGE}
    cases = {
        "bad-name": ({"name": "a/b"}, ["prefect_deployments_list[1].name", "/ % & > <"]),
        "no-flow-name": ({"flow_name": None}, ["prefect_deployments_list[1].flow_name is missing"]),
        "no-entrypoint": ({"entrypoint": None}, ["prefect_deployments_list[1].entrypoint is missing",
                                                 "path/to/file.py:flow_function"]),
        "bad-entrypoint": ({"entrypoint": "flows/hello.py"}, ["prefect_deployments_list[1].entrypoint"]),
        "negative-limit": ({"concurrency_limit": -5}, ["prefect_deployments_list[1].concurrency_limit", "paused: true"]),
        "zero-limit": ({"concurrency_limit": 0}, ["prefect_deployments_list[1].concurrency_limit"]),
        "strategy": ({"concurrency_options": {"collision_strategy": "QUEUE"}},
                     ["prefect_deployments_list[1].concurrency_options.collision_strategy", "ENQUEUE", "CANCEL_NEW"]),
        "unknown-task-definition": ({"task_definition": "nope"},
                                    ["prefect_deployments_list[1].task_definition", "ecs_flow_run_task_definitions_arns"]),
        "both-task-definitions": ({"task_definition": "hello",
                                   "job_variables": {"task_definition_arn": "arn:aws:ecs:us-east-1:1:task-definition/x:1"}},
                                  ["task_definition and job_variables.task_definition_arn"]),
        "duplicate": ({"name": "good"}, [f"'{flow}/good' a second time"]),
        "misspelt-key": ({"entry_point": "flows/hello.py:hello"}, ["prefect_deployments_list[1] has unknown key(s) entry_point"]),
        "ecr-name": ("repo:Flows_", ["prefect_deployments_ecr_repositories[1].name", "lowercase"]),
        "ecr-mutability": ("repo:mutability", ["prefect_deployments_ecr_repositories[1].image_tag_mutability"]),
        "misspelt-variable": ("var", ["prefect_deployments_lists"]),
    }
    hosts = {}
    for case, (change, _expected) in cases.items():
        second = {**good, "name": "second", **(change if isinstance(change, dict) else {})}
        repositories = [{"name": f"{unique}/{case}"}]
        site = {"prefect_ecs_name": f"{unique}-{case}",
                "upstream_task_definitions": {"hello": "arn:aws:ecs:us-east-1:1:task-definition/h:1"},
                "prefect_deployments_list": [good, second], "prefect_deployments_ecr_repositories": repositories}
        if change == "repo:Flows_":
            repositories.append({"name": "Flows_"})
        elif change == "repo:mutability":
            repositories.append({"name": f"{unique}/other", "image_tag_mutability": "SOMETIMES"})
        elif change == "var":
            site["prefect_deployments_lists"] = []
        hosts[case] = site
    cleanup["pools"].extend(h["prefect_ecs_name"] for h in hosts.values())
    inv = inventory(tmp_path, hosts)
    aws_mark = aws_proxy.mark()
    prefect_mark = control.mark()
    result = run(inv, api_url)
    assert aws_proxy.mutating(aws_mark) == []
    # the pre-task creates each site's pool; the role writes nothing to Prefect, not even the valid first deployment
    assert [c for c in prefect_writes(control, prefect_mark) if not c["path"].endswith("/work_pools/")] == []
    assert read_deployment(prefect, flow, "good") is None
    for case, (_change, expected) in cases.items():
        failed = [t for t in result.tasks() if t["host"] == case and t.get("failed")]
        assert failed, f"{case}: did not fail"
        text = json.dumps(failed)
        for needle in expected:
            assert needle in text, f"{case}: {needle!r} not in {text[-1500:]}"
