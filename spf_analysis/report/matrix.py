"""The ABND assessment matrix (chapter 07): one row per SPF guarantee.

Columns (ILO ABND guide 2013, module 6; docs/methods.md#the-assessment-and-its-matrix):
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

Every recommendation (uncosted entry, or costed provision in ``costed_plan``) has a ``priority``,
a responsible ``agency`` (institutions of ``agencies``, checked against the inventory's
administering agencies by :func:`check_agencies`) and a ``timeline``, each with a rationale. The
phases are the dates of the phased roadmap scenario (``roadmap``, :func:`roadmap_phases`); the
priority of a recommendation is the phase in which it starts; a costed provision follows its path
in the roadmap and its cost is read from the model run (:func:`recommendation_plan`).
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
#: the matrix's columns for each recommendation when a plan (:func:`recommendation_plan`) is given
PLAN_COLUMNS = ["priority", "agency", "timeline"]
LEVELS = ("low", "medium", "high")
#: what every recommendation (uncosted entry or costed provision) states besides its text
PLAN_KEYS = ("priority", "agency", "timeline")


class MatrixError(FileKeyError):
    """Inconsistent matrix spec or input table; the message names the file and the key."""


def _rel(file: Path) -> str:
    file = Path(file)
    return str(file.relative_to(paths.ROOT)) if file.is_relative_to(paths.ROOT) else str(file)


def _provenance(entry, key: str, file, plan: bool = False) -> None:
    if not isinstance(entry, dict) or not str(entry.get("text") or "").strip():
        raise MatrixError("expected a mapping with a non-empty 'text'", file=file, key=key)
    allowed = {"text", "source", "rationale"} | (set(PLAN_KEYS) if plan else set())
    unknown = set(entry) - allowed
    if unknown:
        raise MatrixError(f"unknown key(s) {sorted(unknown)}; allowed {', '.join(sorted(allowed))}", file=file, key=key)
    if not any(str(entry.get(k) or "").strip() for k in ("source", "rationale")):
        raise MatrixError("every entry needs a non-empty 'source' or 'rationale'", file=file, key=key)


def _has_rationale(node, key: str, file) -> None:
    if not isinstance(node, dict) or not str(node.get("rationale") or "").strip():
        raise MatrixError("expected a mapping with a non-empty 'rationale'", file=file, key=key)


def _plan(entry, key: str, file, spec: dict, costed: bool) -> None:
    """Check a recommendation's priority, agency and timeline (each a mapping with a rationale).

    priority: ``{value: <a key of priorities>}``; agency: ``{value: [<keys of agencies>]}``;
    timeline: ``{phases: [<phase numbers>]}`` (the phases of the roadmap, numbered like the
    priorities) or, for a costed provision, ``{roadmap: true}`` (its path in the roadmap scenario).
    The rule of the priorities: an uncosted recommendation's first phase is its priority.
    """
    if not isinstance(entry, dict):
        raise MatrixError("expected a mapping", file=file, key=key)
    missing = [k for k in PLAN_KEYS if k not in entry]
    if missing:
        raise MatrixError(f"missing {missing}: every recommendation needs a priority, an agency and a timeline, "
                          "each with a rationale", file=file, key=key)
    for k in PLAN_KEYS:
        _has_rationale(entry[k], f"{key}.{k}", file)
    pri = entry["priority"].get("value")
    if pri not in spec["priorities"]:
        raise MatrixError(f"priority {pri!r} is not one of {sorted(spec['priorities'])} (priorities)",
                          file=file, key=f"{key}.priority")
    ag = entry["agency"].get("value")
    ag = [ag] if isinstance(ag, str) else ag
    if not ag or not isinstance(ag, list) or any(a not in spec["agencies"] for a in ag):
        raise MatrixError(f"agency {entry['agency'].get('value')!r}: expected one or more of {sorted(spec['agencies'])} "
                          "(agencies)", file=file, key=f"{key}.agency")
    tl = entry["timeline"]
    if costed:
        if tl.get("roadmap") is not True or "phases" in tl:
            raise MatrixError("a costed provision follows the roadmap scenario: timeline {roadmap: true, rationale}",
                              file=file, key=f"{key}.timeline")
        return
    ph = tl.get("phases")
    if "roadmap" in tl or not isinstance(ph, list) or not ph or any(p not in spec["priorities"] for p in ph) \
            or ph != sorted(set(ph)):
        raise MatrixError(f"phases {ph!r}: expected an increasing list of phases {sorted(spec['priorities'])}",
                          file=file, key=f"{key}.timeline")
    if ph[0] != pri:
        raise MatrixError(f"priority {pri} but the timeline starts in phase {ph[0]} (rule: the priority is the phase "
                          "in which the recommendation starts)", file=file, key=f"{key}.priority")


def _check_plan_blocks(spec: dict, file) -> None:
    if not isinstance(spec.get("roadmap"), str) or not spec["roadmap"].strip():
        raise MatrixError("name the phased roadmap scenario (params/scenarios/<name>.yaml)", file=file, key="roadmap")
    pr = spec.get("priorities")
    if not isinstance(pr, dict) or sorted(pr) != list(range(1, len(pr) + 1)) or not pr:
        raise MatrixError("expected priorities numbered 1, 2, ... each with a label and a rule", file=file, key="priorities")
    for k, v in pr.items():
        if not isinstance(v, dict) or not str(v.get("label") or "").strip() or not str(v.get("rule") or "").strip():
            raise MatrixError("expected {label, rule}", file=file, key=f"priorities.{k}")
    ag = spec.get("agencies")
    if not isinstance(ag, dict) or not ag:
        raise MatrixError("expected a mapping of responsible institutions", file=file, key="agencies")
    for k, v in ag.items():
        if not isinstance(v, dict) or not str(v.get("name") or "").strip() or not isinstance(v.get("schemes"), list):
            raise MatrixError("expected {name, schemes: [...]}", file=file, key=f"agencies.{k}")
        if v["schemes"] and not str(v.get("match") or "").strip():
            raise MatrixError("name the text ('match') that the schemes' administering_agency contains",
                              file=file, key=f"agencies.{k}.match")
        if not v["schemes"] and not str(v.get("rationale") or "").strip():
            raise MatrixError("an institution that administers no scheme of the inventory needs a 'rationale'",
                              file=file, key=f"agencies.{k}")


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
    _check_plan_blocks(spec, rel)
    plans = spec.get("costed_plan")
    if not isinstance(plans, dict):
        raise MatrixError("expected a mapping: costed provision -> {priority, agency, timeline}", file=rel, key="costed_plan")
    for b, entry in plans.items():
        if b not in labels:
            raise MatrixError(f"{b!r} has no entry in 'labels'", file=rel, key=f"costed_plan.{b}")
        _plan(entry, f"costed_plan.{b}", rel, spec, costed=True)
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
                _provenance(entry, f"{key}.{part}[{i}]", rel, plan=part == "recommendations")
                if part == "recommendations":
                    _plan(entry, f"{key}.{part}[{i}]", rel, spec, costed=False)
        if not row["gap_groups"]:
            raise MatrixError("name at least one group of the chapter 03 gap table", file=rel, key=f"{key}.gap_groups")
        for b in row["costed"] or []:
            if b not in labels:
                raise MatrixError(f"costed provision {b!r} has no entry in 'labels'", file=rel, key=f"{key}.costed")
            if b not in plans:
                raise MatrixError(f"costed provision {b!r} has no priority, agency and timeline in 'costed_plan'",
                                  file=rel, key=f"{key}.costed")
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
    if not (pd.notna(r.ci_low) and pd.notna(r.ci_high)):  # a share of benchmark admissions, not of persons
        return (f"{r.estimate:.1f}% of the benchmark inpatient admissions not paid by the card (administrative data "
                f"against a benchmark, no sampling error); covered = {r.covered_by}")
    return f"{r.estimate:.1f}% of {r.group} not covered (95% CI {r.ci_low:.1f}-{r.ci_high:.1f}); covered = {r.covered_by}"


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
                      year: int, provisions: pd.DataFrame | None = None, bullet: str = "- ",
                      plan: pd.DataFrame | None = None) -> pd.DataFrame:
    """The matrix: one row per guarantee, one text cell per ABND column (lines separated by newlines).

    ``gaps`` is chapter 03's protection-gap table, ``costs`` chapter 04's cost of each provision
    (% of KP GDP, columns ``"<year> <level>"``), ``provisions`` (optional) chapter 04's medium
    parameters, used to describe each costed provision. With ``plan`` (:func:`recommendation_plan`)
    each recommendation carries its id and the matrix has the columns priority, agency and
    timeline, one line per recommendation in the same order.
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
        extra = {}
        if plan is not None:
            pl = plan[plan["guarantee"] == row["title"]]
            if len(pl) != len(recs):
                raise MatrixError(f"the plan has {len(pl)} recommendations for {key}, the matrix {len(recs)}",
                                  file=spec.get("_file"), key=f"guarantees.{key}")
            recs = [f"{i}. {r}" for i, r in zip(pl["id"], recs)]
            extra = {"priority": "\n".join(f"{i}: {v}" for i, v in zip(pl["id"], pl["priority_label"])),
                     "agency": "\n".join(f"{i}: {v}" for i, v in zip(pl["id"], pl["agency"])),
                     "timeline": "\n".join(f"{i}: {v}" for i, v in zip(pl["id"], pl["timeline"]))}
        rows.append({
            "guarantee": row["title"],
            "provision": row["provision"]["text"],
            "existing_schemes": "\n".join(bullet + p for p in parts),
            "policy_gaps": "\n".join(bullet + _fmt_gap(r) for r in gp[gp["guarantee"] == key].itertuples()),
            "implementation_issues": "\n".join(bullet + e["text"] for e in row["implementation_issues"]),
            "recommendations": "\n".join(bullet + r for r in recs),
            **extra,
        })
    return pd.DataFrame(rows, columns=COLUMNS + (PLAN_COLUMNS if plan is not None else []))


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


