"""The roles' input checks in Python (module_utils/role_inputs.py) and the action prefect_ops.ecs.preflight that runs
them with each role's argument spec and unknown-variable check, on the roles' real defaults and specs."""
from __future__ import annotations

import types

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import ecs_cluster
from ansible_collections.prefect_ops.ecs.plugins.module_utils import role_inputs as r

SITE = {"prefect_ecs_name": "s1", "prefect_ecs_tags": {}}
CLUSTER = dict(SITE, ecs_cluster_name="s1", ecs_cluster_create=True, ecs_cluster_state="present",
               ecs_cluster_capacity_providers=["FARGATE", "FARGATE_SPOT"],
               ecs_cluster_capacity_provider_strategy=[{"capacity_provider": "FARGATE", "weight": 1, "base": 0}],
               ecs_cluster_container_insights="", ecs_cluster_tags={})
EVENTS = dict(SITE, ecs_events_name="s1", ecs_events_clusters=[], ecs_events_state="present",
              ecs_events_message_retention_period=604800, ecs_events_visibility_timeout=300,
              ecs_events_max_receive_count=3, ecs_events_dead_letter_message_retention_period=1209600,
              ecs_events_dead_letter_visibility_timeout=60, ecs_events_encryption="", ecs_events_kms_key_id="")
LOGS = dict(SITE, ecs_log_groups_state="present", ecs_log_groups_worker_name="/prefect/s1/worker",
            ecs_log_groups_flow_runs_name="/prefect/s1/flow-runs", ecs_log_groups_retention_days=30,
            ecs_log_groups_kms_key_id="", ecs_log_groups_tags={})


def test_rename_names_the_role_variables_not_plain_words():
    fields = {"name": "ecs_events_name", "rule_name": "ecs_events_rule", "clusters": "ecs_events_clusters"}
    assert r.rename("name: the name 'x' is bad", fields) == "ecs_events_name: the name 'x' is bad"
    assert r.rename("clusters[1]: not an ARN", fields) == "ecs_events_clusters[1]: not an ARN"
    assert (r.rename("rule_name: the rule name (built from name) is long; shorten name or set rule_name", fields)
            == "ecs_events_rule: the rule name (built from ecs_events_name) is long; shorten ecs_events_name or set "
               "ecs_events_rule")
    assert r.rename("tags: unchanged", fields) == "tags: unchanged"


def test_valid_defaults_pass():
    assert r.ecs_cluster(CLUSTER) == [] and r.ecs_events(EVENTS) == [] and r.ecs_log_groups(LOGS) == []
    assert r.ecs_verify({"ecs_verify_pool": "s1", "ecs_verify_worker_timeout": 0,
                         "ecs_verify_worker_task_role_requirements": []}) == []


def test_cluster_reuses_the_module_checks_naming_the_role_variables(monkeypatch):
    bad = dict(CLUSTER, ecs_cluster_name="bad name", ecs_cluster_tags={"prefect-ops:managed-by": "me"},
               ecs_cluster_capacity_provider_strategy=[{"capacity_provider": "fargate", "weight": 1}])
    problems = r.ecs_cluster(bad)
    assert any(p.startswith("ecs_cluster_name: ") for p in problems), problems
    assert any(p.startswith("ecs_cluster_tags: ") and "reserved" in p for p in problems), problems
    assert any(p.startswith("ecs_cluster_capacity_provider_strategy[0].capacity_provider: ") and "FARGATE?" in p
               for p in problems), problems
    # the module's own function is what runs: without it the role check finds nothing
    monkeypatch.setattr(ecs_cluster, "static_problems", lambda params: [])
    assert [p for p in r.ecs_cluster(bad) if "ecs_cluster_name" in p] == []


def test_cluster_role_offers_fargate_providers_only_and_adopted_clusters_are_only_looked_up():
    assert r.ecs_cluster(dict(CLUSTER, ecs_cluster_capacity_providers=["FARGATE", "my-asg"]))[0].startswith(
        "ecs_cluster_capacity_providers: the role creates Fargate clusters")
    # create=false: only the name is checked (the strategy and tags are not the role's to pass)
    assert r.ecs_cluster(dict(CLUSTER, ecs_cluster_create=False, ecs_cluster_capacity_providers=["x y"])) == []
    assert r.ecs_cluster(dict(CLUSTER, ecs_cluster_create=False, ecs_cluster_name="a b"))[0].startswith("ecs_cluster_name:")


def test_log_groups_check_both_names_and_report_a_shared_problem_once():
    problems = r.ecs_log_groups(dict(LOGS, ecs_log_groups_retention_days=8, ecs_log_groups_flow_runs_name="/a b"))
    assert [p.split(":", maxsplit=1)[0] for p in problems] == ["ecs_log_groups_retention_days", "ecs_log_groups_flow_runs_name"]
    assert r.ecs_log_groups(dict(LOGS, ecs_log_groups_kms_key_id="alias/x"))[0].startswith("ecs_log_groups_kms_key_id:")


