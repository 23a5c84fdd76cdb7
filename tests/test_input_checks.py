"""Bad input that used to pass, or failed with the wrong message: header-only and truncated
tables, incomplete census grids, non-finite and implausible numbers, duplicate YAML keys,
unsafe YAML tags, unreadable .dta files and sizes that would exhaust memory.

Each case builds a small bad input in ``tmp_path`` (from the real raw file where there is one)
and checks the exact message: file, column, line and what is wrong.
"""

from __future__ import annotations

import csv
import io as _stdio

import pandas as pd
import pytest

from spf_analysis.config import params, paths
from spf_analysis.config.errors import FileKeyError, parse_yaml, read_yaml
from spf_analysis.config.parameters import ParameterError, read_declared
from spf_analysis.data import io
from spf_analysis.household import pbs, synth

AGE = paths.RAW / "census" / "kp_population_age_sex.csv"
MACRO = paths.RAW / "macro" / "pakistan_kp_macro_fiscal.csv"
POV = paths.RAW / "poverty" / "poverty_indicators.csv"
PDHS = paths.RAW / "demography" / "pdhs_total_fertility.csv"
SEVERITY = io.DISABILITY_SEVERITY_FILE
HEALTH = paths.RAW / "health" / "health_costing.csv"
FISCAL = paths.RAW / "fiscal" / "fiscal_space_yields.csv"
TARGETS = paths.RAW / "survey_targets" / "kp_calibration_targets.csv"
MERGED = "Khyber Pakhtunkhwa incl. ex-FATA (38 units, 2017 boundaries)"


def rows(file):
    """The raw file as a list of CSV rows (header first), to edit cell by cell."""
    return list(csv.reader(_stdio.StringIO(file.read_text(encoding="utf-8"))))


def write(path, table):
    buf = _stdio.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(table)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def find(table, **cells):
    """CSV line (header = 1) of the first row whose named cells equal ``cells``."""
    head = table[0]
    for n, r in enumerate(table[1:], start=2):
        if all(r[head.index(k)] == v for k, v in cells.items()):
            return n
    raise AssertionError(f"no row {cells}")


def set_cell(table, line, column, value):
    table[line - 1][table[0].index(column)] = value


def raises(fn, *args, **kw) -> io.InputError:
    with pytest.raises(io.InputError) as e:
        fn(*args, **kw)
    return e.value


# ------------------------------------------------------------------ empty and truncated tables
def test_header_only_table(tmp_path):
    f = write(tmp_path / "kp_population_age_sex.csv", rows(AGE)[:1])
    e = raises(io.read_province_age_sex, f)
    assert str(e) == f"{f}, line 2: no data rows (the file holds only its header)"
    assert (e.column, e.line) == (None, 2)


@pytest.mark.parametrize("reader, src", [
    (io.read_macro_indicators, MACRO), (io.read_poverty_indicators, POV), (io.read_pdhs_tfr, PDHS),
    (io.read_disability_severity, SEVERITY), (io.read_fiscal_space_indicators, FISCAL),
    (io.read_district_totals, paths.RAW / "census" / "district_population.csv"),
    (io.read_crosswalk, paths.RAW / "census" / "district_crosswalk_2017_2023.csv"),
    (synth.read_targets, TARGETS),
])
def test_every_reader_refuses_a_header_only_table(tmp_path, reader, src):
    f = write(tmp_path / src.name, rows(src)[:1])
    assert "no data rows" in str(raises(reader, f))


def test_census_cell_missing(tmp_path):
    t = rows(AGE)
    n = find(t, geography=MERGED, age_group="05-09", sex="female", urban_rural="rural")
    f = write(tmp_path / "kp_population_age_sex.csv", t[:n - 1] + t[n:])
    e = raises(io.read_province_age_sex, f)
    assert str(e) == (f"{f}, column 'geography,year,age_group,sex,urban_rural': no row for "
                      f"geography='{MERGED}' (kp_merged_2017), year=2017, age_group='05-09', "
                      "sex='female', urban_rural='rural'")


def test_census_truncated_at_a_line_boundary(tmp_path):
    """The first 300 of 816 rows: every row well-formed; ex-FATA incomplete, two geographies absent."""
    t = rows(AGE)
    f = write(tmp_path / "kp_population_age_sex.csv", t[:301])
    e = raises(io.read_province_age_sex, f)
    assert "no row for geography='Ex-FATA (7 agencies + 6 FRs; now merged districts of KP)' " \
           "(ex_fata_2017), year=2017, age_group='All ages', sex='both (incl. transgender)', " \
           "urban_rural='urban'" in str(e)


