"""Raw readers: typed output, and clear errors naming file, column and line."""

import shutil

import pytest

from spf_analysis.data import io
from spf_analysis.config import paths

SRC = paths.RAW / "census" / "kp_population_age_sex.csv"


def corrupt(tmp_path, transform, name="kp_population_age_sex.csv", mode="text"):
    out = tmp_path / name
    if mode == "text":
        out.write_text(transform(SRC.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        out.write_bytes(transform(SRC.read_bytes()))
    return out


def test_reader_types(province):
    assert str(province["population"].dtype) == "Int64"
    assert set(province["geography"]) == set(io.GEOGRAPHIES.values())
    assert set(province["sex"]) == {"both", "male", "female", "transgender"}


def _replace_line(text, n, old, new):
    lines = text.split("\n")
    assert old in lines[n - 1]
    lines[n - 1] = lines[n - 1].replace(old, new, 1)
    return "\n".join(lines)


@pytest.mark.parametrize("transform, column, line, message", [
    (lambda t: t.replace("population,source_title", "pop,source_title", 1),
     "population", None, "missing column"),
    (lambda t: _replace_line(t, 3, ",4634029,", ",4634O29,"), "population", 3, "not a number"),
    (lambda t: _replace_line(t, 4, ",4713587,", ",-4713587,"), "population", 4, "below the minimum"),
    (lambda t: _replace_line(t, 5, ",3901190,", ",3901190.5,"), "population", 5, "whole number"),
    (lambda t: _replace_line(t, 6, ",15-19,", ",15-91,"), "age_group", 6, "unknown value"),
    (lambda t: _replace_line(t, 7, ",total,", ",everywhere,"), "urban_rural", 7, "unknown value"),
    (lambda t: _replace_line(t, 8, ",2017,", ",,"), "year", 8, "empty"),
    (lambda t: _replace_line(t, 2, "Khyber Pakhtunkhwa (25", "Khyber Pakhtunkwa (25"),
     "geography", 2, "unknown geography"),
])
def test_corruptions_are_named(tmp_path, transform, column, line, message):
    f = corrupt(tmp_path, transform)
    with pytest.raises(io.InputError) as e:
        io.read_province_age_sex(f)
    assert e.value.column == column
    assert e.value.line == line
    assert message in str(e.value)
    assert "kp_population_age_sex.csv" in str(e.value)


def test_duplicate_key(tmp_path):
    def dup(t):
        lines = t.split("\n")
        return "\n".join(lines[:3] + [lines[2]] + lines[3:])
    with pytest.raises(io.InputError, match="duplicate key") as e:
        io.read_province_age_sex(corrupt(tmp_path, dup))
    assert e.value.line == 4


def test_wrong_encoding(tmp_path):
    f = corrupt(tmp_path, lambda b: b.replace(b"Khyber", "Khybér".encode("latin-1"), 1), mode="bytes")
    with pytest.raises(io.InputError, match="UTF-8"):
        io.read_province_age_sex(f)


def test_missing_file(tmp_path):
    with pytest.raises(io.InputError, match="not found"):
        io.read_province_age_sex(tmp_path / "nope.csv")


def test_bad_input_leaves_processed_untouched(tmp_path, monkeypatch, capsys):
    """make data on a corrupt raw file: non-zero exit, nothing written."""
    raw = tmp_path / "raw" / "census"
    shutil.copytree(paths.RAW / "census", raw)
    processed = tmp_path / "processed"
    processed.mkdir()
    (processed / "census_province_age_sex.parquet").write_bytes(b"previous")
    monkeypatch.setattr(io, "RAW_CENSUS", raw)
    monkeypatch.setattr(paths, "PROCESSED", processed)
    bad = raw / "kp_district_population_age_sex.csv"
    bad.write_text(bad.read_text(encoding="utf-8").replace(",200587,", ",-1,", 1), encoding="utf-8")
    assert io.main([]) == 1
    err = capsys.readouterr().err
    assert "kp_district_population_age_sex.csv" in err and "column 'population'" in err
    assert sorted(p.name for p in processed.iterdir()) == ["census_province_age_sex.parquet"]
    assert (processed / "census_province_age_sex.parquet").read_bytes() == b"previous"
