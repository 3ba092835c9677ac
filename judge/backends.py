"""Judge model backends: OpenAI, any OpenAI-compatible endpoint, and Anthropic.

Each sends the system message, when there is one, then one user message (the prompt text,
then the images as base64 PNG content parts) and returns the reply's text. Calls are capped
per backend by a semaphore.
Transient failures (what orchestrator.common.failures calls retryable: timeouts, connection
errors, 408, 409, 425, 429, 5xx) are retried with tenacity, waiting what the endpoint's
Retry-After asks (capped) or an exponential backoff; once the attempts run out they raise
BackendUnavailable. Failures that cannot succeed on retry (bad key, unknown model, rejected
request, unusable reply) raise BackendRejected at once.
"""

from __future__ import annotations

import asyncio
import base64
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NotRequired, TypedDict

import anthropic
import openai
from anthropic.types import ImageBlockParam, TextBlockParam
from openai.types.chat import (
    ChatCompletionContentPartImageParam,
    ChatCompletionContentPartParam,
    ChatCompletionContentPartTextParam,
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
)

from judge.errors import BackendRejected, BackendUnavailable
from judge.settings import DEFAULT_MAX_TOKENS, JudgeSettings
from orchestrator.common.failures import Rejection
from orchestrator.common.http_client import AsyncClosing
from orchestrator.common.retrying import RetryableFailure, retrying
from orchestrator.common.sdk_failures import SdkCallError, sdk_failure

# Local OpenAI-compatible servers (vLLM, Ollama, llama.cpp) usually ignore the key, but
# the openai SDK refuses to send a request without one.
NO_KEY_PLACEHOLDER = "no-key"


class Sampling(TypedDict):
    """The sampling parameters a backend sends with every call."""

    max_tokens: int
    temperature: NotRequired[float]  # absent: the provider's default applies


@dataclass(frozen=True)
class BackendOptions:
    model: str
    base_url: str | None = None  # None: the provider's public endpoint
    temperature: float = 0.0
    max_tokens: int = DEFAULT_MAX_TOKENS
    timeout_s: float = 120.0
    concurrency: int = 4
    max_attempts: int = 6
    retry_base_wait_s: float = 1.0
    max_retry_wait_s: float = 60.0

    @classmethod
    def from_settings(cls, settings: JudgeSettings) -> BackendOptions:
        return cls(
            model=settings.resolved_model,
            base_url=settings.base_url,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            timeout_s=settings.timeout_s,
            concurrency=settings.concurrency,
            max_attempts=settings.max_attempts,
            retry_base_wait_s=settings.retry_base_wait_s,
            max_retry_wait_s=settings.max_retry_wait_s,
        )


class Backend(AsyncClosing):
    """A judge model endpoint; ``reply()`` is the only call the service makes."""

    provider: str
    key_variable: str  # where the operator fixes a refused key

    def __init__(self, options: BackendOptions) -> None:
        self.options = options
        self.model = options.model
        self.base_url = options.base_url
        self._slots = asyncio.Semaphore(options.concurrency)

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.model}"

    @property
    def where(self) -> str:
        return f"judge backend {self.label} at {self.base_url or 'the default endpoint'}"

    @property
    def identity(self) -> dict[str, object]:
        """What makes two replies interchangeable; part of the cache key."""
        identity: dict[str, object] = {
            "provider": self.provider,
            "model": self.model,
            **self.sampling,
        }
        if self.provider == "openai-compatible":
            identity["base_url"] = self.base_url  # local model names are not global
        return identity

    async def reply(self, prompt: str, images: Sequence[bytes], *, system: str | None) -> str:
        """The model's reply text; raises BackendUnavailable or BackendRejected."""
        attempts = retrying(
            self.options.max_attempts,
            self.options.retry_base_wait_s,
            self.options.max_retry_wait_s,
        )
        try:
            async for attempt in attempts:
                with attempt:
                    async with self._slots:
                        text = await self._send(prompt, images, system)
        except RetryableFailure as exc:
            raise BackendUnavailable(
                f"{self.where} is unavailable: {exc} "
                f"(gave up after {self.options.max_attempts} attempts)",
                exc.retry_after_s,
            ) from exc
        return text

    def _call_failure(self, exc: SdkCallError) -> RetryableFailure | BackendRejected:
        failure = sdk_failure(exc, timeout_s=self.options.timeout_s)
        return failure if isinstance(failure, RetryableFailure) else self._rejected(failure)

    def _rejected(self, rejection: Rejection) -> BackendRejected:
        status = rejection.status
        if status in (401, 403):
            hint = f"check {self.key_variable}"
        elif status == 404:
            hint = f"check that model {self.model!r} exists there (JUDGE_MODEL, JUDGE_BASE_URL)"
        else:
            hint = "the endpoint will not accept this request; check that the model takes images"
        return BackendRejected(
            f"{self.where} refused the call with HTTP {status}: {rejection.message}; {hint}"
        )

    def _unusable(self, exc: Exception) -> BackendRejected:
        return BackendRejected(f"judge backend {self.label} sent an unusable reply: {exc}")

    @property
    @abstractmethod
    def sampling(self) -> Sampling:
        """The sampling parameters sent with every call."""

    @abstractmethod
    async def _send(self, prompt: str, images: Sequence[bytes], system: str | None) -> str:
        """One attempt; raises RetryableFailure or BackendRejected on failure."""


