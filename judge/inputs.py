"""Decodes and checks a request's images before anything is sent to a judge model."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from judge.api import JudgementRequest
from judge.errors import BadJudgementInput
from orchestrator.common.pngcheck import InvalidPng, PngLimits, validate_png


@dataclass(frozen=True)
class ImageLimits:
    max_images: int  # images and reference_images together
    png: PngLimits


@dataclass(frozen=True)
class DecodedImages:
    images: list[bytes]
    reference_images: list[bytes]


def decode_images(request: JudgementRequest, limits: ImageLimits) -> DecodedImages:
    """Every image as PNG bytes; raises BadJudgementInput naming the first bad one.

    Each PNG is checked whole (signature, byte size, declared pixel count before any
    decoding, then a full decode), including images the chosen mode does not send.
    """
    count = len(request.images) + len(request.reference_images)
    if count > limits.max_images:
        raise BadJudgementInput(
            f"{count} images were sent (images and reference_images together); the judge "
            f"takes at most {limits.max_images} (JUDGE_MAX_IMAGES)"
        )
    return DecodedImages(
        images=[_decode(f"images[{i}]", data, limits) for i, data in enumerate(request.images)],
        reference_images=[
            _decode(f"reference_images[{i}]", data, limits)
            for i, data in enumerate(request.reference_images)
        ],
    )


def _decode(where: str, encoded: str, limits: ImageLimits) -> bytes:
    if encoded.startswith("data:"):
        raise BadJudgementInput(
            f"{where}: send the bare base64 of the PNG, without a data: URL prefix"
        )
    # base64 inflates by 4/3: refuse an oversized image before decoding it.
    if len(encoded) // 4 * 3 > limits.png.max_bytes + 2:
        raise BadJudgementInput(
            f"{where}: the PNG is over the limit of {limits.png.max_bytes} bytes "
            "(JUDGE_MAX_IMAGE_BYTES)"
        )
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadJudgementInput(f"{where} is not valid base64 ({exc})") from None
    try:
        validate_png(data, limits.png)
    except InvalidPng as exc:
        raise BadJudgementInput(f"{where}: {exc}") from None
    return data
