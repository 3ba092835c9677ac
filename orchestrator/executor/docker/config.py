"""How sandbox containers are made: SandboxConfig and the `docker run` arguments it gives."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from docker.models.resource import Model
from docker.types import LogConfig, Mount, Ulimit
from pydantic import BaseModel, Field

from orchestrator.common.pngcheck import PngLimits
from orchestrator.executor.reply_check import ReplyLimits
from sandbox_server.protocol import (
    DEFAULT_MAX_ERROR_BYTES,
    DEFAULT_MAX_IMAGES,
    DEFAULT_MAX_STREAM_BYTES,
    LIBRARY_ENV,
    MAX_ERROR_BYTES_ENV,
    MAX_IMAGES_ENV,
    MAX_STREAM_BYTES_ENV,
    SOCKET_DIR,
    Library,
)

SANDBOX_UID = 10001
LABEL_ROLE = "ppb.role"
LABEL_FLEET = "ppb.fleet"
LABEL_OWNER = "ppb.owner"
LABEL_LIBRARY = "ppb.library"
VENV_PATH = "/opt/venv"  # the image's packages; served from a volume (venv_volume.py)


def default_socket_root() -> Path:
    """Where per-sandbox socket directories live: a root-owned or per-user runtime dir."""
    if os.geteuid() == 0:
        return Path("/run/ppb-sandboxes")
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return Path(runtime) / "ppb-sandboxes" if runtime else Path.home() / ".cache/ppb-sandboxes"


class SandboxConfig(BaseModel):
    """How sandbox containers are made. Every default is the hardened one."""

    image: str = "ppb/sandbox:latest"
    fleet: str = "default"  # label that scopes sweeps, so executors can share an engine
    # The process (processes.process_owner) whose death orphans these sandboxes: set for a
    # run's own executor, so the next run removes what a killed one left.
    owner: str | None = None
    runtime: str | None = None  # "runsc" runs the sandbox under gVisor
    memory: str = "1536m"
    cpus: float = 1.0
    cpuset: str | None = None
    pids_limit: int = 256
    nofile: int = 1024
    fsize_bytes: int = 256 * 1024 * 1024
    tmp_size: str = "256m"
    home_size: str = "128m"
    shm_size: str = "64m"
    socket_root: Path = Field(default_factory=lambda: default_socket_root())
    startup_timeout_s: float = 90.0
    max_reply_bytes: int = 96 * 1024 * 1024
    max_stream_bytes: int = DEFAULT_MAX_STREAM_BYTES
    max_images: int = DEFAULT_MAX_IMAGES
    max_error_bytes: int = DEFAULT_MAX_ERROR_BYTES
    png_max_bytes: int = 8 * 1024 * 1024
    png_max_pixels: int = 25_000_000
    # /opt/venv from one read-only volume filled from the image (venv_volume.py): under a
    # FUSE storage driver, sandboxes then share the page cache of its files.
    shared_venv: bool = True

    def run_kwargs(
        self, name: str, socket_dir: Path, venv_volume: str | None = None
    ) -> dict[str, Any]:
        """The docker SDK arguments for one sandbox container (see SECURITY.md); with
        `venv_volume`, its /opt/venv is that volume, read-only."""
        tmpfs_flags = "nosuid,nodev,noexec"
        kwargs: dict[str, Any] = {
            "name": name,
            "hostname": "sandbox",
            "labels": {
                LABEL_ROLE: "sandbox",
                LABEL_FLEET: self.fleet,
                **({LABEL_OWNER: self.owner} if self.owner else {}),
            },
            "detach": True,
            "network_mode": "none",
            "read_only": True,
            "tmpfs": {
                "/tmp": f"size={self.tmp_size},mode=1777,{tmpfs_flags}",  # noqa: S108 (in the container)
                "/home/sandbox": (
                    f"size={self.home_size},uid={SANDBOX_UID},gid={SANDBOX_UID},mode=0700,"
                    f"{tmpfs_flags}"
                ),
            },
            "volumes": {str(socket_dir): {"bind": str(SOCKET_DIR), "mode": "rw"}},
            "user": f"{SANDBOX_UID}:{SANDBOX_UID}",
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges:true"],
            "mem_limit": self.memory,
            "memswap_limit": self.memory,
            "nano_cpus": int(self.cpus * 1e9),
            "pids_limit": self.pids_limit,
            "ulimits": [
                Ulimit(name="nofile", soft=self.nofile, hard=self.nofile),
                Ulimit(name="fsize", soft=self.fsize_bytes, hard=self.fsize_bytes),
                Ulimit(name="core", soft=0, hard=0),
            ],
            "init": True,
            "ipc_mode": "private",
            "shm_size": self.shm_size,
            "oom_score_adj": 500,  # under host memory pressure, sandboxes die first
            "log_config": LogConfig(
                type=LogConfig.types.JSON, config={"max-size": "1m", "max-file": "1"}
            ),
            "environment": {
                MAX_STREAM_BYTES_ENV: str(self.max_stream_bytes),
                MAX_IMAGES_ENV: str(self.max_images),
                MAX_ERROR_BYTES_ENV: str(self.max_error_bytes),
            },
        }
        if venv_volume:
            # no_copy: Docker must never fill it from the image on its own, half-done.
            kwargs["mounts"] = [
                Mount(VENV_PATH, venv_volume, type="volume", read_only=True, no_copy=True)
            ]
        if self.cpuset:
            kwargs["cpuset_cpus"] = self.cpuset
        if self.runtime:
            kwargs["runtime"] = self.runtime
        return kwargs

    def reply_limits(self) -> ReplyLimits:
        return ReplyLimits(
            max_reply_bytes=self.max_reply_bytes,
            max_stream_bytes=self.max_stream_bytes,
            max_images=self.max_images,
            max_error_bytes=self.max_error_bytes,
            png=PngLimits(max_bytes=self.png_max_bytes, max_pixels=self.png_max_pixels),
        )


def labels(resource: Model) -> dict[str, str]:
    """The labels of a container or volume as listed (a container's `.labels` needs a full,
    not a sparse, listing)."""
    found: dict[str, str] = resource.attrs.get("Labels") or {}
    return found


def for_library(run_kwargs: dict[str, Any], library: Library | None) -> dict[str, Any]:
    """`run_kwargs` for a sandbox that warms `library` (None: all three)."""
    return run_kwargs | {
        "environment": run_kwargs["environment"] | {LIBRARY_ENV: library or ""},
        "labels": run_kwargs["labels"] | {LABEL_LIBRARY: library or "all"},
    }