def test_census_geography_missing(tmp_path):
    """The tester's case: kp_merged_2017 gone (notebook 01 then failed with KeyError)."""
    t = rows(AGE)
    g = t[0].index("geography")
    f = write(tmp_path / "kp_population_age_sex.csv", [r for r in t if r[g] != MERGED])
    assert f"no row for geography='{MERGED}' (kp_merged_2017), year=2017, age_group='All ages'" \
        in str(raises(io.read_province_age_sex, f))


def test_district_census_cell_missing(tmp_path):
    src = paths.RAW / "census" / "kp_district_population_age_sex.csv"
    t = rows(src)
    n = find(t, geography="Bannu", year="2023", age_group="75+", sex="male", urban_rural="urban")
    f = write(tmp_path / src.name, t[:n - 1] + t[n:])
    assert str(raises(io.read_district_age_sex, f)).endswith(
        "no row for geography='Bannu', year=2023, age_group='75+', sex='male', urban_rural='urban'")


def test_disability_census_cell_missing(tmp_path):
    src = paths.RAW / "disability" / "kp_disabled_population_age_sex_2017.csv"
    t = rows(src)
    n = find(t, geography=MERGED, age_group="65-69", sex="transgender", urban_rural="total")
    f = write(tmp_path / src.name, t[:n - 1] + t[n:])
    assert str(raises(io.read_disability_census, f)).endswith(
        f"no row for geography='{MERGED}' (kp_merged_2017), year=2017, age_group='65-69', "
        "sex='transgender', urban_rural='total'")


def test_wpp_period_and_age_complete(tmp_path):
    """WPP: every age row and every period column (the checks that were there already)."""
    src = io.wpp2019_file("mxF")
    lines = src.read_text(encoding="utf-8").split("\n")
    f = tmp_path / src.name
    f.write_text("\n".join(l for l in lines if not l.split("\t")[2:3] == ["85"]), encoding="utf-8")
    e = raises(io.read_wpp2019, "mxF", f)
    assert (e.column, str(e).endswith("missing row(s) for [85]")) == ("age", True)


# ------------------------------------------------------------------ finite numbers
@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "Infinity", "1e400"])
def test_gdp_not_finite(tmp_path, text):
    t = rows(MACRO)
    n = find(t, indicator="gdp_nominal_pkr", period="2023-24")
    set_cell(t, n, "value", text)
    f = write(tmp_path / MACRO.name, t)
    e = raises(io.read_macro_indicators, f)
    assert str(e) == f"{f}, column 'value', line {n}: not a finite number: '{text}'"


def test_population_inf(tmp_path):
    t = rows(AGE)
    set_cell(t, 3, "population", "inf")
    f = write(tmp_path / AGE.name, t)
    assert str(raises(io.read_province_age_sex, f)) == \
        f"{f}, column 'population', line 3: not a finite number: 'inf'"


def test_population_1e20_is_above_the_maximum_not_below_the_minimum(tmp_path):
    t = rows(AGE)
    set_cell(t, 4, "population", "1e20")
    f = write(tmp_path / AGE.name, t)
    assert str(raises(io.read_province_age_sex, f)) == \
        f"{f}, column 'population', line 4: value '1e20' is above the maximum 300000000"


def test_whole_number_too_large_without_a_maximum(tmp_path):
    f = tmp_path / "n.csv"
    f.write_text("n\n5\n1e20\n", encoding="utf-8")
    e = raises(io.read_csv, f, io.Schema("counts", (io.Col("n", "int", min=0),)))
    assert str(e) == (f"{f}, column 'n', line 3: value '1e20' is too large for a whole number "
                      "(limit 9,007,199,254,740,992)")


def test_survey_targets_population(tmp_path):
    t = rows(TARGETS)
    n = find(t, target_id="population_total")
    set_cell(t, n, "value", "inf")
    f = write(tmp_path / TARGETS.name, t)
    assert str(raises(synth.read_targets, f)) == f"{f}, column 'value', line {n}: not a finite number: 'inf'"
    set_cell(t, n, "value", "1e20")
    write(f, t)
    e = raises(synth.read_targets, f)
    assert str(e).startswith(f"{f}, column 'value', line {n}: population_total = 1e+20 persons is "
                             "above the plausible maximum 300,000,000 (params/input_bounds.csv line ")
    assert "below Pakistan's population (241.5 million)" in str(e)


# ------------------------------------------------------------------ plausible ranges
def test_negative_gdp(tmp_path):
    t = rows(MACRO)
    n = find(t, indicator="gdp_nominal_pkr", period="2023-24")
    set_cell(t, n, "value", "-106.045")
    f = write(tmp_path / MACRO.name, t)
    bline = find(rows(io.BOUNDS_FILE), indicator="gdp_nominal_pkr", unit="PKR trillion")
    e = raises(io.read_macro_indicators, f)
    assert str(e).startswith(
        f"{f}, column 'value', line {n}: gdp_nominal_pkr = -106.045 PKR trillion is below the "
        f"plausible minimum 1 (params/input_bounds.csv line {bline}: Pakistan's nominal GDP: ")
    assert (e.column, e.line) == ("value", n)


