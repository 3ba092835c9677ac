"""The judge protocol without a network: prompts, INSTRUCTS files, score parsing, retry hints."""

from __future__ import annotations

import email.utils
import hashlib
import json
import time
from pathlib import Path

import pytest

from judge.api import JudgementRequest, task_text
from judge.errors import ConfigError
from judge.prompts import DEFAULT_INSTRUCTIONS, build_prompt, load_instructions, parse_score
from orchestrator.common.retrying import retry_after_seconds
from tests.support.paths import REPO

UPSTREAM_INSTRUCTS = REPO / "../shared/pandasplotbench/upstream_instructs.json"
PNG_B64 = "iVBORw0KGgo="  # structure only: these tests never decode images


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ("42", 42),
        (" 7\n", 7),
        ("0", 0),
        ("100", 100),
        ("[FINAL SCORE]: 40", 40),
        ("[FINAL SCORE] 40", 40),
        ("[FINAL SCORE]40", 40),
        ("[FINAL SCORE]:40", 40),
        ("The plot matches well.\n[FINAL SCORE]: 85", 85),
        ("**[FINAL SCORE]: 85**", 85),
        ("[FINAL SCORE]: 10, on reflection [FINAL SCORE]: 55", 55),
        ("[FINAL SCORE]: 30 and then [FINAL SCORE]: n/a", 30),  # last token that has a number
        ("[FINAL SCORE]: 40.5", 40),
        ("[FINAL SCORE]:  40", None),  # only one optional space, as in the paper's parser
        ("[final score]: 40", None),
        ("I would say 40 out of 100.", None),
        ("", None),
        ("101", None),  # off the 0-100 scale: not a score, never clamped
        ("-5", None),
        ("[FINAL SCORE]: 150", None),
        # never an exception (a 500 whose reply is already cached would fail for ever)
        ("\x1c42", None),
        ("9" * 5000, None),
        ("[FINAL SCORE]: " + "9" * 5000, None),
    ],
)
def test_parse_score(reply: str, score: int | None) -> None:
    assert parse_score(reply) == score


def test_default_instructions_state_the_protocol() -> None:
    visual = DEFAULT_INSTRUCTIONS.visual
    assert "first image is the generated plot" in visual
    assert "ground-truth" in visual and "scores 100" in visual
    assert "from 0 to 100" in visual and "Ignore colours" in visual
    assert "almost blank plot scores 0" in visual and "main idea" in visual
    assert "[FINAL SCORE]" in visual
    task = DEFAULT_INSTRUCTIONS.task
    assert "[PLOT TASK]" in task and "[FINAL SCORE]" in task and "0 to 100" in task


def test_visual_prompt_is_the_instruction() -> None:
    request = JudgementRequest(mode="visual", images=[PNG_B64], reference_images=[PNG_B64])
    assert build_prompt(DEFAULT_INSTRUCTIONS, request) == DEFAULT_INSTRUCTIONS.visual


def test_each_task_prompt_carries_only_its_own_task() -> None:
    first = JudgementRequest(mode="task", images=[PNG_B64], task=task_text("Bars.", "Dark theme."))
    second = JudgementRequest(mode="task", images=[PNG_B64], task=task_text("Pie.", "No legend."))
    build_prompt(DEFAULT_INSTRUCTIONS, first)
    prompt = build_prompt(DEFAULT_INSTRUCTIONS, second)
    assert prompt == f"{DEFAULT_INSTRUCTIONS.task}\n[PLOT TASK]:\nPie.\nNo legend."
    assert "Bars." not in prompt
    assert prompt.count("[PLOT TASK]:") == 1


def test_upstream_instructs_file_swaps_in_the_paper_text() -> None:
    if not UPSTREAM_INSTRUCTS.is_file():
        pytest.skip(f"dataset copy not present at {UPSTREAM_INSTRUCTS}")
    upstream = json.loads(UPSTREAM_INSTRUCTS.read_text(encoding="utf-8"))
    instructions = load_instructions(UPSTREAM_INSTRUCTS)
    assert instructions.visual == upstream["judge_instruct_vis"]
    assert instructions.task == upstream["judge_instruct_task"]
    assert instructions.system == upstream["system_prompt"]
    assert instructions.source == str(UPSTREAM_INSTRUCTS)
    assert instructions.sha256 == hashlib.sha256(UPSTREAM_INSTRUCTS.read_bytes()).hexdigest()


def test_system_prompt_of_the_instructs_file(tmp_path: Path) -> None:
    texts = {"judge_instruct_vis": "rate it", "judge_instruct_task": "rate the task"}
    with_system, without, null = (tmp_path / f"{name}.json" for name in ("sys", "none", "null"))
    with_system.write_text(json.dumps({"system_prompt": "You write plots.", **texts}))
    without.write_text(json.dumps(texts))
    null.write_text(json.dumps({"system_prompt": None, **texts}))
    assert load_instructions(with_system).system == "You write plots."
    assert load_instructions(without).system is None
    assert load_instructions(null).system is None
    assert DEFAULT_INSTRUCTIONS.system is None
    assert load_instructions(with_system).sha256 != load_instructions(without).sha256


def test_default_instructions_hash_is_that_of_their_canonical_json(tmp_path: Path) -> None:
    defaults = DEFAULT_INSTRUCTIONS
    texts = {"judge_instruct_vis": defaults.visual, "judge_instruct_task": defaults.task}
    path = tmp_path / "defaults.json"
    canonical = json.dumps(texts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    path.write_bytes(canonical.encode())
    assert load_instructions(path).sha256 == defaults.sha256
    assert defaults.sha256 == hashlib.sha256(canonical.encode()).hexdigest()


def test_instructs_file_errors_name_the_variable(tmp_path: Path) -> None:
    missing_key = tmp_path / "partial.json"
    missing_key.write_text(json.dumps({"judge_instruct_vis": "rate it"}))
    not_json = tmp_path / "broken.json"
    not_json.write_text("{")
    bad_system = tmp_path / "bad-system.json"
    bad_system.write_text(
        json.dumps({"judge_instruct_vis": "v", "judge_instruct_task": "t", "system_prompt": 5})
    )
    for path, words in [
        (missing_key, "judge_instruct_task"),
        (bad_system, "system_prompt"),
        (not_json, "not a UTF-8 JSON file"),
        (tmp_path / "absent.json", "cannot read"),
    ]:
        with pytest.raises(ConfigError, match=f"INSTRUCTS={path}.*{words}"):
            load_instructions(path)


def test_retry_after_forms() -> None:
    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert retry_after_seconds({"retry-after": "0.25"}) == 0.25
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    date = email.utils.formatdate(time.time() + 120, usegmt=True)
    wait = retry_after_seconds({"retry-after": date})
    assert wait is not None and 60 < wait <= 120
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None
