"""`python -m orchestrator.bench`: run, re-judge, summarise and compare benchmark runs.

Settings come from the environment under the names `make bench` passes on (MODEL=,
DATASET=, LIMIT=, ...; see README). Every user error ends the program with one message
saying what to change; nothing is half-written.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from judge.client import JudgeClientError
from orchestrator.bench.compare import compare
from orchestrator.bench.data.dataset import DatasetError
from orchestrator.bench.data.descriptors import DescriptorError
from orchestrator.bench.finish import finish
from orchestrator.bench.models.local.errors import LocalModelError
from orchestrator.bench.models.providers import ModelError
from orchestrator.bench.models.registry import RegistryError
from orchestrator.bench.progress import console
from orchestrator.bench.prompts import PromptError
from orchestrator.bench.rejudge import rejudge
from orchestrator.bench.report.errors import ReportError
from orchestrator.bench.results_store import ResultsError, ResultsStore
from orchestrator.bench.run import run_bench
from orchestrator.bench.settings import BenchSettings, UsageError
from orchestrator.client.executor_client import ExecutorClientError
from orchestrator.client.local_executor import LocalExecutorError

# What a user can cause and fix: reported as one message, without a traceback.
USER_ERRORS = (
    UsageError,
    RegistryError,
    DatasetError,
    PromptError,
    DescriptorError,
    ResultsError,
    ModelError,
    LocalModelError,
    LocalExecutorError,
    ExecutorClientError,
    JudgeClientError,
    ReportError,
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m orchestrator.bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run (or resume) the benchmark with settings from the env")
    again = sub.add_parser("rejudge", help="judge a run's stored plots again (JUDGE_URL)")
    again.add_argument("run_dir", type=Path)
    stats = sub.add_parser("stats", help="recompute summary.json, table and report of a run")
    stats.add_argument("run_dir", type=Path)
    side_by_side = sub.add_parser("compare", help="several runs side by side (Tables I-III)")
    side_by_side.add_argument("run_dirs", type=Path, nargs="+")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "run":
            asyncio.run(run_bench(BenchSettings()))
        elif args.command == "rejudge":
            asyncio.run(rejudge(args.run_dir, BenchSettings()))
        elif args.command == "stats":
            finish(ResultsStore(args.run_dir))
        else:
            compare(args.run_dirs)
    except ValidationError as exc:
        console.print(f"[red]invalid setting:[/] {exc}")
        return 2
    except USER_ERRORS as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; finished items are saved, run again to resume")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
