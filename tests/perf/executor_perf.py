"""`make perf`: the executor fleet beside the unsandboxed notebook, in one run (issue 14).

On the same snippets, side by side in rounds: the fleet (a fresh sandbox per snippet, each
library's snippets as one batch), `jupyter nbconvert --execute` with one notebook per
library (the reference benchmark's way) and one plain Python process per library. Then what
one sandbox costs per library (start CPU and time, idle memory, each phase of its life), the
image's size, and the fleet's throughput with pools of 1, 2 and 4. Not a test: numbers go to
stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import docker

from orchestrator.executor.settings import ExecutorSettings
from sandbox_server.protocol import LIBRARIES
from tests.perf import fleet, report, sandbox_starts, side_by_side
from tests.perf.progress import progress
from tests.perf.snippets import CSV

DEFAULT_POOL: int = ExecutorSettings.model_fields["pool_size"].default
CORES = os.cpu_count() or 1
KINDS: tuple[report.Kind, ...] = (*LIBRARIES, None)


def machine(load_before: float) -> str:
    info = docker.from_env().info()
    return (
        f"machine: {CORES} cores; Docker {info.get('ServerVersion')}, runtime "
        f"{info.get('DefaultRuntime')}, cgroup v{info.get('CgroupVersion')}, storage "
        f"{info.get('Driver')}; load average (1 min) {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--image", default=os.environ.get("SANDBOX_IMAGE", "ppb/sandbox:latest"))
    parser.add_argument("--quick", action="store_true", help="fewer repeats (1 round, 2 starts)")
    args = parser.parse_args()
    rounds, starts = (1, 2) if args.quick else (3, 5)
    load_before = os.getloadavg()[0]  # anything else busy here skews every figure
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "data.csv").write_text(CSV)
        lives: dict[report.Kind, list[sandbox_starts.SandboxStart]] = {}
        for kind in KINDS:
            progress(f"{starts} sandbox starts, {report.kind_name(kind)}")
            lives[kind] = sandbox_starts.measure(kind, starts, args.image)
        compared = side_by_side.run(workdir, rounds, args.image, DEFAULT_POOL)
        by_pool = {DEFAULT_POOL: report.per_second(compared.rounds["fleet"])}
        for pool in (1, 4):
            progress(f"throughput, pool of {pool}")
            by_pool[pool] = fleet.throughput(workdir, pool, args.image)
    progress("done")
    print(
        "\n\n".join(
            [
                machine(load_before),
                report.comparison(compared, DEFAULT_POOL),
                report.ratio(compared.rounds),
                report.starts(lives),
                report.image(args.image, sandbox_starts.image_mb(args.image)),
                report.throughput(dict(sorted(by_pool.items()))),
                report.lifecycle(lives),
            ]
        )
    )


if __name__ == "__main__":
    main()
