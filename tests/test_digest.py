"""Content checks that let a step skip work whose inputs kept their bytes (spf_analysis.config.digest)."""

from __future__ import annotations

import hashlib
import os

import pytest

from spf_analysis.config import digest

INDEX = ("kind,label,name,title,file\n"
         "table,Table 1.1,population_summary,Population,tables/01_population_summary.csv\n"
         "table,Table 1.5,household_size_2017,The 10 districts,tables/01_household_size_2017.csv\n")


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setattr(digest, "ROOT", tmp_path)
    (tmp_path / "reports/tables").mkdir(parents=True)
    (tmp_path / "reports/notebooks").mkdir(parents=True)
    (tmp_path / "reports/tables/01_index.csv").write_text(INDEX)
    (tmp_path / "reports/tables/01_population_summary.csv").write_text("a,b\n1,2\n")
    (tmp_path / "reports/notebooks/01_x.ipynb").write_text("{}")
    (tmp_path / "in.csv").write_text("x\n")
    (tmp_path / "out.csv").write_text("y\n")
    return tmp_path


def test_a_file_digest_is_its_sha256_and_a_missing_file_is_marked(root):
    assert digest.sha256_file(root / "in.csv") == hashlib.sha256(b"x\n").hexdigest()
    assert digest.sha256_file(root / "nope") == digest.MISSING


def test_an_index_counts_by_the_rows_of_the_tables_read(root):
    f = root / "reports/tables/01_index.csv"
    tables = {"tables/01_population_summary.csv"}
    first = digest.index_rows_digest(f, tables)
    # the header and the row read, nothing else (hand-made: the same rows written out)
    assert first == hashlib.sha256(b"kind,label,name,title,file\n"
                                   b"table,Table 1.1,population_summary,Population,tables/01_population_summary.csv\n"
                                   ).hexdigest()
    f.write_text(INDEX.replace("The 10 districts", "The 9 districts"))  # another table's title
    assert digest.index_rows_digest(f, tables) == first
    f.write_text(INDEX.replace("Table 1.1", "Table 1.2"))  # the label the reader quotes
    assert digest.index_rows_digest(f, tables) != first


def test_reads_replace_executed_notebooks(root):
    ins = ["reports/notebooks/01_x.ipynb", "in.csv"]
    reads = ["reports/tables/01_population_summary.csv", "reports/tables/01_index.csv"]
    got = digest.inputs_digest(ins, reads)
    assert sorted(got) == sorted(["in.csv"] + reads)
    assert sorted(digest.inputs_digest(ins)) == sorted(ins)  # without reads: the executed copy itself


def test_a_step_is_skipped_only_with_the_same_inputs_and_its_outputs_as_left(root):
    recs = root / "records"
    ins = digest.inputs_digest(["in.csv"])
    assert not digest.unchanged("s", ins, ["out.csv"], recs)  # no record yet
    digest.record("s", ins, ["out.csv"], recs)
    assert digest.unchanged("s", ins, ["out.csv"], recs)
    os.utime(root / "in.csv")  # touched: same bytes
    assert digest.unchanged("s", digest.inputs_digest(["in.csv"]), ["out.csv"], recs)
    (root / "in.csv").write_text("x2\n")  # an input changed
    assert not digest.unchanged("s", digest.inputs_digest(["in.csv"]), ["out.csv"], recs)
    (root / "in.csv").write_text("x\n")
    (root / "out.csv").write_text("edited\n")  # an output changed by someone else
    assert not digest.unchanged("s", ins, ["out.csv"], recs)
    (root / "out.csv").write_text("y\n")
    (root / "out.csv").unlink()  # or removed
    assert not digest.unchanged("s", ins, ["out.csv"], recs)
    (root / "out.csv").write_text("y\n")
    digest.forget("s", recs)
    assert not digest.unchanged("s", ins, ["out.csv"], recs)
