"""The ABND assessment matrix (chapter 07): one row per SPF guarantee.

Columns (ILO ABND guide 2013, module 6; shared/methods/README.md section 1):
SPF provision | existing schemes | policy gaps (quantified) | implementation issues |
recommendations (costed, with their cost in % of KP GDP for a stated year, and not costed).

Nothing numeric is typed here or in ``params/matrix.yaml``:

* existing schemes come from the inventory (processed ``schemes`` table: ``spf_guarantee_main``
  and ``sp_type``);
* policy gaps are the protection gaps of chapter 03 (``reports/tables/03_protection_gaps.csv``,
  written by :func:`spf_analysis.household.gaps.protection_gaps`: gap = 100 - coverage, percent, 95% CI;
  the health row is the use of the Sehat card against an inpatient-care benchmark,
  :func:`spf_analysis.household.gaps.utilisation_gap_rows`, without a CI);
* costs are those of chapter 04 (``reports/tables/04_cost_by_benefit_pct_gdp.csv``: cost of each
  provision at its low / medium / high level, % of KP GDP) and its medium parameters
  (``04_provisions_medium.csv``).

The qualitative cells (implementation issues, non-costable recommendations) live in
``params/matrix.yaml``, each with a ``source`` or a ``rationale``; :func:`load_spec` refuses an
entry without one. Any inconsistency between the spec and the tables (a gap group or a provision
that chapter 03 / 04 did not produce) is a :class:`MatrixError` naming the file and the key.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from spf_analysis.config import paths
from spf_analysis.config.errors import FileKeyError, read_yaml

__all__ = ["MatrixError", "GUARANTEES", "MATRIX_FILE", "load_spec", "existing_schemes",
           "gap_numbers", "recommended_costs", "assessment_matrix", "read_chapter_tables"]

MATRIX_FILE = paths.PARAMS / "matrix.yaml"
#: matrix row key -> the label of the guarantee in chapter 03's gap table
GUARANTEES = {"health": "health", "children": "children", "working_age": "working age", "elderly": "elderly"}
#: schemes.sp_type -> column heading of the "existing schemes" cell (ABND scheme types)
SP_TYPES = {"social_insurance": "Social insurance", "social_assistance": "Social assistance",
            "labour_market": "Labour market"}
COLUMNS = ["guarantee", "provision", "existing_schemes", "policy_gaps", "implementation_issues",
           "recommendations"]
LEVELS = ("low", "medium", "high")


class MatrixError(FileKeyError):
    """Inconsistent matrix spec or input table; the message names the file and the key."""


def _rel(file: Path) -> str:
    file = Path(file)
    return str(file.relative_to(paths.ROOT)) if file.is_relative_to(paths.ROOT) else str(file)


def _provenance(entry, key: str, file) -> None:
    if not isinstance(entry, dict) or not str(entry.get("text") or "").strip():
        raise MatrixError("expected a mapping with a non-empty 'text'", file=file, key=key)
    unknown = set(entry) - {"text", "source", "rationale"}
    if unknown:
        raise MatrixError(f"unknown key(s) {sorted(unknown)}; allowed text, source, rationale", file=file, key=key)
    if not any(str(entry.get(k) or "").strip() for k in ("source", "rationale")):
        raise MatrixError("every entry needs a non-empty 'source' or 'rationale'", file=file, key=key)


def load_spec(file: str | Path = MATRIX_FILE) -> dict:
    """Read and check ``params/matrix.yaml``: the four guarantees, each entry sourced."""
    file = Path(file)
    rel = _rel(file)
    spec = read_yaml(file, MatrixError, name=rel)
    if not isinstance(spec, dict) or not isinstance(spec.get("guarantees"), dict):
        raise MatrixError("expected a mapping with 'guarantees'", file=rel)
    g = spec["guarantees"]
    if list(g) != list(GUARANTEES):
        raise MatrixError(f"guarantees must be {list(GUARANTEES)} in this order, got {list(g)}", file=rel,
                          key="guarantees")
    labels = spec.get("labels") or {}
    for name, row in g.items():
        key = f"guarantees.{name}"
        need = {"title", "provision", "schemes", "gap_groups", "implementation_issues", "costed", "recommendations"}
        missing = sorted(need - set(row or {}))
        if missing:
            raise MatrixError(f"missing key(s) {missing}", file=rel, key=key)
        _provenance(row["provision"], f"{key}.provision", rel)
        for part in ("implementation_issues", "recommendations"):
            if not isinstance(row[part], list) or (part == "implementation_issues" and not row[part]):
                raise MatrixError("expected a non-empty list of {text, source|rationale}", file=rel, key=f"{key}.{part}")
            for i, entry in enumerate(row[part]):
                _provenance(entry, f"{key}.{part}[{i}]", rel)
        if not row["gap_groups"]:
            raise MatrixError("name at least one group of the chapter 03 gap table", file=rel, key=f"{key}.gap_groups")
        for b in row["costed"] or []:
            if b not in labels:
                raise MatrixError(f"costed provision {b!r} has no entry in 'labels'", file=rel, key=f"{key}.costed")
        if not row["costed"] and not row["recommendations"]:
            raise MatrixError("no recommendation at all", file=rel, key=key)
    spec["_file"] = rel
    return spec


def read_chapter_tables(tables_dir: Path | None = None) -> dict[str, pd.DataFrame]:
    """The published chapter 03 and 04 tables the matrix reads (declared Make inputs of notebook 07)."""
    d = Path(tables_dir) if tables_dir else paths.REPORTS / "tables"
    out = {}
    for key, name in (("gaps", "03_protection_gaps"), ("costs", "04_cost_by_benefit_pct_gdp"),
                      ("provisions", "04_provisions_medium"), ("packages", "04_package_costs"),
                      ("index_03", "03_index"), ("index_04", "04_index")):
        f = d / f"{name}.csv"
        if not f.exists():
            raise MatrixError("missing: build chapters 03 and 04 first (make report)", file=_rel(f))
        out[key] = pd.read_csv(f)
    return out


def _short_name(name: str) -> str:
    """Scheme name without its parenthesised detail: 'BISP Nashonuma (nutrition ...)' -> 'BISP Nashonuma'."""
    return re.split(r"\s+\(", str(name), maxsplit=1)[0].strip()


def existing_schemes(schemes: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Schemes of the inventory answering each guarantee: guarantee, sp_type, scheme_id, name, level."""
    rows = []
    for g, row in spec["guarantees"].items():
        sel = schemes[schemes["spf_guarantee_main"].astype(str) == row["schemes"]]
        for r in sel.itertuples():
            rows.append({"guarantee": g, "sp_type": str(r.sp_type), "scheme_id": str(r.scheme_id),
                         "name": _short_name(r.scheme_name), "level": str(r.level).split(" ")[0]})
    out = pd.DataFrame(rows, columns=["guarantee", "sp_type", "scheme_id", "name", "level"])
    empty = [g for g in spec["guarantees"] if g not in set(out["guarantee"])]
    if empty:
        raise MatrixError(f"no scheme of the inventory is classified under {empty}", file="schemes (processed table)")
    return out


