"""What the templates show: a section per run with its notices, charts and item cards."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from orchestrator.bench.records import ExecStatus, ItemOutcome, ItemRecord, RunConfig
from orchestrator.bench.report.attempts import AttemptView, attempt_views
from orchestrator.bench.report.charts import Chart, outcome_chart, score_histograms, time_chart
from orchestrator.bench.report.highlight import python_html
from orchestrator.bench.report.images import ImageView, embed_png
from orchestrator.bench.report.load import RunResults, is_done
from orchestrator.bench.stats.items import ItemScore, item_score

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Card:
    record: ItemRecord
    order: int
    generated: list[ImageView]
    references: list[ImageView]
    code_html: Markup
    attempts: list[AttemptView]  # with self-debug: every attempt, the final one last
    traceback: str
    visual: ItemScore | None  # None unless the outcome is `done`: no scores
    task: ItemScore | None
    failed: bool
    unjudged: bool


@dataclass(frozen=True)
class RunSection:
    run: RunResults
    label: str
    anchor: str
    notices: list[str]
    charts: list[Chart]
    cards: list[Card]
    done: int
    infra_errors: int
    failed: int  # outcome `failed`: not the model's, not retried
    planned: int


def build_card(record: ItemRecord, order: int, *, judged: bool) -> Card:
    generated = [
        embed_png(png, f"generated image {n}" if len(record.images) > 1 else "generated image")
        for n, png in enumerate(record.images, start=1)
    ]
    references = [
        embed_png(png, f"ground truth {n}" if len(record.reference_images) > 1 else "ground truth")
        for n, png in enumerate(record.reference_images, start=1)
    ]
    execution = record.execution
    done = is_done(record)
    visual = item_score(record, "visual", judged=judged) if done else None
    task = item_score(record, "task", judged=judged) if done else None
    return Card(
        record=record,
        order=order,
        generated=generated,
        references=references,
        code_html=python_html(record.code),
        attempts=attempt_views(record),
        traceback=_ANSI_ESCAPE.sub("", execution.traceback) if execution else "",
        visual=visual,
        task=task,
        failed=done
        and (not record.images or execution is None or execution.status is not ExecStatus.OK),
        unjudged=any(score.state != "scored" for score in (visual, task) if score),
    )


def _notices(run: RunResults, done: int, planned: int) -> list[str]:
    notices = []
    if run.summary is None:
        notices.append(
            f"summary.json is missing in {run.run_dir}: there are no statistics for this run "
            "(the run has not finished, or its summary was not computed). The charts and "
            "cards below come from items.jsonl."
        )
    elif run.summary.stats.items != done:
        notices.append(
            f"summary.json counts {run.summary.stats.items} items but items.jsonl has {done} "
            "finished items: the statistics are out of date; recompute the summary."
        )
    if not run.judged:
        notices.append("This run was not judged: no judge was configured, so there are no scores.")
    if len(run.records) < planned:
        notices.append(
            f"The run is incomplete: {len(run.records)} of {planned} planned items "
            "(item ids x repeats) have a record."
        )
    if run.superseded:
        notices.append(
            f"{run.superseded} earlier record(s) in items.jsonl were replaced by a later "
            "record of the same item (a resumed run retries items); only the latest is shown."
        )
    return notices


def run_labels(configs: Sequence[RunConfig]) -> list[str]:
    """Names runs by what differs between them (model, library, descriptor, task variant)."""
    fields = ("model", "library", "descriptor", "task_variant")
    differing = [f for f in fields if len({getattr(c, f) for c in configs}) > 1]
    if len(configs) == 1:
        differing = ["model"]
    if not differing:
        return [c.run_id for c in configs]
    return [" / ".join(str(getattr(c, f)) for f in differing) for c in configs]


def build_section(run: RunResults, label: str, index: int) -> RunSection:
    done = sum(map(is_done, run.records))
    planned = len(run.config.item_ids) * run.config.repeats
    return RunSection(
        run=run,
        label=label,
        anchor=f"run-{index}",
        notices=_notices(run, done, planned),
        charts=[score_histograms([run], [label]), outcome_chart([run], [label]), time_chart(run)],
        cards=[
            build_card(record, order, judged=run.judged) for order, record in enumerate(run.records)
        ],
        done=done,
        infra_errors=sum(r.outcome is ItemOutcome.INFRA_ERROR for r in run.records),
        failed=sum(r.outcome is ItemOutcome.FAILED for r in run.records),
        planned=planned,
    )