def test_share_above_100(tmp_path):
    t = rows(POV)
    n = find(t, indicator="poverty_headcount_cbn", geography="Khyber Pakhtunkhwa")
    set_cell(t, n, "value", "270")
    f = write(tmp_path / POV.name, t)
    assert "poverty_headcount_cbn = 270 percent of population is above the plausible maximum 100 " \
           "(params/input_bounds.csv line" in str(raises(io.read_poverty_indicators, f))


def test_indicator_without_a_bound(tmp_path):
    t = rows(MACRO)
    set_cell(t, 2, "indicator", "gdp_nominal_pkr_typo")
    f = write(tmp_path / MACRO.name, t)
    e = raises(io.read_macro_indicators, f)
    assert str(e) == (f"{f}, column 'indicator', line 2: indicator 'gdp_nominal_pkr_typo' in unit "
                      f"'{t[1][t[0].index('unit')]}' has no plausible range in params/input_bounds.csv "
                      "(add a row: indicator, unit, min, max, rationale)")


def test_bounds_registry_covers_every_indicator_of_the_raw_tables():
    bounds = io.read_bounds()
    need = set()
    for f in (MACRO, POV, PDHS, SEVERITY, HEALTH, FISCAL, io.SEHAT_UTILISATION_FILE, io.SDG131_ANCHORS_FILE):
        d = pd.read_csv(f, dtype=str, keep_default_na=False)
        need |= set(zip(d["indicator"], d["unit"]))
    d = pd.read_csv(TARGETS, dtype=str, keep_default_na=False)
    need |= set(zip(d["target_id"], d["unit"]))
    assert sorted(need - set(bounds)) == []
    assert sorted(set(bounds) - need) == []  # no stale entries either
    assert all(b["rationale"].strip() and b["min"] <= b["max"] for b in bounds.values())


def test_bounds_registry_is_checked(tmp_path):
    f = tmp_path / "bounds.csv"
    f.write_text("indicator,unit,min,max,rationale\nx,percent,100,0,typo\n", encoding="utf-8")
    assert str(raises(io.read_bounds, f)) == f"{f}, column 'min', line 2: min 100 is above max 0"


# ------------------------------------------------------------------ indicators the consumers read
def test_indicator_the_model_reads_is_missing(tmp_path):
    t = rows(MACRO)
    i = t[0].index("indicator")
    f = write(tmp_path / MACRO.name, [r for r in t if r[i] != "gdp_nominal_pkr"])
    assert str(raises(io.read_macro_indicators, f)) == (
        f"{f}, column 'indicator,geography': no row for indicator='gdp_nominal_pkr', "
        "geography='Pakistan' (read by spf_analysis.model.macro)")


def test_pdhs_kp_rate_missing(tmp_path):
    t = rows(PDHS)
    g = t[0].index("geography")
    f = write(tmp_path / PDHS.name, [r for r in t if r[g] != "Khyber Pakhtunkhwa"])
    assert str(raises(io.read_pdhs_tfr, f)).endswith(
        "no row for indicator='total_fertility_rate', geography='Khyber Pakhtunkhwa' "
        "(read by spf_analysis.model.demography.survey_tfr_ratio)")


def test_required_indicators_cover_what_the_model_reads():
    from spf_analysis.model import macro

    assert set(macro.INDICATOR_MAP.values()) <= set(io.MACRO_REQUIRED)
    choices = read_yaml(paths.PARAMS / "policy" / "macro.yaml")
    named = {v["indicator"] for v in _walk(choices) if isinstance(v, dict) and "indicator" in v}
    assert named and {ind for ind, _ in io.MACRO_REQUIRED} >= named


def _walk(node):
    yield node
    if isinstance(node, dict):
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


# ------------------------------------------------------------------ YAML
def test_duplicate_yaml_key(tmp_path):
    text = (paths.PARAMS / "survey_synthetic.yaml").read_text(encoding="utf-8")
    f = tmp_path / "survey_synthetic.yaml"
    f.write_text(text + "seed: 1\n", encoding="utf-8")
    last = len(text.split("\n"))
    with pytest.raises(FileKeyError) as e:
        synth.load_params(f)
    assert str(e.value) == f"{f}: line {last}: duplicate key 'seed' (first given at line 5)"


def test_duplicate_key_in_a_declared_parameter(tmp_path):
    f = tmp_path / "04_costing_options.yaml"
    f.write_text("n_draws:\n  value: 10\n  type: int\n  value: 20\n  unit: draws\n  rationale: r\n")
    with pytest.raises(ParameterError) as e:
        read_declared(f)
    assert str(e.value) == f"{f}: line 4: duplicate key 'value' (first given at line 2)"


