"""The synthetic survey: deterministic, in the processed schema, and calibrated to its sourced targets."""

import numpy as np
import pandas as pd
import pytest

from spf_analysis.household import synth


@pytest.fixture(scope="session")
def survey():
    return synth.generate()


def test_targets_file_is_sourced():
    t = synth.read_targets()
    assert t["source_url"].str.startswith("http").all()
    assert t["locator"].notna().all()
    assert {"poverty_headcount", "bisp_families", "pension_60plus"} <= set(t["target_id"])
    # values copied from the reference set
    v = t.set_index("target_id")["value"]
    assert v["poverty_line"] == 3030.32
    assert v["bisp_families"] == 1083579 + 140832


def test_design_structure(survey):
    h, p = survey
    assert len(h) >= 5000
    assert (h.groupby("psu").size() == 16).all()
    assert (h.groupby("stratum")["psu"].nunique() >= 2).all()
    assert set(h["province"]) == {1} and set(h["region"]) <= {1, 2}
    assert (synth.stratum_from_hhcode(h["hhcode"]) == h["stratum"]).all()
    assert h["district"].nunique() == 35
    assert p.groupby("hhcode")["idc"].apply(lambda s: list(s) == list(range(1, len(s) + 1))).all()
    assert (p.groupby("hhcode").size().reindex(h["hhcode"]).to_numpy() == h["hhsize"].to_numpy()).all()
    assert list(h.columns) == list(synth.HOUSEHOLD_SCHEMA)
    assert list(p.columns) == list(synth.PERSON_SCHEMA)


def test_regenerates_identically_from_its_seed(survey):
    h2, p2 = synth.generate()
    pd.testing.assert_frame_equal(survey[0], h2)
    pd.testing.assert_frame_equal(survey[1], p2)
    h3, _ = synth.generate(synth.load_params(seed=7))
    assert not np.allclose(h3["cons_pae"].to_numpy()[:100], h2["cons_pae"].to_numpy()[:100])


def test_every_calibration_target_is_reproduced_within_tolerance(survey):
    tab = synth.calibration_table(*survey)
    assert len(tab) == len(synth.read_targets())
    bad = tab[~tab["within_tolerance"]]
    assert bad.empty, bad[["target_id", "target", "estimate", "tolerance"]].to_string()
    est = (tab[tab["kind"] == "estimate"])
    assert (est["se"] > 0).all()


def test_census_margins_are_exact(survey, districts):
    h, p = survey
    c = synth.census_cells(2023, districts.rename(columns={}))
    got = p.assign(area=np.where(p["region"] == 2, "urban", "rural")).groupby(["district", "area"])["weights"].sum()
    want = c.groupby(["district", "area"])["population"].sum()
    want = want[want > 0]
    np.testing.assert_allclose(got.reindex(want.index).to_numpy(), want.to_numpy(), rtol=1e-6)


def test_programme_rules(survey):
    h, p = survey
    # BISP goes only to households with an ever-married woman
    em = p[(p["sex"] == "female") & p["marital"].isin(["married", "widowed", "divorced"])]["hhcode"].unique()
    assert h.loc[h["rec_bisp"] == 1, "hhcode"].isin(em).all()
    assert (h.loc[h["rec_bisp"] == 1, "amt_bisp"] == 14400).all()
    # pensions only to persons 60+; amounts positive exactly for recipients
    assert (p.loc[p["rec_pension_civil"] + p["rec_pension_eobi"] > 0, "age"] >= 60).all()
    assert ((p["amt_pension_eobi"] > 0) == (p["rec_pension_eobi"] == 1)).all()
    # post-transfer consumption = pre-transfer + transfers per adult equivalent
    np.testing.assert_allclose(h["cons_pae"], h["cons_pae_pre"] + h["transfers_total"] / 12 / h["adult_eq"])
    # BISP has both targeting errors (a realistic PMT, not a perfect one)
    poor_hh = h["cons_pae_pre"] < 3030.32
    assert 0 < (h["rec_bisp"][~poor_hh]).sum() and 0 < (1 - h["rec_bisp"][poor_hh]).sum()


def test_missing_target_is_a_clear_error(tmp_path):
    t = pd.read_csv(synth.TARGETS_FILE)
    t = t[t["target_id"] != "bisp_families"]
    f = tmp_path / "targets.csv"
    t.to_csv(f, index=False)
    with pytest.raises(synth.InputError, match="bisp_families"):
        synth.read_targets(f)


def test_unknown_parameter_override_is_an_error():
    with pytest.raises(KeyError, match="n_psus"):
        synth.load_params(n_psus=10)


def test_rake_reaches_margins():
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(50), rng.integers(0, 2, 50)])
    T = np.array([1000.0, 400.0])
    w = synth.rake(np.full(50, 10.0), X, T)
    np.testing.assert_allclose(X.T @ w, T)


DISABILITY_BY_AGE_SEX = ("disability_prevalence_male", "disability_prevalence_female", "disability_prevalence_0_14",
                         "disability_prevalence_15_64", "disability_prevalence_65plus")


