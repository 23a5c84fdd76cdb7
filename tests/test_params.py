"""Parameter files must fit their notebooks: a typo is an error, not a silently ignored value."""

import re

import pytest

from spf_analysis.config import params
from spf_analysis.config import paths

# numbered chapters (NN_name) and lettered parts (S_ executive summary, A_ annex)
PARAM_FILES = sorted(p for pat in ("[0-9][0-9]_*.yaml", "[A-Z]_*.yaml") for p in paths.PARAMS.glob(pat))
NOTEBOOKS = sorted(p for pat in ("[0-9][0-9]_*.ipynb", "[A-Z]_*.ipynb") for p in paths.NOTEBOOKS.glob(pat))


def test_there_are_notebooks_and_params():
    assert NOTEBOOKS and PARAM_FILES


@pytest.mark.parametrize("file", PARAM_FILES, ids=lambda p: p.name)
def test_every_key_is_a_parameter_of_its_notebook(file):
    declared = params.notebook_parameters(params.notebook_file(file.stem))
    values = params.load_values(file.stem)
    assert set(values) <= set(declared), f"{file.name}: {set(values) - set(declared)}"
    params.check(file.stem)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_defaults_equal_the_params_file(nb):
    """The parameters cell (what JupyterLab runs) and params/NN.yaml (what the build injects) agree,
    and every parameter of the notebook is declared in the file."""
    import ast

    declared = params.notebook_parameters(nb)
    values = params.load_values(nb.stem)
    assert set(declared) == set(values), f"{nb.name}: cell {sorted(declared)} vs file {sorted(values)}"
    for k, p in declared.items():
        assert ast.literal_eval(p["default"]) == values[k], f"{nb.name}: {k}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_params_file_plain_literals_and_make_target(nb):
    assert params.params_file(nb.stem).exists()
    for p in params.notebook_parameters(nb).values():
        params.default_type(p)  # raises on a non-literal default
    makefile = (paths.ROOT / "Makefile").read_text()
    listed = re.search(r"^NOTEBOOKS\s*:=(.*)$", makefile, re.M).group(1).split()
    assert nb.stem in listed


def test_unknown_key_is_an_error_with_a_hint():
    with pytest.raises(params.ParameterError, match=r"unknown parameter 'top_district'.*did you mean 'top_districts'"):
        params.check("01_demographic_profile", {"top_district": 5})


def test_wrong_type_is_an_error():
    with pytest.raises(params.ParameterError, match="should be int"):
        params.check("01_demographic_profile", {"top_districts": "ten"})


