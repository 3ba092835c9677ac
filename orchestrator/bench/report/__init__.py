"""The run report: one self-contained HTML page built from stored results.

Reads results/<run-id>/config.json, summary.json and items.jsonl (the models in
orchestrator.bench.records and orchestrator.bench.stats.models) of one run or several
and writes a page with a header, the paper-style statistics table, matplotlib charts and a
gallery of one card per item. Images are data: URIs and the stylesheet and script are
inline; a Content-Security-Policy allows nothing else, so the page opens offline from disk
and model output shown in it can neither load anything nor run script.

    python -m orchestrator.bench.report RUN_DIR [RUN_DIR ...] [--out FILE]
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import io
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

import jinja2
import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PIL import Image
from pydantic import ValidationError
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from orchestrator.bench.records import ExecStatus, ItemOutcome, ItemRecord, RunConfig
from orchestrator.bench.results_store import ResultsError, ResultsStore
from orchestrator.bench.stats.models import Summary
from orchestrator.bench.stats.summary import ItemScore, ScoreKind, final_records, item_score
from orchestrator.common.pngcheck import InvalidPng, validate_png


class ReportError(Exception):
    """The report cannot be built; the message says what to fix."""


class MissingResults(ReportError):
    """A run directory lacks a file the report cannot do without."""


class InvalidResults(ReportError):
    """A stored results file does not parse as its model, or files of one run disagree."""


THUMB_MAX_SIZE = (320, 640)  # width, height in px; larger images open full size on click
THUMB_COLORS = 128
CHART_DPI = 100
SCORE_BINS = list(range(0, 101, 10))
TEMPLATES_DIR = Path(__file__).with_name("templates")
DEFAULT_NAME = "report.html"
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_HIGHLIGHT = HtmlFormatter(cssclass="highlight")
_HIGHLIGHT_CSS: str = _HIGHLIGHT.get_style_defs(".highlight")  # type: ignore[no-untyped-call]


# --- loading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunResults:
    run_dir: Path
    config: RunConfig
    summary: Summary | None  # None: summary.json has not been written (yet)
    records: list[ItemRecord]  # the last record of each (item, repeat), by item id and repeat
    superseded: int  # earlier records of an (item, repeat) replaced by a later line

    @property
    def judged(self) -> bool:
        return self.config.judge is not None

    def scores(self, kind: ScoreKind) -> list[int]:
        """The scores that count in the statistics, by the rules of orchestrator.bench.stats."""
        states = [item_score(r, kind, judged=self.judged) for r in self.records if _done(r)]
        return [s.value for s in states if s.state == "scored" and s.value is not None]


def _read_summary(path: Path) -> Summary | None:
    if not path.is_file():
        return None
    try:
        return Summary.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise InvalidResults(f"{path} is not a valid Summary: {exc}") from exc


def load_run(run_dir: Path) -> RunResults:
    """Reads one run's stored results; raises ReportError saying what is missing or wrong."""
    if not run_dir.is_dir():
        raise MissingResults(f"{run_dir} is not a directory: give a run's folder, results/<run-id>")
    store = ResultsStore(run_dir)
    if not store.items_path.is_file():
        raise MissingResults(
            f"{store.items_path} is missing: {run_dir} is not a benchmark run folder, or its "
            "run stopped before finishing any item"
        )
    try:
        config = store.read_config()
        stored = store.load()
    except ResultsError as exc:
        raise InvalidResults(f"{exc} (fix or delete it, then rebuild the report)") from exc
    summary = _read_summary(store.summary_path)
    if summary is not None and summary.run_id != config.run_id:
        raise InvalidResults(
            f"{store.summary_path} belongs to run {summary.run_id!r} but config.json to "
            f"{config.run_id!r}: the folder mixes two runs"
        )
    records = sorted(final_records(stored), key=lambda r: (r.item_id, r.repeat))
    return RunResults(run_dir, config, summary, records, len(stored) - len(records))


# --- images -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageView:
    caption: str
    thumb: str | None  # data: URI shown in the card
    full: str | None  # data: URI opened on click; None when the thumbnail is the full image
    size: str  # "640x480"
    problem: str | None  # why the image cannot be shown


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def embed_png(encoded: str, caption: str) -> ImageView:
    """A stored base64 PNG as a thumbnail plus, when it was downscaled, the full image."""
    try:
        png = base64.b64decode(encoded, validate=True)
        info = validate_png(png)
    except (binascii.Error, InvalidPng) as exc:
        return ImageView(caption, None, None, "", f"{caption} cannot be shown: {exc}")
    size = f"{info.width}x{info.height}"
    if info.width <= THUMB_MAX_SIZE[0] and info.height <= THUMB_MAX_SIZE[1]:
        return ImageView(caption, _data_uri(png), None, size, None)
    with Image.open(io.BytesIO(png)) as image:
        thumb = image.convert("RGBA")
    thumb.thumbnail(THUMB_MAX_SIZE, Image.Resampling.LANCZOS)
    # A palette keeps plot thumbnails about a quarter the size of full-colour PNGs.
    palette = thumb.quantize(THUMB_COLORS, Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return ImageView(caption, _data_uri(out.getvalue()), _data_uri(png), size, None)


# --- charts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    title: str
    uri: str  # data: URI of a PNG


def _figure_uri(fig: Figure) -> str:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=CHART_DPI, bbox_inches="tight")
    return _data_uri(out.getvalue())


