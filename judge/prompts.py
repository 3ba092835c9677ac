"""The judge protocol: what the judge model is asked, and how its reply becomes a score.

Visual mode sends the instruction, then the generated plot, then the ground truth. Task mode
sends the instruction, a ``[PLOT TASK]:`` line and the task text (original plot description
and plot style), then every generated image. The default instructions below are our own
wording of the paper's protocol; ``INSTRUCTS=<file>`` swaps in the paper's exact text.

Difference from the reference code: it builds the task prompt inside its loop over items by
appending to the previous item's prompt, so each request also carries every earlier item's
task. Here each task request carries only its own task.

An INSTRUCTS file's ``system_prompt`` (the reference's generation system prompt, which it also
sends to the judge model) becomes the judge's system message; the defaults have none.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from judge.api import JudgementRequest
from judge.cache import canonical_sha256
from judge.errors import ConfigError

SCORE_MIN, SCORE_MAX = 0, 100
FINAL_SCORE_TOKEN = "[FINAL SCORE]"  # noqa: S105  (a prompt marker, not a secret)
PLOT_TASK_TOKEN = "[PLOT TASK]"  # noqa: S105

_REPLY_FORMAT = (
    "Write nothing but the final score: the token [FINAL SCORE] followed by an integer "
    "from 0 to 100, for example\n[FINAL SCORE]: 65"
)

DEFAULT_VISUAL = (
    "You judge plots drawn by code that a model wrote. You get two images.\n"
    "The first image is the generated plot. The second image is the ground-truth plot the "
    "user wanted; it scores 100.\n"
    "Rate the first image from 0 to 100 by how closely it resembles the ground truth: the "
    "same kind of chart showing the same data, with comparable axes, labels and layout. "
    "What counts is whether it conveys the main idea of the ground truth. Ignore colours: "
    "the same content drawn in other colours matches. A blank or almost blank plot scores 0.\n"
    "Score only the first image; the second one is the reference.\n" + _REPLY_FORMAT
)

DEFAULT_TASK = (
    "You judge plots drawn by code that a model wrote for a plotting task. The images show "
    "the generated plot.\n"
    "Rate from 0 to 100 how well the plot carries out the task, which is given after the "
    "[PLOT TASK] token below: the requested kind of chart, the requested data, and the "
    "requested styling. A blank or almost blank plot scores 0.\n" + _REPLY_FORMAT
)

# ASCII whitespace and at most 4 digits: what int() accepts, far below its digit limit.
_WHOLE_INTEGER = re.compile(r"[ \t\n\r\f\v]*[+-]?[0-9]{1,4}[ \t\n\r\f\v]*")
_AFTER_FINAL_SCORE = re.compile(re.escape(FINAL_SCORE_TOKEN) + r":? ?([0-9]{1,4})(?![0-9])")


@dataclass(frozen=True)
class Instructions:
    visual: str
    task: str
    source: str  # "default", or the INSTRUCTS file they came from
    sha256: str  # of the INSTRUCTS file's bytes, or of the defaults' canonical JSON
    system: str | None = None  # the judge model's system message


_DEFAULT_TEXTS = {"judge_instruct_vis": DEFAULT_VISUAL, "judge_instruct_task": DEFAULT_TASK}
DEFAULT_INSTRUCTIONS = Instructions(
    visual=DEFAULT_VISUAL,
    task=DEFAULT_TASK,
    source="default",
    sha256=canonical_sha256(_DEFAULT_TEXTS),
)


def load_instructions(path: Path | None) -> Instructions:
    """The default instructions, or those of an upstream-format JSON file.

    The file needs string keys ``judge_instruct_vis`` and ``judge_instruct_task``, and may
    have ``system_prompt``; other keys (the generation prompts) are ignored.
    """
    if path is None:
        return DEFAULT_INSTRUCTIONS
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"INSTRUCTS={path}: cannot read the file ({exc.strerror})") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"INSTRUCTS={path}: not a UTF-8 JSON file ({exc})") from exc
    if not isinstance(data, dict):
        data = {}

    def text(key: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f"INSTRUCTS={path}: needs a non-empty string under {key!r} "
                "(the upstream instructs.json format)"
            )
        return value

    return Instructions(
        visual=text("judge_instruct_vis"),
        task=text("judge_instruct_task"),
        source=str(path),
        sha256=hashlib.sha256(raw).hexdigest(),
        system=None if data.get("system_prompt") is None else text("system_prompt"),
    )


def build_prompt(instructions: Instructions, request: JudgementRequest) -> str:
    """Visual: the instruction alone. Task: the instruction, ``[PLOT TASK]:``, the task."""
    if request.mode == "visual":
        return instructions.visual
    return "\n".join([instructions.task, f"{PLOT_TASK_TOKEN}:", request.task or ""])


def parse_score(reply: str) -> int | None:
    """The score in a judge reply, or None.

    The whole reply as an integer, else the number after the last ``[FINAL SCORE]`` that
    has one (an optional colon, then an optional single space). A number outside 0-100 is
    not a score on the protocol's scale, so it gives None rather than being clamped; the
    raw reply is kept by the caller either way.
    """
    if _WHOLE_INTEGER.fullmatch(reply):
        value = int(reply)
    else:
        numbers = _AFTER_FINAL_SCORE.findall(reply)
        if not numbers:
            return None
        value = int(numbers[-1])
    return value if SCORE_MIN <= value <= SCORE_MAX else None
