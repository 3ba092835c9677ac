"""A scripted model behind the real Generator seam (its slots and retry loop), no endpoint.

`replies(turns)` gives the model's text for a conversation (the prompt is `turns[0]`); None
stands for an endpoint that fails every attempt, which the Generator turns into
ModelUnavailable after its retries. `one_prompt` adapts a function of the prompt alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from orchestrator.bench.models.providers import Completion, Generator, RetryPolicy
from orchestrator.bench.models.registry import Endpoint, ModelSpec, Provider
from orchestrator.bench.models.turns import Turn
from orchestrator.common.retrying import RetryableFailure

SPEC = ModelSpec(
    alias="fake-coder", provider=Provider.OPENAI_COMPATIBLE, model_id="fake-coder", concurrency=2
)
NO_WAIT = RetryPolicy(attempts=2, initial_wait_s=0.0, max_wait_s=0.0)


Replies = Callable[[Sequence[Turn]], str | None]


def one_prompt(reply: Callable[[str], str | None]) -> Replies:
    return lambda turns: reply(turns[0].content)


class FakeGenerator(Generator):
    def __init__(self, replies: Replies) -> None:
        super().__init__(SPEC, Endpoint("http://fake-model/v1", "fake-key"), NO_WAIT)
        self.replies = replies
        self.prompts: list[str] = []  # every first user turn sent, retries included
        self.conversations: list[list[Turn]] = []  # every conversation sent

    async def _complete(self, system: str, turns: Sequence[Turn]) -> Completion:
        self.prompts.append(turns[0].content)
        self.conversations.append(list(turns))
        text = self.replies(turns)
        if text is None:
            raise RetryableFailure("HTTP 503: the scripted endpoint is down")
        return Completion(text=text, model=SPEC.model_id, finish_reason="stop")

    async def aclose(self) -> None:
        pass