def test_malformed_yaml(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("a: [1, 2\n")
    with pytest.raises(params.ParameterError, match="invalid YAML"):
        params.load_values("x", f)


@pytest.mark.parametrize("notebook,key,value,message", [
    ("04_costing_options", "tornado_year", 2050, r"params/04_costing_options.yaml: tornado_year: 2050 is above the maximum horizon_end = 2035"),
    ("05_distributional_impact", "confidence_level", 1.2, r"params/05_distributional_impact.yaml: confidence_level: 1.2 is above the maximum 0.999"),
    ("05_distributional_impact", "eobi_wage_base", -13000.0, r"eobi_wage_base: -13000.0 is below the minimum 1.0"),
    ("05_distributional_impact", "targeting", "random", r"targeting: 'random' is not one of \['pmt', 'consumption'\]"),
    ("06_fiscal_space", "packages", ["kp_medium", "kp_hihg"], r"packages: 'kp_hihg' is not among scenarios"),
])
def test_out_of_range_is_an_error_naming_file_and_key(notebook, key, value, message):
    with pytest.raises(params.ParameterError, match=message):
        params.check(notebook, {**params.load_values(notebook), key: value})


def test_override_is_checked_and_named():
    with pytest.raises(params.ParameterError, match=r"command-line override ARGS_04_costing_options: tornado_year: 2050 is above"):
        params.check("04_costing_options", overrides={"tornado_year": 2050})
    assert params.check("04_costing_options", overrides={"tornado_year": 2033})["tornado_year"] == 2033


def test_a_declaration_without_unit_or_source_is_refused(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("a:\n  value: 1\n  type: int\n  rationale: r\n")
    with pytest.raises(params.ParameterError, match="a.unit: no unit stated"):
        params.load_values("x", f)
    f.write_text("a:\n  value: 1\n  type: int\n  unit: rows\n")
    with pytest.raises(params.ParameterError, match="a: states neither a source nor a rationale"):
        params.load_values("x", f)


def test_makefile_lists_every_processed_table():
    from spf_analysis.data import io

    makefile = (paths.ROOT / "Makefile").read_text()
    block = re.search(r"^TABLES\s*:=((?:.*\\\n)*.*)$", makefile, re.M).group(1)
    assert sorted(block.replace("\\", " ").split()) == sorted(io.PROCESSED_TABLES)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_source_notebooks_carry_no_outputs(nb):
    import nbformat

    cells = nbformat.read(nb, as_version=4).cells
    assert not [c for c in cells if c.cell_type == "code" and (c.outputs or c.execution_count)]


@pytest.mark.parametrize("content, message", [
    (None, "file not found"), (b"a: [1, 2\n", "invalid YAML"), (b"a: \xff\xfe\n", "not valid UTF-8")])
def test_read_yaml_names_the_file(tmp_path, content, message):
    from spf_analysis.config.errors import FileKeyError, read_yaml

    f = tmp_path / "x.yaml"
    if content is not None:
        f.write_bytes(content)
    with pytest.raises(FileKeyError, match=rf"x\.yaml: {message}"):
        read_yaml(f)


#: Modules allowed to call the YAML parser directly: the reader itself; build.py parses a
#: command-line value (``key=value`` overrides), not a file, and report/assemble.py still reads
#: params/report.yaml itself: both to move to ``config.errors.parse_yaml`` / ``read_yaml`` (the
#: strict loader: duplicate keys and unsupported tags named) by their owner.
YAML_PARSER_ALLOWED = {"config/errors.py"}


def test_one_yaml_reader():
    """Every YAML file is read through ``config.errors.read_yaml`` (missing, undecodable or
    malformed file -> an error naming the file): no other module calls the parser."""
    import ast

    from spf_analysis.config import paths

    pkg = paths.ROOT / "spf_analysis"
    loaders = {"safe_load", "load", "full_load", "unsafe_load", "safe_load_all", "load_all"}
    found = []
    for f in sorted(pkg.rglob("*.py")):
        rel = f.relative_to(pkg).as_posix()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"), filename=str(f))):
            if isinstance(node, ast.ImportFrom) and node.module == "yaml" and {a.name for a in node.names} & loaders:
                found.append((rel, node.lineno))
            elif (isinstance(node, ast.Attribute) and node.attr in loaders
                  and isinstance(node.value, ast.Name) and node.value.id == "yaml"):
                found.append((rel, node.lineno))
    assert {rel for rel, _ in found} <= YAML_PARSER_ALLOWED, \
        f"parse YAML files with spf_analysis.config.errors.read_yaml: {[x for x in found if x[0] not in YAML_PARSER_ALLOWED]}"
    assert any(rel == "config/errors.py" for rel, _ in found)  # the check sees the reader itself


def test_in_jupyterlab_the_params_file_replaces_the_cell_values():
    """A notebook opened in JupyterLab (kernel started by a Jupyter server) runs the values of
    params/NN.yaml, as the build does; under the build, nbval or papermill nothing changes."""
    file_values = params.load_values("01_demographic_profile")
    ns = dict(file_values, top_districts=file_values["top_districts"] + 3)  # the cell says otherwise
    assert params.use_params_file(ns, "01_demographic_profile", environ={}) == {}
    assert ns["top_districts"] == file_values["top_districts"] + 3
    changed = params.use_params_file(ns, "01_demographic_profile", environ={"JPY_SESSION_NAME": "x.ipynb"})
    assert changed == {"top_districts": (file_values["top_districts"] + 3, file_values["top_districts"])}
    assert ns == file_values



@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_reads_its_params_file_in_jupyterlab(nb):
    """The cell after the parameters cell calls params.use_params_file for this notebook."""
    import json

    cells = [c for c in json.loads(nb.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    i = next(i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", []))
    assert f'use_params_file(globals(), "{nb.stem}")' in "".join(cells[i + 1]["source"]), nb.name
