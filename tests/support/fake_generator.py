"""A scripted model behind the real Generator seam (its slots and retry loop), no endpoint.

`replies(user_prompt)` gives the model's text; None stands for an endpoint that fails every
attempt, which the Generator turns into ModelUnavailable after its retries.
"""

from __future__ import annotations

from collections.abc import Callable

from orchestrator.bench.models.providers import Completion, Generator, RetryPolicy
from orchestrator.bench.models.registry import Endpoint, ModelSpec, Provider
from orchestrator.common.retrying import RetryableFailure

SPEC = ModelSpec(
    alias="fake-coder", provider=Provider.OPENAI_COMPATIBLE, model_id="fake-coder", concurrency=2
)
NO_WAIT = RetryPolicy(attempts=2, initial_wait_s=0.0, max_wait_s=0.0)


class FakeGenerator(Generator):
    def __init__(self, replies: Callable[[str], str | None]) -> None:
        super().__init__(SPEC, Endpoint("http://fake-model/v1", "fake-key"), NO_WAIT)
        self.replies = replies
        self.prompts: list[str] = []  # every user prompt sent, retries included

    async def _complete(self, system: str, user: str) -> Completion:
        self.prompts.append(user)
        text = self.replies(user)
        if text is None:
            raise RetryableFailure("HTTP 503: the scripted endpoint is down")
        return Completion(text=text, model=SPEC.model_id, finish_reason="stop")

    async def aclose(self) -> None:
        pass
