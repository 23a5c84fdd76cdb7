"""The PDF printed in parts (spf_analysis.report.pdf.print_report): the same pages as one print of
the whole document (their page numbers stamped from a document of their own), the contents' numbers
where the headings are, links across parts kept, and a changed chapter printed again alone."""

from __future__ import annotations

import io
import re
import shutil

import nbformat
import pytest

from spf_analysis.report import assemble as report
from spf_analysis.report import pdf

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                                reason="the PDF is printed by headless Chromium (make chromium)")

META = {"title": "T", "subtitle": "S", "series": "X", "authors": "A", "edition": "E", "notes": ["n"]}
PARA = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt. " * 6


def chapter(tmp_path, name, title, n_paras, extra=""):
    nb = nbformat.v4.new_notebook()
    body = "\n\n".join(f"{title} paragraph {i}. {PARA}" for i in range(n_paras))
    c = nbformat.v4.new_code_cell("x = 1")
    c.outputs = [nbformat.v4.new_output("display_data", data={"text/html": f"<p>{title} output</p>"})]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\n{extra}\n\n## {title} first part\n\n{body}"
                                              f"\n\n## {title} last part\n\nEnd of {title}."), c]
    p = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, p)
    return p


@pytest.fixture(scope="module")
def browser():
    b = report.start_browser()
    yield b
    b.close()


def texts(data: bytes) -> list[str]:
    return [p.extract_text() for p in pdf._reader(data).pages]


def whole(doc: str, tmp_path) -> bytes:
    """The document printed in one piece (what the parts must reproduce)."""
    f = tmp_path / "whole.html"
    f.write_text(doc, encoding="utf-8")
    with pdf.Browser.start(report._chromium_env()) as b:
        return b.print_pdf(b.open(f.as_uri()))


def print_parts(doc, tmp_path, cache, name="out.pdf"):
    stats: dict = {}
    out = tmp_path / name
    n = pdf.print_report(doc, out, 1451606400, env=report._chromium_env(), timings=stats, cache=cache)
    return out.read_bytes(), n, stats["parts"]


def test_parts_give_the_pages_of_one_print(tmp_path):
    nbs = [chapter(tmp_path, "01_a", "1. Alpha", 3, "See [the last chapter](#3-gamma)."),
           chapter(tmp_path, "02_b", "2. Beta", 14),  # several pages
           chapter(tmp_path, "03_c", "3. Gamma", 2, "Back to [Alpha](#1-alpha).")]
    doc = report.assemble(nbs, META, cache=None)
    ref = texts(whole(doc, tmp_path))
    out, n, (printed, kept) = print_parts(doc, tmp_path, tmp_path / "cache")
    got = texts(out)
    assert n == len(got) == len(ref) >= 6 and (printed, kept) == (7, 0)  # front, 3 chapters, references, numbered front, numbers
    # every page as in one print, its footer number included (the title page has none); the
    # contents pages differ only by the page numbers written in
    toc_pages = [i for i, t in enumerate(ref) if "Contents" in t]
    for i, (r, g) in enumerate(zip(ref, got)):
        if i in toc_pages:
            assert re.sub(r"\s*\d+\s*", " ", g).split() == re.sub(r"\s*\d+\s*", " ", r).split()
        else:
            assert g == r, i
    for i, t in enumerate(got[1:], start=2):
        assert re.search(rf"(^|\n){i}(\n|$)", t), (i, t[:30])
    # the contents' numbers are the pages the headings start on
    start = {h: next(i for i, t in enumerate(got, 1) if t.lstrip().startswith(h) or f"\n{h}\n" in t)
             for h in ("1. Alpha", "2. Beta", "2. Beta last part", "3. Gamma")}
    toc = got[toc_pages[0]]
    for h, page in start.items():
        assert re.search(rf"{re.escape(h)}\s*{page}\b", toc), (h, page, toc)
    assert start["2. Beta last part"] > start["2. Beta"]
    # links: within and across parts, each a link to the heading's named destination on its page
    reader = pdf._reader(out)
    dests = pdf.destinations([reader])
    links = [(i + 1, str(a.get_object().get("/Dest", "")).lstrip("/"), "/A" in a.get_object())
             for i, p in enumerate(reader.pages) for a in p.get("/Annots") or []]
    body = [(p, d) for p, d, uri in links if p > toc_pages[-1] + 1]
    assert (start["1. Alpha"], "3-gamma") in body and (start["3. Gamma"], "1-alpha") in body
    assert not any(uri for *_, uri in links)  # no link left to the placeholder address
    assert dests["3-gamma"][0] == start["3. Gamma"] and dests["1-alpha"][0] == start["1. Alpha"]
    # the outline: the chapters, their sections under them
    assert [o.title for o in reader.outline if not isinstance(o, list)] == ["1. Alpha", "2. Beta", "3. Gamma", "References"]


