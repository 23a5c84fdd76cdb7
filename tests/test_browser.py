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


@pytest.mark.skipif(not paths.REPORT_HTML.exists(), reason="report not built (make report)")
def test_the_report_renders_cleanly():
    r = browsercheck.check(paths.REPORT_HTML)
    assert r["chapters"] >= 1 and r["images"] >= 1
