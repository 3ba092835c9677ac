"""A scripted executor service as an httpx.MockTransport, for driving the dispatcher in-process.

It answers GET /healthz with its capacity (max_concurrency less its own in-flight executions
and `busy_elsewhere`, the slots other clients take) and POST /v1/executions with `answer`:
"ok" (a result naming this executor), "hang" (until `release()`, then ok) or an HTTP status.
A wrong bearer token is answered 401; with `reachable` false every request fails to connect.
"""

from __future__ import annotations

import asyncio
from typing import Literal

import httpx

from orchestrator.executor.api import ExecutionResult, ExecutionStatus, Health

Answer = Literal["ok", "hang"] | int


class FakeExecutor:
    def __init__(
        self,
        url: str,
        *,
        token: str,
        max_concurrency: int = 1,
        busy_elsewhere: int = 0,
        answer: Answer = "ok",
        retry_after: str | None = None,
    ) -> None:
        self.url = url
        self.token = token
        self.max_concurrency = max_concurrency
        self.busy_elsewhere = busy_elsewhere
        self.answer: Answer = answer
        self.retry_after = retry_after  # the Retry-After header of an HTTP status answer
        self.reachable = True
        self.executions = 0  # execution requests received, refused ones included
        self.in_flight = 0
        self._released = asyncio.Event()
        self.transport = httpx.MockTransport(self._handle)

    def release(self) -> None:
        """Lets every hanging execution, and every later one, answer ok."""
        self._released.set()

    def health(self) -> Health:
        return Health(
            status="ok",
            runtime="fake",
            image="fake/sandbox:test",
            pool_size=self.max_concurrency,
            warm=self.max_concurrency,
            busy=self.in_flight,
            starting=0,
            max_concurrency=self.max_concurrency,
            queued=0,
            max_queue=0,
            capacity=max(0, self.max_concurrency - self.in_flight - self.busy_elsewhere),
            executions=self.executions,
            failures=0,
        )

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        if not self.reachable:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/healthz":
            return httpx.Response(200, content=self.health().model_dump_json())
        if request.url.path == "/v1/executions":
            return await self._execute(request)
        return httpx.Response(404, json={"detail": "not found"})

    async def _execute(self, request: httpx.Request) -> httpx.Response:
        self.executions += 1
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"detail": "missing or wrong bearer token"})
        if isinstance(self.answer, int):
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return httpx.Response(self.answer, json={"detail": "scripted"}, headers=headers)
        self.in_flight += 1
        try:
            if self.answer == "hang":
                await self._released.wait()
        finally:
            self.in_flight -= 1
        result = ExecutionResult(status=ExecutionStatus.OK, stdout=self.url, sandbox="fake-1")
        return httpx.Response(200, content=result.model_dump_json())
