"""The assumptions annex: every parameter of the study with its source or rationale.

Reads the parameter files as text (never through the loaders, which stop at the first value
without a source) and lists every value, so that a value lacking a source is *flagged* in the
annex instead of hidden:

* ``params/policy/*.yaml`` (:mod:`spf_analysis.model.policy`): each dated value with its ``reference``
  (+ locator, url) or ``rationale``;
* ``params/scenarios/*.yaml`` (:mod:`spf_analysis.model.costing`): each value node of a scenario with
  its ``source`` or ``rationale``;
* ``params/matrix.yaml`` (:mod:`spf_analysis.report.matrix`): each qualitative entry of the matrix;
* notebook parameters ``params/<notebook>.yaml``, ``params/survey.yaml`` and
  ``params/survey_synthetic.yaml``: plain values documented by their YAML comment (the comment
  on the key's line, else the comment block directly above it).

Each row has a ``basis``: ``source``, ``rationale``, ``source; rationale``, ``comment`` or
``MISSING`` (no source or rationale stated). ``params/report.yaml`` (title page) and
``params/codebooks`` (variable names of the PBS files) hold no assumptions and are left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from spf_analysis.config import paths
from spf_analysis.config.errors import read_yaml

__all__ = ["MISSING", "COLUMNS", "policy_rows", "scenario_rows", "matrix_rows", "comment_rows",
           "assumptions_table", "default_files", "missing"]

MISSING = "MISSING"
COLUMNS = ["group", "file", "parameter", "value", "basis", "source_or_rationale"]
_PROV_SCENARIO = ("source", "rationale")
#: provenance keys of a plain (undated) mapping in a policy file
_PLAIN_PROV = {"source", "reference", "url", "rationale", "reason"}
_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:(.*)$")


def _rel(file) -> str:
    file = Path(file)
    return str(file.relative_to(paths.ROOT)) if file.is_relative_to(paths.ROOT) else file.name


def _load(file) -> dict:
    data = read_yaml(file, name=_rel(file))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{_rel(file)}: expected a mapping")
    return data


def _fmt(v) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if isinstance(v, float):
        return str(v) if len(str(v)) <= 12 else f"{v:.10g}"
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10000:
        return f"{v:,}"
    return str(v).strip()


def _basis(src: str, rat: str) -> tuple[str, str]:
    kinds = [k for k, t in (("source", src), ("rationale", rat)) if t]
    text = " | ".join(t for t in (src, f"Rationale: {rat}" if rat and src else rat) if t)
    return ("; ".join(kinds) or MISSING), text


def policy_rows(file) -> list[dict]:
    """Every dated value of a policy file (nested names joined by dots)."""
    rel, rows = _rel(file), []

    def walk(tree, prefix):
        for k, node in tree.items():
            name = f"{prefix}{k}"
            if not isinstance(node, dict):
                rows.append({"file": rel, "parameter": name, "value": _fmt(node), "basis": MISSING,
                             "source_or_rationale": "not a dated value with a reference"})
            elif "values" in node:
                unit = node.get("unit", "")
                for date, v in (node.get("values") or {}).items():
                    v = v if isinstance(v, dict) else {"value": v}
                    src = " | ".join(str(v[x]).strip() for x in ("reference", "locator", "url") if str(v.get(x) or "").strip())
                    src = src if str(v.get("reference") or "").strip() else ""
                    basis, text = _basis(src, str(v.get("rationale") or "").strip())
                    rows.append({"file": rel, "parameter": f"{name} (from {date})",
                                 "value": f"{_fmt(v.get('value'))} {unit}".strip(), "basis": basis,
                                 "source_or_rationale": text})
            elif set(node) & _PLAIN_PROV:  # a plain choice (e.g. macro.yaml `choice:`) with its reason
                value = {x: y for x, y in node.items() if x not in _PLAIN_PROV}
                src = " | ".join(str(node[x]).strip() for x in ("source", "reference", "url") if str(node.get(x) or "").strip())
                rat = " ".join(str(node[x]).strip() for x in ("rationale", "reason") if str(node.get(x) or "").strip())
                basis, text = _basis(src, rat)
                rows.append({"file": rel, "parameter": name, "value": _fmt(value), "basis": basis,
                             "source_or_rationale": text})
            else:
                walk(node, f"{name}.")

    walk(_load(file), "")
    return rows


def scenario_rows(file) -> list[dict]:
    """Every value node of a scenario file: horizon, population and each benefit field."""
    rel, spec, rows = _rel(file), _load(file), []

    def node_row(name, node):
        if not isinstance(node, dict):
            rows.append({"file": rel, "parameter": name, "value": _fmt(node), "basis": MISSING,
                         "source_or_rationale": ""})
            return
        value = {k: v for k, v in node.items() if k not in _PROV_SCENARIO}
        shown = _fmt(value["value"]) if set(value) == {"value"} else _fmt(value)
        basis, text = _basis(str(node.get("source") or "").strip(), str(node.get("rationale") or "").strip())
        rows.append({"file": rel, "parameter": name, "value": shown, "basis": basis, "source_or_rationale": text})

    for top in ("horizon", "population"):
        if top in spec:
            node_row(top, spec[top])
    for bname, ben in (spec.get("benefits") or {}).items():
        for fld, node in (ben or {}).items():
            node_row(f"{bname}.{fld}", node)
    return rows


def matrix_rows(file) -> list[dict]:
    """Every qualitative entry of the assessment matrix (provision, issues, recommendations)."""
    rel, spec, rows = _rel(file), _load(file), []
    for g, row in (spec.get("guarantees") or {}).items():
        entries = [("provision", row.get("provision"))]
        entries += [(f"implementation_issues[{i + 1}]", e) for i, e in enumerate(row.get("implementation_issues") or [])]
        entries += [(f"recommendations[{i + 1}]", e) for i, e in enumerate(row.get("recommendations") or [])]
        for name, e in entries:
            e = e if isinstance(e, dict) else {"text": e}
            basis, text = _basis(str(e.get("source") or "").strip(), str(e.get("rationale") or "").strip())
            rows.append({"file": rel, "parameter": f"{g}.{name}", "value": str(e.get("text", "")).strip(),
                         "basis": basis, "source_or_rationale": text})
    return rows


def comment_rows(file) -> list[dict]:
    """Top-level keys of a plain YAML file with the comment that documents each.

    The comment on the key's line wins; else the block of comment lines directly above the key
    (no blank line between), unless that block is the file's header (it starts on line 1).
    """
    rel, data, rows = _rel(file), _load(file), []
    lines = Path(file).read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        m = _KEY_LINE.match(line)
        if not m or m.group(1) not in data:
            continue
        key, rest = m.group(1), m.group(2)
        comment = rest.split(" #", 1)[1].strip() if " #" in rest else ""
        if not comment:
            j = i
            while j > 0 and lines[j - 1].lstrip().startswith("#"):
                j -= 1
            if j < i and j > 0:
                comment = " ".join(ln.lstrip("# ").strip() for ln in lines[j:i])
        rows.append({"file": rel, "parameter": key, "value": _fmt(data[key]),
                     "basis": "comment" if comment else MISSING, "source_or_rationale": comment})
    return rows


def declared_rows(file) -> list[dict]:
    """Entries of a declared parameter file (params/run.yaml, params/NN_name.yaml): value with its
    unit and valid range, and its source or rationale (:mod:`spf_analysis.config.parameters`)."""
    from spf_analysis.config import params as P
    from spf_analysis.config.parameters import read_declared

    file = Path(file)
    if file.parent == paths.PARAMS and P.notebook_file(file.stem).exists():
        # checked as the build checks them (type, range, known keys): the annex runs beside the
        # notebooks, so a value that stops its notebook must stop the annex too, not be listed
        P.check(file.stem, file=file)
    rows = []
    for name, spec in read_declared(file).items():
        rng = spec.range_text()
        value = f"{_fmt(spec.value)} ({spec.unit}" + (f"; valid: {rng})" if rng else ")")
        rows.append({"file": _rel(file), "parameter": name, "value": value, "basis": spec.basis,
                     "source_or_rationale": spec.text})
    return rows


def existing_rows(file) -> list[dict]:
    """Entries of the existing-schemes mapping (params/existing_schemes.yaml, read and validated by
    :func:`spf_analysis.model.existing.load_mapping`): each provision's relation to the existing
    schemes, every existing scheme (absorbed share, how its spending is carried, where it is read)
    and the federal share of its net cost, each with its rationale."""
    from spf_analysis.model.existing import load_mapping

    rows = []
    for p in load_mapping(file).provisions.values():
        rows.append({"file": _rel(file), "parameter": f"{p.name}.relation", "value": p.relation,
                     "basis": "rationale", "source_or_rationale": p.rationale})
        for i, it in enumerate(p.items):
            where = (", ".join(f"{k} {v}" for k, v in it.amount.items()) if it.amount else "no KP figure")
            rows.append({"file": _rel(file), "parameter": f"{p.name}.existing[{i}] ({it.scheme})",
                         "value": f"absorbed share {it.absorbed_share:g}; carried: {it.carried}; {where}",
                         "basis": "rationale",
                         "source_or_rationale": " ".join(x for x in (it.rationale, it.not_found) if x)})
        rows.append({"file": _rel(file), "parameter": f"{p.name}.financing.federal_share", "value": f"{p.federal_share:g}",
                     "basis": "rationale", "source_or_rationale": p.financing_rationale})
    return rows


#: plain YAML files documented by comments (the synthetic survey's model and the survey choice)
COMMENTED = ("survey.yaml", "survey_synthetic.yaml")
#: the existing-schemes mapping (its own structure, read by :func:`existing_rows`)
EXISTING = "existing_schemes.yaml"


def default_files(params_dir: Path | None = None) -> dict[str, list[Path]]:
    """The parameter files of the study, by group (the order of the annex)."""
    d = Path(params_dir) if params_dir else paths.PARAMS
    declared = sorted(p for p in d.glob("*.yaml") if p.name not in ("report.yaml", "matrix.yaml", EXISTING) + COMMENTED)
    return {"policy": sorted((d / "policy").glob("*.yaml")),
            "scenario": sorted((d / "scenarios").glob("*.yaml")),
            "existing schemes": [d / EXISTING] if (d / EXISTING).exists() else [],
            "matrix": [d / "matrix.yaml"] if (d / "matrix.yaml").exists() else [],
            "shared settings and notebooks": declared,
            "survey": [d / n for n in COMMENTED if (d / n).exists()]}


_READERS = {"policy": policy_rows, "scenario": scenario_rows, "existing schemes": existing_rows, "matrix": matrix_rows,
            "shared settings and notebooks": declared_rows, "survey": comment_rows}


def assumptions_table(files: dict[str, list[Path]] | None = None) -> pd.DataFrame:
    """One row per parameter value: group, file, parameter, value, basis, source_or_rationale."""
    files = default_files() if files is None else files
    frames = []
    for group, fs in files.items():
        for f in fs:
            rows = _READERS[group](f)
            if rows:
                frames.append(pd.DataFrame(rows).assign(group=group))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def missing(table: pd.DataFrame) -> pd.DataFrame:
    """The values that state no source or rationale."""
    return table[table["basis"] == MISSING]


def build_overrides(executed_dir: Path | None = None, params_dir: Path | None = None,
                    args_dir: Path | None = None) -> pd.DataFrame:
    """Parameters whose value in this build differs from its parameter file: a command-line
    override (``make report ARGS_NN_name='key=value'``), read from the executed notebooks
    (papermill records the values it injected in their metadata). Columns: notebook,
    parameter, file_value, build_value.

    A notebook whose override stamp (``reports/.build/args/NN_name.args``, which make rewrites
    when ``ARGS_NN_name`` changes) is empty ran with its parameter file: it is not read, so the
    annex depends on the executed notebooks given an override only (the Makefile lists exactly
    those as its prerequisites) and runs beside the others."""
    import json

    from spf_analysis.config.parameters import read_declared

    executed_dir = Path(executed_dir or paths.REPORT_NOTEBOOKS)
    params_dir = Path(params_dir or paths.PARAMS)
    args_dir = Path(args_dir or paths.REPORTS / ".build" / "args")
    rows = []
    for nb in sorted(executed_dir.glob("*.ipynb")):
        stamp = args_dir / f"{nb.stem}.args"
        if stamp.exists() and not stamp.read_text(encoding="utf-8").strip():
            continue  # no override given: the notebook ran with its parameter file
        injected = json.loads(nb.read_text(encoding="utf-8")).get("metadata", {}).get("papermill", {}).get("parameters", {})
        f = params_dir / f"{nb.stem}.yaml"
        declared = read_declared(f) if f.exists() else {}
        for k, v in injected.items():
            if k in declared and declared[k].value != v:
                rows.append({"notebook": nb.stem, "parameter": k, "file_value": _fmt(declared[k].value),
                             "build_value": _fmt(v)})
    return pd.DataFrame(rows, columns=["notebook", "parameter", "file_value", "build_value"])
