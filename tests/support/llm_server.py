"""A local stand-in for hosted LLM APIs, for tests only.

It speaks two wire formats over real HTTP:

- OpenAI chat completions: ``POST /v1/chat/completions`` (non-streaming), auth by
  ``Authorization: Bearer <api_key>``; point the ``openai`` SDK at ``f"{llm.url}/v1"``.
- Anthropic messages: ``POST /v1/messages``, auth by ``x-api-key: <api_key>`` (or the
  ``Authorization: Bearer`` header newer SDKs send) plus an ``anthropic-version`` header;
  point the ``anthropic`` SDK at ``llm.url``.

Replies follow a script, one entry per request, in order: a plain string (or ``Reply``) is
answered as the assistant's text; an ``HttpError`` is answered with that status and the
provider's error body (``retry_after`` sets the ``Retry-After`` header). When the script is
empty, ``responder(request)`` answers if one is set (a reply that depends on what was
asked, e.g. on the conversation so far), else ``default_reply``. ``Reply(text,
delay_s=...)`` answers late (to provoke client timeouts or overlap concurrent calls).

Every request that passed the auth check is recorded in ``.requests`` (``RecordedRequest``:
wire format, headers, JSON body, and the decoded ``.texts`` and ``.images`` of the user
messages), so tests can assert what was sent. Requests refused for a bad key are counted in
``.refused``; ``.peak_in_flight`` is the most replies that were pending at once.

    with StandinLLM(script=["42", HttpError(429, retry_after="0")]) as llm:
        client = openai.OpenAI(base_url=f"{llm.url}/v1", api_key=llm.api_key)
        ...
        assert llm.requests[0].texts == ["..."]

Without ``with``, ``llm.app`` can be driven in-process through ``httpx.ASGITransport``.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.support.threaded_server import ThreadedServer

Wire = Literal["openai", "anthropic"]

_ERROR_TYPES: dict[Wire, dict[int, str]] = {
    "openai": {
        400: "invalid_request_error",
        401: "invalid_request_error",
        403: "permission_denied",
        404: "invalid_request_error",
        429: "rate_limit_exceeded",
    },
    "anthropic": {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        429: "rate_limit_error",
        529: "overloaded_error",
    },
}


@dataclass(frozen=True)
class Reply:
    """The assistant's text, optionally sent after a delay (to provoke client timeouts)."""

    text: str
    delay_s: float = 0.0


@dataclass(frozen=True)
class HttpError:
    """An HTTP error answer; ``retry_after`` becomes the ``Retry-After`` header verbatim."""

    status: int
    message: str = "scripted error"
    retry_after: str | None = None


ScriptEntry = str | Reply | HttpError


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received: which wire format, its headers and its JSON body."""

    wire: Wire
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def system(self) -> str | None:
        """The system prompt, wherever the wire format carries it."""
        if self.wire == "anthropic":
            system = self.body.get("system")
            return None if system is None else str(system)
        for message in self.body.get("messages", []):
            if message.get("role") == "system":
                return str(message["content"])
        return None

    def _parts(self) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        for message in self.body.get("messages", []):
            if message.get("role") != "user":
                continue
            content = message.get("content")
            if isinstance(content, str):
                parts.append({"type": "text", "text": content})
            else:
                parts.extend(content)
        return parts

    @property
    def turns(self) -> list[tuple[str, str]]:
        """(role, text) of every user and assistant message, in order."""
        return [
            (str(message["role"]), _text(message.get("content")))
            for message in self.body.get("messages", [])
            if message.get("role") in ("user", "assistant")
        ]

    @property
    def texts(self) -> list[str]:
        """The text parts of the user messages, in order."""
        return [part["text"] for part in self._parts() if part.get("type") == "text"]

    @property
    def images(self) -> list[bytes]:
        """The decoded image parts of the user messages, in order."""
        images: list[bytes] = []
        for part in self._parts():
            if part.get("type") == "image_url":  # OpenAI: a data URL
                _, _, data = part["image_url"]["url"].partition(";base64,")
                images.append(base64.b64decode(data))
            elif part.get("type") == "image":  # Anthropic: a base64 source
                images.append(base64.b64decode(part["source"]["data"]))
        return images

    @property
    def image_media_types(self) -> list[str]:
        types: list[str] = []
        for part in self._parts():
            if part.get("type") == "image_url":
                types.append(part["image_url"]["url"].split(";", 1)[0].removeprefix("data:"))
            elif part.get("type") == "image":
                types.append(part["source"]["media_type"])
        return types


def _text(content: object) -> str:
    """A message's text: the string, or its text parts joined."""
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else []
    return "".join(str(part.get("text", "")) for part in parts if isinstance(part, dict))


