"""Whether a model file is its bundle's: sha256, size and GGUF name, remembered in a marker.

Hashing a 1 GB file takes seconds, so a verified file gets a marker next to it recording its
size and mtime; while those are unchanged the file is trusted without hashing it again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from orchestrator.bench.models.local.bundle import PartsBundle
from orchestrator.bench.models.local.errors import ModelVerifyError
from orchestrator.bench.models.local.gguf import check_gguf_name

CHUNK = 1 << 20


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _file_state(path: Path) -> dict[str, int]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def write_marker(path: Path) -> None:
    _marker(path).write_text(json.dumps(_file_state(path)))


def is_verified(bundle: PartsBundle, path: Path) -> bool:
    """True if `path` was verified and has not changed since (size and mtime)."""
    marker = _marker(path)
    if not (path.is_file() and marker.is_file()):
        return False
    try:
        recorded = json.loads(marker.read_text())
    except ValueError:
        return False
    state = _file_state(path)
    return bool(recorded == state and state["size"] == bundle.size)


def verify_file(bundle: PartsBundle, path: Path) -> None:
    """Hash `path` against the bundle and mark it verified, or delete it and raise."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    if path.stat().st_size != bundle.size or digest.hexdigest() != bundle.sha256:
        path.unlink()
        _marker(path).unlink(missing_ok=True)
        raise ModelVerifyError(
            f"{path} does not match sha256 {bundle.sha256}; it was deleted, fetch again"
        )
    check_gguf_name(path, bundle.gguf_name)
    write_marker(path)
