"""Runs the executor service: `python -m orchestrator.executor` (settings from EXECUTOR_*)."""

from __future__ import annotations

import logging
import sys

import uvicorn
from pydantic import ValidationError

from orchestrator.executor.app import create_app
from orchestrator.executor.sandbox import SandboxUnavailable
from orchestrator.executor.settings import ExecutorSettings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = ExecutorSettings()
    except ValidationError as exc:
        missing = [".".join(map(str, e["loc"])) for e in exc.errors() if e["type"] == "missing"]
        hint = f"set EXECUTOR_{missing[0].upper()}" if missing else "check the EXECUTOR_* variables"
        sys.exit(f"executor settings are invalid ({hint}):\n{exc}")
    try:
        app = create_app(settings)
        # uvicorn turns SIGINT/SIGTERM into a lifespan shutdown, which removes every sandbox.
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
    except SandboxUnavailable as exc:
        sys.exit(f"executor cannot start: {exc}")


if __name__ == "__main__":
    main()
