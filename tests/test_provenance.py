"""Every numeric cell in data/raw has a source reachable from its row.

The rule (documented in data/raw/README.md), for every CSV file in data/raw:

1. A file with a URL column (``source_url`` or ``first_source_url``): every row
   that holds a number has a web address in that column and a title or
   locator (``source_title``/``first_source_title``/``locator``). A row of the
   scheme inventory without its own URL must point to sourced facts
   (``*_facts`` columns -> scheme_facts.csv, whose rows carry their sources).
2. A file without a URL column holds a single source: its manifest row gives
   one web address (``source_url``) and a ``locator``.
"""

import re

import pandas as pd
import pytest

from spf_analysis.data import manifest
from spf_analysis.config import paths

URL = re.compile(r"https?://\S+")
SOURCE_COLS = {"source_title", "source_url", "first_source_title", "first_source_url", "locator",
               "snippet", "confidence", "note", "notes", "derived_from", "citation"}
ID_COLS = re.compile(r"(_id|_facts|^year|^period|year_label|_year)$")
CSV_FILES = sorted(f for f in manifest.raw_files() if f.endswith(".csv"))


def numeric_cells(df: pd.DataFrame) -> pd.Series:
    """Per row: does it hold a number outside id, period and source columns?"""
    cols = [c for c in df.columns if c not in SOURCE_COLS and not ID_COLS.search(c)]
    if not cols:
        return pd.Series(False, index=df.index)
    num = df[cols].apply(lambda s: pd.to_numeric(s.str.replace(",", "", regex=False),
                                                 errors="coerce").notna()
                         | s.str.contains(r"\d", regex=True, na=False))
    return num.any(axis=1)


@pytest.mark.parametrize("rel", CSV_FILES)
def test_every_number_has_a_source(rel):
    df = pd.read_csv(paths.RAW / rel, dtype=str, keep_default_na=False)
    has_num = numeric_cells(df)
    url_col = next((c for c in ("source_url", "first_source_url") if c in df.columns), None)
    if url_col is None:
        m = manifest.read_manifest().set_index("path").loc[rel]
        assert URL.fullmatch(m["source_url"].strip()), f"{rel}: no per-row sources and the " \
            f"manifest source_url is not a single web address: {m['source_url']!r}"
        assert m["locator"].strip(), f"{rel}: manifest locator is empty"
        return
    title_cols = [c for c in ("source_title", "first_source_title", "locator") if c in df.columns]
    has_url = df[url_col].str.strip().str.match(URL)
    has_title = df[title_cols].apply(lambda s: s.str.strip() != "").any(axis=1)
    fact_cols = [c for c in df.columns if c.endswith("_facts")]
    has_facts = (df[fact_cols].apply(lambda s: s.str.contains(r"F\d{3}", na=False)).any(axis=1)
                 if fact_cols else pd.Series(False, index=df.index))
    ok = ~has_num | (has_url & has_title) | has_facts
    bad = df.index[~ok]
    assert not len(bad), f"{rel}: line {int(bad[0]) + 2} has a number but no source " \
        f"({url_col} and title/locator)"


def test_rule_catches_a_row_without_source(tmp_path, monkeypatch):
    """The check above can fail: a macro row with its URL removed is caught."""
    df = pd.read_csv(paths.RAW / "macro" / "pakistan_kp_macro_fiscal.csv", dtype=str,
                     keep_default_na=False)
    df.loc[3, "source_url"] = ""
    has_url = df["source_url"].str.strip().str.match(URL)
    assert not (has_url | ~numeric_cells(df)).all()
