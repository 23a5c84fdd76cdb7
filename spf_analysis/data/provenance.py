"""Provenance tables of the study (chapter 00): what comes from where, how
confident each value is, where sources conflict and which value was chosen,
and which values are derived from others.

Every table is built from ``data/raw/manifest.csv``, the raw files themselves
(row counts and the per-row ``confidence`` column) and the processed tables,
so the chapter cannot drift from the data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spf_analysis.data import manifest
from spf_analysis.config import paths

CONFIDENCE_LEVELS = ("high", "medium", "low")

#: Which processed table(s) (spf_analysis.data.io.PROCESSED_TABLES) or module reads each raw
#: file or folder; a test checks that every processed table named here exists.
USED_BY = {
    "census/district_crosswalk_2017_2023.csv": "census_district_crosswalk",
    "census/district_population.csv": "census_district_totals",
    "census/kp_demographic_rates.csv": "census_published_rates",
    "census/kp_district_population_age_sex.csv": "census_district_age_sex",
    "census/kp_population_age_sex.csv": "census_province_age_sex",
    "coverage/sdg131_anchors.csv": "sdg131_anchors",
    "disability/kp_disabled_population_age_sex_2017.csv": "disability_census",
    "disability/severe_disability_prevalence.csv": "disability_severity",
    "fiscal/fiscal_space_yields.csv": "fiscal_space_indicators",
    "framework/legal_framework.csv": "policy framework (chapter 8)",
    "district/district_indicators.csv": "district_indicators",
    "district/district_name_aliases.csv": "district_indicators",
    "labour/kp_labour.csv": "labour_census",
    "macro/pakistan_kp_macro_fiscal.csv": "macro_indicators",
    "poverty/poverty_indicators.csv": "poverty_indicators",
    "schemes/mapping_study_2013.csv": "(reference only)",
    "schemes/scheme_classification.csv": "schemes",
    "schemes/scheme_facts.csv": "scheme_facts",
    "schemes/scheme_series.csv": "scheme_series, scheme_benefit_levels",
    "schemes/schemes.csv": "schemes",
    "demography/": "population projection (demography)",
    "survey_targets/": "synthetic survey (synth)",
    "un_wpp/": "population projection (demography)",
}

#: Keys that identify one quantity in a raw table with a ``chosen`` column (the keys
#: the readers in spf_analysis.data.io check); other tables use DEFAULT_KEYS.
CONFLICT_KEYS = {"schemes/scheme_series.csv": ["scheme_id", "component", "geography", "period",
                                               "metric"],
                 # one choice per indicator: the headline Sehat count among counts of different periods,
                 # the headline benchmark among benchmarks (io.read_sehat_utilisation checks it)
                 "health/sehat_utilisation.csv": ["indicator"]}
DEFAULT_KEYS = ["indicator", "geography", "period"]


def used_by(path: str) -> str:
    """Processed table or module that reads a raw file (exact path, else its folder)."""
    if path in USED_BY:
        return USED_BY[path]
    folder = path.split("/", 1)[0] + "/"
    return USED_BY.get(folder, "see the manifest")


def read_raw(path: str, raw: Path | None = None) -> pd.DataFrame:
    """A raw file as text (CSV, or TSV for the UN WPP extracts)."""
    f = (raw or paths.RAW) / path
    sep = "\t" if f.suffix == ".tsv" else ","
    return pd.read_csv(f, sep=sep, dtype=str, keep_default_na=False)


def confidence_level(text: str) -> str:
    """The level a ``confidence`` cell starts with (``"high (national)"`` ->
    ``"high"``); ``"not rated"`` for an empty or other cell."""
    words = str(text).strip().lower().replace(";", " ").replace("(", " ").split()
    return words[0] if words and words[0] in CONFIDENCE_LEVELS else "not rated"


def confidence_counts(path: str, raw: Path | None = None) -> dict:
    """Rows of a raw file by confidence level (all ``not rated`` when the file
    has no ``confidence`` column: single-source files rated by their manifest
    entry)."""
    df = read_raw(path, raw)
    levels = (df["confidence"].map(confidence_level) if "confidence" in df.columns
              else pd.Series("not rated", index=df.index))
    counts = levels.value_counts()
    return {lvl: int(counts.get(lvl, 0)) for lvl in CONFIDENCE_LEVELS + ("not rated",)}


def source_inventory(man: pd.DataFrame | None = None, raw: Path | None = None) -> pd.DataFrame:
    """One row per raw file of the manifest: folder, file, publisher, what it
    holds (title), citation, URL, rows, the table that reads it, and its rows
    by confidence level."""
    man = manifest.read_manifest() if man is None else man
    rows = []
    for r in man.itertuples(index=False):
        c = confidence_counts(r.path, raw)
        rows.append({"folder": r.path.split("/", 1)[0], "file": r.path,
                     "publisher": r.publisher, "holds": r.title, "citation": r.citation,
                     "source_url": r.source_url, "rows": sum(c.values()),
                     "used_by": used_by(r.path), **{f"rows_{k.replace(' ', '_')}": v
                                                    for k, v in c.items()}})
    return pd.DataFrame(rows)


def mix(row) -> str:
    """Compact confidence mix ``"high/medium/low"`` counts, or ``"not rated"``."""
    h, m, lo = (int(row[f"rows_{k}"]) for k in CONFIDENCE_LEVELS)
    return "not rated" if h + m + lo == 0 else f"{h:,}/{m:,}/{lo:,}"


def short_publisher(text: str) -> str:
    """Publisher up to its first parenthesis or semicolon."""
    s = str(text)
    for sep in (" (", ";"):
        s = s.split(sep, 1)[0]
    return s.strip()


def summarise_sources(inv: pd.DataFrame) -> pd.DataFrame:
    """The inventory for the report: files of one folder with the same citation
    (the 24 UN WPP extracts) collapse into one row ``un_wpp/ (24 files)``;
    publisher shortened; confidence as a ``high/medium/low`` mix."""
    counts = inv.groupby(["folder", "citation"])["file"].transform("size")
    one = inv[counts == 1].copy()
    many = inv[counts > 1]
    grouped = []
    for (folder, cit), g in many.groupby(["folder", "citation"], sort=False):
        row = g.iloc[0].copy()
        row["file"] = f"{folder}/ ({len(g)} files)"
        row["holds"] = f"{len(g)} extracts: " + "; ".join(
            sorted({Path(f).stem.split("_", 2)[-1] for f in g["file"]}))
        for col in [c for c in inv.columns if c.startswith("rows")]:
            row[col] = g[col].sum()
        grouped.append(row)
    out = pd.concat([one, pd.DataFrame(grouped)], ignore_index=True) if grouped else one
    out = out.sort_values("file", kind="stable").reset_index(drop=True)
    out["publisher"] = out["publisher"].map(short_publisher)
    out["confidence"] = out.apply(mix, axis=1)
    return out


def confidence_table(inv: pd.DataFrame) -> pd.DataFrame:
    """Rows by confidence level for every file that rates its rows, with the
    share rated high and a total row."""
    cols = [f"rows_{k}" for k in CONFIDENCE_LEVELS]
    t = inv[inv[cols].sum(axis=1) > 0][["file"] + cols + ["rows_not_rated"]].reset_index(drop=True)
    t.loc[len(t)] = ["Total"] + [int(t[c].sum()) for c in cols + ["rows_not_rated"]]
    rated = t[cols].sum(axis=1)
    t["high_pct"] = 100 * t["rows_high"] / rated
    for c in cols + ["rows_not_rated"]:
        t[c] = t[c].astype("int64")
    return t.reset_index(drop=True)


def long_tables(man: pd.DataFrame | None = None, raw: Path | None = None) -> dict:
    """Every raw CSV of the manifest that records choices or derivations (has a
    ``chosen`` or ``derived_from`` column), read as text: path -> frame."""
    man = manifest.read_manifest() if man is None else man
    out = {}
    for path in man["path"]:
        if not path.endswith(".csv"):
            continue
        df = read_raw(path, raw)
        if {"chosen", "derived_from"} & set(df.columns):
            out[path] = df
    return out


def _label(df: pd.DataFrame) -> pd.Series:
    if "indicator" in df.columns:
        return df["indicator"]
    return df["scheme_id"] + " " + df["component"] + ": " + df["metric"]


def _period(row: pd.Series) -> str:
    """``period``, or ``period_start..period_end`` in tables dated by their start and end."""
    if "period" in row.index:
        return row["period"]
    return "..".join(str(row.get(c) or "") for c in ("period_start", "period_end")).strip(".")


def conflicts(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every conflict in the raw long tables (several values for one
    quantity: same keys, :data:`CONFLICT_KEYS`): one row per conflict group
    with the chosen value and its source, the value(s) not chosen and theirs,
    and the reason (the ``note`` of the chosen row, else of the others).
    ``n_chosen`` counts rows marked ``chosen=true`` (the readers require 1)."""
    rows = []
    for file, df in tables.items():
        if "chosen" not in df.columns:
            continue
        keys = CONFLICT_KEYS.get(file, DEFAULT_KEYS)
        grp = df[keys].astype("string").fillna("").agg("|".join, axis=1)
        dup = grp.duplicated(keep=False)
        for g in grp[dup].unique():
            sub = df[grp == g]
            if not (sub["chosen"].str.strip() != "").any():
                continue  # rows sharing keys without any choice stated are not a conflict (e.g. one series)
            is_ch = sub["chosen"].str.strip().str.lower() == "true"
            ch, other = sub[is_ch], sub[~is_ch]
            first = (ch if len(ch) else sub).iloc[0]
            notes = [n for n in list(ch["note"]) + list(other["note"]) if str(n).strip()]
            num = pd.to_numeric(sub["value"].str.replace(",", "", regex=False), errors="coerce")
            rows.append({
                "file": file, "quantity": _label(sub).iloc[0],
                "geography": first["geography"], "period": _period(first),
                "unit": first["unit"], "n_values": len(sub), "n_chosen": int(is_ch.sum()),
                "chosen_value": float(num[is_ch].iloc[0]) if len(ch) else float("nan"),
                "chosen_source": "; ".join(ch["source_title"]),
                "other_values": "; ".join(f"{v:,.10g}" for v in num[~is_ch]),
                "other_source": "; ".join(other["source_title"]),
                "reason": notes[0] if notes else ""})
    return pd.DataFrame(rows)


def derived_values(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every value computed from other values (``derived_from`` set), with its
    inputs and confidence."""
    out = []
    for file, df in tables.items():
        if "derived_from" not in df.columns:
            continue
        d = df[df["derived_from"].str.strip() != ""]
        if d.empty:
            continue
        out.append(pd.DataFrame({
            "file": file, "quantity": _label(d).to_numpy(),
            "geography": d["geography"].to_numpy(), "period": [_period(r) for _, r in d.iterrows()],
            "value": pd.to_numeric(d["value"].str.replace(",", "", regex=False),
                                   errors="coerce").to_numpy(),
            "unit": d["unit"].to_numpy(), "derived_from": d["derived_from"].to_numpy(),
            "confidence": d["confidence"].to_numpy()}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()
