"""PNG validation shared by the sandbox, the executor service and the judge.

Standalone on purpose (stdlib and Pillow only): the sandbox image copies this one file.
The header is read before any pixel is decoded, so a decompression bomb is refused from
its declared size without ever allocating it.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class InvalidPng(ValueError):
    """The bytes are not a PNG that may be used (bad signature, corrupt, or over a limit)."""


@dataclass(frozen=True)
class PngLimits:
    max_bytes: int = 8 * 1024 * 1024
    max_pixels: int = 25_000_000
    max_side: int = 20_000


@dataclass(frozen=True)
class PngInfo:
    width: int
    height: int
    nbytes: int


def validate_png(data: bytes, limits: PngLimits = PngLimits()) -> PngInfo:
    """Checks signature, size limits and that the image fully decodes; raises InvalidPng."""
    if len(data) > limits.max_bytes:
        raise InvalidPng(f"PNG is {len(data)} bytes, over the limit of {limits.max_bytes}")
    if not data.startswith(PNG_SIGNATURE):
        raise InvalidPng("not a PNG: the 8-byte PNG signature is missing")
    # IHDR is always the first chunk: length(4) type(4) width(4) height(4).
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise InvalidPng("not a PNG: the IHDR chunk is missing")
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0:
        raise InvalidPng("PNG has zero width or height")
    if width > limits.max_side or height > limits.max_side:
        raise InvalidPng(f"PNG is {width}x{height}, a side is over {limits.max_side} px")
    if width * height > limits.max_pixels:
        raise InvalidPng(
            f"PNG is {width}x{height} = {width * height} px, over the limit of "
            f"{limits.max_pixels} px"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != "PNG":
                    raise InvalidPng(f"decoded as {image.format}, not PNG")
                image.load()
    except InvalidPng:
        raise
    except Exception as exc:  # Pillow raises many types for corrupt data
        raise InvalidPng(f"PNG does not decode: {exc}") from exc
    return PngInfo(width=width, height=height, nbytes=len(data))
