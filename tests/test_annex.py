"""The assumptions annex: every value listed with its source; a value without one is flagged."""

import textwrap

import pytest

from spf_analysis.report import annex


def write(tmp_path, name, text):
    f = tmp_path / name
    f.write_text(textwrap.dedent(text))
    return f


def test_policy_values_are_listed_and_unsourced_ones_flagged(tmp_path):
    f = write(tmp_path, "p.yaml", """
        wage:
          unit: PKR per month
          values:
            2024-07-01: {value: 36000, reference: "Budget 2024-25", url: http://x}
            2025-07-01: {value: 40000}
        nested:
          rate:
            values:
              2020-07-01: {value: 0.1, rationale: "mid-point"}
        choice:
          year: {year: 2025, reason: "latest budget"}
        """)
    rows = {r["parameter"]: r for r in annex.policy_rows(f)}
    assert rows["wage (from 2024-07-01)"]["value"] == "36,000 PKR per month"
    assert rows["wage (from 2024-07-01)"]["source_or_rationale"] == "Budget 2024-25 | http://x"
    assert rows["wage (from 2025-07-01)"]["basis"] == annex.MISSING
    assert rows["nested.rate (from 2020-07-01)"]["basis"] == "rationale"
    assert rows["choice.year"] == {"file": "p.yaml", "parameter": "choice.year", "value": "year: 2025",
                                   "basis": "rationale", "source_or_rationale": "latest budget"}


def test_scenario_nodes_and_comments(tmp_path):
    s = write(tmp_path, "s.yaml", """
        name: x
        benefits:
          child:
            level: {type: poverty_line, value: 0.25, source: "ILO typical"}
            takeup: {value: {2026: 0.6, 2027: 1.0}}
        """)
    rows = {r["parameter"]: r for r in annex.scenario_rows(s)}
    assert rows["child.level"]["value"] == "type: poverty_line, value: 0.25" and rows["child.level"]["basis"] == "source"
    assert rows["child.takeup"]["value"] == "2026: 0.6, 2027: 1.0" and rows["child.takeup"]["basis"] == annex.MISSING
    c = write(tmp_path, "c.yaml", """\
        # Parameters of a notebook (file header, documents no key)
        a: 1   # the first
        b: 2
        # explains c
        # over two lines
        c: [1, 2]
        """)
    rows = {r["parameter"]: r for r in annex.comment_rows(c)}
    assert rows["a"]["source_or_rationale"] == "the first"
    assert rows["b"]["basis"] == annex.MISSING
    assert rows["c"]["source_or_rationale"] == "explains c over two lines" and rows["c"]["value"] == "[1, 2]"
    t = annex.assumptions_table({"scenario": [s], "survey": [c]})
    assert list(annex.missing(t)["parameter"]) == ["child.takeup", "b"]


def test_every_policy_scenario_and_matrix_value_has_a_source_or_rationale():
    files = annex.default_files()
    assert files["policy"] and files["scenario"] and files["matrix"]
    t = annex.assumptions_table({k: files[k] for k in ("policy", "scenario", "matrix")})
    assert len(t) > 100
    bad = annex.missing(t)
    assert bad.empty, "values without a source or rationale:\n" + bad[["file", "parameter"]].to_string()


@pytest.mark.parametrize("group", ["policy", "scenario"])
def test_the_check_would_catch_a_missing_source(tmp_path, group):
    # the real files with one source removed: the annex flags it
    f = annex.default_files()[group][0]
    text = f.read_text()
    key = "reference:" if group == "policy" else "source:"
    cut = text.replace(key, "note_removed:", 1) if group == "scenario" else text
    if group == "policy":  # drop the first reference line entirely
        lines = text.splitlines()
        i = next(i for i, ln in enumerate(lines) if ln.strip().startswith("reference:"))
        cut = "\n".join(lines[:i] + lines[i + 1:])
    g = tmp_path / f.name
    g.write_text(cut)
    assert len(annex.missing(annex.assumptions_table({group: [g]}))) >= 1


def test_malformed_file_is_named(tmp_path):
    from spf_analysis.config.errors import FileKeyError
    f = write(tmp_path, "bad.yaml", "a: [1, 2\n")
    with pytest.raises(FileKeyError, match=r"bad\.yaml: invalid YAML"):
        annex.comment_rows(f)