def test_events_names_the_rule_built_from_the_name_and_leaves_the_clusters_to_the_run():
    [problem] = r.ecs_events(dict(EVENTS, ecs_events_name="e" * 50))
    assert problem.startswith("ecs_events_name (rule <name>-task-state-changes): ") and "64" in problem
    assert "shorten ecs_events_name by at least 5" in problem and "set rule_name" not in problem
    # no cluster yet: it comes from the ecs_cluster role's facts; a listed one that is wrong is refused now
    assert r.ecs_events(dict(EVENTS, ecs_events_clusters=[])) == []
    assert r.ecs_events(dict(EVENTS, ecs_events_max_receive_count=0))[0].startswith("ecs_events_max_receive_count:")
    assert "set ecs_events_encryption" in r.ecs_events(dict(EVENTS, ecs_events_kms_key_id="k"))[0]


def test_verify_uses_the_actions_own_checks():
    problems = r.ecs_verify({"ecs_verify_pool": "", "ecs_verify_worker_timeout": -1,
                             "ecs_verify_worker_task_role_requirements": [{"action": "a", "resource": "<nope>"}, "x"]})
    heads = [p.split(" ", maxsplit=1)[0] for p in problems]
    assert heads == ["ecs_verify_worker_task_role_requirements[0]:", "ecs_verify_worker_task_role_requirements[1]",
                     "ecs_verify_worker_timeout", "ecs_verify_pool"]


def test_every_role_of_the_collection_has_its_checks_here():
    from pathlib import Path
    roles = {d.name for d in (Path(__file__).resolve().parents[2] / "roles").iterdir()} - {"site_context"}
    assert set(r.CHECKS) == roles


@pytest.fixture
def preflight():
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook.task import Task
    from ansible.template import Templar

    from ansible_collections.prefect_ops.ecs.plugins.action import preflight as plugin

    def run(host_vars, roles, argument_spec=True):
        task = Task()
        task.args = {"roles": roles, "argument_spec": argument_spec}
        loader = DataLoader()
        task_vars = dict(host_vars, inventory_hostname="h1")
        connection = types.SimpleNamespace(_shell=types.SimpleNamespace(tmpdir=None))
        act = plugin.ActionModule(task, connection=connection, play_context=None, loader=loader,
                                  templar=Templar(loader=loader, variables=task_vars), shared_loader_obj=None)
        return act.run(task_vars=task_vars)
    return run


def test_action_passes_the_roles_defaults(preflight):
    res = preflight({"prefect_ecs_name": "s1"}, ["ecs_cluster", "ecs_log_groups", "ecs_events"])
    assert not res.get("failed"), res
    assert res["problems"] == {} and res["checked"] == ["ecs_cluster", "ecs_log_groups", "ecs_events"]


def test_action_reports_every_role_at_once_spec_unknown_names_and_module_checks(preflight):
    res = preflight({"prefect_ecs_name": "s1", "ecs_cluster_nmae": "x", "ecs_log_groups_retention_days": 8,
                     "ecs_events_max_receive_count": "many", "ecs_iam_state": "present",
                     "prefect_ecs_context": {"region": "us-east-1", "partition": "aws", "account": "123456789012"}},
                    ["ecs_cluster", "ecs_log_groups", "ecs_events", "ecs_iam"])
    assert res["failed"]
    assert res["problems"]["ecs_cluster"] == [
        "unknown variable ecs_cluster_nmae (did you mean ecs_cluster_name?); valid names are the options of "
        "roles/ecs_cluster/meta/argument_specs.yml"]
    assert res["problems"]["ecs_log_groups"][0].startswith("ecs_log_groups_retention_days: 8 days")
    # the argument spec (as validate_argument_spec checks it): an int that is not one
    assert "ecs_events_max_receive_count" in res["problems"]["ecs_events"][0]
    assert "ecs_iam" not in res["problems"]
    assert res["msg"].splitlines()[0].startswith("ecs_cluster: unknown variable ecs_cluster_nmae")


def test_action_templates_defaults_with_the_hosts_variables(preflight):
    # ecs_events_name defaults to "{{ prefect_ecs_name }}": a long site name makes the rule name too long
    res = preflight({"prefect_ecs_name": "e" * 50}, ["ecs_events"])
    assert res["failed"] and "ecs_events_name (rule <name>-task-state-changes)" in res["msg"]
    # without the argument spec (inside the role, where Ansible validated it) the Python checks still run
    res = preflight({"prefect_ecs_name": "s1", "ecs_log_groups_retention_days": 8}, ["ecs_log_groups"], False)
    assert res["failed"] and "ecs_log_groups_retention_days: 8 days" in res["msg"]


def test_action_refuses_a_role_that_is_not_the_collections(preflight):
    from ansible.errors import AnsibleActionFail
    with pytest.raises(AnsibleActionFail, match="not a role of prefect_ops.ecs"):
        preflight({}, ["no_such_role"])


