"""Providers at the protocol level, against the real HTTP stand-in for OpenAI and Anthropic."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from collections.abc import Iterator

import httpx2
import pytest

from orchestrator.bench.models.providers import (
    Generation,
    ModelAuthError,
    ModelBadRequestError,
    ModelNotFoundError,
    ModelUnavailable,
    RetryPolicy,
    make_generator,
)
from orchestrator.bench.models.registry import Endpoint, ModelSpec, Provider, resolve_model
from orchestrator.bench.models.turns import Turn, one_turn
from tests.support.llm_server import HttpError, Reply, StandinLLM

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(attempts=3, initial_wait_s=0.01, max_wait_s=0.05)
SYSTEM = "Answer with a python code block."
USER = "Plot the dataframe df."

OPENAI = resolve_model("gpt-4o")
ANTHROPIC = resolve_model("claude-3.5-sonnet")


@pytest.fixture
def llm() -> Iterator[StandinLLM]:
    with StandinLLM() as server:
        yield server


def endpoint_for(spec: ModelSpec, llm: StandinLLM) -> Endpoint:
    """OpenAI-style SDKs take the /v1 prefix in the base URL; Anthropic's adds it itself."""
    base = llm.url if spec.provider is Provider.ANTHROPIC else f"{llm.url}/v1"
    return Endpoint(base_url=base, api_key=llm.api_key)


async def generate(spec: ModelSpec, llm: StandinLLM, policy: RetryPolicy = FAST) -> Generation:
    async with make_generator(spec, endpoint_for(spec, llm), policy=policy) as generator:
        return await generator.generate(SYSTEM, one_turn(USER))


# --- request shape ---------------------------------------------------------------------------


async def test_openai_request_shape(llm: StandinLLM) -> None:
    llm.push("```python\nprint(1)\n```")
    generation = await generate(OPENAI, llm)

    assert generation.text == "```python\nprint(1)\n```"
    assert generation.model == "gpt-4o-2024-05-13"
    assert generation.attempts == 1
    assert generation.usage.input_tokens == 1 and generation.usage.output_tokens == 1
    assert generation.latency_s >= 0 and generation.total_s >= generation.latency_s
    [request] = llm.requests
    assert request.wire == "openai"
    assert request.headers["authorization"] == f"Bearer {llm.api_key}"
    assert request.body["messages"] == [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": USER},
    ]
    assert request.body["temperature"] == 0
    assert request.body["model"] == "gpt-4o-2024-05-13"
    assert request.body.get("stream") in (None, False)


async def test_anthropic_request_shape(llm: StandinLLM) -> None:
    llm.push("```python\nprint(2)\n```")
    generation = await generate(ANTHROPIC, llm)

    assert generation.text == "```python\nprint(2)\n```"
    assert generation.model == "claude-3-5-sonnet-20241022"
    assert generation.finish_reason == "end_turn" and not generation.truncated
    [request] = llm.requests
    assert request.wire == "anthropic"
    assert llm.api_key in (
        request.headers.get("x-api-key"),
        request.headers.get("authorization", "").removeprefix("Bearer "),
    )
    assert "anthropic-version" in request.headers
    assert request.system == SYSTEM
    assert request.body["messages"] == [{"role": "user", "content": USER}]
    assert request.body["temperature"] == 0
    assert request.body["max_tokens"] == ANTHROPIC.max_output_tokens
    assert request.body["model"] == "claude-3-5-sonnet-20241022"


CONVERSATION = [
    Turn(role="user", content=USER),
    Turn(role="assistant", content="```python\nplt.plot(df.x, lw='wide')\n```"),
    Turn(role="user", content="The above code failed with the following error:\nValueError"),
]
AS_SENT = [turn.model_dump() for turn in CONVERSATION]


