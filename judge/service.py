"""Judging one request: check the images, build the prompt, ask (or recall) the model, parse."""

from __future__ import annotations

import asyncio
import time

from judge.api import JudgeHealth, JudgementRequest, JudgementResponse
from judge.backends import Backend
from judge.cache import ReplyCache, cache_key
from judge.inputs import ImageLimits, decode_images
from judge.prompts import Instructions, build_prompt, parse_score


class JudgeService:
    """Owns the backend and the cache; ``aclose()`` releases both."""

    def __init__(
        self,
        backend: Backend,
        cache: ReplyCache,
        instructions: Instructions,
        limits: ImageLimits,
    ) -> None:
        self.backend = backend
        self.cache = cache
        self.instructions = instructions
        self.limits = limits

    async def judge(self, request: JudgementRequest) -> JudgementResponse:
        """Raises BadJudgementInput for unusable images and BackendError when the model
        endpoint fails; a reply without a valid score is a response with ``score=None``."""
        started = time.perf_counter()
        # A full PNG decode is CPU work: keep it off the event loop.
        decoded = await asyncio.to_thread(decode_images, request, self.limits)
        if request.mode == "visual":
            sent = [decoded.images[0], decoded.reference_images[0]]
        else:
            sent = decoded.images
        prompt, system = build_prompt(self.instructions, request), self.instructions.system
        key = cache_key(self.backend.identity, prompt, sent, system=system)
        raw, cached = await self.cache.fetch(
            key, self.backend.label, lambda: self.backend.reply(prompt, sent, system=system)
        )
        return JudgementResponse(
            score=parse_score(raw),
            raw=raw,
            judge=self.backend.label,
            cached=cached,
            latency_s=round(time.perf_counter() - started, 6),
        )

    def health(self) -> JudgeHealth:
        sampling = self.backend.sampling
        return JudgeHealth(
            backend=self.backend.provider,
            model=self.backend.model,
            judge=self.backend.label,
            base_url=self.backend.base_url,
            instructions=self.instructions.source,
            instructions_sha256=self.instructions.sha256,
            system_message=self.instructions.system is not None,
            temperature=sampling.get("temperature"),
            max_tokens=sampling["max_tokens"],
            cache_entries=len(self.cache),
            concurrency=self.backend.options.concurrency,
        )

    async def aclose(self) -> None:
        self.cache.close()
        await self.backend.aclose()
