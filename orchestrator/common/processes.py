"""Helper services as child processes: a free loopback port, and waiting for /healthz.

Every service this project starts for itself (the local executor, the local model server,
a judge in tests) is started the same way: pick a free port, spawn, then poll its health
endpoint until it answers, giving up early when the process exits.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

import httpx


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
