"""Fixtures for the report tests: synthetic result folders and Debian's headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.bench import report
from orchestrator.bench.records import ItemRecord, RunConfig

from . import synthetic
from .cdp import Browser

CHROMIUM_NAMES = ("chromium", "chromium-browser")
APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
# Other jobs may hold the dpkg lock; wait for it instead of failing at once.
APT_INSTALL = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "chromium"]
APT_UPDATE = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "update"]


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return tmp_path / "results"


@pytest.fixture(scope="session")
def run_config() -> RunConfig:
    return synthetic.config("run-a", range(6))


@pytest.fixture(scope="session")
def run_records(run_config: RunConfig) -> list[ItemRecord]:
    return synthetic.fixture_records(run_config)


def write_fixture_run(results: Path, run_config: RunConfig, records: list[ItemRecord]) -> Path:
    """The six-item run; item 0 also has an earlier infra-error line that a resume replaced."""
    earlier = synthetic.record(
        run_config, 0, status=None, outcome="infra_error", infra_error="judge timed out"
    )
    return synthetic.write_run(results, run_config, records, extra_lines=[earlier])


@pytest.fixture
def run_dir(results: Path, run_config: RunConfig, run_records: list[ItemRecord]) -> Path:
    return write_fixture_run(results, run_config, run_records)


@pytest.fixture(scope="session")
def report_html(
    tmp_path_factory: pytest.TempPathFactory, run_config: RunConfig, run_records: list[ItemRecord]
) -> Path:
    """The fixture run's report, rendered once for the tests that only read it."""
    results = tmp_path_factory.mktemp("rendered") / "results"
    run_dir = write_fixture_run(results, run_config, run_records)
    return report.write_report([run_dir], run_dir / "report.html")


def _find_chromium() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _apt(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=APT_ENV, capture_output=True, text=True, check=False)


def _install_chromium() -> str:
    """Installs Debian's chromium; returns what went wrong, or "" when it is installed."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "it is not installed and this is not root with apt-get to install it"
    started = time.monotonic()
    install = _apt(APT_INSTALL)
    if install.returncode != 0:  # a stale or missing package list: refresh it and retry once
        _apt(APT_UPDATE)
        install = _apt(APT_INSTALL)
    if install.returncode != 0:
        return f"`apt-get install -y chromium` failed:\n{install.stdout[-2000:]}{install.stderr}"
    print(f"installed chromium in {time.monotonic() - started:.0f} s")
    return ""


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's chromium, installed with apt-get when missing and possible."""
    path = _find_chromium()
    if path is None:
        problem = _install_chromium()
        path = _find_chromium()
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
