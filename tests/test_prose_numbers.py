"""Every number in the study's prose is formatted from a value the code holds.

The rule: no numeral is typed by hand in the text a reader sees. This test reads every
``notebooks/*.ipynb`` and flags the digits that remain, after removing the whitelisted
kinds below, in

* markdown cells (fenced code blocks excepted);
* the literal text of the strings given to ``Markdown(...)`` or ``display(...)``: plain string
  literals and the constant parts of f-strings (the ``{placeholders}`` are computed and are not
  read), followed through ``+``, conditional expressions, ``"sep".join(...)`` and names assigned
  in the same cell;
* the title and the ``note=`` of ``ch.table(...)`` / ``ch.figure(...)``: the report prints them
  as prose under every exhibit.

Column labels, axis labels and values inside tables are not prose and are not read here.

Each offending passage is reported with its notebook, cell index and surrounding text. Turn the
passage into computed text: a code cell ``display(Markdown(f"..."))`` whose numbers are formatted
from data/processed tables, params files, the policy and scenario YAML or the package.

``python tests/test_prose_numbers.py`` prints every offending passage, pending notebooks included;
with ``--words`` it also lists counts spelt out in words (advisory, never failed).
"""

from __future__ import annotations

import ast
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# Known-pending: notebooks whose prose still carries typed numbers and that the lead developer is
# rewriting. Their offending passages are still computed and listed (``python
# tests/test_prose_numbers.py``), they just do not fail the suite. EMPTY THIS SET as each notebook
# is fixed; a notebook listed here that is already clean is reported as a skip by
# test_pending_is_still_needed (07_assessment_matrix: no typed numeral, only number words).
PENDING = {
}

# ------------------------------------------------------------------------------ the whitelist
# Each rule: (name, regex, reason). A match is blanked out before the remaining digits are
# flagged. Order matters only in that earlier rules blank text later rules no longer see.
_NUM = r"\d+(?:\.\d+)*"  # 4, 4.2, 1.3.1
_EXHIBIT_WORDS = (r"(?:Tables?|Figures?|[Ss]ections?|[Cc]hapters?|Annex(?:es)?|Box(?:es)?|"
                  r"[Oo]ptions?|ch\.|table|figure|para(?:graph)?s?|"
                  r"[Aa]rticles?|Art\.)")
