"""The judge service's configuration, read from the environment.

Every field names its environment variable; ``load_settings()`` turns a bad or missing
value into one ConfigError that names each variable to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from judge.api import MAX_IMAGES
from judge.errors import ConfigError

BackendName = Literal["openai", "anthropic", "openai-compatible"]
DEFAULT_OPENAI_MODEL = "gpt-4o-2024-05-13"  # the paper's judge
DEFAULT_MAX_TOKENS = 3000  # the reference's output cap for the judge model
MIB = 1024 * 1024

Positive = Annotated[int, Field(gt=0)]


class JudgeSettings(BaseSettings):
    model_config = SettingsConfigDict(
        case_sensitive=False,
        env_ignore_empty=True,  # VAR= (as compose writes ${VAR:-}) means unset
        extra="ignore",
        # Only the JUDGE_* names count: by-name lookups would let a generic MODEL, TOKEN or
        # PORT in the environment (e.g. `make bench MODEL=...`) reconfigure the judge.
        validate_by_alias=True,
    )

    token: SecretStr = Field(validation_alias="JUDGE_TOKEN", min_length=1)
    backend: BackendName = Field("openai", validation_alias="JUDGE_BACKEND")
    model: str | None = Field(None, validation_alias="JUDGE_MODEL")
    base_url: str | None = Field(None, validation_alias="JUDGE_BASE_URL")
    api_key: SecretStr | None = Field(None, validation_alias="JUDGE_API_KEY")
    openai_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")
    anthropic_api_key: SecretStr | None = Field(None, validation_alias="ANTHROPIC_API_KEY")
    temperature: float = Field(0.0, ge=0.0, le=2.0, validation_alias="JUDGE_TEMPERATURE")
    max_tokens: Positive = Field(DEFAULT_MAX_TOKENS, validation_alias="JUDGE_MAX_TOKENS")

    cache_path: Path = Field(
        Path(".cache/judge/judgements.sqlite3"), validation_alias="JUDGE_CACHE_PATH"
    )
    instructs: Path | None = Field(None, validation_alias="INSTRUCTS")

    max_images: Positive = Field(MAX_IMAGES, validation_alias="JUDGE_MAX_IMAGES")
    max_image_bytes: Positive = Field(8 * MIB, validation_alias="JUDGE_MAX_IMAGE_BYTES")
    max_image_pixels: Positive = Field(25_000_000, validation_alias="JUDGE_MAX_IMAGE_PIXELS")
    max_body_bytes: Positive = Field(32 * MIB, validation_alias="JUDGE_MAX_BODY_BYTES")

    concurrency: Positive = Field(4, validation_alias="JUDGE_CONCURRENCY")
    timeout_s: float = Field(120.0, gt=0, validation_alias="JUDGE_TIMEOUT_S")
    max_attempts: Positive = Field(6, validation_alias="JUDGE_MAX_ATTEMPTS")
    retry_base_wait_s: float = Field(1.0, ge=0, validation_alias="JUDGE_RETRY_BASE_WAIT_S")
    max_retry_wait_s: float = Field(60.0, ge=0, validation_alias="JUDGE_MAX_RETRY_WAIT_S")

    # Inside a container the service must listen on all interfaces.
    host: str = Field("0.0.0.0", validation_alias="JUDGE_HOST")  # noqa: S104
    port: int = Field(8001, ge=1, le=65535, validation_alias="JUDGE_PORT")

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> JudgeSettings:
        """Settings given by field name (`model=...`) by code that builds them, e.g. tests."""
        aliases = {name: info.validation_alias for name, info in cls.model_fields.items()}
        return cls.model_validate({aliases.get(name) or name: v for name, v in fields.items()})

    @model_validator(mode="after")
    def _backend_needs(self) -> JudgeSettings:
        problems: list[str] = []
        if self.backend != "openai" and not self.model:
            problems.append(
                f"JUDGE_MODEL is not set: JUDGE_BACKEND={self.backend} needs a model name"
            )
        if self.backend == "openai-compatible" and not self.base_url:
            problems.append(
                "JUDGE_BASE_URL is not set: JUDGE_BACKEND=openai-compatible needs the "
                "endpoint's base URL, e.g. http://vllm:8000/v1"
            )
        if self.backend != "openai-compatible" and self.resolved_api_key is None:
            variable = "OPENAI_API_KEY" if self.backend == "openai" else "ANTHROPIC_API_KEY"
            problems.append(
                f"{variable} is not set: JUDGE_BACKEND={self.backend} needs an API key "
                "(or set JUDGE_API_KEY)"
            )
        if self.backend == "anthropic" and "temperature" in self.model_fields_set:
            problems.append(
                "JUDGE_TEMPERATURE cannot be used with JUDGE_BACKEND=anthropic: the pinned "
                "anthropic SDK has no temperature parameter; unset it"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def resolved_model(self) -> str:
        return self.model or DEFAULT_OPENAI_MODEL

    @property
    def resolved_api_key(self) -> str | None:
        """JUDGE_API_KEY, else the provider's own variable; None only for openai-compatible."""
        provider_key = {
            "openai": self.openai_api_key,
            "anthropic": self.anthropic_api_key,
            "openai-compatible": None,
        }[self.backend]
        key = self.api_key or provider_key
        return key.get_secret_value() if key else None


def load_settings() -> JudgeSettings:
    """Settings from the environment, or a ConfigError naming every variable to fix."""
    try:
        return JudgeSettings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            if error["type"] == "missing":
                problems.append(f"{where} is not set")
            elif where:
                problems.append(f"{where}: {error['msg']}")
            else:
                problems.append(str(error["msg"]).removeprefix("Value error, "))
        raise ConfigError("; ".join(problems)) from None