def test_a_changed_chapter_is_printed_again_alone(tmp_path):
    cache = tmp_path / "cache"
    nbs = [chapter(tmp_path, "01_a", "1. Alpha", 3), chapter(tmp_path, "02_b", "2. Beta", 4, "Version one."),
           chapter(tmp_path, "03_c", "3. Gamma", 2)]
    doc = report.assemble(nbs, META, cache=None)
    first, _, _ = print_parts(doc, tmp_path, cache, "first.pdf")
    again, _, parts = print_parts(doc, tmp_path, cache, "again.pdf")
    assert again == first and parts == (0, 7)  # nothing printed; the same bytes
    # a change inside chapter 2, its pages as many: chapter 2 alone printed again
    nbs[1] = chapter(tmp_path, "02_b", "2. Beta", 4, "Version two.")
    doc2 = report.assemble(nbs, META, cache=None)
    changed, _, parts = print_parts(doc2, tmp_path, cache, "changed.pdf")
    assert parts == (1, 6)  # (its pages as many: the page numbers and the contents kept)
    cold, _, parts = print_parts(doc2, tmp_path, None, "cold.pdf")  # no cache: every part printed
    assert changed == cold and parts == (7, 0)
    # chapter 1 grows by pages: it alone of the parts is printed again (a part is printed without page
    # numbers: the chapters after it do not depend on where they start), with the page numbers (more
    # pages) and the numbered front matter (the contents' numbers change)
    nbs[0] = chapter(tmp_path, "01_a", "1. Alpha", 20)
    doc3 = report.assemble(nbs, META, cache=None)
    grown, _, parts = print_parts(doc3, tmp_path, cache, "grown.pdf")
    assert parts == (3, 4)  # the front matter, chapters 2 and 3 and the references kept
    assert grown == print_parts(doc3, tmp_path, None, "grown_cold.pdf")[0]


def test_split_keeps_every_part_of_the_body():
    doc = ('<html><head><style>x</style></head><body><section class="title-page">T</section><nav class="toc">C</nav>'
           '<main>\n<section class="chapter" id="chapter-01">A</section>\n'
           '<section class="chapter" id="chapter-02">B</section><section class="backmatter references">R</section>\n</main>\n'
           '</body>\n</html>\n')
    head, parts, tail = pdf.split(doc)
    assert head.endswith("<body>") and tail == "\n</body>\n</html>\n"
    assert len(parts) == 4 and parts[0].startswith('<section class="title-page">')
    joined = head + parts[0] + "<main>" + "".join(p[len("<main>"):-len("</main>")] for p in parts[1:]) + "</main>" + tail
    assert re.sub(r">\s+<", "><", joined) == re.sub(r">\s+<", "><", doc)  # only the blanks between parts dropped
    assert pdf.split("<html><body><p>x</p></body></html>") == ("", ["<html><body><p>x</p></body></html>"], "")


def test_a_link_to_nothing_is_refused(tmp_path):
    doc = ('<html><head></head><body><section class="title-page">T</section><main>'
           '<section class="chapter" id="chapter-01"><p><a href="#nowhere">x</a></p></section>'
           '</main></body></html>')
    with pytest.raises(pdf.PrintError, match="#nowhere"):
        print_parts(doc, tmp_path, None)


def test_page_numbers_on_landscape_pages_and_mismatches_refused(tmp_path):
    """A landscape page gets its number where a print of the whole document puts it (the landscape
    page's own margins), from a landscape page of the numbers' document; numbers printed for another
    count or orientation of pages are refused, not stamped."""
    wide = '<div class="spf-table-block landscape"><p>A wide table stands here.</p></div>'
    nbs = [chapter(tmp_path, "01_a", "1. Alpha", 2, wide), chapter(tmp_path, "02_b", "2. Beta", 2)]
    doc = report.assemble(nbs, META, cache=None)
    ref_pdf = whole(doc, tmp_path)
    out, n, _ = print_parts(doc, tmp_path, None)
    ref, got = pdf._reader(ref_pdf), pdf._reader(out)
    orientation = [pdf.is_landscape(p) for p in got.pages]
    assert orientation == [pdf.is_landscape(p) for p in ref.pages] and any(orientation) and not all(orientation)
    toc_pages = [i for i, p in enumerate(ref.pages) if "Contents" in p.extract_text()]
    for i, (r, g) in enumerate(zip(ref.pages, got.pages)):
        if i not in toc_pages:
            assert g.extract_text() == r.extract_text(), i
    land = orientation.index(True)
    assert re.search(rf"(^|\n){land + 1}(\n|$)", got.pages[land].extract_text())
    # numbers printed for other pages: refused
    head, _, tail = pdf.split(doc)
    with pdf.Browser.start(report._chromium_env()) as b:
        def numbers(landscape):
            f = tmp_path / f"numbers{len(landscape)}{sum(landscape)}.html"
            f.write_text(pdf.numbers_document(head, tail, landscape), encoding="utf-8")
            return pdf._reader(b.print_pdf(b.open(f.as_uri())))
        portrait = numbers([False] * n)
        shorter = numbers(orientation[:-1])
    assert len(portrait.pages) == n and len(shorter.pages) == n - 1
    with pytest.raises(pdf.PrintError, match="another orientation"):
        pdf.stamp(pdf.join([pdf._reader(out)]), portrait)
    with pytest.raises(pdf.PrintError, match=f"printed on {n - 1} pages for a report of {n}"):
        pdf.stamp(pdf.join([pdf._reader(out)]), shorter)
