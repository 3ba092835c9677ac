"""The one boundary between the executor and the Docker engine.

Every blocking SDK call goes through `engine_call`, off the event loop. Whatever the engine
does wrong there (an API error, a lost connection) is the infrastructure's: it becomes
SandboxUnavailable, which the service answers with 503 and Retry-After, never with 500.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import docker.errors
import requests

from orchestrator.executor.sandbox import SandboxUnavailable

P = ParamSpec("P")
T = TypeVar("T")

# The SDK raises its own errors for answers and requests' for a lost connection.
ENGINE_ERRORS = (docker.errors.DockerException, requests.exceptions.RequestException)


async def engine_call(call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return await asyncio.to_thread(call, *args, **kwargs)
    except ENGINE_ERRORS as exc:
        raise SandboxUnavailable(f"the Docker engine failed in {call.__name__}: {exc!r}") from exc
