"""Assemble the study: executed notebooks -> ``reports/rapid_assessment.html``
(self-contained, no code, figures embedded) and a PDF beside it.

``python -m spf_analysis.report.assemble reports/notebooks/01_x.ipynb ...``

Each executed notebook is converted with nbconvert's HTML exporter (``basic``
template, inputs and prompts excluded); the chapters are joined under a title
page and a contents list built from their headings, and styled by
``spf_analysis/report/assets/report.css`` (screen and print). The PDF is printed
from the same HTML by headless Chromium (:mod:`spf_analysis.report.pdf`), and the tables'
workbook written meanwhile. The files are written to temporary names and moved into
place only when all succeeded. Each chapter's processed HTML is cached in
``reports/.build/chapters/`` (:func:`chapter_fragment`): only the chapters whose notebook
changed are converted again. What depends on the other chapters (links to exhibits and
references, headings' ids) is left there as markers, replaced when the report is joined
(:func:`linked_chapter`), so no chapter is parsed again then. The step ends with a line of its phases' times. A notebook that holds an error
output, or a chapter with no content, stops the build.

Before anything is written, :func:`check_exhibits` compares the assembled HTML with
the chapters' indexes (``reports/tables/NN_index.csv``): every indexed figure and
table must be in the report (a workbook-only table as its one-line pointer), every
"Table N.M" / "Figure N.M" the text cites must exist, and the numbering must have
no holes. A failure names the exhibit and its chapter and leaves every output as it was.
"""

from __future__ import annotations

import copy
import functools
import glob
import hashlib
import html
import importlib.metadata
import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.dammit import EntitySubstitution
from bs4.formatter import HTMLFormatter

from spf_analysis.config import paths
from spf_analysis.config.errors import FileKeyError, read_yaml
from spf_analysis.config.fsutil import transaction
from spf_analysis.config.steps import run_step
from spf_analysis.config import labels
from spf_analysis.report import references
from spf_analysis.report.pdf import PrintError
from spf_analysis.report.exhibits import (LABEL_COLUMN, SYNTHETIC_LABEL, SYNTHETIC_NOTICE, column_record,
                                          read_columns, read_index, resolve_formats)
from spf_analysis.report.tables import WorkbookError, workbook_bytes

ASSETS = Path(__file__).parent / "assets"
REPORT_META = paths.PARAMS / "report.yaml"
#: the abbreviations of the front matter (abbreviation, expansion); tests/test_references.py
#: checks that every one is used in the report and every one the report uses is listed
ABBREVIATIONS = paths.ROOT / "docs" / "abbreviations.csv"
PDF_EPOCH = 1451606400  # 2016-01-01, the end of project PAK/12/50/JPN
SKIP_TAGS = {"parameters", "injected-parameters", "remove"}
#: where each chapter's processed HTML fragment is kept, by notebook and key (:func:`chapter_fragment`),
#: under ``paths.REPORTS`` (build scratch)
CHAPTER_CACHE = Path(".build") / "chapters"
#: where each part of the PDF (front matter, chapter, back matter) is kept (:func:`spf_analysis.report.pdf.print_report`)
PDF_CACHE = Path(".build") / "pdf"


class ReportError(RuntimeError):
    pass


