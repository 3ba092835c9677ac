"""Hostile requests and images to the real judge app (through ASGITransport, its judge model
a local stand-in): each gets its exact 4xx, never a 5xx, and none reaches the model; a
bounded fuzz of its OpenAPI document finds no 5xx."""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, PngImagePlugin
from schemathesis import GenerationMode

from judge.app import create_app
from judge.settings import JudgeSettings
from tests.security.fuzz import LoopThread, server_errors
from tests.support.llm_server import StandinLLM

pytestmark = pytest.mark.security

TOKEN = "judge-security-token"
SETTINGS = JudgeSettings.model_fields  # defaults: the limits a deployment gets
MAX_BODY_BYTES: int = SETTINGS["max_body_bytes"].default
MAX_IMAGES: int = SETTINGS["max_images"].default


def encoded(image: Image.Image, **save: Any) -> str:
    out = io.BytesIO()
    image.save(out, **save)
    return base64.b64encode(out.getvalue()).decode()


def png(size: tuple[int, int] = (64, 48), mode: str = "RGB", **save: Any) -> str:
    return encoded(Image.new(mode, size, 1), format="PNG", **save)


def text_bomb() -> str:
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "A" * (64 << 20), zip=True)  # 64 MiB of text in ~64 kB
    return png(pnginfo=info)


def noise_png(side: int) -> str:
    pixels = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    return encoded(pixels, format="PNG")


def judgement(images: list[str], **fields: object) -> bytes:
    return json.dumps({"mode": "task", "images": images, "task": "A bar chart.", **fields}).encode()


@dataclass(frozen=True)
class BadRequest:
    body: bytes
    expect: int
    authorization: bytes | None = f"Bearer {TOKEN}".encode()
    chunked: bool = False


OVERSIZED = judgement(["A" * (MAX_BODY_BYTES + 4)])
BAD_REQUESTS = {
    "no token": BadRequest(judgement([png()]), 401, authorization=None),
    "wrong token": BadRequest(judgement([png()]), 401, authorization=b"Bearer wrong"),
    "basic auth": BadRequest(judgement([png()]), 401, authorization=b"Basic dXNlcjpwYXNz"),
    "non-ascii token": BadRequest(judgement([png()]), 401, authorization=b"Bearer \xff\xfe"),
    "oversized body": BadRequest(OVERSIZED, 413),
    "oversized chunked body": BadRequest(OVERSIZED, 413, chunked=True),
    "bad base64": BadRequest(judgement(["not base64!"]), 422),
    "data URL": BadRequest(judgement(["data:image/png;base64," + png()]), 422),
    "empty image": BadRequest(judgement([""]), 422),
    "text, not an image": BadRequest(judgement([base64.b64encode(b"hello").decode()]), 422),
    "JPEG": BadRequest(judgement([encoded(Image.new("RGB", (8, 8)), format="JPEG")]), 422),
    "GIF": BadRequest(judgement([encoded(Image.new("P", (8, 8)), format="GIF")]), 422),
    "truncated PNG": BadRequest(judgement([png()[:40]]), 422),
    "decompression bomb": BadRequest(judgement([png((6000, 6000), "1")]), 422),
    "over the side limit": BadRequest(judgement([png((30_000, 1), "1")]), 422),
    "text-chunk bomb": BadRequest(judgement([text_bomb()]), 422),
    "ICC-profile bomb": BadRequest(judgement([png(icc_profile=bytes(64 << 20))]), 422),
    "PNG over the byte limit": BadRequest(judgement([noise_png(1800)]), 422),
    "too many images": BadRequest(judgement([png()] * (MAX_IMAGES + 1)), 422),
    "bad reference image": BadRequest(
        json.dumps({"mode": "visual", "images": [png()], "reference_images": ["x"]}).encode(),
        422,
    ),
    "lone surrogate": BadRequest(b'{"mode": "task", "images": ["\\ud800"], "task": "x"}', 422),
    "lone surrogate in a key": BadRequest(
        b'{"mode": "task", "images": ["x"], "task": "x", "\\ud800": 1}', 422
    ),
    "NaN": BadRequest(b'{"mode": "task", "images": [NaN], "task": "x"}', 422),
    "deeply nested JSON": BadRequest(b"[" * 100_000, 400),
    "not JSON": BadRequest(b"{nope", 422),
}


@pytest.fixture(scope="module")
def standin() -> Iterator[StandinLLM]:
    with StandinLLM(default_reply="[FINAL SCORE]: 50") as llm:
        yield llm


def judge_settings(llm: StandinLLM, cache: Path) -> JudgeSettings:
    return JudgeSettings.from_fields(
        {
            "token": TOKEN,
            "backend": "openai",
            "base_url": f"{llm.url}/v1",
            "api_key": llm.api_key,
            "cache_path": cache,
            "max_attempts": 1,
            "timeout_s": 10.0,
        }
    )


async def open_judge(stack: AsyncExitStack, settings: JudgeSettings) -> httpx.AsyncClient:
    app = create_app(settings)
    await stack.enter_async_context(app.router.lifespan_context(app))
    transport = httpx.ASGITransport(app=app)
    return await stack.enter_async_context(
        httpx.AsyncClient(transport=transport, base_url="http://judge", timeout=60)
    )


async def byte_chunks(body: bytes, size: int = 1 << 20) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.fixture(scope="module")
def answers(
    standin: StandinLLM, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, httpx.Response]:
    settings = judge_settings(standin, tmp_path_factory.mktemp("judge") / "cache.sqlite3")

    async def send_all() -> dict[str, httpx.Response]:
        async with AsyncExitStack() as stack:
            client = await open_judge(stack, settings)
            answered = {}
            for name, bad in BAD_REQUESTS.items():
                headers = {b"Content-Type": b"application/json"}
                if bad.authorization is not None:
                    headers[b"Authorization"] = bad.authorization
                content = byte_chunks(bad.body) if bad.chunked else bad.body
                answered[name] = await client.post(
                    "/v1/judgements", content=content, headers=headers
                )
            return answered

    with LoopThread() as loop:
        return loop.run(send_all())


@pytest.mark.parametrize("name", list(BAD_REQUESTS))
def test_bad_request_gets_its_4xx(answers: dict[str, httpx.Response], name: str) -> None:
    response = answers[name]
    assert response.status_code == BAD_REQUESTS[name].expect, response.text[:500]
    assert response.json()["detail"], "the answer must say what is wrong"


def test_no_bad_request_reached_the_judge_model(
    answers: dict[str, httpx.Response], standin: StandinLLM
) -> None:
    assert standin.requests == []


@pytest.mark.parametrize(
    ("mode", "max_examples"), [(GenerationMode.NEGATIVE, 100), (GenerationMode.POSITIVE, 40)]
)
def test_fuzzing_the_openapi_document_finds_no_5xx(
    tmp_path: Path, mode: GenerationMode, max_examples: int
) -> None:
    with (
        StandinLLM(default_reply="[FINAL SCORE]: 50") as llm,
        LoopThread() as loop,
    ):
        stack = AsyncExitStack()
        client = loop.run(open_judge(stack, judge_settings(llm, tmp_path / "cache.sqlite3")))
        try:
            failures = server_errors(
                loop.run(openapi(client)),
                lambda request: loop.run(client.send(request)),
                base_url="http://judge",
                headers={"Authorization": f"Bearer {TOKEN}"},
                mode=mode,
                max_examples=max_examples,
            )
        finally:
            loop.run(stack.aclose())
    assert not failures, failures


async def openapi(client: httpx.AsyncClient) -> dict[str, object]:
    document: dict[str, object] = (await client.get("/openapi.json")).json()
    return document
