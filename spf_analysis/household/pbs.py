"""Reader for the real PBS HIES/PSLM microdata (Stata ``.dta``), driven by a per-round codebook.

``params/codebooks/<round>.yaml`` names the files (``plist``, ``sec_*``), the identifiers
(``hhcode``, ``idc``, ``psu``, household ``weights``, ``province``, ``region``), the codes
(``province`` 1 = KP; ``region`` 1 = rural, 2 = urban), the transfer item codes and recall periods.
Names that could not be confirmed from public documentation are ``null`` in the codebook: the
reader then stops with :class:`CodebookGap` naming the key, never guessing. Overrides (e.g. a
user's own confirmed names) are merged over the codebook with :func:`load_codebook`. Every
non-null entry of a codebook file cites its source (``sources`` / ``references``, checked by
:func:`check_codebook`; the reader itself ignores both).

Output: the same processed schema as :mod:`spf_analysis.household.synth` (``survey_households``,
``survey_persons``). PBS releases no strata: they are derived from ``hhcode``
(``hhcode // strata.hhcode_divisor``). Transfers are annualised as ``amount x 12 /
recall_months``; pre-transfer consumption is ``cons_pae - transfers / 12 / adult_eq``.
Household-level pension receipts are attributed to the household's oldest member aged 60+
(stated approximation; the HIES asks transfers at household level). Variables the round does
not have (PMT score, Sehat card, Washington Group domains unless mapped) are missing (NA).
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from spf_analysis.config import paths
from spf_analysis.config.errors import FileKeyError, read_yaml
from spf_analysis.household.synth import PROGRAMMES, WG_DOMAINS, check_schema, write_survey

__all__ = ["CodebookGap", "check_codebook", "load_codebook", "read_round", "ROUNDS"]

CODEBOOKS = paths.PARAMS / "codebooks"
ROUNDS = ("pbs-hies-2015-16", "pbs-hies-2018-19")


class CodebookGap(FileKeyError):
    """A codebook entry the reader needs is null (not confirmed) or a file/variable is missing."""


def _merge(a: dict, b: dict) -> dict:
    out = copy.deepcopy(a)
    for k, v in (b or {}).items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


# top-level keys of a codebook: the mapped sections, and the provenance the reader does not read
SECTIONS = ("files", "ids", "codes", "strata", "district", "roster", "consumption", "labour", "transfers",
            "disability")
PROVENANCE = ("references", "sources")


def _leaves(d: dict, prefix: str = ""):
    """(dotted path, value) of every leaf of nested mapping ``d``."""
    for k, v in d.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            yield from _leaves(v, path + ".")
        else:
            yield path, v


def _source_for(path: str, sources: dict) -> str | None:
    """The source recorded for ``path`` or for an ancestor below the section (``codes.region``
    covers ``codes.region.1``); a whole section is never a source."""
    parts = path.split(".")
    for n in range(len(parts), min(2, len(parts)) - 1, -1):
        key = ".".join(parts[:n])
        if key in sources:
            return key
    return None


def check_codebook(cb: dict, file: Path) -> None:
    """Provenance check of a codebook file (before overrides): every non-null entry of the mapped
    sections has a source in ``sources`` (key = its dotted path or that of an ancestor below the
    section); each source starts with a reference id of ``references`` or with ``assumption``; no
    source names a null or unknown entry. Raises :class:`CodebookGap` naming the first problem."""
    unknown = [k for k in cb if k not in ("round", *SECTIONS, *PROVENANCE)]
    if unknown:
        raise CodebookGap(f"unknown top-level key(s) {unknown} (known: round, {', '.join(SECTIONS + PROVENANCE)})",
                          file=file)
    refs, sources = cb.get("references") or {}, cb.get("sources") or {}
    if not isinstance(refs, dict) or not isinstance(sources, dict):
        raise CodebookGap("'references' and 'sources' must be mappings", file=file)
    mapped = {k: cb[k] for k in SECTIONS if k in cb}
    leaves = dict(_leaves(mapped))
    for path, v in leaves.items():
        if v is not None and _source_for(path, sources) is None:
            raise CodebookGap(f"'{path}' = {v!r} has no source (add sources.{path}: \"<reference id>: <locator>\", "
                              "or set it to null if it cannot be confirmed)", file=file)
    for key, text in sources.items():
        covered = [p for p, v in leaves.items() if v is not None and (p == key or p.startswith(key + "."))]
        if not covered:
            raise CodebookGap(f"sources.{key} names no confirmed (non-null) entry", file=file)
        ref = str(text).split(":", 1)[0].strip() if ":" in str(text) else ""
        if ref != "assumption" and ref not in refs:
            raise CodebookGap(f"sources.{key} must start with a reference id ({', '.join(refs) or 'none defined'}) "
                              f"or 'assumption', then ':'; got {str(text)[:40]!r}", file=file)


def load_codebook(round_: str, overrides: dict | None = None, file: Path | None = None) -> dict:
    """The codebook of ``round_`` (provenance checked, :func:`check_codebook`) with ``overrides``
    merged in (nested dicts merge key by key; overrides are the user's own confirmed names)."""
    file = Path(file or CODEBOOKS / f"{round_}.yaml")
    if not file.exists():
        raise CodebookGap(f"no codebook {file.name} for survey {round_!r} (known: {', '.join(ROUNDS)})")
    cb = read_yaml(file, CodebookGap, name=paths.rel(file))
    if not isinstance(cb, dict):
        raise CodebookGap("expected a mapping (the codebook)", file=file)
    check_codebook(cb, file)
    cb = _merge(cb, overrides or {})
    cb["_file"] = str(file)
    return cb


def _need(cb: dict, *keys):
    v = cb
    for k in keys:
        v = v.get(k) if isinstance(v, dict) else None
    if v is None:
        raise CodebookGap(f"{Path(cb['_file']).name}: '{'.'.join(keys)}' is not confirmed (null in the codebook); "
                          "fill it in from the PBS questionnaire/codebook before running on real files")
    return v


def _read(folder: Path, cb: dict, which: str, cols: list[str]) -> pd.DataFrame:
    name = _need(cb, "files", which)
    f = folder / name
    if not f.exists():
        raise CodebookGap(f"{f}: file not found (codebook files.{which})")
    try:
        df = pd.read_stata(f, convert_categoricals=False)
    except Exception as e:  # pandas raises ValueError, struct.error, UnicodeDecodeError ... on a bad file
        raise CodebookGap(f"not a readable Stata (.dta) file ({type(e).__name__}: {e})",
                          file=f) from None
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise CodebookGap(f"{f.name}: variable(s) {missing} named in {Path(cb['_file']).name} not found; "
                          f"the file has {list(df.columns)[:20]}")
    return df


def read_round(folder: Path | str, round_: str, overrides: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read one HIES round for KP from ``folder`` into ``(households, persons)`` (processed schema)."""
    folder = Path(folder)
    cb = load_codebook(round_, overrides)
    ids = {k: _need(cb, "ids", k) for k in ("hhcode", "idc", "psu", "weights", "province", "region")}
    ro = {k: _need(cb, "roster", k) for k in ("age", "sex")}
    cons = {k: _need(cb, "consumption", k) for k in ("cons_pae", "adult_eq")}

    roster = _read(folder, cb, "roster", [ids["hhcode"], ids["idc"], ro["age"], ro["sex"]])
    cfile = _read(folder, cb, "consumption", [ids["hhcode"], cons["cons_pae"], cons["adult_eq"]])
    hv = {}
    for k in ("psu", "weights", "province", "region"):
        src = roster if ids[k] in roster.columns else cfile if ids[k] in cfile.columns else None
        if src is None:
            raise CodebookGap(f"variable {ids[k]!r} (ids.{k}) is in neither the roster nor the consumption file")
        hv[k] = src.groupby(ids["hhcode"])[ids[k]].first()
    hh = pd.DataFrame(hv)
    hh.index.name = "hhcode"
    hh = hh.join(cfile.set_index(ids["hhcode"])[[cons["cons_pae"], cons["adult_eq"]]], how="inner")
    kp = int(_need(cb, "codes", "province_kp"))
    hh = hh[hh["province"] == kp].copy()
    if hh.empty:
        raise CodebookGap(f"no household with {ids['province']} == {kp} (KP) in {folder}")
    region_codes = {int(k): v for k, v in _need(cb, "codes", "region").items()}
    bad = ~hh["region"].isin(list(region_codes))
    if bad.any():
        raise CodebookGap(f"{ids['region']}: unknown code {hh['region'][bad].iloc[0]!r} (codes.region)")
    hh["region"] = hh["region"].map({k: (1 if v == "rural" else 2) for k, v in region_codes.items()})
    hh = hh.reset_index()
    hh["stratum"] = hh["hhcode"].astype("int64") // int(_need(cb, "strata", "hhcode_divisor"))
    ddiv = (cb.get("district") or {}).get("hhcode_divisor")
    names = (cb.get("district") or {}).get("names") or {}
    hh["district"] = (hh["hhcode"] // int(ddiv)).map(lambda c: names.get(int(c), f"code {int(c)}")) if ddiv else "unknown (codebook gap)"
    hh = hh.rename(columns={cons["cons_pae"]: "cons_pae", cons["adult_eq"]: "adult_eq"})

    # persons
    per = roster[roster[ids["hhcode"]].isin(hh["hhcode"])].rename(columns={ids["hhcode"]: "hhcode", ids["idc"]: "idc"})
    sex_codes = {int(k): v for k, v in _need(cb, "roster", "sex_codes").items()}
    per["sex"] = per[ro["sex"]].map(sex_codes)
    if per["sex"].isna().any():
        raise CodebookGap(f"{ro['sex']}: code {per.loc[per['sex'].isna(), ro['sex']].iloc[0]!r} not in roster.sex_codes")
    per["age"] = per[ro["age"]].astype("int64")
    for k in ("relation", "marital"):
        v = cb["roster"].get(k)
        codes = cb["roster"].get(f"{k}_codes") or {}
        per[k] = per[v].map(lambda c: codes.get(int(c), str(int(c)))) if v and v in per.columns else pd.NA
    hh_cols = ["hhcode", "psu", "stratum", "weights", "province", "region", "district"]
    per = per.drop(columns=[c for c in hh_cols if c != "hhcode" and c in per.columns]).merge(hh[hh_cols], on="hhcode", how="left")
    for d in WG_DOMAINS:
        per[f"wg_{d}"] = pd.NA
    per["disability"] = pd.NA
    per["functional_limitation"] = pd.NA
    for c in ("literate", "attending_school", "formal"):
        per[c] = pd.NA
    for c in ("education", "labour_status", "employment_type", "sector"):
        per[c] = pd.NA
    per["earnings_month"] = np.nan

    # transfers
    tr = cb.get("transfers") or {}
    items = {p: _need(cb, "transfers", "items", p) for p in PROGRAMMES}
    item_var, amt_var = _need(cb, "transfers", "item"), _need(cb, "transfers", "amount")
    recall = float(_need(cb, "transfers", "recall_months"))
    tf = _read(folder, cb, "transfers", [ids["hhcode"], item_var, amt_var])
    tf = tf[tf[ids["hhcode"]].isin(hh["hhcode"])]
    annual = pd.DataFrame(index=hh["hhcode"])
    for prog, codes in items.items():
        codes = codes if isinstance(codes, list) else [codes]
        m = tf[item_var].isin(codes)
        annual[prog] = tf[m].groupby(ids["hhcode"])[amt_var].sum().reindex(annual.index).fillna(0.0) * 12.0 / recall
    del tr
    for prog, (rc, ac, level) in PROGRAMMES.items():
        hh[ac] = annual[prog].to_numpy()
        hh[rc] = (hh[ac] > 0).astype(int)
    # person-level programmes: attribute the household amount to the oldest member aged 60+ (pensions)
    # or to the oldest employed-age member 15-64 (ESSI)
    for prog, (rc, ac, level) in PROGRAMMES.items():
        if level != "person":
            continue
        lo, hi = (60, 200) if prog.startswith("pension") else (15, 64)
        elig = per[(per["age"] >= lo) & (per["age"] <= hi)].sort_values(["hhcode", "age", "idc"], ascending=[True, False, True])
        first = elig.drop_duplicates("hhcode").set_index("hhcode")["idc"]
        amt = hh.set_index("hhcode")[ac]
        who = per["hhcode"].map(first)
        per[ac] = np.where(per["idc"] == who, per["hhcode"].map(amt).fillna(0.0), 0.0)
        per[rc] = (per[ac] > 0).astype(int)
        hh[ac] = per.groupby("hhcode")[ac].sum().reindex(hh["hhcode"]).fillna(0.0).to_numpy()
        hh[rc] = (hh[ac] > 0).astype(int)
    hh["transfers_total"] = sum(hh[a] for _, a, _ in PROGRAMMES.values())
    hh["hhsize"] = per.groupby("hhcode").size().reindex(hh["hhcode"]).fillna(0).astype("int64").to_numpy()
    hh["cons_pae_pre"] = hh["cons_pae"] - hh["transfers_total"] / 12.0 / hh["adult_eq"]
    hh["pmt_score"] = pd.NA
    hh["sehat_card"] = pd.NA
    hh = hh[hh["hhsize"] > 0]
    return check_schema(hh, "households"), check_schema(per, "persons")


def main(argv=None) -> int:
    """``python -m spf_analysis.household.pbs ROUND DIR``: read the real files and write the survey tables."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or not argv[1]:
        print("usage: python -m spf_analysis.household.pbs ROUND SURVEY_DIR   (e.g. pbs-hies-2018-19 /data/hies)", file=sys.stderr)
        return 2
    from spf_analysis.config.steps import run_step

    def body():
        h, p = read_round(argv[1], argv[0])
        for f in write_survey(h, p, argv[0]):
            print(f"wrote {paths.rel(f)}")

    return run_step(f"survey ({argv[0]})", body, errors=(CodebookGap, ValueError),
                    unchanged="data/processed/survey_*.parquet")


if __name__ == "__main__":
    sys.exit(main())
