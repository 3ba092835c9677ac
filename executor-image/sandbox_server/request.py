"""One `POST /execute`: the files written, the code and the harvest run, the reply made."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, cast, get_args

from sandbox_server.execution import Execution
from sandbox_server.kernel import Kernel
from sandbox_server.protocol import (
    FIGURE_MIME,
    Capture,
    Reply,
    ReplyError,
    ReplyStatus,
    is_safe_file_name,
)
from sandbox_server.settings import ServerSettings
from sandbox_server.snippets import kernel_code


def oom_kill_count() -> int:
    """The cgroup's OOM-kill counter (v2 memory.events, v1 memory.oom_control), or 0."""
    for path, key in (
        ("/sys/fs/cgroup/memory.events", "oom_kill"),
        ("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill"),
    ):
        try:
            for line in Path(path).read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
        except OSError:
            continue
    return 0


def capture_of(request: dict[str, Any]) -> Capture:
    capture = request.get("capture", "all")
    if capture not in get_args(Capture):
        raise ValueError(f"unknown capture {capture!r}")
    return cast(Capture, capture)


def execute(kernel: Kernel, request: dict[str, Any], settings: ServerSettings) -> Reply:
    """Raises ValueError, KeyError or binascii.Error for a malformed request."""
    capture = capture_of(request)
    for name, b64 in request.get("files", {}).items():
        if not is_safe_file_name(name):
            raise ValueError(f"unsafe file name {name!r}")
        (settings.workdir / name).write_bytes(base64.b64decode(b64, validate=True))
    oom_before = oom_kill_count()
    run = Execution(
        kernel,
        capture=capture,
        max_stream_bytes=settings.max_stream_bytes,
        max_images=settings.max_images,
        max_error_bytes=settings.max_error_bytes,
    )
    run.run(request["code"])
    if capture == "all" and not run.kernel_died and run.limit_error is None:
        run.run(kernel_code("harvest", settings.max_images - len(run.images), FIGURE_MIME))
    status: ReplyStatus
    error: ReplyError | None
    if run.kernel_died or not kernel.is_alive():
        status = "oom" if oom_kill_count() > oom_before else "crashed"
        error = {
            "ename": "KernelDied",
            "evalue": f"the kernel died ({status})",
            "traceback": "",
            "truncated": False,
        }
    elif run.limit_error is not None:
        status, error = "error", run.limit_error
    elif run.error is not None:
        status, error = "error", run.error
    else:
        status, error = "ok", None
    return {
        "status": status,
        "images": run.images,
        "figures": run.figures,
        "stdout": "".join(run.stdout),
        "stderr": "".join(run.stderr),
        "error": error,
    }
