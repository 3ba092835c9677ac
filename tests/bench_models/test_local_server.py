"""The real local model: llama.cpp's server with Qwen2.5-Coder-1.5B, asked for a tiny plot."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time

import pytest

from orchestrator.bench.models.local.bundle import QWEN_CODER_1_5B
from orchestrator.bench.models.local.fetch import LOCAL_MODEL_PATH_VAR, local_model_path
from orchestrator.bench.models.local.paths import MODELS_DIR, REPO_ROOT
from orchestrator.bench.models.local.server import LocalModelServer
from orchestrator.bench.models.local.venv import venv_ready
from orchestrator.bench.models.local.verify import is_verified
from orchestrator.bench.models.providers import make_generator
from orchestrator.bench.models.registry import LOCAL_MODEL_ALIAS, resolve_model
from orchestrator.bench.models.turns import one_turn

pytestmark = [pytest.mark.llm, pytest.mark.anyio]

SYSTEM = "You are a helpful programming assistant. Answer with code in a ```python block."
USER = (
    "Write matplotlib code that plots y = x**2 for x from 0 to 10 as a line. "
    "Keep it under 10 lines."
)


def missing_parts() -> str | None:
    if not venv_ready():
        return "the llama.cpp server venv is not built (run `make model`)"
    if not os.environ.get(LOCAL_MODEL_PATH_VAR) and not is_verified(
        QWEN_CODER_1_5B, MODELS_DIR / QWEN_CODER_1_5B.file_name
    ):
        return "the local model is not fetched and verified (run `make model`)"
    return None


@pytest.mark.skipif(missing_parts() is not None, reason=missing_parts() or "")
async def test_local_model_writes_matplotlib_code() -> None:
    with LocalModelServer(local_model_path()) as server:
        spec = dataclasses.replace(
            resolve_model(LOCAL_MODEL_ALIAS), model_id=server.model_id, max_output_tokens=300
        )
        async with make_generator(spec, server.endpoint) as generator:
            generation = await generator.generate(SYSTEM, one_turn(USER))
        port = server.port

    assert "```python" in generation.text
    assert "plt." in generation.text or "matplotlib" in generation.text
    assert generation.model == server.model_id
    assert generation.usage.output_tokens
    with socket.socket() as probe:  # the server is gone once the block exits
        assert probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.skipif(missing_parts() is not None, reason=missing_parts() or "")
def test_server_stops_on_ctrl_c() -> None:
    with pytest.raises(KeyboardInterrupt), LocalModelServer(local_model_path()) as server:
        port = server.port
        raise KeyboardInterrupt
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.skipif(missing_parts() is not None, reason=missing_parts() or "")
def test_server_dies_with_a_killed_parent() -> None:
    starter = (
        "import sys, time\n"
        "from orchestrator.bench.models.local.fetch import local_model_path\n"
        "from orchestrator.bench.models.local.server import LocalModelServer\n"
        "server = LocalModelServer(local_model_path()).start()\n"
        "print(server.port, flush=True)\n"
        "time.sleep(600)\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", starter], stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT
    ) as parent:
        assert parent.stdout is not None
        port = int(parent.stdout.readline())
        parent.kill()
    for _ in range(100):  # the kernel sends the server SIGTERM; give it up to ~20 s to exit
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                break
        time.sleep(0.2)
    else:
        pytest.fail(f"the server on port {port} outlived its killed parent")
