"""The report's references: short citations in source lines, full entries at the end.

One home for each reference:

* a raw file's source is its row of ``data/raw/manifest.csv``; the column ``short`` is what a
  source line prints (:func:`spf_analysis.data.manifest.cite`), and files that share a short
  citation (the 25 UN WPP extracts) share one References entry built from their rows (title
  or citation, publisher, locator, URL, the files);
* literature and this study's own tools that are not raw files are rows of
  ``docs/references.csv`` (``key, short, year, entry, url``); :func:`lit` gives the short form.

A source line is ``item; item; ...`` (optionally ending in "."); an item is a short citation
(optionally followed by a qualifier in parentheses or after a comma), a repository path
(``params/...``, ``data/raw/...``, ``spf_analysis/...``; globs allowed), another exhibit
("Table 5.3", "chapter 4"), or "project calculations"; it may start with a short label
("Costs: ..."). :func:`resolve` classifies an item; :func:`references_html` builds the
References section from the short citations the source lines of a build cite.
"""

from __future__ import annotations

import glob
import html
import re
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from spf_analysis.config import paths
from spf_analysis.data import manifest

REFERENCES_FILE = paths.ROOT / "docs" / "references.csv"
REFERENCE_COLUMNS = ["key", "short", "year", "entry", "url"]
#: items that need no entry: the study's own arithmetic
GENERIC = {"project calculations"}
_EXHIBIT = re.compile(r"^(as for )?(Tables?|Figures?) [A-Z0-9]+\.\d+|^[Cc]hapters? \d")
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;)]")
_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9 ,'()/-]{0,40}: ")


@dataclass
class Entry:
    short: str
    text: str                      # the full entry (plain text)
    urls: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    per_row: bool = False
    year: str = ""


@lru_cache(maxsize=1)
def literature() -> pd.DataFrame:
    df = pd.read_csv(REFERENCES_FILE, dtype=str, keep_default_na=False)
    missing = [c for c in REFERENCE_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"docs/references.csv: missing column(s) {missing}")
    for col in ("key", "short"):
        dup = df[col].duplicated()
        if dup.any():
            raise ValueError(f"docs/references.csv: {col} {df[col][dup].iloc[0]!r} listed twice")
    return df


def lit(*keys: str) -> str:
    """Short citation(s) of literature keys of ``docs/references.csv``, joined by "; "."""
    df = literature().set_index("key")
    unknown = [k for k in keys if k not in df.index]
    if unknown:
        raise KeyError(f"not in docs/references.csv: {unknown}")
    return "; ".join(dict.fromkeys(df.loc[k, "short"] for k in keys))


#: the mark of a file whose rows carry their own sources (in its manifest ``short``)
PER_ROW = "(per-row sources)"


@lru_cache(maxsize=1)
def registry() -> dict[str, Entry]:
    """Every reference by short citation: manifest groups and docs/references.csv rows."""
    out: dict[str, Entry] = {}
    m = manifest.read_manifest()
    for short, g in m.groupby("short", sort=False):
        r = g.iloc[0]
        parts = [r.title, r.publisher, r.locator] if len(g) == 1 else [r.citation, r.publisher, f"{len(g)} files"]
        text = " ".join(_sentence(x) for x in parts if x.strip())
        per_row = PER_ROW in short
        if per_row:
            text += " Each row of the file carries its own source (title, URL, locator, snippet): see the file."
        out[short] = Entry(short, text, list(dict.fromkeys(g["source_url"])),
                           [f"data/raw/{p}" for p in g["path"]], per_row)
    for r in literature().itertuples():
        if r.short in out:
            raise ValueError(f"docs/references.csv: short citation {r.short!r} is also a manifest short")
        out[r.short] = Entry(r.short, r.entry, [r.url] if r.url else [], [], False, r.year)
    return out


def _sentence(x: str) -> str:
    """``x`` as a sentence: capital first letter, one final full stop."""
    x = x.strip()
    return x[:1].upper() + x[1:] + ("" if x.endswith((".", "?", "!")) else ".")


def split_source(text: str) -> list[str]:
    """The items of a source line: split at "; " outside parentheses."""
    text = re.sub(r"^Source:\s*", "", text.strip()).rstrip(".").strip()
    items, depth, cur = [], 0, ""
    i = 0
    while i < len(text):
        ch = text[i]
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and text.startswith("; ", i):
            items.append(cur.strip())
            cur, i = "", i + 2
            continue
        cur += ch
        i += 1
    if cur.strip():
        items.append(cur.strip())
    return items


def _path_exists(token: str) -> bool:
    token = token.rstrip(",:.)")
    if "/" not in token and token not in ("Makefile",):
        return False
    return bool(glob.glob(str(paths.ROOT / token)))


def resolve(item: str) -> tuple[str, str] | None:
    """("ref", short) | ("path", path) | ("exhibit", text) | ("generic", text) | None."""
    reg = registry()
    cands = [item]
    lab = _LABEL.match(item)
    if lab:
        cands.append(item[lab.end():])
    for c in cands:
        for short in sorted(reg, key=len, reverse=True):
            if c == short or c.startswith(short + " (") or c.startswith(short + ", "):
                return ("ref", short)
        if c.lower() in GENERIC:
            return ("generic", c)
        if _EXHIBIT.match(c):
            return ("exhibit", c)
        if c and _path_exists(c.split()[0]):
            return ("path", c.split()[0].rstrip(",:.)"))
    return None


def cited(sources) -> list[str]:
    """The short citations the source lines ``sources`` cite, in first-cited order."""
    out: list[str] = []
    for s in sources:
        for item in split_source(s):
            r = resolve(item)
            if r and r[0] == "ref" and r[1] not in out:
                out.append(r[1])
    return out


def anchor(short: str) -> str:
    return "ref-" + (re.sub(r"[^a-z0-9]+", "-", short.lower()).strip("-") or "x")


def _sort_key(short: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", short.lower())


def references_html(shorts) -> str:
    """The References section: one entry per cited short citation, sorted."""
    reg = registry()
    items = []
    for s in sorted(set(shorts), key=_sort_key):
        e = reg[s]
        year = f" ({html.escape(e.year)})" if e.year else ""
        # a manifest URL field may hold several addresses and remarks
        # ("https://bisp.gov.pk/ (first_source_url per row)"): every address becomes a link
        urls = " ".join(_URL.sub(lambda m: f'<a class="ref-url" href="{m.group(0)}">{m.group(0)}</a>', html.escape(u))
                        for u in e.urls)
        files = (f' <span class="ref-files">File{"s" if len(e.files) > 1 else ""}: '
                 + (", ".join(html.escape(f) for f in e.files) if len(e.files) <= 3
                    else html.escape(f"{e.files[0]} and {len(e.files) - 1} more in the same folder"))
                 + ".</span>") if e.files else ""
        items.append(f'<li id="{anchor(s)}"><span class="ref-short">{html.escape(s)}</span>{year}. '
                     f'{html.escape(e.text)}{files} {urls}</li>')
    return ('<section class="backmatter references">\n<h1>References</h1>\n'
            '<p>Entries for the short citations in the source lines under the figures and tables. '
            'Raw files are listed in data/raw/manifest.csv with their checksums.</p>\n'
            '<ol class="references">\n' + "\n".join(items) + "\n</ol>\n</section>")
