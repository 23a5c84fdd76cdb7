"""Report assembly from executed notebooks: no code, contents list, refusal of errors."""

import re
from pathlib import Path

import nbformat
import pytest

from spf_analysis.config import paths
from spf_analysis.report import assemble as report


def executed(tmp_path, name, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    p = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, p)
    return p


def code(outputs, source="x = 1"):
    c = nbformat.v4.new_code_cell(source)
    c.outputs = outputs
    return c


HTML_OUT = nbformat.v4.new_output("display_data", data={"text/html": "<p class='t'>TABLE</p>"})
STREAM = nbformat.v4.new_output("stream", name="stderr", text="WARNING noise")
META = {"title": "T", "subtitle": "S", "series": "X", "authors": "A", "edition": "E",
        "notes": ["n"]}


def test_assemble(tmp_path):
    p = executed(tmp_path, "01_a", [nbformat.v4.new_markdown_cell("# 1. Chapter\n## 1.1 Part"),
                                   code([HTML_OUT, STREAM], source="secret_code = 42")])
    doc = report.assemble([p], META)
    assert "TABLE" in doc and "secret_code" not in doc and "WARNING noise" not in doc
    # contents entries: title, and the page number the PDF printer writes in (spf_analysis.report.pdf)
    assert '<a href="#1-chapter"><span class="toc-text">1. Chapter</span><span class="toc-page"></span></a>' in doc
    assert '<a href="#1-1-part"><span class="toc-text">1.1 Part</span>' in doc
    assert "<style>" in doc and "http" not in doc.split("<main>")[0].split("<style>")[0]


def test_error_output_stops_the_report(tmp_path):
    err = nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                 traceback=["Traceback"])
    p = executed(tmp_path, "01_a", [nbformat.v4.new_markdown_cell("# 1"), code([err])])
    with pytest.raises(report.ReportError, match="ZeroDivisionError"):
        report.assemble([p], META)


def test_empty_chapter_stops_the_report(tmp_path):
    p = executed(tmp_path, "01_a", [nbformat.v4.new_markdown_cell("# 1"), code([])])
    with pytest.raises(report.ReportError, match="empty chapter"):
        report.assemble([p], META)


