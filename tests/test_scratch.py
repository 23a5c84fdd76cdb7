"""Interactive runs cannot change the build's outputs, and make test runs only the build's notebooks."""

from __future__ import annotations

from spf_analysis.config import paths


def test_outside_the_build_outputs_go_to_scratch(monkeypatch):
    monkeypatch.delenv("SPF_OUTPUT_DIR", raising=False)
    assert paths.tables_dir() == paths.REPORTS / "scratch" / "tables"
    assert paths.figures_dir() == paths.REPORTS / "scratch" / "figures"
    monkeypatch.setenv("SPF_OUTPUT_DIR", "/x/stage")
    assert str(paths.tables_dir()) == "/x/stage/tables"


def test_the_build_never_reads_scratch():
    """No notebook reads the scratch folder, no module but paths names it, and the Makefile names it only to clean it."""
    for f in (paths.ROOT / "notebooks").glob("*.ipynb"):
        assert "reports/scratch" not in f.read_text(encoding="utf-8"), f.name
    for f in (paths.ROOT / "spf_analysis").rglob("*.py"):
        if f.name != "paths.py":
            assert "SCRATCH" not in f.read_text(encoding="utf-8") and "reports/scratch" not in f.read_text(encoding="utf-8"), f
    mk = [line for line in (paths.ROOT / "Makefile").read_text(encoding="utf-8").splitlines() if "scratch" in line]
    assert len(mk) == 1 and "reports/scratch" in mk[0] and "reports/tables" in mk[0]  # the clean recipe


def test_make_test_collects_only_the_build_notebooks():
    mk = (paths.ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = next(line for line in mk.splitlines() if "--nbval-lax" in line)
    assert "$(NOTEBOOKS:%=notebooks/%.ipynb)" in recipe and not recipe.rstrip().endswith(" notebooks")
