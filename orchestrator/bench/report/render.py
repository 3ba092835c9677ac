"""The page itself: the jinja2 templates filled in, with a Content-Security-Policy that
allows only the page's own inline stylesheet and script."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from pathlib import Path

import jinja2
import matplotlib
from markupsafe import Markup

from orchestrator.bench.report.charts import comparison_chart, outcome_chart, score_histograms
from orchestrator.bench.report.errors import ReportError
from orchestrator.bench.report.highlight import HIGHLIGHT_CSS
from orchestrator.bench.report.load import RunResults, load_run
from orchestrator.bench.report.view import build_section, run_labels
from orchestrator.bench.stats.self_debug_tables import pass_header

TEMPLATES_DIR = Path(__file__).with_name("templates")


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
    env.filters["pass_header"] = pass_header
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
    style = (TEMPLATES_DIR / "report.css").read_text() + HIGHLIGHT_CSS
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
