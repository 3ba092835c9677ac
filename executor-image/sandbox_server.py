"""The process that a sandbox container runs: one Jupyter kernel, one execution, then exit.

Start-up: start an IPython kernel, import the plotting stack in it (matplotlib inline,
seaborn, plotly with the PNG renderer and a warm kaleido), wipe the user namespace, and only
then open the HTTP server on a unix socket in the bind-mounted directory. The socket's
appearance is the readiness signal the host waits for.

Requests: `GET /healthz` any number of times, then exactly one `POST /execute`, whose reply
is the execution result as JSON; the server then exits and the container ends.

Nothing here is trusted by the host: the model's code runs as the same user and could
replace this reply. The host enforces time and memory from outside, reads the container's
fate from Docker, and re-validates every PNG (see SECURITY.md).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import queue
import re
import shutil
import socketserver
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager
from pngcheck import InvalidPng, PngLimits, validate_png

SOCKET_DIR = Path(os.environ.get("SANDBOX_SOCKET_DIR", "/run/sandbox"))
SOCKET_NAME = "executor.sock"
WORKDIR = Path(os.environ.get("SANDBOX_WORKDIR", "/home/sandbox/work"))
IDLE_EXIT_S = float(os.environ.get("SANDBOX_IDLE_EXIT_S", "3600"))
MAX_BODY_BYTES = int(os.environ.get("SANDBOX_MAX_BODY_BYTES", str(80 * 1024 * 1024)))
MAX_STREAM_BYTES = int(os.environ.get("SANDBOX_MAX_STREAM_BYTES", str(1024 * 1024)))
MAX_IMAGES = int(os.environ.get("SANDBOX_MAX_IMAGES", "32"))
PNG_LIMITS = PngLimits()
SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

WARMUP = """
import matplotlib
matplotlib.use("module://matplotlib_inline.backend_inline")
import matplotlib.pyplot as plt
import numpy, pandas, scipy, seaborn
import plotly.express, plotly.graph_objects as go, plotly.io as pio
pio.renderers.default = "png"
pio.kaleido.scope.default_format = "png"
pio.to_image(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])), format="png")  # starts kaleido
plt.figure(); plt.plot([0, 1]); plt.close("all")
"""

# Refuses, in the cell's own thread, a write that would take stdout+stderr over the limit.
# The server counts what arrives too, but IPython keeps a copy of each cell's output in
# memory and a tight print loop can outrun the publishing, so memory would run out first.
# IPython re-wraps the streams' write for every cell, hence a pre_run_cell hook. Other
# threads (ipykernel's fd watcher) pass through; the server's count catches them.
CAP_OUTPUT = """
def _cap_output():
    import sys, threading
    class OutputLimitExceeded(Exception):
        pass
    written = [0]
    def capped(write):
        def capped_write(text, *args, **kwargs):
            written[0] += len(text)
            if written[0] > {limit} and threading.current_thread() is threading.main_thread():
                raise OutputLimitExceeded("stdout and stderr together over {limit} bytes")
            return write(text, *args, **kwargs)
        return capped_write
    def cap_streams(*_):
        sys.stdout.write = capped(sys.stdout.write)
        sys.stderr.write = capped(sys.stderr.write)
    get_ipython().events.register("pre_run_cell", cap_streams)
_cap_output()
del _cap_output
"""

# Figures that are still open at the end and were never shown (e.g. after a backend switch).
# More than the images left to return is refused before rendering any: rendering takes time.
HARVEST = """
import sys as _sys
if "matplotlib.pyplot" in _sys.modules:
    import io as _io
    import matplotlib.pyplot as _plt
    from IPython.display import Image as _Image, display as _display
    _open = len(_plt.get_fignums())
    if _open > {room}:
        _plt.close("all")
        class OutputLimitExceeded(Exception):
            pass
        raise OutputLimitExceeded(f"{{_open}} open figures, over the {room} images left")
    for _num in _plt.get_fignums():
        _buf = _io.BytesIO()
        _plt.figure(_num).savefig(_buf, format="png", bbox_inches="tight")
        _display(_Image(data=_buf.getvalue(), format="png"))
    _plt.close("all")
