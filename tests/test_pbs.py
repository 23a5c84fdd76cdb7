"""The PBS HIES reader: fixture files in the documented layout -> the processed survey schema."""

import numpy as np
import pandas as pd
import pytest

from spf_analysis.household import gaps
from spf_analysis.household import pbs
from spf_analysis.household import synth

# names for the codebook gaps, used only in these fixtures (the real codebooks keep them null)
TEST_CODEBOOKS_DIR = __import__("pathlib").Path(__file__).parent / "data" / "pbs"
FIXTURE_OVERRIDES = {
    "files": {"transfers": "sec_fixture_transfers.dta", "consumption": "poverty_fixture.dta"},
    "roster": {"age": "age", "sex": "sex"},  # the fixtures spell sex "sex" (PBS: s1aq04)
    "transfers": {"item": "code", "amount": "amount", "recall_months": 12,
                  "items": {"bisp": 901, "zakat": 902, "baitulmal": 903, "pension_civil": 904,
                            "pension_eobi": 905, "essi": 906}},
}
CODES = {"bisp": 901, "zakat": 902, "baitulmal": 903, "pension_civil": 904, "pension_eobi": 905, "essi": 906}


@pytest.fixture(scope="session")
def fixture_dir(tmp_path_factory):
    """Small .dta files in the HIES layout: plist, a consumption file, a transfers module.

    Built from 40 households of the synthetic survey plus 5 Punjab households (province 2)."""
    h, p = synth.generate()
    h = h.iloc[:640:16].copy()  # 40 households, one per PSU
    p = p[p["hhcode"].isin(h["hhcode"])]
    d = tmp_path_factory.mktemp("pbs")
    plist = pd.DataFrame({"hhcode": p["hhcode"], "idc": p["idc"], "age": p["age"],
                          "sex": np.where(p["sex"] == "male", 1, 2), "psu": p["psu"], "weights": p["weights"]})
    punjab = plist.iloc[:7].assign(hhcode=plist["hhcode"].iloc[:7] + 2_000_000_000)
    pd.concat([plist, punjab]).to_stata(d / "plist.dta", write_index=False)
    cons = pd.DataFrame({"hhcode": h["hhcode"], "peaexpM": h["cons_pae"], "eqadultM": h["adult_eq"],
                         "province": 1, "region": h["region"]})
    cons = pd.concat([cons, pd.DataFrame({"hhcode": punjab["hhcode"].unique(), "peaexpM": 5000.0,
                                          "eqadultM": 3.0, "province": 2, "region": 1})])
    cons.to_stata(d / "poverty_fixture.dta", write_index=False)
    rows = []
    for prog, (rc, ac, _) in synth.PROGRAMMES.items():
        for hc, a in zip(h["hhcode"], h[ac]):
            if a > 0:
                rows.append((hc, CODES[prog], a))
    pd.DataFrame(rows, columns=["hhcode", "code", "amount"]).to_stata(d / "sec_fixture_transfers.dta", write_index=False)
    return d, h, p


def test_reader_gives_the_processed_schema(fixture_dir):
    d, h, p = fixture_dir
    hh, per = pbs.read_round(d, "pbs-hies-2015-16", FIXTURE_OVERRIDES)
    assert list(hh.columns) == list(synth.HOUSEHOLD_SCHEMA)
    assert list(per.columns) == list(synth.PERSON_SCHEMA)
    assert len(hh) == 40 and set(hh["province"]) == {1}  # Punjab dropped
    assert (hh["stratum"] == synth.stratum_from_hhcode(hh["hhcode"])).all()
    src = h.set_index("hhcode").loc[hh["hhcode"]]
    np.testing.assert_allclose(hh["weights"], src["weights"])
    np.testing.assert_allclose(hh["amt_bisp"], src["amt_bisp"])
    np.testing.assert_allclose(hh["transfers_total"], src["transfers_total"])
    np.testing.assert_allclose(hh["cons_pae_pre"], src["cons_pae_pre"])
    assert (hh["hhsize"].to_numpy() == src["hhsize"].to_numpy()).all()


