"""The label registry (spf_analysis.config.labels): what counts as an id, one home per label,
headers with units, formats by unit, and exhibits that refuse to show an unlabelled id."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from spf_analysis.config import labels, paths  # noqa: E402
from spf_analysis.model import costing  # noqa: E402


@pytest.mark.parametrize("text,ids", [
    ("cost_pct_gdp", ["cost_pct_gdp"]),
    ("Scenario kp_medium and kp_medium again", ["kp_medium"]),
    ("params/scenarios/kp_medium.yaml", []),          # a path
    ("reports/tables/04_package_costs.csv", []),      # a file
    ("https://example.org/a_b_c", []),                # an address
    ("Life-cycle package", []),                       # words
    ("0-4 and 65+", []),
    ("SDG_1", []),                                    # not lower case
    ("x.y_z", []),                                    # a dotted module or attribute
])
def test_find_ids(text, ids):
    assert labels.find_ids(text) == ids


def test_every_scenario_has_a_label_of_its_own():
    reg = labels.registry()
    for name in costing.scenario_names():
        assert reg["values"][name], name
        # the label belongs to the file, never inherited from its baseline
        assert costing.load_named_scenario(name).label == reg["values"][name]
    assert len({reg["values"][n] for n in costing.scenario_names()}) == len(costing.scenario_names())


def test_header_unit_and_format():
    assert labels.header("cost_pct_gdp") == "Cost (% of KP GDP)"
    assert labels.header("cost_pct_gdp", {"cost_pct_gdp": "2030"}) == "2030"
    assert labels.header("Scenario") == "Scenario"
    assert labels.unit_format("population") == "{:,.0f}"
    assert labels.unit_format("not_registered") is None
    assert labels.relabel_value(True) == "yes" and labels.relabel_value("kp_low") == "Full floor, low level"


def test_one_home_per_label(tmp_path, monkeypatch):
    (tmp_path / "labels").mkdir()
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "labels" / "a.yaml").write_text("columns:\n  x_y: {label: X, unit: '%'}\n")
    (tmp_path / "labels" / "b.yaml").write_text("columns:\n  x_y: Other\n")
    monkeypatch.setattr(paths, "PARAMS", tmp_path)
    with pytest.raises(labels.LabelRegistryError, match="already defined in"):
        labels.registry()
    (tmp_path / "labels" / "b.yaml").write_text("values:\n  x_y: Other\n")  # a value may share a column's id
    (tmp_path / "scenarios" / "s_1.yaml").write_text("name: s_1\n")
    with pytest.raises(labels.LabelRegistryError, match="needs a top-level 'label'"):
        labels.registry()


def test_table_refuses_an_unlabelled_id(tmp_path, monkeypatch):
    from spf_analysis.report.exhibits import Chapter

    monkeypatch.setenv("SPF_OUTPUT_DIR", str(tmp_path))
    ch = Chapter(9, "Test")
    df = pd.DataFrame({"scenario": ["kp_medium", "kp_low"], "cost_pct_gdp": [5.9412, 3.1],
                       "flag": [True, False]})
    ex = ch.table(df, "ok", "Costs", source="test")
    assert "Full floor, medium level" in ex.html and "Cost (% of KP GDP)" in ex.html
    assert "5.94" in ex.html and "5.9412" not in ex.html and ">yes<" in ex.html
    with pytest.raises(labels.UnlabelledId, match="unit_cost_x"):
        ch.table(pd.DataFrame({"unit_cost_x": [1.0]}), "bad", "Costs", source="test")
    with pytest.raises(labels.UnlabelledId, match="mystery_scenario"):
        ch.table(pd.DataFrame({"Scenario": ["mystery_scenario"]}), "bad2", "Costs", source="test")
    ex = ch.table(pd.DataFrame({"Parameter": ["n_draws"]}), "keys", "Parameters", source="test",
                  keys=["Parameter"])
    assert "<code>n_draws</code>" in ex.html


def test_figure_refuses_an_id_in_its_legend(tmp_path, monkeypatch):
    from spf_analysis.report.exhibits import Chapter

    monkeypatch.setenv("SPF_OUTPUT_DIR", str(tmp_path))
    ch = Chapter(9, "Test")
    fig, ax = plt.subplots()
    ax.plot([1, 2], label="kp_medium")
    ax.legend()
    with pytest.raises(labels.UnlabelledId, match="kp_medium"):
        ch.figure(fig, "bad", "Costs", source="test")
    fig, ax = plt.subplots()
    ax.plot([1, 2], label=labels.label("kp_medium"))
    ax.legend()
    ch.figure(fig, "ok", "Costs", source="test")


def test_code_refs_show_the_keys_a_text_cites_as_code(tmp_path, monkeypatch):
    from spf_analysis.report.exhibits import Chapter

    monkeypatch.setenv("SPF_OUTPUT_DIR", str(tmp_path))
    ch = Chapter(9, "Test")
    df = pd.DataFrame({"Parameter": ["n_draws"], "Rationale": ["Lower bound, as for roster_age_min."]})
    with pytest.raises(labels.UnlabelledId, match="roster_age_min"):  # an id in free text is caught
        ch.table(df, "bad", "Parameters", source="test", keys=["Parameter"])
    ex = ch.table(df, "ok", "Parameters", source="test", keys=["Parameter"], code_refs=["Rationale"])
    # the words stay words, the cited key is code; the CSV keeps the text as it is
    assert "<td>Lower bound, as for <code>roster_age_min</code>.</td>" in ex.html
    assert pd.read_csv(tmp_path / "tables" / "09_ok.csv")["Rationale"][0] == "Lower bound, as for roster_age_min."
    with pytest.raises(ValueError, match="not in the table"):
        ch.table(df, "bad2", "Parameters", source="test", code_refs=["Note"])


def test_in_words_labels_the_ids_of_a_composed_text():
    assert labels.in_words("S24 Sahara card: benefit_amount") == "S24 Sahara card: benefit amount"
    assert labels.in_words("kp_medium vs kp_low") == "Full floor, medium level vs Full floor, low level"
    with pytest.raises(labels.UnlabelledId, match="mystery_id"):
        labels.in_words("a mystery_id")


@pytest.mark.parametrize("v,shown", [(40641120.0, "40,641,120"), (601300.14, "601,300"), (7.456, "7.46"),
                                     (0.15321, "0.153"), (0.0041, "0.0041"), (3030.32, "3,030")])
def test_by_magnitude_shows_counts_as_integers_and_small_values_to_three_digits(v, shown):
    assert labels.BY_MAGNITUDE.format(v) == shown
