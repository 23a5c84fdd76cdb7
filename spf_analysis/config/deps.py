"""Make dependencies derived from the code's imports (standard library only).

``python -m spf_analysis.config.deps`` prints a makefile fragment: for every
notebook, the package files it uses (its ``spf_analysis`` imports, followed
through the package's own imports, including those inside functions), and
the same for the build steps run as modules (``STEP_MODULES``). The Makefile
includes that fragment and regenerates it when a notebook or a module
changes, so "a change rebuilds exactly what depends on it" holds without a
hand-written module list. ``tests/test_deps.py`` checks the walk on known
imports.

It must run before the virtual environment exists (``make`` includes the
fragment first), hence the standard library only: ``ast`` and ``json``.
"""

from __future__ import annotations

import ast
import functools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "spf_analysis"

#: Make variables naming the package files of the build steps run with ``python -m``
STEP_MODULES = {
    "DATA_MODULES": ["spf_analysis.data.io", "spf_analysis.data.manifest"],
    "SURVEY_MODULES": ["spf_analysis.household.source", "spf_analysis.household.synth", "spf_analysis.household.pbs"],
    "MODEL_MODULES": ["spf_analysis.model.pipeline"],
    "RUNNER_MODULES": ["spf_analysis.build"],
    "REPORT_MODULES": ["spf_analysis.report.assemble"],
}


def module_file(name: str, root: Path = ROOT) -> Path | None:
    """The file of a package module (``a.b`` -> ``a/b.py`` or ``a/b/__init__.py``)."""
    base = root.joinpath(*name.split("."))
    for f in (base.with_suffix(".py"), base / "__init__.py"):
        if f.exists():
            return f
    return None


#: the fields of a statement that hold statements (an import is a statement, never part of an expression)
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements(tree: ast.AST):
    """Every statement of a syntax tree, at any depth (in functions, classes, branches, handlers):
    what :func:`ast.walk` would find of them, without visiting the expressions (a tenth of the nodes)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for field in _BLOCKS:
            block = getattr(node, field, None)
            if isinstance(block, list):
                todo.extend(block)


def _imported(tree: ast.AST, current: str | None = None, is_package: bool = False) -> set[str]:
    """Package modules named by the imports of a syntax tree (``from a import b`` may name a
    module ``a.b`` or an attribute of ``a``: both are returned when they exist)."""
    out: set[str] = set()
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:  # relative import
                if current is None:
                    continue
                parts = current.split(".")
                drop = node.level - 1 if is_package else node.level
                base = parts[:len(parts) - drop] if drop else parts
                mod = ".".join(base + ([mod] if mod else []))
            if mod.split(".")[0] != PACKAGE:
                continue
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}
    return out


def closure(modules, root: Path = ROOT) -> list[Path]:
    """Every package file the given modules use, their parent packages' ``__init__`` included."""
    seen: set[str] = set()
    todo = [m for m in modules]
    files: set[Path] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        f = module_file(name, root)
        if f is None:
            continue
        files.add(f)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += sorted(_module_imports(f, name))
    return sorted(files)


@functools.lru_cache(maxsize=None)
def _module_imports(f: Path, name: str) -> frozenset[str]:
    """The package modules module ``name`` (file ``f``) imports: each file parsed once per run,
    however many closures reach it (the fragment's 17 closures share most of the package)."""
    tree = ast.parse(f.read_text(encoding="utf-8"), filename=str(f))
    return frozenset(_imported(tree, name, f.name == "__init__.py"))


def notebook_imports(notebook: Path) -> set[str]:
    """Package modules imported by a notebook's code cells (magics and shell lines skipped)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    out: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = "".join(cell.get("source", []))
        code = "\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError as e:
            raise SystemExit(f"error: {notebook.name}: a code cell does not parse ({e})") from None
        out |= _imported(tree)
    return out


#: the published tables a notebook reads, from a tuple of table stems in a module (the executive
#: summary's ``spf_analysis.report.summary.TABLES``); each chapter's index (``NN_index.csv``, read for
#: the tables' labels) is listed with them. The fragment names them ``READS_<notebook>`` (the
#: notebook's prerequisites); the runner reads them from here (:func:`reads`) for its content check.
READS = {"S_executive_summary": ("spf_analysis.report.summary", "TABLES")}


def module_constant(module: str, name: str, root: Path = ROOT):
    """The literal value of a module-level assignment ``NAME = (...)``, read from the syntax tree."""
    f = module_file(module, root)
    if f is None:
        raise SystemExit(f"error: {module}: no such module")
    for node in ast.parse(f.read_text(encoding="utf-8"), filename=str(f)).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit(f"error: {module}: no literal {name} = ...")


def published_reads(module: str, name: str, root: Path = ROOT) -> list[str]:
    """``reports/tables/<stem>.csv`` of every table stem in ``module.name`` and of the chapter indexes."""
    stems = list(module_constant(module, name, root))
    indexes = sorted({f"{s.split('_', 1)[0]}_index" for s in stems})
    return [f"reports/tables/{s}.csv" for s in stems + indexes]


def reads(notebook: str, root: Path = ROOT) -> list[str]:
    """The published tables ``notebook`` reads (:data:`READS`), or [] when it reads none by name."""
    return published_reads(*READS[notebook], root) if notebook in READS else []


def fragment(root: Path = ROOT) -> str:
    rel = lambda fs: " ".join(str(f.relative_to(root)) for f in fs)  # noqa: E731
    lines = ["# Generated by `python -m spf_analysis.config.deps` from the imports; do not edit.", ""]
    for var, mods in STEP_MODULES.items():
        lines.append(f"{var} := {rel(closure(mods, root))}")
    for nb in READS:
        lines.append(f"READS_{nb} := {' '.join(reads(nb, root))}")
    lines.append("")
    for nb in sorted((root / "notebooks").glob("*.ipynb")):
        files = closure(sorted(notebook_imports(nb)), root)
        lines.append(f"reports/notebooks/{nb.name}: {rel(files)}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = fragment()
    if argv:
        out = Path(argv[0])
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
