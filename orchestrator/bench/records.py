"""What a benchmark run stores: one ItemRecord per line of results/<run-id>/items.jsonl.

A record holds everything needed to rescore the item without the model or the sandbox:
the prompt, the raw response, the code, the execution outcome with its PNGs, the reference
images, and the judge's replies.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from orchestrator.bench.data.descriptors import DescriptorName
from orchestrator.bench.figure_metrics.scores import FigureScores
from orchestrator.bench.models.turns import TokenUsage, Turn
from orchestrator.executor.api import Library
from orchestrator.executor.figures import FigureDescription

# How much of the task goes into the prompt (`TASK=`); prompts.task_parts says what each gives.
TaskVariant = Literal["full", "no_style", "short", "single", "none"]
# `PROTOCOL=`: ppb follows the reference code in everything that changes a number (README,
# "Differences from the reference"); viscoder is VisCoder's fork of it with self-debug
# (self_debug.py); lenient is this project's own, not comparable with the paper.
Protocol = Literal["ppb", "viscoder", "lenient"]
# The protocols that build the reference's cell and apply its wrong-library rule and
# statistics; they differ only in code extraction (and viscoder's defaults).
REFERENCE_PROTOCOLS: frozenset[Protocol] = frozenset({"ppb", "viscoder"})
# `JUDGE_ROUNDS=`: judge only each item's final attempt, or every attempt.
JudgeRounds = Literal["final", "all"]


class ItemOutcome(StrEnum):
    DONE = "done"  # the item went through every stage; it counts in the statistics
    INFRA_ERROR = "infra_error"  # executor/judge/model endpoint failed: excluded, retried on resume
    # Neither the model's fault nor retryable (a descriptor error, a request the model endpoint
    # or the judge refuses): excluded, counted, retried only with `run --retry-failed`.
    FAILED = "failed"


class ExecStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    OOM = "oom"
    CRASHED = "crashed"
    NO_CODE = "no_code"  # lenient only: the response had no python code block, nothing ran


class TaskText(BaseModel):
    plot_description: str
    plot_style: str
    used: str = Field(description="the task text as it went into the prompt (the variant)")


class Prompt(BaseModel):
    system: str
    user: str


class Execution(BaseModel):
    status: ExecStatus
    ename: str | None = None
    evalue: str | None = None
    traceback: str = ""
    error_truncated: bool = False  # the executor cut ename, evalue or traceback to its limit
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    executor: str | None = None


class Judgement(BaseModel):
    score: int | None = None  # None: not judged, or the reply had no parsable score
    raw: str = ""
    judge: str | None = None
    cached: bool = False
    reason: str | None = None  # why there is no score, e.g. "no reference image", "not judged"


class FigureMetrics(BaseModel):
    """The judge-free scores of an attempt's figure against the ground truth's
    (figure_scoring.py says which figures, and what a missing one scores)."""

    scores: FigureScores | None = None  # None: not scored (`reason` says why)
    reason: str | None = None  # why not scored, or why every score is 0


class Timings(BaseModel):
    generation_s: float = 0.0
    execution_s: float = 0.0
    judging_s: float = 0.0


class AttemptResult(BaseModel):
    """One attempt at an item: a reply, its code, what running it gave and, when judged,
    its scores. Round 0 answers the prompt; round k > 0 (self-debug) answers the
    conversation that fed the errors of rounds 0..k-1 back."""

    round: int = 0
    # The turns sent after the system prompt; empty in round 0, whose one turn is the
    # prompt's user text.
    conversation: list[Turn] = Field(default_factory=list)
    response: str = ""
    response_truncated: bool = False  # the reply stopped at the model's output-token cap
    code: str = ""
    wrong_library: bool = False  # by the run's protocol (code_extraction.is_wrong_library)
    # Whether the code imports the library (uses_library), in either protocol; None in
    # records stored before it was recorded.
    imports_library: bool | None = None
    execution: Execution | None = None
    images: list[str] = Field(default_factory=list, description="generated PNGs, base64")
    # The sandbox's description of each image's figure (None where it gave none).
    figures: list[FigureDescription | None] = Field(default_factory=list)
    figure_metrics: FigureMetrics = Field(default_factory=FigureMetrics)
    visual: Judgement = Field(default_factory=Judgement)
    task_score: Judgement = Field(default_factory=Judgement)
    timings: Timings = Field(default_factory=Timings)
    usage: TokenUsage = Field(default_factory=TokenUsage)


class Attempt(AttemptResult):
    """An attempt that failed and was followed by another round (self-debug)."""

    feedback: str = Field(description="the error text the next round sent back to the model")


class ItemRecord(AttemptResult):
    """One item's result. Its attempt fields are the final attempt's (the one the
    statistics and the judge use); `attempts` holds the earlier ones, in order."""

    run_id: str
    item_id: int
    repeat: int = 0
    outcome: ItemOutcome
    infra_error: str | None = None
    failure: str | None = None  # why the outcome is `failed`
    model: str
    provider_model: str
    library: Library
    descriptor: DescriptorName
    task_variant: TaskVariant
    task: TaskText
    prompt: Prompt
    attempts: list[Attempt] = Field(default_factory=list)
    # Why self-debug ended before its last round although this attempt failed (e.g. the
    # endpoint refused the longer conversation); None when it ran its course.
    debug_stopped: str | None = None
    images_cut: bool = False  # more images than the judge takes: only the first ones were judged
    reference_images: list[str] = Field(default_factory=list, description="ground truth, base64")
    # The ground truth's figure as the sandbox described it (ground_truth.py), or None.
    reference_figure: FigureDescription | None = None
    finished_at: str


class JournaledAttempt(BaseModel):
    """A line of attempts.jsonl: an attempt stored as soon as it failed, so that a resumed
    run goes on from the next round instead of repeating it."""

    repeat: int
    item_id: int
    attempt: Attempt


class InstructsInfo(BaseModel):
    """Which instruction texts a run used."""

    name: str = Field(description="'reference', 'builtin', or the INSTRUCTS file's path")
    sha256: str = Field(description="of the file's bytes; of the canonical JSON for builtin")
    reference: bool = Field(description="the reference's instructs.json at the pinned commit")


class JudgeInfo(BaseModel):
    """The judge a run used, as its service reported it."""

    url: str
    judge: str = Field(description="<backend>:<model>")
    parameters: dict[str, float | int | str] = Field(default_factory=dict)
    instructions: str = Field(description="the judge's instructions: a name and sha256")
    started_by_run: bool = False


class Provenance(BaseModel):
    """What produced a run, so that a number can be checked later."""

    dataset: str = Field(description="the hub's revision, or a hash of the local copy")
    sandbox_image: str | None = None
    sandbox_packages: dict[str, str] = Field(default_factory=dict)
    provider_model_reported: str | None = Field(
        None, description="the model id in the provider's first reply"
    )
    project_commit: str | None = None


class RunConfig(BaseModel):
    """The settings a run was started with; stored as results/<run-id>/config.json."""

    run_id: str
    model: str
    provider_model: str
    library: Library
    descriptor: DescriptorName
    task_variant: TaskVariant
    dataset: str
    item_ids: list[int]
    repeats: int = 1
    judge: str | None = None
    started_at: str
    # Runs stored before PROTOCOL= existed ran the lenient protocol.
    protocol: Protocol = "lenient"
    self_debug: int = 0  # rounds of self-debug after the first attempt (`SELF_DEBUG=`)
    judge_rounds: JudgeRounds = "final"
    instructs: InstructsInfo | None = None
    judge_info: JudgeInfo | None = None
    provenance: Provenance | None = None
