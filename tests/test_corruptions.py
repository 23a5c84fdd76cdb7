"""Bad input: corruptions of the real raw files (and of the parameter files).

Each case corrupts one file in a temporary copy of the tree, runs the real
entry points as subprocesses (``make data`` = ``python -m spf_analysis.data.io --verify``:
the manifest check, then the tables; ``python -m spf_analysis.build``
for notebook parameters; ``python -m spf_analysis.report.assemble`` for the report
meta), and checks: non-zero exit, a message naming the file (and, where the
file has cells, the column and the CSV line), and ``data/processed/`` and
``reports/`` byte-identical before and after.

Content corruptions re-record the checksums first (as a maintainer would with
``manifest update``) so that the schema checks, not the manifest, must catch
them; the manifest cases leave the checksums as they are.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from spf_analysis.config import paths

RAW = "data/raw"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A copy of the package, raw and processed data, params and notebooks;
    reports/ holds a sentinel file (the check is that nothing in it changes)."""
    root = tmp_path_factory.mktemp("pristine")
    shutil.copytree(paths.ROOT / "spf_analysis", root / "spf_analysis",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for d in ("data/raw", "params", "notebooks"):
        shutil.copytree(paths.ROOT / d, root / d)
    (root / "data/processed").mkdir(parents=True)
    for p in sorted(paths.PROCESSED.glob("*.parquet")):
        shutil.copy2(p, root / "data/processed" / p.name)
    (root / "reports/notebooks").mkdir(parents=True)
    (root / "reports/sentinel.txt").write_text("reports before the run\n")
    ex = paths.REPORT_NOTEBOOKS / "01_demographic_profile.ipynb"
    if ex.exists():
        shutil.copy2(ex, root / "reports/notebooks" / ex.name)
    return root


@pytest.fixture
def tree(pristine, tmp_path):
    t = tmp_path / "tree"
    shutil.copytree(pristine, t, symlinks=True)
    return t


def snapshot(root: Path) -> dict:
    out = {}
    for d in ("data/processed", "reports"):
        for p in sorted((root / d).rglob("*")):
            if p.is_file():
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def make_data(root: Path) -> subprocess.CompletedProcess:
    return run(root, "spf_analysis.data.io", "--verify")


def edit_line(root, rel, line, old, new):
    f = root / rel
    lines = f.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1], (rel, line, lines[line - 1][:200])
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    f.write_text("\n".join(lines), encoding="utf-8")


def line_of(root, rel, startswith):
    lines = (root / rel).read_text(encoding="utf-8").split("\n")
    return next(n for n, l in enumerate(lines, 1) if l.startswith(startswith))


MACRO = f"{RAW}/macro/pakistan_kp_macro_fiscal.csv"
POV = f"{RAW}/poverty/poverty_indicators.csv"
SCHEMES = f"{RAW}/schemes/schemes.csv"
FACTS = f"{RAW}/schemes/scheme_facts.csv"
SERIES = f"{RAW}/schemes/scheme_series.csv"
CLASS = f"{RAW}/schemes/scheme_classification.csv"
DIST = f"{RAW}/district/district_indicators.csv"
ALIAS = f"{RAW}/district/district_name_aliases.csv"
LAB = f"{RAW}/labour/kp_labour.csv"
DIS = f"{RAW}/disability/kp_disabled_population_age_sex_2017.csv"
AGE = f"{RAW}/census/kp_population_age_sex.csv"
WPP_MX = f"{RAW}/un_wpp/wpp2019_pakistan_mxM.tsv"
WPP_POP = f"{RAW}/un_wpp/wpp2019_pakistan_popF.tsv"
WPP_POP_PROJ = f"{RAW}/un_wpp/wpp2019_pakistan_popMprojMed.tsv"
WPP_ASFR = f"{RAW}/un_wpp/wpp2019_pakistan_percentASFR.tsv"
WPP_TFR = f"{RAW}/un_wpp/wpp2019_pakistan_tfrprojMed.tsv"


def _header(root, rel, old, new):
    edit_line(root, rel, 1, old, new)
    return 1


# each case: (id, corrupt(root) -> line or None, file, column or None, message fragment)
def c_missing_column(r): _header(r, MACRO, ",value,", ",val,")
def c_wrong_type(r): edit_line(r, MACRO, 2, ",231.1,", ",231.1bn,"); return 2
def c_negative_count(r): edit_line(r, DIS, 3, ",15006,", ",-15006,"); return 3
def c_duplicate_key(r):
    f = r / SCHEMES; lines = f.read_text(encoding="utf-8").split("\n")
    f.write_text("\n".join(lines[:2] + [lines[1]] + lines[2:]), encoding="utf-8"); return 3
