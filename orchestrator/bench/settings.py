"""The settings of a benchmark run, read from the environment, and the run id they give.

The names are the ones `make bench` passes on (MODEL=, DATASET=, LIMIT=, ...; see README).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orchestrator.bench.data.dataset import DEFAULT_SEED
from orchestrator.bench.data.descriptors import DEFAULT_DESCRIPTOR, DescriptorName, check_descriptor
from orchestrator.bench.errors import RunStopped
from orchestrator.bench.instructs import instructs_info
from orchestrator.bench.models.registry import ModelSpec
from orchestrator.bench.prompts import DEFAULT_TASK_VARIANT, check_library, check_task_variant
from orchestrator.bench.records import JudgeRounds, Protocol, TaskVariant
from orchestrator.bench.self_debug import MAX_ROUNDS, VISCODER_ROUNDS
from orchestrator.executor.api import Library

DEFAULT_TIMEOUT_S = 60.0
VISCODER_TIMEOUT_S = 10.0  # nbconvert's cell timeout in VisCoder's runs


class UsageError(RunStopped):
    """A setting is wrong; the message says which and what to do."""


class BenchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore")

    model: str = Field("qwen-coder-1.5b", validation_alias="MODEL")
    protocol: Protocol = Field("ppb", validation_alias="PROTOCOL")
    dataset: str | None = Field(None, validation_alias="DATASET")
    library: Library = Field("matplotlib", validation_alias="LIBRARY")
    descriptor: DescriptorName = Field(DEFAULT_DESCRIPTOR, validation_alias="DESCRIPTOR")
    task: TaskVariant = Field(DEFAULT_TASK_VARIANT, validation_alias="TASK")
    limit: int | None = Field(None, ge=1, validation_alias="LIMIT")
    ids: str | None = Field(None, validation_alias="IDS")
    seed: int = Field(DEFAULT_SEED, validation_alias="SEED")
    repeats: int = Field(1, ge=1, le=100, validation_alias="REPEATS")
    # unset: the reference's; "builtin": the project's wording; else a file (instructs.py)
    instructs: Literal["builtin"] | Path | None = Field(None, validation_alias="INSTRUCTS")
    executors: str | None = Field(None, validation_alias="EXECUTORS")
    executor_token: SecretStr | None = Field(None, validation_alias="EXECUTOR_TOKEN")
    # auto: judge with JUDGE_URL, else with a judge the run starts when a backend is set
    # (local_judge.py); none: never judge.
    judge: Literal["auto", "none"] = Field("auto", validation_alias="JUDGE")
    judge_url: str | None = Field(None, validation_alias="JUDGE_URL")
    judge_token: SecretStr | None = Field(None, validation_alias="JUDGE_TOKEN")
    run_id: str | None = Field(None, validation_alias="RUN_ID")
    results_dir: Path = Field(Path("results"), validation_alias="RESULTS_DIR")
    # unset: 10 s in the viscoder protocol (VisCoder's), else 60 s
    timeout_s: float | None = Field(None, gt=0, le=600, validation_alias="TIMEOUT_S")
    # rounds of self-debug after the first attempt; unset: 3 in viscoder, else 0
    self_debug: int | None = Field(None, ge=0, le=MAX_ROUNDS, validation_alias="SELF_DEBUG")
    judge_rounds: JudgeRounds = Field("final", validation_alias="JUDGE_ROUNDS")
    pool_size: int = Field(2, ge=1, validation_alias="POOL_SIZE")

    # The checks' own messages list the known names, which a bare Literal error would not.
    @field_validator("library", mode="before")
    @classmethod
    def _known_library(cls, value: str) -> Library:
        return check_library(value)

    @field_validator("descriptor", mode="before")
    @classmethod
    def _known_descriptor(cls, value: str) -> DescriptorName:
        return check_descriptor(value)

    @field_validator("task", mode="before")
    @classmethod
    def _known_task_variant(cls, value: str) -> TaskVariant:
        return check_task_variant(value)

    @field_validator("limit", mode="before")
    @classmethod
    def _all_means_no_limit(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() == "all" else value

    @property
    def debug_rounds(self) -> int:
        if self.self_debug is not None:
            return self.self_debug
        return VISCODER_ROUNDS if self.protocol == "viscoder" else 0

    @property
    def execution_timeout_s(self) -> float:
        if self.timeout_s is not None:
            return self.timeout_s
        return VISCODER_TIMEOUT_S if self.protocol == "viscoder" else DEFAULT_TIMEOUT_S

    def judge_access(self) -> tuple[str, str] | None:
        """(JUDGE_URL, JUDGE_TOKEN), or None when no judge is set."""
        if not self.judge_url:
            return None
        if self.judge_token is None:
            raise UsageError("JUDGE_URL is set: set JUDGE_TOKEN to the judge's token too")
        return self.judge_url, self.judge_token.get_secret_value()


def default_run_id(settings: BenchSettings, spec: ModelSpec, ids: list[int]) -> str:
    """Same command, same run id: re-running resumes instead of starting over."""
    key = json.dumps(
        [
            settings.protocol,
            spec.provider_model,
            settings.library,
            settings.descriptor,
            settings.task,
            ids,
            settings.repeats,
            str(settings.dataset),
            instructs_info(settings.instructs).sha256,
        ]
        # Added only when set, so runs started before self-debug keep their ids.
        + ([settings.debug_rounds] if settings.debug_rounds else [])
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    slug = "".join(c if c.isalnum() or c in "-." else "-" for c in spec.alias)
    return f"{slug}-{settings.library}-{settings.descriptor}-{settings.task}-{digest}"
