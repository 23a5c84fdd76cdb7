"""Write a source notebook from a jupytext "percent" script, the house way.

    .venv/bin/python tools/py2nb.py drafts/03_coverage.py notebooks/03_coverage.ipynb

Cells get stable ids (c00, c01, ...), the kernel is ``spf-kp``, outputs and
execution counts are empty. Mark the parameters cell ``# %% tags=["parameters"]``.
Editing the .ipynb in JupyterLab afterwards is fine; clear outputs before committing.
"""

import sys

import jupytext
import nbformat


def convert(src: str, dst: str) -> None:
    nb = jupytext.read(src)
    nb.metadata = {"kernelspec": {"name": "spf-kp", "display_name": "Python (spf-kp)",
                                  "language": "python"},
                   "language_info": {"name": "python"}}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:02d}"
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    nbformat.write(nb, dst)


if __name__ == "__main__":
    convert(sys.argv[1], sys.argv[2])
