"""The run report: one self-contained HTML page built from stored results.

Reads results/<run-id>/config.json, summary.json and items.jsonl (the models in
orchestrator.bench.records and orchestrator.bench.stats.models) of one run or several
and writes a page with a header, the paper-style statistics table, matplotlib charts and a
gallery of one card per item. Images are data: URIs and the stylesheet and script are
inline; a Content-Security-Policy allows nothing else, so the page opens offline from disk
and model output shown in it can neither load anything nor run script.

    python -m orchestrator.bench.report RUN_DIR [RUN_DIR ...] [--out FILE]

load reads a run, images and charts make the embedded PNGs, highlight the code and diffs,
view builds what the templates show (attempts: a self-debugged item's rounds), render
fills in the templates and __main__ is the command line.
"""

from orchestrator.bench.report.errors import ReportError
from orchestrator.bench.report.render import write_report

__all__ = ["ReportError", "write_report"]
