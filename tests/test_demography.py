"""Tests of the cohort-component projection (spf_analysis.model.demography).

Validation: projecting Pakistan from the WPP 2019 base population of 2015 with
WPP 2019's own rates must reproduce WPP's 2020 estimate and its 2025 and 2030
medium projections (1% total, 3% per broad age group and sex).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spf_analysis.model import demography as d

ABRIDGED = list(d.ABRIDGED_AGES)


# ----------------------------------------------------------------------------
# WPP validation
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wpp_population():
    return d.read_wpp_population()


@pytest.fixture(scope="module")
def projection_2015():
    return d.project_wpp2019(2015, 3)


def test_readers_shapes(wpp_population):
    assert set(wpp_population["sex"]) == {"male", "female"}
    assert sorted(wpp_population["age"].unique()) == list(range(0, 105, 5))
    assert {2015, 2020, 2025, 2030} <= set(wpp_population["year"])
    mx = d.read_wpp_mx()
    assert sorted(mx["age"].unique()) == ABRIDGED
    pasfr = d.read_wpp_asfr_pattern()
    sums = pasfr.groupby("period")["pasfr"].sum()
    assert np.allclose(sums, 100.0, atol=0.01)
    tfr = d.read_wpp_tfr()
    assert tfr.loc[2015] == pytest.approx(3.55)
    assert tfr.loc[2020] == pytest.approx(3.238)  # medium variant 2020-2025
    assert d.read_wpp_srb().loc[2015] == pytest.approx(1.087)
    assert d.read_wpp_migration().loc[2015] == pytest.approx(-1_166_895.0)


@pytest.mark.parametrize("year", [2020, 2025, 2030])
def test_wpp2019_validation(year, wpp_population, projection_2015):
    proj = projection_2015.population
    ours = proj[proj["year"] == year]
    wpp = wpp_population[wpp_population["year"] == year]
    total_err = ours["population"].sum() / wpp["population"].sum() - 1
    assert abs(total_err) < 0.01, total_err
    m = d.broad_groups(ours).merge(d.broad_groups(wpp), on=["year", "sex", "age_group"], suffixes=("_ours", "_wpp"))
    assert len(m) == 6
    err = m["population_ours"] / m["population_wpp"] - 1
    assert (err.abs() < 0.03).all(), m.assign(err=err)


def test_life_expectancy_close_to_wpp():
    """e0 from WPP 2019 mx 2015-2020 vs WPP's published e0 (66.11 M, 68.00 F)."""
    mx = d.read_wpp_mx()
    for sex, published in (("male", 66.11), ("female", 68.00)):
        m = mx[(mx["period"] == 2015) & (mx["sex"] == sex)].set_index("age")["mx"]
        e0 = d.life_table(m, sex=sex)["ex"].iloc[0]
        assert abs(e0 - published) < 0.5


def test_kp_census_base_projects():
    kp = d.read_kp_census_population(2023)
    assert kp["population"].sum() == 40_641_120 - 1_117  # age table total minus transgender rows
    proj = d.project_wpp2019(2023, 2, base=kp, with_migration=False)
    years = sorted(proj.population["year"].unique())
    assert years == [2023, 2028, 2033]
    assert (proj.components["rate_period"] == [2025, 2025, 2030, 2030]).all()
    assert proj.population.groupby("year")["population"].sum().is_monotonic_increasing


# ----------------------------------------------------------------------------
# Hand-checkable unit tests
# ----------------------------------------------------------------------------


def test_life_table_constant_mx_exact():
    m = 0.02
    mx = pd.Series(m, index=ABRIDGED)
    lt = d.life_table(mx, ax_method="constant_hazard")
    assert lt["ex"].iloc[0] == pytest.approx(1 / m, rel=1e-12)
    # memoryless: every age has the same expectation of life
    assert np.allclose(lt["ex"], 1 / m)
    assert np.allclose(lt["lx"], np.exp(-m * np.array(ABRIDGED)))


