"""The report's completeness check (assemble.check_exhibits), with known answers.

Small hand-made reports and indexes: a complete one passes; each failure mode (an
indexed exhibit missing, a citation of a table that does not exist, a hole in the
numbering, an exhibit shown twice) is caught and named. Then the built report:
it passes as built, and fails once one exhibit is taken out of it.
"""

import os

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from spf_analysis.config import paths
from spf_analysis.report import assemble, exhibits


def fig(label, title="A figure"):
    return (f'<figure class="spf-figure" id="x"><img alt="{label}" src="data:image/png;base64,AA"/>'
            f'<figcaption><p class="caption"><span class="label">{label}.</span> {title}</p>'
            f'<p class="source">Source: S</p></figcaption></figure>')


def tab(label, title="A table", cells=("1",)):
    rows = "".join(f"<tr><td>{c}</td></tr>" for c in cells)
    return (f'<div class="spf-table-block" id="y"><p class="caption"><span class="label">{label}.</span> '
            f'{title}</p><table class="spf-table"><thead><tr><th>a</th></tr></thead><tbody>{rows}</tbody>'
            f'</table><p class="source">Source: S</p></div>')


def pointer(label):
    return (f'<div class="spf-workbook-only" id="z"><p class="caption"><span class="label">{label}.</span> '
            f'Long: not printed here; it is in the Excel workbook</p></div>')


def report(**chapters):
    return "<main>" + "".join(f'<section class="chapter" id="chapter-{k}">{v}</section>'
                              for k, v in chapters.items()) + "</main>"


def index(*rows):
    """rows: (chapter stem, kind, label[, report])"""
    return pd.DataFrame([{"kind": r[1], "label": r[2], "name": r[2].lower().replace(" ", "_"),
                          "title": "T", "file": "f", "report": r[3] if len(r) > 3 else True,
                          "chapter": r[0], "index_file": f"reports/tables/{r[0][:2]}_index.csv"}
                         for r in rows])


IDX = index(("S_summary", "table", "Table S.1"),
            ("04_costing", "table", "Table 4.1"), ("04_costing", "figure", "Figure 4.1"),
            ("04_costing", "table", "Table 4.2"), ("04_costing", "table", "Table 4.3", False),
            ("04_costing", "figure", "Figure 4.2"))
CH4 = ('<p>The cost (Tables 4.1-4.2; Figures 4.1 and 4.2) and the full listing (Table 4.3).</p>'
       + tab("Table 4.1") + fig("Figure 4.1") + tab("Table 4.2") + pointer("Table 4.3") + fig("Figure 4.2"))
SUMMARY = '<p>The floor costs 5% (Table 4.2).</p>' + tab("Table S.1", cells=("Table 4.1", "Figure 4.2"))


def problems(doc, idx=IDX):
    return assemble.exhibit_problems(doc, idx)


def test_a_complete_report_passes():
    assert problems(report(S_summary=SUMMARY, **{"04_costing": CH4})) == []
    assemble.check_exhibits(report(S_summary=SUMMARY, **{"04_costing": CH4}), IDX)  # no error


@pytest.mark.parametrize("drop,label", [(tab("Table 4.2"), "Table 4.2"), (fig("Figure 4.2"), "Figure 4.2"),
                                        (pointer("Table 4.3"), "Table 4.3")])
def test_an_indexed_exhibit_missing_from_the_report_fails(drop, label):
    doc = report(S_summary=SUMMARY, **{"04_costing": CH4.replace(drop, "")})
    p = problems(doc)
    assert len(p) == 1 and p[0].startswith(f"{label} (") and "chapter 04_costing" in p[0]
    assert "not in the report" in p[0]
    with pytest.raises(assemble.ReportError, match=rf"{label} .*of chapter 04_costing .*not in the report"):
        assemble.check_exhibits(doc, IDX)


def test_a_workbook_only_table_printed_in_full_or_a_table_shown_as_pointer_fails():
    doc = report(S_summary=SUMMARY, **{"04_costing": CH4.replace(pointer("Table 4.3"), tab("Table 4.3"))})
    assert problems(doc) == [p for p in problems(doc) if "Table 4.3" in p] and len(problems(doc)) == 1
    assert "workbook-only" in problems(doc)[0]


def test_an_exhibit_shown_twice_or_shown_without_index_fails():
    twice = report(S_summary=SUMMARY, **{"04_costing": CH4 + tab("Table 4.1")})
    assert problems(twice) == [
        "Table 4.1 (table_4.1) of chapter 04_costing (reports/tables/04_index.csv) is shown 2 times"]
    stray = report(S_summary=SUMMARY, **{"04_costing": CH4 + tab("Table 4.9")})
    assert any("Table 4.9 is shown in chapter 04_costing but is in no index" in p for p in problems(stray))


@pytest.mark.parametrize("text,label", [
    ("<p>As Table 7.2 shows.</p>", "Table 7.2"),                 # a chapter not in the report
    ("<p>See Tables 4.1-4.4.</p>", "Table 4.4"),                 # a range past the last table
    ("<p>See Tables 4.1 and 4.4.</p>", "Table 4.4"),             # a plural list
    ("<p>See Figures 4.1, 4.2 and 4.3.</p>", "Figure 4.3"),
    ("<p>See Table A.1.</p>", "Table A.1"),                      # lettered chapters
    ('<p class="note">Note: as in Figure 4.7.</p>', "Figure 4.7"),  # a note
])
def test_a_citation_of_an_exhibit_that_does_not_exist_fails(text, label):
    p = problems(report(S_summary=SUMMARY, **{"04_costing": CH4 + text}))
    assert len(p) == 1 and f"chapter 04_costing cites {label}," in p[0]


