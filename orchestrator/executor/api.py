"""Wire messages of the executor service, shared by the service and its clients.

`POST /v1/executions` takes an ExecutionRequest and answers an ExecutionResult;
`GET /healthz` answers Health. The field names are a public contract.
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from orchestrator.executor.figures import FigureDescription

# Part of this contract (ExecutionRequest's library, capture, and where its files go):
# clients take them from here.
from sandbox_server.protocol import LIBRARIES as LIBRARIES
from sandbox_server.protocol import WORKDIR as WORKDIR
from sandbox_server.protocol import Capture as Capture
from sandbox_server.protocol import Library as Library
from sandbox_server.protocol import is_safe_file_name

MAX_CODE_BYTES = 256 * 1024
MAX_FILES = 8
MAX_FILES_BYTES = 48 * 1024 * 1024
MAX_TIMEOUT_S = 600.0


class ExecutionStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    OOM = "oom"
    CRASHED = "crashed"


class ExecutionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(max_length=MAX_CODE_BYTES)]
    files: dict[str, str] = Field(
        default_factory=dict,
        description=f"file name -> base64 content, placed in the kernel's working directory "
        f"({WORKDIR})",
    )
    library: Library | None = Field(
        None,
        description="the library the code is meant to use; advisory (figures of all three "
        "libraries are captured whatever it says)",
    )
    timeout_s: Annotated[float, Field(gt=0, le=MAX_TIMEOUT_S)] = 60.0
    capture: Capture = Field(
        "all",
        description="which images are returned: 'displayed', only those the code displays "
        "(display_data, as a notebook shows them); 'all', also a figure that is the value of "
        "the last expression and the matplotlib figures left open at the end",
    )

    @field_validator("code")
    @classmethod
    def _code_size(cls, code: str) -> str:
        if len(code.encode()) > MAX_CODE_BYTES:
            raise ValueError(f"code is over {MAX_CODE_BYTES} bytes")
        return code

    @field_validator("files")
    @classmethod
    def _files(cls, files: dict[str, str]) -> dict[str, str]:
        if len(files) > MAX_FILES:
            raise ValueError(f"at most {MAX_FILES} files may be sent")
        total = 0
        for name, content in files.items():
            if not is_safe_file_name(name):
                raise ValueError(
                    f"file name {name!r} must be a plain name (letters, digits, '.', '_', '-'; "
                    "no directories, no '..', no leading dot)"
                )
            try:
                total += len(base64.b64decode(content, validate=True))
            except (binascii.Error, ValueError):
                raise ValueError(f"file {name!r} is not valid base64") from None
        if total > MAX_FILES_BYTES:
            raise ValueError(f"files total {total} bytes, over the limit of {MAX_FILES_BYTES}")
        return files

    def file_bytes(self) -> dict[str, bytes]:
        return {name: base64.b64decode(content) for name, content in self.files.items()}


class ExecutionError(BaseModel):
    ename: str
    evalue: str
    traceback: str = ""
    truncated: bool = Field(
        False, description="whether ename, evalue or traceback was cut to the error size limit"
    )


class ExecutionResult(BaseModel):
    status: ExecutionStatus
    images: list[str] = Field(default_factory=list, description="base64 PNGs, in drawing order")
    figures: list[FigureDescription | None] = Field(
        default_factory=list,
        description="the sandbox's description of each image's figure, in the images' order; "
        "None where it gave none or one that does not fit the schema",
    )
    stdout: str = ""
    stderr: str = ""
    error: ExecutionError | None = None
    duration_s: float = 0.0
    sandbox: str | None = Field(None, description="name of the container that ran it, for logs")

    @field_validator("figures", mode="before")
    @classmethod
    def _drop_unfit(cls, figures: object) -> list[FigureDescription | None]:
        # One description that does not fit loses only itself, not the images.
        if not isinstance(figures, list):
            return []
        return [_figure_or_none(figure) for figure in figures]


def _figure_or_none(figure: object) -> FigureDescription | None:
    if isinstance(figure, FigureDescription):
        return figure
    try:
        return FigureDescription.model_validate(figure)
    except ValidationError:
        return None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    runtime: str
    image: str
    pool_size: int
    warm: int
    warm_by_library: dict[str, int] = Field(
        default_factory=dict,
        description="warm sandboxes by the library they warmed (matplotlib, seaborn, plotly, "
        "or all: the three)",
    )
    busy: int
    starting: int
    max_concurrency: int
    queued: int
    max_queue: int
    capacity: int = Field(description="executions that can start now without waiting")
    executions: int
    failures: int
