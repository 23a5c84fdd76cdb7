"""Parameter files of the notebooks (``params/NN_name.yaml``).

A parameter file may only set parameters that its notebook declares in its
``parameters`` cell (papermill would silently inject an unknown key as a new
variable, so a typo would change nothing); and a value must have the type of
the notebook's default. Both are errors naming the file and the key.
"""

from __future__ import annotations

import ast
from pathlib import Path

from spf_analysis.config import paths
from spf_analysis.config.errors import FileKeyError, read_yaml


class ParameterError(FileKeyError):
    """A parameter file does not fit its notebook (or is missing, undecodable or not YAML)."""


def params_file(notebook: str) -> Path:
    return paths.PARAMS / f"{notebook}.yaml"


def notebook_file(notebook: str) -> Path:
    return paths.NOTEBOOKS / f"{notebook}.ipynb"


def load_yaml(file: Path) -> dict:
    rel = file.relative_to(paths.ROOT) if file.is_relative_to(paths.ROOT) else file
    data = read_yaml(file, ParameterError, name=rel)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError(f"{rel}: expected a mapping of parameter: value")
    return data


def notebook_parameters(notebook: Path) -> dict:
    """The parameters a notebook declares: name -> papermill's description
    (with ``inferred_type_name`` and ``default``)."""
    import papermill as pm

    return pm.inspect_notebook(str(notebook))


_TYPES = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,),
          "list": (list,), "dict": (dict,)}


def check(notebook: str, values: dict | None = None, file: Path | None = None) -> dict:
    """Validate ``values`` (default: the notebook's params file) against the
    notebook's parameters cell and return them."""
    file = file or params_file(notebook)
    values = load_yaml(file) if values is None else values
    rel = file.relative_to(paths.ROOT) if file.is_relative_to(paths.ROOT) else file
    declared = notebook_parameters(notebook_file(notebook))
    if not declared:
        raise ParameterError(f"notebooks/{notebook}.ipynb has no cell tagged 'parameters'")
    for key, value in values.items():
        if key not in declared:
            close = [k for k in declared if k.lower() == str(key).lower()
                     or _edit_distance(k, str(key)) <= 2]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParameterError(f"{rel}: unknown parameter {key!r}{hint}; "
                                 f"notebooks/{notebook}.ipynb declares {sorted(declared)}")
        t = default_type(declared[key])
        ok = _TYPES.get(t)
        if ok and (not isinstance(value, ok) or (t in ("int", "float") and isinstance(value, bool))):
            raise ParameterError(f"{rel}: parameter {key!r} should be {t}, got "
                                 f"{type(value).__name__} {value!r}")
    return values


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
