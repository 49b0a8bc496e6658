# prefect_ops.ecs — see README.md. Everything runs from .venv (make install creates it).
SHELL := /bin/bash
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
export PATH := $(BIN):$(PATH)
export ANSIBLE_PYTHON_INTERPRETER := $(BIN)/python
STACK := $(BIN)/python scripts/stack.py

.PHONY: install demo test lint sanity stack-up stack-down stack-status bench clean

install: $(STAMP)

$(STAMP): requirements.txt scripts/install.sh
	bash scripts/install.sh
	touch $(STAMP)

stack-up: install
	$(STACK) up
	set -a && . $${PREFECT_OPS_STACK_DIR:-.state/stack}/env && set +a && $(BIN)/python scripts/fixture.py

stack-down:
	@if [[ -x $(BIN)/python ]]; then $(STACK) down; fi

stack-status: install
	$(STACK) status

# Install, start the local stack, converge playbooks/site.yml twice, show the second run is a no-op.
demo: stack-up
	bash scripts/demo.sh

# Install, start one shared stack, run every suite (gates, unit, integration, molecule) in one pytest
# session, stop the stack even on failure.
test: install
	bash scripts/run-tests.sh

lint: install
	$(BIN)/pytest -q tests/gates

# Install, start one stack, run the benchmarks, write their figures to $BENCH_OUT (default
# .bench/results.json), stop the stack. Figures are ratios and counts measured in one run.
# BENCH="site", BENCH="flow-runs" (with the burst of issue 20), BENCH="burst" or BENCH="fleet" runs one of them
# (default: site and flow-runs; fleet only when asked for).
bench: install
	bash scripts/run-bench.sh $(BENCH)

clean: stack-down
	rm -rf $(VENV) .state .bench .pytest_cache tests/output