def test_report_meta_is_checked(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text("title: T\n")
    with pytest.raises(report.ReportError, match="missing"):
        report.load_meta(f)
    report.load_meta()  # the real one is complete


def block(label, source, table="<table class='spf-table'><thead><tr><th>a</th></tr></thead><tr><td>1</td></tr></table>"):
    return (f'<div class="spf-table-block"><p class="caption"><span class="label">{label}.</span> T</p>'
            f'{table}<p class="source">Source: {source}</p></div>')


def test_repeated_sources_collapse_and_long_ones_are_marked():
    from bs4 import BeautifulSoup

    long_src = "x" * (report.LONG_SOURCE + 1)
    html_ = ('<section class="chapter">' + block("Table 1.1", "A") + block("Table 1.2", "A") + block("Table 1.3", long_src)
             + '</section><section class="chapter">' + block("Table 2.1", "A") + '</section>')
    soup = BeautifulSoup(html_, "html.parser")
    report.collapse_sources(soup)
    src = [p.get_text() for p in soup.select("p.source")]
    assert src == ["Source: A", "Source: as for Table 1.1.", f"Source: {long_src}", "Source: A"]  # per chapter
    assert soup.select("p.source")[2]["class"] == ["source", "long"]


def test_wide_and_text_tables_are_marked():
    from bs4 import BeautifulSoup

    wide = "<table class='spf-table'><thead><tr>" + "<th>c</th>" * (report.WIDE_COLUMNS + 1) + "</tr></thead></table>"
    text = ("<table class='spf-table'><thead><tr>" + "<th>c</th>" * 6 + "</tr></thead><tr><td>"
            + "y" * (report.TEXT_CELL + 1) + "</td></tr></table>")
    small = "<table class='spf-table'><thead><tr><th>c</th></tr></thead><tr><td>short</td></tr></table>"
    soup = BeautifulSoup(block("Table 1.1", "S", wide) + block("Table 1.2", "S", text) + block("Table 1.3", "S", small),
                         "html.parser")
    report.mark_tables(soup)
    t = soup.select("table")
    assert t[0]["class"] == ["spf-table", "wide"] and t[1]["class"] == ["spf-table", "text"]
    assert t[2]["class"] == ["spf-table"]
    # a text table is not landscape for being text: 6 narrow columns fit a portrait page (tests/test_layout.py)
    assert not any("landscape" in b["class"] for b in soup.select("div.spf-table-block"))


def test_edition_names_the_commit_not_the_clock(tmp_path):
    import re as _re
    import subprocess as _sp

    from spf_analysis.report import assemble as _a
    e = _a.commit_edition()
    head = _sp.run(["git", "-C", str(_a.paths.ROOT), "log", "-1", "--format=%h %cs"], capture_output=True, text=True)
    if head.returncode == 0:  # a checkout: the short hash and the commit date
        assert [e["commit"], e["date"]] == head.stdout.split()
        assert _re.fullmatch(r"[0-9a-f]{7,}", e["commit"]) and _re.fullmatch(r"\d{4}-\d\d-\d\d", e["date"])
    assert _a.commit_edition(tmp_path) == {"commit": "unversioned", "date": "unversioned"}  # not a git checkout
    meta = _a.load_meta()
    assert "{commit}" in meta["edition"] and "{date}" in meta["edition"]
    assert any("not an official publication" in n for n in meta["notes"])


def test_chapters_are_cached_and_a_changed_one_is_reassembled(tmp_path):
    """Each chapter's fragment comes from the cache while its notebook is unchanged; a changed
    notebook is converted again; either way the report equals a build without any cache, byte for
    byte (and the cross-chapter steps see the new chapter: its table is linked from the other)."""
    def two(value, bid="tab-2-1"):
        a = executed(tmp_path, "01_a", [nbformat.v4.new_markdown_cell("# 1. First"),
                                        code([nbformat.v4.new_output("display_data", data={"text/html":
                                              "<p>See Table 2.1.</p>"})])])
        table = (f'<div class="spf-table-block" id="{bid}"><p class="caption"><span class="label">Table 2.1.</span>'
                 f' T</p><table class="spf-table"><tr><td>{value}</td></tr></table></div>')
        b = executed(tmp_path, "02_b", [nbformat.v4.new_markdown_cell("# 2. Second"),
                                        code([nbformat.v4.new_output("display_data", data={"text/html": table})])])
        for nb in (a, b):  # fixed cell ids: the same content gives the same file
            x = nbformat.read(nb, as_version=4)
            for i, c in enumerate(x.cells):
                c["id"] = f"c{i}"
            nbformat.write(x, nb)
        return [a, b]

    cache = tmp_path / "cache"
    stats = {}
    first = report.assemble(two(1), META, stats, cache)
    assert (stats["chapters"], stats["cached"]) == (2, 0)
    assert first == report.assemble(two(1), META, cache=None)
    assert 'href="#tab-2-1"' in first

    stats = {}
    assert report.assemble(two(1), META, stats, cache) == first
    assert (stats["chapters"], stats["cached"]) == (2, 2)

    stats = {}
    changed = report.assemble(two(2), META, stats, cache)   # one value of chapter 2 changed
    assert (stats["chapters"], stats["cached"]) == (2, 1)
    assert changed != first and "<td>2</td>" in changed and "<td>1</td>" not in changed
    assert changed == report.assemble(two(2), META, cache=None)
    assert 'href="#tab-2-1"' in changed
    # chapter 2's table gets another id: chapter 1 (its fragment cached) links to the new one
    stats = {}
    moved = report.assemble(two(2, bid="tab-new"), META, stats, cache)
    assert (stats["chapters"], stats["cached"]) == (2, 1)
    assert 'href="#tab-new"' in moved and 'href="#tab-2-1"' not in moved
    assert moved == report.assemble(two(2, bid="tab-new"), META, cache=None)
    # one entry per chapter: the stale ones are gone
    assert sorted(f.name.rsplit(".", 2)[0] for f in cache.iterdir()) == ["01_a.fragment", "02_b.fragment"]


def _linked_by_parsing(fragment: str, ids: dict, cited: list, slugs: list) -> str:
    """The steps across chapters done on the parsed chapter, as before the markers: the reference
    that :func:`report.linked_chapter` (markers replaced, no parsing) must equal byte for byte."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(fragment, "html.parser")
    for a in soup.select("a.anchor-link"):
        a.decompose()
    report.collapse_sources(soup)
    report.mark_tables(soup)
    report.lead_headings(soup)
    report.break_ids(soup)
    report.link_exhibits(soup, ids)
    report.link_references(soup, cited)
    for h, slug in zip(soup.find_all(["h1", "h2"]), slugs, strict=True):
        h["id"] = slug
    return soup.decode(formatter="html5")


LINKS = """<section class="chapter" id="chapter-04_x">
<h1 id="4.-Costs">4. Costs &amp; more</h1><h2>4.1 Sub</h2>
<p>Tables 4.1-4.2 and Figure 9.9 (no such figure); Table S.1 &lt;here&gt;, <a href="x">Table 4.1</a>.</p>
<div class="spf-table-block" id="t41"><p class="caption"><span class="label">Table 4.1.</span> See Table 4.2</p>
<table class="spf-table"><tr><td>Table 4.2 of a source</td></tr></table>
<p class="source">Source: PBS (2019); ILO (2017), Table 4.2; <a href="u">PBS (2019)</a> and ILO (2017) again.</p></div>
<div class="spf-table-block" id="t42"><p class="caption"><span class="label">Table 4.2.</span> T</p></div>
<style>p::after {content: "Table 4.1"}</style>
</section>"""


def test_linking_by_markers_equals_linking_the_parsed_chapter():
    """The markers left by chapter_passes, replaced by linked_chapter, give the same bytes as linking the
    parsed chapter (exhibits cited in prose, in captions and tables, unknown labels, text inside links
    and style; short citations in source lines; headings' ids); and for every chapter of the
    built report when there is one."""
    ids, cited = {"Table 4.1": "t41", "Table 4.2": "t42", "Table S.1": "s1"}, ["PBS (2019)", "ILO (2017)"]
    frag = report.chapter_passes(LINKS)
    slugs = ["costs-more", "sub"]
    linked = report.linked_chapter(frag, ids, cited, slugs)
    assert linked == _linked_by_parsing(LINKS, ids, cited, slugs)
    assert "@@spf-" not in linked and linked.count('class="xref"') == 6
    assert '<a class="xref" href="#t41">Tables 4.1-4.2</a>' in linked and "Figure 9.9 (no" in linked
    assert report.linked_chapter(frag, {}, [], slugs) == _linked_by_parsing(LINKS, {}, [], slugs)
    # the facts are read from the chapter as it was, not from its markers
    assert frag["headings"] == ["4. Costs & more", "4.1 Sub"] and "PBS (2019)" in frag["sources"][0]
    # a comment stays one (linking the parsed chapter made its citation a visible link)
    commented = report.chapter_passes(LINKS.replace("</section>", "<!-- Table 4.1 -->\n</section>"))
    assert "<!-- Table 4.1 -->" in report.linked_chapter(commented, ids, cited, slugs)
    with pytest.raises(report.ReportError, match="reserved marker"):
        report.chapter_passes(LINKS.replace("4. Costs", "@@spf-text-0@@"))

    built = sorted(report.paths.REPORT_NOTEBOOKS.glob("*.ipynb"))
    for nb in built:  # the study's chapters: their own exhibits and the report's citations
        raw = report.chapter_html(nb)
        frag = report.chapter_passes(raw)
        ids = dict(x for cls in report.BLOCKS for x in frag["exhibits"][cls])
        cited = report.references.cited(frag["sources"])
        slugs = [f"h{i}" for i in range(len(frag["headings"]))]
        assert report.linked_chapter(frag, ids, cited, slugs) == _linked_by_parsing(raw, ids, cited, slugs), nb.name


#: a 1x1 PNG: an image output without alt text (nbconvert gives it one)
_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


@pytest.mark.parametrize("notebook", ["hand-made", *sorted(p.stem for p in paths.REPORT_NOTEBOOKS.glob("*.ipynb"))])
def test_the_chapter_exporter_gives_the_fragment_of_nbconvert_s_html_exporter(tmp_path, notebook):
    """html_exporter leaves out nbconvert's last pass (a BeautifulSoup parse and write of the whole
    chapter) and chapter_passes does what that pass did (nbconvert_fixes): the fragment is the one
    nbconvert's own HTMLExporter gives, byte for byte, on a chapter with an image without alt text, a
    table and a heading, and on each chapter of the built study."""
    from nbconvert import HTMLExporter

    if notebook == "hand-made":
        img = nbformat.v4.new_output("display_data", data={"image/png": _PNG})
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell("# 1. A\n\nText & more, *emphasis*."), code([img, HTML_OUT])]
    else:
        nb = report._clean(nbformat.read(paths.REPORT_NOTEBOOKS / f"{notebook}.ipynb", as_version=4), notebook)
    theirs, _ = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                             exclude_output_prompt=True).from_notebook_node(nb)
    ours, _ = report.html_exporter().from_notebook_node(nb)
    assert report.chapter_passes(ours) == report.chapter_passes(theirs)
    if notebook == "hand-made":  # nbconvert's pass gave the image its alt text; here chapter_passes does
        assert report.NO_ALT in report.chapter_passes(ours)["html"] and report.NO_ALT not in ours


def test_the_cache_key_changes_with_the_assembly_code(tmp_path, monkeypatch):
    p = executed(tmp_path, "01_a", [nbformat.v4.new_markdown_cell("# 1. A"), code([HTML_OUT])])
    key = report._cache_key(p)
    copy = tmp_path / "assemble.py"
    copy.write_bytes(open(report.__file__, "rb").read() + b"# changed\n")
    monkeypatch.setattr(report, "__file__", str(copy))
    assert report._cache_key(p) != key


def test_the_check_from_the_chapters_facts_equals_the_check_of_the_report(tmp_path):
    """build() checks the exhibits from each chapter's cached facts; the same problems as a check
    of the assembled report (a cited table that does not exist, an indexed one not shown)."""
    import pandas as pd

    table = ('<div class="spf-table-block" id="t11"><p class="caption"><span class="label">Table 1.1.</span> T</p>'
             '<table class="spf-table"><tr><td>Table 9.9 of a source</td></tr></table></div>')
    p = executed(tmp_path, "01_a", [nbformat.v4.new_markdown_cell("# 1. A\n\nAs Tables 1.1-1.3 show."),
                                    code([nbformat.v4.new_output("display_data", data={"text/html": table})])])
    index = pd.DataFrame({"kind": ["table", "table"], "label": ["Table 1.1", "Table 1.2"], "name": ["a", "b"],
                          "title": ["A", "B"], "chapter": ["01_a"] * 2, "index_file": ["01_index.csv"] * 2,
                          "report": [True, True]})
    stats = {}
    doc = report.assemble([p], META, stats, cache=tmp_path / "cache")
    from_facts = report.problems_of(stats["exhibits"], index)
    # the same problems; the facts quote the whole sentence (in the report the citation is a link)
    assert [x.split(" which no chapter has")[0] for x in from_facts] == [
        x.split(" which no chapter has")[0] for x in report.exhibit_problems(doc, index)]
    assert len(from_facts) == 2 and "Table 1.2 (b: 'B')" in from_facts[0]
    assert from_facts[1] == "chapter 01_a cites Table 1.3, which no chapter has: 'As Tables 1.1-1.3 show.'"


def test_the_chapters_html5_formatter_writes_what_bs4s_writes():
    """chapter_passes writes with bs4's html5 settings, skipping the entity substitution of ASCII text
    without & < > (assemble._Html5Formatter): bs4's substitution leaves every such text as it is (every
    ASCII character it has an entity for, every pair of ASCII characters), and a document comes out
    the same (entities, non-ASCII text, a data URI, a script, a void element, a boolean attribute)."""
    from bs4 import BeautifulSoup
    from bs4.dammit import EntitySubstitution
    from bs4.formatter import HTMLFormatter

    html5 = HTMLFormatter.REGISTRY["html5"]
    assert vars(report._HTML5) == vars(html5)
    EntitySubstitution.substitute_html5("")  # (bs4 fills its table of entities on first use)
    plain = [chr(i) for i in range(128) if chr(i) not in "&<>"]
    ascii_keys = [k for k in EntitySubstitution.CHARACTER_TO_HTML_ENTITY if k.isascii() and not set(k) & set("&<>")]
    for s in ascii_keys + plain + [a + b for a in plain for b in plain]:
        assert html5.substitute(s) == s, repr(s)
    doc = BeautifulSoup('<p title="a &amp; b &lt;c&gt; é" hidden="">x &amp;amp; &lt;y&gt; é © fj &amp;copy; +/=<br>'
                        '<img src="data:image/png;base64,iVBO+/=="><script>a<b && c</script><!-- a&b --></p>',
                        "html.parser")
    assert doc.decode(formatter=report._HTML5) == doc.decode(formatter="html5")


#: a fragment with what the passes look for, nested: chapters, blocks, captions, tables with and
#: without thead/tbody, multi-class tables, a table in a table, anchors, sources
_SELECT_DOC = """<section class="chapter x" id="chapter-01_a"><h1>1. A<a class="anchor-link" href="#a">¶</a></h1>
<div class="spf-table-block landscape" id="t1"><p class="caption"><span class="label">Table 1.1.</span> T</p>
<table class="spf-table text wide"><thead><tr><th>a_b</th></tr><tr><th>c</th></tr></thead>
<tbody><tr><td>1<table class="spf-table"><tr><th>inner</th></tr><tr><td>2</td></tr></table></td></tr></tbody></table>
<p class="source">Source: s.</p></div>
<figure class="spf-figure" id="f1"><figcaption class="caption"><span class="label">Figure 1.1.</span></figcaption></figure>
<table class="spf-table"><tr><th>x</th></tr><tr><td>y</td></tr></table><p class="source long">Source: t.</p></section>
<section class="backmatter"><p class="source">not in a chapter</p><table><tbody><tr><td>z</td></tr></tbody></table></section>"""


def test_the_passes_select_what_the_css_selectors_select():
    """The passes find elements with assemble._select, a plain walk for the module's own selectors
    (tag names, classes, descendant combinators), instead of soupsieve's CSS engine: for every selector
    the module uses (read from its source), from the document and from elements inside it, the same
    elements in the same order as BeautifulSoup's select, on a hand-made fragment and on the chapters
    of the built study."""
    from bs4 import BeautifulSoup

    src = Path(report.__file__).read_text(encoding="utf-8")
    selectors = set(re.findall(r'_select(?:_one)?\([a-z]+, "([^"]+)"\)', src)) | {f".{c}" for c in report.BLOCKS}
    assert {"table.spf-table th", ".caption .label", "thead tr", ".spf-figure"} <= selectors
    docs = [_SELECT_DOC] + [report.chapter_html(p) for p in sorted(paths.REPORT_NOTEBOOKS.glob("*.ipynb"))]
    for html in docs:
        soup = BeautifulSoup(html, "html.parser")
        roots = [soup, *soup.select("table.spf-table")[:4], *soup.select("div.spf-table-block, figure.spf-figure")[:4]]
        for root in roots:
            for sel in sorted(selectors):
                assert [id(t) for t in report._select(root, sel)] == [id(t) for t in root.select(sel)], sel
                assert report._select_one(root, sel) is root.select_one(sel), sel


def test_selections_follow_the_document_as_passes_change_it():
    """A selection of a tag name in the whole document comes from its tags by name, made once
    (_by_name): a tag removed since is not selected, nor one below a removed tag, and tags the
    passes insert (links, line breaks) are selected, as BeautifulSoup's select would."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_SELECT_DOC, "html.parser")
    assert report._select(soup, "td") == soup.select("td") and soup.__dict__.get("_spf_by_name")
    soup.select("td")[0].decompose()
    soup.select("table.spf-table")[-1].extract()  # its cells go with it
    for sel in ("td", "th", "table.spf-table th", "a", "p.source"):
        assert report._select(soup, sel) == soup.select(sel), sel
    text = soup.find("p", class_="source").find(string=True)
    report._link_matches(soup, text, re.compile(r"\w+"), lambda m: "#x")
    report._insert_breaks(soup, soup.select("th")[0], report._BREAK_UNDERSCORE, long_only=False)
    for sel in ("a", "a.xref", "wbr", "td", "p.source"):
        assert report._select(soup, sel) == soup.select(sel), sel
    assert report._select(soup, "a.xref")


