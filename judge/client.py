"""Async client of the judge service, for the benchmark pipeline and other callers.

    async with JudgeClient("http://judge:8001", token) as client:
        response = await client.judge(JudgementRequest.for_visual(png, reference_png))

Connection failures, timeouts and 503s are retried (honouring Retry-After). What is left
raises JudgeUnavailable, an infrastructure failure the caller must not score, or
JudgeRejected, a 4xx: the request itself (or the token) is wrong. The statuses follow the
judge's own protocol, not the generic retryable set: its 502 means the model endpoint
refused the configuration, which no retry fixes.
"""

from __future__ import annotations

import httpx

from judge.api import JudgeHealth, JudgementRequest, JudgementResponse
from orchestrator.common.failures import transport_failure
from orchestrator.common.http_client import AsyncClosing, response_detail
from orchestrator.common.retrying import RetryableFailure, retry_after_seconds, retrying


class JudgeClientError(Exception):
    """Base of the judge client's errors."""


class JudgeUnavailable(JudgeClientError):
    """The judge service (or the model behind it) could not answer: infrastructure."""


class JudgeRejected(JudgeClientError):
    """The judge service refused the request (4xx); retrying the same request cannot help."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"judge refused the request (HTTP {status}): {detail}")
        self.status = status
        self.detail = detail


class JudgeClient(AsyncClosing):
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = 600.0,
        max_attempts: int = 5,
        base_wait_s: float = 1.0,
        max_wait_s: float = 60.0,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
            timeout=timeout_s,
        )
        self.max_attempts = max_attempts
        self.base_wait_s = base_wait_s
        self.max_wait_s = max_wait_s

    async def judge(self, request: JudgementRequest) -> JudgementResponse:
        response = await self._call("POST", "/v1/judgements", request.model_dump(mode="json"))
        return JudgementResponse.model_validate_json(response.content)

    async def health(self) -> JudgeHealth:
        response = await self._call("GET", "/healthz", None)
        return JudgeHealth.model_validate_json(response.content)

    async def _call(self, method: str, path: str, body: object) -> httpx.Response:
        attempts = retrying(self.max_attempts, self.base_wait_s, self.max_wait_s)
        try:
            async for attempt in attempts:
                with attempt:
                    response = await self._once(method, path, body)
        except RetryableFailure as exc:
            raise JudgeUnavailable(
                f"judge service at {self._http.base_url} unavailable after "
                f"{self.max_attempts} attempts: {exc}"
            ) from exc
        return response

    async def _once(self, method: str, path: str, body: object) -> httpx.Response:
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise transport_failure(exc) from exc
        if response.status_code == 503:
            raise RetryableFailure(
                f"HTTP 503: {response_detail(response)}", retry_after_seconds(response.headers)
            )
        if 400 <= response.status_code < 500:
            raise JudgeRejected(response.status_code, response_detail(response))
        if response.status_code != 200:
            raise JudgeUnavailable(
                f"judge service answered HTTP {response.status_code}: {response_detail(response)}"
            )
        return response

    async def aclose(self) -> None:
        await self._http.aclose()