CONTEXT = {"region": "us-east-1", "partition": "aws", "account": "123456789012", "api_url": "http://127.0.0.1:4200/api",
           "api_auth": "auth_string"}


def test_action_worker_service_defaults_pass_and_bad_values_name_the_role_variables(preflight):
    ok = preflight({"prefect_ecs_name": "s1", "prefect_ecs_context": CONTEXT}, ["ecs_worker_service", "ecs_warm_lane"])
    assert not ok.get("failed"), ok
    res = preflight({"prefect_ecs_name": "s1", "prefect_ecs_context": dict(CONTEXT, api_url=""),
                     "ecs_worker_service_cpu": 512, "ecs_worker_service_memory": 512,
                     "ecs_worker_service_desired_count": -1, "ecs_worker_service_env": {"PREFECT_API_KEY": "x"},
                     "ecs_worker_service_subnet_ids": ["sn-1"], "ecs_worker_service_security_group_ids": ["default"]},
                    ["ecs_worker_service"])
    heads = sorted(p.split(":", maxsplit=1)[0] for p in res["problems"]["ecs_worker_service"])
    assert heads == ["ecs_worker_service_api_url", "ecs_worker_service_desired_count", "ecs_worker_service_env",
                     "ecs_worker_service_memory", "ecs_worker_service_security_group_ids[0]",
                     "ecs_worker_service_subnet_ids[0]"], res["problems"]
    memory = [p for p in res["problems"]["ecs_worker_service"] if p.startswith("ecs_worker_service_memory")][0]
    assert "set ecs_worker_service_memory to 1024, 2048, 3072, 4096" in memory
    # the worker container as the role builds it (vars/main.yml, templated by the action) goes through
    # ecs_task_definition's checks
    res = preflight({"prefect_ecs_name": "s1", "prefect_ecs_context": CONTEXT, "ecs_worker_service_image": ""},
                    ["ecs_worker_service"])
    assert res["problems"] == {"ecs_worker_service": [
        "ecs_worker_service_image: every container needs an image (e.g. prefecthq/prefect:3-python3.12)"]}


def test_worker_service_leaves_what_earlier_roles_publish_to_the_run_and_checks_the_container():
    values = {"ecs_worker_service_state": "present", "ecs_worker_service_api_url": "http://x/api",
              "ecs_worker_service_family": "s1-worker", "ecs_worker_service_name": "s1-workers",
              "ecs_worker_service_cpu": 512, "ecs_worker_service_memory": 1024, "ecs_worker_service_keep_revisions": 5,
              "ecs_worker_service_desired_count": 1, "ecs_worker_service_wait_timeout": 600, "ecs_worker_service_limit": 0,
              "ecs_worker_service_cluster": "", "ecs_worker_service_subnet_ids": [], "ecs_worker_service_security_group_ids": [],
              "ecs_worker_service_image": "img", "ecs_worker_service_env": {}, "ecs_worker_service_tags": {}}
    assert r.ecs_worker_service(values) == []
    container = {"name": "prefect-worker", "image": "", "essential": True}
    assert r.ecs_worker_service(dict(values, __ecs_worker_service_container=container)) == [
        "ecs_worker_service_image: every container needs an image (e.g. prefecthq/prefect:3-python3.12)"]
    assert r.ecs_worker_service(dict(values, ecs_worker_service_aws_max_attempts=10)) == []
    assert r.ecs_worker_service(dict(values, ecs_worker_service_aws_max_attempts=-1)) == [
        "ecs_worker_service_aws_max_attempts: -1 is not a number of attempts; use 0 (the AWS SDK's default) or more, e.g. 10"]


def test_warm_lane_is_checked_only_when_on_and_with_prefects_pool_name_rules():
    values = {"ecs_warm_lane_enabled": True, "ecs_warm_lane_state": "present", "ecs_warm_lane_pool": "prefect-warm",
              "ecs_warm_lane_slots": -1, "ecs_warm_lane_image": "", "ecs_warm_lane_cpu": 256, "ecs_warm_lane_memory": 4096,
              "ecs_warm_lane_service_name": "a b", "ecs_warm_lane_family": "ok"}
    heads = [p.split(" ", maxsplit=1)[0] for p in r.ecs_warm_lane(values)]
    assert heads == ["ecs_warm_lane_pool:", "ecs_warm_lane_slots:", "ecs_warm_lane_image:", "ecs_warm_lane_memory:",
                     "ecs_warm_lane_service_name:"]
    assert r.ecs_warm_lane(dict(values, ecs_warm_lane_enabled=False)) == []