def _clean(nb, name: str):
    """Drop parameter cells, streams (warnings, logs) and empty cells; refuse errors."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if SKIP_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "code":
            for out in cell.outputs:
                if out.output_type == "error":
                    raise ReportError(f"{name}: a cell raised {out.get('ename')}: "
                                      f"{out.get('evalue')}; fix the notebook")
            cell.outputs = [o for o in cell.outputs if o.output_type != "stream"]
            if not cell.outputs:
                continue
        cells.append(cell)
    nb.cells = cells
    return nb


@functools.lru_cache(maxsize=None)
def html_exporter():
    """nbconvert's HTML exporter of the chapters (``basic`` template, no inputs, no prompts), made
    once a process: a new exporter compiles its Jinja templates again (about 0.05 s, a third to a
    half of a chapter's conversion) for each chapter a process converts."""
    # imported here: slow to import (about 1 s), and needed only for a chapter not in the cache
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ChapterExporter(HTMLExporter):
        """nbconvert's HTMLExporter without its last pass, which parses the HTML it made with
        BeautifulSoup to give alt text to images without one and a tab index to the ``jp-Notebook``
        template's cells, then writes it out again: most of a chapter's conversion, and the chapter
        is parsed once more anyway by :func:`chapter_passes`, which does those two things
        (:func:`nbconvert_fixes`). The rest is HTMLExporter.from_notebook_node's (nbconvert 7)."""

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ChapterExporter(template_name="basic", exclude_input=True,
                           exclude_input_prompt=True, exclude_output_prompt=True)


#: what nbconvert's HTMLExporter writes on an image without alt text
NO_ALT = "No description has been provided for this image"


def nbconvert_fixes(soup: BeautifulSoup) -> None:
    """What nbconvert's HTMLExporter does to the HTML it made, and :func:`html_exporter` leaves out:
    alt text (:data:`NO_ALT`) on an image without one, ``tabindex="0"`` on the cells' input and
    output blocks of the ``jp-Notebook`` template (the ``basic`` template of the chapters has none)."""
    for img in _select(soup, "img"):
        if not img.has_attr("alt"):
            img["alt"] = NO_ALT
    for el in _select(soup, ".jp-Notebook div.jp-Cell-inputWrapper") + _select(soup, ".jp-Notebook div.jp-OutputArea-output"):
        el["tabindex"] = "0"


def chapter_html(nb_path: Path) -> str:
    """One executed notebook as an HTML fragment (no code)."""
    import nbformat  # (as nbconvert, above)

    nb = nbformat.read(nb_path, as_version=4)
    nb = _clean(nb, nb_path.name)
    if not any(c.cell_type == "code" for c in nb.cells):
        raise ReportError(f"{nb_path.name}: no figure, table or computed text; empty chapter")
    body, _ = html_exporter().from_notebook_node(nb)
    # nbconvert names each cell's block by the cell's id (c00, c01, ...), which every chapter has:
    # the chapter's stem makes them unique over the report
    body = body.replace(' id="cell-id=', f' id="cell-{nb_path.stem}-')
    return f'<section class="chapter" id="chapter-{nb_path.stem}">\n{body}\n</section>'


def _slug(text: str, used: set) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, i = base, 2
    while slug in used:
        slug, i = f"{base}-{i}", i + 1
    used.add(slug)
    return slug


#: a source line longer than this is set smaller (class ``long``)
LONG_SOURCE = 300
#: a table with more columns than this is set smaller in print (class ``wide``)
WIDE_COLUMNS = 8
#: a table with a cell longer than this is a text table: cells wrap and keep their line breaks
TEXT_CELL = 80
#: a table row with a cell longer than this (about half a landscape page in a matrix column) may
#: split across pages (class ``tall``); other rows stay whole
TALL_CELL = 600
#: a table with more columns than this gets a landscape page in print
LANDSCAPE_COLUMNS = 9
#: ... and so does one whose estimated width (:func:`table_width`) is above this many characters.
#: An A4 portrait text block (17.4 cm) holds about 110 characters of DejaVu Sans at 7.5 pt,
#: about 125 at the 6.5-7 pt of wide and text tables; landscape (26.1 cm) holds half as much again.
LANDSCAPE_CHARS = 130
#: in the width estimate, a cell counts at most this many characters (longer text wraps) ...
WRAP_CELL = 18
#: in a text table's cells, a word longer than this (a URL, a path, a parameter key) may break
#: after ``/ _ . - ? & =`` (:func:`break_ids` adds ``<wbr>``)
LONG_WORD = 25
_BREAK_AFTER = re.compile(r"(?<=[/_.?&=-])(?=[^/])")
#: in table headers, a break after each underscore (:func:`break_ids`)
_BREAK_UNDERSCORE = re.compile(r"(?<=_)(?=.)")
_SPACES = re.compile(r"(\s+)")
#: a class attribute's classes, as CSS (and soupsieve) split it
_CLASS = re.compile(r"[^ \t\r\n\f]+")


# The passes find their elements with _select, not soupsieve's select: on a chapter's few thousand
# elements, a CSS selector costs about eight times a plain walk of the tree, and find_parent for each
# of its texts (mark_linkable) a search of every ancestor; those were most of a chapter's passes.

@functools.lru_cache(maxsize=None)
def _compounds(selector: str) -> tuple:
    """``"table.spf-table th"`` -> ``(("table", ("spf-table",)), ("th", ()))``: the selector's compound
    selectors (a tag name or None, and classes), outermost first."""
    out = []
    for compound in selector.split():
        name, *classes = compound.split(".")
        out.append((name or None, tuple(classes)))
    return tuple(out)


def _matches(tag, name: str | None, classes: tuple) -> bool:
    if name is not None and tag.name != name:
        return False
    have = tag.get("class", [])
    have = _CLASS.findall(have) if isinstance(have, str) else have
    return all(c in have for c in classes)


def _iselect(root, selector: str):
    """What ``root.select(selector)`` selects (the tags below ``root``, in document order), for the
    selectors of this module only: tag names and classes (``p.source``, ``.caption``), joined by
    descendant combinators (``table.spf-table th``: any ancestor, also above ``root``, as in CSS)."""
    *outer, last = _compounds(selector)
    if last[0] is not None and isinstance(root, BeautifulSoup):  # a tag name, the whole document
        candidates = (tag for tag in _by_name(root).get(last[0], ()) if _in_tree(tag, root))
    else:
        candidates = (tag for tag in root.descendants if isinstance(tag, Tag))
    return (tag for tag in candidates if _matches(tag, *last) and _has_ancestors(tag, outer))


def _by_name(soup: BeautifulSoup) -> dict:
    """The document's tags by name, in document order: one walk of the document for all the
    selections of a tag name in it (each was a walk of its every node). Kept on the document until a
    function of this module inserts tags into it (:func:`_forget`); a tag removed since is skipped
    by :func:`_in_tree`."""
    names = soup.__dict__.get("_spf_by_name")
    if names is None:
        names = {}
        for node in soup.descendants:
            if isinstance(node, Tag):
                names.setdefault(node.name, []).append(node)
        soup.__dict__["_spf_by_name"] = names
    return names


def _forget(soup) -> None:
    """Tags are being inserted into ``soup``: its tags by name (:func:`_by_name`) are made anew when next needed."""
    soup.__dict__.pop("_spf_by_name", None)


def _in_tree(tag, root) -> bool:
    """Whether ``tag`` is still in the document ``root`` (not removed, nor below a removed tag)."""
    node = tag
    while node.parent is not None:
        node = node.parent
    return node is root


def _select(root, selector: str) -> list:
    """:func:`_iselect` as a list (``root.select(selector)``), found before the caller changes the tree."""
    return list(_iselect(root, selector))


def _select_one(root, selector: str):
    """The first tag of :func:`_iselect` (``root.select_one(selector)``), or None."""
    return next(_iselect(root, selector), None)


def _has_ancestors(tag, compounds) -> bool:
    """Whether ``tag``'s ancestors match ``compounds`` (outermost first), one each, in that order."""
    i = len(compounds) - 1
    for parent in tag.parents:
        if i < 0:
            break
        if _matches(parent, *compounds[i]):
            i -= 1
    return i < 0


def _strings(root) -> list:
    """Every string below ``root`` (``root.find_all(string=True)``: comments too)."""
    return [node for node in root.descendants if isinstance(node, NavigableString)]


class _Html5Formatter(HTMLFormatter):
    """BeautifulSoup's ``html5`` formatter (the same settings, the same output) that does not search
    an ASCII string without ``& < >`` for characters to write as entities: of the ASCII characters,
    bs4's html5 substitution names only ``<`` and ``>`` (and an ``&`` before something like ``&name;``),
    so it leaves such a string as it is (tests/test_report.py checks bs4's table). The search, a
    regular expression of some 1,500 alternatives run over the figures' data URIs (hundreds of kB),
    was most of the time a chapter took to be written out."""

    def substitute(self, ns: str) -> str:
        if ns.isascii() and "&" not in ns and "<" not in ns and ">" not in ns:
            return ns
        return super().substitute(ns)


#: what :func:`chapter_passes` writes its HTML with (``formatter="html5"``, faster)
_HTML5 = _Html5Formatter(entity_substitution=EntitySubstitution.substitute_html5, void_element_close_prefix="",
                         empty_attributes_are_booleans=True)


def _below(tags) -> set[int]:
    """The ``id`` of every node below one of ``tags``: whether a node has one of them as an ancestor,
    for all the nodes of a chapter at the cost of one walk."""
    return {id(node) for tag in tags for node in tag.descendants}


def collapse_sources(soup: BeautifulSoup) -> None:
    """Within a chapter, a source line identical to an earlier one becomes "as for Table 3.2".

    Long source lines (over :data:`LONG_SOURCE` characters) get the class ``long``.
    """
    for chapter in _select(soup, "section.chapter"):
        seen: dict[str, str] = {}
        for p in _select(chapter, "p.source"):
            text = p.get_text(" ", strip=True)
            block = p.find_parent(["figure", "div"], class_=["spf-figure", "spf-table-block"])
            label_el = _select_one(block, ".caption .label") if block else None
            label = label_el.get_text(strip=True).rstrip(".") if label_el else None
            if text in seen:
                p.string = f"Source: as for {seen[text]}."
                continue
            if label:
                seen[text] = label
            if len(text) > LONG_SOURCE:
                p["class"] = p.get("class", []) + ["long"]


def _columns(table) -> list:
    """The header cells of the table's last header row (one per column)."""
    rows = _select(table, "thead tr")
    if rows:
        return rows[-1].find_all("th")
    first = table.find("tr")
    return first.find_all("th") if first is not None else []


def _longest_part(text: str) -> int:
    """The longest run of the text that cannot wrap: words, and long words' parts between the
    characters after which :func:`break_ids` allows a break."""
    parts = [p for w in text.split() for p in (_BREAK_AFTER.split(w) if len(w) > LONG_WORD else [w])]
    return max((len(p) for p in parts), default=0)


def table_width(table) -> int:
    """Estimated width of a table in characters: per column, the longest of its header's longest
    word (headers wrap only between words), each cell's longest unbreakable run (:func:`_longest_part`)
    and each cell's length up to :data:`WRAP_CELL` (longer text wraps); plus 2 a column for the padding."""
    head = _columns(table)
    widths = [_longest_part(th.get_text(" ")) for th in head]
    for tr in _select(table, "tbody tr") or _select(table, "tr")[1:]:
        for i, cell in enumerate(tr.find_all(["td", "th"])[:len(widths)]):
            text = cell.get_text(" ").strip()
            widths[i] = max(widths[i], _longest_part(text), min(len(text), WRAP_CELL))
    return sum(w + 2 for w in widths)


def is_landscape(table) -> bool:
    """A table gets a landscape page in print when it is wide: more than :data:`LANDSCAPE_COLUMNS`
    columns, or an estimated width above :data:`LANDSCAPE_CHARS` characters."""
    return len(_columns(table)) > LANDSCAPE_COLUMNS or table_width(table) > LANDSCAPE_CHARS


def _insert_breaks(soup: BeautifulSoup, cell, pattern: re.Pattern, long_only: bool) -> None:
    for text in _strings(cell):
        words = _SPACES.split(str(text))
        if not any(pattern.search(w) and (len(w) > LONG_WORD or not long_only) for w in words):
            continue
        nodes = []
        _forget(soup)
        for w in words:
            parts = pattern.split(w) if (len(w) > LONG_WORD or not long_only) else [w]
            for j, part in enumerate(parts):
                if j:
                    nodes.append(soup.new_tag("wbr"))
                if part:
                    nodes.append(NavigableString(part))
        text.replace_with(*nodes)


def break_ids(soup: BeautifulSoup) -> None:
    """Allow line breaks where a word may wrap without being split inside a word (``<wbr>``): in
    table headers after each underscore, so an identifier such as ``package_minimum`` wraps at its
    parts; in text tables' cells, within words longer than :data:`LONG_WORD` (URLs, paths, keys)
    after ``/ _ . - ? & =``."""
    for th in _select(soup, "table.spf-table th"):
        _insert_breaks(soup, th, _BREAK_UNDERSCORE, long_only=False)
    for td in _select(soup, "table.spf-table.text td"):
        _insert_breaks(soup, td, _BREAK_AFTER, long_only=True)


def mark_tables(soup: BeautifulSoup) -> None:
    """Class ``wide`` on tables with many columns, ``text`` on tables holding long text cells;
    class ``landscape`` on the block (caption, table, source, note) of a wide table (:func:`is_landscape`)."""
    for table in _select(soup, "table.spf-table"):
        head = _columns(table)
        classes = table.get("class", [])
        if len(head) > WIDE_COLUMNS:
            classes.append("wide")
        if any(len(td.get_text()) > TEXT_CELL for td in _select(table, "td")):
            classes.append("text")
            for tr in _select(table, "tr"):
                if any(len(td.get_text()) > TALL_CELL for td in tr.find_all("td")):
                    tr["class"] = tr.get("class", []) + ["tall"]
        table["class"] = classes
        block = table.find_parent("div", class_="spf-table-block")
        if block is not None and is_landscape(table):
            block["class"] = block.get("class", []) + ["landscape"]


def lead_headings(soup: BeautifulSoup) -> None:
    """A notebook cell holding only headings, followed by a cell that opens with a landscape table,
    goes onto the landscape page with it (class ``landscape-lead``): otherwise the page change
    before the table would leave the heading alone at the foot of the portrait page."""
    for block in _select(soup, "div.spf-table-block.landscape"):
        cell = block.find_parent("div", class_="cell")
        if cell is None or not cell.get_text(" ", strip=True).startswith(block.get_text(" ", strip=True)[:80]):
            continue
        prev = cell.find_previous_sibling("div")
        if prev is None or "text_cell" not in prev.get("class", []):
            continue
        content = [el for el in prev.find_all(True) if el.name in ("p", "ul", "ol", "table", "div", "img")
                   and not el.get("class", []) and el.get_text(strip=True)]
        if prev.find(["h1", "h2", "h3", "h4"]) is not None and not prev.find("h1") and not content:
            prev["class"] = prev.get("class", []) + ["landscape-lead"]


def chapter_passes(fragment: str) -> dict:
    """The passes that look at one chapter only (no anchors, repeated sources collapsed,
    tables marked, headings led onto landscape pages, identifiers allowed to wrap): the
    fragment (``html``) and what the steps across chapters need from it: its exhibits' ids
    by block class, its source lines' text, its h1/h2 headings' text.

    The steps across chapters (:func:`linked_chapter`) need the whole report's exhibits,
    citations and headings, so the text they may change is left in ``html`` as markers (the
    texts themselves in ``linkable``, see :func:`mark_linkable`): they are done by replacing the
    markers, without parsing the chapter again."""
    soup = BeautifulSoup(fragment, "html.parser")
    nbconvert_fixes(soup)
    for a in _select(soup, "a.anchor-link"):
        a.decompose()
    collapse_sources(soup)
    mark_tables(soup)
    lead_headings(soup)
    break_ids(soup)
    headings = soup.find_all(["h1", "h2"])
    out = {"exhibits": {cls: _block_ids(soup, cls) for cls in BLOCKS},
           "sources": [p.get_text(" ", strip=True) for p in _select(soup, "p.source")],
           "headings": [h.get_text(" ", strip=True) for h in headings],
           "levels": [h.name for h in headings]}
    undo, out["linkable"] = mark_linkable(soup)
    out["html"] = soup.decode(formatter=_HTML5)
    undo()
    if len(_MARKS.findall(out["html"])) != len(out["linkable"]) + len(out["headings"]):
        raise ReportError("a chapter's text holds the reserved marker '@@spf-text-N@@' or '@@spf-heading-N@@'")
    out["check"] = exhibit_facts(soup)  # last: it removes the data tables
    return out


#: what :func:`mark_linkable` leaves in a chapter's HTML: a text that may get links (its number in
#: ``linkable``) and a heading's id
_TEXT_MARK, _HEADING_MARK = "@@spf-text-{}@@", "@@spf-heading-{}@@"
_MARKS = re.compile(r"@@spf-(text|heading)-([0-9]+)@@")


def mark_linkable(soup: BeautifulSoup):
    """Put markers where the steps across chapters change a chapter: each text :func:`link_exhibits`
    or :func:`link_references` may link, and each h1/h2 heading's id. Returns a function that puts
    the texts and ids back, and the texts as ``[text, exhibits, references]``: whether citations of
    exhibits, and short citations of references, are linked in it (:func:`linked_text`)."""
    texts, swapped, ids = [], [], []
    in_chapter, in_source = _below(_select(soup, "section.chapter")), _below(_select(soup, "p.source"))
    for node in _strings(soup):
        if type(node) is not NavigableString:  # comments, CDATA: no link
            continue
        exhibit = id(node) in in_chapter and _links_exhibits(node)
        reference = id(node) in in_source and _links_references(node)
        if exhibit or reference:
            mark = NavigableString(_TEXT_MARK.format(len(texts)))
            texts.append([str(node), exhibit, reference])
            node.replace_with(mark)
            swapped.append((mark, node))
    for i, h in enumerate(soup.find_all(["h1", "h2"])):
        ids.append((h, h.get("id")))
        h["id"] = _HEADING_MARK.format(i)

    def undo():
        for mark, node in swapped:
            mark.replace_with(node)
        for h, old in ids:
            if old is None:
                del h["id"]
            else:
                h["id"] = old
    return undo, texts


def linked_text(text: str, exhibits: bool, refs: bool, ids: dict, cited_pattern: re.Pattern | None) -> str:
    """One text of a chapter (:func:`mark_linkable`) as HTML, with the links :func:`link_exhibits`
    and :func:`link_references` make in it (the same matching and targets, on the text alone; which
    texts: :func:`_links_exhibits`, :func:`_links_references`)."""
    tiny = BeautifulSoup("", "html.parser")
    holder = tiny.new_tag("p")
    node = NavigableString(text)
    holder.append(node)
    if exhibits:
        _link_matches(tiny, node, CITATION, _exhibit_href(ids))
    if refs and cited_pattern is not None:
        for n in list(holder.find_all(string=True)):
            if _links_references(n):
                _link_matches(tiny, n, cited_pattern, _reference_href)
    return holder.decode_contents(formatter="html5")


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part if isinstance(part, bytes) else json.dumps(part).encode()).digest())
    return h.hexdigest()[:20]


