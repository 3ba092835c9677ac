"""Client of the executor service.

    ExecutorClientError
    ├── ExecutorRejected      4xx: the request itself is wrong; retrying will not help
    └── ExecutorUnavailable   unreachable, 5xx or saturated after retries (infrastructure)

What orchestrator.common.failures calls retryable (connection failures, timeouts, 408, 409,
425, 429, 5xx) is retried, honouring Retry-After.
"""

from __future__ import annotations

import httpx
from pydantic import ValidationError

from orchestrator.common.failures import Rejection, status_failure, transport_failure
from orchestrator.common.http_client import AsyncClosing, response_detail
from orchestrator.common.retrying import RetryableFailure, retrying
from orchestrator.executor.api import ExecutionRequest, ExecutionResult, Health


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


class ExecutorClient(AsyncClosing):
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        attempts: int = 5,
        base_wait_s: float = 0.5,
        max_wait_s: float = 30.0,
        overhead_s: float = 150.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.attempts = attempts
        self.base_wait_s = base_wait_s
        self.max_wait_s = max_wait_s
        # Beyond the code's own limit, time to wait for a sandbox and to move PNGs.
        self.overhead_s = overhead_s
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        """Runs code; retries 503s and connection failures, then raises ExecutorUnavailable."""
        try:
            async for attempt in retrying(self.attempts, self.base_wait_s, self.max_wait_s):
                with attempt:
                    return await self._execute_once(request)
        except RetryableFailure as exc:
            raise ExecutorUnavailable(
                f"executor {self.base_url} failed {self.attempts} times: {exc}"
            ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def execute_once(self, request: ExecutionRequest) -> ExecutionResult:
        """One attempt, no retries: for callers with their own policy (the dispatcher)."""
        try:
            return await self._execute_once(request)
        except RetryableFailure as exc:
            raise ExecutorUnavailable(
                f"executor {self.base_url}: {exc}", exc.retry_after_s
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
            raise transport_failure(exc) from exc
        if response.status_code == 200:
            try:
                return ExecutionResult.model_validate_json(response.content)
            except ValidationError as exc:
                raise RetryableFailure(f"malformed reply: {exc.error_count()} errors") from exc
        failure = status_failure(response.status_code, response_detail(response), response.headers)
        if isinstance(failure, Rejection):
            raise ExecutorRejected(
                f"executor refused the request (HTTP {failure.status}): {failure.message}"
            )
        raise failure

    async def health(self, timeout_s: float = 5.0) -> Health:
        try:
            response = await self._http.get("/healthz", timeout=timeout_s)
            response.raise_for_status()
            return Health.model_validate_json(response.content)
        except (httpx.HTTPError, ValidationError) as exc:
            raise ExecutorUnavailable(f"executor {self.base_url} is not healthy: {exc}") from exc
