#!/usr/bin/env bash
# make test: one shared local stack for every suite; the stack goes down even on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.venv/bin
export PATH=$BIN:$PATH ANSIBLE_PYTHON_INTERPRETER=$BIN/python
trap '"$BIN/python" scripts/stack.py down >/dev/null 2>&1' EXIT
"$BIN/python" scripts/stack.py up || exit 1
set -a; . "${PREFECT_OPS_STACK_DIR:-.state/stack}/env"; set +a
"$BIN/python" scripts/fixture.py || exit 1
set -a; . "$PREFECT_OPS_STACK_DIR/env"; set +a
# Two xdist workers by default (PYTEST_WORKERS=0 runs in one process): a test is mostly one
# ansible-playbook at a time, about one CPU; each worker gets its own recording AWS proxy in front of
# the shared moto (tests/conftest.py). A file's tests stay on one worker (module-scoped fixtures).
# --no-loadscope-reorder keeps the collection order of tests/conftest.py (the longest files first): without it
# xdist's loadfile scheduler sorts files by their number of tests, and a one-test file of 8 minutes ran last.
workers=${PYTEST_WORKERS:-2}
xdist=()
if [[ $workers != 0 ]]; then xdist=(-n "$workers" --dist loadfile --no-loadscope-reorder); fi
"$BIN/pytest" --durations=30 "${xdist[@]}" "${@:-tests}"
