"""The provenance manifest: every raw file listed with a source and checksum."""

import shutil

import pytest

from spf_analysis.data import manifest
from spf_analysis.config import paths


def test_tree_matches_manifest():
    assert manifest.verify() == len(manifest.raw_files())


def test_every_raw_file_has_a_source():
    m = manifest.read_manifest()
    assert (m["source_url"].str.startswith("http")).all()
    assert (m["citation"].str.len() > 10).all()


@pytest.fixture
def raw_copy(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(paths.RAW, raw)
    return raw


def test_one_byte_change_is_named(raw_copy):
    f = raw_copy / "census" / "district_population.csv"
    data = bytearray(f.read_bytes())
    data[500] = (data[500] + 1) % 256
    f.write_bytes(bytes(data))
    with pytest.raises(manifest.ManifestError, match="census/district_population.csv: checksum mismatch"):
        manifest.verify(raw_copy)


def test_unlisted_and_missing_files_are_named(raw_copy):
    (raw_copy / "census" / "extra.csv").write_text("a\n1\n")
    (raw_copy / "un_wpp" / "wpp2019_pakistan_tfr.tsv").unlink()
    with pytest.raises(manifest.ManifestError) as e:
        manifest.verify(raw_copy)
    assert "census/extra.csv: not in the manifest" in str(e.value)
    assert "un_wpp/wpp2019_pakistan_tfr.tsv: listed in the manifest but missing" in str(e.value)


def test_cite_unknown_file():
    with pytest.raises(KeyError):
        manifest.cite("census/nope.csv")
    assert manifest.cite("census/kp_population_age_sex.csv").startswith("PBS")


def test_add_registers_a_new_file(raw_copy):
    (raw_copy / "census" / "new.csv").write_text("a\n1\n")
    manifest.add("census/new.csv", "T", "P", "https://example.org", "L", "CC", "N", "Cite",
                 raw=raw_copy)
    assert manifest.verify(raw_copy) == len(manifest.raw_files(raw_copy))
    with pytest.raises(manifest.ManifestError, match="already"):
        manifest.add("census/new.csv", "T", "P", "u", "L", "CC", "N", "C", raw=raw_copy)
