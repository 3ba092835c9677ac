"""llama-cpp-python's OpenAI-compatible server as a child process on a free loopback port."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from orchestrator.bench.models.local.errors import ServerStartError, ServerVenvMissing
from orchestrator.bench.models.local.paths import LLM_PYTHON, LLM_VENV
from orchestrator.bench.models.local.venv import venv_ready
from orchestrator.bench.models.registry import LOCAL_API_KEY, Endpoint
from orchestrator.common.processes import (
    ServiceNotHealthy,
    free_port,
    kill_with_parent,
    stop_process,
    wait_until_healthy,
)


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

    Use as a context manager; the server is stopped on exit, Ctrl-C and errors included, and
    dies with this process even if it is killed. In async code too it is a plain `with`:
    starting blocks for the model load (seconds), before the bench has anything else to do,
    and the parent-death signal belongs to the thread that started the server.
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
        self.port = port or free_port()
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
        return server

    def start(self) -> Self:
        if not venv_ready():
            raise ServerVenvMissing(
                f"the llama.cpp server venv ({LLM_VENV}) is not built or is out of date; "
                "run `make model` or `python -m orchestrator.bench.models.local setup-venv`"
            )
        log_fd, log_name = tempfile.mkstemp(prefix="llm-server-", suffix=".log")
        self._log_path = Path(log_name)
        # A session of its own: Ctrl-C reaches only this process, which then stops the server.
        # The kernel kills the server if this process dies without cleaning up.
        with os.fdopen(log_fd, "wb") as log:
            self._process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=server_environment(),
                preexec_fn=kill_with_parent,
            )
        try:
            wait_until_healthy(
                f"{self.base_url}/models", timeout_s=self.startup_timeout_s, process=self._process
            )
        except ServiceNotHealthy as exc:
            log_tail = self.log_tail()
            self.stop()
            raise ServerStartError(
                f"the llama.cpp server did not start: {exc}:\n{log_tail}"
            ) from exc
        except BaseException:
            self.stop()
            raise
        return self

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
        if process is not None:
            stop_process(process, grace_s=10, group=True)
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