def test_yaml_merge_keys_may_repeat():
    assert parse_yaml("a: &x {k: 1}\nb:\n  <<: *x\n  k: 2\n") == {"a": {"k": 1}, "b": {"k": 2}}


UNSAFE = 'shell: !!python/object/apply:os.system ["echo hi"]\n'
UNSAFE_MSG = ("line {n}: unsupported YAML tag '!!python/object/apply:os.system' (only the standard "
              "YAML types are read: mappings, lists, strings, numbers, dates, booleans, null)")


def test_unsafe_tag_in_the_survey_parameters(tmp_path, monkeypatch, capsys):
    text = (paths.PARAMS / "survey_synthetic.yaml").read_text(encoding="utf-8")
    f = tmp_path / "survey_synthetic.yaml"
    f.write_text(text + UNSAFE, encoding="utf-8")
    n = len(text.split("\n"))
    monkeypatch.setattr(synth, "PARAMS_FILE", f)
    written = synth.write_survey
    monkeypatch.setattr(synth, "write_survey", lambda *a: pytest.fail(f"wrote {a}") or written)
    assert synth.main([]) == 1
    err = capsys.readouterr().err
    assert err == f"error: survey (synthetic): {f}: {UNSAFE_MSG.format(n=n)}\n"


def test_unsafe_tag_in_a_codebook(tmp_path, monkeypatch, capsys):
    src = pbs.CODEBOOKS / "pbs-hies-2018-19.yaml"
    (tmp_path / src.name).write_text(UNSAFE + src.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(pbs, "CODEBOOKS", tmp_path)
    assert pbs.main(["pbs-hies-2018-19", str(tmp_path)]) == 1
    assert capsys.readouterr().err == f"error: survey (pbs-hies-2018-19): {tmp_path / src.name}: {UNSAFE_MSG.format(n=1)}\n"


# ------------------------------------------------------------------ .dta
def test_random_bytes_dta(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hies").mkdir()
    (tmp_path / "hies" / "plist.dta").write_bytes(bytes(range(256)) * 4)
    cb = {"files": {"roster": "plist.dta"}, "_file": "pbs-hies-2018-19.yaml"}
    with pytest.raises(pbs.CodebookGap) as e:
        pbs._read(pbs.Path("hies"), cb, "roster", ["hhcode"])
    assert str(e.value).startswith("hies/plist.dta: not a readable Stata (.dta) file (")


# ------------------------------------------------------------------ sizes
def test_n_draws_above_the_maximum():
    with pytest.raises(ParameterError) as e:
        params.check("04_costing_options", overrides={"n_draws": 10_000_000})
    assert str(e.value) == ("command-line override ARGS_04_costing_options: n_draws: 10000000 is "
                            "above the maximum 100000 (Monte Carlo draws)")
    spec = params.declarations("04_costing_options")["n_draws"]
    assert spec.range["max"] == 100_000 and "8 KB per draw" in spec.text


@pytest.mark.parametrize("over, message", [
    ({"n_psu": "100000"}, "n_psu: 100,000 is above the maximum 5,000 (PSUs in KP; 5,000 PSUs is "
                          "over ten times the KP HIES sample)"),
    ({"households_per_psu": "0"}, "households_per_psu: 0 is below the minimum 1 (households per PSU; "
                                  "PBS takes 12-16)"),
    ({"n_psu": "5000", "households_per_psu": "100"},
     "n_psu: n_psu x households_per_psu = 500,000 households is above the maximum 100,000 (memory "
     "and time grow with the sample; about 8 persons per household)"),
    ({"n_psu": "lots"}, "n_psu: override 'lots' is not of type int"),
])
def test_survey_size_limits(over, message):
    with pytest.raises(FileKeyError) as e:
        synth.load_params(**over)
    assert str(e.value) == f"params/survey_synthetic.yaml: {message}"


def test_survey_size_limit_from_the_file(tmp_path, capsys, monkeypatch):
    text = (paths.PARAMS / "survey_synthetic.yaml").read_text(encoding="utf-8")
    f = tmp_path / "survey_synthetic.yaml"
    f.write_text(text.replace("n_psu: 360 ", "n_psu: 3600000 ", 1), encoding="utf-8")
    monkeypatch.setattr(synth, "PARAMS_FILE", f)
    assert synth.main([]) == 1
    assert capsys.readouterr().err.startswith(f"error: survey (synthetic): {f}: n_psu: 3,600,000 is above the maximum 5,000")


def test_the_real_inputs_pass():
    """The shipped files pass every new check (the byte-identical rebuild is checked by hand)."""
    io.read_pdhs_tfr()
    synth.read_targets()
    synth.check_sizes(synth.load_params())
    for f in sorted(paths.PARAMS.rglob("*.yaml")):
        read_yaml(f)