def test_chapter_03_functions_run_on_the_reader_output(fixture_dir):
    d, _, _ = fixture_dir
    hh, per = pbs.read_round(d, "pbs-hies-2015-16", FIXTURE_OVERRIDES)
    des = gaps.survey_design(hh, per, 3030.32)
    g = gaps.protection_gaps(des)
    assert "whole population (Sehat card)" not in set(g["group"])  # not in HIES: left out, not zero
    assert {"older persons 60+ (pension)", "children 0-14"} <= set(g["group"])
    assert g["se"].notna().all()
    a = gaps.aspire_by(des, "bisp", "quintile")
    assert set(a["indicator"]) == {"coverage", "adequacy", "benefit_incidence"}
    t = gaps.bisp_targeting(des)
    assert len(t) == 4


def test_codebook_gap_is_a_clear_error(fixture_dir):
    d, _, _ = fixture_dir
    # the real names are confirmed, but the fixtures spell sex "sex": the reader names the missing variable
    with pytest.raises(pbs.CodebookGap, match=r"variable\(s\) \['s1aq04'\] named in pbs-hies-2015-16.yaml not found"):
        pbs.read_round(d, "pbs-hies-2015-16", {"files": {"consumption": "poverty_fixture.dta"}})
    # with the fixture names, the reader stops at the first documented gap (no Bait-ul-Mal item in the transfers module)
    names = {k: v for k, v in FIXTURE_OVERRIDES.items() if k != "transfers"}
    with pytest.raises(pbs.CodebookGap, match=r"transfers\.items\.baitulmal' is not confirmed"):
        pbs.read_round(d, "pbs-hies-2015-16", names)


def test_unknown_round_and_missing_file(fixture_dir, tmp_path):
    with pytest.raises(pbs.CodebookGap, match="no codebook"):
        pbs.load_codebook("pbs-hies-1999-00")
    with pytest.raises(pbs.CodebookGap, match="file not found"):
        pbs.read_round(tmp_path, "pbs-hies-2015-16", FIXTURE_OVERRIDES)


def test_codebooks_confirmed_names():
    for r in pbs.ROUNDS:
        cb = pbs.load_codebook(r)
        assert cb["files"]["roster"] == "plist.dta"
        assert cb["ids"] == {"hhcode": "hhcode", "idc": "idc", "psu": "psu", "weights": "weights",
                             "province": "province", "region": "region"}
        assert cb["codes"]["province_kp"] == 1 and cb["codes"]["region"] == {1: "rural", 2: "urban"}
        assert cb["roster"]["age"] == "age" and cb["roster"]["sex"] == "s1aq04"
        assert cb["roster"]["relation"] == "s1aq02" and cb["roster"]["marital"] == "s1aq07"
        assert cb["transfers"]["recall_months"] == 12
    # World Bank SARMD programs of each round (sources in the codebooks)
    c15, c18 = (pbs.load_codebook(r) for r in ("pbs-hies-2015-16", "pbs-hies-2018-19"))
    assert (c15["files"]["transfers"], c15["transfers"]["item"], c15["transfers"]["amount"]) == ("sec_5a.dta", "itc", "value")
    assert (c18["files"]["transfers"], c18["transfers"]["item"], c18["transfers"]["amount"]) == ("sec_8a.dta", "code", "c02")
    assert (c15["transfers"]["items"]["bisp"], c15["transfers"]["items"]["zakat"]) == (818, 810)
    assert (c18["transfers"]["items"]["bisp"], c18["transfers"]["items"]["zakat"]) == (819, 811)
    assert (c18["files"]["employment"], c18["files"]["education"]) == ("sec_1b (2).dta", "sec_2ab.dta")
    assert c18["files"]["consumption"] == "CA_1819_sharing_v2.dta"
    # still not confirmed: kept null
    for cb in (c15, c18):
        assert cb["district"]["hhcode_divisor"] is None and cb["disability"] is None
        assert [p for p, v in cb["transfers"]["items"].items() if v is None] == ["baitulmal", "pension_civil", "pension_eobi", "essi"]