WHITELIST: list[tuple[str, str, str]] = [
    ("url", r"(?:https?://|doi\.org/|www\.)\S+",
     "web addresses and DOIs are citations, not quantities"),
    ("code", r"`[^`\n]*`",
     "code in backticks (file names, parameters, commands) is literal, not a quantity"),
    ("path", r"(?<![\w.])(?=[\w.*/{}-]*[A-Za-z])[\w.*-]*(?:/[\w.*{}-]+)+/?|\b[\w*-]+\.(?:ya?ml|csv|tsv|xlsx|parquet|ipynb|py|dta|png|txt)\b",
     "file paths (params/04_costing_options.yaml, data/raw/...) are names, not quantities"),
    ("heading", r"(?m)^#{1,6}\s+(?:Annex\s+)?[A-Z]?\d*(?:\.\d+)*\.?(?=\s)",
     "the number of a heading (## 4.1, # Annex A.) is the document's structure"),
    ("exhibit", rf"\b{_EXHIBIT_WORDS}\s*[A-Z]?{_NUM}(?:\s*\([^()]*\))?"
                rf"(?:\s*(?:,|and|or|to|-)\s*[A-Z]?{_NUM}(?:\s*\([^()]*\))?)*",
     "exhibit and item numbers (Table 4.2, Figure 3.1, section 4.5, chapters 3 and 5, Tables 0.6 "
     "(...) and 0.7, Annex A.1, options 5, 7 and 8 of the cited ILO list) point to a place, they "
     "are not quantities; a parenthesis between two items of the list is skipped"),
    ("annex", r"\b(?:Annex|Part)\s+[A-Z](?:\.\d+)*\b", "annex letters and their sections"),
    ("citation", r"\b(?:Recommendation|Convention|No\.|Working Paper|Paper|SDG|Goal|"
                 r"Resolution|Act|Ordinance|Rules?|Schedule)\s*(?:No\.\s*)?\d+(?:\.\d+)*[a-z]?\b"
                 r"|\btarget\s+\d+\.\d+(?:\.\d+)?\b",
     "parts of citations: ILO Recommendation No. 202, Convention No. 102, SDG 1.3.1, ESS "
     "Working Paper 48 identify a document, not a quantity"),
    ("identifier", r"\b(?!(?:Rs|PKR|USD|US)\d)(?:[A-Za-z]+_?\d+|[A-Z]{2,}-\d+)(?:[_./-]?[A-Za-z0-9]+)*\b"
                   r"|\b\d+[A-Za-z_]*[_][\w]*\b",
     "codes that mix letters and digits (R202, C102, S01, ISO codes, kp_35_2023, COVID-19) are "
     "identifiers; an amount glued to its currency (Rs3,030) is not one"),
    ("fiscal_year", r"\b(?:FY\s*)?(?:19|20)\d\d\s*[-/\u2013]\s*(?:(?:19|20)\d\d|\d\d)\b",
     "fiscal years (2013-14, FY 2023-24) and year ranges (1998-2017) are dates"),
    ("year", r"\b(?:19|20)\d\d(?:s)?\b",
     "calendar years (19xx, 20xx) are dates; a year that is a parameter (the target year of a "
     "table) is best computed, but the test cannot tell it from a fixed date"),
    ("standard_age_group",
     r"\b(?:0-4|0-14|15-64|65\+|75\+|80\+)(?!\d)|\bunder 15\b|\b65 or (?:more|over|older)\b",
     "fixed standard age groupings: the five-year census groups (0-4 ... 75+) and the UN/ILO "
     "broad groups behind dependency ratios and SDG 1.3.1 (children 0-14 / under 15, working "
     "age 15-64, older persons 65+). Any other age bound (18-59, 60+, a benefit's eligibility "
     "age) is a parameter of a scenario or notebook and must be formatted from it"),
    ("ordinal", r"\b\d+(?:st|nd|rd|th)\b",
     "ordinals (the 25th Amendment) name an item, they are not quantities"),
    ("ratio_unit", r"\bper (?:100|1,000|100,000)\b(?!\s*(?:billion|million))",
     "'per 100 persons aged 15-64', 'males per 100 females': the unit of a ratio is a "
     "definition, not data"),
    ("formula", r"(?:\b[A-Za-z]|[)\]])[-+/*]\d+(?:\.\d+)?\b|[A-Za-z)\]]\s+[-+/*x]\s+\d+(?:\.\d+)?\b|\b\d+(?:\.\d+)?\s+[-+/*x]\s+[A-Za-z(\[]"
                r"|(?:=|equal to|equals)\s*1\b|\bmax\([^()]*,\s*0\)",
     "constants of a definition written as a formula (I(t-1), 1 + inflation/100, quarterly / 3, "
     "100 - coverage, an index equal to 1 in its base year, minimum wage x 12 months): arithmetic, not data"),
    ("statistical_convention",
     r"\b5-95% and 25-75%|\b90% of the (?:Monte Carlo )?draws\b"
     r"|\bper Rs 100 billion\b|\(1 = poorest\)|\b1 would mean\b",
     "conventions of the presentation, fixed by the method and not data: the 5-95% / 25-75% bands of a fan chart and the 90% of draws between "
     "its 5th and 95th percentiles, cost-effectiveness per Rs 100 billion, quintile 1 = the poorest, "
     "a ratio's upper bound of 1"),
]
_COMPILED = [(name, re.compile(rx)) for name, rx, _ in WHITELIST]
_DIGIT = re.compile(r"\d[\d,.]*%?")
_FENCE = re.compile(r"(?ms)^```.*?^```")


def strip_whitelisted(text: str) -> str:
    """The text with every whitelisted span replaced by spaces (same length, same offsets)."""
    text = _FENCE.sub(lambda m: " " * len(m.group()), text)
    for _, rx in _COMPILED:
        text = rx.sub(lambda m: " " * len(m.group()), text)
    return text


