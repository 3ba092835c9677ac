"""A conversation with a model, as the providers send it and the records store it.

The system prompt travels beside the turns (each API carries it in its own place); the
turns alternate user, assistant, user, ... and end with a user turn.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Role = Literal["user", "assistant"]


class Turn(BaseModel):
    role: Role
    content: str


class TokenUsage(BaseModel):
    input_tokens: int | None = None
    output_tokens: int | None = None


def one_turn(user: str) -> list[Turn]:
    """The conversation of a single prompt: the first attempt at every item."""
    return [Turn(role="user", content=user)]
