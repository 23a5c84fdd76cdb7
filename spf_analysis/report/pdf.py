"""Print the assembled report to PDF with headless Chromium (issue 15).

WeasyPrint took about 42 s for the 160 pages (layout about 35 s, writing about 10 s);
Chromium prints the same HTML in about 4-6 s. Chromium lacks two things WeasyPrint had,
added here:

* the page numbers of the contents (``target-counter()``): the report is printed in parts (the
  front matter, each chapter, the back matter: each starts a page anyway), several at once, without
  page numbers; the contents' numbers are read from the parts' named destinations and written into
  the front matter, printed last, and the pages' numbers are printed in a document of their own and
  stamped on the pages (:func:`print_report`). Each part's PDF is kept under the digest of its
  document, which does not depend on the parts before it, so a change to one chapter prints that
  chapter again (and, when its number of pages changes, the two short last documents), not the
  160 pages;
* the outline (bookmarks; Chromium makes one only for a tagged PDF, which takes twice as
  long and three times the size): added from the contents' headings and their destinations.

Chromium is driven through the DevTools protocol over a pipe (``--remote-debugging-pipe``:
no port, no network), with the fonts of :mod:`spf_analysis.report.fonts` only
(``FONTCONFIG_FILE``). The PDF is made deterministic: its dates are the project's epoch
(``PDF_EPOCH``), not the clock; the rest of Chromium's output is identical run to run.
"""

from __future__ import annotations

