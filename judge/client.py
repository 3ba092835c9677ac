"""Async client of the judge service, for the benchmark pipeline and other callers.

    async with JudgeClient("http://judge:8001", token) as client:
        response = await client.judge(JudgementRequest.for_visual(png, reference_png))

Connection failures, timeouts, 503s and malformed replies (an HTML page from a proxy, a
truncated body) are retried (honouring Retry-After). What is left raises one of:
- JudgeUnavailable: an infrastructure failure the caller must not score;
- JudgeMisconfigured: the judge refuses its token (401/403), is not at JUDGE_URL (404), or
  its model endpoint refuses the judge's configuration (502): every request would fail the
  same way;
- JudgeRejected: another 4xx, this request cannot be judged as sent.
The statuses follow the judge's own protocol, not the generic retryable set.
"""

from __future__ import annotations

from typing import TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from judge.api import JudgeHealth, JudgementRequest, JudgementResponse
from orchestrator.common.failures import transport_failure
from orchestrator.common.http_client import AsyncClosing, response_detail
from orchestrator.common.retrying import RetryableFailure, retry_after_seconds, retrying

Reply = TypeVar("Reply", bound=BaseModel)
# The judge's own statuses for a setup no retry fixes (see judge/app.py).
MISCONFIGURED = {
    401: "it refuses the token: check JUDGE_TOKEN",
    402: "it wants payment",
    403: "it refuses the token: check JUDGE_TOKEN",
    404: "nothing answers there: check JUDGE_URL",
    502: "its model endpoint refuses the judge's configuration: check the judge's settings",
}


class JudgeClientError(Exception):
    """Base of the judge client's errors."""


class JudgeUnavailable(JudgeClientError):
    """The judge service (or the model behind it) could not answer: infrastructure."""


class JudgeMisconfigured(JudgeClientError):
    """The judge or the model behind it refuses its configuration: stop and fix it."""


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
        self.base_url = base_url
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
        body = request.model_dump(mode="json")
        return await self._call("POST", "/v1/judgements", body, JudgementResponse)

    async def health(self) -> JudgeHealth:
        return await self._call("GET", "/healthz", None, JudgeHealth)

    async def _call(self, method: str, path: str, body: object, reply: type[Reply]) -> Reply:
        attempts = retrying(self.max_attempts, self.base_wait_s, self.max_wait_s)
        try:
            async for attempt in attempts:
                with attempt:
                    answer = await self._once(method, path, body, reply)
        except RetryableFailure as exc:
            raise JudgeUnavailable(
                f"judge service at {self._http.base_url} unavailable after "
                f"{self.max_attempts} attempts: {exc}"
            ) from exc
        return answer

    async def _once(self, method: str, path: str, body: object, reply: type[Reply]) -> Reply:
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise transport_failure(exc) from exc
        if response.status_code == 503:
            raise RetryableFailure(
                f"HTTP 503: {response_detail(response)}", retry_after_seconds(response.headers)
            )
        if response.status_code in MISCONFIGURED:
            raise JudgeMisconfigured(
                f"the judge at {self._http.base_url} answered HTTP {response.status_code}: "
                f"{MISCONFIGURED[response.status_code]} ({response_detail(response)})"
            )
        if 400 <= response.status_code < 500:
            raise JudgeRejected(response.status_code, response_detail(response))
        if response.status_code != 200:
            raise JudgeUnavailable(
                f"judge service answered HTTP {response.status_code}: {response_detail(response)}"
            )
        try:
            return reply.model_validate_json(response.content)
        except ValidationError as exc:
            raise RetryableFailure(f"malformed reply: {exc.error_count()} errors") from exc

    async def aclose(self) -> None:
        await self._http.aclose()