def offending(text: str, context: int = 50) -> list[str]:
    """The passages of ``text`` holding a typed numeral that no whitelist rule accounts for."""
    stripped = strip_whitelisted(text)
    out, last_end = [], -1
    for m in _DIGIT.finditer(stripped):
        if m.start() < last_end:
            continue
        a, b = max(0, m.start() - context), min(len(text), m.end() + context)
        out.append(("..." if a else "") + " ".join(text[a:b].split()) + ("..." if b < len(text) else ""))
        last_end = b
    return out


# ----------------------------------------------------------------- the prose of a code cell
PROSE_CALLS = {"Markdown", "display"}  # every string argument is text for the reader
EXHIBIT_CALLS = {"table", "figure"}  # Chapter.table / Chapter.figure: title (3rd arg) and note=


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


PLACEHOLDER = "{\u2026}"  # what a computed {placeholder} of an f-string shows in a passage


def template(e: ast.JoinedStr) -> str:
    """An f-string's literal text with each computed placeholder shown as {…} (no digit in it)."""
    return "".join(v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in e.values)


class _Prose:
    """Collects the literal text of the prose expressions of one code cell."""

    def __init__(self, tree: ast.AST):
        self.assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        self.assigned.setdefault(t.id, []).append(node.value)
        self.seen: set[str] = set()

    def texts(self, e: ast.expr | None):
        if e is None:
            return
        if isinstance(e, ast.Constant) and isinstance(e.value, str):
            yield e.value
        elif isinstance(e, ast.JoinedStr):
            yield template(e)
        elif isinstance(e, ast.BinOp):
            yield from self.texts(e.left)
            yield from self.texts(e.right)
        elif isinstance(e, ast.IfExp):
            yield from self.texts(e.body)
            yield from self.texts(e.orelse)
        elif isinstance(e, ast.BoolOp):
            for v in e.values:
                yield from self.texts(v)
        elif isinstance(e, (ast.List, ast.Tuple)):
            for v in e.elts:
                yield from self.texts(v)
        elif isinstance(e, (ast.ListComp, ast.GeneratorExp)):
            yield from self.texts(e.elt)
        elif isinstance(e, ast.Call) and _name(e.func) in {"join", "format", "Markdown"}:
            if isinstance(e.func, ast.Attribute) and _name(e.func) != "Markdown":
                yield from self.texts(e.func.value)
            for a in e.args:
                yield from self.texts(a)
        elif isinstance(e, ast.Name) and e.id in self.assigned and e.id not in self.seen:
            self.seen.add(e.id)
            for v in self.assigned[e.id]:
                yield from self.texts(v)


