#!/usr/bin/env bash
# make demo: converge playbooks/site.yml against the local stack twice; the second run must change nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.venv/bin
export PATH=$BIN:$PATH ANSIBLE_PYTHON_INTERPRETER=$BIN/python
set -a; . "${PREFECT_OPS_STACK_DIR:-.state/stack}/env"; set +a
mkdir -p .state/demo
# A real ECS worker for the pool, standing in for the worker service's container (moto runs none):
# it starts as soon as site.yml has created and configured the pool, so verify finds it online.
"$BIN/python" scripts/local_worker.py start --pool demo
echo "== first run"
ansible-playbook -i inventories/local/hosts.yml playbooks/site.yml | tee .state/demo/run1.log
echo "== second run (must report changed=0 and make no mutating AWS call)"
mark=$(PYTHONPATH=tests "$BIN/python" -c 'import os; from stacktools.stack import ProxyControl; print(ProxyControl(os.environ["AWS_ENDPOINT_URL"]).mark())')
ansible-playbook -i inventories/local/hosts.yml playbooks/site.yml > .state/demo/run2.log
mutating=$(PYTHONPATH=tests "$BIN/python" -c 'import os, sys; from stacktools.stack import ProxyControl
calls = ProxyControl(os.environ["AWS_ENDPOINT_URL"]).mutating(int(sys.argv[1]))
print(" ".join(c["service"] + ":" + c["action"] for c in calls))' "$mark")
sed -n '/PLAY RECAP/,$p' .state/demo/run2.log
if grep -E 'changed=[1-9]' .state/demo/run2.log >/dev/null; then
  echo "demo: the second run changed something (see .state/demo/run2.log)" >&2
  exit 1
fi
if [[ -n $mutating ]]; then
  echo "demo: the second run made mutating AWS calls: $mutating" >&2
  exit 1
fi
echo
echo "Second run: changed=0, no mutating AWS call (recorded by the AWS proxy)."
echo "Prefect UI: $PREFECT_OPS_PREFECT_UI_URL  (login: the auth string in $PREFECT_OPS_STACK_DIR/env)"
echo "Stop the local stack with: make stack-down"