def test_disability_age_sex_targets_within_two_design_ses(survey):
    """The disability age/sex pattern targets (census 2017 Table 17 age pattern scaled to the 2023 rate, as
    the RAP costing; census 2023 sex split) are met within 2 design-based SEs and within the file tolerance."""
    tab = synth.calibration_table(*survey).set_index("target_id")
    t = synth.read_targets().set_index("target_id")
    assert t.loc["disability_prevalence_65plus", "value"] == 5.00  # 12,058 / 1,189,991 x 3.16 / 0.6403
    assert t.loc["disability_prevalence_0_14", "value"] == round(81_097 / 15_728_407 * 3.16 / (227_331 / 35_501_964), 2)
    for tid in DISABILITY_BY_AGE_SEX:
        r = tab.loc[tid]
        assert r["se"] > 0
        assert abs(r["estimate"] - r["target"]) <= 2 * r["se"], (tid, r["estimate"], r["target"], r["se"])
        assert r["within_tolerance"], tid
    # share of the disabled who are 65+: about 5%, as census 2017 Table 17 (12,058 / 227,331 = 5.3%), not ~40%
    h, p = survey
    w, d = p["weights"].to_numpy(), p["disability"].to_numpy(int)
    assert 0.03 < (w * d * (p["age"] >= 65)).sum() / (w * d).sum() < 0.08


def test_disability_follows_the_costings_age_profile_per_5_year_group(survey):
    """Each 5-year group reproduces census.disability_age_profile (the function behind the RAP scenarios)
    up to sampling discreteness: at most one sampled person's weight per sex cell."""
    from spf_analysis.data import census
    from spf_analysis.data import io
    h, p = survey
    prof = census.disability_age_profile(io.load("disability_census"), io.load("census_province_age_sex"), 0.0316)
    g = np.minimum(p["age"].to_numpy() // 5, 15) * 5
    w, d = p["weights"].to_numpy(), p["disability"].to_numpy(int)
    for a, rate in prof.items():
        m = g == a
        est = (w[m] * d[m]).sum() / w[m].sum()
        one_person = sum(w[m & (p["sex"] == s).to_numpy()].max() for s in ("male", "female")) / w[m].sum()
        assert abs(est - rate) <= one_person, (a, est, rate, one_person)
    # functional limitation: same pattern, mutually exclusive with disability, overall 8.38%
    fl = p["functional_limitation"].to_numpy(int)
    assert not (fl & d).any()
    assert ((w * fl)[g >= 65].sum() / w[g >= 65].sum()) > ((w * fl)[g < 15].sum() / w[g < 15].sum())


def test_disability_cell_rates_formula():
    """Known answer: group rate kept (weighted over sexes), male = rho x female, male overall = its target."""
    from spf_analysis.data import census
    from spf_analysis.data import io
    rng = np.random.default_rng(3)
    agi = np.repeat(np.arange(16), 40)
    sex = np.tile([0, 1], 320)
    w = rng.uniform(50, 150, len(agi))
    tg = pd.Series({"disability_prevalence": 3.16, "disability_prevalence_male": 3.38})
    r = synth.disability_cell_rates(agi, sex, w, tg)
    prof = census.disability_age_profile(io.load("disability_census"), io.load("census_province_age_sex"), 0.0316)
    for a in range(16):
        m = agi == a
        assert (w[m] * r[m]).sum() / w[m].sum() == pytest.approx(prof[5 * a], rel=1e-12)
    ratio = r[sex == 0][::20] / r[sex == 1][::20]
    assert np.allclose(ratio, ratio[0])
    assert (w * r)[sex == 0].sum() / w[sex == 0].sum() == pytest.approx(0.0338, rel=1e-9)


class _Tracking(dict):
    """A parameter dict that records which keys were read."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


def test_every_generator_parameter_is_used():
    # each value of params/survey_synthetic.yaml is read by the generator (no dead entries; and no
    # coefficient hides in the code: the model's numbers are the file's)
    p = _Tracking(synth.load_params())
    synth.generate(p)
    assert set(p) - p.read == set()


def test_every_generator_parameter_has_a_source_or_rationale(tmp_path):
    from spf_analysis.report import annex
    rows = annex.comment_rows(synth.PARAMS_FILE)
    assert {r["parameter"] for r in rows} == set(synth.load_params())
    bad = [r["parameter"] for r in rows if r["basis"] == annex.MISSING]
    assert not bad, f"parameters without a source or rationale in {synth.PARAMS_FILE.name}: {bad}"
    assumptions = [r for r in rows if r["source_or_rationale"].lower().startswith("assumption")]
    assert all(r["source_or_rationale"].lower().startswith("assumption:") for r in assumptions)
    # the check catches a value whose comment is removed
    text = synth.PARAMS_FILE.read_text(encoding="utf-8")
    cut = "\n".join(ln.split(" #", 1)[0] if ln.startswith("roster_parent_share:") else ln
                    for ln in text.splitlines())
    f = tmp_path / "survey_synthetic.yaml"
    f.write_text(cut, encoding="utf-8")
    assert [r["parameter"] for r in annex.comment_rows(f) if r["basis"] == annex.MISSING] == ["roster_parent_share"]


@pytest.mark.parametrize("content, message", [(None, "file not found"), (b"seed: [1\n", "invalid YAML"),
                                              (b"- 1\n", "expected a mapping")])
def test_bad_parameter_file_names_the_file(tmp_path, content, message):
    from spf_analysis.config.errors import FileKeyError
    f = tmp_path / "gen.yaml"
    if content is not None:
        f.write_bytes(content)
    with pytest.raises(FileKeyError, match=rf"gen\.yaml: {message}"):
        synth.load_params(f)
