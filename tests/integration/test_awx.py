"""AWX / Automation Controller: the collection as AWX runs it, and the execution environment's build context.

The site is converged the way an AWX job runs it: the collection built with `ansible-galaxy collection
build` and installed from its tarball into an otherwise empty collections path (the dependencies from the
venv's `ansible` package beside it, as an EE carries them), the playbook `prefect_ops.ecs.site` run by
ansible-runner (the engine AWX runs jobs with), and an environment holding only what AWX would give the
job: the Prefect variables rendered from awx/credential_type_prefect.yml's injectors the way AWX renders
them, and the AWS credential, region and endpoint of the stack. Nothing else of the test process leaks in.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import ansible_runner
import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from stacktools.ansible_run import BIN, REPO

CREDENTIAL_TYPE = yaml.safe_load((REPO / "awx" / "credential_type_prefect.yml").read_text())
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
TARBALL_NAME = f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"
# variables of the test process an AWX job never sees (its container starts clean)
SCRUBBED = ("PREFECT_", "AWS_", "ANSIBLE_", "PREFECT_OPS_")


def pins(path: Path) -> dict:
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)", line)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def awx_inject(inputs: dict) -> dict:
    """The env AWX injects for a credential of our type: every env injector rendered in a sandboxed Jinja
    environment whose namespace holds only the fields the credential has (awx inject_credential)."""
    sandbox = ImmutableSandboxedEnvironment()
    namespace = {k: v for k, v in inputs.items() if v}
    return {var: sandbox.from_string(tmpl).render(**namespace)
            for var, tmpl in CREDENTIAL_TYPE["injectors"]["env"].items()}


def test_credential_type_fields_and_injectors():
    fields = {f["id"]: f for f in CREDENTIAL_TYPE["inputs"]["fields"]}
    assert set(fields) == {"api_url", "api_key", "auth_string"}
    assert [k for k, f in fields.items() if f.get("secret")] == ["api_key", "auth_string"]
    assert CREDENTIAL_TYPE["inputs"]["required"] == ["api_url"]
    assert CREDENTIAL_TYPE["kind"] == "cloud"
    # a self-hosted credential: AWX injects the missing API key as an empty variable, not omitted
    assert awx_inject({"api_url": "https://p.example/api", "auth_string": "u:p"}) == {
        "PREFECT_API_URL": "https://p.example/api", "PREFECT_API_KEY": "", "PREFECT_API_AUTH_STRING": "u:p"}


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), "--force"],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path = out / TARBALL_NAME
    assert path.is_file(), list(out.iterdir())
    return path


def test_ansible_builder_create_writes_the_context(tarball, tmp_path):
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text())
    assert ee["version"] == 3
    # the EE pins what requirements.txt pins
    req = pins(REPO / "requirements.txt")
    assert ee["dependencies"]["ansible_core"]["package_pip"] == f"ansible-core=={req['ansible-core']}"
    assert ee["dependencies"]["ansible_runner"]["package_pip"] == f"ansible-runner=={req['ansible-runner']}"
    ee_python = pins(REPO / ee["dependencies"]["python"])
    assert ee_python == {"boto3": req["boto3"], "botocore": req["botocore"], "mitogen": req["mitogen"]}
    # the EE file with the files it names, and the tarball where `ansible-galaxy collection build` puts it
    src = tmp_path / "src"
    src.mkdir()
    for name in ("execution-environment.yml", ee["dependencies"]["python"], ee["dependencies"]["system"]):
        shutil.copy(REPO / name, src / name)
    assert [f["src"] for f in ee["additional_build_files"]] == [TARBALL_NAME]
    shutil.copy(tarball, src / TARBALL_NAME)
    context = tmp_path / "context"
    proc = subprocess.run([str(BIN / "ansible-builder"), "create", "--file", str(src / "execution-environment.yml"),
                           "--context", str(context)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No matches" not in proc.stdout, proc.stdout
    build = context / "_build"
    collections = {c["name"]: c for c in yaml.safe_load((build / "requirements.yml").read_text())["collections"]}
    assert collections["amazon.aws"]["version"] == "==10.1.2"
    assert collections["community.aws"]["version"] == "==10.0.0"
    ours = collections[f"collections/{TARBALL_NAME}"]
    assert ours["type"] == "file"
    # the galaxy stage installs from /build, the copy of _build: the tarball is where the entry points
    assert (build / "collections" / TARBALL_NAME).read_bytes() == tarball.read_bytes()
    assert pins(build / "requirements.txt") == ee_python
    assert (build / "bindep.txt").is_file()
    assert "ansible-galaxy collection install" in (context / "Dockerfile").read_text()


@pytest.fixture(scope="module")
def collections_path(tarball, tmp_path_factory) -> Path:
    """An empty collections path with only our tarball installed, and amazon/community from the venv's
    `ansible` package (Galaxy is unreachable); the checkout linked into site-packages is not visible."""
    root = tmp_path_factory.mktemp("collections")
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(root), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "False"}
    env.pop("ANSIBLE_CONFIG", None)
    proc = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", str(tarball), "-p", str(root)],
                          cwd=root, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    venv_collections = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections"
    for ns in ("amazon", "community"):
        (root / "ansible_collections" / ns).symlink_to(venv_collections / ns)
    proc = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "list", "prefect_ops.ecs", "--format", "json"],
                          cwd=root, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert list(json.loads(proc.stdout)) == [str(root / "ansible_collections")]
    return root


def runner(playbook: str, pdd: Path, envvars: dict, extravars: dict, ident: str):
    """ansible_runner.run with only `envvars` in the job's environment (plus PATH/HOME-like basics)."""
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith(SCRUBBED):
                mp.delenv(key)
        mp.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
        return ansible_runner.run(private_data_dir=str(pdd), playbook=playbook, envvars=envvars, ident=ident,
                                  extravars=extravars, quiet=True, timeout=900)