import base64
import glob
import io
import json
import logging
import os
import re
import subprocess
import tempfile
import threading
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

    def send(self, method: str, session: str | None = None, **params) -> int:
        """Send a command without waiting for its reply; its id."""
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        try:
            self._w.write(json.dumps(msg).encode() + b"\0")
            self._w.flush()
        except BrokenPipeError:
            raise PrintError(f"Chromium exited (status {self.proc.poll()}) before {method}") from None
        return self._id

    def call(self, method: str, session: str | None = None, **params):
        sent = self.send(method, session, **params)
        while True:
            reply = self._next()
            if reply.get("id") == sent:
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

    def new_tab(self) -> str:
        """A new blank tab, its page events on; its session id."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session)
        return session

    def print_urls(self, sessions: list[str], urls: list[str]) -> list[bytes]:
        """The PDF of each of ``urls``, printed by the tabs ``sessions`` at once (each tab its own
        renderer process): each tab loads the next document not yet taken and prints it, then takes
        the next. The PDFs, in the order of ``urls``, do not depend on which tab printed which."""
        out: list = [None] * len(urls)
        queue = list(range(len(urls)))
        showing: dict[str, int] = {}  # tab -> the document it loads or prints
        commands: dict[int, tuple[str, str]] = {}  # command id -> (what, tab)

        def take(session: str) -> None:
            if queue:
                showing[session] = i = queue.pop(0)
                commands[self.send("Page.navigate", session, url=urls[i])] = ("navigate", session)

        for session in sessions:
            take(session)
        while showing:
            msg = self._next()
            if "id" in msg:
                what, session = commands.pop(msg["id"], (None, None))
                if what is None:
                    continue
                if "error" in msg or msg.get("result", {}).get("errorText"):
                    raise PrintError(f"Chromium: {what} of {urls[showing[session]]} failed: "
                                     f"{msg.get('error') or msg['result']['errorText']}")
                if what == "print":
                    out[showing.pop(session)] = base64.b64decode(msg["result"]["data"])
                    take(session)
            elif (msg.get("method") == "Page.loadEventFired" and msg.get("sessionId") in showing
                  and ("print", msg["sessionId"]) not in commands.values()):  # loaded: printed once
                commands[self.send("Page.printToPDF", msg["sessionId"], **PRINT)] = ("print", msg["sessionId"])
        return out

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


def pdf_date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("D:%Y%m%d%H%M%S+00'00'")


#: a link to an element printed in another part: Chromium drops a link whose target is not in the
#: document, so such links are printed to this (never fetched) address and turned into the PDF's
#: own links to the named destination when the parts are joined (:func:`join`)
PART_LINK = "https://spf-part.invalid/#"
#: a part is printed without page numbers, so that its PDF does not depend on where it falls in the
#: report: the numbers are printed once, in a document of their own (:func:`numbers_document`), and
#: stamped onto the joined pages (:func:`stamp`)
PART_CSS = "@page { @bottom-center { content: none; } }"
#: tabs printing at once, each its own renderer process: Chromium prints a part with about 1.2 cores,
#: so one tab leaves a core of two mostly idle (the study's 14 parts: 3.9 s in one tab, 2.8 s in two)
TABS = 2
_PART_START = re.compile(r'(?=<section class="(?:chapter|backmatter)[ "])')
_ID = re.compile(r'\sid="([^"]+)"')
_HREF = re.compile(r'href="#([^"]+)"')


def split(doc: str) -> tuple[str, list[str], str]:
    """``doc`` as (its head up to ``<body>``, its parts, the rest): the front matter (title page,
    contents, abbreviations: what precedes ``<main>``), then each chapter and the back matter
    (each starts a page). A document without ``<main>`` is one part."""
    head, sep, body = doc.partition("<body>")
    front, sep2, rest = body.partition("<main>")
    if not sep or not sep2:
        return "", [doc], ""
    main, sep3, tail = rest.rpartition("</main>")
    if not sep3:
        return "", [doc], ""
    chapters = [c for c in _PART_START.split(main) if c.strip()]
    return head + sep, [front, *(f"<main>{c}</main>" for c in chapters)], tail


def part_document(head: str, part: str, tail: str, targets: set) -> str:
    """One part as a document of its own: the report's head and styles, no page numbers
    (:data:`PART_CSS`), its links to elements outside it sent to :data:`PART_LINK`, and a hidden link
    to each of its elements that a link anywhere in the report leads to (``targets``): Chromium
    makes a named destination only for an element a link of the same document leads to."""
    if not head:  # the document itself
        return part
    ids = set(_ID.findall(part))
    part = _HREF.sub(lambda m: m.group(0) if m.group(1) in ids else f'href="{PART_LINK}{m.group(1)}"', part)
    hidden = "".join(f'<a href="#{t}"></a>' for t in sorted(ids & targets))
    return (head.replace("</head>", f"<style>{PART_CSS}</style></head>", 1) + part
            + (f'<div style="display:none">{hidden}</div>' if hidden else "") + tail)


#: the page of :func:`numbers_document`: nothing but its footer (the report's ``@page`` rules); a
#: landscape page is the report's named page ``landscape``
NUMBERS_CSS = ("html, body { background: none !important; margin: 0 !important; padding: 0 !important; } "
               ".spf-number-page { height: 1px; break-before: page; } "
               ".spf-number-page:first-child { break-before: auto; } "
               ".spf-number-page.spf-landscape { page: landscape; }")


def numbers_document(head: str, tail: str, landscape: list[bool]) -> str:
    """The report's page numbers alone: one empty page per page of the report (``landscape``: which
    are landscape), printed with the report's head, so that each number is the footer the report's
    ``@page`` rules make for its page (none on the first, the title page); :func:`stamp` puts them
    on the joined parts' pages."""
    pages = "".join(f'<div class="spf-number-page{" spf-landscape" if land else ""}"></div>' for land in landscape)
    return head.replace("</head>", f"<style>{NUMBERS_CSS}</style></head>", 1) + pages + tail


def is_landscape(page) -> bool:
    box = page.mediabox
    return float(box.width) > float(box.height)


