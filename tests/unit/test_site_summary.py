"""The site summary (plugins/action/site_summary.py): what site.yml prints at its end, from the facts the roles
published."""
from __future__ import annotations

from ansible_collections.prefect_ops.ecs.plugins.action import site_summary as s

CONTEXT = {"region": "eu-west-1", "account": "123456789012", "aws_identity": "arn:aws:iam::123456789012:user/ops",
           "api_url": "https://prefect.example/api", "ui_url": "https://prefect.example"}
REPORT = [{"check": "worker service active", "status": "pass", "detail": "ACTIVE"},
          {"check": "dead-letter queue empty", "status": "fail", "detail": "1 message"},
          {"check": "roles carry the needed actions", "status": "would be fixed", "detail": "the ecs_iam role would fix it"}]


def test_names_what_exists_and_dashes_what_the_run_did_not_make():
    facts = {"prefect_ecs_name": "prod", "prefect_ecs_context": CONTEXT,
             "ecs_cluster": {"name": "prod", "arn": "arn:aws:ecs:eu-west-1:123456789012:cluster/prod"},
             # a deprecated alias is not what the summary reads
             "ecs_iam_execution_role_arn": "arn:aws:iam::123456789012:role/old",
             "ecs_log_groups_worker": "/prefect/prod/worker", "prefect_work_pools_pools": {"prod": {}, "prod-dev": {}}}
    out = s.summary(facts, ["ecs_cluster"])
    assert out["site"] == "prod" and out["region"] == "eu-west-1" and out["prefect_api"] == CONTEXT["api_url"]
    assert out["cluster"] == facts["ecs_cluster"]["arn"]
    assert out["log_groups"] == ["/prefect/prod/worker", "-"]
    assert out["worker_service"] == "-" and out["execution_role"] == "-"
    assert out["work_pools"] == ["prod", "prod-dev"]
    assert out["pool_ui"] == "https://prefect.example/work-pools/work-pool/prod"
    assert s.summary(dict(facts, prefect_work_pools_name="main"), [])["pool_ui"].endswith("/work-pool/main")


def test_every_check_is_named_and_findings_carry_their_detail():
    out = s.summary({"ecs_verify_report": REPORT}, [])
    assert out["checks"] == {"worker service active": "pass", "dead-letter queue empty": "fail",
                             "roles carry the needed actions": "would be fixed"}
    assert out["findings"] == ["dead-letter queue empty: 1 message",
                               "roles carry the needed actions: the ecs_iam role would fix it"]
    # a check this run would fix is not a failure
    assert s.failed_checks({"ecs_verify_report": REPORT}) == ["dead-letter queue empty"]
    assert s.failed_checks({"ecs_verify_report": REPORT[:1]}) == []


def test_changed_lists_only_the_roles_that_changed_something_and_never_ecs_verify():
    facts = {"ecs_cluster_changes": [], "ecs_iam_changes": ["inline policies: prod-worker/prefect-ecs-worker"],
             "ecs_verify_changes": ["never shown"]}
    out = s.summary(facts, ["ecs_cluster", "ecs_iam", "ecs_events", "ecs_verify"])
    assert out["changed"] == {"ecs_iam": ["inline policies: prod-worker/prefect-ecs-worker"]}
