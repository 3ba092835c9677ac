"""The IPython kernel that runs the code, and its set-up before the socket opens.

The kernel is a real ipykernel, reached over ZeroMQ as any Jupyter kernel is, but it is
forked from the server's own interpreter rather than started as a new one: the server
imports ipykernel (which brings jupyter_client, zmq and IPython, all it needs itself) and
forks, so a container starts one Python and imports these once, and their pages are shared
rather than held twice. The library stack is imported after the fork, by the kernel's
warm-up cell: pages the kernel writes after the fork are copied, so the less the server
holds, the less is copied. The fork happens before any thread or socket exists on the
server's side; the kernel then leads its own session, so an interrupt reaches the
processes it started too, as a kernel started by jupyter_client's launcher is signalled.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import queue
import signal
import sys
import time
import traceback
import types
from pathlib import Path
from typing import Any

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.connect import write_connection_file
from jupyter_core.paths import jupyter_runtime_dir

from sandbox_server.protocol import DESCRIPTION_CAPS, FIGURE_MIME, Library
from sandbox_server.snippets import kernel_code

READY_TIMEOUT_S = 120


def import_ipykernel() -> None:
    """ipykernel, without the terminal front end that IPython 8 imports at package import
    only to re-export `IPython.embed` (prompt_toolkit: ~0.15 CPU-s and 7 MiB a sandbox).
    A stand-in takes its place and imports the real one if `embed()` is ever called."""
    name = "IPython.terminal.embed"
    stand_in = types.ModuleType(name)

    def embed(*args: Any, **kwargs: Any) -> Any:
        del sys.modules[name]
        real: Any = importlib.import_module(name)
        return real.embed(*args, **kwargs)

    stand_in.embed = embed  # type: ignore[attr-defined]
    sys.modules.setdefault(name, stand_in)
    importlib.import_module("ipykernel.kernelapp")


def kernel_environment() -> dict[str, str]:
    """The server's environment without its own settings and import path (the image's
    PYTHONPATH), which stay the server's."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_") and k != "PYTHONPATH"
    }


def run_kernel(connection_file: Path, workdir: Path) -> None:
    """In the forked child: becomes the kernel; never returns."""
    status = 1
    try:
        os.setsid()
        os.chdir(workdir)
        server_paths = set(os.environ.get("PYTHONPATH", "").split(os.pathsep)) - {""}
        # As jupyter_client's launcher sets it: the kernel exits if its parent is gone.
        env = kernel_environment() | {"JPY_PARENT_PID": str(os.getppid())}
        os.environ.clear()
        os.environ.update(env)
        # As `python -m ipykernel_launcher` started in the workdir would have it.
        sys.path[:] = [str(workdir), *(p for p in sys.path[1:] if p not in server_paths)]
        sys.argv = ["ipykernel_launcher"]
        import_ipykernel()
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(
            argv=["-f", str(connection_file), "--HistoryManager.enabled=False"]
        )
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()  # to the container's log: the host shows it if start-up fails
    finally:
        os._exit(status)


class Kernel:
    """One IPython kernel, forked from this process, and a client for it."""

    def __init__(self, workdir: Path) -> None:
        self.connection_file = Path(jupyter_runtime_dir()) / "kernel.json"
        self.connection_file.parent.mkdir(parents=True, exist_ok=True)
        write_connection_file(str(self.connection_file), ip="127.0.0.1", transport="tcp")
        # Frozen for good, so that neither side's collector writes to the shared pages.
        gc.freeze()
        self.pid = os.fork()
        if self.pid == 0:
            run_kernel(self.connection_file, workdir)
        self.exit_status: int | None = None
        self.client = BlockingKernelClient(connection_file=str(self.connection_file))
        self.client.load_connection_file()
        # No heartbeat: the server sees the kernel's death as its child's exit.
        self.client.start_channels(hb=False)
        self.wait_for_ready()

    def wait_for_ready(self) -> None:
        """Until the kernel answers kernel_info (the client's own wait would judge it dead
        when its heartbeat is late, as on a loaded machine)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            msg_id = self.client.kernel_info()
            try:
                while (
                    self.client.get_shell_msg(timeout=1.0)["parent_header"].get("msg_id") != msg_id
                ):
                    pass
                return
            except queue.Empty:
                pass
            if not self.is_alive():
                raise RuntimeError("the kernel exited while starting (its log says why)")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the kernel did not start within {READY_TIMEOUT_S} s")

    def is_alive(self) -> bool:
        if self.exit_status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exit_status = status
        return self.exit_status is None

    def interrupt(self) -> None:
        self.signal(signal.SIGINT)

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signum)

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.signal(signal.SIGKILL)
        if self.is_alive():
            os.waitpid(self.pid, 0)

    def run_quiet(self, code: str) -> None:
        reply = self.client.execute_interactive(code, silent=True, timeout=READY_TIMEOUT_S)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel set-up failed: {reply['content']}")


def start_kernel(workdir: Path, max_stream_bytes: int, library: Library | None) -> Kernel:
    """A kernel warm for `library` (None: all three), its user namespace empty and its
    output capped."""
    kernel = Kernel(workdir)
    kernel.run_quiet(kernel_code("warmup", library))
    kernel.run_quiet("get_ipython().reset(new_session=False, aggressive=False)")
    kernel.run_quiet(kernel_code("cap_output", max_stream_bytes))
    parts = ("describe_matplotlib", "describe_plotly")
    kernel.run_quiet(kernel_code("describe", FIGURE_MIME, *DESCRIPTION_CAPS, parts=parts))
    return kernel
