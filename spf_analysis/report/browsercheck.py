"""Render the HTML report in headless Chromium and check what a reader sees.

``python -m spf_analysis.report.browsercheck [reports/rapid_assessment.html]``

A copy of the page gets a small script that runs after load and records, in
the DOM, every image that did not decode, every chapter without a figure, a
table or a paragraph, and any visible Python traceback or error output.
Chromium (the Debian package) renders it with ``--dump-dom``; the result is
read back and any problem is an error. Nothing is fetched from the network:
the report is self-contained.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from spf_analysis.config import paths

PROBE = """
<script>
window.addEventListener('load', () => {
  const broken = [...document.images]
    .filter(i => !(i.complete && i.naturalWidth > 0))
    .map(i => i.getAttribute('alt') || i.src.slice(0, 40));
  const empty = [...document.querySelectorAll('section.chapter')]
    .filter(s => s.querySelectorAll('figure, table, p, li').length === 0
                 || s.innerText.trim().length < 40)
    .map(s => s.id);
  const text = document.body.innerText;
  const tracebacks = (text.match(/Traceback \\(most recent call last\\)|\\b[A-Z][A-Za-z]+Error: /g) || []);
  const errorOutputs = document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], .output_error, .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]').length;
  const out = document.createElement('pre');
  out.id = 'spf-browser-check';
  out.textContent = JSON.stringify({
    images: document.images.length, broken, chapters: document.querySelectorAll('section.chapter').length,
    empty, tracebacks, errorOutputs, title: document.title});
  document.body.appendChild(out);
});
</script>
"""

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=20000", "--dump-dom"]


class BrowserCheckError(AssertionError):
    pass


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        exe = shutil.which(name)
        if exe:
            return exe
    return None


def render(html_file: Path) -> dict:
    """Render ``html_file`` with the probe and return what it recorded."""
    exe = find_chromium()
    if exe is None:
        raise BrowserCheckError("Chromium not found: install the Debian package `chromium`")
    doc = Path(html_file).read_text(encoding="utf-8")
    if "</body>" not in doc:
        raise BrowserCheckError(f"{html_file}: no </body>; not a complete HTML page")
    with tempfile.TemporaryDirectory() as d:
        page = Path(d) / "page.html"
        page.write_text(doc.replace("</body>", PROBE + "</body>", 1), encoding="utf-8")
        res = subprocess.run([exe, *FLAGS, f"--user-data-dir={d}/profile", page.as_uri()],
                             capture_output=True, text=True, timeout=180)
    m = re.search(r'<pre id="spf-browser-check">(.*?)</pre>', res.stdout, re.S)
    if not m:
        raise BrowserCheckError(f"Chromium did not render {html_file} (exit {res.returncode}): "
                                f"{res.stderr[-500:]}")
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&")
                      .replace("&lt;", "<").replace("&gt;", ">"))


def check(html_file: Path = paths.REPORT_HTML) -> dict:
    """Raise :class:`BrowserCheckError` listing every problem a reader would see."""
    r = render(html_file)
    problems = []
    if r["broken"]:
        problems.append(f"{len(r['broken'])} broken image(s): {r['broken'][:5]}")
    if r["chapters"] == 0:
        problems.append("no chapter")
    if r["empty"]:
        problems.append(f"empty chapter(s): {r['empty']}")
    if r["tracebacks"] or r["errorOutputs"]:
        problems.append(f"visible error output: {r['tracebacks'][:3]} "
                        f"({r['errorOutputs']} error output block(s))")
    if problems:
        raise BrowserCheckError(f"{html_file}: " + "; ".join(problems))
    return r


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target = Path(argv[0]) if argv else paths.REPORT_HTML
    try:
        r = check(target)
    except BrowserCheckError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{target.name}: {r['chapters']} chapters, {r['images']} images rendered, no errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
