"""The ABND assessment matrix: four guarantees, no empty cell, numbers taken from chapters 03 and 04."""

import re

import pandas as pd
import pytest
import yaml

from spf_analysis.data import io
from spf_analysis.report import matrix
from spf_analysis.config import paths

TABLES = paths.REPORTS / "tables"
BUILT = all((TABLES / f"{n}.csv").exists() for n in
            ("03_protection_gaps", "04_cost_by_benefit_pct_gdp", "04_provisions_medium"))


def spec():
    return matrix.load_spec()


def toy_gaps():
    """A chapter 03 table in miniature, with every group the spec names (gap = 100 - coverage)."""
    rows = []
    for i, (key, row) in enumerate(spec()["guarantees"].items()):
        for j, group in enumerate(row["gap_groups"]):
            cov = 10.0 * (i + 1) + j
            admin = key == "health"  # chapter 03's health row: Sehat card use against a benchmark, no CI
            for ind, est in (("coverage", cov), ("protection_gap", 100 - cov)):
                rows.append({"guarantee": matrix.GUARANTEES[key], "group": group, "covered_by": "x", "indicator": ind,
                             "estimate": est, "se": float("nan") if admin else 1.0,
                             "ci_low": float("nan") if admin else est - 2,
                             "ci_high": float("nan") if admin else est + 2, "n": float("nan") if admin else 100})
    return pd.DataFrame(rows)


def toy_costs():
    names = list(spec()["labels"])
    return pd.DataFrame({"benefit": names,
                         **{f"2030 {lvl}": [k + 0.125 * m for k in range(len(names))]
                            for m, lvl in enumerate(("low", "medium", "high"))}})


def test_spec_is_complete_and_sourced():
    s = spec()
    assert list(s["guarantees"]) == ["health", "children", "working_age", "elderly"]
    for row in s["guarantees"].values():
        for e in row["implementation_issues"] + row["recommendations"] + [row["provision"]]:
            assert (e.get("source") or e.get("rationale") or "").strip()


def test_matrix_from_toy_tables_has_known_numbers():
    m = matrix.assessment_matrix(io.load("schemes"), toy_gaps(), toy_costs(), spec(), 2030)
    assert list(m["guarantee"]) == ["Health", "Children", "Working age", "Elderly"]
    assert (m.map(lambda v: bool(str(v).strip()))).all().all()
    # health: coverage 10 -> gap 90.0, administrative (no CI); children 20 -> 80.0 (CI 78.0-82.0)
    assert ("90.0% of whole population (Sehat card use) not covered (administrative data against a benchmark, "
            "no sampling error)") in m.loc[0, "policy_gaps"]
    assert "nan" not in m.loc[0, "policy_gaps"]
    assert "80.0% of children 0-14 not covered (95% CI 78.0-82.0)" in m.loc[1, "policy_gaps"]
    # costs: medium = index + 0.125; sehat_extension is the third label (index 2) -> 2.12 (2.125 rounds half-even)
    k = list(spec()["labels"]).index("sehat_extension")
    assert f"{k + 0.125:.2f}% of KP GDP in 2030 at the medium level (low {k:.2f}%, high {k + 0.25:.2f}%)" \
        in m.loc[0, "recommendations"]
    # the existing schemes are those of the inventory, with their ids
    assert "Sehat Sahulat Programme KP (S20)" in m.loc[0, "existing_schemes"]
    assert "Employees Old-Age Benefits Institution (S16)" in m.loc[3, "existing_schemes"]


def test_unknown_group_or_provision_or_year_is_an_error():
    s = spec()
    gaps = toy_gaps()
    with pytest.raises(matrix.MatrixError, match=r"children 0-14.*not in the chapter 03 gap table"):
        matrix.gap_numbers(gaps[gaps["group"] != "children 0-14"], s)
    costs = toy_costs()
    with pytest.raises(matrix.MatrixError, match=r"'social_pension' is not costed in chapter 04"):
        matrix.recommended_costs(costs[costs["benefit"] != "social_pension"], s, 2030)
    with pytest.raises(matrix.MatrixError, match=r"year 2031 not in the chapter 04 cost table"):
        matrix.recommended_costs(costs, s, 2031)


def test_entry_without_source_or_rationale_is_refused(tmp_path):
    raw = yaml.safe_load(matrix.MATRIX_FILE.read_text())
    raw["guarantees"]["elderly"]["implementation_issues"][1].pop("source")
    f = tmp_path / "matrix.yaml"
    f.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(matrix.MatrixError, match=r"guarantees.elderly.implementation_issues\[1\]: every entry needs"):
        matrix.load_spec(f)
    raw = yaml.safe_load(matrix.MATRIX_FILE.read_text())
    del raw["guarantees"]["health"]
    f.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(matrix.MatrixError, match="guarantees must be"):
        matrix.load_spec(f)


@pytest.mark.skipif(not BUILT, reason="chapters 03 and 04 not built (make report)")
def test_real_matrix_uses_the_chapter_03_and_04_numbers():
    t = matrix.read_chapter_tables()
    s = spec()
    m = matrix.assessment_matrix(io.load("schemes"), t["gaps"], t["costs"], s, 2030, t["provisions"])
    assert len(m) == 4 and (m.map(lambda v: bool(str(v).strip()))).all().all()
    # every gap shown is a protection_gap row of chapter 03, rounded to one decimal
    g = t["gaps"][t["gaps"]["indicator"] == "protection_gap"].set_index("group")
    gp = matrix.gap_numbers(t["gaps"], s)
    for r in gp.itertuples():
        assert r.estimate == g.loc[r.group, "estimate"]
        cell = m.loc[list(s["guarantees"]).index(r.guarantee), "policy_gaps"]
        assert f"{g.loc[r.group, 'estimate']:.1f}% of {r.group}" in cell
    # every recommended cost equals chapter 04's cost of that provision in 2030
    c = t["costs"].set_index("benefit")
    rc = matrix.recommended_costs(t["costs"], s, 2030)
    assert len(rc) == 8  # the eight provisions of chapter 04 (maternity care costed under health)
    for r in rc.itertuples():
        assert r.cost_pct_gdp_medium == c.loc[r.benefit, "2030 medium"]
        cell = m.loc[list(s["guarantees"]).index(r.guarantee), "recommendations"]
        assert re.search(re.escape(f"{c.loc[r.benefit, '2030 medium']:.2f}% of KP GDP in 2030"), cell)
