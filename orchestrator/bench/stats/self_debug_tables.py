"""rich tables of the self-debug figures (stats.self_debug), in VisCoder's layout.

`self_debug_tables` goes under a run's closing table: the execution pass rate after each
round (Model, Init, Post A1 .. Post Ak, in %), what each round did, and what debugging cost.
`self_debug_comparison_table` gives the pass rates of several runs, one row each; a run
with fewer rounds, or none, shows "-" in the columns it lacks.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from orchestrator.bench.stats.models import DebugCost, SelfDebugStats, Summary

MISSING = "-"


def pass_header(round_: int) -> str:
    return "Init" if round_ == 0 else f"Post A{round_}"


def _number(value: float | None, places: int) -> str:
    return MISSING if value is None else f"{value:.{places}f}"


def self_debug_tables(summary: Summary) -> list[Table]:
    """The tables under a run's closing table; none when the run had no self-debug."""
    stats = summary.self_debug
    if stats is None:
        return []
    return [_pass_table(summary.config.model, stats), _rounds_table(stats), _cost_table(stats)]


def _pass_table(model: str, stats: SelfDebugStats) -> Table:
    table = Table(
        title=f"Self-debug, {stats.rounds} rounds: execution pass rate, % "
        f"(VisCoder's layout, {stats.items} items)"
    )
    table.add_column("Model")
    for round_ in stats.per_round:
        table.add_column(pass_header(round_.round), justify="right")
    table.add_row(model, *(_number(round_.pass_pct, 2) for round_ in stats.per_round))
    return table


def _rounds_table(stats: SelfDebugStats) -> Table:
    table = Table(title="Self-debug rounds")
    table.add_column("")
    for round_ in stats.per_round:
        table.add_column(round_.label, justify="right")

    def row(label: str, values: Sequence[int | float | None], places: int = 0) -> None:
        table.add_row(label, *(_number(v, places) for v in values))

    rounds = stats.per_round
    row("passed", [r.passed for r in rounds])
    row("took part", [r.took_part for r in rounds])
    row("fixed (ran and drew)", [r.fixed for r in rounds])
    if any(r.visual_mean is not None or r.task_mean is not None for r in rounds):
        row("visual mean", [r.visual_mean for r in rounds], 1)
        row("task mean", [r.task_mean for r in rounds], 1)
    return table


def _cost_table(stats: SelfDebugStats) -> Table:
    table = Table(title="Self-debug cost (debug rounds only)")
    table.add_column("")
    table.add_column("per item", justify="right")
    table.add_column("per debugged item", justify="right")

    def row(label: str, cost: DebugCost, places: int) -> None:
        table.add_row(
            label, _number(cost.per_item, places), _number(cost.per_debugged_item, places)
        )

    table.add_row("items debugged", str(stats.debugged), "")
    table.add_row("debugging stopped early", str(stats.stopped), "")
    row("extra generation time, s", stats.generation_s, 1)
    row("extra output tokens", stats.output_tokens, 0)
    row("extra input tokens", stats.input_tokens, 0)
    return table


def self_debug_comparison_table(summaries: Sequence[Summary]) -> Table | None:
    """Pass rates per round of several runs; None when none of them had self-debug."""
    rounds = max((s.self_debug.rounds for s in summaries if s.self_debug), default=0)
    if rounds == 0:
        return None
    table = Table(title="Self-debug: execution pass rate, % (VisCoder's layout)")
    table.add_column("Run")
    table.add_column("Model")
    for round_ in range(rounds + 1):
        table.add_column(pass_header(round_), justify="right")
    for summary in summaries:
        per_round = summary.self_debug.per_round if summary.self_debug else []
        cells = [_number(r.pass_pct, 2) for r in per_round]
        table.add_row(
            summary.run_id,
            summary.config.model,
            *cells,
            *[MISSING] * (rounds + 1 - len(cells)),
        )
    return table