#: the versions of the packages that make a chapter's fragment (read without importing them)
_VERSIONS = [importlib.metadata.version(n) for n in ("nbconvert", "nbformat", "beautifulsoup4")]


def _cache_key(nb_path: Path) -> str:
    """What a chapter's fragment depends on: the executed notebook (its bytes and name), the code
    that converts and processes it (this module) and the versions of nbconvert, nbformat and
    BeautifulSoup. The CSS and the labels enter no chapter's fragment."""
    return _digest(nb_path.name.encode(), nb_path.read_bytes(), Path(__file__).read_bytes(), _VERSIONS)


def _cached(cache: Path | None, stem: str, kind: str, key: str, make):
    """``make()``'s JSON-able value, from ``cache/<stem>.<kind>.<key>.json`` when there (the
    chapter's earlier entries of the kind are removed when a new one is written); and whether
    it was there."""
    if cache is None:
        return make(), False
    cache = paths.REPORTS / cache  # (an absolute cache stays itself)
    entry = cache / f"{stem}.{kind}.{key}.json"
    if entry.exists():
        return json.loads(entry.read_text(encoding="utf-8")), True
    value = make()
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.glob(f"{glob.escape(stem)}.{kind}.*.json"):
        old.unlink(missing_ok=True)
    tmp = entry.with_name(f".{entry.name}.{os.getpid()}")
    tmp.write_text(json.dumps(value), encoding="utf-8")
    os.replace(tmp, entry)
    return value, False


