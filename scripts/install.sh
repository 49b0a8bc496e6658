#!/usr/bin/env bash
# Install the pinned dependency set into .venv and make the checkout resolve as prefect_ops.ecs.
# Called by `make install`; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
VENV=.venv
if [[ ! -x $VENV/bin/python ]]; then
  "$PY" -m venv "$VENV"
fi
# (grep drops the warnings some machines' pip configuration prints for every package)
quiet() { "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }
quiet "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==26.3"
quiet "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
# The repository root is the collection root: link it into the venv's ansible_collections so every
# tool that runs on the venv's Python (ansible-playbook, molecule, ansible-runner, pytest) finds it.
purelib=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p "$purelib/ansible_collections/prefect_ops"
ln -sfn "$PWD" "$purelib/ansible_collections/prefect_ops/ecs"
# ansible-test downloads a get-pip bootstrap from a host these machines cannot reach.
cache=~/.ansible/test/cache
mkdir -p "$cache"
for v in 24_2; do
  cp scripts/get_pip_bootstrap.py "$cache/get_pip_$v.py"
done
"$VENV/bin/ansible-galaxy" collection list prefect_ops.ecs >/dev/null
echo "install: .venv ready; collection prefect_ops.ecs -> $PWD"
