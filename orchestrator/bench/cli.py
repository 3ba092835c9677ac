"""`python -m orchestrator.bench`: run, re-judge, summarise and compare benchmark runs.

Settings come from the environment under the names `make bench` passes on (MODEL=,
DATASET=, LIMIT=, ...; see README). Every user error (errors.py) ends the program with
exit code 2 and one message saying what to change, without a traceback unless PPB_DEBUG=1;
finished items are kept.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from judge.client import JudgeClientError
from orchestrator.bench.compare import compare
from orchestrator.bench.data.descriptors import DescriptorError
from orchestrator.bench.errors import RunStopped
from orchestrator.bench.finish import finish
from orchestrator.bench.models.local.errors import LocalModelError
from orchestrator.bench.models.providers import ModelError
from orchestrator.bench.progress import console
from orchestrator.bench.rejudge import rejudge
from orchestrator.bench.results_store import ResultsStore
from orchestrator.bench.run import run_bench
from orchestrator.bench.settings import BenchSettings
from orchestrator.client.executor_client import ExecutorClientError
from orchestrator.client.local_executor import LocalExecutorError

# Raised outside the bench's own tree (errors.py) but the user's to fix all the same.
USER_ERRORS_ELSEWHERE = (
    DescriptorError,
    ModelError,
    LocalModelError,
    LocalExecutorError,
    ExecutorClientError,
    JudgeClientError,
)


def run_stopping(exc: BaseException) -> BaseException | None:
    """The user's error that stopped the run, found inside the pipeline's ExceptionGroups."""
    if isinstance(exc, (RunStopped, *USER_ERRORS_ELSEWHERE)):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            if (found := run_stopping(inner)) is not None:
                return found
    return None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m orchestrator.bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run (or resume) the benchmark with settings from the env")
    run.add_argument(
        "--retry-failed",
        action="store_true",
        help="also retry the items whose outcome is `failed` (they are kept by default)",
    )
    again = sub.add_parser("rejudge", help="judge a run's stored plots again (JUDGE_URL)")
    again.add_argument("run_dir", type=Path)
    stats = sub.add_parser("stats", help="recompute summary.json, table and report of a run")
    stats.add_argument("run_dir", type=Path)
    side_by_side = sub.add_parser("compare", help="several runs side by side (Tables I-III)")
    side_by_side.add_argument("run_dirs", type=Path, nargs="+")
    side_by_side.add_argument(
        "--allow-mixed",
        action="store_true",
        help="compare runs whose protocol, instructions or dataset differ, saying how",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "run":
            asyncio.run(run_bench(BenchSettings(), retry_failed=args.retry_failed))
        elif args.command == "rejudge":
            asyncio.run(rejudge(args.run_dir, BenchSettings()))
        elif args.command == "stats":
            finish(ResultsStore(args.run_dir))
        else:
            compare(args.run_dirs, allow_mixed=args.allow_mixed)
    except ValidationError as exc:
        console.print(f"[red]invalid setting:[/] {exc}")
        return 2
    except Exception as exc:
        stopped = run_stopping(exc)
        if stopped is None:
            raise
        if os.environ.get("PPB_DEBUG") == "1":
            traceback.print_exception(exc)
        console.print(f"[red]error:[/] {stopped}")
        return 2
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; finished items are saved, run again to resume")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