def stamp(writer, numbers) -> None:
    """Draw each page of ``numbers`` (:func:`numbers_document`, printed) on the page of ``writer``
    with its index, as a form XObject drawn before the page's own content (within ``q ... Q``), where
    Chromium draws a page's footer in a print of the whole document. The pages must match in number
    and orientation (:class:`PrintError` otherwise)."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject, NameObject

    if len(numbers.pages) != len(writer.pages):
        raise PrintError(f"the page numbers were printed on {len(numbers.pages)} pages for a report of "
                         f"{len(writer.pages)}")

    def stream(data: bytes, **entries):
        obj = DecodedStreamObject()
        obj.set_data(data)
        obj.update({NameObject(k): v for k, v in entries.items()})
        return writer._add_object(obj)

    for i, (page, number) in enumerate(zip(writer.pages, numbers.pages), start=1):
        if is_landscape(page) != is_landscape(number):
            raise PrintError(f"page {i}: the page number was printed on a page of another orientation")
        contents = number.get_contents()
        data = contents.get_data() if contents is not None else b""
        if not data.strip():  # no number (the title page)
            continue
        name = NameObject(f"/SpfPageNumber{i}")
        form = stream(data, **{"/Type": NameObject("/XObject"), "/Subtype": NameObject("/Form"),
                               "/BBox": ArrayObject(number.mediabox),
                               "/Resources": number["/Resources"].clone(writer)})
        resources = page["/Resources"].get_object()
        if "/XObject" not in resources:
            resources[NameObject("/XObject")] = DictionaryObject()
        resources["/XObject"].get_object()[name] = form
        own = page.raw_get("/Contents")  # (page["/Contents"] is the stream itself: an array holds references)
        own = list(own.get_object()) if isinstance(own.get_object(), ArrayObject) else [own]
        if not all(isinstance(c, IndirectObject) for c in own):
            raise PrintError(f"page {i}: its content is not a stream object of the PDF")
        page[NameObject("/Contents")] = ArrayObject([stream(b"q " + name.encode() + b" Do Q\n"), *own])


def fill_contents(front: str, pages: dict[str, int]) -> str:
    """The front matter with the contents' page numbers written in (``pages``: target id -> page)."""
    return re.sub(r'(<a href="#([^"]+)">.*?<span class="toc-page">)(</span>)',
                  lambda m: f"{m.group(1)}{pages.get(m.group(2), '')}{m.group(3)}", front, flags=re.S)


class Printer:
    """Prints the parts of the report (:func:`split`), :data:`TABS` at a time, each part's PDF kept
    in ``cache`` under the digest of what it was printed from (its document, Chromium's program,
    this module): a part whose document is unchanged is not printed again. ``browser``: one launched by the caller (not yet answering: it starts while the caller
    does other work); by default one is started on the first print."""

    def __init__(self, cache: Path | None, browser: "Browser | None" = None, env: dict | None = None,
                 browsers: list | None = None):
        self.cache, self.browser, self.env, self.browsers = cache, browser, env, browsers
        self.printed = self.kept = 0
        self._tmp = tempfile.TemporaryDirectory(prefix="spf-print-")
        self._version = None
        self._tabs: list[str] = []
        self._answered = False

    def _browser(self) -> Browser:
        if self.browser is None:
            self.browser = Browser.start(self.env)
        elif not self._answered:  # one launched by the caller (Browser(...)), not yet spoken to
            try:
                self.browser.call("Browser.getVersion")
            except PrintError:  # died while starting (seen once on a loaded machine): another one
                self.browser.close()
                self.browser = Browser.start(self.env)
        self._answered = True
        if self.browsers is not None and self.browser not in self.browsers:
            self.browsers.append(self.browser)  # the caller may stop it (Browser.kill)
        return self.browser

    def key(self, doc: str) -> str:
        import hashlib

        if self._version is None:  # Chromium's program (path, size, time): no need to start it
            exe = Path(os.path.realpath(find_chromium()))
            st = exe.stat()
            self._version = f"{exe} {st.st_size} {st.st_mtime_ns}"
        h = hashlib.sha256()
        for part in (doc.encode(), self._version.encode(), json.dumps(PRINT).encode(), Path(__file__).read_bytes()):
            h.update(hashlib.sha256(part).digest())
        return h.hexdigest()[:20]

    def print_all(self, items: list[tuple[str, str]]) -> list[bytes]:
        """The PDF of each ``(name, document)``: from the cache, or printed, up to :data:`TABS` at
        once (:meth:`Browser.print_urls`), and kept in the cache."""
        out: list = [None] * len(items)
        todo = []
        for i, (name, doc) in enumerate(items):
            entry = self.cache / f"{name}.{self.key(doc)}.pdf" if self.cache is not None else None
            if entry is not None and entry.exists():
                self.kept += 1
                out[i] = entry.read_bytes()
            else:
                todo.append((i, name, doc, entry))
        if not todo:
            return out
        browser = self._browser()
        urls = []
        for i, name, doc, entry in todo:
            f = Path(self._tmp.name) / f"{name}.html"
            f.write_text(doc, encoding="utf-8")
            urls.append(f.as_uri())
        while len(self._tabs) < min(TABS, len(todo)):  # tabs kept for the next call (a new one: about 0.1 s)
            self._tabs.append(browser.new_tab())
        for (i, name, doc, entry), pdf in zip(todo, browser.print_urls(self._tabs[:len(todo)], urls)):
            out[i] = pdf
            self.printed += 1
            if entry is not None:
                self.cache.mkdir(parents=True, exist_ok=True)
                for old in self.cache.glob(f"{glob.escape(name)}.*.pdf"):
                    old.unlink(missing_ok=True)
                tmp = entry.with_name(f".{entry.name}.{os.getpid()}")
                tmp.write_bytes(pdf)
                os.replace(tmp, entry)
        return out

    def close(self) -> None:
        if self.browser is not None:
            if not self._answered:  # launched but never needed (every part kept): no need to wait for it
                self.browser.kill()
            self.browser.close()
        self._tmp.cleanup()


