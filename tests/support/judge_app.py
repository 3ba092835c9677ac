"""The real judge app in-process, and the requests the judge tests send it."""

from __future__ import annotations

import base64
import io
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from PIL import Image, ImageDraw

from judge.app import create_app
from judge.settings import JudgeSettings

TOKEN = "judge-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

SettingsFactory = Callable[..., JudgeSettings]


def png(width: int = 64, height: int = 48, *, seed: int = 0, mode: str = "RGB") -> bytes:
    """A real PNG with a seeded drawing, so different seeds give different bytes."""
    rng = random.Random(seed)
    image = Image.new(mode, (width, height), "white" if mode == "RGB" else 1)
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x0, y0 = rng.randrange(width // 2), rng.randrange(height // 2)
        x1, y1 = x0 + rng.randrange(1, width // 2), y0 + rng.randrange(1, height // 2)
        fill = (rng.randrange(256), 0, 0) if mode == "RGB" else 0
        draw.rectangle((x0, y0, x1, y1), fill=fill)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def visual_body(seed: int = 1) -> dict[str, Any]:
    return {"mode": "visual", "images": [b64(png(seed=seed))], "reference_images": [b64(png())]}


def task_body(
    task: str = "Draw a bar chart of sales per year.\nUse a title.", seed: int = 1
) -> dict[str, Any]:
    return {
        "mode": "task",
        "images": [b64(png(seed=seed)), b64(png(seed=seed + 100))],
        "task": task,
    }


@asynccontextmanager
async def serving(settings: JudgeSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The real judge app, lifespan included, reached through ASGITransport."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://judge") as client:
            yield client