def test_flow_run_task_definitions_checks_every_entry_before_the_first_is_registered():
    prefix = "ecs_flow_run_task_definitions"
    values = {"prefect_ecs_name": "s1", prefix + "_family": "s1-flow-run", prefix + "_image": "img", prefix + "_cpu": 256,
              prefix + "_memory": 8192, prefix + "_keep_revisions": 0, prefix + "_state": "present", prefix + "_tags": {},
              prefix + "_images": [{"name": "gpu", "image": "x", "cpu": 4096, "memory": 8192}, {"name": "gpu"}, "bad"]}
    heads = [p.split(":", maxsplit=1)[0] for p in r.ecs_flow_run_task_definitions(values)]
    assert heads == [prefix + "_images[1].name", prefix + "_images[2]", prefix + "_keep_revisions", prefix + "_memory",
                     prefix + "_images[1].image", prefix + "_images[1].memory"]
    # an entry being removed needs no image or size
    values.update({prefix + "_memory": 512, prefix + "_keep_revisions": 1,
                   prefix + "_images": [{"name": "old", "state": "absent", "cpu": 1, "memory": 1}]})
    assert r.ecs_flow_run_task_definitions(values) == []


POOLS = {"prefect_work_pools_name": "s1", "prefect_work_pools_concurrency_limit": -1, "prefect_work_pools_job_variables": {},
         "prefect_work_pools_queues": [], "prefect_work_pools_extra": [], "prefect_work_pools_subnet_ids": [],
         "prefect_work_pools_vpc_id": "", "prefect_work_pools_security_group_ids": [], "prefect_work_pools_state": "present"}


def test_work_pools_check_every_pool_and_queue_of_the_lists_with_the_modules_checks():
    values = dict(POOLS, prefect_work_pools_name="prefect-pool", prefect_work_pools_concurrency_limit=-5,
                  prefect_work_pools_queues=[{"name": "ok", "priority": 0}, "bad"],
                  prefect_work_pools_extra=[{"name": "side/1", "queues": [{"name": "q", "concurrency_limit": "x"}]},
                                            {"name": "dev", "type": "docker"}],
                  prefect_work_pools_subnet_ids=["subnet-1"])
    problems = r.prefect_work_pools(values)
    heads = [p.split(" ", maxsplit=1)[0].rstrip(":") for p in problems]
    assert heads == ["prefect_work_pools_name", "prefect_work_pools_concurrency_limit",
                     "prefect_work_pools_queues[0].priority", "prefect_work_pools_queues[1]",
                     "prefect_work_pools_extra[0].type", "prefect_work_pools_extra[0].name",
                     "prefect_work_pools_extra[0].queues[0].concurrency_limit",
                     "prefect_work_pools_vpc_id", "prefect_work_pools_security_group_ids"], problems
    assert "starts with 'prefect'" in problems[0]


def test_work_pools_read_on_the_server_only_what_the_bundled_templates_cannot_judge():
    assert r.prefect_work_pools_reads(POOLS) == []
    reads = r.prefect_work_pools_reads(dict(POOLS, prefect_work_pools_job_variables={"cpu": 1024}, prefect_work_pools_extra=[
        {"name": "k", "type": "kubernetes"}, {"name": "p", "type": "process"}, {"name": "gone", "type": "x", "state": "absent"}]))
    assert [(x["field"], x["params"]) for x in reads] == [
        ("prefect_work_pools_name", {"name": "s1", "type": "ecs", "job_variables": {"cpu": 1024}}),
        ("prefect_work_pools_extra[0]", {"name": "k", "type": "kubernetes"})]
    assert {x["module"] for x in reads} == {"prefect_ops.ecs.prefect_work_pool"}
    assert r.prefect_work_pools_reads(dict(POOLS, prefect_work_pools_state="absent", prefect_work_pools_job_variables={"a": 1})) == []


SITE_ROLES = ["ecs_network", "prefect_api_secret", "ecs_cluster", "ecs_log_groups", "ecs_events", "ecs_iam",
              "ecs_flow_run_task_definitions", "prefect_work_pools", "prefect_deployments", "ecs_worker_service",
              "ecs_warm_lane", "ecs_verify"]


