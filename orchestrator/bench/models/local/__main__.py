"""The local default model: fetch and verify its GGUF, build the server's venv, serve it.

python -m orchestrator.bench.models.local fetch       # download, assemble, verify
python -m orchestrator.bench.models.local setup-venv  # build the server's venv
python -m orchestrator.bench.models.local serve       # run the server until Ctrl-C
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from orchestrator.bench.models.local.errors import LocalModelError, ServerStartError
from orchestrator.bench.models.local.fetch import local_model_path
from orchestrator.bench.models.local.paths import LLM_PYTHON
from orchestrator.bench.models.local.server import LocalModelServer
from orchestrator.bench.models.local.venv import setup_venv


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


if __name__ == "__main__":
    sys.exit(main())
