"""A full-size run, 175 items with plots like the sandbox returns: page size and usability."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from orchestrator.bench import report

from . import synthetic
from .cdp import Browser

ITEMS = 175
# Every full-size PNG embedded once plus a palette thumbnail of each: about 25 MiB here.
# Embedding a full image twice, or full-colour thumbnails, would go over.
SIZE_BUDGET_BYTES = 30 * 2**20

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = synthetic.config("full-run", range(ITEMS))
    run_dir = synthetic.write_run(
        tmp_path_factory.mktemp("full") / "results", cfg, synthetic.typical_records(cfg)
    )
    started = time.monotonic()
    out = report.write_report([run_dir], run_dir / "report.html")
    print(f"\nbuilt the {ITEMS}-item report in {time.monotonic() - started:.1f} s")
    return out


def test_page_size_for_a_full_run(full_report: Path) -> None:
    size = full_report.stat().st_size
    print(f"\n{ITEMS} items: report.html is {size / 2**20:.1f} MiB")
    assert full_report.read_text().count("<article ") == ITEMS
    assert size < SIZE_BUDGET_BYTES


@pytest.mark.browser
def test_a_full_run_stays_usable_in_chromium(browser: Browser, full_report: Path) -> None:
    started = time.monotonic()
    browser.navigate(full_report.resolve().as_uri())
    browser.wait_until("Array.from(document.images).every((image) => image.complete)")
    print(f"\nloaded and decoded the {ITEMS}-item report in {time.monotonic() - started:.1f} s")
    assert browser.evaluate("Array.from(document.images).every((i) => i.naturalWidth > 0)")
    browser.click("#only-failed")
    shown = browser.evaluate("document.getElementById('shown-count').textContent")
    assert shown == f"{sum(i % 10 == 7 for i in range(ITEMS))} of {ITEMS} cards shown"
    assert browser.console_errors() == []
