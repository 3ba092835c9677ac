"""Runs the sandbox server: `python3 -m sandbox_server` (see the package docstring)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sandbox_server.kernel import start_kernel
from sandbox_server.server import bind, serve
from sandbox_server.settings import ServerSettings


def main() -> None:
    settings = ServerSettings.from_env()
    settings.workdir.mkdir(parents=True, exist_ok=True)
    # matplotlib's font cache was built into the image; copy it to writable tmpfs.
    mpl_cache = Path(os.environ["MPLCONFIGDIR"])
    if not mpl_cache.exists() and Path("/opt/mplconfig").exists():
        shutil.copytree("/opt/mplconfig", mpl_cache)
    kernel = start_kernel(settings.workdir, settings.max_stream_bytes, settings.library)
    serve(bind(kernel, settings))
    kernel.shutdown()


if __name__ == "__main__":
    main()
