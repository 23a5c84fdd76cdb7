"""Human labels and units for the ids the exhibits would otherwise show: one registry.

The code and the CSV tables speak in ids (``cost_pkr_bn``, ``kp_medium``, ``child_benefit``);
a reader of the report and of the Excel workbook sees words and units ("Cost (Rs bn)",
"Full floor, medium", "Child benefit"). This module is the one place that maps the one to
the other:

* ``params/labels/*.yaml`` hold the registry, by topic. Each file may have two sections:

  - ``columns``: a column id -> ``{label: ..., unit: ...}`` (``unit`` optional); the header
    shown is "label (unit)", and the unit gives the column's default number format
    (:data:`UNIT_FORMATS`);
  - ``values``: an id that appears as a cell value or a figure's legend entry -> its label.

  An id defined twice (in one file or across files) is an error: one home per label.
* Scenario ids are labelled by the scenario files themselves: the top-level ``label`` of
  ``params/scenarios/<name>.yaml``.

:func:`find_ids` says what counts as an id: a lower-case word with an underscore
(``snake_case``), not part of a path, a file name or an address. :class:`Chapter`
(:mod:`spf_analysis.report.exhibits`) labels every table's headers and cells through
:func:`header` and :func:`relabel` and checks every figure's text with :func:`check_text`;
an id without a label stops the build with :class:`UnlabelledId`, naming the exhibit and
the id, so no exhibit can show one. Columns whose values are meant to be typed by the
reader (a parameter's YAML key, a file name) are declared ``keys=`` on the table: they are
shown as code, not labelled.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from spf_analysis.config import paths
from spf_analysis.config.errors import FileKeyError, read_yaml

#: an id: lower-case snake_case with at least one underscore, not inside a path, file name,
#: address or a longer token (``reports/tables/04_x.csv``, ``https://a_b``, ``x.y_z``)
ID = re.compile(r"(?<![\w/.:#@=-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w/(]|\.[A-Za-z0-9]|-\w)")

#: default display format of a column by its unit (Python format specs; the workbook
#: translates them to Excel number formats). Percent units hold percentage points (12.3);
#: ``share`` holds fractions (0.123) shown as a percentage.
UNIT_FORMATS = {
    "persons": "{:,.0f}",
    "households": "{:,.0f}",
    "families": "{:,.0f}",
    "births": "{:,.0f}",
    "count": "{:,.0f}",
    "Rs": "{:,.0f}",
    "Rs bn": "{:,.1f}",
    "Rs m": "{:,.1f}",
    "Rs per month": "{:,.0f}",
    "Rs per year": "{:,.0f}",
    "%": "{:.1f}",
    "% of KP GDP": "{:.2f}",
    "% of national GDP": "{:.3f}",
    "% of KP budget": "{:.1f}",
    "percentage points": "{:.2f}",
    "share": "{:.1%}",
    "years": "{:,.0f}",
    "months": "{:.1f}",
    "ratio": "{:.2f}",
    "per 1,000": "{:.1f}",
    "per 10,000": "{:.1f}",
}


class ByMagnitude:
    """A display format for a column whose rows hold different units (a count beside a share):
    integers with thousands separators from 100 up, else three significant digits. Used like a
    format spec (``formats={"target": labels.BY_MAGNITUDE}``)."""

    def format(self, v) -> str:
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}"


BY_MAGNITUDE = ByMagnitude()


class UnlabelledId(ValueError):
    """An exhibit would show an id that has no label in the registry."""


class LabelRegistryError(FileKeyError):
    """A malformed or contradictory entry in ``params/labels/*.yaml``."""


def labels_dir() -> Path:
    return paths.PARAMS / "labels"


def _files() -> list[Path]:
    return sorted(labels_dir().glob("*.yaml")) + sorted((paths.PARAMS / "scenarios").glob("*.yaml"))


_CACHE: dict = {"key": None, "reg": None}


def registry() -> dict:
    """``{"columns": {id: (label, unit)}, "values": {id: label}}`` read from ``params/labels/*.yaml``
    and the scenario files' ``label`` (re-read when a file changes, so a live kernel sees an edit)."""
    files = _files()
    key = tuple((str(f), f.stat().st_mtime_ns) for f in files)
    if _CACHE["key"] != key:
        _CACHE["reg"] = _load(files)
        _CACHE["key"] = key
    return _CACHE["reg"]


def _load(files: list[Path]) -> dict:
    columns: dict[str, tuple[str, str]] = {}
    values: dict[str, str] = {}
    home: dict[str, str] = {}

    def claim(kind: str, ident: str, where: str) -> None:
        k = (kind, ident)
        if k in home:
            raise LabelRegistryError(f"{where}: {kind} label {ident!r} is already defined in {home[k]} "
                                     "(one home per label)")
        home[k] = where

    scen = paths.PARAMS / "scenarios"
    for f in files:
        where = paths.rel(f) if hasattr(paths, "rel") else str(f)
        doc = read_yaml(f, LabelRegistryError, name=where) or {}
        if f.parent == scen:
            label = doc.get("label")
            if not isinstance(label, str) or not label.strip():
                raise LabelRegistryError(f"{where}: the scenario needs a top-level 'label' (the words a "
                                         "reader sees for it in tables and legends)")
            claim("value", f.stem, where)
            values[f.stem] = label.strip()
            continue
        unknown = set(doc) - {"columns", "values"}
        if unknown:
            raise LabelRegistryError(f"{where}: unknown sections {sorted(unknown)} (use 'columns' and 'values')")
        for ident, spec in (doc.get("columns") or {}).items():
            if isinstance(spec, str):
                spec = {"label": spec}
            if not isinstance(spec, dict) or not str(spec.get("label", "")).strip():
                raise LabelRegistryError(f"{where}: columns.{ident}: give a 'label'")
            bad = set(spec) - {"label", "unit", "note"}
            if bad:
                raise LabelRegistryError(f"{where}: columns.{ident}: unknown keys {sorted(bad)}")
            unit = str(spec.get("unit") or "")
            claim("column", str(ident), where)
            columns[str(ident)] = (str(spec["label"]).strip(), unit)
        for ident, label in (doc.get("values") or {}).items():
            if not isinstance(label, str) or not label.strip():
                raise LabelRegistryError(f"{where}: values.{ident}: give a label (text)")
            claim("value", str(ident), where)
            values[str(ident)] = label.strip()
    return {"columns": columns, "values": values}


def find_ids(text) -> list[str]:
    """The ids in ``text`` (see :data:`ID`), in order, without repeats."""
    if not isinstance(text, str):
        return []
    return list(dict.fromkeys(ID.findall(text)))


def label(ident: str) -> str:
    """The label of a value id (a scenario, a benefit, an indicator) or, failing that, of a column id
    (without its unit). An id without a label is an :class:`UnlabelledId`."""
    reg = registry()
    if ident in reg["values"]:
        return reg["values"][ident]
    if ident in reg["columns"]:
        return reg["columns"][ident][0]
    raise UnlabelledId(f"{ident!r} has no label: add it to params/labels/*.yaml"
                       + (" (or a 'label' to its scenario file)" if ident.startswith(("kp_", "package_")) else ""))


def in_words(text):
    """``text`` with each id in it replaced by its :func:`label` (an id without one is an
    :class:`UnlabelledId`): for a composed text such as "S24 Sahara card: benefit_amount"."""
    if not isinstance(text, str):
        return text
    return ID.sub(lambda m: label(m.group(1)), text)


def labels(idents) -> list[str]:
    """:func:`label` of each id."""
    return [label(i) for i in idents]


def unit(column: str) -> str:
    """The registered unit of a column id ("" when none)."""
    return registry()["columns"].get(str(column), ("", ""))[1]


def header(column, explicit: dict | None = None) -> str:
    """The header shown for ``column``: the table's own label (``explicit``), else the registry's
    "label (unit)", else the column itself when it is not an id (a year, "Scenario")."""
    if explicit and column in explicit:
        return str(explicit[column])
    col = str(column)
    entry = registry()["columns"].get(col)
    if entry is not None:
        lab, u = entry
        return f"{lab} ({u})" if u else lab
    return col


def unit_format(column) -> str | None:
    """The default display format of a column from its registered unit (None: no unit, or a unit
    without a default format)."""
    return UNIT_FORMATS.get(unit(column))


def relabel_value(v, reg: dict | None = None):
    """A cell value as shown: an id with a label becomes the label (a value's label, else a column
    id's header with its unit, as a long table's "indicator" column names them); booleans become yes/no;
    anything else is returned unchanged (:func:`check_text` catches ids left in free text). ``reg``:
    the :func:`registry` already read (a table's cells read it once, not once per cell)."""
    if isinstance(v, (bool,)) or type(v).__name__ == "bool_":
        return "yes" if v else "no"
    if isinstance(v, str):
        reg = registry() if reg is None else reg
        if v in reg["values"]:
            return reg["values"][v]
        if v in reg["columns"] and find_ids(v) == [v]:  # a long table's cell naming a column id
            return header(v)
    return v


def relabel(df: pd.DataFrame, keys=()) -> pd.DataFrame:
    """``df`` with the values of its text and boolean columns labelled (:func:`relabel_value`),
    except the ``keys`` columns (values a reader types: YAML keys, file names)."""
    out = df.copy()
    reg = registry()
    for col in out.columns:
        if col in keys:
            continue
        s = out[col]
        if pd.api.types.is_bool_dtype(s) or s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = [relabel_value(v, reg) for v in s]
    return out


#: the marks around a span shown as code (``<code>``) in a table cell: a key a reader types
CODE_OPEN, CODE_CLOSE = "\ue000", "\ue001"
_CODE_SPAN = re.compile(f"{CODE_OPEN}[^{CODE_CLOSE}]*{CODE_CLOSE}")


def mark_code(text):
    """``text`` with each id in it marked as code (:data:`CODE_OPEN` ... :data:`CODE_CLOSE`): for
    free text that cites keys a reader types (a parameter, a processed table) by name."""
    if not isinstance(text, str):
        return text
    return ID.sub(lambda m: f"{CODE_OPEN}{m.group(1)}{CODE_CLOSE}", text)


def check_text(texts, where: str) -> None:
    """Raise :class:`UnlabelledId` when any of ``texts`` shows an id (``where`` names the exhibit);
    spans marked as code (:func:`mark_code`) are keys, not ids to label."""
    found: dict[str, str] = {}
    for t in texts:
        for i in find_ids(_CODE_SPAN.sub(" ", t if isinstance(t, str) else str(t))):
            found.setdefault(i, t)
    if found:
        reg = registry()
        items = "; ".join(f"{i!r} in {str(t)[:60]!r}" + (f" (label: {label(i)!r})" if i in reg["values"] or i in reg["columns"] else "")
                          for i, t in list(found.items())[:8])
        raise UnlabelledId(f"{where} shows code ids instead of words: {items}. Label them with "
                           "spf_analysis.config.labels (params/labels/*.yaml, a scenario's 'label') or the "
                           "exhibit's labels=; declare columns a reader types (YAML keys, files) keys=.")


def figure_texts(fig) -> list[str]:
    """Every text a matplotlib figure shows: titles, axis labels, tick labels, legends, annotations."""
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
