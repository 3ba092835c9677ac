"""Rendering the run report from synthetic result folders."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from orchestrator.bench import report
from orchestrator.bench.records import ItemRecord, RunConfig
from orchestrator.bench.report.__main__ import default_out, main

from . import synthetic


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the text inside each tag name."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag)]

    def handle_data(self, data: str) -> None:
        if self._open:
            self.text.setdefault(self._open[-1], []).append(data)

    def named(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]


def card(html: str, run: int, item_id: int) -> str:
    """The HTML of one card, from its <article> to the next."""
    start = html.index(f'id="run-{run}-item-{item_id}-0"')
    end = html.find("<article", start)
    return html[start : end if end != -1 else len(html)]


@pytest.fixture(scope="module")
def html(report_html: Path) -> str:
    return report_html.read_text()


def test_every_item_has_one_card(html: str, run_records: list[ItemRecord]) -> None:
    articles = Tags(html).named("article")
    assert sorted(int(a["data-id"]) for a in articles) == [r.item_id for r in run_records]
    assert "6 cards" in html


def test_a_resumed_item_shows_its_latest_record_and_says_so(html: str) -> None:
    assert "judge timed out" not in html
    assert "1 earlier record(s) in items.jsonl were replaced" in html
    assert 'data-infra="0"' in card(html, 0, 0)


def test_header_names_the_run(html: str) -> None:
    header = html[html.index('class="run-header"') : html.index("</dl>")]
    for value in ("model-a", "matplotlib", "head", "full", "2025-01-01T12:00:00Z", "6 records"):
        assert value in header
    assert "5 done, 1 infrastructure errors; 6 planned" in header


def test_hostile_model_output_and_judge_replies_are_escaped(html: str) -> None:
    tags = Tags(html)
    assert len(tags.named("script")) == 1  # the report's own script only
    assert all(img["src"].startswith("data:image/png;base64,") for img in tags.named("img"))
    assert not [(tag, name) for tag, attrs in tags.tags for name in attrs if name.startswith("on")]
    assert "window.__pwned" not in "".join(tags.text["script"])
    hostile = card(html, 0, 3)
    assert "&lt;/script&gt;&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in hostile
    assert "&lt;img src=x onerror=" in hostile
    assert "<img src=x" not in html and "<script>window" not in html
    # the judge's raw reply, the code (highlighted) and the error are all on the card
    assert hostile.count("window.__pwned = 2") >= 6


def test_content_security_policy_allows_only_the_inline_style_and_script(html: str) -> None:
    csp = next(
        m["content"]
        for m in Tags(html).named("meta")
        if m.get("http-equiv") == "Content-Security-Policy"
    )
    assert "default-src 'none'" in csp and "img-src data:" in csp
    for tag in ("style", "script"):
        body = re.search(f"<{tag}>(.*?)</{tag}>", html, re.S)
        assert body is not None
        digest = base64.b64encode(hashlib.sha256(body.group(1).encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in csp


def test_missing_and_broken_images_are_shown_as_missing(html: str) -> None:
    assert "no image generated: execution error" in card(html, 0, 1)
    assert "no ground-truth image stored for this item" in card(html, 0, 2)
    assert "no image: the item hit an infrastructure error" in card(html, 0, 4)
    assert "generated image cannot be shown: not a PNG" in card(html, 0, 5)


def test_failure_details_are_on_the_card(html: str) -> None:
    failed = card(html, 0, 1)
    assert 'data-failed="1"' in failed and 'data-visual="0"' in failed  # no plot scores 0
    assert "<strong>0</strong> (no plot)" in failed
    assert "ValueError: x and y must have same first dimension" in failed
    assert "\x1b[" not in html  # ANSI colours are stripped from tracebacks
    infra = card(html, 0, 4)
    assert "Infrastructure error, not a model failure" in infra
    assert "executor unreachable: connection refused" in infra
    assert 'data-failed="0"' in infra and 'data-infra="1"' in infra
    assert 'data-wrong-library="1"' in card(html, 0, 2)
    unparsed = card(html, 0, 5)
    assert 'data-unjudged="1"' in unparsed and "I would call it good" in unparsed
    assert "<strong>unparsed</strong> (the judge&#39;s reply had no score)" in unparsed
    no_reference = card(html, 0, 2)
    assert 'data-unjudged="1"' in no_reference and 'data-visual=""' in no_reference
    assert "(no reference image)" in no_reference


def _decoded(uri: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(uri.removeprefix("data:image/png;base64,"))))


def test_thumbnails_are_downscaled_and_the_full_image_opens_on_click(html: str) -> None:
    buttons = Tags(html).named("button")
    thumbs = [b for b in buttons if b.get("class") == "thumb"]
    full = [b for b in thumbs if b["data-full"]]
    assert full and all(_decoded(b["data-full"]).width > 320 for b in full)
    images = [img for img in Tags(html).named("img") if img["alt"].startswith(("gen", "ground"))]
    assert images and all(_decoded(img["src"]).width <= 320 for img in images)
    small = [b for b in thumbs if not b["data-full"]]
    assert len(small) == 1  # the 200 px wide plot is embedded once, as it is


def test_statistics_table_and_charts(html: str) -> None:
    table = html[html.index('<table class="stats">') : html.index("</table>")]
    assert "Incorrect code, %" in table and "good (&ge;75), %" in table
    assert "<td>5</td>" in table  # items in the statistics
    charts = [i["alt"] for i in Tags(html).named("img") if i["alt"][:1].isupper()]
    assert charts == [
        "Score histograms",
        "Incorrect code, execution failures and wrong library",
        "Time per item",
    ]


def test_several_runs_are_compared_side_by_side(
    results: Path, run_dir: Path, tmp_path: Path
) -> None:
    other = synthetic.config("run-b", range(6), model="model-b <b>$x$</b>")
    other_dir = synthetic.write_run(results, other, synthetic.fixture_records(other))
    out = report.write_report([run_dir, other_dir], tmp_path / "both.html")
    html = out.read_text()
    assert "Runs compared" in html and "Runs side by side" in html
    assert "model-b &lt;b&gt;$x$&lt;/b&gt;" in html
    assert len(Tags(html).named("article")) == 12
    assert card(html, 1, 3)  # the second run's cards carry their own ids
    rows = html[html.index("<tbody>") : html.index("</tbody>")]
    assert rows.count("<tr>") == 2


def test_an_empty_run_renders_and_says_it_is_incomplete(results: Path) -> None:
    cfg = synthetic.config("empty", range(3))
    run_dir = synthetic.write_run(results, cfg, [])
    html = report.write_report([run_dir], run_dir / "report.html").read_text()
    assert "The run is incomplete: 0 of 3 planned items" in html
    assert "0 cards" in html and "<article" not in html


def test_repeats_get_a_card_each_and_mean_and_sd_across_repeats(results: Path) -> None:
    cfg = synthetic.config("repeated", range(2)).model_copy(update={"repeats": 2})
    png = synthetic.realistic_png(2)
    records = [
        synthetic.record(cfg, i, images=[png], references=[png], scores=(10 * i + r, 50), repeat=r)
        for r in range(2)
        for i in range(2)
    ]
    run_dir = synthetic.write_run(results, cfg, records)
    html = report.write_report([run_dir], run_dir / "report.html").read_text()
    assert "Item 1, repeat 1" in html and 'id="run-0-item-1-1"' in html
    assert "Across 2 repeats (mean &plusmn; sd)" in html
    assert '<th scope="row">visual.mean</th><td>5.5 &plusmn; 0.7</td>' in html


def test_a_missing_summary_is_said_on_the_page_and_by_the_cli(
    results: Path,
    run_config: RunConfig,
    run_records: list[ItemRecord],
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_dir = synthetic.write_run(results, run_config, run_records, with_summary=False)
    assert main([str(run_dir)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(run_dir / "report.html")
    assert "summary.json is missing" in err
    html = (run_dir / "report.html").read_text()
    assert "no statistics: summary.json is missing" in html
    assert "summary.json is missing in" in html
    assert len(Tags(html).named("article")) == len(run_records)


def test_cli_writes_a_comparison_where_asked(
    results: Path, run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = synthetic.config("run-b", range(2))
    other_dir = synthetic.write_run(results, other, synthetic.fixture_records(other)[:2])
    assert main([str(run_dir), str(other_dir), "--out", str(results / "x.html")]) == 0
    assert capsys.readouterr().out.strip() == str(results / "x.html")
    assert (results / "x.html").read_text().count("<article ") == 8


def test_default_output_names() -> None:
    results = Path("results")
    assert default_out([results / "a"]) == results / "a" / "report.html"
    assert default_out([results / "a", results / "b"]) == (results.resolve() / "compare-a+b.html")
    with pytest.raises(report.ReportError, match="give --out FILE"):
        default_out([results / ("x" * 60)] * 4)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "config.json").unlink(), "config.json is missing"),
        (lambda d: (d / "items.jsonl").unlink(), "items.jsonl is missing"),
        (
            lambda d: (d / "items.jsonl").write_text(
                '{"run_id": "run-a"}\n' + (d / "items.jsonl").read_text()
            ),
            "items.jsonl:1 is not an item record",
        ),
        (lambda d: (d / "summary.json").write_text("{}"), "summary.json is not a valid Summary"),
    ],
)
def test_cli_says_what_is_wrong_with_a_run_folder(
    run_dir: Path,
    capsys: pytest.CaptureFixture[str],
    damage: Callable[[Path], object],
    message: str,
) -> None:
    damage(run_dir)
    assert main([str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("report: error: ") and message in err
    assert not (run_dir / "report.html").exists()


def test_cli_refuses_a_folder_that_is_not_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "nope")]) == 2
    assert "is not a directory" in capsys.readouterr().err


@pytest.fixture(scope="module")
def debug_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    cfg = synthetic.config("debugged", range(3)).model_copy(
        update={"self_debug": 3, "protocol": "viscoder"}
    )
    results = tmp_path_factory.mktemp("debugged") / "results"
    run_dir = synthetic.write_run(results, cfg, synthetic.debugged_records(cfg))
    return report.write_report([run_dir], run_dir / "report.html").read_text()


def attempts_of(card_html: str) -> list[str]:
    """The HTML of each attempt on a card, in order."""
    return card_html.split('<li class="attempt')[1:]


def test_self_debug_attempts_are_shown_in_order_with_their_errors(debug_html: str) -> None:
    fixed = card(debug_html, 0, 0)
    assert "Self-debug: 3 attempts" in fixed and "self-debug round 2" in fixed
    first, no_plot, final = attempts_of(fixed)
    assert 'data-round="0"' in first and "Error sent back" in first
    assert synthetic.DEBUG_ERROR in first
    assert "round 0 image 1" in first  # an attempt that erred after drawing shows its image
    assert "The code ran without an error but produced no plot." in no_plot
    assert "no image generated" in no_plot
    assert final.startswith(' attempt-final"') and ">final</span>" in final
    assert "Ran and drew a plot." in final and "Error" not in final


def test_self_debug_attempts_show_the_change_of_code(debug_html: str) -> None:
    first, no_plot, final = attempts_of(card(debug_html, 0, 0))
    assert "Change from" not in first
    diff = Tags(no_plot).text["span"]  # the highlighted diff's tokens
    assert "--- round 0" in diff and "+++ round 1" in diff
    assert "-x = [1, 2, 3]" in diff and "+x = [1, 2]" in diff and "+plt.close()" in diff
    assert "Change from round 1" in final and "-plt.close()" in Tags(final).text["span"]


def test_an_item_whose_debugging_stopped_says_why(debug_html: str) -> None:
    stopped = card(debug_html, 0, 1)
    assert "stopped early: the endpoint refused the longer conversation" in stopped
    _, final = attempts_of(stopped)
    assert "Error:" in final and "KeyError: &#39;month&#39;" in final
    assert "The same code as round 0." in final


def test_items_without_earlier_attempts_render_as_before(debug_html: str, html: str) -> None:
    assert "attempt" not in card(debug_html, 0, 2)
    assert 'class="attempt' not in html


def test_the_run_section_shows_the_pass_rate_per_round(debug_html: str) -> None:
    table = debug_html[debug_html.index('<table class="stats self-debug">') :]
    table = table[: table.index("</table>")]
    assert "<th>Init</th><th>Post A1</th><th>Post A2</th><th>Post A3</th>" in table
    # Init: item 2 only; A1: item 2 (0 drew nothing); A2 on: items 0 and 2
    assert "<td>33.33</td><td>33.33</td><td>66.67</td><td>66.67</td>" in table
    assert "2 items debugged, 1 stopped early" in debug_html
