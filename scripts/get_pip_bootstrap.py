"""Stand-in for ansible-test's get-pip bootstrap script, which it downloads from a host these
machines cannot reach. ansible-test runs it (as ~/.ansible/test/cache/get_pip_<version>.py) inside a
fresh virtual environment with pip's install arguments; this bootstraps pip from the standard
library's ensurepip, then installs what was asked (e.g. pip==24.2) from the package index.
Installed by `make install` (scripts/install.sh)."""
import ensurepip
import os
import subprocess
import sys

ENV = dict(os.environ)  # ensurepip sets PIP_CONFIG_FILE=/dev/null in os.environ: keep the machine's pip config
ensurepip.bootstrap(upgrade=True)
ARGS = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *ARGS], env=ENV))
