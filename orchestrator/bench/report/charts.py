"""The matplotlib charts of a run, and of several runs side by side, as embedded PNGs."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from orchestrator.bench.records import ExecStatus, ItemOutcome, ItemRecord
from orchestrator.bench.report.images import png_data_uri
from orchestrator.bench.report.load import RunResults
from orchestrator.bench.stats.items import ScoreKind
from orchestrator.bench.stats.models import Summary

CHART_DPI = 100
SCORE_BINS = list(range(0, 101, 10))


@dataclass(frozen=True)
class Chart:
    title: str
    uri: str  # data: URI of a PNG


def _figure_uri(fig: Figure) -> str:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=CHART_DPI, bbox_inches="tight")
    return png_data_uri(out.getvalue())


def score_histograms(runs: Sequence[RunResults], labels: Sequence[str]) -> Chart:
    fig = Figure(figsize=(9, 3.2))
    axes = fig.subplots(1, 2, sharey=True)
    kinds: tuple[ScoreKind, ...] = ("visual", "task")
    for ax, kind in zip(axes, kinds, strict=True):
        for run, label in zip(runs, labels, strict=True):
            scores = run.scores(kind)
            ax.hist(
                scores,
                bins=SCORE_BINS,
                histtype="bar" if len(runs) == 1 else "step",
                linewidth=1.5,
                label=f"{label} ({len(scores)} scored)",
            )
        ax.set_title(f"{kind.capitalize()} score")
        ax.set_xlabel("score (0-100)")
        ax.set_xlim(0, 100)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize="small", loc="upper left")
    axes[0].set_ylabel("items")
    return Chart("Score histograms", _figure_uri(fig))


OUTCOME_CATEGORIES = (
    "no plot (incorrect code)",
    *(f"execution: {s.value}" for s in ExecStatus if s is not ExecStatus.OK),
    "wrong library",
    "infra error",
    "failed",
)


def outcome_counts(run: RunResults) -> dict[str, int]:
    """Counts per OUTCOME_CATEGORIES; infra-error and failed records count only as such."""
    counts = Counter[str]()
    for record in run.records:
        if record.outcome is ItemOutcome.INFRA_ERROR:
            counts["infra error"] += 1
            continue
        if record.outcome is ItemOutcome.FAILED:
            counts["failed"] += 1
            continue
        if not record.images:
            counts["no plot (incorrect code)"] += 1
        if record.execution is not None and record.execution.status is not ExecStatus.OK:
            counts[f"execution: {record.execution.status.value}"] += 1
        if record.wrong_library:
            counts["wrong library"] += 1
    return {category: counts[category] for category in OUTCOME_CATEGORIES}


def outcome_chart(runs: Sequence[RunResults], labels: Sequence[str]) -> Chart:
    fig = Figure(figsize=(9, 0.6 + 0.3 * len(OUTCOME_CATEGORIES) * (0.6 + 0.4 * len(runs))))
    ax = fig.subplots()
    height = 0.8 / len(runs)
    for index, (run, label) in enumerate(zip(runs, labels, strict=True)):
        counts = outcome_counts(run)
        positions = [i + index * height for i in range(len(OUTCOME_CATEGORIES))]
        bars = ax.barh(positions, list(counts.values()), height=height, label=label)
        ax.bar_label(bars, padding=2, fontsize="small")
    ax.set_yticks(
        [i + 0.4 - height / 2 for i in range(len(OUTCOME_CATEGORIES))], OUTCOME_CATEGORIES
    )
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("items")
    ax.margins(x=0.1)
    if len(runs) > 1:
        ax.legend(fontsize="small")
    return Chart("Incorrect code, execution failures and wrong library", _figure_uri(fig))


def time_chart(run: RunResults) -> Chart:
    stages = ("generation_s", "execution_s", "judging_s")
    per_item: dict[int, list[ItemRecord]] = defaultdict(list)
    for record in run.records:
        per_item[record.item_id].append(record)
    ids = sorted(per_item)
    fig = Figure(figsize=(9, 3.2))
    ax = fig.subplots()
    bottom = [0.0] * len(ids)
    for stage in stages:
        seconds = [fmean(getattr(r.timings, stage) for r in per_item[i]) for i in ids]
        ax.bar(ids, seconds, bottom=bottom, width=0.85, label=stage.removesuffix("_s"))
        bottom = [b + s for b, s in zip(bottom, seconds, strict=True)]
    ax.set_xlabel("item id")
    ax.set_ylabel("seconds" + (" (mean over repeats)" if run.config.repeats > 1 else ""))
    ax.legend(fontsize="small")
    return Chart("Time per item", _figure_uri(fig))


COMPARED_METRICS = (
    ("incorrect code, %", "incorrect_code_pct"),
    ("visual mean", "visual.mean"),
    ("visual good, %", "visual.good_pct"),
    ("task mean", "task.mean"),
    ("task good, %", "task.good_pct"),
)


def _metric(summary: Summary, dotted: str) -> float | None:
    value: object = summary.stats
    for part in dotted.split("."):
        value = getattr(value, part)
    return value if isinstance(value, int | float) else None


def comparison_chart(runs: Sequence[RunResults], labels: Sequence[str]) -> Chart:
    """Side-by-side bars per run, like the paper's tables; runs without a summary are left out."""
    fig = Figure(figsize=(9, 3.6))
    ax = fig.subplots()
    compared = [(run, label) for run, label in zip(runs, labels, strict=True) if run.summary]
    width = 0.8 / max(1, len(compared))
    for index, (run, label) in enumerate(compared):
        assert run.summary is not None
        values = [_metric(run.summary, key) for _, key in COMPARED_METRICS]
        positions = [i + index * width for i in range(len(COMPARED_METRICS))]
        bars = ax.bar(positions, [v or 0.0 for v in values], width=width, label=label)
        ax.bar_label(bars, ["n/a" if v is None else f"{v:.0f}" for v in values], fontsize="x-small")
    ax.set_xticks(
        [i + 0.4 - width / 2 for i in range(len(COMPARED_METRICS))],
        [name for name, _ in COMPARED_METRICS],
    )
    ax.set_ylim(0, 110)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1, 1))
    return Chart("Runs side by side", _figure_uri(fig))
