"""PNGs embedded in the page as data: URIs; stored images shrink to palette thumbnails."""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass

from PIL import Image

from orchestrator.common.pngcheck import InvalidPng, validate_png

THUMB_MAX_SIZE = (320, 640)  # width, height in px; larger images open full size on click
THUMB_COLORS = 128


@dataclass(frozen=True)
class ImageView:
    caption: str
    thumb: str | None  # data: URI shown in the card
    full: str | None  # data: URI opened on click; None when the thumbnail is the full image
    size: str  # "640x480"
    problem: str | None  # why the image cannot be shown


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def embed_png(encoded: str, caption: str) -> ImageView:
    """A stored base64 PNG as a thumbnail plus, when it was downscaled, the full image."""
    try:
        png = base64.b64decode(encoded, validate=True)
        info = validate_png(png)
    except (binascii.Error, InvalidPng) as exc:
        return ImageView(caption, None, None, "", f"{caption} cannot be shown: {exc}")
    size = f"{info.width}x{info.height}"
    if info.width <= THUMB_MAX_SIZE[0] and info.height <= THUMB_MAX_SIZE[1]:
        return ImageView(caption, png_data_uri(png), None, size, None)
    with Image.open(io.BytesIO(png)) as image:
        thumb = image.convert("RGBA")
    thumb.thumbnail(THUMB_MAX_SIZE, Image.Resampling.LANCZOS)
    # A palette keeps plot thumbnails about a quarter the size of full-colour PNGs.
    palette = thumb.quantize(THUMB_COLORS, Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return ImageView(caption, png_data_uri(out.getvalue()), png_data_uri(png), size, None)
