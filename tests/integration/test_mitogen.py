"""playbooks/site.yml under Mitogen's mitogen_linear strategy (the pinned mitogen package; README, "Faster runs with
Mitogen"): it converges a fresh site, the re-run changes nothing and makes no mutating AWS call, and teardown.yml
removes the site, all under the same strategy. `make bench BENCH=site` times the no-op under both strategies
(mitogen_noop_ratio)."""
from __future__ import annotations

import pytest

from stacktools.ansible_run import REPO, mitogen_env, run_playbook

SITE = REPO / "playbooks" / "site.yml"
TEARDOWN = REPO / "playbooks" / "teardown.yml"

pytestmark = [pytest.mark.stack, pytest.mark.slow(3)]


def test_site_converges_and_re_runs_unchanged_under_mitogen_linear(aws, aws_proxy, unique):
    name = f"mg-{unique}"
    site_vars = {"prefect_ecs_name": name, "ecs_verify_worker_timeout": 0}
    # ANSIBLE_STRATEGY=mitogen_linear: ansible-playbook stops with "Invalid play strategy specified" when the
    # strategy cannot be loaded, so a run that succeeds ran under Mitogen
    env = mitogen_env()
    try:
        first = run_playbook(SITE, extra_vars=site_vars, env=env)
        assert first.rc == 0, first.stdout[-3000:] + first.stderr[-2000:]
        assert first.changed() > 0
        mark = aws_proxy.mark()
        second = run_playbook(SITE, extra_vars=site_vars, env=env)
        assert second.rc == 0, second.stdout[-3000:] + second.stderr[-2000:]
        assert second.changed() == 0, [t["task"] for t in second.tasks() if t.get("changed")]
        assert aws_proxy.mutating(mark) == []
        assert aws("ecs", direct=True).describe_clusters(clusters=[name])["clusters"][0]["status"] == "ACTIVE"
    finally:
        down = run_playbook(TEARDOWN, extra_vars=site_vars, env=env)
    assert down.rc == 0, down.stdout[-3000:] + down.stderr[-2000:]
    clusters = aws("ecs", direct=True).describe_clusters(clusters=[name])["clusters"]
    assert [c["status"] for c in clusters] in ([], ["INACTIVE"])
