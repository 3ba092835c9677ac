"""Generation providers: one async call that turns a system prompt and a conversation
(models/turns.py) into the model's next reply. A plain prompt is the one-turn case.

OpenAI and any OpenAI-compatible endpoint (vLLM, Together, OpenRouter, llama.cpp, Ollama) go
through the `openai` SDK, Anthropic through the `anthropic` SDK. Both SDKs' own retries are
off, so there is one retry policy and it is here: tenacity retries what
orchestrator.common.failures calls retryable (timeouts, connection failures, 408, 409, 425,
429, 5xx), honouring `Retry-After`; every other refusal fails at once.

How the bench treats each error:
- ModelSetupError (bad key, unknown model, no credit): every item would fail the same way;
  stop the run.
- ModelBadRequestError: the endpoint refused this one request (e.g. the prompt is too long).
- ModelUnavailable: the endpoint could not be reached or kept failing after the retries; an
  infrastructure failure, never the model's fault (the item is `infra_error`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import anthropic
import httpx2
import openai
from anthropic.types import AssistantMessageParam, MessageParam, UserMessageParam
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel
from tenacity import RetryCallState

from orchestrator.bench.errors import RunStopped
from orchestrator.bench.models.registry import PROVIDER_ENV, Endpoint, ModelSpec, Provider
from orchestrator.bench.models.turns import TokenUsage, Turn
from orchestrator.common.failures import Rejection
from orchestrator.common.http_client import AsyncClosing
from orchestrator.common.retrying import RetryableFailure, retrying
from orchestrator.common.sdk_failures import SdkCallError, sdk_failure

log = logging.getLogger(__name__)


class ModelError(Exception):
    """A generation request failed; the subclass says whose fault it is."""


class ModelSetupError(ModelError, RunStopped):
    """The endpoint refuses this configuration: fix it and run again."""


class ModelAuthError(ModelSetupError):
    pass


class ModelNotFoundError(ModelSetupError):
    pass


class ModelBadRequestError(ModelError):
    pass


class ModelUnavailable(ModelError):
    """Unreachable, timing out or overloaded after every retry: infrastructure, not the model."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # calls in all, the first one included
    initial_wait_s: float = 1.0  # exponential backoff with jitter when no Retry-After is sent
    max_wait_s: float = 120.0  # cap for one wait, the server's Retry-After included


class Completion(BaseModel):
    text: str
    model: str  # as the endpoint reported it
    finish_reason: str | None = None
    truncated: bool = False  # the reply stopped at the output-token cap
    usage: TokenUsage = TokenUsage()


class Generation(Completion):
    latency_s: float  # the request that answered
    total_s: float  # from getting a concurrency slot to the answer, retries and waits included
    attempts: int


class Generator(AsyncClosing):
    """Sends conversations to one model at temperature 0, at most `spec.concurrency` at once."""

    def __init__(self, spec: ModelSpec, endpoint: Endpoint, policy: RetryPolicy) -> None:
        self.spec = spec
        self.endpoint = endpoint
        self._policy = policy
        self._slots = asyncio.Semaphore(spec.concurrency)

    async def generate(self, system: str, turns: Sequence[Turn]) -> Generation:
        async with self._slots:
            started = time.monotonic()
            attempts = 0
            retry_loop = retrying(
                self._policy.attempts, self._policy.initial_wait_s, self._policy.max_wait_s
            ).copy(before_sleep=self._log_retry)
            try:
                async for attempt in retry_loop:
                    with attempt:
                        attempts += 1
                        sent = time.monotonic()
                        completion = await self._complete(system, turns)
                        latency_s = time.monotonic() - sent
            except RetryableFailure as exc:
                raise ModelUnavailable(
                    f"{self.spec.alias} ({self.spec.provider_model}) at {self.endpoint.base_url}: "
                    f"{exc}; gave up after {attempts} attempts"
                ) from exc
            return Generation(
                **completion.model_dump(),
                latency_s=latency_s,
                total_s=time.monotonic() - started,
                attempts=attempts,
            )

    def _log_retry(self, state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        wait_s = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s attempt %d failed (%s); retrying in %.1f s",
            self.spec.alias,
            state.attempt_number,
            failure,
            wait_s,
            extra={"retry_wait_s": wait_s},
        )

    def _call_error(self, exc: SdkCallError) -> RetryableFailure | ModelError:
        """The error for a failed call: a RetryableFailure or a final ModelError."""
        failure = sdk_failure(exc, timeout_s=self.spec.timeout_s)
        return failure if isinstance(failure, RetryableFailure) else self._rejected(failure)

    def _rejected(self, rejection: Rejection) -> ModelError:
        where = f"{self.spec.alias} ({self.spec.provider_model}) at {self.endpoint.base_url}"
        status, message = rejection.status, rejection.message
        if status in (401, 403):
            key_var = PROVIDER_ENV[self.spec.provider].api_key_var
            return ModelAuthError(
                f"{where} refused the API key (HTTP {status}): {message}; check {key_var}"
            )
        if status == 402:
            return ModelSetupError(f"{where} wants payment (HTTP 402): {message}")
        if status == 404:
            return ModelNotFoundError(
                f"{where} has no model {self.spec.model_id!r} or no such API path "
                f"(HTTP 404): {message}; check the model id and the base URL"
            )
        return ModelBadRequestError(f"{where} rejected the request (HTTP {status}): {message}")

    @abstractmethod
    async def _complete(self, system: str, turns: Sequence[Turn]) -> Completion:
        """One request. Raises RetryableFailure if another attempt may work, else ModelError."""


