"""Parameter files of the notebooks (``params/NN_name.yaml``).

Each file declares the notebook's parameters with value, type, unit, valid range and source
or rationale (:mod:`spf_analysis.config.parameters`). A file may only declare parameters
that its notebook has in its ``parameters`` cell (papermill would silently inject an unknown
key as a new variable, so a typo would change nothing), and the notebook's defaults equal
the file's values (``tests/test_params.py``). Values, from the file or from a command-line
override (``make report ARGS_04_costing_options='tornado_year=2033'``), are checked against
the declarations before the notebook runs: wrong type or out of range -> an error naming the
file (or the override) and the key.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from spf_analysis.config import paths
from spf_analysis.config.parameters import ParameterError, Spec, check_value, read_declared, rel

__all__ = ["ParameterError", "params_file", "notebook_file", "declarations", "load_values", "notebook_parameters",
           "check", "default_type", "use_params_file"]


def params_file(notebook: str) -> Path:
    return paths.PARAMS / f"{notebook}.yaml"


def notebook_file(notebook: str) -> Path:
    return paths.NOTEBOOKS / f"{notebook}.ipynb"


def declarations(notebook: str, file: Path | None = None) -> dict[str, Spec]:
    """The declared parameters of a notebook (empty when it has no params file)."""
    file = file or params_file(notebook)
    return read_declared(file) if file.exists() else {}


def load_values(notebook: str, file: Path | None = None) -> dict:
    return {k: s.value for k, s in declarations(notebook, file).items()}


def use_params_file(namespace: dict, notebook: str, environ=None) -> dict:
    """In JupyterLab, give the notebook the values of ``params/<notebook>.yaml``, as the build does.

    The build (papermill) injects the file's values, checked, after the ``parameters`` cell; a
    notebook opened in JupyterLab would otherwise run the cell's literals, which a researcher who
    edited the YAML expects to be replaced. Called in the cell after the ``parameters`` cell:
    ``params.use_params_file(globals(), "04_costing_options")``. It acts only in a kernel started
    by a Jupyter server (``JPY_SESSION_NAME`` set), never under the build, nbval or a papermill run
    of one's own. Returns ``{name: (cell value, file value)}`` for the values it changed, and says so.
    """
    environ = os.environ if environ is None else environ
    if not environ.get("JPY_SESSION_NAME"):
        return {}
    values = check(notebook)
    changed = {k: (namespace.get(k), v) for k, v in values.items() if namespace.get(k) != v}
    namespace.update(values)
    if changed:
        print(f"parameters from {rel(params_file(notebook))} (as the build runs them): "
              + ", ".join(f"{k} = {v!r} (cell: {c!r})" for k, (c, v) in changed.items()))
    return changed


def notebook_parameters(notebook: Path) -> dict:
    """The parameters a notebook declares: name -> papermill's description
    (with ``inferred_type_name`` and ``default``)."""
    import papermill as pm

    return pm.inspect_notebook(str(notebook))


def check(notebook: str, values: dict | None = None, file: Path | None = None,
          overrides: dict | None = None) -> dict:
    """Validate a notebook's parameters and return the values to inject.

    ``values``: the values to check (default: the params file's); ``overrides``: values from
    the command line, checked the same way and named as such in an error."""
    from spf_analysis.config import run

    file = file or params_file(notebook)
    where = rel(file)
    specs = declarations(notebook, file)
    declared = notebook_parameters(notebook_file(notebook))
    vals = dict({k: s.value for k, s in specs.items()} if values is None else values)
    overrides = overrides or {}
    shared = run.settings().as_dict()
    for key in list(vals) + list(overrides):
        if not declared:
            raise ParameterError(f"notebooks/{notebook}.ipynb has no parameters (no cell tagged 'parameters' "
                                 f"declaring {key!r})", file=where)
        if key not in declared:
            close = [k for k in declared if k.lower() == str(key).lower() or _edit_distance(k, str(key)) <= 2]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            origin = f"command-line override ARGS_{notebook}" if key in overrides else where
            raise ParameterError(f"unknown parameter {key!r}{hint}; notebooks/{notebook}.ipynb declares {sorted(declared)}",
                                 file=origin)
        if key not in specs:
            raise ParameterError(f"parameter {key!r} of notebooks/{notebook}.ipynb is not declared (type, unit, range, "
                                 "source or rationale)", file=where)
    for key, value in vals.items():
        check_value(specs[key], value, where, shared)
    for key, value in overrides.items():
        check_value(specs[key], value, f"command-line override ARGS_{notebook}", shared)
    return {**vals, **overrides}


def default_type(param: dict) -> str:
    """Type name of a parameter's default, which must be a plain literal."""
    try:
        value = ast.literal_eval(param["default"])
    except (ValueError, SyntaxError):
        raise ParameterError(f"parameter {param['name']!r}: the default {param['default']!r} is "
                             "not a plain literal; compute derived values in the next cell") from None
    return type(value).__name__


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
