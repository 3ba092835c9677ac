"""The text `make perf` prints: issue 14's table and the measurements behind it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from orchestrator.executor.api import Library
from sandbox_server.protocol import LIBRARIES
from tests.perf.sandbox_starts import SETTLE_S, SandboxStart
from tests.perf.side_by_side import Round, SideBySide
from tests.perf.snippets import CSV, SNIPPETS
from tests.perf.table import median, notes, spread, table

Kind = Library | None  # what a sandbox warms; None: all three

# The targets.
RATIO_MUST, RATIO_AIM = 2.0, 1.5
IDLE_MIB_TARGET: Mapping[Kind, float] = {"matplotlib": 150, "seaborn": 150, "plotly": 250}
IMAGE_MB_TARGET = 800

PATHS = {
    "fleet": "the fleet: executor, warm pool of {pool}",
    "fleet, venv from the image": "the fleet, shared_venv off",
    "nbconvert": "jupyter nbconvert --execute, 1 notebook/library",
    "plain": "plain Python, 1 process/library, exec",
}


def kind_name(kind: Kind) -> str:
    return kind or "all (library: null)"


def snippets_count() -> int:
    return sum(len(SNIPPETS[library]) for library in LIBRARIES)


def total(rounds: Sequence[Round]) -> float:
    """The median round's wall time for all the snippets."""
    return median([sum(run.values()) for run in rounds])


def per_second(rounds: Sequence[Round]) -> float:
    return snippets_count() / total(rounds)


def comparison(compared: SideBySide, pool: int) -> str:
    count = snippets_count()
    per_library = ", ".join(f"{len(SNIPPETS[lib])} {lib}" for lib in LIBRARIES)
    rounds = len(compared.rounds["fleet"])
    title = (
        f"{count} snippets ({per_library}) over a {len(CSV.splitlines()) - 1}-row CSV; "
        f"{rounds} round(s), in each the paths one after another"
    )
    rows = [
        [
            PATHS[path].format(pool=pool),
            *(f"{median([run[library] for run in runs]):.1f}" for library in LIBRARIES),
            spread([sum(run.values()) for run in runs]),
            f"{per_second(runs):.2f}",
            f"{median(compared.host_cpu_s[path]):.1f}",
            f"{median(compared.host_cpu_s[path]) / total(runs):.2f}",
        ]
        for path, runs in compared.rounds.items()
    ]
    header = [
        "wall time (s), median",
        *LIBRARIES,
        f"all {count} (min-max)",
        "exec/s",
        "host CPU-s",
        "cores busy",
    ]
    executing = median(compared.fleet_executing_s)
    waiting = pool * total(compared.rounds["fleet"]) - executing
    explained = notes(
        "fleet: one fresh sandbox (1 CPU) per snippet, through the executor's HTTP API; each "
        "library's batch submitted at once (library= set), batches one after another; from a "
        f"full, idle pool ({pool} warm), so the starts of every later sandbox are in the time. "
        f"Inside their sandboxes the {count} executions took {executing:.1f} s in sum "
        f"({executing / count:.2f} s each); its {pool} slots spent {waiting:.1f} s more waiting "
        f"for a warm sandbox. The pool's warm sandboxes at the end: {compared.warm_after}",
        "fleet, shared_venv off: the same, but each sandbox reads /opt/venv from the image "
        "through its own root filesystem rather than from the shared read-only volume",
        "nbconvert: no isolation, the host's venv; jupyter's start, the kernel's start and "
        "the imports included; PNGs from the inline backend and plotly's png renderer",
        "plain: no isolation, the host's venv; the interpreter's start and the imports "
        "included; PNGs from savefig (bbox tight) and pio.to_image",
        "host CPU-s: the whole machine's busy CPU time while the path ran (/proc/stat; the "
        "fleet's includes the executor, dockerd and the sandboxes' starts); cores busy: that "
        "over the wall time",
    )
    return "\n".join([title, table(header, rows), explained])


def ratio(rounds: Mapping[str, Sequence[Round]]) -> str:
    value = total(rounds["fleet"]) / total(rounds["nbconvert"])
    without = total(rounds["fleet, venv from the image"]) / total(rounds["nbconvert"])
    if value <= RATIO_AIM:
        verdict = "aim met"
    elif value <= RATIO_MUST:
        verdict = "must met, aim missed"
    else:
        verdict = "MISSED"
    bar = "=" * 72
    return (
        f"{bar}\n  fleet / nbconvert = {value:.2f}   "
        f"(must <= {RATIO_MUST}, aim <= {RATIO_AIM}: {verdict})\n{bar}\n"
        f"  the route measured beside it: with shared_venv off, {without:.2f}"
    )


def starts(measured: Mapping[Kind, Sequence[SandboxStart]]) -> str:
    rows = []
    for kind, runs in measured.items():
        idle = median([r.idle_mib for r in runs])
        target = IDLE_MIB_TARGET.get(kind)
        rows.append(
            [
                kind_name(kind),
                spread([r.cpu_s for r in runs], 2),
                spread([r.to_ready_s for r in runs], 2),
                f"{idle:.0f}",
                f"<= {target:.0f} {'ok' if idle <= target else 'MISSED'}" if target else "",
            ]
        )
    repeats = max(len(runs) for runs in measured.values())
    header = [f"sandbox start, median of {repeats}", "CPU-s", "s to ready", "idle MiB", "target"]
    explained = notes(
        "one start at a time, nothing else of this run going on; the container as the "
        "provider makes it",
        "CPU-s: the container's cgroup CPU time once its server answers (container, server, "
        "kernel, warm-up)",
        "s to ready: from creating the container to its health check answering",
        f"idle MiB: docker stats' figure (usage minus inactive file cache), {SETTLE_S:g} s "
        "after ready",
    )
    return "\n".join([table(header, rows), explained])


def image(name: str, size_mb: float) -> str:
    verdict = "ok" if size_mb <= IMAGE_MB_TARGET else "MISSED"
    return (
        f"image {name}: {size_mb:.0f} MB, as docker images shows it "
        f"(target <= {IMAGE_MB_TARGET}: {verdict})"
    )


def throughput(by_pool: Mapping[int, float]) -> str:
    header = ["throughput (exec/s)", *(f"pool of {pool}" for pool in by_pool)]
    rows = [["the fleet, the same batches", *(f"{rate:.2f}" for rate in by_pool.values())]]
    explained = notes(
        "each pool its own executor (max concurrency = pool size), from a full, idle pool; "
        "the default pool's figure is the comparison's median"
    )
    return "\n".join([table(header, rows), explained])


def lifecycle(measured: Mapping[Kind, Sequence[SandboxStart]]) -> str:
    phases = ("create_s", "start_s", "ready_s", "kill_s", "remove_s")
    rows = [
        [kind_name(kind), *(f"{median([getattr(r, p) for r in runs]):.3f}" for p in phases)]
        for kind, runs in measured.items()
    ]
    header = [
        "container lifecycle (s), median",
        "create",
        "start",
        "wait-for-ready",
        "kill",
        "remove",
    ]
    explained = notes(
        "the docker SDK with the provider's run arguments (SandboxConfig.run_kwargs, "
        "for_library), the same starts as above; kill: SIGKILL until exited; remove: of "
        "the exited container"
    )
    return "\n".join([table(header, rows), explained])
