"""Which records count, and the state of each score of an item or of one of its attempts.

The rules are the module docstring of orchestrator.bench.stats.summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from orchestrator.bench.records import (
    REFERENCE_PROTOCOLS,
    AttemptResult,
    ItemOutcome,
    ItemRecord,
    Protocol,
)

GOOD_SCORE = 75  # a score at least this is "good"
BAD_SCORE = 25  # at most this, "bad"
ScoreKind = Literal["visual", "task"]
ScoreState = Literal["scored", "unparsed", "not_scored"]


@dataclass(frozen=True)
class ItemScore:
    state: ScoreState
    value: int | None = None
    reason: str = ""  # why the score is 0, unparsed or missing


def item_score(record: ItemRecord, kind: ScoreKind, *, judged: bool) -> ItemScore:
    """The state of one score of one `done` item, by the rules of stats.summary."""
    return attempt_score(record, kind, judged=judged, has_reference=bool(record.reference_images))


def attempt_score(
    attempt: AttemptResult, kind: ScoreKind, *, judged: bool, has_reference: bool
) -> ItemScore:
    """`item_score` of one attempt of an item (has_reference: the item has a reference image)."""
    if kind == "visual" and not has_reference:
        return ItemScore("not_scored", reason="no reference image")
    if not judged:
        return ItemScore("not_scored", reason="not judged")
    if attempt.wrong_library:
        return ItemScore("scored", 0, reason="wrong library")
    if not attempt.images:
        return ItemScore("scored", 0, reason="no plot")
    judgement = attempt.visual if kind == "visual" else attempt.task_score
    if judgement.score is not None:
        return ItemScore("scored", judgement.score)
    if judgement.raw.strip():
        return ItemScore("unparsed", reason="the judge's reply had no score")
    return ItemScore("not_scored", reason=judgement.reason or "not judged")


def final_records(records: Iterable[ItemRecord]) -> list[ItemRecord]:
    """The last record of each (repeat, item): a resumed run appends a retried item again."""
    latest: dict[tuple[int, int], ItemRecord] = {}
    for record in records:
        latest[(record.repeat, record.item_id)] = record
    return list(latest.values())


def done_records(records: Iterable[ItemRecord]) -> list[ItemRecord]:
    """The items in the statistics: the final records whose outcome is `done`."""
    return [r for r in final_records(records) if r.outcome is ItemOutcome.DONE]


def counted_values(scores: Sequence[ItemScore], protocol: Protocol) -> list[int]:
    """The values the reference's figures are over: in the reference protocols every item,
    a missing score as 0; in lenient only the scored ones."""
    # Only a `scored` state has a value (0 for no plot or wrong library).
    if protocol in REFERENCE_PROTOCOLS:
        return [s.value or 0 for s in scores]
    return [s.value for s in scores if s.value is not None]
