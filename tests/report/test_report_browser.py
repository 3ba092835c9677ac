"""The report in real headless Chromium: images decode, filters work, nothing loads or errs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .cdp import Browser

pytestmark = pytest.mark.browser

VISIBLE_IDS = (
    "Array.from(document.querySelectorAll('article.card'))"
    ".filter((card) => card.getClientRects().length > 0).map((card) => Number(card.dataset.id))"
)
# Set when a person wants a copy of the screenshot somewhere to look at.
SCREENSHOT_COPY_ENV = "REPORT_SCREENSHOT"


def _set(browser: Browser, element_id: str, value: str, event: str) -> None:
    browser.evaluate(
        f"(() => {{ const e = document.getElementById('{element_id}'); e.value = '{value}';"
        f" e.dispatchEvent(new Event('{event}', {{bubbles: true}})); }})()"
    )


def test_report_in_headless_chromium(browser: Browser, report_html: Path, tmp_path: Path) -> None:
    url = report_html.resolve().as_uri()
    browser.navigate(url)
    browser.wait_until("Array.from(document.images).every((image) => image.complete)")

    widths = browser.evaluate(
        "Array.from(document.images).map((image) => [image.alt, image.naturalWidth])"
    )
    assert len(widths) == 3 + 8  # three charts; eight plot images can be shown on the cards
    assert [alt for alt, width in widths if width == 0] == []
    assert browser.evaluate(VISIBLE_IDS) == [0, 1, 2, 3, 4, 5]
    assert browser.evaluate("document.getElementById('shown-count').textContent") == (
        "6 of 6 cards shown"
    )

    browser.click("button.thumb:not([data-full=''])")
    browser.wait_until("document.querySelector('#lightbox img')?.complete")
    assert browser.evaluate("document.getElementById('lightbox').open")
    assert browser.evaluate("document.querySelector('#lightbox img').naturalWidth") > 320
    browser.click("#lightbox")
    assert not browser.evaluate("document.getElementById('lightbox').open")

    for checkbox, expected in [
        ("#only-failed", [1]),
        ("#only-wrong-library", [2]),
        ("#only-unjudged", [2, 5]),  # no reference image; an unparsed judge reply
        ("#only-infra", [4]),
    ]:
        browser.click(checkbox)
        assert browser.evaluate(VISIBLE_IDS) == expected, checkbox
        browser.click(checkbox)
    browser.click("#below-on")
    assert browser.evaluate(VISIBLE_IDS) == [1, 3]  # visual 0 (no plot) and 10 are below 50
    _set(browser, "threshold", "5", "input")
    assert browser.evaluate(VISIBLE_IDS) == [1]
    browser.click("#below-on")
    assert browser.evaluate(VISIBLE_IDS) == [0, 1, 2, 3, 4, 5]

    _set(browser, "sort", "visual-desc", "change")
    assert browser.evaluate(VISIBLE_IDS) == [0, 3, 1, 2, 4, 5]  # unscored cards last
    _set(browser, "sort", "id-asc", "change")
    assert browser.evaluate(VISIBLE_IDS) == [0, 1, 2, 3, 4, 5]

    browser.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    assert browser.evaluate("typeof window.__pwned") == "undefined"
    assert browser.console_errors() == []
    foreign = [u for u in browser.requested_urls() if u != url and not u.startswith("data:")]
    assert url in browser.requested_urls() and foreign == []

    shot = browser.screenshot(tmp_path / "report.png")
    assert shot.stat().st_size > 10_000
    if copy_to := os.environ.get(SCREENSHOT_COPY_ENV):
        shutil.copyfile(shot, copy_to)
