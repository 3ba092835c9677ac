"""Waiting in async tests for a state that background tasks reach."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def until(
    condition: Callable[[], bool], what: str, limit_s: float = 5.0, poll_s: float = 0.01
) -> None:
    """Waits until `condition()` holds; the limit only keeps a broken test from hanging."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for: {what}"
        await asyncio.sleep(poll_s)
