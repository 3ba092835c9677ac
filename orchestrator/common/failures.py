"""Which failed HTTP calls another attempt may fix: one answer for every client here.

Retryable (a RetryableFailure, carrying the answer's Retry-After): no answer at all (a
refused or dropped connection, a timeout) and the statuses 408, 409, 425, 429 and every 5xx.
Any other error status is a Rejection of the request itself: sending it again cannot help,
and each caller turns it into its own final error, worded for whoever has to fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from orchestrator.common.retrying import RetryableFailure, retry_after_seconds

RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})  # and every 5xx


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


@dataclass(frozen=True)
class Rejection:
    """The endpoint refused this request (a 4xx other than the retryable ones)."""

    status: int
    message: str


def status_failure(
    status: int, message: str, headers: Mapping[str, str]
) -> RetryableFailure | Rejection:
    """What an error answer means; `message` is the endpoint's explanation."""
    if is_retryable_status(status):
        return RetryableFailure(f"HTTP {status}: {message}", retry_after_seconds(headers))
    return Rejection(status, message)


def transport_failure(exc: httpx.TransportError) -> RetryableFailure:
    """No answer to an httpx request (connection refused or dropped, timeout)."""
    return RetryableFailure(f"{type(exc).__name__}: {exc}")