@dataclass
class StandinLLM:
    """A scripted OpenAI/Anthropic-compatible HTTP server; see the module docstring."""

    script: Iterable[ScriptEntry] = ()
    default_reply: ScriptEntry = "0"
    responder: Callable[[RecordedRequest], ScriptEntry] | None = None
    api_key: str = "standin-key"
    host: str = "127.0.0.1"  # "0.0.0.0" lets containers reach it through the bridge gateway
    requests: list[RecordedRequest] = field(default_factory=list, init=False)
    refused: int = field(default=0, init=False)
    peak_in_flight: int = field(default=0, init=False)  # most requests answered at once

    def __post_init__(self) -> None:
        self._queue: deque[ScriptEntry] = deque(self.script)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._in_flight = 0
        self._port: int | None = None
        self.app = self._build_app()
        self._server = ThreadedServer(self.app, self.host)

    def push(self, *entries: ScriptEntry) -> None:
        """Appends replies to the script."""
        with self._lock:
            self._queue.extend(entries)

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the stand-in is not serving: use it as a context manager")
        return self._port

    @property
    def url(self) -> str:
        """The base URL on loopback (``http://127.0.0.1:<port>``) while serving."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> StandinLLM:
        self._port = self._server.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.stop()
        self._port = None

    def _next_entry(self, request: RecordedRequest) -> ScriptEntry:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        return self.default_reply if self.responder is None else self.responder(request)

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="LLM stand-in (tests only)")

        @app.post("/v1/chat/completions")
        async def chat_completions(request: Request) -> JSONResponse:
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return self._refuse("openai")
            return await self._answer("openai", request)

        @app.post("/v1/messages")
        async def messages(request: Request) -> JSONResponse:
            bearer = request.headers.get("authorization") == f"Bearer {self.api_key}"
            if request.headers.get("x-api-key") != self.api_key and not bearer:
                return self._refuse("anthropic")
            if "anthropic-version" not in request.headers:
                return self._error("anthropic", HttpError(400, "anthropic-version header missing"))
            return await self._answer("anthropic", request)

        return app

    def _refuse(self, wire: Wire) -> JSONResponse:
        with self._lock:
            self.refused += 1
        return self._error(wire, HttpError(401, "invalid API key"))

    async def _answer(self, wire: Wire, request: Request) -> JSONResponse:
        body = await request.json()
        if body.get("stream"):
            return self._error(wire, HttpError(400, "the stand-in does not stream: stream=false"))
        recorded = RecordedRequest(wire, dict(request.headers), body)
        self.requests.append(recorded)
        entry = self._next_entry(recorded)
        if isinstance(entry, HttpError):
            return self._error(wire, entry)
        reply = Reply(entry) if isinstance(entry, str) else entry
        with self._lock:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            await asyncio.sleep(reply.delay_s)
        finally:
            with self._lock:
                self._in_flight -= 1
        return self._reply(wire, str(body.get("model", "")), reply.text)

    def _reply(self, wire: Wire, model: str, text: str) -> JSONResponse:
        number = next(self._ids)
        if wire == "openai":
            return JSONResponse(
                {
                    "id": f"chatcmpl-standin-{number}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            )
        return JSONResponse(
            {
                "id": f"msg_standin_{number}",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 1, "output_tokens": 1},
            }
        )

    @staticmethod
    def _error(wire: Wire, error: HttpError) -> JSONResponse:
        kind = _ERROR_TYPES[wire].get(error.status, "api_error")
        headers = {} if error.retry_after is None else {"retry-after": error.retry_after}
        if wire == "openai":
            body: dict[str, Any] = {
                "error": {"message": error.message, "type": kind, "param": None, "code": None}
            }
        else:
            body = {"type": "error", "error": {"type": kind, "message": error.message}}
        return JSONResponse(body, status_code=error.status, headers=headers)
