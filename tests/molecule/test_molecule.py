"""molecule's default scenario (prepare -> converge -> idempotence -> verify -> destroy) on the
shared local stack, through the real molecule CLI."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stacktools.stack import stack_env

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.slow(7)
def test_molecule_default_scenario():
    env = dict(os.environ) | stack_env()
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["ANSIBLE_PYTHON_INTERPRETER"] = sys.executable
    env["NO_COLOR"] = "1"
    # a scenario state left by an interrupted run would make molecule skip prepare ("already prepared")
    subprocess.run([str(BIN / "molecule"), "reset"], cwd=REPO / "extensions", env=env, capture_output=True, check=False)
    proc = subprocess.run([str(BIN / "molecule"), "test"], cwd=REPO / "extensions", env=env,
                          capture_output=True, text=True, timeout=1800, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-8000:]
    for step in ("prepare", "check", "converge", "idempotence", "verify", "destroy"):
        assert f"{step}: Executed: Successful" in out, f"molecule step {step} did not succeed:\n{out[-4000:]}"
