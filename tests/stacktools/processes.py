"""Killing an ansible-playbook run with every process below it (interruption tests)."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_run(proc: subprocess.Popen) -> list[int]:
    """SIGKILL ansible-playbook's process group and every process below it. ansible-core's worker processes
    call setsid(), so killing the group alone leaves the running module alive: it would get the held answer
    once released and go on writing, which is not the interruption these tests are about. Returns the
    processes still alive afterwards (none, normally)."""
    os.killpg(proc.pid, signal.SIGSTOP)  # no new worker from here on
    tree = descendants(proc.pid)
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for pid in tree:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
    os.killpg(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in tree) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in tree if alive(pid)]
