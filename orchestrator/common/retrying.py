"""Retry timing shared by every HTTP client here (executor, judge, model providers).

A failed attempt that another attempt may fix raises RetryableFailure. The next attempt
waits what the server asked for in Retry-After (capped at ``max_wait_s``), else an
exponential backoff with jitter. After the last attempt the RetryableFailure propagates.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Mapping

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)


class RetryableFailure(Exception):
    """One attempt failed transiently; ``retry_after_s`` is the server's wait hint."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The wait a response asks for: ``retry-after-ms``, else ``Retry-After`` in seconds
    or as an HTTP date; None when absent or unreadable."""
    if (millis := _finite(headers.get("retry-after-ms"))) is not None:
        return max(0.0, millis / 1000)
    value = headers.get("retry-after")
    if value is None:
        return None
    if (seconds := _finite(value)) is not None:
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _finite(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


class _RetryAfterOrBackoff:
    def __init__(self, base_wait_s: float, max_wait_s: float) -> None:
        self.max_wait_s = max_wait_s
        self._backoff = wait_exponential_jitter(
            multiplier=base_wait_s, max=max_wait_s, jitter=base_wait_s
        )

    def __call__(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, RetryableFailure) and failure.retry_after_s is not None:
            return min(failure.retry_after_s, self.max_wait_s)
        return float(self._backoff(state))


def retrying(max_attempts: int, base_wait_s: float, max_wait_s: float) -> AsyncRetrying:
    """``async for attempt in retrying(...): with attempt: ...`` over RetryableFailure."""
    return AsyncRetrying(
        stop=stop_after_attempt(max_attempts),
        wait=_RetryAfterOrBackoff(base_wait_s, max_wait_s),
        retry=retry_if_exception_type(RetryableFailure),
        reraise=True,
    )