# --------------------------------------------------------------------------- priority, agency, timeline
__all__ += ["fiscal_year", "roadmap_phases", "check_agencies", "recommendation_plan"]

#: the dated parameters of the roadmap scenario whose dates make the phases
PHASED_FIELDS = ("prevalence", "age_min")


def fiscal_year(year: int) -> str:
    """Fiscal year named by its end: 2026 -> 'FY 2025-26'."""
    return f"FY {int(year) - 1}-{int(year) % 100:02d}"


def _dated(scenario, benefit: str) -> dict[str, dict[int, float]]:
    b = scenario.benefit(benefit)
    return {f: dict(getattr(b, f)) for f in PHASED_FIELDS if isinstance(getattr(b, f), dict)}


def roadmap_phases(scenario, spec: dict) -> pd.DataFrame:
    """The phases of the roadmap: one per date at which one of its dated parameters changes.

    ``scenario`` is the loaded roadmap (:func:`spf_analysis.model.costing.load_named_scenario`).
    Columns ``phase, start, end`` (fiscal years named by their end; ``end`` of the last phase is
    the end of the horizon) and ``years`` ('FY 2025-26 to FY 2026-27'). The number of phases must
    equal the number of priorities of the spec (priority k = starts in phase k).
    """
    dates = sorted({int(y) for b in scenario.benefits for v in _dated(scenario, b.name).values() for y in v})
    if len(dates) != len(spec["priorities"]):
        raise MatrixError(f"the roadmap {scenario.name!r} changes its parameters at {dates}: {len(dates)} phases, "
                          f"but {len(spec['priorities'])} priorities", file=spec.get("_file"), key="priorities")
    end = int(max(scenario.years))
    rows = []
    for k, start in enumerate(dates, 1):
        stop = dates[k] - 1 if k < len(dates) else end
        rows.append({"phase": k, "start": start, "end": stop,
                     "years": f"{fiscal_year(start)} to {fiscal_year(stop)}" if stop > start else fiscal_year(start)})
    return pd.DataFrame(rows)


