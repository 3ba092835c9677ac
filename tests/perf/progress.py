"""Progress lines on stderr, so that stdout holds only the report."""

from __future__ import annotations

import sys
import time

STARTED = time.monotonic()


def progress(what: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f} s] {what}", file=sys.stderr, flush=True)