def chapter_fragment(nb_path: Path, cache: Path | None = CHAPTER_CACHE) -> tuple[dict, bool]:
    """A chapter's processed HTML and facts (:func:`chapter_html`, :func:`chapter_passes`) and
    whether they came from the cache (``reports/.build/chapters/<stem>.fragment.<key>.json``,
    keyed by :func:`_cache_key`: a changed notebook or assembly code is a new key, never a
    stale chapter)."""
    return _cached(cache, nb_path.stem, "fragment", _cache_key(nb_path),
                   lambda: chapter_passes(chapter_html(nb_path)))


def linked_chapter(fragment: dict, ids: dict, cited: list, slugs: list) -> str:
    """A chapter's fragment with the steps across chapters done: its citations of exhibits
    linked (``ids``: label -> id over the report), its source lines' short citations linked to
    the References (``cited``), its h1/h2 headings given their ids (``slugs``, unique over the report).
    Done on the markers :func:`chapter_passes` left, by :func:`linked_text`."""
    pattern = _cited_pattern(cited)
    texts = fragment["linkable"]

    def fill(m):
        i = int(m[2])
        return linked_text(*texts[i], ids, pattern) if m[1] == "text" else slugs[i]
    return _MARKS.sub(fill, fragment["html"])


def assemble(notebooks: list[Path], meta: dict, stats: dict | None = None,
             cache: Path | None = CHAPTER_CACHE) -> str:
    """The report's HTML. Each chapter's fragment is taken from the cache when its notebook
    and the assembly code are unchanged (:func:`chapter_fragment`); the steps across chapters
    (exhibit links, references, headings' ids, contents) are computed over the whole report
    from the fragments' facts, and applied to each chapter (:func:`linked_chapter`), also
    cached: an unchanged chapter whose links and ids are unchanged is not parsed at all."""
    frags = [chapter_fragment(p, cache) for p in notebooks]
    fragments = [f for f, _ in frags]
    if stats is not None:
        stats["chapters"] = len(frags)
        stats["cached"] = sum(hit for _, hit in frags)
        stats["exhibits"] = [f["check"] for f in fragments]  # for check_exhibits
    # exhibit label -> block id over the report (the last block of a label wins, by class)
    ids = {label: bid for cls in BLOCKS for f in fragments for label, bid in f["exhibits"][cls]}
    cited = references.cited(t for f in fragments for t in f["sources"])
    back = BeautifulSoup(references.references_html(cited), "html.parser")
    used: set = set()  # headings' ids, unique over the report, in its order
    slugs = [[_slug(text, used) for text in f["headings"]] for f in fragments]
    for h in back.find_all(["h1", "h2"]):
        h["id"] = _slug(h.get_text(" ", strip=True), used)
    toc = [entry for f, ss in zip(fragments, slugs) for entry in zip(f["levels"], f["headings"], ss)]
    toc += [(h.name, h.get_text(" ", strip=True), h["id"]) for h in back.find_all(["h1", "h2"])]
    parts = [linked_chapter(f, ids, cited, ss) for f, ss in zip(fragments, slugs)]
    body = "\n".join(parts) + back.decode(formatter="html5")
    toc_html = "\n".join(
        f'<li class="toc-{lvl}"><a href="#{hid}"><span class="toc-text">{html.escape(text)}</span>'
        f'<span class="toc-page"></span></a></li>'
        for lvl, text, hid in toc)
    css = (ASSETS / "report.css").read_text(encoding="utf-8")
    e = {k: html.escape(str(v)) for k, v in meta.items() if not isinstance(v, list)}
    e["edition"] = html.escape(str(meta["edition"]).format(**commit_edition()))
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in meta.get("notes", []))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{e['title']}</title>
<meta name="description" content="{e['subtitle']}"/>
<style>
{css}
</style>
</head>
<body>
<section class="title-page">
<p class="series">{e['series']}</p>
<h1 class="report-title">{e['title']}</h1>
<p class="subtitle">{e['subtitle']}</p>
<p class="authors">{e['authors']}</p>
<p class="edition">{e['edition']}</p>
<div class="title-notes">{notes}</div>
</section>
<nav class="toc">
<h2 class="toc-title">Contents</h2>
<ol>
{toc_html}
</ol>
</nav>
{abbreviations_html()}
<main>
{body}
</main>
</body>
</html>
"""


def abbreviations_html(file: Path = ABBREVIATIONS) -> str:
    """The list of abbreviations (front matter, after the contents), from ``docs/abbreviations.csv``."""
    df = pd.read_csv(file, dtype=str, keep_default_na=False)
    df = df.sort_values("abbreviation", key=lambda c: c.str.upper())
    rows = "\n".join(f"<tr><th>{html.escape(a)}</th><td>{html.escape(e)}</td></tr>"
                     for a, e in zip(df["abbreviation"], df["expansion"]))
    return (f'<section class="abbreviations" id="abbreviations">\n<h2 class="toc-title">Abbreviations</h2>\n'
            f'<table class="abbreviations">\n{rows}\n</table>\n</section>')


def _block_ids(soup: BeautifulSoup, cls: str) -> list[list[str]]:
    """[exhibit label ("Table 4.2"), the id of its block] of the blocks of class ``cls``."""
    out = []
    for block in _select(soup, f".{cls}"):
        lab = _select_one(block, ".caption .label")
        if lab and block.get("id"):
            out.append([lab.get_text(strip=True).rstrip("."), block["id"]])
    return out


def _exhibit_ids(soup: BeautifulSoup) -> dict[str, str]:
    """Exhibit label ("Table 4.2") -> the id of its block."""
    return {label: bid for cls in BLOCKS for label, bid in _block_ids(soup, cls)}


def _link_matches(soup: BeautifulSoup, node, pattern: re.Pattern, href) -> None:
    """Replace the matches of ``pattern`` in text ``node`` by links to ``href(match)`` (None: no link)."""
    s, pieces, pos = str(node), [], 0
    for m in pattern.finditer(s):
        target = href(m)
        if not target:
            continue
        _forget(soup)
        pieces.append(NavigableString(s[pos:m.start()]))
        a = soup.new_tag("a", href=target)
        a["class"] = "xref"
        a.string = m.group(0)
        pieces.append(a)
        pos = m.end()
    if pieces:
        pieces.append(NavigableString(s[pos:]))
        node.replace_with(*pieces)


def link_exhibits(soup: BeautifulSoup, ids: dict[str, str] | None = None) -> None:
    """Every "Table N.M" / "Figure N.M" of the text becomes a link to the exhibit's block
    (plural lists link to their first exhibit); not the exhibit's own caption label, not the
    data cells of the chapters' tables (they quote other documents; the executive summary's
    tables are linked). ``ids``: label -> block id (default: the blocks in ``soup``)."""
    href = _exhibit_href(_exhibit_ids(soup) if ids is None else ids)
    for sec in soup.select("section.chapter"):
        for node in list(sec.find_all(string=True)):
            if _links_exhibits(node):
                _link_matches(soup, node, CITATION, href)


def _links_exhibits(node) -> bool:
    """Whether the citations of exhibits in text ``node`` (of a chapter) are linked: not in a link, a style
    or script, a caption, or the data cells of a chapter's table (the executive summary's are linked)."""
    if not CITATION.search(node) or node.find_parent(["a", "style", "script"]) is not None:
        return False
    if node.find_parent(class_="caption") is not None:
        return False
    t = node.find_parent("table", class_="spf-table")
    return t is None or _chapter_of(t).startswith("S_")


def _links_references(node) -> bool:
    """Whether the short citations in text ``node`` (of a source line) are linked: not in a link."""
    return node.find_parent("a") is None


def link_references(soup: BeautifulSoup, cited: list[str]) -> None:
    """In the source lines, each short citation links to its References entry."""
    pattern = _cited_pattern(cited)
    if pattern is None:
        return
    for p in soup.select("p.source"):
        for node in list(p.find_all(string=True)):
            if _links_references(node):
                _link_matches(soup, node, pattern, _reference_href)


def _exhibit_href(ids: dict[str, str]):
    """The link of a citation of exhibits (a match of :data:`CITATION`): its first exhibit's block, if known."""
    def href(m):
        labels = cited_labels(m.group(0))
        return f"#{ids[labels[0]]}" if labels and labels[0] in ids else None
    return href


