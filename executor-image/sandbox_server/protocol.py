"""The host-to-sandbox protocol, imported by the sandbox server and by the executor alike.

Standard library only: the host imports it without the sandbox's packages.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Literal, TypedDict

# The host bind-mounts one directory per sandbox here; the server binds its socket in it.
SOCKET_DIR = PurePosixPath("/run/sandbox")
SOCKET_NAME = "executor.sock"
HEALTH_PATH = "/healthz"
EXECUTE_PATH = "/execute"
# The kernel's working directory, where the files sent with the code are written. The host
# gives code their absolute path here, so the server's SANDBOX_WORKDIR must not move it.
WORKDIR = PurePosixPath("/home/sandbox/work")

# Output limits, passed to the container in these environment variables.
MAX_STREAM_BYTES_ENV = "SANDBOX_MAX_STREAM_BYTES"
MAX_IMAGES_ENV = "SANDBOX_MAX_IMAGES"
MAX_BODY_BYTES_ENV = "SANDBOX_MAX_BODY_BYTES"
MAX_ERROR_BYTES_ENV = "SANDBOX_MAX_ERROR_BYTES"
DEFAULT_MAX_STREAM_BYTES = 1024 * 1024
DEFAULT_MAX_IMAGES = 32
DEFAULT_MAX_BODY_BYTES = 80 * 1024 * 1024
DEFAULT_MAX_ERROR_BYTES = 64 * 1024  # for each of an error's ename, evalue and traceback

# Figure descriptions (orchestrator/executor/figures.py is their schema): each travels in
# its display_data bundle under this MIME type, beside its image/png, built to these caps.
FIGURE_MIME = "application/vnd.pandasplotbench.figure+json"
# Bump when what a description holds changes: cached ground-truth descriptions are keyed by it.
DESCRIPTION_VERSION = 2
MAX_AXES = 64
MAX_STRINGS = 256  # per list of strings
MAX_STRING_CHARS = 200
MAX_COLOURS = 64  # per axes, distinct
MAX_SERIES = 64  # per axes
MAX_POINTS = 512  # per series, sampled evenly when there are more
# The caps as the describe snippet takes them, after the MIME type.
DESCRIPTION_CAPS = (MAX_AXES, MAX_STRINGS, MAX_STRING_CHARS, MAX_COLOURS, MAX_SERIES, MAX_POINTS)

# A plain file name: no directory part, no "..", no NUL, no leading dot or dash.
SAFE_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")

Library = Literal["matplotlib", "seaborn", "plotly"]
LIBRARIES: tuple[Library, ...] = ("matplotlib", "seaborn", "plotly")
# The library a sandbox warms before it is ready: numpy, pandas and that library's stack.
# Unset or empty, it warms all three. Code may use any library whatever it says: the others
# are installed and import on first use.
LIBRARY_ENV = "SANDBOX_LIBRARY"
ReplyStatus = Literal["ok", "error", "oom", "crashed"]
# Which PNGs count: "displayed" takes only display_data outputs (what a notebook shows of
# plt.show(), fig.show() and inline-flushed figures); "all" also takes a cell's
# execute_result and renders the matplotlib figures still open at the end.
Capture = Literal["displayed", "all"]


def is_safe_file_name(name: str) -> bool:
    """Whether a file sent with the code may be written, under this name, to the workdir."""
    return SAFE_FILE_NAME.fullmatch(name) is not None and ".." not in name


def cut_to_bytes(text: str, max_bytes: int) -> tuple[str, bool]:
    """The text within `max_bytes` of UTF-8 (whole characters only), and whether it was cut."""
    data = text.encode()
    if len(data) <= max_bytes:
        return text, False
    return data[:max_bytes].decode(errors="ignore"), True


class ReplyError(TypedDict):
    ename: str
    evalue: str
    traceback: str
    truncated: bool  # whether any of the three was cut to the error limit


def bounded_error(ename: str, evalue: str, traceback: str, max_bytes: int) -> ReplyError:
    """The error with each of its texts cut to `max_bytes`, saying whether any was."""
    (ename, ename_cut), (evalue, evalue_cut), (traceback, traceback_cut) = (
        cut_to_bytes(text, max_bytes) for text in (ename, evalue, traceback)
    )
    return {
        "ename": ename,
        "evalue": evalue,
        "traceback": traceback,
        "truncated": ename_cut or evalue_cut or traceback_cut,
    }


class Reply(TypedDict):
    """The body of the answer to `POST /execute` (the host re-checks all of it)."""

    status: ReplyStatus
    images: list[str]  # base64 PNGs, in drawing order
    figures: list[object | None]  # each image's figure description, or None
    stdout: str
    stderr: str
    error: ReplyError | None