class OpenAIBackend(Backend):
    """OpenAI chat completions, or any endpoint speaking that format (``base_url``)."""

    def __init__(
        self, options: BackendOptions, *, api_key: str | None, provider: str = "openai"
    ) -> None:
        super().__init__(options)
        self.provider = provider
        self.key_variable = (
            "OPENAI_API_KEY or JUDGE_API_KEY" if provider == "openai" else "JUDGE_API_KEY"
        )
        self._client = openai.AsyncOpenAI(
            api_key=api_key or NO_KEY_PLACEHOLDER,
            base_url=self.base_url,
            timeout=options.timeout_s,
            max_retries=0,  # tenacity retries, honouring Retry-After
        )

    @property
    def sampling(self) -> Sampling:
        return {"temperature": self.options.temperature, "max_tokens": self.options.max_tokens}

    async def _send(self, prompt: str, images: Sequence[bytes], system: str | None) -> str:
        content: list[ChatCompletionContentPartParam] = [
            ChatCompletionContentPartTextParam(type="text", text=prompt)
        ]
        for image in images:
            url = "data:image/png;base64," + base64.b64encode(image).decode("ascii")
            content.append(
                ChatCompletionContentPartImageParam(type="image_url", image_url={"url": url})
            )
        messages: list[ChatCompletionMessageParam] = []
        if system is not None:
            messages.append(ChatCompletionSystemMessageParam(role="system", content=system))
        messages.append(ChatCompletionUserMessageParam(role="user", content=content))
        try:
            completion = await self._client.chat.completions.create(
                model=self.model,
                messages=messages,
                temperature=self.options.temperature,
                max_tokens=self.options.max_tokens,
            )
        except (openai.APIStatusError, openai.APIConnectionError) as exc:
            raise self._call_failure(exc) from exc
        except openai.APIError as exc:
            raise self._unusable(exc) from exc
        if not completion.choices:
            return ""
        return completion.choices[0].message.content or ""

    async def aclose(self) -> None:
        await self._client.close()


class AnthropicBackend(Backend):
    """Anthropic messages API."""

    provider = "anthropic"
    key_variable = "ANTHROPIC_API_KEY or JUDGE_API_KEY"

    def __init__(self, options: BackendOptions, *, api_key: str) -> None:
        super().__init__(options)
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=self.base_url, timeout=options.timeout_s, max_retries=0
        )

    @property
    def sampling(self) -> Sampling:
        # The pinned anthropic SDK has no temperature parameter: the API's default applies.
        return {"max_tokens": self.options.max_tokens}

    async def _send(self, prompt: str, images: Sequence[bytes], system: str | None) -> str:
        content: list[TextBlockParam | ImageBlockParam] = [TextBlockParam(type="text", text=prompt)]
        for image in images:
            data = base64.b64encode(image).decode("ascii")
            content.append(
                ImageBlockParam(
                    type="image", source={"type": "base64", "media_type": "image/png", "data": data}
                )
            )
        try:
            message = await self._client.messages.create(
                model=self.model,
                max_tokens=self.options.max_tokens,
                messages=[{"role": "user", "content": content}],
                system=anthropic.omit if system is None else system,
            )
        except (anthropic.APIStatusError, anthropic.APIConnectionError) as exc:
            raise self._call_failure(exc) from exc
        except anthropic.APIError as exc:
            raise self._unusable(exc) from exc
        return "".join(block.text for block in message.content if block.type == "text")

    async def aclose(self) -> None:
        await self._client.close()


def build_backend(settings: JudgeSettings) -> Backend:
    """The backend the settings name, with their model, endpoint, key and limits."""
    options = BackendOptions.from_settings(settings)
    if settings.backend == "anthropic":
        assert settings.resolved_api_key is not None  # JudgeSettings checked it
        return AnthropicBackend(options, api_key=settings.resolved_api_key)
    return OpenAIBackend(options, api_key=settings.resolved_api_key, provider=settings.backend)