def _cited_pattern(cited: list[str]) -> re.Pattern | None:
    """The short citations ``cited``, longest first (None: no citation)."""
    return re.compile("|".join(re.escape(c) for c in sorted(cited, key=len, reverse=True))) if cited else None


def _reference_href(m) -> str:
    return f"#{references.anchor(m.group(0))}"


def commit_edition(root: Path = paths.ROOT) -> dict:
    """``{"commit": short hash, "date": commit date YYYY-MM-DD}`` of the checked-out commit, read from
    git (fixed arguments, no shell): the edition is the commit's, never the build's clock, so two
    builds of one commit are identical. Outside a git checkout both are "unversioned"."""
    try:
        out = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h %cs"], capture_output=True,
                             text=True, timeout=30, check=True).stdout.split()
    except (OSError, subprocess.SubprocessError):
        out = []
    return {"commit": out[0], "date": out[1]} if len(out) == 2 else {"commit": "unversioned", "date": "unversioned"}


def load_meta(file: Path = REPORT_META) -> dict:
    meta = read_yaml(file, name=paths.rel(file))
    if not isinstance(meta, dict):
        raise ReportError(f"{paths.rel(file)}: expected a mapping of title, subtitle, series, authors, edition")
    need = {"title", "subtitle", "series", "authors", "edition"}
    missing = sorted(need - set(meta))
    unknown = sorted(set(meta) - need - {"notes"})
    if missing or unknown:
        raise ReportError(f"{paths.rel(file)}: missing key(s) {missing}, unknown key(s) {unknown}")
    return meta


