"""An ASGI middleware that refuses a request body over a byte limit before it is parsed.

Shared by the executor and the judge services.

A declared Content-Length over the limit is answered 413 without reading the body; a body
without one is counted while it streams in and refused as soon as it passes the limit.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` mid-body; the app's HTTPException handler answers it."""

    def __init__(self, max_bytes: int, setting: str, hint: str) -> None:
        super().__init__(413, f"request body is over {max_bytes} bytes ({setting}): {hint}")


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, setting: str, hint: str) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.setting = setting  # the variable that raises the limit, named in the error
        self.hint = hint  # what the client should do instead

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            error = BodyTooLarge(self.max_bytes, self.setting, self.hint)
            await JSONResponse({"detail": error.detail}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes, self.setting, self.hint)
            return message

        await self.app(scope, counted_receive, send)
