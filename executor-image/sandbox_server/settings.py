"""The server's settings, read once from the container's environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sandbox_server.protocol import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_ERROR_BYTES,
    DEFAULT_MAX_IMAGES,
    DEFAULT_MAX_STREAM_BYTES,
    LIBRARIES,
    LIBRARY_ENV,
    MAX_BODY_BYTES_ENV,
    MAX_ERROR_BYTES_ENV,
    MAX_IMAGES_ENV,
    MAX_STREAM_BYTES_ENV,
    SOCKET_DIR,
    WORKDIR,
    Library,
)


@dataclass(frozen=True)
class ServerSettings:
    socket_dir: Path
    workdir: Path
    idle_exit_s: float
    max_body_bytes: int
    max_stream_bytes: int
    max_images: int
    max_error_bytes: int
    library: Library | None  # what the kernel warms; None: all three

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ServerSettings:
        return cls(
            socket_dir=Path(env.get("SANDBOX_SOCKET_DIR", str(SOCKET_DIR))),
            workdir=Path(env.get("SANDBOX_WORKDIR", str(WORKDIR))),
            idle_exit_s=float(env.get("SANDBOX_IDLE_EXIT_S", "3600")),
            max_body_bytes=int(env.get(MAX_BODY_BYTES_ENV, str(DEFAULT_MAX_BODY_BYTES))),
            max_stream_bytes=int(env.get(MAX_STREAM_BYTES_ENV, str(DEFAULT_MAX_STREAM_BYTES))),
            max_images=int(env.get(MAX_IMAGES_ENV, str(DEFAULT_MAX_IMAGES))),
            max_error_bytes=int(env.get(MAX_ERROR_BYTES_ENV, str(DEFAULT_MAX_ERROR_BYTES))),
            library=library_of(env.get(LIBRARY_ENV, "")),
        )


def library_of(value: str) -> Library | None:
    for library in LIBRARIES:
        if value == library:
            return library
    if value:
        raise ValueError(f"{LIBRARY_ENV}={value!r}: expected one of {', '.join(LIBRARIES)}")
    return None
