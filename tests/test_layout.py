"""Print layout of the report's tables: headers wrap only between words, wide tables (and only
those) get landscape pages. Builds a tiny report through the same functions as the real one."""

import re
import shutil
import subprocess

import nbformat
import pytest
from bs4 import BeautifulSoup

from spf_analysis.report import assemble as report

META = {"title": "T", "subtitle": "S", "series": "X", "authors": "A", "edition": "E", "notes": []}

# headers the reviewers found broken inside a word in the PDF (issue 14)
HEADERS = ["Revenue", "Expenditure", "within 5%", "Beneficiaries", "Phase", "package_minimum",
           "Contributions", "Guarantee", "Amount"]


def table_block(label, headers, rows, note=None):
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td class='num'>{v}</td>" for v in r) + "</tr>" for r in rows)
    foot = f'<p class="note">Note: {note}</p>' if note else ""
    return (f'<div class="spf-table-block"><p class="caption"><span class="label">{label}.</span> T</p>'
            f"<table class='spf-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f'{foot}<p class="source">Source: S.</p></div>')


def wide_headers():
    """13 columns: each of the reviewers' headers, padded with short ones."""
    return HEADERS + [f"C{i}" for i in range(13 - len(HEADERS))]


def notebook(tmp_path, html_):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html_})]
    nb.cells = [nbformat.v4.new_markdown_cell("# 1. Chapter"), cell]
    p = tmp_path / "01_a.ipynb"
    nbformat.write(nb, p)
    return p


def test_landscape_only_for_wide_tables():
    wide = table_block("Table 1.1", wide_headers(), [[1234567] * 13])
    narrow_text = ("<div class='spf-table-block'><p class='caption'><span class='label'>Table 1.2.</span> T</p>"
                   "<table class='spf-table'><thead><tr>" + "<th>Column</th>" * 5 + "</tr></thead><tbody><tr>"
                   + ("<td>" + "a long explanation " * 6 + "</td>") * 5 + "</tr></tbody></table></div>")
    # 9 columns, but each holds a long phrase: too wide for a portrait page
    broad = table_block("Table 1.3", [f"Heading {i}" for i in range(9)], [["twenty characters xx"] * 9])
    soup = BeautifulSoup(wide + narrow_text + broad, "html.parser")
    report.mark_tables(soup)
    blocks = soup.select("div.spf-table-block")
    assert "landscape" in blocks[0]["class"]            # 13 columns
    assert "landscape" not in blocks[1]["class"]        # 5 text columns wrap in portrait
    assert "text" in soup.select("table")[1]["class"]
    assert "landscape" in blocks[2]["class"]
    # hand count for Table 1.3: 9 columns x (min(20, WRAP_CELL=18) + 2 padding) = 180 characters
    assert report.table_width(soup.select("table")[2]) == 180
    # a table's note and source stay inside the landscape block
    assert blocks[0].select("p.source")


def test_underscore_ids_may_wrap_at_the_underscore():
    soup = BeautifulSoup("<table class='spf-table'><thead><tr><th>package_minimum</th></tr></thead></table>",
                         "html.parser")
    report.break_ids(soup)
    assert str(soup.th) == "<th>package_<wbr/>minimum</th>"
    assert soup.th.get_text() == "package_minimum"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_headers_are_not_split_inside_a_word(tmp_path):
    # 13 columns of 7-digit numbers in narrow columns: headers longer than the numbers must wrap,
    # and may do so only between words
    rows = [[f"{1234567 + i:,}"] * 13 for i in range(3)]
    p = notebook(tmp_path, table_block("Table 1.1", wide_headers(), rows, note="A note."))
    doc = report.assemble([p], META)
    pdf = tmp_path / "t.pdf"
    report.write_pdf(doc, pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    words = set(re.findall(r"[A-Za-z]+", text))
    for h in HEADERS:
        for w in re.findall(r"[A-Za-z]{2,}", h):
            assert w in words, f"header word {w!r} broken in the PDF"
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    sizes = [(float(w), float(h)) for w, h in re.findall(r"Page +\d+ size:\s+([\d.]+) x ([\d.]+)", info)]
    pages = text.split("\f")
    on = [i for i, page in enumerate(pages) if "Table 1.1" in page]
    assert len(on) == 1 and sizes[on[0]][0] > sizes[on[0]][1]  # 13 columns: a landscape page
    assert "A note." in pages[on[0]]                           # with its note


def test_heading_before_a_landscape_table_goes_with_it():
    wide = table_block("Table 1.1", wide_headers(), [[1] * 13])
    html_ = ('<section class="chapter">'
             '<div class="cell text_cell"><div class="inner_cell"><div class="rendered_html"><h2>1.1 Alone</h2></div></div></div>'
             f'<div class="cell code_cell"><div class="output">{wide}</div></div>'
             '<div class="cell text_cell"><div class="inner_cell"><div class="rendered_html"><h2>1.2 With text</h2>'
             '<p>Prose.</p></div></div></div>'
             f'<div class="cell code_cell"><div class="output">{wide}</div></div></section>')
    soup = BeautifulSoup(html_, "html.parser")
    report.mark_tables(soup)
    report.lead_headings(soup)
    cells = soup.select("div.text_cell")
    assert "landscape-lead" in cells[0]["class"]      # heading only: onto the landscape page
    assert "landscape-lead" not in cells[1]["class"]  # heading and prose stay in portrait


def test_only_rows_with_very_long_cells_may_split():
    rows = "<tr><td>" + "x " * (report.TALL_CELL // 2 + 1) + "</td></tr><tr><td>" + "y " * 50 + "</td></tr>"
    soup = BeautifulSoup(f"<table class='spf-table'><thead><tr><th>a</th></tr></thead><tbody>{rows}</tbody></table>",
                         "html.parser")
    report.mark_tables(soup)
    trs = soup.select("tbody tr")
    assert trs[0].get("class") == ["tall"] and trs[1].get("class") is None
