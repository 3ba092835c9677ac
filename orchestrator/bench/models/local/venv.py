"""The llama.cpp server's own venv, pinned by requirements/llm.lock.

llama-cpp-python[server] lives in .cache/llm-venv so that its dependencies never meet the
main venv's. Its wheel is built from source once (a few minutes) and kept in LLM_WHEELS.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from orchestrator.bench.models.local.errors import LocalModelError
from orchestrator.bench.models.local.paths import LLM_LOCK, LLM_PYTHON, LLM_VENV, LLM_WHEELS

# A portable x86-64-v3 CPU build: a cached wheel keeps working if the CPU model changes.
LLAMA_CMAKE_ARGS = "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
BUILD_TOOLS = ("scikit-build-core", "cmake", "ninja")


def _lock_digest() -> str:
    return hashlib.sha256(LLM_LOCK.read_bytes()).hexdigest()


def _venv_stamp() -> Path:
    return LLM_VENV / ".stamp"


def venv_ready() -> bool:
    stamp = _venv_stamp()
    return LLM_PYTHON.is_file() and stamp.is_file() and stamp.read_text() == _lock_digest()


def _llama_cpp_version() -> str:
    for line in LLM_LOCK.read_text().splitlines():
        name, sep, version = line.partition("==")
        if sep and name.strip().lower() == "llama-cpp-python":
            return version.split()[0]
    raise LocalModelError(f"{LLM_LOCK} pins no llama-cpp-python version")


def setup_venv() -> None:
    """Create .cache/llm-venv from requirements/llm.lock; the llama.cpp wheel is built once."""
    if venv_ready():
        return
    version = _llama_cpp_version()
    if not LLM_PYTHON.is_file():
        _run([sys.executable, "-m", "venv", str(LLM_VENV)])
    pip = [str(LLM_PYTHON), "-m", "pip", "--disable-pip-version-check"]
    _run([*pip, "install", "-q", "-c", str(LLM_LOCK), *BUILD_TOOLS])
    if not any(LLM_WHEELS.glob(f"llama_cpp_python-{version}-*.whl")):
        print(f"building llama-cpp-python {version} from source (minutes)", file=sys.stderr)
        environment = dict(os.environ, CMAKE_ARGS=LLAMA_CMAKE_ARGS)
        environment.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        build = [*pip, "wheel", "-q", "--no-deps", "--no-build-isolation"]
        _run(
            [*build, "--wheel-dir", str(LLM_WHEELS), f"llama-cpp-python=={version}"],
            env=environment,
        )
    install = [*pip, "install", "-q", "--only-binary=llama-cpp-python"]
    _run([*install, "--find-links", str(LLM_WHEELS), "-r", str(LLM_LOCK)])
    _venv_stamp().write_text(_lock_digest())


def _run(command: Sequence[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, env=env, check=False)
    if result.returncode != 0:
        raise LocalModelError(f"`{' '.join(command)}` failed with exit code {result.returncode}")