@pytest.mark.parametrize(
    "spec", [OPENAI, ANTHROPIC, resolve_model("llama-70b")], ids=lambda spec: spec.alias
)
async def test_a_conversation_is_sent_turn_by_turn(spec: ModelSpec, llm: StandinLLM) -> None:
    llm.push("```python\nplt.plot(df.x)\n```")
    async with make_generator(spec, endpoint_for(spec, llm), policy=FAST) as generator:
        generation = await generator.generate(SYSTEM, CONVERSATION)

    assert generation.text == "```python\nplt.plot(df.x)\n```"
    [request] = llm.requests
    assert request.system == SYSTEM
    messages = request.body["messages"]
    if spec.provider is Provider.ANTHROPIC:  # the system prompt travels beside the turns
        assert messages == AS_SENT
    else:
        assert messages == [{"role": "system", "content": SYSTEM}, *AS_SENT]


async def test_openai_compatible_alias_reads_its_endpoint_from_the_environment(
    llm: StandinLLM,
) -> None:
    spec = resolve_model("llama-70b")
    env = {
        "OPENAI_COMPATIBLE_BASE_URL": f"{llm.url}/v1/",
        "OPENAI_COMPATIBLE_API_KEY": "standin-key",
    }
    async with make_generator(spec, spec.endpoint(env), policy=FAST) as generator:
        generation = await generator.generate(SYSTEM, one_turn(USER))

    assert generation.model == "meta-llama/Llama-3.1-70B-Instruct"
    [request] = llm.requests
    assert request.model == "meta-llama/Llama-3.1-70B-Instruct"
    assert request.system == SYSTEM and request.texts == [USER]
    assert request.body["temperature"] == 0


async def test_raw_provider_model_id_is_sent_verbatim(llm: StandinLLM) -> None:
    spec = resolve_model("openai-compatible:qwen2.5-coder:1.5b")
    await generate(spec, llm)
    assert llm.requests[0].model == "qwen2.5-coder:1.5b"


# --- retries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [OPENAI, ANTHROPIC], ids=["openai", "anthropic"])
@pytest.mark.parametrize("status", [408, 409, 425, 429, 500, 503])
async def test_retryable_status_is_retried(llm: StandinLLM, spec: ModelSpec, status: int) -> None:
    llm.push(HttpError(status), HttpError(status), "recovered")
    generation = await generate(spec, llm)

    assert generation.text == "recovered"
    assert generation.attempts == 3
    assert len(llm.requests) == 3


@pytest.mark.parametrize("spec", [OPENAI, ANTHROPIC], ids=["openai", "anthropic"])
async def test_retry_after_is_honoured(
    llm: StandinLLM, spec: ModelSpec, caplog: pytest.LogCaptureFixture
) -> None:
    # The backoff alone would wait at most 0.05 s; the server asks for 0.3 s.
    llm.push(HttpError(429, retry_after="0.3"), "ok")
    policy = RetryPolicy(attempts=2, initial_wait_s=0.01, max_wait_s=5.0)
    with caplog.at_level(logging.WARNING, logger="orchestrator.bench.models.providers"):
        generation = await generate(spec, llm, policy)

    assert generation.text == "ok"
    waits = [getattr(record, "retry_wait_s", None) for record in caplog.records]
    assert waits == [0.3]


async def test_retry_after_is_capped_by_the_policy(
    llm: StandinLLM, caplog: pytest.LogCaptureFixture
) -> None:
    llm.push(HttpError(429, retry_after="3600"), "ok")
    policy = RetryPolicy(attempts=2, initial_wait_s=0.01, max_wait_s=0.2)
    with caplog.at_level(logging.WARNING, logger="orchestrator.bench.models.providers"):
        await generate(OPENAI, llm, policy)
    assert [getattr(record, "retry_wait_s", None) for record in caplog.records] == [0.2]


@pytest.mark.parametrize("spec", [OPENAI, ANTHROPIC], ids=["openai", "anthropic"])
async def test_persistent_overload_is_infrastructure(llm: StandinLLM, spec: ModelSpec) -> None:
    llm.push(*[HttpError(429, retry_after="0")] * 3)
    with pytest.raises(ModelUnavailable, match=r"HTTP 429.*gave up after 3 attempts"):
        await generate(spec, llm)
    assert len(llm.requests) == 3


