#!/usr/bin/env bash
# make bench: one stack, every benchmark, figures in $BENCH_OUT; the stack goes down even on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.venv/bin
export PATH=$BIN:$PATH ANSIBLE_PYTHON_INTERPRETER=$BIN/python
trap '"$BIN/python" scripts/stack.py down >/dev/null 2>&1' EXIT
"$BIN/python" scripts/stack.py up || exit 1
set -a; . "${PREFECT_OPS_STACK_DIR:-.state/stack}/env"; set +a
"$BIN/python" scripts/fixture.py || exit 1
set -a; . "$PREFECT_OPS_STACK_DIR/env"; set +a
"$BIN/python" scripts/bench.py "$@"
