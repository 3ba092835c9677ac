"""Synthetic benchmark runs on disk, shaped like results/<run-id>/, for the report tests."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from orchestrator.bench.records import (
    Attempt,
    ExecStatus,
    Execution,
    ItemOutcome,
    ItemRecord,
    Judgement,
    Prompt,
    RunConfig,
    TaskText,
    Timings,
)
from orchestrator.bench.stats.summary import build_summary

HOSTILE_SCRIPT = "</script><script>window.__pwned = 1</script>"
HOSTILE_IMG = '<img src=x onerror="window.__pwned = 2">'
HOSTILE = f"{HOSTILE_SCRIPT} {HOSTILE_IMG} & \"quotes\" 'single' {{{{ jinja }}}}"
ANSI_TRACEBACK = "\x1b[0;31mValueError\x1b[0m: x and y must have same first dimension"


def _line(ax: Axes, rng: np.random.Generator) -> None:
    x = np.linspace(0, 10, 200)
    for k in range(3):
        ax.plot(x, np.sin(x + k) + rng.normal(0, 0.1, x.size), label=f"series {k}")
    ax.legend()


def _scatter(ax: Axes, rng: np.random.Generator) -> None:
    ax.scatter(rng.normal(size=800), rng.normal(size=800), c=rng.random(800), alpha=0.6)


def _bars(ax: Axes, rng: np.random.Generator) -> None:
    ax.bar([f"group {k}" for k in range(8)], rng.integers(5, 50, 8), color="tab:green")


def _histogram(ax: Axes, rng: np.random.Generator) -> None:
    ax.hist(rng.normal(size=3000), bins=40, edgecolor="black")


def _heatmap(ax: Axes, rng: np.random.Generator) -> None:
    image = ax.imshow(rng.random((20, 30)), cmap="viridis")
    figure = ax.get_figure()
    assert figure is not None
    figure.colorbar(image, ax=ax)


def _pie(ax: Axes, rng: np.random.Generator) -> None:
    ax.pie(rng.integers(1, 10, 5), labels=list("ABCDE"), autopct="%1.1f%%")


PLOT_KINDS: tuple[Callable[[Axes, np.random.Generator], None], ...] = (
    _line,
    _scatter,
    _bars,
    _histogram,
    _heatmap,
    _pie,
)


@cache
def realistic_png(kind: int) -> str:
    """A base64 PNG like the sandbox returns: default figure size and dpi, tight bbox."""
    rng = np.random.default_rng(kind)
    fig = Figure()
    ax = fig.subplots()
    PLOT_KINDS[kind % len(PLOT_KINDS)](ax, rng)
    ax.set_title(f"Synthetic plot {kind}")
    out = io.BytesIO()
    fig.savefig(out, format="png", bbox_inches="tight")
    return base64.b64encode(out.getvalue()).decode("ascii")


def small_png() -> str:
    """A PNG narrower than a thumbnail, so it is embedded once as is."""
    fig = Figure(figsize=(2, 1.5))
    fig.subplots().plot([0, 1, 2], [1, 0, 1])
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=100)
    return base64.b64encode(out.getvalue()).decode("ascii")


def config(run_id: str, item_ids: Sequence[int], model: str = "model-a") -> RunConfig:
    return RunConfig(
        run_id=run_id,
        model=model,
        provider_model=f"provider/{model}",
        library="matplotlib",
        descriptor="head",
        task_variant="full",
        dataset="../shared/pandasplotbench",
        item_ids=list(item_ids),
        judge="judge-model",
        started_at="2025-01-01T12:00:00Z",
    )


def _judgement(score: int | None) -> Judgement:
    if score is None:
        return Judgement(reason="not judged: no plot")
    return Judgement(score=score, raw=f"Looks close. FINAL SCORE: [{score}]", judge="judge-model")


def record(
    cfg: RunConfig,
    item_id: int,
    *,
    images: Sequence[str] = (),
    references: Sequence[str] = (),
    status: ExecStatus | None = ExecStatus.OK,
    scores: tuple[int | None, int | None] = (None, None),
    text: str = "",
    **fields: object,
) -> ItemRecord:
    visual, task = scores
    used = text or f"Plot item {item_id} as a line chart of the monthly totals."
    values: dict[str, object] = {
        "run_id": cfg.run_id,
        "item_id": item_id,
        "outcome": ItemOutcome.DONE,
        "model": cfg.model,
        "provider_model": cfg.provider_model,
        "library": cfg.library,
        "descriptor": cfg.descriptor,
        "task_variant": cfg.task_variant,
        "task": TaskText(
            plot_description=f"Original description of item {item_id}. {text}",
            plot_style="Use a clean style.",
            used=used,
        ),
        "prompt": Prompt(system="You write plotting code.", user=used),
        "response": f"```python\nimport matplotlib.pyplot as plt\nplt.plot([{item_id}, 2])\n```",
        "code": f"import matplotlib.pyplot as plt\nplt.plot([{item_id}, 2])\n",
        "execution": None if status is None else Execution(status=status, duration_s=1.25),
        "images": list(images),
        "reference_images": list(references),
        "visual": _judgement(visual),
        "task_score": _judgement(task),
        "timings": Timings(generation_s=2.0 + item_id, execution_s=1.25, judging_s=3.0),
        "finished_at": "2025-01-01T12:05:00Z",
    }
    values.update(fields)
    return ItemRecord.model_validate(values)


def write_run(
    results: Path,
    cfg: RunConfig,
    records: Sequence[ItemRecord],
    *,
    with_summary: bool = True,
    extra_lines: Sequence[ItemRecord] = (),
) -> Path:
    """Writes results/<run-id>/; `extra_lines` go first, as earlier tries a resume replaced."""
    run_dir = results / cfg.run_id
    run_dir.mkdir(parents=True)
    (run_dir / "config.json").write_text(cfg.model_dump_json(indent=2))
    lines = [r.model_dump_json() for r in (*extra_lines, *records)]
    (run_dir / "items.jsonl").write_text("\n".join(lines) + "\n")
    if with_summary:
        summary = build_summary(cfg, records)
        (run_dir / "summary.json").write_text(summary.model_dump_json(indent=2))
    return run_dir


def write_fixture_run(results: Path, cfg: RunConfig, records: Sequence[ItemRecord]) -> Path:
    """The fixture run; item 0 also has an earlier infra-error line that a resume replaced."""
    earlier = record(cfg, 0, status=None, outcome="infra_error", infra_error="judge timed out")
    return write_run(results, cfg, records, extra_lines=[earlier])


def hostile_record(cfg: RunConfig, item_id: int) -> ItemRecord:
    """Model output and judge replies that try to inject markup or script everywhere."""
    return record(
        cfg,
        item_id,
        images=[realistic_png(4)],
        references=[realistic_png(5)],
        text=HOSTILE,
        response=HOSTILE,
        code=f"# {HOSTILE}\ntitle = '{HOSTILE_SCRIPT}'\n",
        execution=Execution(
            status=ExecStatus.OK, stdout=HOSTILE, stderr=HOSTILE, ename=HOSTILE, evalue=HOSTILE
        ),
        visual=Judgement(score=10, raw=HOSTILE, judge=HOSTILE, reason=HOSTILE),
        task_score=Judgement(score=15, raw=HOSTILE, judge="judge-model"),
        infra_error=HOSTILE,
    )


def fixture_records(cfg: RunConfig) -> list[ItemRecord]:
    """Six items covering every kind of card: ok, failed, wrong library without ground
    truth, hostile text everywhere, infrastructure error, unparsed score with a broken PNG."""
    png = realistic_png
    return [
        record(cfg, 0, images=[png(0)], references=[png(1)], scores=(85, 90)),
        record(
            cfg,
            1,
            references=[png(2)],
            execution=Execution(
                status=ExecStatus.ERROR,
                ename="ValueError",
                evalue="x and y must have same first dimension",
                traceback=ANSI_TRACEBACK,
                duration_s=0.5,
            ),
        ),
        record(
            cfg,
            2,
            images=[png(3), small_png()],
            scores=(30, 20),
            wrong_library=True,
        ),
        hostile_record(cfg, 3),
        record(
            cfg,
            4,
            status=None,
            outcome=ItemOutcome.INFRA_ERROR,
            infra_error="executor unreachable: connection refused",
        ),
        record(
            cfg,
            5,
            images=["bm90IGEgcG5n"],  # base64 of "not a png"
            references=[png(0)],
            scores=(None, 70),
            visual=Judgement(
                raw="The plots look alike; I would call it good.", judge="judge-model"
            ),
        ),
    ]


TYPICAL_CODE = "\n".join(
    [
        "import matplotlib.pyplot as plt",
        "import pandas as pd",
        "",
        "fig, ax = plt.subplots(figsize=(10, 6))",
        *(
            f"ax.plot(df['x'], df['series_{k}'], label='series {k}', linewidth=1.5)"
            for k in range(8)
        ),
        "ax.set_title('Monthly totals by series')",
        "ax.set_xlabel('Month')",
        "ax.set_ylabel('Total')",
        "ax.grid(True, linestyle='--', alpha=0.5)",
        "ax.legend(loc='upper left', ncol=2)",
        "plt.tight_layout()",
        "plt.show()",
    ]
)
TYPICAL_TASK = (
    "Create a line chart of the monthly totals for each series in the DataFrame, with one "
    "line per series, a legend in the upper left, axis labels for month and total, and a "
    "light dashed grid. " * 4
)
DISTINCT_PLOTS = 24


def typical_records(cfg: RunConfig) -> list[ItemRecord]:
    """A run as a real one looks: every item has a ground-truth plot; about one in ten
    fails to run, a few draw two figures; tasks, code and judge replies of typical length."""
    records = []
    for item_id in cfg.item_ids:
        failed = item_id % 10 == 7
        images = [] if failed else [realistic_png(item_id % DISTINCT_PLOTS)]
        if item_id % 20 == 3:
            images.append(realistic_png((item_id + 5) % DISTINCT_PLOTS))
        score = (item_id * 37) % 101
        records.append(
            record(
                cfg,
                item_id,
                images=images,
                references=[realistic_png((item_id + 1) % DISTINCT_PLOTS)],
                scores=(None, None) if failed else (score, (score + 20) % 101),
                text=TYPICAL_TASK,
                code=TYPICAL_CODE,
                response=f"Here is the code.\n```python\n{TYPICAL_CODE}\n```\nIt plots the data.",
                execution=Execution(
                    status=ExecStatus.ERROR if failed else ExecStatus.OK,
                    ename="KeyError" if failed else None,
                    evalue="'series_7'" if failed else None,
                    traceback="Traceback (most recent call last):\n  ...\nKeyError: 'series_7'"
                    if failed
                    else "",
                    duration_s=1.5,
                ),
            )
        )
    return records


DEBUG_CODE = (
    "import matplotlib.pyplot as plt\nx = [1, 2, 3]\nplt.plot(x, [1, 2])\n",
    "import matplotlib.pyplot as plt\nx = [1, 2]\nplt.plot(x, [1, 2])\nplt.close()\n",
    "import matplotlib.pyplot as plt\nx = [1, 2]\nplt.plot(x, [1, 2])\n",
)
DEBUG_ERROR = "ValueError: x and y must have same first dimension, but have shapes (3,) and (2,)"


def debugged_records(cfg: RunConfig) -> list[ItemRecord]:
    """A self-debug run: item 0 errs, then draws nothing, then is fixed in round 2; item 1
    errs twice with the same code and its debugging stops early; item 2 passes at once."""
    png = realistic_png
    error = Execution(status=ExecStatus.ERROR, ename="ValueError", evalue=DEBUG_ERROR[12:])
    first = Attempt(
        code=DEBUG_CODE[0], execution=error, images=[png(2)], feedback=f"{DEBUG_ERROR}\n"
    )
    no_plot = Attempt(
        round=1,
        code=DEBUG_CODE[1],
        execution=Execution(status=ExecStatus.OK),
        feedback="The code ran without an error but produced no plot.",
    )
    key_error = Execution(status=ExecStatus.ERROR, ename="KeyError", evalue="'month'")
    return [
        record(
            cfg,
            0,
            images=[png(0)],
            references=[png(1)],
            scores=(80, 90),
            round=2,
            code=DEBUG_CODE[2],
            attempts=[first, no_plot],
        ),
        record(
            cfg,
            1,
            references=[png(1)],
            round=1,
            code=DEBUG_CODE[0],
            execution=key_error,
            attempts=[first],
            debug_stopped="the endpoint refused the longer conversation",
        ),
        record(cfg, 2, images=[png(3)], references=[png(3)], scores=(70, 60)),
    ]
