"""The executor service's settings, from EXECUTOR_* variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from orchestrator.executor.docker.config import SandboxConfig


class ExecutorSettings(BaseSettings):
    """Read from EXECUTOR_* variables; sandbox options as EXECUTOR_SANDBOX__<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="EXECUTOR_", env_nested_delimiter="__")

    token: SecretStr = Field(
        min_length=1, description="bearer token clients must send (EXECUTOR_TOKEN)"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    pool_size: int = Field(2, ge=1)
    max_concurrency: int = Field(2, ge=1)
    max_queue: int = Field(8, ge=0)
    # How long an execution waits for a warm sandbox before it is answered 503.
    acquire_timeout_s: float = Field(120.0, gt=0)
    max_body_bytes: int = 72 * 1024 * 1024
    # The service shuts down (removing its sandboxes) once this process is gone.
    parent_pid: int | None = None
    sandbox: SandboxConfig = SandboxConfig()