@pytest.fixture
def fixture_network():
    """The network IDs the local inventory looks up in the environment (the stack's fixture when it runs); given
    here, since a lookup needs Ansible's plugin loader, which these unit tests do not start."""
    return {"ecs_network_vpc_id": "vpc-0123456789abcdef0",
            "ecs_network_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            "ecs_network_security_group_ids": ["sg-0123456789abcdef0"]}


def local_inventory_vars(network):
    """The local inventory's group variables, loaded as Ansible loads an inventory (its templates trusted)."""
    from pathlib import Path

    from ansible.parsing.dataloader import DataLoader
    path = Path(__file__).resolve().parents[2] / "inventories" / "local" / "hosts.yml"
    hosts = DataLoader().load_from_file(str(path), trusted_as_template=True)
    return dict(hosts["prefect_ecs"]["vars"], **network, prefect_ecs_name="s1",
                prefect_ecs_context=dict(CONTEXT, prefect={"api_url": CONTEXT["api_url"], "api_key": "",
                                                           "auth_string": "admin:pass"},
                                         aws={"region": CONTEXT["region"]}))


def test_action_passes_the_local_inventory_for_every_role_reading_only_the_adopted_network(
        preflight, monkeypatch, fixture_network):
    from ansible_collections.prefect_ops.ecs.plugins.action import preflight as plugin
    monkeypatch.setattr(plugin.ActionModule, "_execute_module", lambda *a, **k: pytest.fail("read the server"))
    vpc = fixture_network["ecs_network_vpc_id"]
    ec2 = FakeEC2(dict.fromkeys(fixture_network["ecs_network_subnet_ids"], vpc),
                  dict.fromkeys(fixture_network["ecs_network_security_group_ids"], vpc))
    clients = []
    monkeypatch.setattr(plugin, "aws_client", lambda service, aws: clients.append((service, aws["region"])) or ec2)
    values = local_inventory_vars(fixture_network)
    # the inventory's extra pool is a process pool without job variables, its deployment an ECS one: no server read;
    # the adopted network is read in EC2, in the host's region
    res = preflight(values, SITE_ROLES)
    assert not res.get("failed"), res["msg"]
    assert res["checked"] == SITE_ROLES
    assert clients == [("ec2", CONTEXT["region"])] and ec2.calls == ["DescribeSubnets", "DescribeSecurityGroups"]


def test_action_reads_the_server_for_a_pool_type_it_cannot_judge(preflight, monkeypatch, fixture_network):
    from ansible_collections.prefect_ops.ecs.plugins.action import preflight as plugin
    calls = []

    def execute(self, module_name, module_args, task_vars):
        calls.append((module_name, dict(module_args), self._task.check_mode))
        return {"failed": True, "msg": "type 'no-such-worker' is not a worker type this server knows"}
    monkeypatch.setattr(plugin.ActionModule, "_execute_module", execute)
    values = dict(local_inventory_vars(fixture_network), prefect_work_pools_extra=[{"name": "side", "type": "no-such-worker"}])
    res = preflight(values, ["prefect_work_pools"])
    assert res["problems"] == {"prefect_work_pools": [
        "prefect_work_pools_extra[0]: type 'no-such-worker' is not a worker type this server knows"]}
    # the pool module, in check mode, in the host's Prefect workspace
    args = {"name": "side", "type": "no-such-worker", "api_url": CONTEXT["api_url"], "api_key": "", "auth_string": "admin:pass"}
    assert calls == [("prefect_ops.ecs.prefect_work_pool", args, True)]


def test_action_names_a_network_value_wrong_once_under_the_role_whose_input_it_is(preflight, fixture_network):
    # the later roles read the network from the fact ecs_network publishes, not from its inputs: the value is the
    # network role's input and is named there (before this, the same value was also named under the roles that
    # read the input under its name)
    res = preflight(dict(local_inventory_vars(fixture_network), ecs_network_security_group_ids=[]), SITE_ROLES)
    assert sorted(res["problems"]) == ["ecs_network"]
    assert res["problems"]["ecs_network"][0].startswith("ecs_network_security_group_ids: ecs_network_mode=adopt needs")


SECRET = {"prefect_ecs_name": "s1", "prefect_ecs_tags": {}, "prefect_ecs_context": CONTEXT,
          "prefect_api_secret_state": "present", "prefect_api_secret_store": "secretsmanager",
          "prefect_api_secret_kind": "auth_string", "prefect_api_secret_value": "admin:pass", "prefect_api_secret_arn": "",
          "prefect_api_secret_name": "prefect-ops/s1/PREFECT_API_AUTH_STRING", "prefect_api_secret_description": "d",
          "prefect_api_secret_kms_key_arn": "", "prefect_api_secret_recovery_window_days": 7, "prefect_api_secret_tags": {}}
ADOPTED = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-ops/x/PREFECT_API_KEY-AbC123"


def test_secret_checks_the_store_name_value_key_and_adopted_arn_without_printing_the_value():
    assert r.prefect_api_secret(SECRET) == []
    assert r.prefect_api_secret(dict(SECRET, prefect_api_secret_arn=ADOPTED, prefect_api_secret_value="")) == []
    # the ARN this role manages, left by an earlier run of the play, is no adoption
    own = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-ops/s1/PREFECT_API_AUTH_STRING-AbC123"
    assert r.prefect_api_secret(dict(SECRET, prefect_api_secret_arn=own)) == []
    problems = r.prefect_api_secret(dict(SECRET, prefect_api_secret_value="", prefect_api_secret_kind="api_key",
                                         prefect_api_secret_name="x-abcdef", prefect_api_secret_recovery_window_days=3,
                                         prefect_api_secret_kms_key_arn="alias/mine",
                                         prefect_api_secret_tags={"prefect-ops:site": "other"}))
    heads = [p.split(":", maxsplit=1)[0] for p in problems]
    assert heads == ["prefect_api_secret_recovery_window_days", "prefect_api_secret_kms_key_arn", "prefect_api_secret_name",
                     "prefect_api_secret_tags", "prefect_api_secret_value"], problems
    assert "PREFECT_API_KEY" in problems[-1]
    secret = "s3cr3t-value-never-printed"
    assert secret not in str(r.prefect_api_secret(dict(SECRET, prefect_api_secret_value=secret * 3000)))
    for arn, needle in ((ADOPTED.replace("arn:aws:", "arn:aws-cn:"), "partition aws-cn"),
                        (ADOPTED.replace("us-east-1", "eu-west-1"), "region eu-west-1"),
                        ("arn:aws:ssm:us-east-1:123456789012:parameter/x", "not a valid secretsmanager secret ARN"),
                        (ADOPTED[:-7], "no 6-character suffix")):
        [problem] = r.prefect_api_secret(dict(SECRET, prefect_api_secret_arn=arn))
        assert problem.startswith("prefect_api_secret_arn: ") and needle in problem, problem
    ssm = dict(SECRET, prefect_api_secret_store="ssm", prefect_api_secret_name="/aws/x")
    assert r.prefect_api_secret(ssm)[0].startswith("prefect_api_secret_name: '/aws/x' is not an SSM parameter name")


IAM = {"ecs_iam_state": "present", "ecs_iam_execution_role_name": "s1-us-east-1-execution",
       "ecs_iam_worker_task_role_name": "s1-us-east-1-worker", "ecs_iam_flow_run_task_role_name": "s1-us-east-1-flow-run",
       "ecs_iam_path": "/", "ecs_iam_execution_role_arn": "", "ecs_iam_worker_task_role_arn": "",
       "ecs_iam_flow_run_task_role_arn": "", "ecs_iam_pass_role_arns": [], "ecs_iam_secret_arn": "",
       "ecs_iam_secret_kms_key_arn": "", "ecs_iam_flow_run_task_role_create": True,
       "ecs_iam_flow_run_managed_policy_arns": [], "ecs_iam_flow_run_inline_policies": {},
       "ecs_iam_events_policy_statement": []}


def test_iam_checks_names_arns_and_that_nothing_is_granted_on_every_resource():
    assert r.ecs_iam(IAM) == []
    problems = r.ecs_iam(dict(IAM, ecs_iam_execution_role_name="p" * 70, ecs_iam_path="prefect",
                              ecs_iam_worker_task_role_arn="my-role", ecs_iam_pass_role_arns=["arn:aws:iam::123456789012:role/*"],
                              ecs_iam_secret_arn="my-secret", ecs_iam_flow_run_managed_policy_arns=["S3ReadOnly"],
                              ecs_iam_flow_run_inline_policies={"a b": {"Version": "2012-10-17"}},
                              ecs_iam_events_policy_statement={"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}))
    heads = [p.split(":", maxsplit=1)[0] for p in problems]
    assert heads == ["ecs_iam_execution_role_name", "ecs_iam_worker_task_role_arn", "ecs_iam_path", "ecs_iam_pass_role_arns",
                     "ecs_iam_secret_arn", "ecs_iam_flow_run_managed_policy_arns[0]",
                     "ecs_iam_flow_run_inline_policies['a b']", "ecs_iam_flow_run_inline_policies['a b']",
                     "ecs_iam_events_policy_statement[0]"], problems
    assert "64" in problems[0] and "shorten ecs_iam_name_prefix" in problems[0]


NETWORK = {"ecs_network_mode": "create", "ecs_network_state": "present", "ecs_network_name_prefix": "s1",
           "ecs_network_vpc_cidr": "10.42.0.0/16", "ecs_network_private_subnet_cidrs": ["10.42.0.0/19", "10.42.32.0/19"],
           "ecs_network_availability_zones": [], "ecs_network_egress": "nat", "ecs_network_public_subnet_cidr": "10.42.128.0/24",
           "ecs_network_endpoint_services": ["ecr.api"], "ecs_network_worker_egress_rules": [{"proto": "all"}]}


def test_network_address_plan_is_checked_with_real_cidr_arithmetic():
    assert r.ecs_network(NETWORK) == []
    problems = r.ecs_network(dict(NETWORK, ecs_network_public_subnet_cidr="10.42.0.1/24", ecs_network_availability_zones=["a"]))
    assert [p.split(":", maxsplit=1)[0] for p in problems] == [
        "ecs_network_public_subnet_cidr", "ecs_network_availability_zones"], problems
    assert "has host bits set" in problems[0]
    problems = r.ecs_network(dict(NETWORK, ecs_network_private_subnet_cidrs=["10.42.0.0/19", "10.42.16.0/20", "10.43.0.0/24"]))
    assert problems == ["ecs_network_private_subnet_cidrs[1]: 10.42.16.0/20 overlaps 10.42.0.0/19 "
                        "(ecs_network_private_subnet_cidrs[0])",
                        "ecs_network_private_subnet_cidrs[2]: 10.43.0.0/24 is not inside the VPC's 10.42.0.0/16"]
    adopt = {"ecs_network_mode": "adopt", "ecs_network_state": "present", "ecs_network_vpc_id": "vpc-12345678",
             "ecs_network_subnet_ids": ["subnet-x"], "ecs_network_security_group_ids": []}
    assert [p.split(":", maxsplit=1)[0] for p in r.ecs_network(adopt)] == [
        "ecs_network_subnet_ids[0]", "ecs_network_security_group_ids"]


DEPLOYMENTS = {"prefect_ecs_name": "s1", "prefect_ecs_tags": {}, "prefect_deployments_state": "present",
               "prefect_deployments_ecr_keep_images": 30, "prefect_deployments_ecr_tags": {},
               "prefect_deployments_work_pool": "s1", "prefect_deployments_task_definition_arns": {},
               "prefect_deployments_list": [{"name": "hello", "flow_name": "hello", "entrypoint": "flows/hello.py:hello",
                                             "schedules": [{"cron": "0 * * * *"}]}],
               "prefect_deployments_ecr_repositories": [{"name": "s1/flows"}]}


def test_deployments_run_the_deployment_and_repository_modules_checks_on_every_item():
    assert r.prefect_deployments(DEPLOYMENTS) == []
    bad = dict(DEPLOYMENTS, prefect_deployments_list=[
        {"name": "a/b", "flow_name": "hello", "entrypoint": "flows/hello.py", "schedules": [{"cron": "every day"}],
         "concurrency_limit": 0, "colour": "red"},
        {"name": "ok", "flow_name": "hello", "entrypoint": "flows/hello.py:hello", "work_pool": "p%"},
        {"name": "ok", "flow_name": "hello", "entrypoint": "flows/hello.py:hello"}],
        prefect_deployments_ecr_repositories=[{"name": "Flows"}, {"name": "s1/x", "image_tag_mutability": "sometimes"}])
    problems = r.prefect_deployments(bad)
    heads = [p.split(" ", maxsplit=1)[0].rstrip(":") for p in problems]
    assert heads == ["prefect_deployments_list[0]", "prefect_deployments_list[0].name",
                     "prefect_deployments_list[0].entrypoint", "prefect_deployments_list[0].schedules[0].cron",
                     "prefect_deployments_list[0].concurrency_limit", "prefect_deployments_list[1].work_pool",
                     "prefect_deployments_list[2]", "prefect_deployments_ecr_repositories[0].name",
                     "prefect_deployments_ecr_repositories[1].image_tag_mutability"], problems


def test_action_gives_the_checks_the_hosts_context(preflight, fixture_network):
    # an adopted secret of another region than the host's context (prefect_ecs_context, not a role option)
    res = preflight(dict(local_inventory_vars(fixture_network), prefect_api_secret_arn=ADOPTED.replace("us-east-1", "eu-west-1")),
                    ["prefect_api_secret"])
    assert res["failed"] and "but the site runs in us-east-1" in res["msg"], res


class FakeEC2:
    """DescribeSubnets / DescribeSecurityGroups by ID filter, as EC2 answers them."""
    def __init__(self, subnets, groups):
        self.subnets, self.groups, self.calls = subnets, groups, []

    def describe_subnets(self, Filters):  # noqa: N803 - boto3's parameter name
        self.calls.append("DescribeSubnets")
        return {"Subnets": [{"SubnetId": i, "VpcId": v} for i, v in self.subnets.items() if i in Filters[0]["Values"]]}

    def describe_security_groups(self, Filters):  # noqa: N803 - boto3's parameter name
        self.calls.append("DescribeSecurityGroups")
        return {"SecurityGroups": [{"GroupId": i, "VpcId": v} for i, v in self.groups.items() if i in Filters[0]["Values"]]}


def test_adopted_network_must_exist_in_the_vpc_and_is_read_only_in_mode_adopt():
    values = {"ecs_network_mode": "adopt", "ecs_network_vpc_id": "vpc-00000001",
              "ecs_network_subnet_ids": ["subnet-00000001", "subnet-00000002", "subnet-00000003"],
              "ecs_network_security_group_ids": ["sg-00000001", "sg-00000009"]}
    ec2 = FakeEC2({"subnet-00000001": "vpc-00000001", "subnet-00000002": "vpc-00000002"}, {"sg-00000001": "vpc-00000001"})
    [read] = r.reads("ecs_network", values)
    assert read["service"] == "ec2"
    assert read["check"](ec2, values, "eu-west-1") == [
        "ecs_network_subnet_ids: no subnet subnet-00000003 in eu-west-1",
        "ecs_network_subnet_ids: subnets not in ecs_network_vpc_id vpc-00000001 (is it a VPC of eu-west-1?): subnet-00000002",
        "ecs_network_security_group_ids: no security group sg-00000009 in eu-west-1"]
    assert ec2.calls == ["DescribeSubnets", "DescribeSecurityGroups"]
    good = dict(values, ecs_network_subnet_ids=["subnet-00000001"], ecs_network_security_group_ids=["sg-00000001"])
    assert read["check"](ec2, good, "eu-west-1") == []
    # modes none and create, and teardown, read nothing
    assert r.reads("ecs_network", dict(values, ecs_network_mode="none")) == []
    assert r.reads("ecs_network", dict(values, ecs_network_state="absent")) == []


def test_what_roles_take_from_earlier_roles_is_checked_by_the_filter_naming_the_variable():
    from ansible.errors import AnsibleFilterError

    from ansible_collections.prefect_ops.ecs.plugins.filter.earlier_inputs import earlier_inputs_valid
    with pytest.raises(AnsibleFilterError, match="ecs_events: ecs_events_clusters must name at least one cluster"):
        earlier_inputs_valid({"ecs_events_state": "present", "ecs_events_clusters": []}, "ecs_events")
    assert earlier_inputs_valid({"ecs_events_state": "absent", "ecs_events_clusters": []}, "ecs_events") is True
    with pytest.raises(AnsibleFilterError) as raised:
        earlier_inputs_valid({"ecs_worker_service_state": "present", "ecs_worker_service_cluster": "",
                              "ecs_worker_service_subnet_ids": ["subnet-1"], "ecs_worker_service_security_group_ids": []},
                             "ecs_worker_service")
    assert "ecs_worker_service_cluster" in str(raised.value) and "ecs_worker_service_security_group_ids" in str(raised.value)
    assert "ecs_worker_service_subnet_ids" not in str(raised.value)
    iam = {"ecs_iam_state": "present", "ecs_iam_cluster_arn": "", "ecs_iam_flow_runs_log_group": "/prefect/s/flow-runs"}
    assert "ecs_iam_cluster_arn" in r.earlier_problems("ecs_iam", iam)[0]
    assert r.earlier_problems("ecs_iam", dict(iam, worker_adopted=True)) == []
    assert r.earlier_problems("ecs_iam", dict(iam, ecs_iam_cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/s")) == []
    flow = {"ecs_flow_run_task_definitions_state": "present", "ecs_flow_run_task_definitions_log_group": "/prefect/s/fr",
            "ecs_flow_run_task_definitions_region": "us-east-1", "ecs_flow_run_task_definitions_execution_role_arn": "",
            "ecs_flow_run_task_definitions_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"}
    found = r.earlier_problems("ecs_flow_run_task_definitions", flow)
    assert [p.split(" ")[0] for p in found] == ["ecs_flow_run_task_definitions_secret_arn", "the"]
    assert "ecs_flow_run_task_definitions_execution_role_arn" in found[1]
    # a role that takes nothing from earlier roles
    assert earlier_inputs_valid({}, "ecs_cluster") is True


def test_alarms_are_checked_only_when_on_or_removing_with_the_modules_own_checks(preflight, monkeypatch):
    from ansible_collections.prefect_ops.ecs.plugins.module_utils import cloudwatch_alarm

    ok = preflight({"prefect_ecs_name": "s1", "prefect_ecs_context": CONTEXT, "ecs_alarms_enabled": True,
                    "ecs_cluster_container_insights": "enabled"}, ["ecs_alarms"])
    assert not ok.get("failed"), ok
    bad = {"prefect_ecs_name": "s1", "prefect_ecs_context": CONTEXT, "ecs_alarms_enabled": True,
           "ecs_alarms_worker_running_tasks": True, "ecs_alarms_worker_minutes": 2000, "ecs_alarms_worker_min_running": 0,
           "ecs_alarms_topic_name": "a.b", "ecs_alarms_tags": {"aws:x": "1"}, "ecs_alarms_tpoic_arn": "x"}
    res = preflight(bad, ["ecs_alarms"])
    heads = sorted({p.split(" ", maxsplit=1)[0] for p in res["problems"]["ecs_alarms"]})
    assert heads == ["ecs_alarms_tags:", "ecs_alarms_topic_name:", "ecs_alarms_worker_min_running:",
                     "ecs_alarms_worker_minutes:", "unknown"], res["problems"]
    # off: only the spec and the names are checked
    off = {k: v for k, v in bad.items() if k != "ecs_alarms_tpoic_arn"}
    res = preflight(dict(off, ecs_alarms_enabled=False), ["ecs_alarms"])
    assert not res.get("failed"), res
    # a topic ARN of the user's goes through the alarm module's check of its actions; the module's function is what runs
    values = {"prefect_ecs_name": "s1", "ecs_alarms_enabled": True, "ecs_alarms_topic_arn": "oncall"}
    assert r.ecs_alarms(values) == ["ecs_alarms_topic_arn: 'oncall' is not an ARN (e.g. arn:aws:sns:<region>:<account>:<topic>)"]
    monkeypatch.setattr(cloudwatch_alarm, "static_problems", lambda params: [])
    assert r.ecs_alarms(values) == []
