#!/usr/bin/env bash
# ansible-test sanity on this checkout. ansible-test must run from a path that ends in
# ansible_collections/<namespace>/<name>, so the tracked and untracked-but-not-ignored files are
# copied to .state/sanity/ansible_collections/prefect_ops/ecs first. Extra arguments go to ansible-test
# (e.g. --test validate-modules).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.venv/bin
# PREFECT_OPS_SANITY_DIR lets two runs on one machine use different copies.
root=${PREFECT_OPS_SANITY_DIR:-$PWD/.state/sanity}
dest=$root/ansible_collections/prefect_ops/ecs
rm -rf "$dest"
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents -P {} "$dest"/ 2>/dev/null || true
# The collections we depend on must sit beside ours for the import and validate-modules tests.
purelib=$("$BIN/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
for ns in amazon community; do
  ln -sfn "$purelib/ansible_collections/$ns" "$root/ansible_collections/$ns"
done
cd "$dest"
git init -q . && git add -A >/dev/null 2>&1 || true
exec "$BIN/ansible-test" sanity --local --python 3.11 --color no "$@"
