"""`SELF_DEBUG=N` end to end: the bench CLI, a stand-in model that fails and then fixes (item
3) or never fixes (item 7), the real executor and judge, and a run killed in the middle of
an item's debug rounds that resumes from the round after the last one stored."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestrator.bench.records import ExecStatus, ItemOutcome, JournaledAttempt
from orchestrator.client.local_executor import REPO, LocalExecutor
from tests.support.bench_cli import bench, bench_env, only_run, records
from tests.support.judge_process import RunningJudge
from tests.support.llm_server import RecordedRequest, Reply, ScriptEntry, StandinLLM

pytestmark = pytest.mark.docker

FIXED = 3  # its prompt asks for sales per month
NEVER_FIXED = 7
BROKEN = (
    "```python\nimport matplotlib.pyplot as plt\nplt.bar(df['month'], df['no_such_column'])\n```"
)
PLOT = "```python\nimport matplotlib.pyplot as plt\nplt.plot(df[df.columns[0]])\nplt.show()\n```"
UNDEFINED = "```python\nimport matplotlib.pyplot as plt\nplt.plot(values_that_do_not_exist)\n```"


def item_of(request: RecordedRequest) -> int:
    return FIXED if "sales" in request.turns[0][1].lower() else NEVER_FIXED


def debug_round(request: RecordedRequest) -> int:
    return sum(role == "assistant" for role, _ in request.turns)


def model(request: RecordedRequest) -> ScriptEntry:
    if item_of(request) == FIXED:
        return BROKEN if debug_round(request) == 0 else PLOT
    return UNDEFINED


def rounds_asked(llm: StandinLLM, item: int) -> list[int]:
    return [debug_round(r) for r in llm.requests if item_of(r) == item]


def test_failed_items_are_debugged_through_the_real_executor(
    executor: LocalExecutor, judge_service: RunningJudge, tmp_path: Path
) -> None:
    with StandinLLM(responder=model) as llm:
        env = bench_env(f"{llm.url}/v1", llm.api_key, executor, judge_service, tmp_path)
        result = bench(env | {"SELF_DEBUG": "2"})
        assert result.returncode == 0, result.stderr
        assert sorted(rounds_asked(llm, FIXED)) == [0, 1]
        assert sorted(rounds_asked(llm, NEVER_FIXED)) == [0, 1, 2]
        last = max((r for r in llm.requests if item_of(r) == NEVER_FIXED), key=debug_round)
    stored = {r.item_id: r for r in records(only_run(tmp_path))}

    fixed = stored[FIXED]
    assert fixed.outcome is ItemOutcome.DONE and fixed.round == 1
    assert fixed.execution is not None and fixed.execution.status is ExecStatus.OK
    assert len(fixed.images) == 1 and fixed.task_score.score == 80
    (broken,) = fixed.attempts
    assert broken.execution is not None and broken.execution.ename == "KeyError"
    assert "no_such_column" in broken.feedback and "\x1b[" not in broken.feedback

    never = stored[NEVER_FIXED]
    assert never.round == 2 and [a.round for a in never.attempts] == [0, 1]
    assert all(a.execution and a.execution.ename == "NameError" for a in never.attempts)
    assert never.execution is not None and never.execution.ename == "NameError"
    # The last round's conversation, as the endpoint received it.
    roles = [role for role, _ in last.turns]
    assert roles == ["user", "assistant", "user", "assistant", "user"]
    assert last.turns[3][1] == f"```python\n{never.attempts[1].code}\n```"
    assert last.turns[4][1].startswith("The above code still failed with the following error:")
    assert "NameError" in last.turns[4][1]

    summary = json.loads((only_run(tmp_path) / "summary.json").read_text())
    assert summary["config"]["self_debug"] == 2
    assert summary["self_debug"] is not None


def test_a_run_killed_mid_debug_resumes_from_the_next_round(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    def stalling(request: RecordedRequest) -> ScriptEntry:
        if item_of(request) == NEVER_FIXED and debug_round(request) == 1:
            return Reply(UNDEFINED, delay_s=15)  # the run is killed while it waits
        return model(request)

    with StandinLLM(responder=stalling) as llm:
        env = bench_env(f"{llm.url}/v1", llm.api_key, executor, None, tmp_path) | {
            "SELF_DEBUG": "2"
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestrator.bench", "run"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 300
            while 1 not in rounds_asked(llm, NEVER_FIXED) and time.monotonic() < deadline:
                assert process.poll() is None, "the run ended before it was killed"
                time.sleep(0.2)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        filed = [
            JournaledAttempt.model_validate_json(line)
            for line in (only_run(tmp_path) / "attempts.jsonl").read_text().splitlines()
        ]
        assert (NEVER_FIXED, 0) in {(f.item_id, f.attempt.round) for f in filed}
        before = len(llm.requests)

        llm.responder = model
        resumed = bench(env)
        assert resumed.returncode == 0, resumed.stderr
        again = [debug_round(r) for r in llm.requests[before:] if item_of(r) == NEVER_FIXED]
    assert sorted(again) == [1, 2]  # round 0 is not asked again
    never = {r.item_id: r for r in records(only_run(tmp_path))}[NEVER_FIXED]
    assert never.round == 2 and [a.round for a in never.attempts] == [0, 1]