def _walk(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict) and v:
            yield from _walk(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v


@pytest.mark.parametrize("file", sorted(pbs.CODEBOOKS.glob("*.yaml")) + sorted(TEST_CODEBOOKS_DIR.glob("*.yaml")),
                         ids=lambda f: f"{f.parent.name}/{f.name}")
def test_every_non_null_codebook_entry_has_a_source(file):
    """Independent of pbs.check_codebook: each non-null name/code has a source citing a reference
    (repository@commit path, or URL) or stated as an assumption; null entries have none."""
    import yaml

    cb = yaml.safe_load(file.read_text(encoding="utf-8"))
    refs, sources = cb["references"], cb["sources"]
    assert all(("@" in r and "/" in r) or r.startswith(("https://", "tests/")) for r in refs.values())
    entries = dict(_walk({k: v for k, v in cb.items() if k not in ("round", "references", "sources")}))
    missing = [p for p, v in entries.items() if v is not None
               and not any(p == k or p.startswith(k + ".") for k in sources)]
    assert missing == []
    for key, text in sources.items():
        assert text.split(":", 1)[0] in set(refs) | {"assumption"}, key
        assert any(v is not None for p, v in entries.items() if p == key or p.startswith(key + ".")), key
    pbs.load_codebook(cb["round"], file=file)  # the reader's own check agrees


def test_codebook_provenance_check_rejects(tmp_path):
    import yaml

    src = pbs.CODEBOOKS / "pbs-hies-2018-19.yaml"
    base = yaml.safe_load(src.read_text(encoding="utf-8"))
    f = tmp_path / src.name

    def load(cb):
        f.write_text(yaml.safe_dump(cb), encoding="utf-8")
        return pbs.load_codebook("pbs-hies-2018-19", file=f)

    cb = yaml.safe_load(yaml.safe_dump(base))
    cb["district"]["hhcode_divisor"] = 100000  # filled without a source
    with pytest.raises(pbs.CodebookGap, match=r"'district\.hhcode_divisor' = 100000 has no source"):
        load(cb)
    cb = yaml.safe_load(yaml.safe_dump(base))
    cb["sources"]["transfers.items.essi"] = "WB-INC: somewhere"  # a source for a null entry
    with pytest.raises(pbs.CodebookGap, match=r"sources\.transfers\.items\.essi names no confirmed"):
        load(cb)
    cb = yaml.safe_load(yaml.safe_dump(base))
    cb["sources"]["roster.sex"] = "a blog said so"  # no reference id
    with pytest.raises(pbs.CodebookGap, match=r"sources\.roster\.sex must start with a reference id"):
        load(cb)
    cb = yaml.safe_load(yaml.safe_dump(base))
    cb["notes"] = "x"
    with pytest.raises(pbs.CodebookGap, match=r"unknown top-level key\(s\) \['notes'\]"):
        load(cb)
    # overrides (the user's own confirmed names) are merged after the check
    assert load(base) and pbs.load_codebook("pbs-hies-2018-19", {"roster": {"sex": "sex"}})["roster"]["sex"] == "sex"


# ----------------------------------------------------------------------------- the whole chapter on PBS-layout files

TEST_CODEBOOKS = __import__("pathlib").Path(__file__).parent / "data" / "pbs"


def _run_notebook_cells(nb_path, params: dict) -> dict:
    """Execute a notebook's code cells in-process (parameters injected after the tagged cell); returns the namespace."""
    import matplotlib

    matplotlib.use("Agg")
    import nbformat
    from IPython.display import display

    nb = nbformat.read(nb_path, as_version=4)
    ns = {"display": display, "__name__": "__notebook__"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, f"{nb_path.name}", "exec"), ns)  # noqa: S102 - our own notebook
        if "parameters" in cell.metadata.get("tags", []):
            ns.update(params)
    return ns