def table_sheets(notebooks: list[Path]) -> list[dict]:
    """Every table of the given chapters, in order, from their index files; a synthetic table's
    sheet carries the synthetic-data label (and its CSV's last column ``data`` says it on every row).
    Each sheet gets the headers and number formats the report shows (the index's column record)."""
    sheets = []
    for nb in notebooks:
        index = paths.REPORTS / "tables" / f"{nb.stem.split('_', 1)[0]}_index.csv"
        if not index.exists():
            continue
        idx = pd.read_csv(index, keep_default_na=False)
        for r in idx[idx["kind"] == "table"].itertuples():
            note = r.note
            synthetic = str(r.synthetic) == "True"
            if synthetic:
                note = (note + " " if note else "") + SYNTHETIC_NOTICE
            df = pd.read_csv(paths.REPORTS / r.file)
            columns = read_columns(getattr(r, "columns", ""))
            if not columns:  # an index written before the column record: Chapter.table's defaults
                columns = read_columns(column_record(list(df.columns), {LABEL_COLUMN: "Data"},
                                                     resolve_formats(df)))
            # the cells in words, as the report shows them (ids labelled, booleans yes/no), except
            # the columns of values a reader types (keys=)
            df = labels.relabel(df, keys=[c["id"] for c in columns if c.get("key")])
            sheets.append({"name": Path(r.file).stem, "label": r.label, "title": r.title,
                           "source": r.source, "note": note,
                           "data": SYNTHETIC_LABEL if synthetic else "",
                           "columns": columns, "df": df})
    return sheets


# ------------------------------------------------------------ exhibit completeness
#: a chapter key in a label: digits, S (executive summary) or A (annex)
_KEY = r"(?:[0-9]+|[SA])"
#: "Table 4.2", "Figures 4.2 and 4.3", "Tables 4.1-4.5", "Tables 4.1, 4.2 and 4.4"
CITATION = re.compile(
    rf"\b(?P<kind>Table|Figure)(?P<plural>s?)\s+(?P<first>{_KEY}\.[0-9]+)"
    rf"(?P<rest>(?:\s*(?:,\s*and|,|and|&)\s*{_KEY}\.[0-9]+\b"
    rf"|\s*(?:-|\u2013|\u2014|to)\s*(?:{_KEY}\.)?[0-9]+\b)*)")
_ITEM = re.compile(rf"\s*(?P<sep>,\s*and|,|and|&|-|\u2013|\u2014|to)\s*(?P<ref>(?:{_KEY}\.)?[0-9]+)")
_LABEL = re.compile(rf"^(Table|Figure) ({_KEY})\.([0-9]+)$")
#: the blocks of the report that carry an exhibit, by class, and what they hold
BLOCKS = {"spf-figure": "figure", "spf-table-block": "table", "spf-workbook-only": "workbook-only"}


def cited_labels(text: str) -> list[str]:
    """Every "Table N.M" / "Figure N.M" cited in ``text``, plural lists and ranges expanded.

    >>> cited_labels("Tables 4.1-4.3 and Figure 4.2; see Table S.1")
    ['Table 4.1', 'Table 4.2', 'Table 4.3', 'Figure 4.2', 'Table S.1']
    """
    out = []
    for m in CITATION.finditer(text):
        kind = m["kind"]
        key, num = m["first"].split(".")
        refs = [(key, int(num))]
        if m["plural"]:
            for it in _ITEM.finditer(m["rest"]):
                ref = it["ref"]
                k2, n2 = ref.split(".") if "." in ref else (refs[-1][0], ref)
                n2 = int(n2)
                if it["sep"] in ("-", "\u2013", "\u2014", "to") and k2 == refs[-1][0] and n2 > refs[-1][1]:
                    refs += [(k2, n) for n in range(refs[-1][1] + 1, n2 + 1)]
                else:
                    refs.append((k2, n2))
        out += [f"{kind} {k}.{n}" for k, n in refs]
    return out