def test_the_workbook_process_stops_quietly_and_ignores_ctrl_c():
    """The report step's workbook child (``assemble.Workbook``), forked from a step whose SIGTERM
    handler raises (``steps.run_step``): stopped at once, 30 times, it dies of SIGTERM without a
    traceback, even while multiprocessing is still starting it (before the fix 7 of 30 printed
    one: the step's Ctrl-C, then the child's stop, in CI); and Ctrl-C sent to it alone (as to the
    whole group) leaves it making the workbook, which the step then receives."""
    import subprocess
    import sys

    script = """
import os, signal
from spf_analysis.config import steps
from spf_analysis.report import assemble
for sig in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(sig, steps._raise_terminated)
codes = set()
for _ in range(30):
    w = assemble.Workbook([], "t")
    w.stop()
    codes.add(w._proc.exitcode)
print(sorted(codes))
w = assemble.Workbook([], "t")
os.kill(w._proc.pid, signal.SIGINT)
data, _ = w.result()
print(data[:2].decode(), w._proc.exitcode)
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                       cwd=paths.ROOT)
    assert r.stderr == "", r.stderr[-3000:]
    assert r.stdout.split("\n")[:2] == ["[-15]", "PK 0"], r.stdout


@pytest.mark.skipif(not paths.REPORT_HTML.exists(), reason="needs the built report (make report)")
def test_the_reports_ids_are_unique_and_each_exhibit_link_leads_to_its_kind():
    """No id twice in the report (a figure and a table of the same name, e.g. 05_coverage_quintile, shared
    one, and "Figure 5.3" led to the table; every chapter had nbconvert's cell-id=c00...); each link of
    a "Figure N.M" leads to a figure, each of a "Table N.M" to a table's block."""
    from collections import Counter

    from bs4 import BeautifulSoup

    doc = paths.REPORT_HTML.read_text(encoding="utf-8")
    counts = Counter(re.findall(r'\sid="([^"]+)"', doc))
    assert not [i for i, n in counts.items() if n > 1]
    soup = BeautifulSoup(doc, "html.parser")
    links = [a for a in soup.select("a.xref") if a.get_text().startswith(("Figure", "Table"))]
    assert len(links) > 20
    for a in links:
        target = soup.find(id=a["href"][1:])
        assert target is not None, a
        if a.get_text().startswith("Figure"):
            assert target.name == "figure", (a, target.name)
        else:
            assert {"spf-table-block", "spf-workbook-only"} & set(target.get("class", [])), (a, target.get("class"))