@pytest.mark.parametrize("m", [0.001, 0.01, 0.05])
def test_life_table_constant_mx_default_rules_close(m):
    """Default (Coale-Demeny infant ax) and midpoint rules tend to 1/m for small m."""
    mx = pd.Series(m, index=ABRIDGED)
    for method in ("coale_demeny", "midpoint"):
        e0 = d.life_table(mx, sex="female", ax_method=method)["ex"].iloc[0]
        assert e0 == pytest.approx(1 / m, rel=0.02)


def test_life_table_identities():
    mx = d.read_wpp_mx()
    m = mx[(mx["period"] == 2015) & (mx["sex"] == "male")].set_index("age")["mx"]
    lt = d.life_table(m, sex="male", radix=100_000)
    assert lt["lx"].iloc[0] == 100_000
    assert lt["dx"].sum() == pytest.approx(100_000)
    # deaths = mx x person-years in every group
    assert np.allclose(lt["dx"], lt["mx"] * lt["Lx"])
    assert lt["qx"].iloc[-1] == 1.0
    assert (lt["qx"] <= 1).all()
    # Coale-Demeny 1a0 for m0 < 0.107 (Preston et al. Table 3.3)
    assert lt["ax"].iloc[0] == pytest.approx(0.045 + 2.684 * m.loc[0])


def test_survivorship_ratios_hand():
    # Three 5-year groups, constant hazard: S = exp(-5m) for closed, open ratio = T10/T5
    m = 0.1
    mx = pd.Series(m, index=[0, 5, 10])
    lt = d.life_table(mx, ax_method="constant_hazard")
    sr = d.survivorship_ratios(lt, open_age=10).set_index("age")["S"]
    assert sr.loc[0] == pytest.approx(np.exp(-5 * m))
    assert sr.loc[5] == pytest.approx(lt["Tx"].iloc[2] / lt["Tx"].iloc[1])
    assert sr.loc[-1] == pytest.approx(lt["Lx"].iloc[0] / 5)
    # collapsing an abridged table to a lower open age
    lt2 = d.life_table(pd.Series(0.02, index=ABRIDGED), ax_method="constant_hazard")
    sr2 = d.survivorship_ratios(lt2, open_age=75).set_index("age")["S"]
    assert list(sr2.index) == [-1] + list(range(0, 75, 5))
    assert sr2.loc[70] == pytest.approx(lt2.set_index("age")["Tx"].loc[75] / lt2.set_index("age")["Tx"].loc[70])


def _toy(pop_male, pop_female, ages):
    rows = []
    for sex, vals in (("male", pop_male), ("female", pop_female)):
        for a, v in zip(ages, vals):
            rows.append({"year": 2000, "sex": sex, "age": a, "population": float(v)})
    return pd.DataFrame(rows)


def _toy_rates(ages, m, tfr, periods=(2000, 2005)):
    mx = pd.DataFrame(
        [{"period": p, "sex": s, "age": a, "mx": m} for p in periods for s in d.SEXES for a in ages]
    )
    pasfr = pd.DataFrame([{"period": p, "age": a, "pasfr": 50.0} for p in periods for a in (15, 20)])
    idx = pd.Index(list(periods), name="period")
    return mx, pd.Series(tfr, index=idx), pasfr, pd.Series(1.05, index=idx)


def test_closed_population_zero_fertility_loses_exact_deaths():
    ages = [0, 5, 10, 15, 20, 25]
    base = _toy([100, 90, 80, 70, 60, 50], [110, 95, 85, 75, 65, 55], ages)
    mx, tfr, pasfr, srb = _toy_rates(ages, 0.03, 0.0)
    proj = d.project(base, mx, tfr, pasfr, srb, None, n_periods=1, ax_method="constant_hazard")
    lt = d.life_table(mx[(mx.period == 2000) & (mx.sex == "male")].set_index("age")["mx"], ax_method="constant_hazard")
    S = d.survivorship_ratios(lt, open_age=25).set_index("age")["S"]
    for sex, vals in (("male", [100, 90, 80, 70, 60, 50]), ("female", [110, 95, 85, 75, 65, 55])):
        v = np.array(vals, float)
        expected_deaths = np.sum(v[:-2] * (1 - S.loc[0:15].to_numpy())) + (v[-2] + v[-1]) * (1 - S.loc[20])
        end = proj.population[(proj.population.year == 2005) & (proj.population.sex == sex)]
        assert v.sum() - end["population"].sum() == pytest.approx(expected_deaths)
        comp = proj.components.set_index("sex")
        assert comp.loc[sex, "deaths"] == pytest.approx(expected_deaths)
        assert comp.loc[sex, "births"] == 0
        assert end.set_index("age")["population"].loc[0] == 0  # no births
        assert end.set_index("age")["population"].loc[5] == pytest.approx(vals[0] * S.loc[0])


