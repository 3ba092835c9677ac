"""End to end with the real local LLM: `MODEL=llama-70b` pointed at the llama.cpp server
standing in for an OpenAI-compatible endpoint, items of the offline dataset copy, the real
executor and the real judge service, with a round of self-debug (`SELF_DEBUG=1`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.bench.models.local.fetch import local_model_path
from orchestrator.bench.models.local.server import LocalModelServer
from orchestrator.bench.records import ItemOutcome
from orchestrator.bench.self_debug import CORRECTION_REQUEST, failed
from orchestrator.bench.stats.models import Summary
from orchestrator.client.local_executor import REPO, LocalExecutor
from tests.support.bench_cli import bench, bench_env, only_run, records
from tests.support.judge_process import RunningJudge
from tests.support.paths import FIXTURE_DATASET

pytestmark = [pytest.mark.docker, pytest.mark.llm, pytest.mark.slow]

OFFLINE_COPY = REPO.parent / "shared/pandasplotbench"


@pytest.fixture(scope="module")
def local_llm() -> Iterator[LocalModelServer]:
    with LocalModelServer(local_model_path()) as server:
        yield server


@pytest.mark.timeout(1800)
def test_llama_70b_path_with_the_local_server_standing_in(
    local_llm: LocalModelServer,
    executor: LocalExecutor,
    judge_service: RunningJudge,
    tmp_path: Path,
) -> None:
    # Item 21's first attempt usually fails with this model, so it usually gets a debug round.
    dataset, ids = (OFFLINE_COPY, "21") if OFFLINE_COPY.is_dir() else (FIXTURE_DATASET, "3")
    env = bench_env(local_llm.base_url, "local", executor, judge_service, tmp_path)
    settings = {"DATASET": str(dataset), "IDS": ids, "MODEL": "llama-70b", "SELF_DEBUG": "1"}
    if OFFLINE_COPY.is_dir():  # it carries the reference's instructions: the default
        settings["INSTRUCTS"] = ""
    result = bench(env | settings, timeout_s=1500)  # ~1 min unloaded; CPU-bound on 2 cores
    assert result.returncode == 0, result.stderr
    stored = records(only_run(tmp_path))
    assert sorted(r.item_id for r in stored) == sorted(int(i) for i in ids.split(","))
    for record in stored:
        assert record.outcome == ItemOutcome.DONE, record.infra_error
        assert record.provider_model == "openai-compatible:meta-llama/Llama-3.1-70B-Instruct"
        assert "```" in record.response
        assert record.execution is not None
        if record.attempts:  # the first attempt failed: round 1 got its error back
            (first,) = record.attempts
            assert first.round == 0 and failed(first) and first.feedback
            assert record.round == 1 and len(record.conversation) == 3
            assert record.conversation[2].content.endswith(
                first.feedback + "\n" + CORRECTION_REQUEST
            )
        else:
            assert record.round == 0 and not failed(record)
    summary = Summary.model_validate_json((only_run(tmp_path) / "summary.json").read_text())
    assert summary.stats.items == len(stored)
    assert summary.self_debug is not None and len(summary.self_debug.per_round) == 2
    config = summary.config
    assert config.protocol == "ppb" and summary.reference is not None
    assert config.instructs is not None and config.instructs.reference is OFFLINE_COPY.is_dir()
    assert config.provenance is not None and config.provenance.dataset.startswith("sha256:")
    assert config.provenance.provider_model_reported  # what the endpoint said it served
    assert summary.stats.mean_generation_s and summary.stats.mean_generation_s > 0
    assert "report:" in result.stdout
