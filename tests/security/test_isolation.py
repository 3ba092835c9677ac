"""Isolation between jobs: what one job leaves behind (files, a process, listening sockets,
variables) is invisible to the next job and to a job running at the same time."""

from __future__ import annotations

import re

import pytest

from orchestrator.executor.api import ExecutionStatus
from tests.security.attacks import REPORTED_S, code
from tests.security.battery import Attack, assert_contained
from tests.security.waves import WaveRunner

pytestmark = [pytest.mark.security, pytest.mark.docker]

TRACES = ("/tmp/ppb-left", "/home/sandbox/ppb-left", "/dev/shm/ppb-left", "ppb-left")


def leave_traces(hold_s: int) -> Attack:
    return Attack(
        f"leave-traces-hold-{hold_s}s",
        code(f"""
            import os, socket, subprocess, time
            os.environ["PPB_LEFT"] = "1"
            left_behind = "a variable"
            for path in {TRACES!r}:
                with open(path, "w") as trace:
                    trace.write("A was here")
            subprocess.Popen(["sleep", "100000"], start_new_session=True)
            listener = socket.create_server(("127.0.0.1", 45678))
            abstract = socket.socket(socket.AF_UNIX)
            abstract.bind("\\0ppb-isolation")
            abstract.listen()
            started = time.time()  # every trace is in place from here on
            time.sleep({hold_s})
            print("window", started, time.time())
            """),
        ExecutionStatus.OK,
        timeout_s=120,
        bound_s=hold_s + REPORTED_S,
    )


def look_for_traces(look_s: int) -> Attack:
    return Attack(
        f"look-for-traces-{look_s}s",
        code(f"""
            import os, socket, time
            started = time.time()
            seen = set()
            deadline = time.monotonic() + {look_s}
            while True:
                if "left_behind" in globals():
                    seen.add("variable")
                if "PPB_LEFT" in os.environ:
                    seen.add("environment")
                seen.update(path for path in {TRACES!r} if os.path.exists(path))
                for pid in filter(str.isdigit, os.listdir("/proc")):
                    try:
                        if open(f"/proc/{{pid}}/cmdline", "rb").read() == b"sleep\\0100000\\0":
                            seen.add("process")
                    except OSError:
                        pass
                for label, family, address in (
                    ("tcp port", socket.AF_INET, ("127.0.0.1", 45678)),
                    ("abstract socket", socket.AF_UNIX, "\\0ppb-isolation"),
                ):
                    with socket.socket(family) as probe:
                        try:
                            probe.connect(address)
                            seen.add(label)
                        except OSError:
                            pass
                if time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            print("window", started, time.time())
            print("seen:", sorted(seen))
            """),
        ExecutionStatus.OK,
        timeout_s=120,
        bound_s=look_s + REPORTED_S,
        stdout_has=("seen: []",),
    )


def window(stdout: str) -> tuple[float, float]:
    match = re.search(r"window ([\d.]+) ([\d.]+)", stdout)
    assert match, stdout
    return float(match.group(1)), float(match.group(2))


def test_a_later_job_sees_nothing_of_an_earlier_one(wave_runner: WaveRunner) -> None:
    first = wave_runner([leave_traces(0)])
    assert_contained(first, "leave-traces-hold-0s")
    second = wave_runner([look_for_traces(0)])
    assert_contained(second, "look-for-traces-0s")
    assert (
        second.outcomes["look-for-traces-0s"].result.sandbox
        != first.outcomes["leave-traces-hold-0s"].result.sandbox
    )


def test_a_concurrent_job_sees_nothing_of_another(wave_runner: WaveRunner) -> None:
    # The canary goes last so that both jobs take the first free sandboxes together.
    wave = wave_runner([leave_traces(45), look_for_traces(15)], canary_at=2)
    holder = assert_contained(wave, "leave-traces-hold-45s")
    looker = assert_contained(wave, "look-for-traces-15s")
    (held_from, held_to), (looked_from, looked_to) = window(holder.stdout), window(looker.stdout)
    assert looked_from < held_to and held_from < looked_to, "the two jobs did not overlap"
