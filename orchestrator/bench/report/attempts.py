"""The self-debug attempts of an item as its card shows them: each round's error, code,
images and the change from the round before."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from markupsafe import Markup

from orchestrator.bench.records import Attempt, AttemptResult, ItemRecord
from orchestrator.bench.report.highlight import diff_html, python_html
from orchestrator.bench.report.images import ImageView, embed_png
from orchestrator.bench.self_debug import failed, feedback


@dataclass(frozen=True)
class AttemptView:
    attempt: AttemptResult
    final: bool  # the record's own attempt, the one the statistics use
    error: str | None  # what was sent back, or for the final attempt what went wrong
    # The final attempt's code and images are the card's own: not repeated here.
    code_html: Markup
    images: list[ImageView]
    diff_html: Markup  # from the previous attempt's code; empty for the first or no change


def _error(attempt: AttemptResult) -> str | None:
    if isinstance(attempt, Attempt):
        return attempt.feedback
    if not failed(attempt):
        return None
    execution = attempt.execution
    parts = [] if execution is None else [p for p in (execution.ename, execution.evalue) if p]
    return ": ".join(parts) if parts else feedback(attempt)


def _diff(before: AttemptResult, after: AttemptResult) -> str:
    lines = difflib.unified_diff(
        before.code.splitlines(),
        after.code.splitlines(),
        fromfile=f"round {before.round}",
        tofile=f"round {after.round}",
        lineterm="",
    )
    return "\n".join(lines)


def attempt_views(record: ItemRecord) -> list[AttemptView]:
    """The item's attempts in order, the final one last; none without self-debug."""
    if not record.attempts:
        return []
    attempts: list[AttemptResult] = [*record.attempts, record]
    return [
        AttemptView(
            attempt=attempt,
            final=attempt is record,
            error=_error(attempt),
            code_html=Markup("") if attempt is record else python_html(attempt.code),
            images=[]
            if attempt is record
            else [
                embed_png(png, f"round {attempt.round} image {n}")
                for n, png in enumerate(attempt.images, start=1)
            ],
            diff_html=diff_html(_diff(previous, attempt)) if previous else Markup(""),
        )
        for previous, attempt in zip([None, *attempts], attempts, strict=False)
    ]
