"""Load: 20 hostile jobs submitted at once, then a canary behind them. The service queues
them (admission control keeps at most max_concurrency sandboxes running), every attack is
contained, the canary succeeds, and nothing leaks."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from orchestrator.client.local_executor import LocalExecutor
from tests.security.attacks import CATALOGUE
from tests.security.battery import Attack, HostFacts, assert_canary_ok, assert_contained
from tests.security.waves import WaveRunner

pytestmark = [pytest.mark.security, pytest.mark.docker]

MIX = (
    "spin-loop",
    "sleep-past-limit",
    "signals-ignored",
    "blocking-input",
    "fork-until-refused",
    "fork-bomb",
    "thread-bomb",
    "kill-minus-one",
    "ctypes-segfault",
    "os-exit-0",
    "huge-allocation",
    "append-loop",
    "fill-tmp",
    "fill-dev-shm",
    "stdout-flood",
    "fd-level-flood",
    "figure-flood",
    "pixel-bomb-png",
    "not-a-png",
    "egress-http-dns-udp",
)


def hostile_mix(facts: HostFacts) -> list[Attack]:
    catalogue = {a.name: a for build in CATALOGUE.values() for a in build(facts)}
    return [catalogue[name] for name in MIX]


def test_twenty_hostile_jobs_and_a_canary(
    wave_runner: WaveRunner,
    host_facts: HostFacts,
    hostile_executor: LocalExecutor,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    attacks = hostile_mix(host_facts)
    assert len(attacks) == 20
    wave = wave_runner(attacks, canary_at=len(attacks))
    assert_canary_ok(wave.canary)
    for attack in attacks:
        assert_contained(wave, attack.name)
    record_property("canary_latency_s", round(wave.canary_latency_s, 2))
    with capsys.disabled():
        print(
            f"\n[load] canary behind 20 hostile jobs: {wave.canary_latency_s:.1f} s end to end, "
            f"{wave.canary.duration_s:.1f} s in its sandbox; host processes peaked at "
            f"{wave.watch.peak_host_processes}"
        )
    health = httpx.get(f"{hostile_executor.url}/healthz", timeout=10).json()
    assert health["busy"] == 0 and health["queued"] == 0, health
