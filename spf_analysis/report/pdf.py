"""Print the assembled report to PDF with headless Chromium (issue 15).

WeasyPrint took about 42 s for the 160 pages (layout about 35 s, writing about 10 s);
Chromium prints the same HTML in about 4-6 s. Chromium lacks two things WeasyPrint had,
added here:

* the page numbers of the contents (``target-counter()``): the report is printed once; each
  contents link's destination page is read from the PDF (its named destinations); the front
  matter alone (title page and contents, everything invisible but the numbers, each in a box of
  fixed width) is printed with those numbers and stamped on the report's contents pages,
  after checking that each page gets exactly the numbers of its entries (:func:`print_report`);
* the outline (bookmarks; Chromium makes one only for a tagged PDF, which takes twice as
  long and three times the size): added from the contents' headings and their destinations.

Chromium is driven through the DevTools protocol over a pipe (``--remote-debugging-pipe``:
no port, no network), with the fonts of :mod:`spf_analysis.report.fonts` only
(``FONTCONFIG_FILE``). The PDF is made deterministic: its dates are the project's epoch
(``PDF_EPOCH``), not the clock; the rest of Chromium's output is identical run to run.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import re
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

#: Chromium's switches: headless, no sandbox (containers run as root), nothing fetched
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-dev-shm-usage", "--remote-debugging-pipe"]
#: seconds one DevTools call may take (a print of the whole report takes about 5)
TIMEOUT = 300
PRINT = dict(preferCSSPageSize=True, printBackground=True, displayHeaderFooter=False,
             generateTaggedPDF=False, generateDocumentOutline=False)
#: added to the front matter printed alone: only the contents' page numbers show (and no page footer)
OVERLAY_CSS = """<style>
body * { visibility: hidden; }
nav.toc .toc-page { visibility: visible; }
@page { @bottom-center { content: none; } }
</style>
"""
#: the contents entries (level, text, target id) and the writer of their page numbers
TOC_JS = """[...document.querySelectorAll('nav.toc li a')].map(a => [a.closest('li').className,
  (a.querySelector('.toc-text') || a).textContent.trim(), a.getAttribute('href').slice(1)])"""
FILL_JS = """(n => { for (const a of document.querySelectorAll('nav.toc li a')) {
  const s = a.querySelector('.toc-page'); if (s) s.textContent = n[a.getAttribute('href').slice(1)] || ''; }
  return true; })(%s)"""


class PrintError(RuntimeError):
    pass


def find_chromium() -> str:
    from spf_analysis.report.browsercheck import find_chromium as find

    exe = find()
    if exe is None:
        raise PrintError("the PDF is printed by headless Chromium, which is not installed: "
                         "make chromium (or sudo apt-get install chromium)")
    return exe


class Browser:
    """One headless Chromium, spoken to over the DevTools pipe (fd 3: commands, fd 4: replies)."""

    def __init__(self, env: dict | None = None):
        self._profile = tempfile.TemporaryDirectory(prefix="spf-chromium-")
        cmd_r, cmd_w = os.pipe()
        out_r, out_w = os.pipe()

        def fds():  # in the child: the pipe ends become fds 3 and 4 (inheritable copies)
            a, b = os.dup(cmd_r), os.dup(out_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen([find_chromium(), *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     close_fds=False, preexec_fn=fds, env=env)
        os.close(cmd_r)
        os.close(out_w)
        self._w = os.fdopen(cmd_w, "wb")
        self._r = os.fdopen(out_r, "rb")
        self._buf = b""
        self._id = 0

    def call(self, method: str, session: str | None = None, **params):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        try:
            self._w.write(json.dumps(msg).encode() + b"\0")
            self._w.flush()
        except BrokenPipeError:
            raise PrintError(f"Chromium exited (status {self.proc.poll()}) before {method}") from None
        while True:
            reply = self._next()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise PrintError(f"Chromium: {method} failed: {reply['error']}")
                return reply.get("result", {})

    def wait_for(self, event: str) -> dict:
        while True:
            msg = self._next()
            if msg.get("method") == event:
                return msg

    def _next(self) -> dict:
        while b"\0" not in self._buf:
            chunk = self._r.read1(1 << 20)
            if not chunk:
                raise PrintError(f"Chromium exited (status {self.proc.poll()}) without answering")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def open(self, url: str) -> str:
        """A new tab showing ``url`` (loaded); its session id."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session)
        self.call("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired")
        return session

    def evaluate(self, session: str, expression: str):
        res = self.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
        if "exceptionDetails" in res:
            raise PrintError(f"Chromium: script failed: {res['exceptionDetails'].get('text')}")
        return res["result"].get("value")

    def print_pdf(self, session: str) -> bytes:
        return base64.b64decode(self.call("Page.printToPDF", session, **PRINT)["data"])

    def kill(self) -> None:
        """Stop Chromium now: a call waiting for it fails (:class:`PrintError`)."""
        self.proc.kill()

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (PrintError, OSError):
            pass
        for f in (self._w, self._r):
            try:
                f.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._profile.cleanup()

    @classmethod
    def start(cls, env: dict | None = None, attempts: int = 3) -> "Browser":
        """A Chromium that has answered (``Browser.getVersion``); one that dies while starting (seen once
        on a loaded machine) is replaced, up to ``attempts`` starts, then the last error is raised."""
        for n in range(attempts):
            browser = cls(env)
            try:
                browser.call("Browser.getVersion")
                return browser
            except PrintError as e:
                browser.close()
                if n == attempts - 1:
                    raise PrintError(f"{e} ({attempts} starts)") from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def destinations(pdf: bytes) -> dict[str, tuple[int, float | None]]:
    """Named destination (an element id) -> (1-based page number, top of the target on its page)."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # Chromium's trailer /Size is short: harmless
    reader = PdfReader(io.BytesIO(pdf))
    out = {}
    for name, dest in reader.named_destinations.items():
        top = dest.get("/Top")
        out[str(name).lstrip("/")] = (reader.get_destination_page_number(dest) + 1,
                                      float(top) if top is not None else None)
    return out


def link_targets(pdf: bytes, targets: set) -> dict[int, list[str]]:
    """Page number -> the ``targets`` its links lead to (one per link, even when the link's text
    wraps onto two lines and so has two areas), for the pages holding such links."""
    from pypdf import PdfReader

    out: dict[int, list[str]] = {}
    for n, page in enumerate(PdfReader(io.BytesIO(pdf)).pages, start=1):
        prev = None
        for annot in page.get("/Annots") or []:
            dest = str(annot.get_object().get("/Dest", "")).lstrip("/")
            if dest in targets and dest != prev:
                out.setdefault(n, []).append(dest)
            prev = dest
    return out


def pdf_date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("D:%Y%m%d%H%M%S+00'00'")


def finish(pdf: bytes, toc: list, dests: dict, epoch: int) -> bytes:
    """Add the outline (the contents' headings: chapters, their sections under them) and
    fix the document's dates to ``epoch``."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import Fit

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    parent = None
    for level, text, target in toc:
        if target not in dests:
            continue
        page, top = dests[target]
        fit = Fit.xyz(0, top, 0) if top is not None else Fit.fit()
        item = writer.add_outline_item(title=text, page_number=page - 1, parent=None if "toc-h1" in level else parent, fit=fit)
        if "toc-h1" in level:
            parent = item
    writer.page_mode = "/UseOutlines"
    info = dict(writer.metadata or {})
    info.update({"/CreationDate": pdf_date(epoch), "/ModDate": pdf_date(epoch)})
    writer.metadata = None
    writer.add_metadata(info)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def front_matter(doc: str) -> str:
    """The title page and the contents of ``doc`` alone, everything invisible but the contents'
    page numbers: printed, its pages lie exactly over the report's first pages (the same
    boxes: each number sits in a box of fixed width, ``.toc-page``), so they are stamped on them."""
    head, _, _ = doc.partition("<main>")
    return head.replace("</head>", OVERLAY_CSS + "</head>", 1) + "</body>\n</html>\n"


def print_report(doc: str, target: Path, epoch: int, env: dict | None = None, timings: dict | None = None,
                 browsers: list | None = None, browser: Browser | None = None) -> int:
    """Print the HTML ``doc`` to ``target``; the number of pages.

    The report is printed once; the pages its contents entries lead to are read from the PDF;
    the front matter is printed with those numbers (:func:`front_matter`) and stamped on the
    report's contents pages; the outline is added and the dates fixed (:func:`finish`). ``browser``: one
    already started (:meth:`Browser.start`, e.g. by the caller's main thread while it assembles the HTML),
    closed here; by default one is started."""
    from pypdf import PdfReader, PdfWriter

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="spf-print-") as tmp:
        (Path(tmp) / "report.html").write_text(doc, encoding="utf-8")
        (Path(tmp) / "front.html").write_text(front_matter(doc), encoding="utf-8")
        with (browser or Browser.start(env)) as browser:
            if browsers is not None:  # the caller may stop it (Browser.kill)
                browsers.append(browser)
            tab = browser.open((Path(tmp) / "report.html").as_uri())
            toc = browser.evaluate(tab, TOC_JS)
            pdf = browser.print_pdf(tab)
            dests = destinations(pdf)
            missing = sorted(t for _, _, t in toc if t not in dests)
            if missing:
                raise PrintError(f"contents entries without a destination in the PDF: {missing[:5]}")
            stamp = None
            if toc:
                front = browser.open((Path(tmp) / "front.html").as_uri())
                browser.evaluate(front, FILL_JS % json.dumps({t: str(dests[t][0]) for _, _, t in toc}))
                stamp = browser.print_pdf(front)
    if stamp is not None:
        # the contents' pages: those holding its links; the numbers printed alone on each must be
        # the numbers of that page's entries, or they would be misplaced
        links = link_targets(pdf, {t for _, _, t in toc})
        over = PdfReader(io.BytesIO(stamp))
        for n, targets in links.items():
            want = sorted(str(dests[t][0]) for t in targets)
            got = sorted(re.findall(r"[0-9]+", over.pages[n - 1].extract_text())) if n <= len(over.pages) else []
            if got != want:
                raise PrintError(f"the contents' page numbers cannot be stamped on page {n}: the front matter "
                                 f"printed alone shows {got[:8]} there, the entries need {want[:8]}")
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
        for n in links:
            writer.pages[n - 1].merge_page(over.pages[n - 1])
        buf = io.BytesIO()
        writer.write(buf)
        pdf = buf.getvalue()
    out = finish(pdf, toc, dests, epoch)
    target.write_bytes(out)
    if timings is not None:
        timings["pdf"] = time.perf_counter() - t0
    return len(PdfReader(io.BytesIO(out)).pages)
