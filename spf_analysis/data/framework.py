"""The policy, legal and institutional framework of social protection in KP (chapter 08).

``data/raw/framework/legal_framework.csv``: one sourced fact a row (``fact_id`` L01...), of a
kind: the constitution and federal decisions on devolution, the federal and provincial laws,
KP's policy and strategy, the institutions, and the steps of the ILO assessment-based national
dialogue (ABND). Every row carries its source (title, web address, locator, verbatim snippet).
``guarantees`` (the SPF guarantees an instrument concerns, codes of the scheme inventory's
``spf_guarantee_main``), ``options`` (the chapter 04 provisions that rest on an instrument) and
``agency_pattern`` (a regular expression on the inventory's administering agency, for an
institution) are this study's classification, not facts of the sources.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from spf_analysis.config import paths
from spf_analysis.data.io import PROVENANCE_COLS, Col, InputError, Schema, _check_urls, read_csv

FILE = paths.RAW / "framework" / "legal_framework.csv"
#: the kinds of fact, in the order the chapter presents them
KINDS = ("constitution", "federal_decision", "act", "policy", "strategy", "institution", "guide", "abnd_step")
#: the four SPF guarantees (ILO R202 para 5), as coded in the scheme inventory
GUARANTEES = ("health", "children", "working_age", "old_age")
LEVELS = ("constitutional", "federal", "provincial", "international")


def _check_codes(df: pd.DataFrame, file) -> None:
    for i, cell in df["guarantees"].items():
        bad = [g for g in str(cell).split(";") if g and g not in GUARANTEES]
        if bad:
            raise InputError(file, f"unknown guarantee(s) {bad}; use {list(GUARANTEES)}", column="guarantees",
                             line=int(i) + 2)
    for i, pat in df["agency_pattern"].items():
        if pat:
            try:
                re.compile(pat)
            except re.error as e:
                raise InputError(file, f"not a regular expression: {pat!r} ({e})", column="agency_pattern",
                                 line=int(i) + 2) from None
        if (pat != "") != (df.at[i, "kind"] == "institution"):
            raise InputError(file, "an institution row needs an agency_pattern, and only an institution row",
                             column="agency_pattern", line=int(i) + 2)
    empty = df["snippet"].str.strip() == ""
    if empty.any():
        raise InputError(file, "every fact quotes its source: snippet is empty", column="snippet",
                         line=int(empty[empty].index[0]) + 2)


SCHEMA = Schema("policy, legal and institutional framework",
                (Col("fact_id"), Col("kind", allowed=KINDS), Col("instrument"), Col("year", nullable=True),
                 Col("level", allowed=LEVELS), Col("guarantees", nullable=True), Col("options", nullable=True),
                 Col("agency_pattern", nullable=True), Col("what"), Col("snippet")) + PROVENANCE_COLS,
                key=("fact_id",), checks=(_check_urls,))


def read_legal_framework(file: Path | None = None) -> pd.DataFrame:
    """The framework facts, validated (kinds, levels, guarantee codes, sources); empty optional
    cells as ``""``."""
    file = Path(file or FILE)
    df = read_csv(file, SCHEMA)
    for c in ("year", "guarantees", "options", "agency_pattern"):
        df[c] = df[c].fillna("").astype(str)
    _check_codes(df, file)
    return df.reset_index(drop=True)


MAPPING_STUDY = paths.RAW / "schemes" / "mapping_study_2013.csv"


def strategy_launch(file: Path | None = None) -> pd.Series:
    """The launch of the KP Social Protection Strategy, a sourced row of the mapping-study facts
    (its one home): scheme, metric, value, year, source_url, locator, snippet."""
    df = pd.read_csv(file or MAPPING_STUDY, dtype=str, keep_default_na=False)
    row = df[df["scheme"].str.startswith("KP Social Protection Strategy") & (df["metric"] == "launch")]
    if len(row) != 1:
        raise InputError(file or MAPPING_STUDY, f"expected one launch row of the KP Social Protection Strategy, "
                         f"found {len(row)}")
    return row.iloc[0]