def c_unknown_district(r): edit_line(r, DIST, 2, "Abbottabad,", "Abbotabad,"); return 2
def c_nan_in_key(r): edit_line(r, FACTS, 2, "F001,", ","); return 2
def c_wrong_encoding(r):
    f = r / POV; f.write_bytes(f.read_bytes().replace("poverty line".encode(), b"poverty l\xefne", 1) if b"poverty line" in f.read_bytes() else f.read_bytes().replace(b"official", b"offici\xe4l", 1))
def c_truncated(r):
    f = r / SCHEMES; b = f.read_bytes(); f.write_bytes(b[: len(b) // 2])
def c_empty_file(r): (r / POV).write_bytes(b"")
def c_out_of_range(r): edit_line(r, DIST, 2, ",2014,", ",1890,"); return 2
def c_malformed_date(r):
    n = line_of(r, MACRO, "gdp_nominal_usd,Pakistan,2012-13"); edit_line(r, MACRO, n, "2012-13", "2012/13"); return n
def c_fiscal_year_gap(r):
    n = line_of(r, POV, "poverty_line_cbn,Pakistan,2013-14"); edit_line(r, POV, n, "2013-14", "2013-15"); return n
def c_unknown_fact_ref(r): edit_line(r, SCHEMES, 2, "F001;F002;F010", "F001;F902;F010"); return 2
def c_fact_other_scheme(r):
    n = line_of(r, SERIES, "S01,F005,"); edit_line(r, SERIES, n, "S01,F005,", "S02,F005,"); return n
def c_conflict_no_choice(r):
    n = line_of(r, SERIES, "S24,F094,Sahara card,Khyber Pakhtunkhwa,2025,benefit_amount,10000")
    edit_line(r, SERIES, n, ",month,false,", ",month,,"); return n
def c_two_chosen(r):
    n = line_of(r, POV, "mpi_headcount,Khyber Pakhtunkhwa,2014-15,50.7")
    edit_line(r, POV, n, ",false,", ",true,")
def c_bad_url(r):
    n = line_of(r, MACRO, "gdp_nominal_usd,Pakistan,2012-13")
    edit_line(r, MACRO, n, "https://www.rbi.org.in", "www.rbi.org.in"); return n
def c_unknown_geography(r):
    n = line_of(r, MACRO, "kp_budget_total_outlay,Khyber Pakhtunkhwa,2013-14")
    edit_line(r, MACRO, n, "Khyber Pakhtunkhwa", "Khyber Pakhtunkwa"); return n
def c_unknown_type(r): edit_line(r, CLASS, 2, "social_assistance", "social_assistence"); return 2
def c_unclassified(r):
    f = r / CLASS; lines = f.read_text(encoding="utf-8").split("\n")
    f.write_text("\n".join([l for l in lines if not l.startswith("S32,")]), encoding="utf-8")
def c_benefit_no_period(r):
    n = line_of(r, SERIES, "S01,F013,"); edit_line(r, SERIES, n, ",quarter,", ",,"); return n
def c_negative_spending(r):
    n = line_of(r, SERIES, "S01,F011,"); edit_line(r, SERIES, n, ",72,", ",-72,"); return n
def c_unknown_age_group(r): edit_line(r, AGE, 3, ",00-04,", ",00-05,"); return 3
def c_unknown_confidence(r): edit_line(r, LAB, 2, ",medium", ",certain"); return 2
def c_alias_unknown_unit(r): edit_line(r, ALIAS, 2, "Bajaur Agency,Bajaur,", "Bajaur Agency,Bajaure,"); return 2
def c_not_a_whole_number(r): edit_line(r, DIS, 3, ",15006,", ",15006.5,"); return 3
# UN WPP 2019 extracts read by the projection (model.demography), checked by `make data` too
def c_wpp_not_a_number(r): edit_line(r, WPP_MX, 3, "\t0.0297\t", "\t0.0297x\t"); return 3
def c_wpp_negative_population(r): edit_line(r, WPP_POP, 2, "\t2780.259\t", "\t-2780.259\t"); return 2
def c_wpp_unknown_age(r): edit_line(r, WPP_POP_PROJ, 2, "\t0-4\t", "\t0-5\t"); return 2
def c_wpp_missing_age(r):
    f = r / WPP_ASFR; lines = f.read_text(encoding="utf-8").split("\n")
    f.write_text("\n".join(l for l in lines if "\t45-49\t" not in l), encoding="utf-8")
def c_wpp_missing_period(r): _header(r, WPP_TFR, "\t2050-2055\t", "\t2050-2056\t")
def c_duplicate_fact(r):
    f = r / FACTS; lines = f.read_text(encoding="utf-8").split("\n")
    f.write_text("\n".join(lines[:3] + [lines[2]] + lines[3:]), encoding="utf-8"); return 4
# header-only and truncated tables, non-finite and implausible values (they used to pass)
def c_header_only(r):
    f = r / AGE; f.write_text(f.read_text(encoding="utf-8").split("\n")[0] + "\n", encoding="utf-8"); return 2
def c_census_truncated(r):
    f = r / AGE; lines = f.read_text(encoding="utf-8").split("\n")
    f.write_text("\n".join(lines[:409]) + "\n", encoding="utf-8")
def c_gdp_inf(r):
    n = line_of(r, MACRO, "gdp_nominal_pkr,Pakistan,2023-24"); edit_line(r, MACRO, n, ",106.045,", ",inf,"); return n
def c_gdp_negative(r):
    n = line_of(r, MACRO, "gdp_nominal_pkr,Pakistan,2023-24"); edit_line(r, MACRO, n, ",106.045,", ",-106.045,"); return n
def c_population_1e20(r): edit_line(r, AGE, 3, ",4634029,", ",1e20,"); return 3
def c_required_indicator_missing(r):
    f = r / MACRO; lines = f.read_text(encoding="utf-8").split("\n")
    f.write_text("\n".join(l for l in lines if not l.startswith("kp_own_receipts,")), encoding="utf-8")


CONTENT = [
    (c_missing_column, MACRO, "value", "missing column"),
    (c_wrong_type, MACRO, "value", "not a number"),
    (c_negative_count, DIS, "population", "below the minimum"),
    (c_duplicate_key, SCHEMES, "scheme_id", "duplicate key"),
    (c_unknown_district, DIST, "district", "not a known district"),
    (c_nan_in_key, FACTS, "fact_id", "empty or missing"),
    (c_wrong_encoding, POV, None, "not valid UTF-8"),
    (c_truncated, SCHEMES, None, ""),
    (c_empty_file, POV, None, "cannot be parsed"),
    (c_out_of_range, DIST, "year_label", "below the minimum"),
    (c_malformed_date, MACRO, "period", "neither a fiscal year"),
    (c_fiscal_year_gap, POV, "period", "second year must follow"),
    (c_unknown_fact_ref, SCHEMES, "beneficiaries_kp_facts", "not a known fact id"),
    (c_fact_other_scheme, SERIES, "fact_id", "belongs to scheme"),
    (c_conflict_no_choice, SERIES, "chosen", "conflicting values"),
    (c_two_chosen, POV, "chosen", "expected exactly 1"),
    (c_bad_url, MACRO, "source_url", "not a web address"),
    (c_unknown_geography, MACRO, "geography", "unknown value"),
    (c_unknown_type, CLASS, "sp_type", "unknown value"),
    (c_unclassified, CLASS, "scheme_id", "not classified"),
    (c_benefit_no_period, SERIES, "benefit_period", "needs its benefit_period"),
    (c_negative_spending, SERIES, "value", "below the minimum"),
    (c_unknown_age_group, AGE, "age_group", "unknown value"),
    (c_unknown_confidence, LAB, "confidence", "unknown value"),
    (c_alias_unknown_unit, ALIAS, "unit", "not a known census unit"),
    (c_not_a_whole_number, DIS, "population", "whole number"),
    (c_duplicate_fact, FACTS, "fact_id", "duplicate key"),
    (c_wpp_not_a_number, WPP_MX, "1950-1955", "not a number"),
    (c_wpp_negative_population, WPP_POP, "1950", "below the minimum"),
    (c_wpp_unknown_age, WPP_POP_PROJ, "age", "unknown value"),
    (c_wpp_missing_age, WPP_ASFR, "age", "missing row(s) for ['45-49']"),
    (c_wpp_missing_period, WPP_TFR, "2050-2055", "missing column"),
    (c_header_only, AGE, None, "no data rows (the file holds only its header)"),
    (c_census_truncated, AGE, "geography,year,age_group,sex,urban_rural",
     "no row for geography='Khyber Pakhtunkhwa incl. ex-FATA (38 units, 2017 boundaries)' "
     "(kp_merged_2017), year=2017, age_group="),
    (c_gdp_inf, MACRO, "value", "not a finite number: 'inf'"),
    (c_gdp_negative, MACRO, "value", "gdp_nominal_pkr = -106.045 PKR trillion is below the plausible minimum 1 "
     "(params/input_bounds.csv line"),
    (c_population_1e20, AGE, "population", "value '1e20' is above the maximum 300000000"),
    (c_required_indicator_missing, MACRO, "indicator,geography",
     "no row for indicator='kp_own_receipts', geography='Khyber Pakhtunkhwa' (read by spf_analysis.model.macro)"),
]


@pytest.mark.parametrize("corrupt, rel, column, message", CONTENT,
                         ids=[c[0].__name__[2:] for c in CONTENT])
def test_content_corruption(tree, corrupt, rel, column, message):
    before = snapshot(tree)
    line = corrupt(tree)
    assert run(tree, "spf_analysis.data.manifest", "update").returncode == 0
    r = make_data(tree)
    assert r.returncode != 0, r.stdout
    err = r.stderr
    assert rel in err, err
    assert message in err, err
    if column is not None:
        assert f"column '{column}'" in err, err
    if line is not None:
        assert f"line {line}" in err, err
    assert "Traceback" not in err, err
    assert snapshot(tree) == before


def test_checksum_mismatch_one_byte(tree):
    before = snapshot(tree)
    f = tree / MACRO
    b = bytearray(f.read_bytes()); b[-2] = ord("7") if b[-2] != ord("7") else ord("8")
    f.write_bytes(bytes(b))
    r = make_data(tree)
    assert r.returncode != 0 and MACRO in r.stderr and "checksum" in r.stderr, r.stderr
    assert snapshot(tree) == before


def test_file_not_in_manifest(tree):
    before = snapshot(tree)
    (tree / RAW / "macro" / "extra.csv").write_text("a,b\n1,2\n")
    r = make_data(tree)
    assert r.returncode != 0 and "macro/extra.csv" in r.stderr and "not in the manifest" in r.stderr
    assert snapshot(tree) == before


def test_listed_file_missing(tree):
    before = snapshot(tree)
    (tree / POV).unlink()
    r = make_data(tree)
    assert r.returncode != 0 and "poverty/poverty_indicators.csv" in r.stderr and "missing" in r.stderr
    assert snapshot(tree) == before


# ------------------------------------------------------------------ YAML keys
NB = "01_demographic_profile"


def _yaml_case(tree, text):
    before = snapshot(tree)
    (tree / "params" / f"{NB}.yaml").write_text(text, encoding="utf-8")
    r = run(tree, "spf_analysis.build", NB)
    assert r.returncode != 0
    assert f"params/{NB}.yaml" in r.stderr, r.stderr
    assert snapshot(tree) == before
    return r.stderr


def test_yaml_misspelled_key(tree):
    text = (tree / "params" / f"{NB}.yaml").read_text()
    err = _yaml_case(tree, text.replace("top_districts:", "top_district:", 1))
    assert "unknown parameter 'top_district'" in err and "did you mean 'top_districts'" in err


def test_yaml_unknown_key(tree):
    text = (tree / "params" / f"{NB}.yaml").read_text()
    err = _yaml_case(tree, text + "\nno_such_parameter:\n  value: 3\n  type: int\n  unit: rows\n  rationale: typo\n")
    assert "unknown parameter 'no_such_parameter'" in err


def test_yaml_wrong_type(tree):
    text = (tree / "params" / f"{NB}.yaml").read_text()
    assert "  value: 10\n" in text
    err = _yaml_case(tree, text.replace("  value: 10\n", "  value: ten\n", 1))
    assert "top_districts: should be int" in err


def test_yaml_not_yaml(tree):
    err = _yaml_case(tree, "top_districts: [1, 2\n")
    assert "invalid YAML" in err


def test_report_meta_unknown_key(tree):
    before = snapshot(tree)
    f = tree / "params" / "report.yaml"
    f.write_text(f.read_text() + "\nsubtitel: typo\n", encoding="utf-8")
    r = run(tree, "spf_analysis.report.assemble", f"reports/notebooks/{NB}.ipynb")
    assert r.returncode != 0 and "params/report.yaml" in r.stderr and "subtitel" in r.stderr, r.stderr
    assert snapshot(tree) == before
