"""Costs net of the existing schemes and the federal / provincial split (spf_analysis.model.existing)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from spf_analysis.config.errors import read_yaml
from spf_analysis.data import io
from spf_analysis.model import existing as ex
from spf_analysis.model import pipeline


def _spec(relation="replaces", share=1.0, federal=0.25):
    return {"provisions": {
        "pension": {"label": "Pension", "relation": relation, "rationale": "r",
                    "existing": [{"scheme": "S12", "label": "Guzara", "carried": "cpi", "absorbed_share": share,
                                  "rationale": "r", "amount": {"table": "scheme_series", "fact_id": "F028",
                                                               "metric": "expenditure", "period": "2019-20"}}],
                    "financing": {"federal_share": federal, "rationale": "r"}},
        "child": {"label": "Child", "relation": "none", "existing": [], "rationale": "r",
                  "financing": {"federal_share": 0.0, "rationale": "r"}}}}


def _series():
    return pd.DataFrame({"fact_id": ["F028"], "metric": ["expenditure"], "period": ["2019-20"], "year": [2020],
                         "value": [2.0], "unit": ["PKR billion"], "chosen": [True], "source_title": ["t"],
                         "source_url": ["https://x"], "locator": ["p1"]})


def _toy(spec=None, gross=(0.0, 10e9, 1e9)):
    """Three years 2025-2027, a pension costing ``gross`` and a child benefit of 5 bn a year."""
    m = ex.parse_mapping(spec or _spec(), "toy.yaml")
    figs = ex.figures(m, {"scheme_series": _series(), "health_indicators": pd.DataFrame()})
    # observed inflation 10% into 2021..2024, then the frame's CPI: 1 (2024), 1.05 (2025), 1.05^2 (2026), 1.05^3 (2027)
    prices = ex.price_index({2021: 0.1, 2022: 0.1, 2023: 0.1, 2024: 0.1},
                            pd.Series([1.0, 1.05, 1.05**2, 1.05**3], index=[2024, 2025, 2026, 2027]))
    years = [2025, 2026, 2027]
    costs = pd.DataFrame({"scenario": "s", "year": years * 2, "benefit": ["pension"] * 3 + ["child"] * 3,
                          "cost": list(gross) + [5e9] * 3})
    return m, ex.net_costs(costs, m, ex.existing_by_year(figs, years, prices))


def test_offset_hand_computed_for_one_provision_and_year():
    # Rs 2 bn of 2019-20 (year 2020) carried to 2026: x 1.1^4 (inflation into 2021-2024) x 1.05^2 = 2.92820 x 1.1025
    _, net = _toy()
    r = net.query("benefit == 'pension' and year == 2026").iloc[0]
    assert r["offset"] == pytest.approx(2e9 * 1.4641 * 1.1025)  # 3.2283 bn
    assert r["net"] == pytest.approx(10e9 - 3.2283e9, rel=1e-4)
    # a quarter federal, three quarters provincial
    assert r["federal"] == pytest.approx(0.25 * (10e9 - 3.2283e9), rel=1e-4)


def test_a_replacement_never_makes_the_net_negative():
    _, net = _toy()
    pen = net[net["benefit"] == "pension"].set_index("year")
    assert pen.loc[2025, "offset"] == 0 and pen.loc[2025, "net"] == 0          # not yet introduced: nothing replaced
    assert pen.loc[2027, "offset"] == pytest.approx(1e9)                         # 3.39 bn available, capped at the cost
    assert pen.loc[2027, "net"] == 0
    assert (net[list(ex.AMOUNTS)] >= 0).all().all()


def test_a_top_up_deducts_nothing_and_the_package_sums_the_provisions():
    _, net = _toy(_spec(relation="tops_up", share=0.0))
    assert (net["offset"] == 0).all() and np.allclose(net["net"], net["gross"])
    _, net = _toy()
    pk = net[net["benefit"] == "package"].set_index("year")
    parts = net[net["benefit"] != "package"].groupby("year")[list(ex.AMOUNTS)].sum()
    assert np.allclose(pk[list(ex.AMOUNTS)], parts)
    assert pk.loc[2026, "gross"] == pytest.approx(15e9)


def test_the_split_sums_to_the_net():
    _, net = _toy()
    assert np.allclose(net["provincial"] + net["federal"], net["net"])


@pytest.mark.parametrize("change,key,message", [
    (lambda s: s["provisions"]["pension"].update(relation="abolishes"), "provisions.pension.relation", "relation must be one of"),
    (lambda s: s["provisions"]["pension"].update(relation="tops_up"), "provisions.pension.existing[0].absorbed_share",
     "deducts nothing"),
    (lambda s: s["provisions"]["pension"]["existing"][0].update(scheme="S99"), "provisions.pension.existing[0].scheme",
     "not a scheme id"),
    (lambda s: s["provisions"]["pension"]["existing"][0].update(absorbed_share=1.5),
     "provisions.pension.existing[0].absorbed_share", "outside"),
    (lambda s: s["provisions"]["pension"]["financing"].update(federal_share="half"),
     "provisions.pension.financing.federal_share", "expected a number"),
    (lambda s: s["provisions"]["pension"]["existing"][0].update(carried="wages"), "provisions.pension.existing[0].carried",
     "carried must be one of"),
    (lambda s: s["provisions"]["pension"]["existing"][0].update(amount=None, not_found="none found"),
     "provisions.pension.existing[0].absorbed_share", "no figure to deduct"),
    (lambda s: s["provisions"].update(child={**s["provisions"]["child"], "relation": "replaces",
                                             "existing": copy.deepcopy(s["provisions"]["pension"]["existing"])}),
     "provisions.child.existing[0].absorbed_share", "absorbed 2 times"),
    (lambda s: s["provisions"].pop("child"), "provisions.child", "no entry for provision 'child'"),
])
def test_a_bad_params_file_names_the_file_and_the_key(tmp_path, change, key, message):
    spec = _spec()
    change(spec)
    f = tmp_path / "existing_schemes.yaml"
    f.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    with pytest.raises(ex.ExistingSchemesError) as e:
        ex.load_mapping(f, scheme_ids={"S12"}, provisions=["pension", "child"])
    assert str(e.value).startswith(f"{f}: {key}: ")
    assert message in str(e.value)


def test_a_figure_that_matches_no_row_is_an_error():
    spec = _spec()
    spec["provisions"]["pension"]["existing"][0]["amount"]["period"] = "2018-19"
    m = ex.parse_mapping(spec, "toy.yaml")
    with pytest.raises(ex.ExistingSchemesError, match=r"toy.yaml: provisions.pension.existing\[0\].amount: .*0 chosen rows"):
        ex.figures(m, {"scheme_series": _series(), "health_indicators": pd.DataFrame()})


# ---------------------------------------------------------------- the shipped mapping and the model run


def test_the_shipped_mapping_covers_every_costed_provision():
    run = pipeline.load()
    provisions = set(run.costs["benefit"]) - {"package"}
    m = ex.load_mapping(scheme_ids=set(io.load("schemes")["scheme_id"]), provisions=provisions)
    assert set(m.provisions) >= provisions
    raw = read_yaml(ex.default_file())
    assert raw["provisions"]["contribution_subsidy"]["financing"]["federal_share"] == 0.5


def test_the_run_deducts_the_published_figures():
    run = pipeline.load()
    net = run.net_costs.set_index(["scenario", "benefit", "year"])
    cpi = run.macro_frame["cpi"]
    # Zakat guzara allowance, Rs 1.089672 bn in FY 2019-20 (F028), carried with the observed CPI inflation of
    # FY 2020-21 to 2023-24 (8.9%, 12.15%, 29.2%, 23.4%, macro_indicators) and the frame's CPI
    guzara = 1.089672e9 * 1.089 * 1.1215 * 1.292 * 1.234
    assert net.loc[("kp_medium", "social_pension", 2030), "offset"] == pytest.approx(guzara * cpi[2030], rel=1e-9)
    # Sehat card deliveries: the 60,000 deliveries already paid, at the costing's cost per delivery
    assert net.loc[("kp_medium", "maternity_care", 2030), "offset"] == pytest.approx(
        60_000 * run.macro_frame.loc[2030, "delivery_cost"], rel=1e-9)
    # top-ups and new provisions deduct nothing; the pre-reform year has no cost and no offset
    for b in ("child_benefit", "maternity_benefit", "sehat_extension", "employment_guarantee", "contribution_subsidy"):
        assert net.loc[("kp_medium", b, 2030), "offset"] == 0
    assert net.loc[("kp_medium", "package", 2025), ["gross", "offset", "net"]].abs().sum() == 0
    # the ESSI/EOBI subsidy is half federal; every other provision is provincial
    cs = net.loc[("kp_medium", "contribution_subsidy", 2030)]
    assert cs["federal"] == pytest.approx(cs["net"] / 2)
    pk = net.loc[("kp_medium", "package", 2030)]
    assert pk["federal"] == pytest.approx(cs["federal"])
    assert pk["provincial"] + pk["federal"] == pytest.approx(pk["net"])
    # the gross column is the cost table's
    gross = run.costs.set_index(["scenario", "benefit", "year"])["cost"]
    assert np.allclose(net["gross"], gross.reindex(net.index))


def test_the_annex_lists_every_declared_relation_and_share_with_its_rationale():
    from spf_analysis.report import annex

    t = annex.assumptions_table({"existing schemes": annex.default_files()["existing schemes"]})
    assert annex.missing(t).empty and (t["source_or_rationale"].str.len() > 0).all()
    row = t.set_index("parameter").loc["contribution_subsidy.financing.federal_share"]
    assert row["value"] == "0.5"
    assert "existing_schemes.yaml" not in {p.name for p in annex.default_files()["shared settings and notebooks"]}