async def test_timeout_is_retried_then_unavailable(llm: StandinLLM) -> None:
    spec = dataclasses.replace(OPENAI, timeout_s=0.2)
    llm.push(Reply("late", delay_s=1.0), Reply("late", delay_s=1.0))
    with pytest.raises(ModelUnavailable, match="APITimeoutError"):
        await generate(spec, llm, RetryPolicy(attempts=2, initial_wait_s=0.01, max_wait_s=0.05))
    assert len(llm.requests) == 2


@pytest.mark.parametrize("spec", [OPENAI, ANTHROPIC], ids=["openai", "anthropic"])
async def test_unreachable_endpoint_is_unavailable(spec: ModelSpec) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = Endpoint(base_url=f"http://127.0.0.1:{port}", api_key="k")
    async with make_generator(spec, endpoint, policy=FAST) as generator:
        with pytest.raises(ModelUnavailable, match=rf"127\.0\.0\.1:{port}.*after 3 attempts"):
            await generator.generate(SYSTEM, one_turn(USER))


# --- fail fast -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "key_var"),
    [(OPENAI, "OPENAI_API_KEY"), (ANTHROPIC, "ANTHROPIC_API_KEY")],
    ids=["openai", "anthropic"],
)
async def test_bad_key_fails_fast_naming_the_variable(
    llm: StandinLLM, spec: ModelSpec, key_var: str
) -> None:
    endpoint = dataclasses.replace(endpoint_for(spec, llm), api_key="wrong")
    async with make_generator(spec, endpoint, policy=FAST) as generator:
        with pytest.raises(ModelAuthError, match=rf"HTTP 401.*check {key_var}"):
            await generator.generate(SYSTEM, one_turn(USER))
    assert llm.refused == 1


@pytest.mark.parametrize("spec", [OPENAI, ANTHROPIC], ids=["openai", "anthropic"])
async def test_unknown_model_fails_fast(llm: StandinLLM, spec: ModelSpec) -> None:
    llm.push(HttpError(404, "model not found"), "never sent")
    with pytest.raises(ModelNotFoundError, match=rf"{spec.model_id}.*HTTP 404.*model not found"):
        await generate(spec, llm)
    assert len(llm.requests) == 1


@pytest.mark.parametrize("spec", [OPENAI, ANTHROPIC], ids=["openai", "anthropic"])
async def test_bad_request_fails_fast(llm: StandinLLM, spec: ModelSpec) -> None:
    llm.push(HttpError(400, "prompt is too long"), "never sent")
    with pytest.raises(ModelBadRequestError, match=r"HTTP 400.*prompt is too long"):
        await generate(spec, llm)
    assert len(llm.requests) == 1


# --- concurrency -----------------------------------------------------------------------------


class CountingTransport(httpx2.AsyncHTTPTransport):
    """A real transport that remembers how many requests were in flight at once."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = 0
        self.most_in_flight = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            response = await super().handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.in_flight -= 1


async def test_concurrency_is_limited_per_generator(llm: StandinLLM) -> None:
    spec = dataclasses.replace(OPENAI, concurrency=2)
    llm.push(*[Reply(f"r{i}", delay_s=0.2) for i in range(6)])
    transport = CountingTransport()
    client = httpx2.AsyncClient(transport=transport)
    async with make_generator(
        spec, endpoint_for(spec, llm), policy=FAST, http_client=client
    ) as generator:
        generations = await asyncio.gather(
            *(generator.generate(SYSTEM, one_turn(USER)) for _ in range(6))
        )

    assert sorted(g.text for g in generations) == [f"r{i}" for i in range(6)]
    assert transport.most_in_flight == 2
    assert llm.peak_in_flight == 2
