"""`python -m orchestrator.bench.report RUN_DIR [RUN_DIR ...] [--out FILE]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from orchestrator.bench.report.errors import ReportError
from orchestrator.bench.report.render import write_report

DEFAULT_NAME = "report.html"


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


if __name__ == "__main__":
    sys.exit(main())
