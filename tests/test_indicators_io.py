"""Long indicator tables (macro, poverty): typing, fiscal-year mapping, unit
rescaling, conflicting values with an explicit choice."""

import pytest

from spf_analysis.data import io
from spf_analysis.config import paths

MACRO = paths.RAW / "macro" / "pakistan_kp_macro_fiscal.csv"


@pytest.mark.parametrize("period, year", [("2013-14", 2014), ("1999-00", 2000), ("2017", 2017)])
def test_fiscal_year_end(period, year):
    assert io.fiscal_year_end(period) == year


@pytest.mark.parametrize("period", ["2013-15", "2013/14", "FY14", "13-14"])
def test_fiscal_year_malformed(period):
    with pytest.raises(ValueError):
        io.fiscal_year_end(period)


def test_macro_contract():
    m = io.read_macro_indicators()
    for col in ["indicator", "geography", "year", "period", "value", "unit", "source_title",
                "source_url", "locator", "confidence", "chosen"]:
        assert col in m.columns
    assert str(m["year"].dtype) == "Int64" and m["chosen"].dtype == bool
    row = m[(m.indicator == "kp_budget_total_outlay") & (m.period == "2013-14")].iloc[0]
    assert row.year == 2014 and row.value == 344 and row.unit == "PKR billion"
    # PKR trillion rescaled to PKR billion, published value kept
    gdp = m[(m.indicator == "gdp_nominal_pkr") & (m.period == "2022-23")].iloc[0]
    assert gdp.value == pytest.approx(83870) and gdp.value_published == pytest.approx(83.87)
    # one chosen value per indicator, geography and year
    chosen = m[m.chosen]
    assert not chosen.duplicated(["indicator", "geography", "period"]).any()
    rebased = chosen[(chosen.indicator == "gdp_nominal_pkr") & (chosen.year == 2016)]
    assert rebased["value"].tolist() == [32700.0]


def test_poverty_contract():
    p = io.read_poverty_indicators()
    kp = p[(p.indicator == "poverty_headcount_cbn") & (p.geography == "Khyber Pakhtunkhwa")]
    assert kp.set_index("year")["value"].to_dict() == {2014: 27.0}
    mpi = p[(p.indicator == "mpi_headcount") & (p.geography == "Khyber Pakhtunkhwa")]
    assert mpi[mpi.chosen]["value"].tolist() == [49.0]
    sae = p[p.indicator == "poverty_headcount_cbn_sae"]
    assert sae["derived_from"].notna().all()


def _write(tmp_path, text):
    f = tmp_path / "macro.csv"
    f.write_text(text, encoding="utf-8")
    return f


def test_conflict_without_choice_is_an_error(tmp_path):
    lines = MACRO.read_text(encoding="utf-8").split("\n")
    # drop the 'chosen' value of the first conflicting row (GDP 2015-16 old base)
    i = next(n for n, l in enumerate(lines) if l.startswith("gdp_nominal_pkr,Pakistan,2015-16,29.1"))
    lines[i] = lines[i].replace(",false,", ",,", 1)
    with pytest.raises(io.InputError, match="conflicting values") as e:
        io.read_indicator_table(_write(tmp_path, "\n".join(lines)))
    assert e.value.column == "chosen" and e.value.line == i + 1


def test_two_chosen_is_an_error(tmp_path):
    lines = MACRO.read_text(encoding="utf-8").split("\n")
    i = next(n for n, l in enumerate(lines) if l.startswith("gdp_nominal_pkr,Pakistan,2015-16,29.1"))
    lines[i] = lines[i].replace(",false,", ",true,", 1)
    with pytest.raises(io.InputError, match="2 rows marked chosen=true"):
        io.read_indicator_table(_write(tmp_path, "\n".join(lines)))
