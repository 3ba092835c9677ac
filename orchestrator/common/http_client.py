"""Pieces shared by the HTTP clients of the executor and the judge."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

import httpx


def response_detail(response: httpx.Response) -> str:
    """The service's `detail` message of an error response, else the start of its body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])[:2000]
    return str(body)[:2000]


class AsyncClosing(ABC):
    """`async with client:` returns the client and closes it on the way out."""

    @abstractmethod
    async def aclose(self) -> None:
        """Releases the connections."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
