"""Render the HTML report in headless Chromium and check what a reader sees.

``python -m spf_analysis.report.browsercheck [reports/rapid_assessment.html]``

A copy of the page gets a small script that runs after load and records, in
the DOM, every image that did not decode, every chapter without a figure, a
table or a paragraph, any visible Python traceback or error output, and every
numbered exhibit as rendered: its label, its image (loaded, natural and laid-out
size) or its table (rows, laid-out size). Every exhibit the chapters indexed
(``reports/tables/NN_index.csv``) must be there and visible: each figure's image
loaded with a non-zero size, each table present with rows, each workbook-only
table's pointer line shown.
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
  const box = e => { const r = e.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; };
  const exhibits = [...document.querySelectorAll('.spf-figure, .spf-table-block, .spf-workbook-only')].map(b => {
    const lab = b.querySelector('.caption .label');
    const img = b.querySelector('img');
    const tab = b.querySelector('table');
    const sec = b.closest('section.chapter');
    return {label: lab ? lab.textContent.trim().replace(/\\.$/, '') : null,
            kind: b.classList.contains('spf-figure') ? 'figure'
                  : (b.classList.contains('spf-table-block') ? 'table' : 'workbook-only'),
            chapter: sec ? sec.id.replace(/^chapter-/, '') : null,
            box: box(b),
            img: img ? {loaded: img.complete && img.naturalWidth > 0, natural: [img.naturalWidth, img.naturalHeight],
                        box: box(img)} : null,
            table: tab ? {rows: tab.querySelectorAll('tbody tr, tr').length, box: box(tab)} : null};
  });
  const sections = [...document.querySelectorAll('section.chapter')].map(s => s.id);
  const out = document.createElement('pre');
  out.id = 'spf-browser-check';
  out.textContent = JSON.stringify({
    images: document.images.length, broken, chapters: document.querySelectorAll('section.chapter').length,
    empty, tracebacks, errorOutputs, title: document.title, exhibits, sections});
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


def exhibit_problems(rendered: list[dict], index) -> list[str]:
    """Every indexed exhibit (``index``: :func:`spf_analysis.report.exhibits.read_index`)
    that a reader would not see in the ``rendered`` page (the probe's ``exhibits``)."""
    by_label: dict[str, list[dict]] = {}
    for e in rendered:
        by_label.setdefault(e["label"], []).append(e)
    problems = []
    for r in index.itertuples():
        if r.kind not in ("table", "figure"):
            continue
        want = "figure" if r.kind == "figure" else ("table" if r.report else "workbook-only")
        where = f"{r.label} ({r.name}) of chapter {r.chapter}"
        hits = [e for e in by_label.get(r.label, []) if e["kind"] == want]
        if not hits:
            problems.append(f"{where}: not rendered")
            continue
        e = hits[0]
        if want == "figure":
            img = e["img"]
            if img is None:
                problems.append(f"{where}: no image")
            elif not img["loaded"] or min(img["natural"]) <= 0:
                problems.append(f"{where}: image did not load")
            elif min(img["box"]) <= 0:
                problems.append(f"{where}: image has no size on the page ({img['box']})")
        elif want == "table":
            t = e["table"]
            if t is None or t["rows"] == 0:
                problems.append(f"{where}: no table rows")
            elif min(t["box"]) <= 0:
                problems.append(f"{where}: table has no size on the page ({t['box']})")
        elif min(e["box"]) <= 0:
            problems.append(f"{where}: its workbook-only line is not visible")
    return problems


def check(html_file: Path = paths.REPORT_HTML, index=None) -> dict:
    """Raise :class:`BrowserCheckError` listing every problem a reader would see.

    ``index``: the exhibits that must render (a frame as read by
    :func:`spf_analysis.report.exhibits.read_index`); by default those indexed in
    ``reports/tables/`` by the chapters found in the page."""
    from spf_analysis.report.exhibits import read_index

    r = render(html_file)
    if index is None:
        index = read_index([s.removeprefix("chapter-") for s in r["sections"] if s.startswith("chapter-")])
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
    missing = exhibit_problems(r["exhibits"], index)
    if missing:
        problems.append(f"{len(missing)} of {len(index)} indexed exhibit(s) not seen: " + "; ".join(missing[:10]))
    if problems:
        raise BrowserCheckError(f"{html_file}: " + "; ".join(problems))
    r["indexed"] = len(index)
    return r


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target = Path(argv[0]) if argv else paths.REPORT_HTML
    try:
        r = check(target)
    except BrowserCheckError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    n = {k: sum(e["kind"] == k for e in r["exhibits"]) for k in ("figure", "table", "workbook-only")}
    print(f"{target.name}: {r['chapters']} chapters, {r['images']} images rendered; {r['indexed']} indexed "
          f"exhibits all seen ({n['figure']} figures, {n['table']} tables, {n['workbook-only']} workbook-only); "
          "no errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
