"""`make perf`: throughput of one executor against two, through the dispatcher.

Each executor's sandboxes are confined to one CPU of their own (EXECUTOR_SANDBOX__CPUSET=0
and =1), so two executors stand for two machines of one core each. Both executors run for
the whole measurement; the first phase dispatches to one of them, the second to both. The
ratio comes from the same run; on two cores the ideal is 2.0. Not a test: numbers go to
stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from orchestrator.client.dispatch import Dispatcher
from orchestrator.client.local_executor import LocalExecutor
from orchestrator.executor.api import ExecutionRequest, ExecutionStatus
from sandbox_server.protocol import LIBRARIES
from tests.perf.fleet import batch_requests


async def throughput(
    executors: list[LocalExecutor], requests: list[ExecutionRequest]
) -> tuple[float, list[str]]:
    """Executions per second with every request submitted at once; the dispatcher keeps each
    executor at its concurrency limit and holds the rest back."""
    async with Dispatcher([e.url for e in executors], executors[0].token) as dispatcher:
        started = time.perf_counter()
        done = await asyncio.gather(*(dispatcher.execute(r) for r in requests))
        elapsed = time.perf_counter() - started
        failed = [d.result.error for d in done if d.result.status != ExecutionStatus.OK]
        if failed:
            raise SystemExit(f"{len(failed)} executions failed, e.g. {failed[0]}")
        return len(requests) / elapsed, [stats.line() for stats in dispatcher.stats()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--image", default=os.environ.get("SANDBOX_IMAGE", "ppb/sandbox:latest"))
    parser.add_argument("--pool", type=int, default=2, help="sandboxes per executor")
    parser.add_argument("--rounds", type=int, default=1, help="passes over the snippets")
    args = parser.parse_args()
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("this benchmark confines each executor to its own CPU: it needs two")
    snippets = [request for library in LIBRARIES for request in batch_requests(library)]
    requests = snippets * args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        first = LocalExecutor(
            Path(tmp),
            fleet="perfscale0",
            pool_size=args.pool,
            image=args.image,
            extra_env={"EXECUTOR_SANDBOX__CPUSET": "0"},
        )
        second = LocalExecutor(
            Path(tmp),
            fleet="perfscale1",
            pool_size=args.pool,
            image=args.image,
            # One token for both, as in a deployment.
            extra_env={"EXECUTOR_SANDBOX__CPUSET": "1", "EXECUTOR_TOKEN": first.token},
        )
        executors = [first, second]
        with ThreadPoolExecutor(2) as starting:
            list(starting.map(LocalExecutor.start, executors))
        try:
            asyncio.run(throughput(executors, requests[: 2 * args.pool]))  # warm-up
            one, one_lines = asyncio.run(throughput(executors[:1], requests))
            two, two_lines = asyncio.run(throughput(executors, requests))
        finally:
            for executor in executors:
                executor.stop()
    print(
        f"{len(requests)} executions ({len(snippets)} snippets x {args.rounds}), "
        f"{args.pool} sandboxes per executor, each executor on one CPU"
    )
    print(f"1 executor  (cpuset 0):   {one:6.2f} executions/s")
    print(*(f"    {line}" for line in one_lines), sep="\n")
    print(f"2 executors (cpuset 0,1): {two:6.2f} executions/s")
    print(*(f"    {line}" for line in two_lines), sep="\n")
    print(f"ratio 2:1 = {two / one:.2f} (ideal 2.0)")


if __name__ == "__main__":
    main()
