"""Bounded fuzzing of a service from its own OpenAPI document (schemathesis strategies,
driven by Hypothesis): no generated request may get a 5xx."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Err

T = TypeVar("T")
Send = Callable[[httpx.Request], httpx.Response]


def cases(openapi: dict[str, Any], mode: GenerationMode) -> st.SearchStrategy[Any]:
    schema = schemathesis.openapi.from_dict(openapi)
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operations.append(result.ok())
    return st.one_of([operation.as_strategy(generation_mode=mode) for operation in operations])


def as_request(kwargs: dict[str, Any]) -> httpx.Request | None:
    """The generated request for httpx, or None when httpx cannot even send it."""
    try:
        return httpx.Request(
            kwargs["method"],
            kwargs["url"],
            headers=kwargs.get("headers"),
            params=kwargs.get("params"),
            json=kwargs.get("json"),
            content=kwargs.get("data"),
        )
    except (UnicodeEncodeError, TypeError, ValueError):
        return None  # e.g. a non-ASCII header value: rejected by the client, not the service


def server_errors(
    openapi: dict[str, Any],
    send: Send,
    *,
    base_url: str,
    headers: dict[str, str],
    mode: GenerationMode,
    max_examples: int,
) -> list[str]:
    """Sends max_examples generated requests; returns a line for each answered with a 5xx."""
    failures: list[str] = []
    strategy = cases(openapi, mode)

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests on every run
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(strategy)
        request = as_request(case.as_transport_kwargs(base_url=base_url, headers=headers))
        if request is None:
            return
        response = send(request)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} for {case.as_curl_command()[:500]}")

    run()
    return failures


class LoopThread:
    """An event loop in a thread, so synchronous code (Hypothesis) can drive an ASGI app."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> LoopThread:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()
