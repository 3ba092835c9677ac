"""Helpers die with their parent and stop when told: stop_process, the parent-death signal,
the parent watch, and which sandbox owners count as dead."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from orchestrator.common.processes import (
    owner_gone,
    pid_alive,
    process_owner,
    stop_process,
    watch_parent,
)


def python(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)


def wait_gone(pid: int, timeout_s: float = 10) -> bool:
    deadline = time.monotonic() + timeout_s
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_stop_process_terminates_a_process_that_obeys() -> None:
    with python("import time; time.sleep(60)") as process:
        started = time.monotonic()
        stop_process(process, grace_s=30)
    assert process.returncode == -signal.SIGTERM
    assert time.monotonic() - started < 10


def test_stop_process_kills_one_that_ignores_sigterm() -> None:
    with python(
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    ) as process:
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
        stop_process(process, grace_s=0.5)
        assert process.returncode == -signal.SIGKILL
        stop_process(process, grace_s=0.5)  # already gone: nothing to do


def test_a_zombie_is_not_alive() -> None:
    with python("pass") as process:
        deadline = time.monotonic() + 10
        while pid_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # exited but not reaped: a zombie
        assert not pid_alive(process.pid)
        process.wait()
    assert pid_alive(os.getpid())


def test_the_parent_death_signal_kills_the_child_with_its_parent() -> None:
    with python(
        "import subprocess, time\n"
        "from orchestrator.common.processes import kill_with_parent\n"
        "child = subprocess.Popen(['sleep', '60'], preexec_fn=kill_with_parent)\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    ) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert pid_alive(child)
        parent.kill()
    assert wait_gone(child)


def test_owners_are_dead_only_when_on_this_host_and_gone() -> None:
    with python("pass") as gone:
        gone.wait()
    assert owner_gone(process_owner(gone.pid))
    assert not owner_gone(process_owner(os.getpid()))
    space, _, pid = process_owner(gone.pid).rpartition("/")
    assert not owner_gone(f"another-machine/{pid}")
    assert not owner_gone(f"{space}/not-a-pid")
    assert not owner_gone(f"{space}-another-pid-namespace/{pid}")
    assert not owner_gone("")


@pytest.mark.anyio
async def test_the_parent_watch_fires_once_the_parent_is_gone() -> None:
    fired: list[float] = []
    with python("import time; time.sleep(0.5)") as parent:
        started = time.monotonic()
        await watch_parent(parent.pid, lambda: fired.append(time.monotonic()), interval_s=0.05)
    assert len(fired) == 1 and 0.4 < fired[0] - started < 10