class OpenAIChatGenerator(Generator):
    """OpenAI's chat completions API, as OpenAI and OpenAI-compatible servers speak it."""

    def __init__(
        self,
        spec: ModelSpec,
        endpoint: Endpoint,
        policy: RetryPolicy,
        http_client: httpx2.AsyncClient | None,
    ) -> None:
        super().__init__(spec, endpoint, policy)
        self._client = openai.AsyncOpenAI(
            api_key=endpoint.api_key,
            base_url=endpoint.base_url,
            timeout=spec.timeout_s,
            max_retries=0,
            http_client=http_client,
        )

    async def _complete(self, system: str, turns: Sequence[Turn]) -> Completion:
        messages: list[ChatCompletionMessageParam] = [{"role": "system", "content": system}]
        for turn in turns:
            if turn.role == "user":
                messages.append({"role": "user", "content": turn.content})
            else:
                messages.append({"role": "assistant", "content": turn.content})
        try:
            reply = await self._client.chat.completions.create(
                model=self.spec.model_id,
                messages=messages,
                temperature=0,
                max_tokens=self.spec.max_output_tokens,
            )
        except (openai.APIStatusError, openai.APIConnectionError) as exc:
            raise self._call_error(exc) from exc
        choice = reply.choices[0] if reply.choices else None
        return Completion(
            text=(choice.message.content or "") if choice else "",
            model=reply.model,
            finish_reason=choice.finish_reason if choice else None,
            truncated=choice is not None and choice.finish_reason == "length",
            usage=TokenUsage(
                input_tokens=reply.usage.prompt_tokens if reply.usage else None,
                output_tokens=reply.usage.completion_tokens if reply.usage else None,
            ),
        )

    async def aclose(self) -> None:
        await self._client.close()


class AnthropicGenerator(Generator):
    """Anthropic's messages API."""

    def __init__(
        self,
        spec: ModelSpec,
        endpoint: Endpoint,
        policy: RetryPolicy,
        http_client: httpx2.AsyncClient | None,
    ) -> None:
        super().__init__(spec, endpoint, policy)
        self._client = anthropic.AsyncAnthropic(
            api_key=endpoint.api_key,
            base_url=endpoint.base_url,
            timeout=spec.timeout_s,
            max_retries=0,
            http_client=http_client,
        )

    async def _complete(self, system: str, turns: Sequence[Turn]) -> Completion:
        messages: list[MessageParam] = [
            UserMessageParam(role="user", content=turn.content)
            if turn.role == "user"
            else AssistantMessageParam(role="assistant", content=turn.content)
            for turn in turns
        ]
        try:
            reply = await self._client.messages.create(
                model=self.spec.model_id,
                max_tokens=self.spec.max_output_tokens,
                system=system,
                messages=messages,
                # This SDK version no longer exposes sampling parameters; the API takes them.
                extra_body={"temperature": 0},
            )
        except (anthropic.APIStatusError, anthropic.APIConnectionError) as exc:
            raise self._call_error(exc) from exc
        return Completion(
            text="".join(block.text for block in reply.content if block.type == "text"),
            model=reply.model,
            finish_reason=reply.stop_reason,
            truncated=reply.stop_reason == "max_tokens",
            usage=TokenUsage(
                input_tokens=reply.usage.input_tokens, output_tokens=reply.usage.output_tokens
            ),
        )

    async def aclose(self) -> None:
        await self._client.close()


def make_generator(
    spec: ModelSpec,
    endpoint: Endpoint,
    *,
    policy: RetryPolicy | None = None,
    http_client: httpx2.AsyncClient | None = None,
) -> Generator:
    """A generator for `spec` at `endpoint`. `http_client` (closed with the generator) lets
    tests route requests through their own transport."""
    policy = policy or RetryPolicy()
    if spec.provider is Provider.ANTHROPIC:
        return AnthropicGenerator(spec, endpoint, policy, http_client)
    return OpenAIChatGenerator(spec, endpoint, policy, http_client)