def code_prose(source: str) -> list[str]:
    """The literal prose of one code cell (see the module docstring)."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    prose = _Prose(tree)
    out: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name in PROSE_CALLS:
            for a in node.args:
                if isinstance(a, ast.Call) and _name(a.func) in EXHIBIT_CALLS:
                    continue  # display(ch.table(...)): read as an exhibit below
                out.extend(prose.texts(a))
        elif name in EXHIBIT_CALLS and isinstance(node.func, ast.Attribute):
            if len(node.args) >= 3:
                out.extend(prose.texts(node.args[2]))
            for kw in node.keywords:
                if kw.arg in {"title", "note"}:
                    out.extend(prose.texts(kw.value))
    return out


@dataclass(frozen=True)
class Offence:
    notebook: str
    cell: int
    kind: str
    passage: str

    def __str__(self) -> str:
        return f"{self.notebook}.ipynb cell {self.cell} ({self.kind}): {self.passage}"


# Prose that a notebook takes whole from a package function (the executive summary's text is
# written by spf_analysis.report.summary.summary_markdown): the literal text of the function's
# strings is read as if it were in the cell that calls it.
PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "spf_analysis"
PACKAGE_PROSE = {"summary_markdown": PACKAGE_ROOT / "report" / "summary.py"}


def function_prose(file: Path, function: str) -> list[str]:
    tree = ast.parse(file.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            # every f-string of the function (its format specs excepted) and every plain string
            # joined to one with + or a conditional expression
            specs = {id(v.format_spec) for v in ast.walk(node)
                     if isinstance(v, ast.FormattedValue) and v.format_spec is not None}
            for sub in ast.walk(node):
                if isinstance(sub, ast.JoinedStr) and id(sub) not in specs:
                    out.append(template(sub))
                elif isinstance(sub, (ast.BinOp, ast.IfExp)):
                    for side in ((sub.left, sub.right) if isinstance(sub, ast.BinOp) else (sub.body, sub.orelse)):
                        if isinstance(side, ast.Constant) and isinstance(side.value, str):
                            out.append(side.value)
    return out


def _called(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {_name(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)} & set(PACKAGE_PROSE)


def notebook_offences(path: Path) -> list[Offence]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    out: list[Offence] = []
    for i, cell in enumerate(nb["cells"]):
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown":
            chunks = [("markdown", t) for t in [src]]
        elif cell["cell_type"] == "code":
            chunks = [("code text", t) for t in code_prose(src)]
            for fn in sorted(_called(src)):
                rel = PACKAGE_PROSE[fn].relative_to(PACKAGE_ROOT.parent)
                chunks += [(f"text of {rel}:{fn}", t) for t in function_prose(PACKAGE_PROSE[fn], fn)]
        else:
            continue
        for kind, t in chunks:
            for p in offending(t):
                o = Offence(path.stem, i, kind, p)
                if o not in out:  # a string reached twice (display(Markdown(...))) is reported once
                    out.append(o)
    return out


def all_offences() -> dict[str, list[Offence]]:
    return {p.stem: notebook_offences(p) for p in sorted(NOTEBOOKS.glob("*.ipynb"))}


# ------------------------------------------------------------------------------------- tests
NB_NAMES = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("name", [n for n in NB_NAMES if n not in PENDING])
def test_no_typed_numbers_in_prose(name):
    found = notebook_offences(NOTEBOOKS / f"{name}.ipynb")
    assert not found, ("numbers typed by hand in the prose (format them from a computed value):\n"
                       + "\n".join(map(str, found)))


@pytest.mark.parametrize("name", sorted(PENDING))
def test_pending_is_still_needed(name):
    """A notebook stays in PENDING only while it still has typed numbers."""
    assert (NOTEBOOKS / f"{name}.ipynb").exists(), f"{name}: not a notebook; remove it from PENDING"
    if not notebook_offences(NOTEBOOKS / f"{name}.ipynb"):
        pytest.skip(f"{name} has no typed numeral left: remove it from PENDING in tests/test_prose_numbers.py")


def test_whitelist_rules_have_reasons():
    assert all(reason.strip() for _, _, reason in WHITELIST)


# --------------------------------------------------------------------------- test the test
def _nb(tmp_path, cells) -> Path:
    p = tmp_path / "99_toy.ipynb"
    p.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return p


def _md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text):
    return {"cell_type": "code", "metadata": {}, "source": text, "outputs": [], "execution_count": None}


def test_typed_growth_rate_fails(tmp_path):
    found = notebook_offences(_nb(tmp_path, [_md("The population grows 2.38% a year.")]))
    assert len(found) == 1 and found[0].cell == 0 and "2.38%" in found[0].passage


def test_exhibit_and_year_pass(tmp_path):
    assert not notebook_offences(_nb(tmp_path, [_md("See Table 4.2 (2030).")]))


@pytest.mark.parametrize("text", [
    "## 4.1 Population projection", "# Annex A. Assumptions", "## A.2 Costing scenarios",
    "ILO Recommendation No. 202 and Convention No. 102, SDG 1.3.1, R202, C102",
    "the PDHS 2017-18 and FY 2023-24, 1998-2017", "see `params/04_costing_options.yaml` and data/raw/schemes/",
    "https://doi.org/10.1111/roiw.12728", "Tables 0.6 (every raw file) and 0.7 (every conflict)",
    "sections 4.5 and 5.4, chapter 3", "children 0-14, ages 0-4 ... 75+, persons aged 15-64 and 65+", "are 65 or older",
    "the 25th Constitutional Amendment", "Grosh et al. 2022, ch. 7", "Options 5 (a), 7 (b) and 8 (c)",
    "I(t) = I(t-1) x (1 + inflation(t)/100), equal to 1 in the base year",
    "Dependency ratios per 100 persons aged 15-64", "S01 and S19", "COVID-19", "PAK/12/50/JPN",
    "SDG target 1.3",
    "Bands: 5-95% and 25-75% of draws.", "90% of the draws put it between", "points per Rs 100 billion",
    "quintiles of consumption (1 = poorest)", "1 would mean every rupee closes the gap",
    "Contributions = persons x rate x minimum wage x 12.", "sum w [max(z - y_pre, 0) - max(z - y_post, 0)]",
])
def test_whitelisted_passes(text):
    assert not offending(text), offending(text)


@pytest.mark.parametrize("text", [
    "the official total of 40,856,097", "about 6% of its resources", "assumes 30% of workers",
    "a rate of 3.16%", "adults 18-59", "a 60+ variant", "a 95% confidence interval",
    "Rs 3,030.32 a month", "the poorest 20%", "32 schemes", "Rs3,030 a month", "1/3 of households",
    "from age-65", "all 17 targets", "targets 17",
    "80% of the draws", "per Rs 50 billion", "Bands: 10-90% of draws",
])
def test_typed_numbers_flagged(text):
    assert offending(text)


def test_code_cells(tmp_path):
    cells = [
        _code('display(Markdown(f"It grows {g:.2f}% a year over {n:g} years (Table 1.1)."))'),  # computed
        _code('x = 3\nMarkdown(f"The RAP assumes 30% of informal workers have {x} ...")'),  # typed 30%
        _code('display(Markdown("KP\'s own receipts are about 6% of its resources"))'),  # plain literal
        _code('ch.table(df, "t", "Population (percent, 95% CI)", source="s", note="Total " + "of 40,856,097")'),
        _code('df.query("year == 2030 and age > 64")\nprint("not prose: 12")'),  # not prose
        _code('s = "typed 7 here"\nMarkdown(s + "!")'),  # followed through a name
    ]
    found = notebook_offences(_nb(tmp_path, cells))
    assert sorted({f.cell for f in found}) == [1, 2, 3, 5]
    assert sum(f.cell == 3 for f in found) == 2
    assert all(f.kind == "code text" for f in found)


# Advisory only (printed by ``python tests/test_prose_numbers.py``, never failed): counts spelt
# out in words ("seven provisions", "six years") are numbers too when they restate a parameter or
# a count of the data; many are fixed facts ("the four guarantees of R202"), so a reader decides.
_WORD = re.compile(r"\b(?:three|four|five|six|seven|eight|nine|ten|eleven|twelve|half)\b", re.I)


def number_words(path: Path) -> list[Offence]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, cell in enumerate(nb["cells"]):
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        texts = [src] if cell["cell_type"] == "markdown" else code_prose(src)
        if cell["cell_type"] == "code":
            texts += [t for fn in sorted(_called(src)) for t in function_prose(PACKAGE_PROSE[fn], fn)]
        for t in texts:
            for m in _WORD.finditer(t):
                a, b = max(0, m.start() - 40), min(len(t), m.end() + 40)
                o = Offence(path.stem, i, "number word", "..." + " ".join(t[a:b].split()) + "...")
                if o not in out:
                    out.append(o)
    return out


if __name__ == "__main__":
    total = 0
    for name, found in all_offences().items():
        for f in found:
            print(("PENDING " if name in PENDING else "") + str(f))
        total += len(found)
    print(f"{total} offending passages")
    if "--words" in sys.argv:
        for p in sorted(NOTEBOOKS.glob("*.ipynb")):
            for f in number_words(p):
                print("ADVISORY " + str(f))
    sys.exit(0)
