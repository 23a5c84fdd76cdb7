"""Dated policy parameters with a source on every value (OpenFisca style).

A policy file (``params/policy/*.yaml``) maps parameter names to a node::

    minimum_wage_kp:
      description: KP minimum wage for unskilled workers
      unit: PKR per month
      values:
        2024-07-01:
          value: 36000
          reference: "ProPakistani: KP assembly unveils FY25 budget (24 May 2024), para 3"
          url: https://propakistani.pk/...

Each value holds from its date until the next listed date (a step function,
as in OpenFisca ``parameters``).  Every value needs a non-empty ``reference``
(the source) or ``rationale`` (for an assumption).  :func:`value_at` returns
the value in force at a date; unknown names, malformed dates and dates before
the first value are :class:`PolicyError` naming the file and the key.

Names may be nested with dots (``sehat_card.premium_per_family``).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from spf_analysis.config import paths
from spf_analysis.config.errors import FileKeyError, read_yaml

POLICY_DIR = paths.PARAMS / "policy"
BASELINE = POLICY_DIR / "baseline.yaml"
_NODE_KEYS = {"description", "unit", "values", "note"}
_VALUE_KEYS = {"value", "reference", "url", "rationale", "locator", "confidence"}


class PolicyError(FileKeyError):
    """Invalid or unknown policy parameter; the message names the file and the key."""


def parse_date(value, *, file=None, key=None) -> _dt.date:
    """``YYYY-MM-DD`` (string or YAML date) -> date; anything else is a :class:`PolicyError`."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        raise PolicyError(f"malformed date {value!r}: use YYYY-MM-DD", file=file, key=key)
    try:
        return _dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise PolicyError(f"malformed date {value!r}: use YYYY-MM-DD", file=file, key=key) from None


@dataclass(frozen=True)
class Parameter:
    """One dated parameter: sorted ``(date, value, source)`` steps."""

    name: str
    description: str
    unit: str
    dates: tuple
    values: tuple
    sources: tuple
    file: str

    def at(self, date) -> Any:
        d = parse_date(date, file=self.file, key=self.name)
        i = None
        for k, start in enumerate(self.dates):
            if start <= d:
                i = k
        if i is None:
            raise PolicyError(f"no value before {self.dates[0].isoformat()} (asked for {d.isoformat()})", file=self.file, key=self.name)
        return self.values[i]

    def source_at(self, date) -> str:
        d = parse_date(date, file=self.file, key=self.name)
        idx = [k for k, s in enumerate(self.dates) if s <= d]
        if not idx:
            raise PolicyError(f"no value before {self.dates[0].isoformat()}", file=self.file, key=self.name)
        return self.sources[idx[-1]]


class Policy:
    """A set of dated parameters loaded from one or more YAML files."""

    def __init__(self, params: dict[str, Parameter], files: list[str]):
        self._params = params
        self.files = files

    def names(self) -> list[str]:
        return sorted(self._params)

    def __contains__(self, name: str) -> bool:
        return name in self._params

    def parameter(self, name: str) -> Parameter:
        if name not in self._params:
            import difflib

            close = difflib.get_close_matches(name, self._params, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise PolicyError(f"unknown parameter {name!r}{hint}", file=", ".join(self.files), key=name)
        return self._params[name]

    def value_at(self, name: str, date) -> Any:
        """Value of ``name`` in force on ``date`` (``YYYY-MM-DD``)."""
        return self.parameter(name).at(date)

    def table(self):
        """Every dated value with its source (for the report)."""
        import pandas as pd

        rows = []
        for name in self.names():
            p = self._params[name]
            for d, v, s in zip(p.dates, p.values, p.sources):
                rows.append({"parameter": name, "from": d.isoformat(), "value": v, "unit": p.unit, "source": s})
        return pd.DataFrame(rows, columns=["parameter", "from", "value", "unit", "source"])


def _flatten(tree: dict, prefix: str, file) -> dict[str, dict]:
    out = {}
    for k, node in tree.items():
        name = f"{prefix}{k}"
        if not isinstance(node, dict):
            raise PolicyError("expected a mapping with 'values' (or nested parameters)", file=file, key=name)
        if "values" in node:
            unknown = set(node) - _NODE_KEYS
            if unknown:
                raise PolicyError(f"unknown key(s) {sorted(unknown)}; allowed {sorted(_NODE_KEYS)}", file=file, key=name)
            out[name] = node
        else:
            out.update(_flatten(node, f"{name}.", file))
    return out


def _parameter(name: str, node: dict, file) -> Parameter:
    vals = node["values"]
    if not isinstance(vals, dict) or not vals:
        raise PolicyError("'values' must be a non-empty mapping date -> {value, reference}", file=file, key=f"{name}.values")
    steps = []
    for raw_date, v in vals.items():
        key = f"{name}.values[{raw_date}]"
        d = parse_date(raw_date, file=file, key=key)
        if not isinstance(v, dict) or "value" not in v:
            raise PolicyError("each dated entry needs 'value' and a 'reference' or 'rationale'", file=file, key=key)
        unknown = set(v) - _VALUE_KEYS
        if unknown:
            raise PolicyError(f"unknown key(s) {sorted(unknown)}; allowed {sorted(_VALUE_KEYS)}", file=file, key=key)
        src = " | ".join(str(v[k]) for k in ("reference", "locator", "url", "rationale") if v.get(k))
        if not (str(v.get("reference") or "").strip() or str(v.get("rationale") or "").strip()):
            raise PolicyError("every value needs a non-empty 'reference' (source) or 'rationale'", file=file, key=key)
        val = v["value"]
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            hint = " (write large numbers in full or as 1.0e+12: YAML reads 1e12 as text)" if isinstance(val, str) else ""
            raise PolicyError(f"value must be a number, got {val!r}{hint}", file=file, key=key)
        steps.append((d, val, src))
    steps.sort(key=lambda s: s[0])
    dates = [s[0] for s in steps]
    if len(set(dates)) != len(dates):
        raise PolicyError("duplicate date", file=file, key=name)
    return Parameter(
        name=name, description=str(node.get("description", "")), unit=str(node.get("unit", "")),
        dates=tuple(dates), values=tuple(s[1] for s in steps), sources=tuple(s[2] for s in steps), file=str(file),
    )


def load(*files) -> Policy:
    """Load policy files (default: ``params/policy/baseline.yaml``); later files override earlier names."""
    files = [Path(f) for f in files] or [BASELINE]
    params: dict[str, Parameter] = {}
    for f in files:
        rel = f.relative_to(paths.ROOT) if f.is_relative_to(paths.ROOT) else f
        tree = read_yaml(f, PolicyError, name=rel)
        if not isinstance(tree, dict):
            raise PolicyError("a policy file must be a mapping of parameters", file=rel)
        for name, node in _flatten(tree, "", rel).items():
            params[name] = _parameter(name, node, rel)
    return Policy(params, [str(f.relative_to(paths.ROOT) if f.is_relative_to(paths.ROOT) else f) for f in files])


def value_at(name: str, date, *files) -> Any:
    """Shortcut: ``load(*files).value_at(name, date)``."""
    return load(*files).value_at(name, date)


def survey_poverty_line() -> float:
    """The official CBN poverty line in the survey's price year (``params/run.yaml`` survey_price_year),
    PKR per adult equivalent per month: ``poverty_line.official_cbn`` of ``params/policy/baseline.yaml``
    on the first day of that fiscal year."""
    from spf_analysis.config import run

    return float(load().value_at("poverty_line.official_cbn", f"{run.settings().survey_price_year - 1}-07-01"))