def check_agencies(schemes: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Each responsible institution with the schemes of the inventory it administers.

    An institution's ``schemes`` must exist in the inventory and their ``administering_agency``
    must contain its ``match`` text; otherwise a :class:`MatrixError` names the key.
    """
    ag = schemes.set_index(schemes["scheme_id"].astype(str))["administering_agency"].astype(str)
    rows = []
    for k, v in spec["agencies"].items():
        for sid in v["schemes"]:
            if sid not in ag.index:
                raise MatrixError(f"scheme {sid} is not in the inventory", file=spec.get("_file"), key=f"agencies.{k}.schemes")
            if v["match"] not in ag[sid]:
                raise MatrixError(f"scheme {sid} is administered by {ag[sid]!r}, which does not name {v['match']!r}",
                                  file=spec.get("_file"), key=f"agencies.{k}.schemes")
        rows.append({"agency": k, "name": v["name"], "schemes": ", ".join(v["schemes"]) or "none (see rationale)"})
    return pd.DataFrame(rows)


def _roadmap_path(scenario, benefit: str, start: int) -> str:
    """The roadmap's path for one provision: 'ages 75+ from FY 2025-26, 70+ from FY 2027-28, ...'."""
    dated = _dated(scenario, benefit)
    if not dated:
        return f"from {fiscal_year(start)}, at the medium level (not phased)"
    parts = []
    for f, path in dated.items():
        if min(path) != start:
            raise MatrixError(f"{benefit}: the roadmap's {f} starts in {min(path)}, the model run pays it from {start}",
                              file=f"params/scenarios/{scenario.name}.yaml", key=f"benefits.{benefit}.{f}")
        for i, (y, v) in enumerate(sorted(path.items())):
            if f == "age_min":
                what = f"ages {int(v)}+" if i == 0 else f"{int(v)}+"
            else:
                what = "all of KP" if float(v) >= 1 else f"{float(v):.0%} of the eligible (merged districts)"
            parts.append(f"{what} from {fiscal_year(y)}")
    return ", ".join(parts)


def _agency_names(spec: dict, value) -> str:
    value = [value] if isinstance(value, str) else value
    return "; ".join(spec["agencies"][a]["name"] for a in value)


def recommendation_plan(spec: dict, roadmap, model_costs: pd.DataFrame, reference_scenario: str,
                        year: int) -> pd.DataFrame:
    """Every recommendation with its priority, responsible agency, timeline and (if costed) cost.

    ``roadmap``: the loaded roadmap scenario; ``model_costs``: the model run's cost table
    (:func:`spf_analysis.model.pipeline.load` ``.costs``: scenario, benefit, year, beneficiaries,
    cost in PKR, cost_pct_gdp, cost_pct_budget). A costed provision's timeline is its path in the
    roadmap (from the first year in which the model run pays it); its cost is that of
    ``reference_scenario`` in ``year`` (medium level). Uncosted recommendations follow the phases
    of the roadmap (:func:`roadmap_phases`).
    """
    phases = roadmap_phases(roadmap, spec).set_index("phase")
    mc = model_costs
    ref = mc[(mc["scenario"] == reference_scenario) & (mc["year"] == int(year))].set_index("benefit")
    rm = mc[(mc["scenario"] == roadmap.name) & (mc["beneficiaries"] > 0)]
    if ref.empty or rm.empty:
        raise MatrixError(f"the model run has no costs of {reference_scenario!r} in {year} or of {roadmap.name!r}; "
                          "run `make model`", file="data/interim/model_costs.parquet")
    first = rm.groupby("benefit")["year"].min()
    rows = []
    for key, row in spec["guarantees"].items():
        prefix = row["title"][0]
        n = 0
        for b in row["costed"] or []:
            n += 1
            p = spec["costed_plan"][b]
            if b not in first.index or b not in ref.index:
                raise MatrixError(f"provision {b!r} is not in the model run", file="data/interim/model_costs.parquet")
            start = int(first[b])
            start_phase = int(phases.index[(phases["start"] <= start)].max()) if (phases["start"] <= start).any() else 0
            if start_phase != p["priority"]["value"]:
                raise MatrixError(f"priority {p['priority']['value']} but the roadmap starts {b} in {fiscal_year(start)}, "
                                  f"phase {start_phase}", file=spec.get("_file"), key=f"costed_plan.{b}.priority")
            rows.append({"id": f"{prefix}{n}", "guarantee": row["title"], "recommendation": spec["labels"][b],
                         "costed": "yes", "benefit": b, **_plan_cells(spec, p, phases),
                         "timeline": f"{_roadmap_path(roadmap, b, start)} (phased roadmap)",
                         "cost_pkr_bn": float(ref.loc[b, "cost"]) / 1e9, "cost_pct_gdp": float(ref.loc[b, "cost_pct_gdp"]),
                         "cost_pct_budget": float(ref.loc[b, "cost_pct_budget"])})
        for e in row["recommendations"]:
            n += 1
            ph = e["timeline"]["phases"]
            last = phases.loc[ph[-1]]
            when = (f"phase {ph[0]}" if len(ph) == 1 else f"phases {ph[0]}-{ph[-1]}")
            span = (f"{fiscal_year(phases.loc[ph[0], 'start'])} onwards" if ph[-1] == phases.index.max()
                    else f"{fiscal_year(phases.loc[ph[0], 'start'])} to {fiscal_year(last['end'])}")
            rows.append({"id": f"{prefix}{n}", "guarantee": row["title"], "recommendation": e["text"], "costed": "no",
                         "benefit": "", **_plan_cells(spec, e, phases), "timeline": f"{when}: {span}",
                         "cost_pkr_bn": float("nan"), "cost_pct_gdp": float("nan"), "cost_pct_budget": float("nan")})
    return pd.DataFrame(rows)


def _plan_cells(spec: dict, entry: dict, phases) -> dict:
    pri = entry["priority"]["value"]
    return {"priority": int(pri), "priority_label": f"{pri} ({spec['priorities'][pri]['label']})",
            "agency": _agency_names(spec, entry["agency"]["value"]),
            "priority_rationale": entry["priority"]["rationale"], "agency_rationale": entry["agency"]["rationale"],
            "timeline_rationale": entry["timeline"]["rationale"]}
