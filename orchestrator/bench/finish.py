"""What closes a run: its summary, the closing table and the report, from what is stored."""

from __future__ import annotations

from pathlib import Path

from orchestrator.bench.progress import console, output_console
from orchestrator.bench.records import ItemOutcome
from orchestrator.bench.report.render import write_report
from orchestrator.bench.results_store import ResultsStore
from orchestrator.bench.stats.summary import build_summary
from orchestrator.bench.stats.tables import run_table


def finish(store: ResultsStore) -> Path:
    """Summary, closing table and report from what is stored."""
    records = store.load()
    config = store.read_config()
    summary = build_summary(config, records)
    store.write_summary(summary)
    output_console().print(run_table(summary))
    infra = sum(r.outcome == ItemOutcome.INFRA_ERROR for r in records)
    if infra:
        console.print(
            f"[yellow]{infra} item(s) hit infrastructure errors; run the same command "
            "again to retry them"
        )
    if summary.stats.failed:
        console.print(
            f"[yellow]{summary.stats.failed} item(s) failed, neither the model's fault nor "
            "retryable (listed above); `run --retry-failed` (make bench RETRY_FAILED=1) "
            "retries them"
        )
    if config.judge is None:
        console.print(
            "[yellow]not judged (no JUDGE_URL): start a judge (README, Judging), then "
            f"`python -m orchestrator.bench rejudge {store.run_dir}` with JUDGE_URL and "
            "JUDGE_TOKEN set"
        )
    write_report([store.run_dir], store.report_path)
    print(f"summary: {store.summary_path}")
    print(f"report:  {store.report_path}")
    return store.report_path
