"""Collecting the outputs of one cell, with the output limits enforced as they arrive."""

from __future__ import annotations

import base64
import binascii
import json
import queue
import re
import time
from typing import Any

from orchestrator.common.pngcheck import InvalidPng, PngLimits, validate_png
from sandbox_server.kernel import Kernel
from sandbox_server.protocol import FIGURE_MIME, Capture, ReplyError, bounded_error

PNG_LIMITS = PngLimits()
# A description longer than this is dropped unread (an honest one is far smaller).
MAX_DESCRIPTION_BYTES = 512 * 1024
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# The output message types whose image/png counts, by the request's capture.
IMAGE_OUTPUTS: dict[Capture, frozenset[str]] = {
    "displayed": frozenset({"display_data"}),
    "all": frozenset({"display_data", "execute_result"}),
}


class Execution:
    """The outputs of the cells run so far; the first limit hit interrupts the kernel."""

    def __init__(
        self,
        kernel: Kernel,
        *,
        capture: Capture,
        max_stream_bytes: int,
        max_images: int,
        max_error_bytes: int,
    ) -> None:
        self.kernel = kernel
        self.image_outputs = IMAGE_OUTPUTS[capture]
        self.max_stream_bytes = max_stream_bytes
        self.max_images = max_images
        self.max_error_bytes = max_error_bytes
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.stream_bytes = 0
        self.images: list[str] = []
        self.figures: list[object | None] = []  # each image's description, or None
        self.error: ReplyError | None = None
        self.limit_error: ReplyError | None = None
        self.kernel_died = False

    def exceed(self, what: str) -> None:
        if self.limit_error is None:
            self.limit_error = {
                "ename": "OutputLimitExceeded",
                "evalue": what,
                "traceback": "",
                "truncated": False,
            }
            self.kernel.interrupt()

    def add_image(self, b64: str, description: object = None) -> None:
        if len(self.images) >= self.max_images:
            self.exceed(f"more than {self.max_images} images")
            return
        try:
            validate_png(base64.b64decode(b64), PNG_LIMITS)
        except (InvalidPng, binascii.Error) as exc:
            self.exceed(f"image {len(self.images) + 1} rejected: {exc}")
            return
        self.images.append(b64)
        self.figures.append(parsed_description(description))

    def handle(self, msg: dict[str, Any]) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            self.stream_bytes += len(content["text"].encode())
            if self.stream_bytes > self.max_stream_bytes:
                self.exceed(f"stdout and stderr together over {self.max_stream_bytes} bytes")
                return
            (self.stdout if content["name"] == "stdout" else self.stderr).append(content["text"])
        elif kind in self.image_outputs:
            data = content.get("data", {})
            if "image/png" in data:
                self.add_image(data["image/png"].replace("\n", ""), data.get(FIGURE_MIME))
        elif kind == "error" and self.error is None:
            self.error = bounded_error(
                content["ename"],
                content["evalue"],
                ANSI_ESCAPE.sub("", "\n".join(content["traceback"])),
                self.max_error_bytes,
            )

    def run(self, code: str, *, drain_s: float = 5.0) -> None:
        msg_id = self.kernel.client.execute(code, allow_stdin=False, store_history=False)
        limit_hit_at: float | None = None
        while True:
            if self.limit_error is not None:
                limit_hit_at = limit_hit_at or time.monotonic()
                if time.monotonic() - limit_hit_at > drain_s:
                    return  # the kernel ignored the interrupt; the host destroys it anyway
            try:
                msg = self.kernel.client.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                if not self.kernel.is_alive():
                    self.kernel_died = True
                    return
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return
            if self.limit_error is None:
                self.handle(msg)


def parsed_description(description: object) -> object | None:
    """The figure description sent as JSON beside an image; None if absent or unreadable.
    Its shape is the host's to check."""
    if isinstance(description, dict):  # a layer below parsed the +json type already
        return description
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_BYTES:
        return None
    try:
        parsed: object = json.loads(description)
    except ValueError:
        return None
    return parsed