def gap_numbers(gaps: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """The protection gaps of chapter 03 named in the spec: guarantee, group, covered_by, estimate, ci_low, ci_high."""
    g = gaps[gaps["indicator"] == "protection_gap"]
    rows = []
    for key, row in spec["guarantees"].items():
        for group in row["gap_groups"]:
            hit = g[(g["group"] == group) & (g["guarantee"] == GUARANTEES[key])]
            if len(hit) != 1:
                raise MatrixError(f"group {group!r} (guarantee {GUARANTEES[key]!r}) is not in the chapter 03 gap table "
                                  f"({len(hit)} rows)", file=spec.get("_file"), key=f"guarantees.{key}.gap_groups")
            h = hit.iloc[0]
            rows.append({"guarantee": key, "group": group, "covered_by": h["covered_by"],
                         "estimate": float(h["estimate"]), "ci_low": float(h["ci_low"]), "ci_high": float(h["ci_high"])})
    return pd.DataFrame(rows)


def recommended_costs(costs: pd.DataFrame, spec: dict, year: int) -> pd.DataFrame:
    """Cost of each costed recommendation in ``year`` (% of KP GDP) at the low, medium and high level."""
    c = costs.set_index("benefit")
    cols = {lvl: f"{year} {lvl}" for lvl in LEVELS}
    missing_cols = [v for v in cols.values() if v not in c.columns]
    if missing_cols:
        have = sorted({x.split(" ")[0] for x in c.columns})
        raise MatrixError(f"year {year} not in the chapter 04 cost table (years {have})",
                          file="reports/tables/04_cost_by_benefit_pct_gdp.csv", key=missing_cols[0])
    rows = []
    for key, row in spec["guarantees"].items():
        for b in row["costed"] or []:
            if b not in c.index:
                raise MatrixError(f"provision {b!r} is not costed in chapter 04 ({sorted(c.index)})",
                                  file=spec.get("_file"), key=f"guarantees.{key}.costed")
            rows.append({"guarantee": key, "benefit": b, "label": spec["labels"][b], "year": int(year),
                         **{f"cost_pct_gdp_{lvl}": float(c.loc[b, col]) for lvl, col in cols.items()}})
    return pd.DataFrame(rows)


def _fmt_gap(r) -> str:
    """A gap with its survey CI; a gap from administrative data against a benchmark (no sampling
    error: chapter 03's Sehat card use) says so instead of printing an empty CI."""
    ci = (f"95% CI {r.ci_low:.1f}-{r.ci_high:.1f}" if pd.notna(r.ci_low) and pd.notna(r.ci_high)
          else "administrative data against a benchmark, no sampling error")
    return f"{r.estimate:.1f}% of {r.group} not covered ({ci}); covered = {r.covered_by}"


def _eligible(text: str) -> str:
    """Chapter 04's eligibility text for a reader: 'ages 0-75+' -> 'all ages', 'ages 65-75+' -> 'ages 65+'."""
    text = str(text)
    if text.startswith("births"):
        return "mothers of newborns"
    m = re.fullmatch(r"ages (\d+)-(\d+)\+", text)
    if m:
        return "all ages" if m.group(1) == "0" else f"ages {m.group(1)}+"
    return text


def _fmt_cost(r, provisions: pd.DataFrame | None) -> str:
    detail = ""
    if provisions is not None and r.benefit in set(provisions["benefit"]):
        p = provisions.set_index("benefit").loc[r.benefit]
        detail = f" ({_eligible(p['eligible'])}, {p['level']})"
    return (f"{r.label}{detail}: {r.cost_pct_gdp_medium:.2f}% of KP GDP in {r.year} at the medium level "
            f"(low {r.cost_pct_gdp_low:.2f}%, high {r.cost_pct_gdp_high:.2f}%)")


def assessment_matrix(schemes: pd.DataFrame, gaps: pd.DataFrame, costs: pd.DataFrame, spec: dict,
                      year: int, provisions: pd.DataFrame | None = None, bullet: str = "- ") -> pd.DataFrame:
    """The matrix: one row per guarantee, one text cell per ABND column (lines separated by newlines).

    ``gaps`` is chapter 03's protection-gap table, ``costs`` chapter 04's cost of each provision
    (% of KP GDP, columns ``"<year> <level>"``), ``provisions`` (optional) chapter 04's medium
    parameters, used to describe each costed provision.
    """
    sch = existing_schemes(schemes, spec)
    gp = gap_numbers(gaps, spec)
    rc = recommended_costs(costs, spec, year)
    rows = []
    for key, row in spec["guarantees"].items():
        s = sch[sch["guarantee"] == key]
        parts = []
        for t, label in SP_TYPES.items():
            names = [f"{n} ({i})" for n, i in zip(s.loc[s["sp_type"] == t, "name"], s.loc[s["sp_type"] == t, "scheme_id"])]
            if names:
                parts.append(f"{label}: " + "; ".join(names))
        other = s[~s["sp_type"].isin(SP_TYPES)]
        if len(other):
            parts.append("Other: " + "; ".join(f"{n} ({i})" for n, i in zip(other["name"], other["scheme_id"])))
        recs = [f"Costed: {_fmt_cost(r, provisions)}" for r in rc[rc["guarantee"] == key].itertuples()]
        recs += [f"Not costed: {e['text']}" for e in row["recommendations"]]
        rows.append({
            "guarantee": row["title"],
            "provision": row["provision"]["text"],
            "existing_schemes": "\n".join(bullet + p for p in parts),
            "policy_gaps": "\n".join(bullet + _fmt_gap(r) for r in gp[gp["guarantee"] == key].itertuples()),
            "implementation_issues": "\n".join(bullet + e["text"] for e in row["implementation_issues"]),
            "recommendations": "\n".join(bullet + r for r in recs),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def sources_table(spec: dict) -> pd.DataFrame:
    """Every qualitative entry of the matrix with its source or rationale (for the chapter and the annex)."""
    rows = []
    for key, row in spec["guarantees"].items():
        for part in ("implementation_issues", "recommendations"):
            for i, e in enumerate(row[part]):
                rows.append({"guarantee": row["title"], "column": part.replace("_", " "), "item": i + 1,
                             "text": e["text"], "source_or_rationale":
                             (f"Source: {e['source']}" if e.get("source") else f"Rationale: {e['rationale']}")})
    return pd.DataFrame(rows)


__all__ += ["sources_table", "output_label", "is_synthetic"]


def output_label(index: pd.DataFrame, name: str, kind: str = "table") -> str:
    """The label ('Table 3.2') a chapter gave one of its outputs, from its ``NN_index.csv``."""
    hit = index[(index["name"] == name) & (index["kind"] == kind)]
    if len(hit) != 1:
        raise MatrixError(f"{kind} {name!r} not in the chapter index ({len(hit)} rows)")
    return str(hit["label"].iloc[0])


def is_synthetic(index: pd.DataFrame, name: str) -> bool:
    """Whether a chapter's output was estimated on the synthetic survey (its index says so)."""
    hit = index[(index["name"] == name) & (index["kind"] == "table")]
    return bool(len(hit)) and str(hit["synthetic"].iloc[0]) == "True"
