"""The IPython kernel that runs the code, and its set-up before the socket opens."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_client.manager import KernelManager

from sandbox_server.protocol import DESCRIPTION_CAPS, FIGURE_MIME, Library
from sandbox_server.snippets import kernel_code


class Kernel:
    """One IPython kernel and a client for it."""

    def __init__(self, workdir: Path) -> None:
        self.manager = KernelManager(kernel_name="python3")
        # The server's own settings and import path (the image's PYTHONPATH) stay its own.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("SANDBOX_") and k != "PYTHONPATH"
        }
        self.manager.start_kernel(
            cwd=str(workdir), env=env, extra_arguments=["--HistoryManager.enabled=False"]
        )
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run_quiet(self, code: str) -> None:
        reply = self.client.execute_interactive(code, silent=True, timeout=120)
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
