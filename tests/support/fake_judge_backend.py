"""A judge model backend that answers in-process, for the real judge app without an endpoint.

It goes through the real Backend.reply (its slots and retries); with `available` false every
call fails transiently, which the judge answers as 503 once the attempts run out.
"""

from __future__ import annotations

from collections.abc import Sequence

from judge.backends import Backend, BackendOptions, Sampling
from orchestrator.common.retrying import RetryableFailure

OPTIONS = BackendOptions(model="fake-judge", max_attempts=1, retry_base_wait_s=0.0)


class FakeJudgeBackend(Backend):
    provider = "fake"
    key_variable = "JUDGE_API_KEY"

    def __init__(self, answer: str = "The plot fits.\n[FINAL SCORE]: 80") -> None:
        super().__init__(OPTIONS)
        self.answer = answer
        self.available = True
        self.calls: list[tuple[str, int]] = []  # (prompt, images sent) of every call
        self.closed = False

    @property
    def sampling(self) -> Sampling:
        return {"temperature": self.options.temperature, "max_tokens": self.options.max_tokens}

    async def _send(self, prompt: str, images: Sequence[bytes], system: str | None) -> str:
        self.calls.append((prompt, len(images)))
        if not self.available:
            raise RetryableFailure("HTTP 503: the scripted judge model is down")
        return self.answer

    async def aclose(self) -> None:
        self.closed = True
