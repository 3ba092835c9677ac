from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.judge_process import RunningJudge, serve_judge


@pytest.fixture(scope="session")
def judge_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningJudge]:
    with serve_judge(tmp_path_factory.mktemp("judge")) as judge:
        yield judge
