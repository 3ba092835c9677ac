"""The check of a sandbox's reply: it comes from inside the sandbox, so it is hostile input.

Pure: the HTTP status and the body bytes (as far as they were read) in, the result out.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from pydantic import ValidationError

from orchestrator.common.pngcheck import InvalidPng, PngLimits, validate_png
from orchestrator.executor.api import ExecutionError, ExecutionResult, ExecutionStatus
from sandbox_server.protocol import bounded_error


@dataclass(frozen=True)
class ReplyLimits:
    max_reply_bytes: int
    max_stream_bytes: int
    max_images: int
    max_error_bytes: int
    png: PngLimits


def failed(status: ExecutionStatus, ename: str, evalue: str) -> ExecutionResult:
    return ExecutionResult(status=status, error=ExecutionError(ename=ename, evalue=evalue))


def check_reply(http_status: int, body: bytes, limits: ReplyLimits) -> ExecutionResult:
    """The sandbox's result if its reply keeps to the protocol and the limits, else why not.

    A body over `max_reply_bytes` is refused whatever it holds, so a reader may stop
    reading once it has more than that. An error text over `max_error_bytes` is cut, and
    the error says so.
    """
    if len(body) > limits.max_reply_bytes:
        return failed(
            ExecutionStatus.ERROR,
            "OutputLimitExceeded",
            f"the sandbox reply is over {limits.max_reply_bytes} bytes",
        )
    if http_status != 200:
        return failed(
            ExecutionStatus.CRASHED,
            "SandboxProtocolError",
            f"the sandbox answered HTTP {http_status}",
        )
    try:
        result = ExecutionResult.model_validate_json(body)
    except ValidationError as exc:
        return failed(
            ExecutionStatus.CRASHED,
            "SandboxProtocolError",
            f"the sandbox reply is malformed: {exc.error_count()} schema errors",
        )
    if len(result.stdout.encode()) + len(result.stderr.encode()) > limits.max_stream_bytes:
        return failed(
            ExecutionStatus.ERROR,
            "OutputLimitExceeded",
            f"stdout and stderr together over {limits.max_stream_bytes} bytes",
        )
    if len(result.images) > limits.max_images:
        return failed(
            ExecutionStatus.ERROR,
            "OutputLimitExceeded",
            f"more than {limits.max_images} images",
        )
    for index, image in enumerate(result.images, start=1):
        try:
            validate_png(base64.b64decode(image, validate=True), limits.png)
        except (InvalidPng, binascii.Error, ValueError) as exc:
            return failed(
                ExecutionStatus.ERROR,
                "OutputLimitExceeded",
                f"image {index} rejected: {exc}",
            )
    # One description per image, whatever the sandbox sent.
    result.figures = (result.figures + [None] * len(result.images))[: len(result.images)]
    if result.error is not None:
        error = result.error
        bounded = bounded_error(error.ename, error.evalue, error.traceback, limits.max_error_bytes)
        if bounded["truncated"]:
            result.error = ExecutionError.model_validate(bounded)
    return result