"""


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


class Kernel:
    """One IPython kernel and a client for it."""

    def __init__(self) -> None:
        self.manager = KernelManager(kernel_name="python3")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
        self.manager.start_kernel(
            cwd=str(WORKDIR), env=env, extra_arguments=["--HistoryManager.enabled=False"]
        )
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run_quiet(self, code: str) -> None:
        reply = self.client.execute_interactive(code, silent=True, timeout=120)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel set-up failed: {reply['content']}")


class Execution:
    """Collects the outputs of one cell, enforcing output limits as they arrive."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.stream_bytes = 0
        self.images: list[str] = []
        self.error: dict[str, str] | None = None
        self.limit_error: dict[str, str] | None = None
        self.kernel_died = False

    def exceed(self, what: str) -> None:
        if self.limit_error is None:
            self.limit_error = {"ename": "OutputLimitExceeded", "evalue": what, "traceback": ""}
            self.kernel.manager.interrupt_kernel()

    def add_image(self, b64: str) -> None:
        if len(self.images) >= MAX_IMAGES:
            self.exceed(f"more than {MAX_IMAGES} images")
            return
        try:
            validate_png(base64.b64decode(b64), PNG_LIMITS)
        except (InvalidPng, binascii.Error) as exc:
            self.exceed(f"image {len(self.images) + 1} rejected: {exc}")
            return
        self.images.append(b64)

    def handle(self, msg: dict[str, Any]) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            self.stream_bytes += len(content["text"].encode())
            if self.stream_bytes > MAX_STREAM_BYTES:
                self.exceed(f"stdout and stderr together over {MAX_STREAM_BYTES} bytes")
                return
            (self.stdout if content["name"] == "stdout" else self.stderr).append(content["text"])
        elif kind in ("display_data", "execute_result"):
            data = content.get("data", {})
            if "image/png" in data:
                self.add_image(data["image/png"].replace("\n", ""))
        elif kind == "error" and self.error is None:
            self.error = {
                "ename": content["ename"],
                "evalue": content["evalue"],
                "traceback": ANSI_ESCAPE.sub("", "\n".join(content["traceback"])),
            }

    def run(self, code: str, *, drain_s: float = 5.0) -> None:
        msg_id = self.kernel.client.execute(code, allow_stdin=False, store_history=False)
        limit_hit_at: float | None = None
        while True:
            if self.limit_error is not None:
                limit_hit_at = limit_hit_at or time.monotonic()
                if time.monotonic() - limit_hit_at > drain_s:
                    return  # the kernel ignored the interrupt; the host destroys it anyway
            try:
                msg = self.kernel.client.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                if not self.kernel.manager.is_alive():
                    self.kernel_died = True
                    return
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return
            if self.limit_error is None:
                self.handle(msg)


def execute(kernel: Kernel, request: dict[str, Any]) -> dict[str, Any]:
    for name, b64 in request.get("files", {}).items():
        if not SAFE_FILE_NAME.match(name):
            raise ValueError(f"unsafe file name {name!r}")
        (WORKDIR / name).write_bytes(base64.b64decode(b64, validate=True))
    oom_before = oom_kill_count()
    run = Execution(kernel)
    run.run(request["code"])
    if not run.kernel_died and run.limit_error is None:
        run.run(HARVEST.format(room=MAX_IMAGES - len(run.images)))
    if run.kernel_died or not kernel.manager.is_alive():
        status = "oom" if oom_kill_count() > oom_before else "crashed"
        error = {"ename": "KernelDied", "evalue": f"the kernel died ({status})", "traceback": ""}
    elif run.limit_error is not None:
        status, error = "error", run.limit_error
    elif run.error is not None:
        status, error = "error", run.error
    else:
        status, error = "ok", None
    return {
        "status": status,
        "images": run.images,
        "stdout": "".join(run.stdout),
        "stderr": "".join(run.stderr),
        "error": error,
    }


class UnixHTTPServer(socketserver.UnixStreamServer):
    def __init__(self, path: str, kernel: Kernel) -> None:
        self.kernel = kernel
        self.done = False
        super().__init__(path, Handler)


class Handler(BaseHTTPRequestHandler):
    server: UnixHTTPServer
    protocol_version = "HTTP/1.1"

    def address_string(self) -> str:
        return "unix"

    def log_message(self, format: str, *args: Any) -> None:  # keep container logs small
        return

    def reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self.reply(200, {"ready": True, "pid": os.getpid()})
        else:
            self.reply(404, {"detail": "not found"})

    def do_POST(self) -> None:
        if self.path != "/execute":
            self.reply(404, {"detail": "not found"})
            return
        length = int(self.headers.get("Content-Length", "0"))
        if length <= 0 or length > MAX_BODY_BYTES:
            self.reply(413, {"detail": f"body must be 1..{MAX_BODY_BYTES} bytes"})
            return
        self.server.done = True  # one execution per sandbox, whatever happens next
        try:
            request = json.loads(self.rfile.read(length))
            result = execute(self.server.kernel, request)
        except (ValueError, KeyError, binascii.Error) as exc:
            self.reply(400, {"detail": str(exc)})
            return
        self.reply(200, result)


def main() -> None:
    WORKDIR.mkdir(parents=True, exist_ok=True)
    # matplotlib's font cache was built into the image; copy it to writable tmpfs.
    mpl_cache = Path(os.environ["MPLCONFIGDIR"])
    if not mpl_cache.exists() and Path("/opt/mplconfig").exists():
        shutil.copytree("/opt/mplconfig", mpl_cache)
    kernel = Kernel()
    kernel.run_quiet(WARMUP)
    kernel.run_quiet("get_ipython().reset(new_session=False, aggressive=False)")
    kernel.run_quiet(CAP_OUTPUT.format(limit=MAX_STREAM_BYTES))
    # Bound in place, born 0666 (the host connects as another uid): gVisor refuses chmod
    # and rename of a socket on a host mount. The host retries until it listens.
    umask = os.umask(0o111)
    try:
        server = UnixHTTPServer(str(SOCKET_DIR / SOCKET_NAME), kernel)
    finally:
        os.umask(umask)
    server.timeout = 1.0
    started = time.monotonic()
    while not server.done:
        server.handle_request()
        if not server.done and time.monotonic() - started > IDLE_EXIT_S:
            print("idle limit reached, exiting", file=sys.stderr)
            break
    server.server_close()
    kernel.manager.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
