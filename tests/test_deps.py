"""Make dependencies derived from imports (spf_analysis.config.deps)."""

from __future__ import annotations

import json
import re

from spf_analysis.config import deps, paths


def _pkg(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        f = tmp_path / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    return tmp_path


def test_closure_follows_imports_inside_functions_and_relative_ones(tmp_path):
    root = _pkg(tmp_path, {
        "spf_analysis/__init__.py": "",
        "spf_analysis/a/__init__.py": "",
        "spf_analysis/a/x.py": "from . import y\n",
        "spf_analysis/a/y.py": "def f():\n    from spf_analysis.b import z\n",
        "spf_analysis/b/__init__.py": "",
        "spf_analysis/b/z.py": "import os\n",
        "spf_analysis/b/unused.py": "",
    })
    got = {str(f.relative_to(root)) for f in deps.closure(["spf_analysis.a.x"], root)}
    assert got == {"spf_analysis/__init__.py", "spf_analysis/a/__init__.py", "spf_analysis/a/x.py",
                   "spf_analysis/a/y.py", "spf_analysis/b/__init__.py", "spf_analysis/b/z.py"}


def test_notebook_imports_skip_magics(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": ["%matplotlib inline\n", "from spf_analysis.model import costing\n"]},
                    {"cell_type": "markdown", "source": ["from spf_analysis.report import plots"]}]}
    f = tmp_path / "n.ipynb"
    f.write_text(json.dumps(nb))
    assert "spf_analysis.model.costing" in deps.notebook_imports(f)
    assert not any("report" in m for m in deps.notebook_imports(f))


def test_the_fragment_lists_what_each_notebook_imports():
    text = deps.fragment()
    for nb in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        line = next(l for l in text.splitlines() if l.startswith(f"reports/notebooks/{nb.name}:"))
        listed = set(line.split(":", 1)[1].split())
        for mod in deps.notebook_imports(nb):
            f = deps.module_file(mod)
            if f is not None:
                assert str(f.relative_to(paths.ROOT)) in listed, (nb.name, mod)
    # chapter 04 uses the costing engine through its imports
    line4 = next(l for l in text.splitlines() if l.startswith("reports/notebooks/04_costing_options.ipynb:"))
    assert "spf_analysis/model/costing.py" in line4
    assert re.search(r"^RUNNER_MODULES := .*spf_analysis/build\.py", text, re.M)


def test_the_makefile_lists_no_module_by_hand():
    mk = (paths.ROOT / "Makefile").read_text()
    hand = [l for l in mk.splitlines() if re.search(r"spf_analysis/\S+\.py", l) and not l.lstrip().startswith("#")]
    assert not hand, f"module files named in the Makefile (derive them from imports): {hand}"


def test_the_summary_reads_are_derived_from_its_table_list():
    from spf_analysis.report import summary

    line = next(l for l in deps.fragment().splitlines() if l.startswith("READS_S_executive_summary := "))
    listed = line.split(":=", 1)[1].split()
    chapters = sorted({t.split("_", 1)[0] for t in summary.TABLES})
    assert listed == [f"reports/tables/{t}.csv" for t in summary.TABLES] + [
        f"reports/tables/{c}_index.csv" for c in chapters]
    assert "reports/tables/01_population_summary.csv" in listed and "reports/tables/07_index.csv" in listed
    assert deps.reads("S_executive_summary") == listed and deps.reads("06_fiscal_space") == []


def test_imports_are_found_in_every_kind_of_block(tmp_path):
    """The statement walk reaches an import at any depth: class and method, if/else, for/while
    else, try/except/else/finally, with, match/case and async def."""
    src = """
class C:
    def m(self):
        if x:
            import spf_analysis.a1
        else:
            from spf_analysis import a2
for i in y:
    pass
else:
    import spf_analysis.a3
while False:
    pass
else:
    import spf_analysis.a4
try:
    import spf_analysis.a5
except ImportError:
    import spf_analysis.a6
else:
    import spf_analysis.a7
finally:
    import spf_analysis.a8
with open(f) as g:
    import spf_analysis.a9
match v:
    case 1:
        import spf_analysis.a10
async def h():
    async with g:
        import spf_analysis.a11
lam = lambda: __import__("spf_analysis.not_a_statement")
import os
"""
    import ast

    got = deps._imported(ast.parse(src))
    assert got == {f"spf_analysis.a{i}" for i in range(1, 12)} | {"spf_analysis"}


def test_the_statement_walk_finds_what_ast_walk_finds_in_the_package():
    """In every module of the package, the import statements met by the walk over
    statements are those ast.walk meets over all nodes (the reference, ten times slower)."""
    import ast

    files = sorted(paths.ROOT.joinpath("spf_analysis").rglob("*.py"))
    assert len(files) > 50
    count = 0
    for f in files:
        tree = ast.parse(f.read_text(encoding="utf-8"))
        ref = {id(n) for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))}
        got = {id(n) for n in deps._statements(tree) if isinstance(n, (ast.Import, ast.ImportFrom))}
        assert got == ref, f
        count += len(ref)
    assert count > 500  # the package's imports, a good share of them inside functions