def failures(run) -> str:
    return "\n".join(json.dumps(e.get("event_data", {}).get("res", e.get("stdout", "")))[:1500]
                     for e in run.events if e.get("event") in ("runner_on_failed", "runner_on_unreachable"))[-6000:]


@pytest.mark.slow
@pytest.mark.stack
def test_site_through_ansible_runner_with_the_credential_type_env(stack, prefect, unique, collections_path, tmp_path):
    name = f"awx-{unique}"
    # the private data dir AWX writes for a job: inventory, env (from credentials), extra vars (survey)
    pdd = tmp_path / "job"
    (pdd / "inventory").mkdir(parents=True)
    (pdd / "project").mkdir()
    inventory = yaml.safe_load((REPO / "inventories" / "local" / "hosts.yml").read_text())
    # an AWX inventory carries values, not lookups of the test machine's environment
    inventory["prefect_ecs"]["vars"].update({
        "ecs_network_vpc_id": stack["PREFECT_OPS_FIXTURE_VPC_ID"],
        "ecs_network_subnet_ids": stack["PREFECT_OPS_FIXTURE_SUBNET_IDS"].split(","),
        "ecs_network_security_group_ids": [stack["PREFECT_OPS_FIXTURE_SECURITY_GROUP_ID"]],
    })
    (pdd / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory))
    envvars = {
        **awx_inject({"api_url": stack["PREFECT_API_URL"], "auth_string": stack["PREFECT_API_AUTH_STRING"]}),
        # the AWS credential AWX injects, and the job's extra environment (region; endpoint of the emulator)
        **{k: stack[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL")},
        "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "False",
    }
    assert envvars["PREFECT_API_KEY"] == ""
    survey = {"prefect_ecs_name": name, "ecs_worker_service_desired_count": 1, "ecs_verify_worker_timeout": 0}
    converged = False
    try:
        first = runner("prefect_ops.ecs.site", pdd, envvars, survey, "converge")
        assert first.status == "successful", failures(first)
        converged = True
        assert sum(first.stats["changed"].values()) > 0
        paths = {e["event_data"].get("task_path", "").rsplit(":", 1)[0]
                 for e in first.events if e.get("event") == "playbook_on_task_start"}
        ours = {p for p in paths if "/roles/" in p}
        assert ours and all(p.startswith(str(collections_path / "ansible_collections" / "prefect_ops" / "ecs"))
                            for p in ours), sorted(ours)[:5]
        pool = prefect.read_pool(name)
        assert pool is not None and pool["type"] == "ecs"

        second = runner("prefect_ops.ecs.site", pdd, envvars, survey, "rerun")
        assert second.status == "successful", failures(second)
        changed = [e["event_data"].get("task") for e in second.events
                   if e.get("event") == "runner_on_ok" and e["event_data"].get("res", {}).get("changed")]
        assert changed == [] and sum(second.stats["changed"].values()) == 0
    finally:
        down = runner("prefect_ops.ecs.teardown", pdd, envvars, survey, "teardown")
    if converged:
        assert down.status == "successful", failures(down)
        assert prefect.read_pool(name) is None
