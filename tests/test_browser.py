"""Browser check: headless Chromium renders the HTML report as a reader sees it.

`make test` installs Chromium when missing and sets SPF_REQUIRE_BROWSER=1, so
these tests run there; elsewhere they are skipped when Chromium is absent.
"""

import base64
import io
import os

import matplotlib.pyplot as plt
import pytest

from spf_analysis.report import browsercheck
from spf_analysis.config import paths

if browsercheck.find_chromium() is None:
    if os.environ.get("SPF_REQUIRE_BROWSER"):
        raise RuntimeError("Chromium is required for the browser check (apt-get install chromium)")
    pytest.skip("Chromium not installed", allow_module_level=True)


def png() -> str:
    fig, ax = plt.subplots(figsize=(1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def page(tmp_path, chapters):
    body = "".join(f'<section class="chapter" id="c{i}">{c}</section>' for i, c in enumerate(chapters))
    f = tmp_path / "r.html"
    f.write_text(f"<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>")
    return f


GOOD = (f'<h1>1. Chapter</h1><p>Enough text to count as a chapter of the report, really.</p>'
        f'<figure><img alt="Figure 1.1" src="data:image/png;base64,{png()}"/></figure>')


def test_good_page_passes(tmp_path):
    r = browsercheck.check(page(tmp_path, [GOOD]))
    assert r["images"] == 1 and r["chapters"] == 1


def test_broken_image_fails(tmp_path):
    bad = GOOD + '<img alt="Figure 1.2" src="data:image/png;base64,AAAA"/>'
    with pytest.raises(browsercheck.BrowserCheckError, match=r"broken image.*Figure 1.2"):
        browsercheck.check(page(tmp_path, [bad]))


def test_empty_chapter_fails(tmp_path):
    with pytest.raises(browsercheck.BrowserCheckError, match="empty chapter"):
        browsercheck.check(page(tmp_path, [GOOD, "<h1>2. Empty</h1>"]))


def test_visible_traceback_fails(tmp_path):
    tb = GOOD + "<pre>Traceback (most recent call last):\n  File x\nKeyError: 'a'</pre>"
    with pytest.raises(browsercheck.BrowserCheckError, match="visible error output"):
        browsercheck.check(page(tmp_path, [tb]))


def exhibits_index(*rows):
    import pandas as pd

    return pd.DataFrame([{"kind": k, "label": lab, "name": lab.lower().replace(" ", "_"), "report": rep,
                          "chapter": "01_a"} for k, lab, rep in rows])


def fig_block(label, img_style=""):
    return (f'<figure class="spf-figure"><img style="{img_style}" alt="{label}" src="data:image/png;base64,{png()}"/>'
            f'<figcaption><p class="caption"><span class="label">{label}.</span> A figure</p></figcaption></figure>')


def tab_block(label, rows="<tr><td>1</td></tr>"):
    return (f'<div class="spf-table-block"><p class="caption"><span class="label">{label}.</span> A table</p>'
            f'<table class="spf-table"><tbody>{rows}</tbody></table></div>')


WB = ('<div class="spf-workbook-only"><p class="caption"><span class="label">Table 1.2.</span> '
      'Long: not printed here</p></div>')
IDX = [("figure", "Figure 1.1", True), ("table", "Table 1.1", True), ("table", "Table 1.2", False)]
TEXT = "<h1>1. Chapter</h1><p>Enough text to count as a chapter of the report, really.</p>"


def test_every_indexed_exhibit_renders(tmp_path):
    r = browsercheck.check(page(tmp_path, [TEXT + fig_block("Figure 1.1") + tab_block("Table 1.1") + WB]),
                           index=exhibits_index(*IDX))
    assert [(e["label"], e["kind"]) for e in r["exhibits"]] == [
        ("Figure 1.1", "figure"), ("Table 1.1", "table"), ("Table 1.2", "workbook-only")]
    assert r["exhibits"][0]["img"]["loaded"] and min(r["exhibits"][0]["img"]["box"]) > 0


@pytest.mark.parametrize("body,problem", [
    (fig_block("Figure 1.1") + WB, r"Table 1.1 \(table_1.1\) of chapter 01_a: not rendered"),
    (tab_block("Table 1.1") + WB, r"Figure 1.1 \(figure_1.1\) of chapter 01_a: not rendered"),
    (fig_block("Figure 1.1") + tab_block("Table 1.1"), r"Table 1.2 \(table_1.2\) of chapter 01_a: not rendered"),
    (fig_block("Figure 1.1", "display:none") + tab_block("Table 1.1") + WB, "Figure 1.1 .*image has no size"),
    (fig_block("Figure 1.1") + tab_block("Table 1.1", rows="") + WB, "Table 1.1 .*no table rows"),
    (fig_block("Figure 1.1").replace(png(), "AAAA") + tab_block("Table 1.1") + WB, "Figure 1.1 .*image did not load"),
])
def test_an_indexed_exhibit_not_seen_fails(tmp_path, body, problem):
    with pytest.raises(browsercheck.BrowserCheckError, match=problem):
        browsercheck.check(page(tmp_path, [TEXT + body]), index=exhibits_index(*IDX))


def test_not_rendered_names_the_exhibit(tmp_path):
    with pytest.raises(browsercheck.BrowserCheckError) as e:
        browsercheck.check(page(tmp_path, [TEXT + fig_block("Figure 1.1") + WB]), index=exhibits_index(*IDX))
    assert "1 of 3 indexed exhibit(s) not seen: Table 1.1 (table_1.1) of chapter 01_a: not rendered" in str(e.value)


def _built_report():
    if not paths.REPORT_HTML.exists():
        if os.environ.get("SPF_REQUIRE_BROWSER"):
            raise AssertionError(f"{paths.REPORT_HTML} missing: `make test` builds it first")
        pytest.skip("report not built (make report)")
    return paths.REPORT_HTML


def test_the_report_renders_cleanly_with_every_indexed_exhibit():
    r = browsercheck.check(_built_report())
    assert r["chapters"] >= 10 and r["images"] >= 1
    figures = [e for e in r["exhibits"] if e["kind"] == "figure"]
    tables = [e for e in r["exhibits"] if e["kind"] == "table"]
    assert r["indexed"] == len(r["exhibits"]) and len(figures) == r["images"]
    assert all(e["img"]["loaded"] and min(e["img"]["box"]) > 0 for e in figures)
    assert all(e["table"]["rows"] > 0 for e in tables)
