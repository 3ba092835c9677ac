from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.paths import SHARED_COPY


@pytest.fixture
def shared_copy() -> Path:
    """The offline copy of the dataset beside the repo (../shared/pandasplotbench)."""
    if not (SHARED_COPY / "tasks.jsonl").is_file():
        pytest.skip("../shared/pandasplotbench is not present")
    return SHARED_COPY