def _chapter_of(el) -> str:
    sec = el.find_parent("section", class_="chapter")
    return sec.get("id", "?").removeprefix("chapter-") if sec is not None else "?"


def exhibit_problems(doc: str, index: pd.DataFrame) -> list[str]:
    """What is wrong between the assembled report ``doc`` and the ``index`` of its
    exhibits (:func:`spf_analysis.report.exhibits.read_index`); empty when complete.

    (a) an indexed figure or table absent from the report (a workbook-only table,
    ``report=False``, must be there as its pointer line); an exhibit shown twice, or
    shown but in no index; (b) a "Table N.M" / "Figure N.M" cited in the text (prose,
    captions, notes, source lines, and the tables of the executive summary; not the
    data cells of other tables, which quote other documents) that does not exist;
    (c) a hole in the numbering of a chapter's tables or figures.
    """
    return problems_of([exhibit_facts(BeautifulSoup(doc, "html.parser"))], index)


def exhibit_facts(soup: BeautifulSoup) -> dict:
    """What :func:`problems_of` needs from a report, or from one chapter's fragment: the labelled
    exhibit blocks (label, chapter) by class, and every "Table N.M" / "Figure N.M" the text cites
    (label, chapter, the text), in order. Changes ``soup`` (the data tables go)."""
    shown = {cls: [] for cls in BLOCKS}
    for cls in BLOCKS:
        for block in _select(soup, f".{cls}"):
            lab = _select_one(block, ".caption .label")
            label = lab.get_text(strip=True).rstrip(".") if lab else None
            if label:
                shown[cls].append([label, _chapter_of(block)])
    for t in _select(soup, "table.spf-table"):  # the data cells of the chapters' tables quote other documents
        if not _chapter_of(t).startswith("S_"):
            t.decompose()
    cites = []
    for sec in _select(soup, "section.chapter"):
        for node in _strings(sec):
            s = str(node)
            cites += [[label, sec.get("id", "?"), " ".join(s.split())[:120]] for label in cited_labels(s)]
    return {"shown": shown, "cites": cites}


def problems_of(facts: list[dict], index: pd.DataFrame) -> list[str]:
    """:func:`exhibit_problems` from the :func:`exhibit_facts` of the report's chapters, in order."""
    problems: list[str] = []
    shown: dict[str, list] = {}
    for cls, what in BLOCKS.items():
        for f in facts:
            for label, chapter in f["shown"][cls]:
                shown.setdefault(label, []).append((what, chapter))
    idx = index[index["kind"].isin(["table", "figure"])] if len(index) else index
    known = set(idx["label"]) if len(idx) else set()

    # (a) every indexed exhibit is in the report, once, in the form its index says
    for r in idx.itertuples():
        want = "figure" if r.kind == "figure" else ("table" if r.report else "workbook-only")
        where = f"chapter {r.chapter} ({r.index_file})"
        got = [w for w, _ in shown.get(r.label, [])]
        if want not in got:
            how = "" if want != "workbook-only" else " as its workbook-only line"
            problems.append(f"{r.label} ({r.name}: {r.title!r}) of {where} is not in the report{how}"
                            + (f" (shown as {got[0]})" if got else "")
                            + ("; display it, or make it workbook-only with Chapter.table(..., report=False)"
                               if r.kind == "table" and r.report and not got else ""))
        elif got.count(want) > 1:
            problems.append(f"{r.label} ({r.name}) of {where} is shown {got.count(want)} times")
    for label, where in shown.items():
        if label not in known:
            problems.append(f"{label} is shown in chapter {where[0][1]} but is in no index "
                            "(reports/tables/*_index.csv): a stale output or an exhibit not made by Chapter")

    # (b) every cited table and figure exists
    seen_bad = set()
    for f in facts:
        for label, sec, text in f["cites"]:
            if label not in known and (label, sec) not in seen_bad:
                seen_bad.add((label, sec))
                problems.append(f"chapter {sec.removeprefix('chapter-')} cites {label}, "
                                f"which no chapter has: {text!r}")

    # (c) numbering without holes, per chapter and kind
    numbers: dict[tuple, list[int]] = {}
    for label in known:
        m = _LABEL.match(label)
        if not m:
            problems.append(f"index label {label!r} is not 'Table N.M' or 'Figure N.M'")
            continue
        numbers.setdefault((m[1], m[2]), []).append(int(m[3]))
    for (kind, key), nums in sorted(numbers.items()):
        holes = sorted(set(range(1, max(nums) + 1)) - set(nums))
        if holes:
            have = ", ".join(f"{kind} {key}.{n}" for n in sorted(nums))
            problems.append(f"numbering hole in chapter {key}: "
                            f"{', '.join(f'{kind} {key}.{n}' for n in holes)} missing (have {have})")
    return problems


def check_exhibits(doc: str | list[dict], index: pd.DataFrame) -> None:
    """Raise :class:`ReportError` naming every incomplete exhibit (see :func:`exhibit_problems`);
    ``doc``: the report, or its chapters' :func:`exhibit_facts`."""
    problems = exhibit_problems(doc, index) if isinstance(doc, str) else problems_of(doc, index)
    if problems:
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ReportError(f"the report is incomplete ({len(problems)} problem(s)); nothing was written:\n  "
                          + "\n  ".join(problems[:20]) + more)


def chapters_of(doc: str) -> list[str]:
    """The notebook stems of the chapters in an assembled report, in order."""
    return [m for m in re.findall(r'<section class="chapter" id="chapter-([^"]+)"', doc)]


