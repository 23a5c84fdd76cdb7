"""Shared fixtures. Tests read data/raw directly or data/processed built by `make data`."""

import pytest

from spf_analysis.data import io


@pytest.fixture(scope="session")
def province():
    return io.read_province_age_sex()


@pytest.fixture(scope="session")
def districts():
    return io.read_district_age_sex()


@pytest.fixture(scope="session")
def totals():
    return io.read_district_totals()


@pytest.fixture(scope="session")
def crosswalk():
    return io.read_crosswalk()


@pytest.fixture(autouse=True)
def _outputs_to_tmp(tmp_path, monkeypatch):
    """Figures and tables written by tests go to a temporary folder, never to reports/."""
    monkeypatch.setenv("SPF_OUTPUT_DIR", str(tmp_path / "outputs"))