def test_a_range_is_expanded():
    p = problems(report(S_summary=SUMMARY, **{"04_costing": CH4 + "<p>See Tables 4.1\u20134.5.</p>"}))
    assert [x.split(",")[0] for x in p] == ["chapter 04_costing cites Table 4.4", "chapter 04_costing cites Table 4.5"]


def test_the_executive_summary_table_is_checked_but_other_data_cells_are_not():
    summary = '<p>x</p>' + tab("Table S.1", cells=("Table 7.2",))
    assert any("chapter S_summary cites Table 7.2" in p
               for p in problems(report(S_summary=summary, **{"04_costing": CH4})))
    quoting = CH4.replace(tab("Table 4.1"), tab("Table 4.1", cells=("NIPS report (Table 5.2, by region)",)))
    assert problems(report(S_summary=SUMMARY, **{"04_costing": quoting})) == []


def test_a_hole_in_the_numbering_fails():
    idx = IDX[IDX["label"] != "Table 4.2"]
    doc = report(S_summary=SUMMARY.replace("(Table 4.2)", ""),
                 **{"04_costing": CH4.replace(tab("Table 4.2"), "").replace("Tables 4.1-4.2", "Table 4.1")})
    assert problems(doc, idx) == [
        "numbering hole in chapter 4: Table 4.2 missing (have Table 4.1, Table 4.3)"]


def test_the_failing_check_leaves_every_output_as_it_was(tmp_path, monkeypatch, capsys):
    """build() stops before writing anything when an exhibit is missing."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    c = nbformat.v4.new_code_cell("x")
    c.outputs = [nbformat.v4.new_output("display_data", data={"text/html": tab("Table 4.1")})]
    nb.cells = [nbformat.v4.new_markdown_cell("# 4. Costing\n\nAs Table 4.2 shows."), c]
    p = tmp_path / "04_costing.ipynb"
    nbformat.write(nb, p)
    tables = tmp_path / "reports" / "tables"
    tables.mkdir(parents=True)
    monkeypatch.setattr(paths, "REPORTS", tmp_path / "reports")
    (tables / "04_index.csv").write_text(
        "kind,label,name,title,source,note,file,synthetic,report\n"
        "table,Table 4.1,a,A,S,,tables/04_a.csv,False,True\n"
        "table,Table 4.2,b,B,S,,tables/04_b.csv,False,True\n")
    outs = [tmp_path / n for n in ("r.html", "r.pdf", "r.xlsx")]
    for o in outs:
        o.write_text("old")
    with pytest.raises(assemble.ReportError, match=r"Table 4.2 \(b: 'B'\) of chapter 04_costing"):
        assemble.build([p], *outs)
    assert [o.read_text() for o in outs] == ["old"] * 3
    monkeypatch.setattr(assemble.build, "__defaults__", tuple(outs))  # never the real reports/
    assert assemble.main([str(p)]) == 1  # the command exits non-zero, naming exhibit and chapter
    err = capsys.readouterr().err
    assert err.startswith("error: report: the report is incomplete (1 problem(s)); nothing was written")
    assert "Table 4.2 (b: 'B') of chapter 04_costing (reports/tables/04_index.csv) is not in the report" in err
    assert "chapter 04_costing cites Table 4.2" not in err  # Table 4.2 exists (indexed), it is only not shown
    assert [o.read_text() for o in outs] == ["old"] * 3


def test_read_index_of_an_old_index_without_report_column(tmp_path):
    (tmp_path / "03_index.csv").write_text("kind,label,name,title,source,note,file,synthetic\n"
                                           "table,Table 3.1,a,A,S,,tables/03_a.csv,True\n")
    idx = exhibits.read_index(["03_coverage_gaps", "05_missing"], tmp_path)
    assert list(idx["report"]) == [True] and list(idx["chapter"]) == ["03_coverage_gaps"]


# ------------------------------------------------------------------ the built report
def built_report():
    if not paths.REPORT_HTML.exists():
        if os.environ.get("SPF_REQUIRE_BROWSER"):
            raise AssertionError(f"{paths.REPORT_HTML} missing: `make test` builds it first")
        pytest.skip("report not built (make report)")
    doc = paths.REPORT_HTML.read_text(encoding="utf-8")
    return doc, exhibits.read_index(assemble.chapters_of(doc))


def test_the_built_report_is_complete():
    doc, idx = built_report()
    assert len(idx) > 0 and len(assemble.chapters_of(doc)) >= 10
    assert assemble.exhibit_problems(doc, idx) == []


def test_the_built_report_without_one_exhibit_fails():
    doc, idx = built_report()
    soup = BeautifulSoup(doc, "html.parser")
    for cls in ("spf-figure", "spf-table-block"):
        block = soup.select(f".{cls}")[-1]
        label = block.select_one(".caption .label").get_text(strip=True).rstrip(".")
        chapter = block.find_parent("section", class_="chapter")["id"].removeprefix("chapter-")
        block.decompose()
        with pytest.raises(assemble.ReportError, match=rf"{label} \(.*of chapter {chapter} .*not in the report"):
            assemble.check_exhibits(str(soup), idx)
        soup = BeautifulSoup(doc, "html.parser")