def test_births_formula_hand():
    # births = sum ASFR x mean women exposed x 5
    asfr = np.array([0.1, 0.2])
    w0 = np.array([100.0, 80.0])
    w1 = np.array([120.0, 90.0])
    assert d.births(asfr, w0, w1) == pytest.approx(5 * (0.1 * 110 + 0.2 * 85))
    # TFR x pattern -> ASFR, and back
    f = d.asfr_from_tfr(3.0, [50.0, 50.0])
    assert np.allclose(f, [0.3, 0.3])
    assert 5 * f.sum() == pytest.approx(3.0)
    f2 = d.asfr_from_tfr(np.array([3.0, 2.0]), [40.0, 60.0])
    assert f2.shape == (2, 2) and np.allclose(5 * f2.sum(axis=1), [3.0, 2.0])


def test_projection_births_and_sex_ratio():
    ages = [0, 5, 10, 15, 20, 25]
    base = _toy([100] * 6, [100] * 6, ages)
    mx, tfr, pasfr, srb = _toy_rates(ages, 0.0001, 2.0)
    proj = d.project(base, mx, tfr, pasfr, srb, None, n_periods=1, ax_method="constant_hazard")
    comp = proj.components.set_index("sex")
    # women 15-19 and 20-24: start 100 each; end = survivors of 10-14 and 15-19
    lt = d.life_table(mx[(mx.period == 2000) & (mx.sex == "female")].set_index("age")["mx"], ax_method="constant_hazard")
    S = d.survivorship_ratios(lt, open_age=25).set_index("age")["S"]
    F = 2.0 * 0.5 / 5
    expected = 5 * (F * (100 + 100 * S.loc[10]) / 2 + F * (100 + 100 * S.loc[15]) / 2)
    total = comp["births"].sum()
    assert total == pytest.approx(expected)
    assert comp.loc["male", "births"] / comp.loc["female", "births"] == pytest.approx(1.05)


def test_migration_accounting_balances():
    ages = [0, 5, 10, 15, 20, 25]
    base = _toy([100, 90, 80, 70, 60, 50], [110, 95, 85, 75, 65, 55], ages)
    mx, tfr, pasfr, srb = _toy_rates(ages, 0.02, 3.0)
    mig = pd.Series(-30.0, index=pd.Index([2000, 2005], name="period"))
    proj = d.project(base, mx, tfr, pasfr, srb, mig, n_periods=2)
    pop = proj.population.groupby("year")["population"].sum()
    comp = proj.components.groupby("period")[["births", "deaths", "net_migrants"]].sum()
    assert comp["net_migrants"].to_numpy() == pytest.approx([-30.0, -30.0])
    for p in (2000, 2005):
        change = pop.loc[p + 5] - pop.loc[p]
        assert change == pytest.approx(comp.loc[p, "births"] - comp.loc[p, "deaths"] + comp.loc[p, "net_migrants"])


def test_migration_pattern_custom():
    pop = np.ones((2, 3))
    pattern = np.array([[0, 1, 0], [0, 1, 2]], float)
    m = d.migration_by_age_sex(-100.0, pop, pattern)
    assert m.sum() == pytest.approx(-100)
    assert m[1, 2] == pytest.approx(-50)
    uniform = d.migration_by_age_sex(60.0, np.array([[1.0, 2.0], [3.0, 0.0]]))
    assert np.allclose(uniform, [[10, 20], [30, 0]])


