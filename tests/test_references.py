"""Sources as a publication does them: short citations in source lines, one References entry per
reference (data/raw/manifest.csv + docs/references.csv), in-text links to exhibits, an
abbreviations list, and no citation of files outside the repository."""

import os
import re
import subprocess

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from spf_analysis.config import paths
from spf_analysis.data import manifest
from spf_analysis.report import assemble, references

# ------------------------------------------------------------------ no citation outside the repo
OUTSIDE = re.compile(r"\.\./shared\b|(?<![\w.-])shared/(?:methods|reference)\b")


def test_no_tracked_file_cites_the_shared_folder():
    files = subprocess.run(["git", "ls-files"], cwd=paths.ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    hits = []
    for f in files:
        if f.startswith(("tests/", ".ci/")):
            continue
        p = paths.ROOT / f
        if not p.is_file() or p.stat().st_size > 5_000_000:
            continue
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits += [f"{f}:{i}" for i, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert hits == [], "cite the original publication or docs/methods.md instead: " + ", ".join(hits[:10])


def test_methods_note_has_the_sections_parameters_cite():
    text = (paths.ROOT / "docs" / "methods.md").read_text(encoding="utf-8")
    slugs = {re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-")
             for h in re.findall(r"^## (.+)$", text, flags=re.M)}
    cited = set()
    for f in list((paths.ROOT / "params").rglob("*.yaml")) + [paths.ROOT / "spf_analysis/report/matrix.py"]:
        cited |= set(re.findall(r"docs/methods\.md#([a-z0-9-]+)", f.read_text(encoding="utf-8")))
    assert cited and cited <= slugs, cited - slugs


# ------------------------------------------------------------------ the registry
def test_every_raw_file_has_a_short_citation():
    m = manifest.read_manifest()
    assert (m["short"].str.len().between(8, 100)).all()
    assert not m["short"].str.contains(";").any()  # "; " separates the items of a source line
    # the 25 WPP extracts are two references, not 25
    assert manifest.cite("un_wpp/wpp2019_pakistan_mxF.tsv", "un_wpp/wpp2019_pakistan_popF.tsv") == "UN DESA, WPP 2019"
    assert manifest.cite("census/kp_population_age_sex.csv", "un_wpp/wpp2024_pakistan_tfr1dt.tsv") == \
        "PBS Census 2017 and 2023, Table 4; UN DESA, WPP 2024"


def test_per_row_sourced_files_are_cited_as_one_file():
    reg = references.registry()
    sehat = reg[manifest.cite("health/sehat_utilisation.csv")]
    assert sehat.per_row and sehat.files == ["data/raw/health/sehat_utilisation.csv"]
    assert "(per-row sources)" in sehat.short and "see the file" in sehat.text
    assert not reg[manifest.cite("un_wpp/wpp2019_pakistan_mxF.tsv")].per_row


def test_literature_registry():
    lit = references.literature()
    assert lit["key"].is_unique and lit["short"].is_unique
    outside = lit[~lit["entry"].str.startswith("This study")]
    assert outside["url"].str.startswith("http").all()
    assert references.lit("ess48") == "Ortiz, Cummins & Karunanethy (2017), ILO ESS 48"
    with pytest.raises(KeyError):
        references.lit("nope")


def test_source_items_resolve():
    s = ("PBS Census 2017 and 2023, Table 4; UN DESA, WPP 2019; poverty line: params/policy/baseline.yaml "
         "(Planning Commission); Table 5.3 (chapter 5); project calculations.")
    assert references.split_source("Source: " + s) == [
        "PBS Census 2017 and 2023, Table 4", "UN DESA, WPP 2019",
        "poverty line: params/policy/baseline.yaml (Planning Commission)", "Table 5.3 (chapter 5)",
        "project calculations"]
    kinds = [references.resolve(i)[0] for i in references.split_source(s)]
    assert kinds == ["ref", "ref", "path", "exhibit", "generic"]
    assert references.resolve("params/nope.yaml") is None
    assert references.resolve("Somebody's blog, 2019") is None
    assert references.cited([s, "UN DESA, WPP 2019"]) == ["PBS Census 2017 and 2023, Table 4", "UN DESA, WPP 2019"]


def test_references_html_sorted_with_links():
    doc = references.references_html(["UN DESA, WPP 2019", "PBS Census 2017, Table 17"])
    soup = BeautifulSoup(doc, "html.parser")
    items = soup.select("ol.references li")
    assert [li.select_one(".ref-short").get_text() for li in items] == ["PBS Census 2017, Table 17", "UN DESA, WPP 2019"]
    assert items[1].select_one("a.ref-url")["href"] == "https://population.un.org/wpp/"
    # a URL field with two addresses (the two census extractions) gives two links
    two = BeautifulSoup(references.references_html(["PBS Census 2017 and 2023, Table 4"]), "html.parser")
    assert [a["href"].split("/")[3] for a in two.select("a.ref-url")] == ["colincookman", "myaseen208"]
    assert "15 files" in items[1].get_text() and "14 more in the same folder" in items[1].get_text()


def test_exhibit_links_in_prose_not_in_captions():
    soup = BeautifulSoup(
        '<section class="chapter" id="chapter-04_x"><p>See Table 4.1 and Figures 4.1-4.2.</p>'
        '<div class="spf-table-block" id="04_a"><p class="caption"><span class="label">Table 4.1.</span> T</p>'
        '<table class="spf-table"><tr><td>PBS Table 4.1</td></tr></table></div>'
        '<figure class="spf-figure" id="04_f"><figcaption><p class="caption"><span class="label">Figure 4.1.</span> F</p>'
        '</figcaption></figure></section>', "html.parser")
    assemble.link_exhibits(soup)
    links = [(a.get_text(), a["href"]) for a in soup.select("a.xref")]
    assert links == [("Table 4.1", "#04_a"), ("Figures 4.1-4.2", "#04_f")]


# ------------------------------------------------------------------ the built report
def built_report():
    if not paths.REPORT_HTML.exists():
        if os.environ.get("SPF_REQUIRE_BROWSER"):
            raise AssertionError(f"{paths.REPORT_HTML} missing: `make test` builds it first")
        pytest.skip("report not built (make report)")
    return BeautifulSoup(paths.REPORT_HTML.read_text(encoding="utf-8"), "html.parser")


#: longest source line allowed under an exhibit (characters)
MAX_SOURCE = 250


def test_every_source_line_resolves_and_is_short():
    built_report()
    idx = pd.concat([pd.read_csv(f) for f in sorted(paths.REPORTS.glob("tables/*_index.csv"))
                     if {"label", "source"} <= set(pd.read_csv(f, nrows=0).columns)])
    bad, long = [], []
    for r in idx.itertuples():
        for item in references.split_source(str(r.source)):
            if references.resolve(item) is None:
                bad.append(f"{r.label}: {item!r}")
        if len(str(r.source)) > MAX_SOURCE:
            long.append(f"{r.label} ({len(str(r.source))})")
    assert bad == [], bad[:10]
    assert long == [], long


def test_the_references_list_holds_what_the_source_lines_cite():
    soup = built_report()
    sources = [p.get_text(" ", strip=True) for p in soup.select("main p.source")]
    cited = references.cited(sources)
    entries = soup.select("section.references ol.references li")
    assert len(cited) >= 20 and len(entries) == len(cited)
    shorts = [li.select_one(".ref-short").get_text() for li in entries]
    assert shorts == sorted(shorts, key=references._sort_key) and set(shorts) == set(cited)
    ids = {li["id"] for li in entries}
    refs = soup.select("main p.source a.xref[href^='#ref-']")  # short citations link to their entry
    assert len(refs) >= len(sources) / 2 and all(a["href"][1:] in ids for a in refs)
    assert soup.select_one('nav.toc a[href="#references"]') is not None


def test_every_cited_exhibit_in_the_prose_is_a_link():
    soup = built_report()
    ids = {el["id"] for el in soup.select("[id]")}
    unlinked = []
    for p in soup.select("main section.chapter p"):
        if "caption" in (p.get("class") or []) or p.find_parent("table") is not None:
            continue
        for node in p.find_all(string=True):
            if node.find_parent("a") is None and assemble.CITATION.search(node):
                unlinked.append(" ".join(str(node).split())[:80])
    assert unlinked == [], unlinked[:5]
    links = soup.select("main a.xref[href^='#']")
    assert len(links) > 50 and all(a["href"][1:] in ids for a in links)


#: all-capital words of the report that are not abbreviations: Roman numerals, words set in
#: capitals by a source (column names, sheet names), and names of sources as they publish them
NOT_ABBREVIATIONS = {"II", "III", "IV", "VI", "VII", "VIII", "IX", "XI", "XII", "XIII", "XIV", "XV", "XVI",
                     "XVII", "XVIII", "XIX", "XX", "SEXES", "MISSING", "BENCHMARK", "README", "ALL", "OVERALL",
                     "TOTAL", "ARY", "NHT", "OPF", "PRIDE", "GIMI", "ICF", "URL", "PDF", "HTML"}
CAPS = re.compile(r"(?<![\w/.=&-])[A-Z][A-Z&]{2,}(?![\w/=&-])")


def test_abbreviations_listed_and_used():
    soup = built_report()
    listed = pd.read_csv(assemble.ABBREVIATIONS, dtype=str, keep_default_na=False)
    assert listed["abbreviation"].is_unique and (listed["expansion"].str.len() > 2).all()
    assert soup.select("section.abbreviations tr")
    for el in soup.select("style, script, section.abbreviations"):
        el.decompose()
    for a in soup.select("a[href]"):
        if a.get_text(strip=True).startswith("http"):
            a.decompose()
    text = soup.get_text(" ")
    used = set(CAPS.findall(text)) - NOT_ABBREVIATIONS
    missing = sorted(used - set(listed["abbreviation"]))
    assert missing == [], f"add to docs/abbreviations.csv: {missing}"
    unused = [a for a in listed["abbreviation"]
              if not re.search(rf"(?<![\w/.=&-]){re.escape(a)}(?![\w/=&-])", text)]
    assert unused == [], f"not in the report, drop from docs/abbreviations.csv: {unused}"
