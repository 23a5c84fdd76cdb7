"""The package's layers: dependencies run one way, config -> data -> stats -> household ->
model -> microsim -> report (-> the notebook runner on top).

Every import inside ``spf_analysis`` (module level or inside a function) is read with
``ast``; a module may import its own layer or a lower one, never a higher one.
"""

from __future__ import annotations

import ast

import pytest

from spf_analysis.config import deps, paths

LAYERS = ["config", "data", "stats", "household", "model", "microsim", "report", "kernels", "forked", "build", "lab",
          "explore"]


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else -1


def _modules():
    for f in sorted((paths.ROOT / "spf_analysis").rglob("*.py")):
        rel = f.relative_to(paths.ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), f


def test_every_module_sits_in_a_layer():
    loose = [m for m, _ in _modules() if m != "spf_analysis" and _layer(m) < 0]
    assert not loose, f"modules outside the layers {LAYERS}: {loose}"


@pytest.mark.parametrize("module,file", list(_modules()), ids=lambda x: str(x))
def test_imports_run_down_the_layers(module, file):
    if module == "spf_analysis":
        return
    tree = ast.parse(file.read_text(encoding="utf-8"))
    mine = _layer(module)
    up = sorted(m for m in deps._imported(tree, module, file.name == "__init__.py")
                if deps.module_file(m) is not None and _layer(m) > mine)
    assert not up, f"{module} ({LAYERS[mine]}) imports a higher layer: {up}"


def test_layer_check_catches_an_upward_import(tmp_path):
    tree = ast.parse("from spf_analysis.report import exhibits\n")
    found = [m for m in deps._imported(tree, "spf_analysis.model.costing") if _layer(m) > _layer("spf_analysis.model.costing")]
    assert "spf_analysis.report" in found or "spf_analysis.report.exhibits" in found