def _part_name(i: int, part: str) -> str:
    """A part's name in the cache: ``front``, a chapter's id, ``backmatter``."""
    m = re.search(r'<section class="([a-z]+)[^"]*"(?: id="([^"]+)")?', part)
    return "front" if i == 0 else (m.group(2) or m.group(1)) if m else f"part{i}"


def _reader(pdf: bytes):
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # Chromium's trailer /Size is short: harmless
    return PdfReader(io.BytesIO(pdf))


def destinations(readers: list) -> dict[str, tuple[int, float | None]]:
    """Named destination (an element id) -> (1-based page of the joined parts, top of the target on its page)."""
    out, first = {}, 0
    for reader in readers:
        for name, dest in reader.named_destinations.items():
            top = dest.get("/Top")
            out[str(name).lstrip("/")] = (first + reader.get_destination_page_number(dest) + 1,
                                          float(top) if top is not None else None)
        first += len(reader.pages)
    return out


def join(readers: list):
    """One PDF writer holding the parts' pages in order (``readers``: each part's PDF read), their
    named destinations (element id -> page and position) and their links, the links between parts
    made the PDF's own (:data:`PART_LINK`)."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NullObject

    writer = PdfWriter()
    names = DictionaryObject()
    for reader in readers:
        added = [writer.add_page(page) for page in reader.pages]
        for name, dest in reader.named_destinations.items():
            n = reader.get_destination_page_number(dest)
            names[NameObject("/" + str(name).lstrip("/"))] = ArrayObject([
                added[n].indirect_reference, NameObject("/XYZ"),
                *(FloatObject(dest[k]) if dest.get(k) is not None else NullObject() for k in ("/Left", "/Top", "/Zoom"))])
    for page in writer.pages:
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            uri = a["/A"].get("/URI") if "/A" in a else None
            if uri and str(uri).startswith(PART_LINK):
                target = str(uri)[len(PART_LINK):]
                if NameObject("/" + target) not in names:
                    raise PrintError(f"a link leads to #{target}, which is not in the report")
                del a[NameObject("/A")]
                a[NameObject("/Dest")] = NameObject("/" + target)
    writer._root_object[NameObject("/Dests")] = writer._add_object(names)
    return writer


def finish(writer, toc: list, dests: dict, epoch: int) -> bytes:
    """Add the outline (the contents' headings: chapters, their sections under them) and
    fix the document's dates to ``epoch``."""
    from pypdf.generic import Fit

    parent = None
    for level, text, target in toc:
        if target not in dests:
            continue
        page, top = dests[target]
        fit = Fit.xyz(0, top, 0) if top is not None else Fit.fit()
        item = writer.add_outline_item(title=text, page_number=page - 1, parent=None if "toc-h1" in level else parent, fit=fit)
        if "toc-h1" in level:
            parent = item
    if toc:
        writer.page_mode = "/UseOutlines"
    writer.add_metadata({"/CreationDate": pdf_date(epoch), "/ModDate": pdf_date(epoch)})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


TOC_RE = re.compile(r'<li class="(toc-h[12])"><a href="#([^"]+)"><span class="toc-text">(.*?)</span>', re.S)


def print_report(doc: str, target: Path, epoch: int, env: dict | None = None, timings: dict | None = None,
                 browsers: list | None = None, browser: Browser | None = None, cache: Path | None = None) -> int:
    """Print the HTML ``doc`` to ``target``; the number of pages.

    The report is printed in parts (:func:`split`: the front matter, each chapter, the back
    matter; each starts a page), :data:`TABS` at a time, without page numbers, so that a part's
    PDF does not depend on the parts before it; each is kept in ``cache`` (:class:`Printer`):
    after a change to one chapter, only that chapter is printed again. Then, at once, the front
    matter with the contents' page numbers, read from the parts' named destinations (they sit in
    boxes of fixed width: it has as many pages as without them), and the page numbers
    (:func:`numbers_document`, one printed page per page of the report); the parts are joined
    (:func:`join`), the numbers stamped on their pages (:func:`stamp`), the outline added and the
    dates fixed (:func:`finish`). ``browser``: one already started (:meth:`Browser.start`, e.g. by
    the caller's main thread while it assembles the HTML), closed here; by default one is started
    when a part is to be printed. A document without parts (no ``<main>``) is printed as it is,
    numbered by Chromium."""
    from html import unescape

    t0 = time.perf_counter()
    head, parts, tail = split(doc)
    targets = set(_HREF.findall(doc))
    toc = [(lvl, unescape(re.sub(r"<[^>]+>", "", text)).strip(), hid) for lvl, hid, text in TOC_RE.findall(parts[0])]
    printer = Printer(cache, browser, env, browsers)
    closing = None  # Chromium's end, awaited in a thread of its own while the parts are joined
    try:
        try:
            names = ["front", *(_part_name(i, part) for i, part in enumerate(parts[1:], start=1))]
            readers = [_reader(b) for b in printer.print_all(
                [(name, part_document(head, part, tail, targets)) for name, part in zip(names, parts)])]
            dests = destinations(readers)
            last = []
            if head:
                last.append(("numbers", numbers_document(head, tail, [is_landscape(p) for r in readers for p in r.pages])))
            if toc:
                missing = sorted(t for _, _, t in toc if t not in dests)
                if missing:
                    raise PrintError(f"contents entries without a destination in the PDF: {missing[:5]}")
                last.append(("front-numbered", part_document(
                    head, fill_contents(parts[0], {t: dests[t][0] for _, _, t in toc}), tail, targets)))
            extra = {name: _reader(b) for (name, _), b in zip(last, printer.print_all(last))}
            closing = threading.Thread(target=printer.close, name="chromium-close")
            closing.start()  # nothing is printed after this: Chromium ends while the PDF is put together
            if "front-numbered" in extra:
                filled = extra["front-numbered"]
                if len(filled.pages) != len(readers[0].pages):
                    raise PrintError(f"the front matter takes {len(filled.pages)} pages with the contents' page numbers, "
                                     f"{len(readers[0].pages)} without: the numbers must not change its layout")
                readers[0] = filled
            writer = join(readers)
            if "numbers" in extra:
                stamp(writer, extra["numbers"])
        finally:
            if closing is None:
                printer.close()
        out = finish(writer, toc, dests, epoch)
        target.write_bytes(out)
    finally:
        if closing is not None:
            closing.join()
    if timings is not None:
        timings["pdf"] = time.perf_counter() - t0
        timings["parts"] = (printer.printed, printer.kept)
    return len(writer.pages)