def _done(record: ItemRecord) -> bool:
    return record.outcome is ItemOutcome.DONE


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
)


def outcome_counts(run: RunResults) -> dict[str, int]:
    """Counts per OUTCOME_CATEGORIES; infra-error records count only as infra errors."""
    counts = Counter[str]()
    for record in run.records:
        if record.outcome is ItemOutcome.INFRA_ERROR:
            counts["infra error"] += 1
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


# --- page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    record: ItemRecord
    order: int
    generated: list[ImageView]
    references: list[ImageView]
    code_html: Markup
    traceback: str
    visual: ItemScore | None  # None for an infrastructure error: it has no scores
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
    planned: int


def _highlighted(code: str) -> Markup:
    # Pygments escapes the code it highlights.
    return Markup(highlight(code, PythonLexer(), _HIGHLIGHT) if code else "")  # noqa: S704


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
    done = _done(record)
    visual = item_score(record, "visual", judged=judged) if done else None
    task = item_score(record, "task", judged=judged) if done else None
    return Card(
        record=record,
        order=order,
        generated=generated,
        references=references,
        code_html=_highlighted(record.code),
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
    done = sum(map(_done, run.records))
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
        infra_errors=len(run.records) - done,
        planned=planned,
    )


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = _number
    return env


def render_report(runs: Sequence[RunResults]) -> str:
    if not runs:
        raise ReportError("no runs given: name at least one results/<run-id> folder")
    labels = run_labels([run.config for run in runs])
    # Labels go into matplotlib text: "$" must stay a dollar sign, not start mathtext.
    with matplotlib.rc_context({"text.parse_math": False}):
        sections = [
            build_section(run, label, i)
            for i, (run, label) in enumerate(zip(runs, labels, strict=True))
        ]
        comparison = []
        if len(runs) > 1:
            if sum(run.summary is not None for run in runs) > 1:
                comparison.append(comparison_chart(runs, labels))
            comparison += [score_histograms(runs, labels), outcome_chart(runs, labels)]
    style = (TEMPLATES_DIR / "report.css").read_text() + _HIGHLIGHT_CSS
    script = (TEMPLATES_DIR / "report.js").read_text()
    csp = (
        "default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'; "
        f"style-src {_csp_hash(style)}; script-src {_csp_hash(script)}"
    )
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            sections=sections,
            comparison=comparison,
            csp=csp,
            style=Markup(style),  # noqa: S704 (the report's own files)
            script=Markup(script),  # noqa: S704
        )
    )


def write_report(run_dirs: list[Path], out: Path) -> Path:
    """Builds the report of one run or several and writes it to `out`; returns `out`."""
    html = render_report([load_run(run_dir) for run_dir in run_dirs])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out


def default_out(run_dirs: Sequence[Path]) -> Path:
    """<run>/report.html for one run; <results>/compare-<id>+<id>...html for several."""
    if len(run_dirs) == 1:
        return run_dirs[0] / DEFAULT_NAME
    name = "compare-" + "+".join(d.resolve().name for d in run_dirs) + ".html"
    if len(name) > 200:
        raise ReportError(f"{len(run_dirs)} runs make too long a file name: give --out FILE")
    return run_dirs[0].resolve().parent / name


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestrator.bench.report",
        description="Build the self-contained HTML report of one benchmark run or several.",
    )
    parser.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR", help="results/<id>")
    parser.add_argument(
        "--out",
        type=Path,
        help="output file (default: RUN_DIR/report.html for one run, "
        "<results>/compare-<ids>.html for several)",
    )
    args = parser.parse_args(argv)
    try:
        out = write_report(args.run_dirs, args.out or default_out(args.run_dirs))
    except ReportError as exc:
        print(f"report: error: {exc}", file=sys.stderr)
        return 2
    for run_dir in args.run_dirs:
        if not (run_dir / "summary.json").is_file():
            print(f"report: warning: {run_dir}/summary.json is missing", file=sys.stderr)
    print(out)
    return 0
