"""`make perf`: the executor fleet against three baselines, on one fixed set of snippets.

- floor: every snippet exec'd in one plain Python process (no isolation at all);
- nbconvert: the snippets as cells of one notebook under `jupyter nbconvert --execute`
  (what the original benchmark does);
- docker run: a plain `docker run --rm` of the sandbox image per snippet (cold containers);
- fleet: the executor service with a warm pool, one request at a time (latency) and all
  at once (throughput).

Ratios are to the floor, measured in the same run. Not a test: numbers go to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker
import nbformat

from orchestrator.client.executor_client import ExecutorClient
from orchestrator.client.local_executor import REPO, LocalExecutor
from orchestrator.executor.api import ExecutionRequest, ExecutionStatus

CSV = "x,y,group\n" + "".join(f"{i},{(i * 37) % 23},{'ab'[i % 2]}\n" for i in range(200))
LOAD = 'import pandas as pd\ndf = pd.read_csv("data.csv")\n'
PNG = 'import plotly.io as pio\npio.renderers.default = "png"\n'  # as the bench's cells do
SNIPPETS = {
    "mpl-line": "import matplotlib.pyplot as plt\nplt.plot(df.x, df.y)\nplt.title('line')\n",
    "mpl-hist": "import matplotlib.pyplot as plt\nplt.hist(df.y, bins=20)\n",
    "sns-box": "import seaborn as sns\nsns.boxplot(data=df, x='group', y='y')\n",
    "sns-scatter": "import seaborn as sns\nsns.scatterplot(data=df, x='x', y='y', hue='group')\n",
    "plotly-bar": PNG + "import plotly.express as px\npx.bar(df.head(20), x='x', y='y').show()\n",
    "plotly-line": PNG
    + "import plotly.express as px\npx.line(df, x='x', y='y', color='group').show()\n",
}
# Shared by the floor and the docker-run baseline: render every figure to PNG bytes.
RENDER = """
import io, sys, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import plotly.io as pio
images = []
def _show(fig, *a, **k):
    images.append(pio.to_image(fig, format="png"))
pio.show = _show
import plotly.basedatatypes
plotly.basedatatypes.BaseFigure.show = lambda self, *a, **k: _show(self)
def _flush():
    for n in plt.get_fignums():
        buf = io.BytesIO(); plt.figure(n).savefig(buf, format="png", bbox_inches="tight")
        images.append(buf.getvalue())
    plt.close("all")
"""
FLOOR = (
    RENDER
    + """
import json, time
snippets = json.loads(sys.argv[1])
times = {}
for name, code in snippets.items():
    t = time.perf_counter()
    exec(code, {})
    _flush()
    times[name] = time.perf_counter() - t
print(json.dumps(times))
"""
)


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def floor(workdir: Path, codes: dict[str, str]) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", FLOOR, json.dumps(codes)],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(out.stdout.splitlines()[-1]).values())


def nbconvert(workdir: Path, codes: dict[str, str]) -> tuple[list[float], float]:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(code) for code in codes.values()]
    path = workdir / "bench.ipynb"
    nbformat.write(notebook, path)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--inplace",
            str(path),
        ],
        cwd=workdir,
        capture_output=True,
        check=True,
    )
    total = time.perf_counter() - started
    cells = nbformat.read(path, as_version=4).cells
    times = []
    for cell in cells:
        timing = cell.metadata["execution"]
        start, end = (timing["iopub.execute_input"], timing["shell.execute_reply"])
        times.append(_seconds(end) - _seconds(start))
    return times, total


def _seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def docker_run(workdir: Path, codes: dict[str, str], image: str) -> list[float]:
    times = []
    for code in codes.values():
        script = RENDER + code + "\n_flush()\n"
        started = time.perf_counter()
        subprocess.run(
            [
                "docker",
                "run",
                "--rm",
                "--network",
                "none",
                "--read-only",
                "--tmpfs",
                "/tmp",
                "--tmpfs",
                "/home/sandbox:uid=10001,gid=10001",
                "-e",
                "MPLCONFIGDIR=/tmp/mpl",
                "-v",
                f"{workdir / 'data.csv'}:/data/data.csv:ro",
                "-w",
                "/data",
                "--entrypoint",
                "python3",
                image,
                "-c",
                script,
            ],
            capture_output=True,
            check=True,
        )
        times.append(time.perf_counter() - started)
    return times


async def fleet(
    executor: LocalExecutor, codes: dict[str, str], rounds: int
) -> tuple[list[float], float]:
    files = {"data.csv": base64.b64encode(CSV.encode()).decode()}
    async with ExecutorClient(executor.url, executor.token) as client:
        latencies = []
        for code in codes.values():  # one at a time, pool warm
            started = time.perf_counter()
            result = await client.execute(ExecutionRequest(code=code, files=files))
            assert result.status == ExecutionStatus.OK, result.error
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(8)  # let the pool refill, so each request meets a warm sandbox
        requests = [ExecutionRequest(code=c, files=files) for c in codes.values()] * rounds
        started = time.perf_counter()
        results = await asyncio.gather(*(client.execute(r) for r in requests))
        assert all(r.status == ExecutionStatus.OK for r in results)
        return latencies, len(requests) / (time.perf_counter() - started)


def runtimes() -> dict[str, dict[str, str]]:
    """runc, and gVisor's runsc side by side where the engine has it (SECURITY.md)."""
    listed = docker.from_env().info().get("Runtimes", {})
    found: dict[str, dict[str, str]] = {"runc": {}}
    if "runsc" in listed:
        # gVisor's own threads count against the pids limit: an idle sandbox holds ~250.
        found["runsc"] = {
            "EXECUTOR_SANDBOX__RUNTIME": "runsc",
            "EXECUTOR_SANDBOX__PIDS_LIMIT": "1024",
        }
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--image", default="ppb/sandbox:latest")
    parser.add_argument("--pool", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    codes = {name: LOAD + code for name, code in SNIPPETS.items()}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "data.csv").write_text(CSV)
        rows: dict[str, tuple[list[float], float]] = {}
        floor_times = floor(workdir, codes)
        rows["floor (exec in one process)"] = (floor_times, len(codes) / sum(floor_times))
        nb_times, nb_total = nbconvert(workdir, codes)
        rows["nbconvert --execute (1 notebook)"] = (nb_times, len(codes) / nb_total)
        run_times = docker_run(workdir, codes, args.image)
        rows["docker run --rm per snippet"] = (run_times, len(codes) / sum(run_times))
        for runtime, settings in runtimes().items():
            with LocalExecutor(
                workdir, fleet="perf", pool_size=args.pool, image=args.image, extra_env=settings
            ) as ex:
                latencies, throughput = asyncio.run(fleet(ex, codes, args.rounds))
            rows[f"fleet, {runtime} (warm pool of {args.pool})"] = (latencies, throughput)
    base_p50 = statistics.median(rows["floor (exec in one process)"][0])
    base_tp = rows["floor (exec in one process)"][1]
    print(f"{len(codes)} snippets (matplotlib, seaborn, plotly); times in seconds")
    print(f"{'path':38} {'p50':>7} {'p95':>7} {'snip/s':>7} {'p50/floor':>10} {'tput/floor':>10}")
    for name, (times, throughput) in rows.items():
        p50 = statistics.median(times)
        print(
            f"{name:38} {p50:7.3f} {pct(times, 95):7.3f} {throughput:7.2f} "
            f"{p50 / base_p50:10.1f} {throughput / base_tp:10.2f}"
        )
    print(
        "nbconvert's snip/s includes its kernel start; the fleet's comes from "
        f"{args.rounds} concurrent rounds over the pool."
    )


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