def test_chapter_03_end_to_end_on_pbs_layout_files(fixture_dir, tmp_path, monkeypatch):
    """PBS-layout .dta files -> `python -m spf_analysis.household.pbs` (test codebook with the gaps filled) ->
    survey tables in a temporary processed dir -> every cell of notebook 03 -> outputs labelled PBS, not synthetic."""
    import yaml

    from spf_analysis.report import exhibits as outputs
    from spf_analysis.config import paths

    import shutil

    d, h, _ = fixture_dir
    processed = tmp_path / "processed"
    processed.mkdir()
    # chapter 03 also reads tables that do not come from the survey (Sehat card use, census total, the published
    # SDG 1.3.1 anchors, the scheme inventory)
    non_survey = [paths.PROCESSED / f"{t}.parquet" for t in ("sehat_utilisation", "census_district_totals",
                                                             "sdg131_anchors", "schemes")]
    for f in non_survey:
        shutil.copy(f, processed)
    monkeypatch.setattr(paths, "PROCESSED", processed)
    # the real codebook stops at its documented gaps; the test codebook (tests/data/pbs) fills them
    with pytest.raises(pbs.CodebookGap):
        pbs.read_round(d, "pbs-hies-2018-19")
    monkeypatch.setattr(pbs, "CODEBOOKS", TEST_CODEBOOKS)
    assert pbs.main(["pbs-hies-2018-19", str(d)]) == 0
    assert (processed / "survey_source.txt").read_text().strip() == "pbs-hies-2018-19"
    from spf_analysis.config.params import load_values

    params = load_values("03_coverage_gaps")
    ns = _run_notebook_cells(paths.NOTEBOOKS / "03_coverage_gaps.ipynb", params)
    assert ns["survey_source"] == "pbs-hies-2018-19" and ns["synthetic"] is False
    assert len(ns["households"]) == 40
    assert ns["SRC"].startswith("PBS pbs-hies-2018-19 microdata")
    out = tmp_path / "outputs" / "tables"  # conftest points SPF_OUTPUT_DIR at tmp_path / "outputs"
    gaps_csv = pd.read_csv(out / "03_protection_gaps.csv")
    assert len(gaps_csv) > 0 and (gaps_csv["unit"] == "percent").all()
    text = "".join(f.read_text(encoding="utf-8", errors="ignore") for f in out.glob("03_*.csv"))
    assert outputs.SYNTHETIC_NOTICE[:40] not in text
    assert not (out / "03_calibration.csv").exists()  # the synthetic survey's calibration table is not shown
    index = pd.read_csv(out / "03_index.csv")
    assert len(index) >= 5 and not index["synthetic"].astype(bool).any()
    # the same chapter on the synthetic survey is labelled synthetic
    monkeypatch.undo()
    hs, ps = synth.generate()  # reads the census tables of the real data/processed
    monkeypatch.setenv("SPF_OUTPUT_DIR", str(tmp_path / "outputs"))
    monkeypatch.setattr(paths, "PROCESSED", tmp_path / "processed_synth")
    paths.PROCESSED.mkdir()
    for f in non_survey:
        shutil.copy(f, paths.PROCESSED)
    synth.write_survey(hs, ps, "synthetic")
    ns = _run_notebook_cells(paths.NOTEBOOKS / "03_coverage_gaps.ipynb", params)
    assert ns["synthetic"] is True and ns["ch"].synthetic is True
    idx = pd.read_csv(out / "03_index.csv")
    survey_based = idx["name"] != "sehat_utilisation"  # the Sehat table: administrative counts and benchmarks
    assert idx.loc[survey_based, "synthetic"].astype(bool).all()
    assert not idx.loc[~survey_based, "synthetic"].astype(bool).any()


def test_load_survey_without_source_record_stops(tmp_path, monkeypatch):
    """Tables without their source record are not silently labelled (neither synthetic nor PBS)."""
    from spf_analysis.config import paths

    h, p = synth.generate()
    monkeypatch.setattr(paths, "PROCESSED", tmp_path)
    synth.write_survey(h.iloc[:50], p[p["hhcode"].isin(h["hhcode"].iloc[:50])], "synthetic")
    (tmp_path / "survey_source.txt").unlink()
    with pytest.raises(FileNotFoundError, match="survey_source.txt"):
        synth.load_survey()
