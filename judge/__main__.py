"""``python -m judge``: serve the judge with settings from the environment."""

from __future__ import annotations

import sys

import uvicorn

from judge.app import create_app
from judge.errors import ConfigError
from judge.settings import load_settings


def main() -> int:
    try:
        settings = load_settings()
        app = create_app(settings)
    except ConfigError as exc:
        print(f"judge cannot start: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", ws="none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
