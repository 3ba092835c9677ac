"""Client of the executor service.

ExecutorClientError
├── ExecutorRejected      4xx: the request itself is wrong; retrying will not help
└── ExecutorUnavailable   unreachable, 5xx or saturated after retries (infrastructure)
"""

from __future__ import annotations

import email.utils
import time
from types import TracebackType
from typing import Self

import httpx
from pydantic import ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from orchestrator.executor_api import ExecutionRequest, ExecutionResult, Health


class ExecutorClientError(Exception):
    """Base of the executor client's errors."""


class ExecutorRejected(ExecutorClientError):
    """The service refused the request (4xx); the message says why."""


class ExecutorUnavailable(ExecutorClientError):
    """The service could not run the request; an infrastructure failure.

    `retry_after_s` is the wait the service asked for in a 503 answer (it is saturated or
    cannot start sandboxes right now); None for every other failure.
    """

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class _Retryable(ExecutorClientError):
    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def retry_after_seconds(value: str | None) -> float | None:
    """Parses a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class ExecutorClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        attempts: int = 5,
        max_wait_s: float = 30.0,
        overhead_s: float = 150.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.attempts = attempts
        self.max_wait_s = max_wait_s
        # Beyond the code's own limit, time to wait for a sandbox and to move PNGs.
        self.overhead_s = overhead_s
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after_s is not None:
            return min(exc.retry_after_s, self.max_wait_s)
        return float(wait_exponential_jitter(multiplier=0.5, max=self.max_wait_s)(state))

    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        """Runs code; retries 503s and connection failures, then raises ExecutorUnavailable."""
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=self._wait,
                retry=retry_if_exception_type(_Retryable),
                reraise=True,
            ):
                with attempt:
                    return await self._execute_once(request)
        except _Retryable as exc:
            raise ExecutorUnavailable(
                f"executor {self.base_url} failed {self.attempts} times: {exc}"
            ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def execute_once(self, request: ExecutionRequest) -> ExecutionResult:
        """One attempt, no retries: for callers with their own policy (orchestrator.dispatch)."""
        try:
            return await self._execute_once(request)
        except _Retryable as exc:
            raise ExecutorUnavailable(
                f"executor {self.base_url}: {exc}", exc.retry_after_s
            ) from exc
        except ValidationError as exc:
            raise ExecutorUnavailable(
                f"executor {self.base_url} sent a malformed result: {exc.error_count()} errors"
            ) from exc

    async def _execute_once(self, request: ExecutionRequest) -> ExecutionResult:
        try:
            response = await self._http.post(
                "/v1/executions",
                content=request.model_dump_json(),
                headers={"Content-Type": "application/json"},
                timeout=httpx.Timeout(request.timeout_s + self.overhead_s, connect=10.0),
            )
        except httpx.TransportError as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 200:
            return ExecutionResult.model_validate_json(response.content)
        detail = _detail(response)
        if response.status_code in (429, 502, 503, 504) or response.status_code >= 500:
            raise _Retryable(
                f"HTTP {response.status_code}: {detail}",
                retry_after_seconds(response.headers.get("Retry-After")),
            )
        raise ExecutorRejected(
            f"executor refused the request (HTTP {response.status_code}): {detail}"
        )

    async def health(self, timeout_s: float = 5.0) -> Health:
        try:
            response = await self._http.get("/healthz", timeout=timeout_s)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ExecutorUnavailable(f"executor {self.base_url} is not healthy: {exc}") from exc
        return Health.model_validate_json(response.content)


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])[:2000]
    return str(body)[:2000]
