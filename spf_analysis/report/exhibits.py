"""Numbered, sourced figures and tables for the chapters of the report.

A notebook opens a :class:`Chapter` and hands it each figure and table. The
chapter numbers them (``Figure 1.2``), writes the figure (PNG) and the table
(CSV, Excel-friendly) to ``reports/figures`` / ``reports/tables`` (through the
build runner's staging folder), and displays them with their caption and
source line, which is what the HTML report shows. Outputs built on the
synthetic survey carry a visible notice: the HTML caption
(:data:`SYNTHETIC_NOTICE`), a label drawn inside the PNG (:func:`label_synthetic`)
and a last CSV column ``data`` holding :data:`SYNTHETIC_LABEL` on every row (a
column rather than a comment line, so that pandas and Excel read the CSV as before
and the readers of ``reports/tables`` select their columns by name unchanged).

An exhibit displays itself when it is made (in a Jupyter kernel), wherever the
call sits in the cell; the :class:`Exhibit` returned does not display again, so
``display(ch.table(...))`` or a call as a cell's last expression shows it once.
Re-running a cell in a live kernel replaces the exhibit of the same name: same
label and number, its row of ``NN_index.csv`` and its files rewritten.
A table made with ``report=False`` is workbook-only: the report shows a line
naming it and where it is (CSV, Excel workbook) instead of the table.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io as _io
import json
import os
import re
import sys

# No display here; inline display is done by us: the Agg backend. matplotlib itself is loaded
# only by a figure (or by spf_analysis.report.plots), so that a chapter without figures does
# not pay for its import (about a second of each notebook run).
if "matplotlib" in sys.modules:
    sys.modules["matplotlib"].use("Agg")
else:
    os.environ["MPLBACKEND"] = "Agg"  # read by matplotlib when it is first imported
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from spf_analysis.config import paths  # noqa: E402
from spf_analysis.config.fsutil import write_bytes  # noqa: E402
from spf_analysis.config import labels as _labels  # noqa: E402

SYNTHETIC_NOTICE = ("Synthetic data: estimated on the seeded synthetic KP survey "
                    "calibrated to published aggregates, not on PBS microdata.")
#: the short label inside a synthetic figure, in its CSV column and in the workbook
SYNTHETIC_LABEL = "Synthetic survey data (not PBS microdata)"
#: the CSV column of a synthetic table that carries :data:`SYNTHETIC_LABEL` (always last)
LABEL_COLUMN = "data"


#: how the synthetic-data label is drawn (small grey italics, right-aligned, hanging below its point)
LABEL_STYLE = dict(ha="right", va="top", fontsize=7, fontstyle="italic", color="0.4")
#: inches below the figure's tight bounding box at which the synthetic-data label hangs
LABEL_GAP = 0.04
#: inches around the figure within which :func:`figure_png` draws what a figure shows outside its own
#: area (long tick labels, a legend placed outside the axes); a figure reaching further out is saved by
#: matplotlib's ``savefig(bbox_inches="tight")``, which lays it out once more to find its extent
MARGIN_INCHES = 4.0


def label_synthetic(fig) -> None:
    """Draw :data:`SYNTHETIC_LABEL` inside ``fig``, in small grey italics, right-aligned just
    below everything the figure already shows (axes, tick labels, a legend outside the axes),
    so that it overlaps nothing and ``bbox_inches="tight"`` keeps it in the saved image."""
    fig.draw_without_rendering()  # lay out first (no pixels): the extent below includes every artist
    box = fig.get_tightbbox(fig.canvas.get_renderer())  # inches
    w, h = fig.get_size_inches()
    fig.text(box.x1 / w, (box.y0 - LABEL_GAP) / h, SYNTHETIC_LABEL, **LABEL_STYLE)


def figure_png(fig, dpi: int = 150, synthetic: bool = False) -> bytes:
    """PNG bytes of a matplotlib figure, without a timestamp (reproducible): what
    ``fig.savefig(format="png", dpi=dpi, bbox_inches="tight")`` writes (the figure's tight bounding box
    and savefig's padding), drawn once (:func:`_png_one_drawing`) rather than laid out, then drawn
    again, as savefig does; ``synthetic`` draws the synthetic-data label inside it, as
    :func:`label_synthetic` places it. A figure that :func:`_png_one_drawing` cannot draw so (a layout
    engine, another canvas, an extent beyond :data:`MARGIN_INCHES`) is saved by savefig itself."""
    png = _png_one_drawing(fig, dpi, synthetic)
    if png is not None:
        return png
    if synthetic:
        label_synthetic(fig)
    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight",
                metadata={"Software": None})
    return buf.getvalue()


def _png_one_drawing(fig, dpi: int, synthetic: bool) -> bytes | None:
    """The PNG of :func:`figure_png` from one drawing: the figure drawn at ``dpi`` on a canvas
    :data:`MARGIN_INCHES` larger on each side (matplotlib's own ``bbox_inches`` adjustment,
    ``_tight_bbox.adjust_bbox``, which savefig uses), its tight bounding box read from that drawing
    (the synthetic-data label drawn under it), and the padded box cut out of the pixels. Where
    savefig's second drawing starts at a fraction of a pixel, this one starts at a whole pixel: the
    image has the same size, its pixels may differ by antialiasing only (tests/test_outputs.py).
    None, with the figure as it was, when it cannot be done so."""
    import matplotlib as mpl
    from matplotlib import _tight_bbox, cbook
    from matplotlib import image as mimage
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.layout_engine import PlaceHolderLayoutEngine
    from matplotlib.transforms import Bbox

    canvas, engine, pad = fig.canvas, fig.get_layout_engine(), mpl.rcParams["savefig.pad_inches"]
    if (not isinstance(canvas, FigureCanvasAgg) or not isinstance(pad, (int, float))
            or (engine is not None and not isinstance(engine, PlaceHolderLayoutEngine))):
        return None  # a layout engine lays the figure out on its area: the enlarged one would be wrong
    w, h = fig.get_size_inches()
    m = MARGIN_INCHES
    label = None
    with contextlib.ExitStack() as stack:  # what savefig sets while it draws, restored after
        stack.enter_context(cbook._setattr_cm(canvas, manager=None))
        stack.enter_context(cbook._setattr_cm(fig, dpi=dpi))
        stack.enter_context(cbook._setattr_cm(canvas, _device_pixel_ratio=1))
        stack.enter_context(cbook._setattr_cm(canvas, _is_saving=True))
        for prop in ("facecolor", "edgecolor"):
            color = mpl.rcParams[f"savefig.{prop}"]
            if not cbook._str_equal(color, "auto"):
                stack.enter_context(fig._cm_set(**{prop: color}))
        stack.callback(_tight_bbox.adjust_bbox(fig, Bbox.from_extents(-m, -m, w + m, h + m), None, canvas.fixed_dpi))
        canvas.draw()
        renderer = canvas.get_renderer()
        box = fig.get_tightbbox(renderer)  # inches, from the enlarged canvas's corner
        if synthetic:
            label = fig.text((box.x1 - m) / w, (box.y0 - LABEL_GAP - m) / h, SYNTHETIC_LABEL, **LABEL_STYLE)
            fig.draw_artist(label)
            box = Bbox.union([box, label.get_window_extent(renderer).transformed(fig.dpi_scale_trans.inverted())])
        box = box.padded(pad)
        if box.x0 < 0 or box.y0 < 0 or box.x1 > w + 2 * m or box.y1 > h + 2 * m:
            if label is not None:
                label.remove()
            return None
        pixels = np.asarray(canvas.buffer_rgba())
        cols, rows = int(box.width * dpi), int(box.height * dpi)  # savefig's image size (RendererAgg's int)
        left, top = int(np.floor(box.x0 * dpi + 0.5)), int(np.floor(pixels.shape[0] - box.y1 * dpi + 0.5))
        image = np.ascontiguousarray(pixels[top:top + rows, left:left + cols])
    buf = _io.BytesIO()
    mimage.imsave(buf, memoryview(image), format="png", origin="upper", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def table_csv(df: pd.DataFrame) -> bytes:
    """CSV bytes of a table: UTF-8, ``\\n`` line ends, floats to 10 significant digits."""
    return df.to_csv(index=False, float_format="%.10g", lineterminator="\n").encode("utf-8")


def labelled(df: pd.DataFrame, rows=None) -> pd.DataFrame:
    """``df`` with the synthetic-data column :data:`LABEL_COLUMN` as its last column: what a
    synthetic table's CSV holds. It reads :data:`SYNTHETIC_LABEL` on every row, or only on the
    rows ``rows`` (a boolean mask, for a table mixing synthetic and published figures; the
    other rows get an empty cell)."""
    if LABEL_COLUMN in df.columns:
        raise ValueError(f"column {LABEL_COLUMN!r} is reserved for the synthetic-data label of the CSV; "
                         "rename it")
    if rows is None:
        return df.assign(**{LABEL_COLUMN: SYNTHETIC_LABEL})
    return df.assign(**{LABEL_COLUMN: [SYNTHETIC_LABEL if r else "" for r in rows]})


def _is_label_column(s: pd.Series) -> bool:
    """True for the column :func:`labelled` wrote, as pandas reads it back from the CSV."""
    vals = s.dropna()
    return bool(vals.isin([SYNTHETIC_LABEL, ""]).all() and vals.eq(SYNTHETIC_LABEL).any())


def format_cell(fmt: str, v) -> str:
    """``fmt.format(v)``, except that a negative float which rounds to zero at the format's precision is
    shown as zero ("0.0", or "+0.0" with a sign option), never as "-0.0": what Python's ``z`` option does,
    for every format of a table (a CI bound of -0.02 shown to one decimal, a residual of -1e-14)."""
    if isinstance(v, float) and np.signbit(v) and fmt.format(-v) == fmt.format(0.0):
        return fmt.format(0.0)
    return fmt.format(v)


_ROW = re.compile(r"(<tr\b[^>]*>)(.*?)(</tr>)", re.S)
_CELL = re.compile(r"<t([dh])(?=[\s>])([^>]*)>")
_CELL_CLASS = re.compile(r'\sclass="([^"]*)"')
#: whitespace between two tags (HTML's ASCII whitespace only)
_BETWEEN = re.compile(r">([ \t\n\r\f]+)<")


def _align_numbers(table_html: str, numeric: list[int]) -> str:
    """Mark the cells of numeric columns ``class="num"`` (right-aligned by the report's CSS; text
    columns stay left-aligned), in the table pandas' ``to_html`` wrote (one header row, one cell per
    column in each row, cell texts escaped). The result is what BeautifulSoup's html.parser made of
    it before, byte for byte (tests/test_outputs.py): the class added last among a cell's
    attributes (or to its class), and the whitespace between two tags written as BeautifulSoup
    writes it, one newline if it holds one, else one space. Without a parser: a chapter's tables took
    a tenth of its run so."""
    if not numeric:
        return table_html
    want = set(numeric)

    def row(m):
        i = -1

        def cell(c):
            nonlocal i
            i += 1
            if i not in want:
                return c.group(0)
            attrs = c.group(2)
            old = _CELL_CLASS.search(attrs)
            attrs = (attrs[:old.start()] + f' class="{old.group(1)} num"' + attrs[old.end():]) if old \
                else attrs + ' class="num"'
            return f"<t{c.group(1)}{attrs}>"
        return m.group(1) + _CELL.sub(cell, m.group(2)) + m.group(3)
    out = _ROW.sub(row, table_html)
    return _BETWEEN.sub(lambda m: ">\n<" if "\n" in m.group(1) else "> <", out)


def resolve_formats(df: pd.DataFrame, formats: dict | None = None, *,
                    float_spec: str = "{:,.1f}") -> dict:
    """The format spec of every column of ``df``, as :meth:`Chapter.table` shows it: ``formats``
    where given, else the format of the column's registered unit (:mod:`spf_analysis.config.labels`)
    for a numeric column, else ``"{}"`` for a column named like ``year``, ``"{:,.0f}"`` for integers,
    ``float_spec`` for floats and None (shown as it is) for anything else."""
    formats = dict(formats or {})
    out = {}
    for col in df.columns:
        fmt = formats.get(col)
        s = df[col]
        if fmt is None and pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            fmt = _labels.unit_format(col)
        if fmt is None:
            if "year" in str(col).lower():
                fmt = "{}"
            elif pd.api.types.is_bool_dtype(s):
                fmt = None
            elif pd.api.types.is_integer_dtype(s):
                fmt = "{:,.0f}"
            elif pd.api.types.is_float_dtype(s):
                fmt = float_spec
        out[col] = fmt
    return out


# ---------------------------------------------------------------- the column record of a table
def column_record(columns: list, labels: dict, formats: dict, keys=(), code=()) -> str:
    """Compact JSON list, one ``{"id", "label", "format"}`` per CSV column (plus ``"key": true`` for a
    column of values a reader types, shown as they are): the column's name, the header the report
    shows (:func:`spf_analysis.config.labels.header`: ``labels``, else the registry's label and unit,
    else the name) and its Python format spec (``formats``; null: shown as it is). Stored in the
    table's row of ``NN_index.csv``, it gives the Excel workbook the report's headers, number formats
    and which columns keep their ids (:func:`read_columns`)."""
    out = []
    for c in columns:
        fmt = formats.get(c)  # a format object (labels.BY_MAGNITUDE: rows of mixed units) is General in Excel
        r = {"id": str(c), "label": _labels.header(c, labels), "format": fmt if isinstance(fmt, str) else None}
        if c in keys:
            r["key"] = True
        elif c in code:  # free text whose ids are shown as code (code_refs=, locators=)
            r["code"] = True
        out.append(r)
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def read_columns(text) -> list[dict]:
    """The column record of an index row (:func:`column_record`); [] when there is none (a
    figure, or an index written before the record existed)."""
    if not isinstance(text, str) or not text.strip():
        return []
    return json.loads(text)


class Exhibit:
    """A numbered figure or table, as made by :meth:`Chapter.figure` / :meth:`Chapter.table`.

    ``label`` ("Table 4.2"), ``name``, ``file`` and ``html`` (the markup the report
    shows). In a Jupyter kernel the exhibit was displayed when it was made; displaying
    the object again (``display(ex)``, or as a cell's last expression) shows nothing
    then, so it never appears twice. Outside a kernel it displays once when asked.
    """

    def __init__(self, kind: str, label: str, name: str, file: str, markup: str):
        self.kind, self.label, self.name, self.file, self.html = kind, label, name, file, markup
        self.shown = False

    def show(self) -> None:
        """Display the exhibit in the notebook (once)."""
        if not self.shown:
            from IPython.display import HTML, display

            display(HTML(self.html))
            self.shown = True

    def _ipython_display_(self) -> None:
        self.show()

    def _repr_html_(self) -> str:  # the markup, for tests and for callers that want it
        return self.html

    def __repr__(self) -> str:  # what nbval and the terminal see
        return f"<{self.label}: {self.name}; see the HTML output>"


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (papermill, nbval, JupyterLab), not in a plain
    interpreter, pytest or a terminal IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the build
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class Chapter:
    """Numbering, file output and display of a chapter's figures and tables."""

    def __init__(self, number: int | str, title: str, synthetic: bool = False):
        # an int numbers a chapter (files 01_*, labels "Table 1.2"); a capital letter
        # marks an unnumbered part: "S" the executive summary, "A" an annex (files A_*,
        # labels "Table A.1"). The notebook's file name starts with the same key.
        if isinstance(number, str) and not number.isdigit():
            if not (len(number) == 1 and "A" <= number <= "Z"):
                raise ValueError(f"chapter {number!r}: use a number or one capital letter")
            self.number = number
            self.key = number
        else:
            self.number = int(number)
            self.key = f"{self.number:02d}"
        self.title = title
        self.synthetic = synthetic
        self._fig = 0
        self._tab = 0
        self._index: list[dict] = []

    def label(self, name: str, kind: str = "table") -> str:
        """The label ("Table 4.11") of the exhibit ``name`` already made in this chapter, for the text
        that cites it; an exhibit not made yet is an error (cite it after the cell that makes it)."""
        for r in self._index:
            if r["name"] == name and r["kind"] == kind:
                return r["label"]
        raise KeyError(f"chapter {self.key}: no {kind} named {name!r} yet")

    def _stem(self, name: str) -> str:
        if not name.replace("_", "").isalnum() or name == "index":
            raise ValueError(f"output name {name!r}: use letters, digits and underscores "
                             "(and not 'index')")
        return f"{self.key}_{name}"

    def _label(self, kind: str, file: str) -> str:
        """The label of the output written to ``file``: the one it already has when a
        cell is re-run in a live kernel (same name, same number), else the next one."""
        for r in self._index:
            if r["file"] == file:
                return r["label"]
        if kind == "figure":
            self._fig += 1
            return f"Figure {self.number}.{self._fig}"
        self._tab += 1
        return f"Table {self.number}.{self._tab}"

    def _register(self, kind: str, label: str, name: str, title: str, source: str,
                  note: str | None, file: str, synthetic: bool, report: bool = True,
                  columns: str = "") -> None:
        """Record the output in ``reports/tables/NN_index.csv`` (read by the report
        to build the Excel workbook of all tables and to check that every exhibit is
        in the report). ``columns``: a table's :func:`column_record` (empty for a figure).
        An output written again (a re-run cell) replaces its row."""
        row = {"kind": kind, "label": label, "name": name, "title": title,
               "source": source, "note": note or "", "file": file,
               "synthetic": synthetic, "report": bool(report), "columns": columns}
        for i, r in enumerate(self._index):
            if r["file"] == file:
                self._index[i] = row
                break
        else:
            self._index.append(row)
        write_bytes(paths.tables_dir() / f"{self.key}_index.csv",
                    table_csv(pd.DataFrame(self._index)))

    def _emit(self, ex: Exhibit) -> Exhibit:
        if _in_kernel():
            ex.show()
        return ex

    def _caption(self, label: str, title: str, source: str, note: str | None, synthetic: bool) -> str:
        return self._title(label, title) + "\n" + self._foot(source, note, synthetic)

    @staticmethod
    def _title(label: str, title: str) -> str:
        return f'<p class="caption"><span class="label">{label}.</span> {html.escape(title)}</p>'

    def _foot(self, source: str, note: str | None, synthetic: bool) -> str:
        parts = []
        if note:
            parts.append(f'<p class="note">Note: {html.escape(note)}</p>')
        end = "" if source.rstrip().endswith(".") else "."
        parts.append(f'<p class="source">Source: {html.escape(source.rstrip())}{end}</p>')
        if synthetic:
            parts.append(f'<p class="synthetic">{html.escape(SYNTHETIC_NOTICE)}</p>')
        return "\n".join(parts)

    def figure(self, fig, name: str, title: str, source: str, note: str | None = None,
               synthetic: bool | None = None):
        """Save ``fig`` as ``reports/figures/NN_name.png`` and display it captioned.

        ``synthetic`` overrides the chapter's flag for this output (None: the chapter's).
        Returns the :class:`Exhibit` (already displayed in a kernel)."""
        synthetic = self.synthetic if synthetic is None else bool(synthetic)
        if not source:
            raise ValueError(f"figure {name!r} needs a source")
        # a reader sees words, not code ids, in titles, axes, ticks and legends
        _labels.check_text(_labels.figure_texts(fig) + [title], f"figure {self._stem(name)}")
        file = f"figures/{self._stem(name)}.png"
        label = self._label("figure", file)
        png = figure_png(fig, synthetic=synthetic)
        import matplotlib.pyplot as plt

        plt.close(fig)
        write_bytes(paths.figures_dir() / f"{self._stem(name)}.png", png)
        self._register("figure", label, name, title, source, note, file, synthetic)
        b64 = base64.b64encode(png).decode("ascii")
        return self._emit(Exhibit(
            "figure", label, name, file,
            f'<figure class="spf-figure" id="figure-{self._stem(name)}">\n'
            f'<img alt="{html.escape(label + ". " + title)}" '
            f'src="data:image/png;base64,{b64}"/>\n<figcaption>\n'
            f'{self._caption(label, title, source, note, synthetic)}\n</figcaption>\n</figure>'))

    def table(self, df: pd.DataFrame, name: str, title: str, source: str,
              note: str | None = None, formats: dict | None = None,
              labels: dict | None = None, index: bool = False, synthetic=None,
              rows=None, columns: list | None = None, report: bool = True,
              keys: list | None = None, code_refs: list | None = None, view: pd.DataFrame | None = None,
              locators: list | None = None):
        """Save ``df`` as ``reports/tables/NN_name.csv`` and display it captioned.

        ``formats`` maps a column to a format spec (e.g. ``"{:,.0f}"``); by
        default integers get thousands separators (except columns named like
        ``year``) and floats one decimal. ``labels`` renames columns for
        display only; the CSV keeps the column names of ``df``.

        ``rows`` (a boolean mask over ``df``) and ``columns`` (a list) restrict
        what the report shows of a long or wide table; the CSV and the Excel
        workbook keep all of it, and the note says so.

        Headers and cells are shown in words (:mod:`spf_analysis.config.labels`): a column's
        header is its ``labels=`` entry, else its registered label and unit; id values (a
        scenario, a benefit) and booleans (yes/no) are labelled; a column's default format
        comes from its registered unit. An id left in a header, a cell or the title stops the
        build (:class:`~spf_analysis.config.labels.UnlabelledId`). ``keys`` names columns
        whose values a reader types (YAML keys, file names): shown as code, not labelled.
        ``code_refs`` names free-text columns (a rationale, a formula) that cite such keys
        by name: their text is shown as words, the ids in it as inline code.

        ``locators`` names text columns (a source or rationale) whose ids are locators a reader
        types, such as a processed table and a fact or indicator key (``scheme_facts F101``): each
        such id is shown as code within the words instead of stopping the build.

        ``view`` is what the report shows instead of ``df`` when ``df`` is a long table that reads
        better as a grid (e.g. :func:`grid`: scenarios as rows, indicators as columns); the CSV
        and the workbook keep ``df`` (other chapters read it by its column names). ``formats``,
        ``labels`` and ``keys`` then refer to the columns of ``view``; ``rows`` and ``columns``
        do not apply.

        ``report=False`` makes the table workbook-only: it is written and indexed
        (CSV, Excel workbook) but the report shows only a line with its label, title
        and where it is. Use it only for tables too long to print.

        ``synthetic`` overrides the chapter's flag (None: the chapter's). A synthetic table's
        CSV gets the last column ``data`` reading "Synthetic survey data (not PBS microdata)".
        A boolean mask over the rows (a table mixing synthetic and published figures) labels
        only those rows; the table counts as synthetic (caption, index) if any row is.

        Returns the :class:`Exhibit` (already displayed in a kernel).
        """
        if not source:
            raise ValueError(f"table {name!r} needs a source")
        keys = list(keys or [])
        code_refs = list(code_refs or [])
        locators = list(locators or [])
        synthetic_rows = None  # a per-row flag: which rows the CSV labels
        if synthetic is not None and np.ndim(synthetic) == 1:
            synthetic_rows = [bool(v) for v in synthetic]
            if len(synthetic_rows) != len(df):
                raise ValueError(f"table {name!r}: synthetic has {len(synthetic_rows)} flags "
                                 f"for {len(df)} rows")
            synthetic = any(synthetic_rows)
        synthetic = self.synthetic if synthetic is None else bool(synthetic)
        file = f"tables/{self._stem(name)}.csv"
        label = self._label("table", file)
        data = df.reset_index() if index else df
        if LABEL_COLUMN in data.columns and _is_label_column(data[LABEL_COLUMN]):
            # a synthetic table's CSV read back: its label column is not data; the flag decides
            if not synthetic:
                raise ValueError(f"table {name!r} carries the synthetic-data column {LABEL_COLUMN!r} "
                                 "(it was read from a synthetic table): make it with synthetic=True")
            data = data.drop(columns=LABEL_COLUMN)
        write_bytes(paths.tables_dir() / f"{self._stem(name)}.csv",
                    table_csv(labelled(data, synthetic_rows) if synthetic else data))
        given_formats = dict(formats or {})
        formats = resolve_formats(data, given_formats)  # every CSV column: its format spec, or None
        # ---- the column record of NN_index.csv (header and format of each CSV column, for the
        # workbook): ``labels`` and ``formats`` must be final here (what the report shows)
        record = column_record(list(data.columns) + ([LABEL_COLUMN] if synthetic else []),
                               {**(labels or {}), **({LABEL_COLUMN: "Data"} if synthetic else {})},
                               formats, keys, code_refs + locators)
        # every header the workbook shows (all CSV columns, printed or not) is in words
        _labels.check_text([c["label"] for c in read_columns(record)], f"table {self._stem(name)}, headers")
        self._register("table", label, name, title, source, note, file, synthetic, report,
                       columns=record)
        if not report:
            return self._emit(Exhibit("table", label, name, file, (
                f'<div class="spf-workbook-only" id="{self._stem(name)}">\n'
                f'<p class="caption"><span class="label">{label}.</span> {html.escape(title)}: '
                f'not printed here ({len(data):,} rows); it is in the Excel workbook '
                f'rapid_assessment_tables.xlsx (sheet {html.escape(self._stem(name)[:31])}) and in '
                f'reports/tables/{html.escape(self._stem(name))}.csv.</p>\n</div>')))
        shown = data
        if view is not None:
            if rows is not None or columns is not None:
                raise ValueError(f"table {name!r}: give either view or rows/columns")
            shown = view
            formats = resolve_formats(view, given_formats)  # the view's columns, as shown
        if rows is not None:
            mask = pd.Series(rows, index=data.index).astype(bool) if not isinstance(rows, pd.Series) \
                else rows.reindex(data.index).fillna(False).astype(bool)
            shown = shown[mask.to_numpy()]
        if columns is not None:
            unknown = [c for c in columns if c not in data.columns]
            if unknown:
                raise ValueError(f"table {name!r}: columns {unknown} not in the table")
            shown = shown[list(columns)]
        if view is None and shown.shape != data.shape:
            part = (f"The report shows {len(shown)} of {len(data)} rows"
                    f"{f' and {shown.shape[1]} of {data.shape[1]} columns' if shown.shape[1] != data.shape[1] else ''}"
                    f"; the full table is in reports/tables/{self._stem(name)}.csv and the Excel workbook.")
            note = f"{note} {part}" if note else part
        unknown = [c for c in keys + code_refs + locators
                   if c not in (view.columns if view is not None else data.columns)]
        if unknown:
            raise ValueError(f"table {name!r}: keys/code_refs/locators {unknown} not in the table")
        where = f"table {self._stem(name)}"
        _labels.check_text([title], where)
        base = shown  # the values before formatting: which columns are numbers
        shown = _labels.relabel(shown, keys)
        for col in shown.columns:
            fmt = formats.get(col)
            s = shown[col]
            if fmt is not None:
                shown[col] = [("" if pd.isna(v) else format_cell(fmt, v)) for v in s]
            elif col in keys:  # shown as code: \ue000 ... \ue001 become <code> ... </code> after escaping
                shown[col] = ["" if pd.isna(v) else f"\ue000{v}\ue001" for v in s]
            elif col in locators:  # ids in the text shown as code, the words as they are
                shown[col] = [_labels.ID.sub("\ue000\\1\ue001", v).replace("\n", "\x1f") if isinstance(v, str) else v for v in s]
            elif s.dtype == object or pd.api.types.is_string_dtype(s):  # line breaks in text cells survive as <br/> (pandas prints a literal \n)
                if col in code_refs:  # the keys a text cites by name: inline code (\ue000 ... \ue001)
                    s = pd.Series([_labels.mark_code(v) for v in s], index=s.index, dtype=object)
                _labels.check_text([v for v in s if isinstance(v, str)], f"{where}, column {col!r}")
                shown[col] = [v.replace("\n", "\x1f") if isinstance(v, str) else v for v in s]
        numeric = [i for i, c in enumerate(shown.columns)
                   if (pd.api.types.is_numeric_dtype(base[c]) and not pd.api.types.is_bool_dtype(base[c]))
                   or (view is not None and _numeric_text(base[c]))]
        headers = [_labels.header(c, labels) for c in shown.columns]
        _labels.check_text(headers, f"{where}, headers")
        shown.columns = headers
        table_html = _align_numbers(shown.to_html(index=False, escape=True, classes="spf-table", border=0,
                                                  na_rep="").replace("\x1f", "<br/>")
                                    .replace("\ue000", "<code>").replace("\ue001", "</code>"), numeric)
        return self._emit(Exhibit(
            "table", label, name, file,
            f'<div class="spf-table-block" id="{self._stem(name)}">\n'
            f'{self._title(label, title)}\n{table_html}\n{self._foot(source, note, synthetic)}\n</div>'))


INDEX_COLUMNS = ["kind", "label", "name", "title", "source", "note", "file", "synthetic", "report",
                 "columns"]


def read_index(chapters, tables_dir=None) -> pd.DataFrame:
    """The exhibits the given chapters indexed, in order, from ``reports/tables/NN_index.csv``.

    ``chapters``: notebook stems (``04_costing_options``) or keys (``04``, ``S``). Adds
    the column ``chapter`` (the stem given) and ``index_file``; ``report`` is a bool
    (True in an index written before the column existed); ``columns`` is the table's column
    record (:func:`read_columns`; empty in an index written before the column existed). A chapter without an index
    file contributes nothing.
    """
    from pathlib import Path

    tables_dir = Path(tables_dir) if tables_dir is not None else paths.REPORTS / "tables"
    frames = []
    for stem in chapters:
        key = str(stem).split("_", 1)[0]
        f = tables_dir / f"{key}_index.csv"
        if not f.exists():
            continue
        idx = pd.read_csv(f, keep_default_na=False, dtype=str)
        if "report" not in idx.columns:
            idx["report"] = "True"
        if "columns" not in idx.columns:
            idx["columns"] = ""
        idx["report"] = idx["report"].astype(str) != "False"
        idx["chapter"] = str(stem)
        idx["index_file"] = f"reports/tables/{f.name}"
        frames.append(idx)
    if not frames:
        return pd.DataFrame(columns=INDEX_COLUMNS + ["chapter", "index_file"])
    return pd.concat(frames, ignore_index=True)


_NUMBER_TEXT = re.compile(r"^[+\-\u2212]?[\d.,]+%?(\s|$)")


def _numeric_text(s: pd.Series) -> bool:
    """A text column of a grid whose cells all start with a number ("12.3\\n[11.9, 12.7]"): aligned right."""
    v = [x for x in s if not (x is None or (isinstance(x, float) and np.isnan(x)) or x == "")]
    return bool(v) and all(isinstance(x, str) and _NUMBER_TEXT.match(x) for x in v)


def grid(df: pd.DataFrame, index, columns: str, value: str = "estimate", low: str | None = "ci_low",
         high: str | None = "ci_high", fmt: str = "{:.1f}", index_order=None, column_order=None) -> pd.DataFrame:
    """A long table (one row per ``index`` x ``columns`` pair) as a grid for the report: one row per
    ``index`` value, one column per ``columns`` value, each cell the ``value`` formatted with ``fmt``
    and, when ``low``/``high`` are given, its interval on a second line: "12.3\\n[11.9, 12.7]".
    The numbers are those of ``df``; only their arrangement changes (the CSV keeps ``df``)."""
    index = [index] if isinstance(index, str) else list(index)

    def cell(r):
        if pd.isna(r[value]):
            return ""
        out = format_cell(fmt, r[value])
        if low and high and pd.notna(r[low]) and pd.notna(r[high]):
            out += f"\n[{format_cell(fmt, r[low])},\u00a0{format_cell(fmt, r[high])}]"  # no break inside the interval
        return out

    d = df.assign(_cell=df.apply(cell, axis=1))
    g = d.pivot_table(index=index, columns=columns, values="_cell", aggfunc="first", sort=False)
    if column_order is not None:
        g = g[[c for c in column_order if c in g.columns]]
    if index_order is not None:
        g = g.reindex([i for i in index_order if i in g.index])
    g = g.fillna("").reset_index()
    g.columns.name = None
    return g