def test_scale_tfr():
    tfr = pd.Series([3.6, 3.2], index=[2015, 2020])
    kp = d.scale_tfr(tfr, target_tfr=4.5, reference_tfr=3.6)
    assert kp.loc[2015] == pytest.approx(4.5)
    assert kp.loc[2020] == pytest.approx(3.2 * 4.5 / 3.6)
    with pytest.raises(ValueError):
        d.scale_tfr(tfr, 0, 3.6)


def test_interpolate_annual_and_single_ages(projection_2015):
    annual = d.interpolate_annual(projection_2015.population)
    assert sorted(annual["year"].unique()) == list(range(2015, 2031))
    five = projection_2015.population.set_index(["year", "sex", "age"])["population"]
    ann = annual.set_index(["year", "sex", "age"])["population"]
    # knots reproduced exactly
    for y in (2015, 2020, 2025, 2030):
        assert np.allclose(ann.loc[y].sort_index(), five.loc[y].sort_index())
    # geometric mid-point
    a, b = five.loc[(2015, "male", 0)], five.loc[(2020, "male", 0)]
    assert ann.loc[(2017, "male", 0)] == pytest.approx(a * (b / a) ** 0.4)
    single = d.to_single_ages(annual[annual["year"] == 2020])
    assert sorted(single["age"].unique()) == list(range(0, 101))
    # group totals preserved
    grp = single.assign(g=(single["age"] // 5) * 5).groupby(["sex", "g"])["population"].sum()
    orig = annual[annual["year"] == 2020].set_index(["sex", "age"])["population"]
    assert np.allclose(grp.to_numpy(), orig.sort_index().to_numpy())
    assert (single["population"] >= -1e-6).all()


def test_annual_births():
    comp = pd.DataFrame({"period": [2015, 2015, 2020, 2020], "sex": ["male", "female"] * 2, "births": [5.0, 5.0, 10.0, 10.0]})
    b = d.annual_births(comp, [2016, 2017, 2020, 2022, 2025])
    # mean annual births 2 (2015-20) at 2017.5 and 4 (2020-25) at 2022.5
    assert b.loc[2017] == pytest.approx(2.0)
    assert b.loc[2020] == pytest.approx(3.2)
    assert b.loc[2022] == pytest.approx(4.0)
    assert b.loc[2016] == pytest.approx(2.0)
    assert b.loc[2025] == pytest.approx(4.0)


# ----------------------------------------------------------------------------
# The raw inputs go through the schema-checked readers of spf_analysis.data.io
# ----------------------------------------------------------------------------


def _copy_with(tmp_path, src, old, new, line):
    import shutil
    dst = tmp_path / src.name
    shutil.copy2(src, dst)
    lines = dst.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    dst.write_text("\n".join(lines), encoding="utf-8")
    return dst


@pytest.mark.parametrize("name, line, old, new, column, message", [
    ("mxF", 2, "\t0.27806477\t", "\tn/a\t", "1950-1955", "not a number"),
    ("mxF", 5, "\t10\t", "\t11\t", "age", "unknown value"),
    ("popM", 3, "\t2640.017\t", "\t2640017000\t", "1950", "above the maximum"),
    ("sexRatio", 2, "\t1.064\t", "\t\t", "1950-1955", "empty or missing"),
    ("tfr", 2, "\tPakistan\t", "\tPakistan \t", None, None),  # surrounding blanks are stripped: valid
])
def test_wpp_reader_names_file_column_and_line(tmp_path, monkeypatch, name, line, old, new, column, message):
    import shutil

    from spf_analysis.data.io import InputError
    for f in d.WPP_DIR.glob("wpp2019_*.tsv"):  # the readers read several files (both sexes, estimates and projections)
        shutil.copy2(f, tmp_path / f.name)
    _copy_with(tmp_path, d.WPP_DIR / f"wpp2019_pakistan_{name}.tsv", old, new, line)
    monkeypatch.setattr(d, "WPP_DIR", tmp_path)
    readers = {"mxF": d.read_wpp_mx, "popM": d.read_wpp_population, "sexRatio": d.read_wpp_srb, "tfr": d.read_wpp_tfr}
    if message is None:
        readers[name]()
        return
    with pytest.raises(InputError) as e:
        readers[name]()
    err = str(e.value)
    assert f"wpp2019_pakistan_{name}.tsv" in err and message in err
    assert f"column '{column}'" in err and f"line {line}" in err


def test_census_reader_names_file_column_and_line(tmp_path, monkeypatch):
    from spf_analysis.data.io import InputError
    _copy_with(tmp_path, d.CENSUS_DIR / "kp_population_age_sex.csv", ",00-04,", ",0-4,", 3)
    monkeypatch.setattr(d, "CENSUS_DIR", tmp_path)
    with pytest.raises(InputError, match=r"kp_population_age_sex\.csv, column 'age_group', line 3: unknown value"):
        d.read_kp_census_population(2023)


# ----------------------------------------------------------------------------
# Consistency with the 2023 census; UN WPP 2024 comparison (issue 12)
# ----------------------------------------------------------------------------


def test_census_children_0_4_read_from_raw():
    """KP 2023, ages 00-04 (data/raw/census/kp_population_age_sex.csv, 35 districts, total area):
    males 3,262,562 + females 3,085,218 = 6,347,780 (the 0 transgender persons aged 0-4 left out);
    the model's base rescales the male + female table (20,742,619 + 19,897,384 = 40,640,003) to the
    official 40,856,097."""
    raw = d.read_kp_census_population(2023)
    kids = raw[raw["age"] == 0].set_index("sex")["population"]
    assert kids.to_dict() == {"female": 3_085_218, "male": 3_262_562}
    assert raw["population"].sum() == 40_640_003
    base = d.kp_base_population(2023)
    assert base.loc[base["age"] == 0, "population"].sum() == pytest.approx(6_347_780 * 40_856_097 / 40_640_003, rel=1e-12)


def _no_deaths_rates():
    """WPP rates with (almost) no mortality: births survive to 0-4 whole, S_b = 1."""
    r = d.wpp_rates()
    return dict(r, mx=r["mx"].assign(mx=1e-12))


def test_census_implied_births_reverse_survival_hand():
    # without deaths the births of each of the five years are the 0-4 count / 5: 6,381,532.88 / 5
    kids = 6_347_780 * 40_856_097 / 40_640_003
    assert d.census_implied_births(2023, _no_deaths_rates()) == pytest.approx(kids / 5, rel=1e-6)
    # with WPP 2019 mortality (2015-20) more births than survivors, by the survival to ages 0-4 (0.9-1)
    b = d.census_implied_births(2023)
    assert kids / 5 < b < kids / 5 / 0.9


def test_census_check_criterion_hand():
    """The within-5% criterion by hand: births 1,300,000 against 1,357,396 implied -> gap -4.2% (within);
    1,280,000 -> -5.7% (outside). Children 6,381,533 projected vs counted -> 0%."""
    implied = d.census_implied_births(2023)
    assert implied == pytest.approx(1_357_396, rel=1e-6)  # 6,381,533 / 5 / S_b (S_b = 0.94, WPP 2019 2015-20 by sex)
    kids = 6_347_780 * 40_856_097 / 40_640_003
    ok = d.census_check(1_300_000, kids).set_index("quantity")
    assert ok.loc["births", "gap"] == pytest.approx(1_300_000 / 1_357_396.04 - 1, abs=1e-6)
    assert ok.loc["births", "gap"] == pytest.approx(-0.0423, abs=1e-4)
    assert ok["within"].all() and ok.loc["children_0_4", "gap"] == pytest.approx(0.0, abs=1e-12)
    bad = d.census_check(1_280_000, kids).set_index("quantity")
    assert bad.loc["births", "gap"] == pytest.approx(-0.0570, abs=1e-4) and not bad.loc["births", "within"]
    assert not d.census_check(1_357_396, kids * 0.94).set_index("quantity").loc["children_0_4", "within"]


def test_wpp2024_indicators_read_from_the_extracts():
    """UN WPP 2024 Pakistan (data/raw/un_wpp/wpp2024_pakistan_*.tsv): 2023 births 6,882.058 thousand,
    CBR 27.806, TFR 3.605219 (estimates); 2030 CBR 25.805, TFR 3.254013 (medium variant)."""
    w = d.read_wpp2024_indicators()
    assert w.loc[2023, "births"] == pytest.approx(6_882_058)
    assert (w.loc[2023, "cbr"], w.loc[2023, "tfr"]) == (27.806, 3.605219)
    assert (w.loc[2030, "cbr"], w.loc[2030, "tfr"]) == (25.805, 3.254013)
    assert w.index.min() == 1950 and w.index.max() == 2100 and w.index.is_unique


def test_kp_tfr_and_comparison_table():
    # WPP 2019 Pakistan TFR 2020-25 = 3.2380, 2025-30 = 2.9929 (wpp2019_pakistan_tfrprojMed.tsv)
    t = d.kp_tfr(2.0, [2023, 2024, 2025, 2030])
    assert t.tolist() == pytest.approx([6.476, 6.476, 5.9858, 2.0 * 2.7870])
    # a toy population: 100 persons aged 0-4 of 1,000, 400 aged 0-14; 30 births -> 30 per 1,000
    pop = pd.DataFrame({"year": 2023, "sex": "female", "age": [0, 5, 10, 15], "population": [100.0, 150.0, 150.0, 600.0]})
    cmp = d.wpp_comparison(pop, pd.Series({2023: 30.0}), 1.0, [2023]).loc[2023]
    assert (cmp["kp_cbr"], cmp["kp_share_0_4"], cmp["kp_share_0_14"]) == pytest.approx((30.0, 0.1, 0.4))
    assert (cmp["pakistan_cbr_wpp2024"], cmp["pakistan_tfr_wpp2024"], cmp["kp_tfr"]) == pytest.approx((27.806, 3.605219, 3.2380))
    # WPP 2019 Pakistan 2020: 0-4 and 0-14 shares computed from popM/popF
    w19 = d.read_wpp_population().query("year == 2020")
    assert d.wpp2019_child_shares([2020]).loc[2020, "share_0_4"] == pytest.approx(
        w19.loc[w19["age"] == 0, "population"].sum() / w19["population"].sum())


def test_rate_migration_moves_five_times_the_rate_of_each_start_population():
    # 5 x rate x N(t) net migrants in every step, N(t) the population the step starts from
    r = d.wpp_rates()
    base = d.kp_base_population(2023)
    proj = d.project_rate_migration(base, 3, migration_rate=0.004, tfr_scale=1.2, mx_scale=0.9, rates=r)
    start = proj.population.groupby("year")["population"].sum()
    moved = proj.components.groupby("period")["net_migrants"].sum()
    assert list(moved.index) == [2023, 2028, 2033]
    for y in moved.index:
        assert moved.loc[y] == pytest.approx(5 * 0.004 * start.loc[y], rel=1e-12)


@pytest.mark.parametrize("kw", [{}, {"tfr_scale": 1.1, "mx_scale": 0.9}])
def test_calibration_solves_on_the_projection_of_project_rate_migration(kw):
    # calibrate_kp projects on arrays (a hundred runs); its figures must be, bit for bit, those of the tidy
    # projection (project_rate_migration) of the 2017 census taken to 2023 (_population_at) at its solution
    r = d.wpp_rates()
    cal = d.calibrate_kp(r, **kw)
    proj = d.project_rate_migration(d.kp_base_population(2017), 2, tfr_scale=cal.tfr_scale, migration_rate=cal.migration_rate,
                                    mx_scale=kw.get("mx_scale", 1.0), rates=r)
    p = d._population_at(proj, 2017 + d.KP_INTERCENSAL_YEARS)
    assert cal.projected_total == p["population"].sum()
    assert cal.projected_0_4 == p.loc[p["age"] == 0, "population"].sum()
    assert cal.projected_total == pytest.approx(cal.target_total, rel=1e-9)
    closed = d.project_rate_migration(d.kp_base_population(2017), 2, tfr_scale=cal.tfr_scale, mx_scale=kw.get("mx_scale", 1.0), rates=r)
    growth = (d._population_at(closed, 2023.0)["population"].sum() / d.kp_base_population(2017)["population"].sum()) ** (1 / 6) - 1
    assert cal.closed_growth == growth
