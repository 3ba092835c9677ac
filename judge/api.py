"""Wire messages of the judge service, shared by the service and its client.

`POST /v1/judgements` takes a JudgementRequest and answers a JudgementResponse;
`GET /healthz` answers JudgeHealth; every error answers ErrorBody. The field names are a
public contract.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

JudgeMode = Literal["visual", "task"]
MAX_TASK_CHARS = 100_000
# Images and reference_images of one request together: JUDGE_MAX_IMAGES's default, and what
# the bench sends at most.
MAX_IMAGES = 8


def task_text(plot_description: str, plot_style: str) -> str:
    """The task the judge scores against: the original plot description, then the style.

    Pass the original description even when generation used a shortened variant.
    """
    return f"{plot_description}\n{plot_style}"


def encode_png(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class JudgementRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: JudgeMode = Field(
        description="visual: first image against the first reference; task: all images "
        "against the task text"
    )
    images: list[str] = Field(min_length=1, description="base64 PNGs of the generated plot")
    reference_images: list[str] = Field(
        default_factory=list, description="base64 PNGs of the ground truth (visual mode)"
    )
    task: Annotated[str, Field(max_length=MAX_TASK_CHARS)] | None = Field(
        default=None, description="plot description and plot style (task mode)"
    )

    @model_validator(mode="after")
    def _mode_needs(self) -> JudgementRequest:
        if self.mode == "visual" and not self.reference_images:
            raise ValueError(
                "mode 'visual' compares against a ground-truth plot: send at least one "
                "base64 PNG in reference_images"
            )
        if self.mode == "task" and not (self.task and self.task.strip()):
            raise ValueError(
                "mode 'task' scores against the task text: send the plot description and "
                "plot style in task"
            )
        return self

    @classmethod
    def for_visual(cls, image: bytes, reference: bytes) -> JudgementRequest:
        return cls(
            mode="visual", images=[encode_png(image)], reference_images=[encode_png(reference)]
        )

    @classmethod
    def for_task(
        cls, images: Sequence[bytes], plot_description: str, plot_style: str
    ) -> JudgementRequest:
        return cls(
            mode="task",
            images=[encode_png(image) for image in images],
            task=task_text(plot_description, plot_style),
        )


class JudgementResponse(BaseModel):
    score: int | None = Field(description="0-100; null when the reply had no valid score")
    raw: str = Field(description="the judge model's reply, verbatim")
    judge: str = Field(description="<provider>:<model>")
    cached: bool = Field(description="true when this request made no backend call")
    latency_s: float


class JudgeHealth(BaseModel):
    status: Literal["ok"] = "ok"
    backend: str
    model: str
    judge: str
    base_url: str | None
    instructions: str = Field(description="'default' or the INSTRUCTS file in use")
    instructions_sha256: str = Field(
        description="sha256 of the INSTRUCTS file's bytes, or of the canonical JSON (sorted "
        "keys, no spaces, UTF-8) of the default instructions under the upstream key names"
    )
    system_message: bool = Field(
        description="whether every call sends a system message (the INSTRUCTS file's system_prompt)"
    )
    temperature: float | None = Field(
        description="sampling temperature sent with every call; null: none is sent, the "
        "provider's default applies"
    )
    max_tokens: int = Field(description="output token cap sent with every call")
    cache_entries: int
    concurrency: int


class ErrorBody(BaseModel):
    detail: str