def build(notebooks: list[Path], html_out: Path = paths.REPORT_HTML,
          pdf_out: Path | None = paths.REPORT_PDF, xlsx_out: Path | None = paths.REPORT_XLSX,
          *, cache: Path | None = CHAPTER_CACHE) -> dict:
    """Assemble, check and write the report; the phases' times (seconds) and the cache's hits."""
    missing = [str(p) for p in notebooks if not p.exists()]
    if missing:
        raise ReportError(f"executed notebooks missing: {missing}; run `make report`")
    stats: dict = {}
    t0 = time.perf_counter()
    meta = load_meta()  # params/report.yaml checked before anything is started or written
    # the workbook is made in a process of its own from now on (forked first: before any thread or
    # Chromium), and Chromium starts, while this one assembles the HTML
    workbook = Workbook(notebooks, f"{meta['title']}: tables") if xlsx_out else None
    browser = None
    try:
        browser = start_browser() if pdf_out else None
        doc = assemble(notebooks, meta, stats, cache)
    except BaseException:
        if browser is not None:
            browser.close()
        if workbook is not None:
            workbook.stop()
        raise
    stats["html"] = time.perf_counter() - t0
    facts = stats.pop("exhibits")
    # every output rendered to a temporary name first; all three replaced together only when
    # all succeeded (spf_analysis.config.fsutil.transaction): a failure, a full disk or Ctrl-C
    # leaves the published report, PDF and workbook as they were. Chromium prints the PDF in
    # its own process meanwhile this one checks the exhibits and waits for the workbook.
    with transaction() as tx, ThreadPoolExecutor(1) as pool:
        browsers: list = [browser] if browser is not None else []  # stopped if the check or the workbook fails
        printing = pool.submit(write_pdf, doc, tx.path(pdf_out), stats, browsers, browser) if pdf_out else None
        try:
            # every indexed exhibit shown, every citation resolved, no numbering hole: else stop
            # here (the printing stopped too), and nothing is published
            t1 = time.perf_counter()
            check_exhibits(facts, read_index([p.stem for p in notebooks]))
            stats["check"] = time.perf_counter() - t1
            if workbook is not None:
                data, stats["workbook"] = workbook.result()
                tx.path(xlsx_out).write_bytes(data)
        except BaseException:
            for browser in browsers:
                browser.kill()
            if workbook is not None:
                workbook.stop()
            raise
        if printing is not None:
            stats["pages"] = printing.result()
        tx.path(html_out).write_text(doc, encoding="utf-8")
    stats["total"] = time.perf_counter() - t0
    return stats


class Workbook:
    """The tables' workbook (:func:`table_sheets`, :func:`workbook_bytes`) made in a forked process,
    beside the HTML's assembly and the PDF's printing. A failure there (a bad table) is not sent
    across: the workbook is then made again in this process, which raises the error itself
    (:class:`spf_analysis.report.tables.WorkbookError`, naming the table's file, column and line).

    Signals: the child ignores Ctrl-C (the step's process, which gets it too, stops the child) and
    dies quietly of SIGTERM or SIGHUP, from its first instruction on. The step's own handlers
    (:func:`spf_analysis.config.steps.run_step`) would raise in the child, and a signal arriving
    while multiprocessing starts it would print a traceback; so these signals are blocked across
    the fork and unblocked in the child only once its handlers are reset."""

    _SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self, notebooks: list[Path], title: str):
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.notebooks, self.title = notebooks, title
        self._conn, child = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=self._make, args=(child,), daemon=True)
        self._mask = signal.pthread_sigmask(signal.SIG_BLOCK, self._SIGNALS)
        try:
            self._proc.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, self._mask)
        child.close()

    def _make(self, conn) -> None:  # in the child
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for sig in self._SIGNALS[1:]:
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, self._mask)
        t = time.perf_counter()
        try:
            data = workbook_bytes(table_sheets(self.notebooks), self.title)
        except Exception:
            data = None
        try:
            conn.send((data, time.perf_counter() - t))
            conn.close()
        except OSError:  # the step is gone: nobody to send it to
            pass

    def result(self) -> tuple[bytes, float]:
        """The workbook's bytes and the seconds it took."""
        try:
            data, seconds = self._conn.recv()
        except (EOFError, OSError):  # the child died: made here
            data, seconds = None, 0.0
        self._proc.join()
        if data is None:
            t = time.perf_counter()
            data = workbook_bytes(table_sheets(self.notebooks), self.title)
            seconds = time.perf_counter() - t
        return data, seconds

    def stop(self) -> None:
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join()


def phase_line(stats: dict) -> str:
    """The report step's times in one line (printed at the end of the step)."""
    parts = [f"html {stats['html']:.1f} s ({stats['cached']} of {stats['chapters']} chapters cached)",
             f"check {stats['check']:.1f} s"]
    if "pdf" in stats:
        printed, kept = stats.get("parts", ("?", "?"))
        parts.append(f"pdf {stats['pdf']:.1f} s ({stats.get('pages', '?')} pages, Chromium; {printed} parts printed, {kept} kept)")
    if "workbook" in stats:
        parts.append(f"workbook {stats['workbook']:.1f} s")
    return f"report: {', '.join(parts)}; total {stats['total']:.1f} s (workbook beside the HTML and the PDF)"


def _chromium_env() -> dict:
    from spf_analysis.report.fonts import isolate

    return {**os.environ, "FONTCONFIG_FILE": str(isolate())}  # the shipped fonts only


def start_browser():
    """A headless Chromium with the shipped fonts only (:mod:`spf_analysis.report.fonts`), launched and
    not waited for: it starts while the HTML is assembled; the printer checks that it answers (and
    replaces it if not) before its first print, and closes it unused when every part of the PDF is kept."""
    from spf_analysis.report import pdf

    return pdf.Browser(_chromium_env())


def write_pdf(doc: str, target: Path, stats: dict | None = None, browsers: list | None = None, browser=None) -> int:
    """Print ``doc`` to ``target`` with headless Chromium (:mod:`spf_analysis.report.pdf`) and the
    shipped fonts only; the number of pages. ``browser``: one started by :func:`start_browser` (closed here)."""
    from spf_analysis.report import pdf

    return pdf.print_report(doc, target, PDF_EPOCH, env=_chromium_env(), timings=stats, browsers=browsers,
                            browser=browser, cache=paths.REPORTS / PDF_CACHE)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    notebooks = [Path(a) for a in argv]
    if not notebooks:
        print("usage: python -m spf_analysis.report.assemble EXECUTED.ipynb ...", file=sys.stderr)
        return 2
    stats: dict = {}
    status = run_step("report", lambda: stats.update(build(notebooks)),
                      errors=(ReportError, FileKeyError, PrintError, WorkbookError),
                      unchanged="reports/rapid_assessment.{html,pdf} and the workbook")
    if status == 0:
        print("wrote " + ", ".join(paths.rel(p) for p in (paths.REPORT_HTML, paths.REPORT_PDF, paths.REPORT_XLSX)))
        print(phase_line(stats))
    return status


if __name__ == "__main__":
    sys.exit(main())
