"""Parameters with metadata, declared once beside their value.

Every entry of ``params/run.yaml`` (settings shared by the chapters) and of the notebook
parameter files ``params/NN_name.yaml`` is declared like a Tax-Calculator policy parameter::

    n_draws:
      value: 10000
      type: int                      # int, float, str, bool, list[int], list[str]
      unit: Monte Carlo draws
      range: {min: 1000, max: 1000000}
      rationale: percentiles stable to about 0.01 pp of GDP   # or `source:`

``range`` (optional) takes ``min`` / ``max`` (inclusive; a number or the name of a shared
setting of ``params/run.yaml``, e.g. ``max: horizon_end``), ``choices`` (a list of allowed
values) or ``within`` (the name of a list-valued shared setting: every value, or every item
of a list, must be one of its items). Every entry states a ``source`` or a ``rationale``.

A value that breaks its declaration is an error naming the file (or the command-line
override) and the key, raised before any notebook runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from spf_analysis.config import paths
from spf_analysis.config.errors import FileKeyError, read_yaml

TYPES = ("int", "float", "str", "bool", "list[int]", "list[float]", "list[str]")
_ENTRY_KEYS = {"value", "type", "unit", "range", "source", "rationale", "description"}
_RANGE_KEYS = {"min", "max", "choices", "within"}


class ParameterError(FileKeyError):
    """A parameter file, or a value given for it, breaks a declaration."""


rel = paths.rel


@dataclass(frozen=True)
class Spec:
    """The declaration of one parameter."""

    name: str
    type: str
    unit: str
    value: Any
    range: Mapping[str, Any] = field(default_factory=dict)
    basis: str = "source"            # "source" or "rationale"
    text: str = ""                   # the source or the rationale
    description: str = ""

    def range_text(self) -> str:
        r = self.range
        if "choices" in r:
            return "one of " + ", ".join(map(str, r["choices"]))
        if "within" in r:
            return f"among run.yaml {r['within']}"
        lo, hi = r.get("min"), r.get("max")
        if lo is not None and hi is not None:
            return f"{lo} to {hi}"
        if lo is not None:
            return f">= {lo}"
        if hi is not None:
            return f"<= {hi}"
        return ""


def _is_type(value, t: str) -> bool:
    if t.startswith("list["):
        inner = t[5:-1]
        return isinstance(value, list) and all(_is_type(v, inner) for v in value)
    if t == "bool":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if t == "int":
        return isinstance(value, int)
    if t == "float":
        return isinstance(value, (int, float))
    if t == "str":
        return isinstance(value, str)
    return False


def parse_entry(name: str, node, file) -> Spec:
    """One declared entry of a parameter file -> :class:`Spec` (the file's own value checked)."""
    where = rel(file)
    if not isinstance(node, dict) or "value" not in node:
        raise ParameterError("declare the parameter as a mapping with value, type, unit, range and "
                             "source or rationale", file=where, key=name)
    unknown = sorted(set(node) - _ENTRY_KEYS)
    if unknown:
        raise ParameterError(f"unknown field(s) {unknown}; allowed: {sorted(_ENTRY_KEYS)}", file=where, key=name)
    t = node.get("type")
    if t not in TYPES:
        raise ParameterError(f"type {t!r} is not one of {list(TYPES)}", file=where, key=f"{name}.type")
    if not str(node.get("unit") or "").strip():
        raise ParameterError("no unit stated (write e.g. 'year', 'share (0-1)', 'PKR per month', 'rows', 'name')",
                             file=where, key=f"{name}.unit")
    src, rat = str(node.get("source") or "").strip(), str(node.get("rationale") or "").strip()
    if not (src or rat):
        raise ParameterError("states neither a source nor a rationale", file=where, key=name)
    rng = node.get("range") or {}
    if not isinstance(rng, dict) or set(rng) - _RANGE_KEYS:
        raise ParameterError(f"range must be a mapping of {sorted(_RANGE_KEYS)}", file=where, key=f"{name}.range")
    return Spec(name=name, type=t, unit=str(node["unit"]), value=node["value"], range=dict(rng),
                basis="source" if src else "rationale", text=src or rat,
                description=str(node.get("description") or "").strip())


def read_declared(file: Path | str) -> dict[str, Spec]:
    """Every declared entry of a parameter file, by name (values not yet range-checked)."""
    data = read_yaml(file, ParameterError, name=rel(file))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError("expected a mapping of parameter: declaration", file=rel(file))
    return {k: parse_entry(k, v, file) for k, v in data.items()}


def _bound(b, shared: Mapping[str, Any], spec: Spec, where: str):
    if isinstance(b, str):
        if b not in shared:
            raise ParameterError(f"range refers to {b!r}, which is not a shared setting of params/run.yaml",
                                 file=where, key=f"{spec.name}.range")
        return shared[b], f"{b} = {shared[b]}"
    return b, str(b)


def check_value(spec: Spec, value, where: str, shared: Mapping[str, Any] | None = None) -> Any:
    """``value`` against ``spec``: type and range (bounds may name shared settings)."""
    shared = shared or {}
    if not _is_type(value, spec.type):
        raise ParameterError(f"should be {spec.type} ({spec.unit}), got {type(value).__name__} {value!r}",
                             file=where, key=spec.name)
    items = value if isinstance(value, list) else [value]
    r = spec.range
    if "choices" in r and any(v not in r["choices"] for v in items):
        bad = [v for v in items if v not in r["choices"]]
        raise ParameterError(f"{bad[0]!r} is not one of {r['choices']}", file=where, key=spec.name)
    if "within" in r:
        allowed, label = _bound(r["within"], shared, spec, where)
        bad = [v for v in items if v not in list(allowed)]
        if bad:
            raise ParameterError(f"{bad[0]!r} is not among {label}", file=where, key=spec.name)
    for k, cmp, word in (("min", lambda v, b: v < b, "below"), ("max", lambda v, b: v > b, "above")):
        if k in r:
            b, label = _bound(r[k], shared, spec, where)
            bad = [v for v in items if cmp(v, b)]
            if bad:
                raise ParameterError(f"{bad[0]!r} is {word} the {'minimum' if k == 'min' else 'maximum'} "
                                     f"{label} ({spec.unit})", file=where, key=spec.name)
    return value


def values(specs: Mapping[str, Spec]) -> dict[str, Any]:
    return {k: s.value for k, s in specs.items()}
