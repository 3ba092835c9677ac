"""Fixtures for the report tests: synthetic result folders and Debian's headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.bench import report
from orchestrator.bench.records import ItemRecord, RunConfig
from tests.support.chromium import find_chromium, install_chromium

from . import synthetic
from .cdp import Browser


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return tmp_path / "results"


@pytest.fixture(scope="session")
def run_config() -> RunConfig:
    return synthetic.config("run-a", range(6))


@pytest.fixture(scope="session")
def run_records(run_config: RunConfig) -> list[ItemRecord]:
    return synthetic.fixture_records(run_config)


@pytest.fixture
def run_dir(results: Path, run_config: RunConfig, run_records: list[ItemRecord]) -> Path:
    return synthetic.write_fixture_run(results, run_config, run_records)


@pytest.fixture(scope="session")
def report_html(
    tmp_path_factory: pytest.TempPathFactory, run_config: RunConfig, run_records: list[ItemRecord]
) -> Path:
    """The fixture run's report, rendered once for the tests that only read it."""
    results = tmp_path_factory.mktemp("rendered") / "results"
    run_dir = synthetic.write_fixture_run(results, run_config, run_records)
    return report.write_report([run_dir], run_dir / "report.html")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's chromium, installed with apt-get when missing and possible."""
    path = find_chromium()
    if path is None:
        problem = install_chromium()
        path = find_chromium()
        if path is None:
            message = (
                f"the browser tests need Debian's chromium, but {problem or 'it was not found'}."
                " Install it with `apt-get install chromium` (as root), or deselect them with "
                "-m 'not browser'."
            )
            if os.environ.get("CI") == "true":
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
    return path


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Iterator[Browser]:
    with Browser.launch(chromium, tmp_path / "chromium-profile") as launched:
        yield launched
