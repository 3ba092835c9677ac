"""Helper services as child processes: start, wait for /healthz, stop, die with the parent.

Every service this project starts for itself (the local executor, the local model server,
a judge in tests) is started the same way: pick a free port, spawn, then poll its health
endpoint until it answers, giving up early when the process exits. A helper must not
outlive the run that started it, even when that run is killed: our Python services watch
their parent's pid and shut down cleanly; other programs get a parent-death SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx


class ChildService:
    """A helper service as a context manager: entering starts it, leaving stops it."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ServiceNotHealthy(RuntimeError):
    """The service exited or did not answer its health check in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (the caller binds it soon after)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def answers_ok(response: httpx.Response) -> bool:
    return response.status_code == 200


def wait_until_healthy(
    url: str,
    *,
    timeout_s: float,
    ready: Callable[[httpx.Response], bool] = answers_ok,
    process: subprocess.Popen[bytes] | None = None,
    interval_s: float = 0.5,
) -> None:
    """Poll `url` until `ready(response)`; raise ServiceNotHealthy on exit or timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process is not None and process.poll() is not None:
            raise ServiceNotHealthy(f"it exited with code {process.returncode}")
        try:
            if ready(httpx.get(url, timeout=2)):
                return
        except (httpx.HTTPError, ValueError, KeyError):
            pass  # not listening yet, or not answering in shape yet
        if time.monotonic() > deadline:
            raise ServiceNotHealthy(f"{url} did not answer within {timeout_s:g} s")
        time.sleep(interval_s)


def stop_process(process: subprocess.Popen[bytes], grace_s: float, *, group: bool = False) -> None:
    """SIGTERM, up to `grace_s` to exit, then SIGKILL; `group` signals its whole session."""
    if process.poll() is not None:
        return

    def send(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):  # it exited in between
            if group:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)

    send(signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait()


_PR_SET_PDEATHSIG = 1
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def kill_with_parent() -> None:
    """A preexec_fn: the kernel SIGKILLs the child once the thread that started it dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def pid_alive(pid: int) -> bool:
    """Whether `pid` runs on this host; a zombie (dead, not yet reaped) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # somebody else's process: it exists
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # gone between the two checks
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def process_owner(pid: int) -> str:
    """Names process `pid` of this boot of this host, e.g. as the owner of containers."""
    return f"{pid_space()}/{pid}"


def owner_gone(owner: str) -> bool:
    """Whether a process_owner() is known dead: its pid is of our pid space and is gone.
    Anything else (another machine or container, an earlier boot, a malformed value) is
    left be."""
    space, _, pid = owner.rpartition("/")
    return space == pid_space() and pid.isdigit() and not pid_alive(int(pid))


def pid_space() -> str:
    """Where a pid means the same process: this boot of this host, this pid namespace."""
    return f"{_BOOT_ID.read_text().strip()}:{os.readlink('/proc/self/ns/pid')}"


async def watch_parent(pid: int, on_gone: Callable[[], None], *, interval_s: float = 1.0) -> None:
    """Calls `on_gone` once `pid` is no longer alive, then returns."""
    while True:
        if not pid_alive(pid):
            on_gone()
            return
        await asyncio.sleep(interval_s)
