"""Every bad request gets a clear 4xx and never reaches the judge model; the token guards
the judgements endpoint."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.support.judge_app import AUTH, SettingsFactory, b64, png, serving, task_body, visual_body
from tests.support.llm_server import StandinLLM

pytestmark = pytest.mark.anyio


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(out, format="JPEG")
    return out.getvalue()


def noisy_png(side: int) -> bytes:
    """Incompressible pixels, so the PNG's byte size grows with its area."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), bytes(range(256)) * (side * side * 3 // 256 + 1)).save(
        out, format="PNG", compress_level=0
    )
    return out.getvalue()


def bomb_png() -> bytes:
    """A 5000x5000 1-bit PNG: a few kB on the wire, 25 Mpx once decoded."""
    out = io.BytesIO()
    Image.new("1", (5000, 5000), 1).save(out, format="PNG")
    return out.getvalue()


def with_image(body: dict[str, Any], data: str) -> dict[str, Any]:
    return {**body, "images": [data]}


BAD_REQUESTS: dict[str, tuple[dict[str, Any], str]] = {
    "wrong mode": (
        {**visual_body(), "mode": "vis"},
        "body.mode: Input should be 'visual' or 'task'",
    ),
    "visual without reference": (
        {**visual_body(), "reference_images": []},
        "mode 'visual' compares against a ground-truth plot",
    ),
    "task without task": ({**task_body(), "task": None}, "mode 'task' scores against the task"),
    "task with blank task": ({**task_body(), "task": "  \n"}, "mode 'task' scores against"),
    "no images": ({**visual_body(), "images": []}, "body.images: List should have at least 1"),
    "unknown field": ({**visual_body(), "model": "gpt"}, "body.model: Extra inputs"),
    "not base64": (with_image(visual_body(), "not base64!"), "images[0] is not valid base64"),
    "data URL": (
        with_image(visual_body(), "data:image/png;base64," + b64(png())),
        "without a data: URL prefix",
    ),
    "JPEG": (with_image(visual_body(), b64(jpeg())), "images[0]: not a PNG"),
    "truncated PNG": (with_image(visual_body(), b64(png()[:60])), "images[0]: PNG does not decode"),
    "too many bytes": (
        with_image(visual_body(), b64(noisy_png(80))),
        "over the limit of 16000 bytes",
    ),
    "decompression bomb": (
        with_image(visual_body(), b64(bomb_png())),
        "over the limit of 1000000 px",
    ),
    "bad reference": (
        {**visual_body(), "reference_images": [b64(jpeg())]},
        "reference_images[0]: not a PNG",
    ),
    "too many images": (
        {**task_body(), "images": [b64(png(seed=s)) for s in range(4)]},
        "4 images were sent (images and reference_images together); the judge takes at most 3",
    ),
}


@pytest.fixture
async def strict_judge(make_settings: SettingsFactory) -> Any:
    settings = make_settings(max_image_bytes=16_000, max_image_pixels=1_000_000, max_images=3)
    async with serving(settings) as client:
        yield client


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
async def test_bad_request_is_a_clear_422(
    strict_judge: httpx.AsyncClient, llm: StandinLLM, case: str
) -> None:
    body, message = BAD_REQUESTS[case]
    response = await strict_judge.post("/v1/judgements", json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert llm.requests == []


async def test_unreadable_body_is_a_clear_4xx(strict_judge: httpx.AsyncClient) -> None:
    response = await strict_judge.post(
        "/v1/judgements",
        content=b'{"mode": "visual",',
        headers={**AUTH, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert "JSON decode error" in response.json()["detail"]
    not_utf8 = await strict_judge.post(
        "/v1/judgements", content=b"\xff\xfe{", headers={**AUTH, "content-type": "application/json"}
    )
    assert not_utf8.status_code == 400
    assert "send a UTF-8 JSON JudgementRequest" in not_utf8.json()["detail"]


async def test_oversized_body_is_413_before_parsing(
    make_settings: SettingsFactory, llm: StandinLLM
) -> None:
    async with serving(make_settings(max_body_bytes=20_000)) as judge:
        declared = await judge.post(
            "/v1/judgements",
            content=b"x" * 30_000,
            headers={**AUTH, "content-type": "application/json"},
        )

        async def chunks() -> Any:  # no Content-Length: the limit is counted while reading
            for _ in range(30):
                yield b"x" * 1000

        streamed = await judge.post(
            "/v1/judgements",
            content=chunks(),
            headers={**AUTH, "content-type": "application/json"},
        )
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert "over 20000 bytes (JUDGE_MAX_BODY_BYTES)" in response.json()["detail"]
    assert llm.requests == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic anVkZ2U6dGVzdA=="}],
    ids=["missing", "wrong", "not bearer"],
)
async def test_judgements_need_the_token(
    strict_judge: httpx.AsyncClient, llm: StandinLLM, headers: dict[str, str]
) -> None:
    response = await strict_judge.post("/v1/judgements", json=visual_body(), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer <JUDGE_TOKEN>" in response.json()["detail"]
    assert llm.requests == []


async def test_healthz_needs_no_token_and_reports_the_backend(
    strict_judge: httpx.AsyncClient, llm: StandinLLM
) -> None:
    response = await strict_judge.get("/healthz")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert health["backend"] == "openai"
    assert health["judge"] == "openai:gpt-4o-2024-05-13"
    assert health["base_url"] == f"{llm.url}/v1"
    assert health["instructions"] == "default"
    assert health["cache_entries"] == 0
