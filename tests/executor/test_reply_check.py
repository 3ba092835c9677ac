"""The host's check of a sandbox's reply, fed hostile replies directly (no Docker).

Model code can take over the in-sandbox server and answer anything; whatever it says, the
result may only describe its own item and never lift a limit (SECURITY.md).
"""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from orchestrator.common.pngcheck import PngLimits
from orchestrator.executor.api import ExecutionResult, ExecutionStatus
from orchestrator.executor.reply_check import ReplyLimits, check_reply

S = ExecutionStatus
LIMITS = ReplyLimits(
    max_reply_bytes=64 * 1024,
    max_stream_bytes=1024,
    max_images=3,
    max_error_bytes=100,
    png=PngLimits(),
)


def png(size: tuple[int, int], mode: str = "RGB") -> str:
    out = io.BytesIO()
    Image.new(mode, size, 1).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def ok(**fields: object) -> bytes:
    return json.dumps({"status": "ok", "images": [], "stdout": "", "stderr": "", **fields}).encode()


def check(body: bytes, http_status: int = 200) -> ExecutionResult:
    return check_reply(http_status, body, LIMITS)


# case -> (HTTP status, body, the status the host reports, text in the error's evalue)
HOSTILE: dict[str, tuple[int, bytes, ExecutionStatus, str]] = {
    "not-json": (200, b"{this is not json", S.CRASHED, "reply is malformed"),
    "wrong-schema": (
        200,
        json.dumps({"status": "pwned", "images": "all of them"}).encode(),
        S.CRASHED,
        "reply is malformed: 2 schema errors",
    ),
    "http-500": (500, b'{"detail": "boom"}', S.CRASHED, "answered HTTP 500"),
    "over-reply-cap": (200, ok(stdout="x" * (64 * 1024)), S.ERROR, "reply is over 65536 bytes"),
    # over the cap, an error status is not believed either: the size is refused first
    "over-reply-cap-as-500": (500, b"x" * (64 * 1024 + 1), S.ERROR, "reply is over"),
    "stdout-over-cap": (200, ok(stdout="x" * 1025), S.ERROR, "together over 1024 bytes"),
    "stdout-and-stderr-over-cap": (
        200,
        ok(stdout="x" * 600, stderr="y" * 600),
        S.ERROR,
        "together over 1024 bytes",
    ),
    "stream-counted-in-bytes": (200, ok(stdout="é" * 513), S.ERROR, "together over 1024 bytes"),
    "too-many-images": (200, ok(images=[png((8, 8))] * 4), S.ERROR, "more than 3 images"),
    "not-a-png": (
        200,
        ok(images=[png((8, 8)), base64.b64encode(b"not a png").decode()]),
        S.ERROR,
        "image 2 rejected: not a PNG",
    ),
    "pixel-bomb": (
        200,
        ok(images=[png((6000, 6000), "1")]),
        S.ERROR,
        "image 1 rejected: PNG is 6000x6000 = 36000000 px, over the limit of 25000000 px",
    ),
    "bad-base64": (200, ok(images=["iVBORw0KGgo*"]), S.ERROR, "image 1 rejected"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_reply_is_refused(case: str) -> None:
    http_status, body, status, evalue = HOSTILE[case]
    result = check(body, http_status)
    assert result.status == status, result.error
    assert result.error is not None and evalue in result.error.evalue, result.error
    assert result.images == [] and result.stdout == "" and result.stderr == ""


def test_a_well_formed_forgery_passes_as_its_own_result() -> None:
    image = png((64, 48))
    result = check(ok(images=[image], stdout="forged"))
    assert result.status == S.OK and result.error is None
    assert result.images == [image] and result.stdout == "forged"


def test_a_reply_at_every_limit_passes() -> None:
    images = [png((8, 8))] * 3
    result = check(ok(images=images, stdout="x" * 512, stderr="y" * 512))
    assert result.status == S.OK
    assert len(result.images) == 3


def test_the_code_s_own_error_passes_through() -> None:
    error = {"ename": "ZeroDivisionError", "evalue": "division by zero", "traceback": "..."}
    result = check(ok(status="error", error=error))
    assert result.status == S.ERROR
    assert result.error is not None and result.error.ename == "ZeroDivisionError"


def test_an_error_text_over_the_limit_is_cut_and_says_so() -> None:
    error = {"ename": "ValueError", "evalue": "é" * 60, "traceback": "t" * 30_000}
    result = check(ok(status="error", error=error))
    assert result.status == S.ERROR and result.error is not None
    assert result.error.truncated
    assert result.error.ename == "ValueError"
    assert result.error.evalue == "é" * 50  # cut to 100 bytes, on a character boundary
    assert result.error.traceback == "t" * 100


def test_an_error_text_at_the_limit_is_not_cut() -> None:
    error = {"ename": "ValueError", "evalue": "v" * 100, "traceback": "t" * 100}
    result = check(ok(status="error", error=error))
    assert result.error is not None and not result.error.truncated
    assert result.error.evalue == "v" * 100 and result.error.traceback == "t" * 100
