"""House style and the study's recurring charts (matplotlib).

Figures are returned, never shown or saved here: :meth:`outputs.Chapter.figure`
numbers, saves and captions them.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

#: Colour-blind-safe palette (Okabe & Ito 2008).
PALETTE = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73",
           "vermillion": "#D55E00", "sky": "#56B4E9", "purple": "#CC79A7",
           "yellow": "#F0E442", "grey": "#7F7F7F", "black": "#000000"}
MALE, FEMALE = PALETTE["blue"], PALETTE["vermillion"]

STYLE = {
    "figure.figsize": (7.5, 4.5),
    "figure.dpi": 100,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "svg.hashsalt": "spf-kp",
}


def use_style() -> None:
    """Apply the house style to matplotlib (idempotent)."""
    plt.rcParams.update(STYLE)


def population_pyramid(current: pd.DataFrame, earlier: pd.DataFrame | None = None,
                       labels=("2023", "2017"), title: str = "") -> plt.Figure:
    """Pyramid of ``current`` (bars) with ``earlier`` as an outline, both from
    :func:`spf_analysis.census.pyramid` (percent of the population)."""
    use_style()
    fig, ax = plt.subplots(figsize=(7, 5))
    y = np.arange(len(current))
    ax.barh(y, -current["male_pct"], color=MALE, alpha=0.85, label=f"Males {labels[0]}")
    ax.barh(y, current["female_pct"], color=FEMALE, alpha=0.85, label=f"Females {labels[0]}")
    if earlier is not None:
        ax.step(-earlier["male_pct"].to_numpy(), y, where="mid", color="black", lw=1.1,
                label=f"{labels[1]}")
        ax.step(earlier["female_pct"].to_numpy(), y, where="mid", color="black", lw=1.1)
    ax.set_yticks(y, current["age_group"])
    lim = float(np.ceil(max(current[["male_pct", "female_pct"]].to_numpy().max(),
                            0 if earlier is None else
                            earlier[["male_pct", "female_pct"]].to_numpy().max())))
    half = np.arange(0, lim + 1, 2)
    ticks = np.concatenate([-half[:0:-1], half])
    ax.set_xticks(ticks, [f"{abs(t):g}" for t in ticks])
    ax.set_xlim(-lim - 0.5, lim + 0.5)
    ax.set_xlabel("Percent of the population")
    ax.set_ylabel("Age group")
    ax.axvline(0, color="black", lw=0.6)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper right")
    if title:
        ax.set_title(title)
    return fig


def hbar(data: pd.DataFrame, value: str, label: str, color_by: str | None = None,
         colors: dict | None = None, xlabel: str = "", title: str = "",
         reference: float | None = None, reference_label: str = "") -> plt.Figure:
    """Horizontal bars, sorted as given (top to bottom), optionally coloured by
    a category column, with an optional vertical reference line."""
    use_style()
    n = len(data)
    fig, ax = plt.subplots(figsize=(7, max(3.0, 0.22 * n + 1)))
    y = np.arange(n)[::-1]
    if color_by:
        colors = colors or {}
        c = [colors.get(k, PALETTE["grey"]) for k in data[color_by]]
    else:
        c = PALETTE["blue"]
    ax.barh(y, data[value], color=c)
    ax.set_yticks(y, data[label])
    if color_by and colors:
        from matplotlib.patches import Patch
        ax.legend(handles=[Patch(color=v, label=k) for k, v in colors.items()],
                  loc="lower right")
    if reference is not None:
        ax.axvline(reference, color="black", lw=0.9, ls="--")
        if reference_label:
            ax.annotate(reference_label, (reference, n - 0.5), xytext=(3, 0),
                        textcoords="offset points", fontsize=7, va="top")
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    ax.set_ylim(-0.6, n - 0.4)
    if title:
        ax.set_title(title)
    return fig


def fan_chart(fan: pd.DataFrame, central: pd.Series | None = None, ylabel: str = "", ax=None, color: str | None = None):
    """Fan chart of quantiles by year (columns ``year, q05, q25, q50, q75, q95``).

    Bands: 5-95% (light) and 25-75% (dark); median as a line; optional
    ``central`` (deterministic path, Series by year) dashed.
    """
    color = color or PALETTE["blue"]
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.2))
    else:
        fig = ax.figure
    x = fan["year"].to_numpy()
    ax.fill_between(x, fan["q05"], fan["q95"], color=color, alpha=0.18, lw=0, label="5-95% of draws")
    ax.fill_between(x, fan["q25"], fan["q75"], color=color, alpha=0.38, lw=0, label="25-75% of draws")
    ax.plot(x, fan["q50"], color=color, lw=2, label="median")
    if central is not None:
        ax.plot(central.index, central.to_numpy(), color="black", lw=1.2, ls="--", label="central assumptions")
    ax.set_ylabel(ylabel)
    ax.set_xticks(x)
    ax.set_xticklabels([str(v) for v in x], rotation=0, fontsize=8)
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return fig


def fan_bars(fan: pd.DataFrame, order, ax, color: str | None = None, central: pd.Series | None = None, xlabel: str = ""):
    """Quantiles of draws as horizontal bars, one row per category of ``order`` (top first): a thin bar from
    ``q05`` to ``q95``, a thick one from ``q25`` to ``q75``, a dot at ``q50``; ``central`` (Series by
    category, optional) as a black tick.  ``fan``: indexed by category, columns ``q05 ... q95``."""
    color = color or PALETTE["blue"]
    f = fan.reindex(list(order))
    y = np.arange(len(f))
    ax.hlines(y, f["q05"], f["q95"], color=color, alpha=0.45, lw=2.5, label="5-95% of draws")
    ax.hlines(y, f["q25"], f["q75"], color=color, lw=7, label="25-75% of draws")
    ax.plot(f["q50"], y, "o", color="white", mec=color, ms=4.5, label="median")
    if central is not None:
        ax.plot(central.reindex(list(order)).to_numpy(), y, "|", color="black", ms=11, mew=1.5, label="central assumptions")
    ax.set_yticks(y)
    ax.set_ylim(len(f) - 0.5, -0.5)
    ax.set_xlabel(xlabel)
    return ax


def tornado_chart(tor: pd.DataFrame, xlabel: str = "", ax=None):
    """Tornado chart from :func:`spf_analysis.model.montecarlo.tornado` (largest swing on top)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(tor) + 1.2))
    else:
        fig = ax.figure
    t = tor.iloc[::-1].reset_index(drop=True)
    c = float(t["central"].iloc[0])
    y = range(len(t))
    lo = t["at_low"].to_numpy() - c
    hi = t["at_high"].to_numpy() - c
    ax.barh(list(y), lo, left=c, color=PALETTE["sky"], label="input at its low value")
    ax.barh(list(y), hi, left=c, color=PALETTE["vermillion"], label="input at its high value")
    ax.axvline(c, color="black", lw=1)
    ax.set_yticks(list(y))
    ax.set_yticklabels([f"{r.label} ({_fmt(r.low_value)} to {_fmt(r.high_value)})" for r in t.itertuples()], fontsize=8)
    ax.set_xlabel(xlabel)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return fig


def _fmt(v) -> str:
    v = float(v)
    return f"{v:.1%}" if abs(v) < 0.5 else f"{v:.2f}"


def line_panels(data: pd.DataFrame, panel: str, x: str, lines: dict, ncols: int = 2,
                ylabel: str | dict = "", panel_height: float = 2.4, markers: bool = True):
    """Small multiples: one panel per value of ``panel`` (in order of first
    appearance), each drawing the columns of ``lines`` (column -> legend label)
    against ``x``; NaN points are skipped. ``ylabel`` is one label or a dict
    panel value -> label. Years with no data show as gaps between markers."""
    use_style()
    keys = list(dict.fromkeys(data[panel]))
    nrows = -(-len(keys) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.5, panel_height * nrows), squeeze=False)
    colors = [PALETTE[c] for c in ("blue", "vermillion", "green", "orange")]
    for ax, key in zip(axes.flat, keys):
        d = data[data[panel] == key].sort_values(x)
        for (col, lab), c in zip(lines.items(), colors):
            ok = d[col].notna()
            ax.plot(d.loc[ok, x], d.loc[ok, col], marker="o" if markers else None, ms=3.5,
                    lw=1.4, color=c, label=lab)
        ax.set_title(str(key), fontsize=8.5, loc="left")
        ax.set_ylabel(ylabel.get(key, "") if isinstance(ylabel, dict) else ylabel, fontsize=8)
        ax.set_ylim(bottom=0)
        ax.xaxis.get_major_locator().set_params(integer=True)
    for ax in list(axes.flat)[len(keys):]:
        ax.set_visible(False)
    if len(lines) > 1:
        axes.flat[0].legend(loc="upper left", fontsize=7.5)
    fig.tight_layout()
    return fig


def _ci_long(data: pd.DataFrame, estimate: str, ci_low: str, ci_high: str, keys: list[str]) -> pd.DataFrame:
    """Three rows per estimate (``ci_low``, ``estimate``, ``ci_high``) in a column ``_v``."""
    parts = [data[keys].assign(_v=data[c].to_numpy(float)) for c in (ci_low, estimate, ci_high)]
    return pd.concat(parts, ignore_index=True)


def _ci_range(v) -> tuple[float, float]:
    return float(np.min(v)), float(np.max(v))


def estimate_chart(data: pd.DataFrame, x: str, estimate: str, ci_low: str, ci_high: str, hue: str | None = None,
                   kind: str = "bar", colors: list | None = None, order=None, hue_order=None, ax=None,
                   xlabel: str = "", ylabel: str = "", title: str = ""):
    """Design-based estimates with their confidence intervals (seaborn ``barplot``/``pointplot``).

    The estimates and CIs are computed beforehand (survey engine); seaborn only draws them. Each
    estimate enters as three rows (``ci_low``, ``estimate``, ``ci_high``): the bar height / point is
    their median -- the estimate itself, since ``ci_low <= estimate <= ci_high`` -- and the error
    bar their range -- exactly the CI (``errorbar`` callable, no bootstrap, nothing random). The
    house style (``use_style``) is kept: no seaborn theme is set.
    """
    import seaborn as sns

    use_style()
    if kind not in ("bar", "point"):
        raise ValueError(f"kind must be 'bar' or 'point', got {kind!r}")
    bad = ~((data[ci_low] <= data[estimate] + 1e-12) & (data[estimate] <= data[ci_high] + 1e-12))
    if bad.any():
        raise ValueError(f"{int(bad.sum())} row(s) with an estimate outside its CI")
    keys = [x] + ([hue] if hue else [])
    long = _ci_long(data, estimate, ci_low, ci_high, keys)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.6))
    else:
        fig = ax.figure
    n_hue = long[hue].nunique() if hue else 1
    pal = (colors or list(PALETTE.values()))[:n_hue] if hue else None
    common = dict(data=long, x=x, y="_v", hue=hue, order=order, hue_order=hue_order, estimator="median",
                  errorbar=_ci_range, palette=pal, ax=ax)
    if kind == "bar":
        sns.barplot(**common, color=None if hue else (colors or [PALETTE["blue"]])[0], capsize=0.15,
                    err_kws={"linewidth": 0.9, "color": "black"}, saturation=1)
    else:
        sns.pointplot(**common, color=None if hue else (colors or [PALETTE["blue"]])[0], dodge=0.3 if hue else False,
                      markersize=4, linewidth=1.2, capsize=0.05, err_kws={"linewidth": 0.9})
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", visible=False)
    if hue:
        ax.legend(title=None, frameon=False)
    if title:
        ax.set_title(title)
    return fig


#: vertical offsets (points) tried in turn for a point's label: above, below, then further out
LABEL_OFFSETS = (3, -10, 12, -19, 21, -28, 30, -37, 39, -46)


def label_points(ax, xs, ys, texts, fontsize: float = 7) -> list:
    """Label scatter points so that a reader can tell which label is whose: no two labels overlap, no
    label covers another point's marker or leaves the axes. Each label goes to the first place that
    meets these rules among :data:`LABEL_OFFSETS` (vertical offsets), right of its point and then, at
    the same offset, left of it; points taken from the lowest up (deterministic). A label moved beyond
    the first two offsets gets a thin leader line to its point. Returns the annotations."""
    import numpy as np
    from matplotlib.transforms import Bbox

    fig = ax.figure
    fig.draw_without_rendering()  # laid out (ticks, positions), no pixels drawn
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    pts = ax.transData.transform(np.column_stack([np.asarray(xs, float), np.asarray(ys, float)]))
    r = 3.5 * fig.dpi / 72  # a marker's half-width (a scatter's default size, 6 points, and a little more)
    markers = [Bbox.from_extents(px - r, py - r, px + r, py + r) for px, py in pts]
    placed, out = [], []
    x_list, y_list, t_list = list(xs), list(ys), list(texts)
    for i in sorted(range(len(pts)), key=lambda i: (y_list[i], x_list[i])):
        x, y, t = x_list[i], y_list[i], t_list[i]
        others = [m for j, m in enumerate(markers) if not np.allclose(pts[j], pts[i])]
        choice = None
        for dy in LABEL_OFFSETS:  # the box of the text alone decides where it goes
            for dx, ha in ((4, "left"), (-4, "right")):
                a = ax.annotate(t, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize, ha=ha)
                box = a.get_window_extent(renderer)
                a.remove()
                inside = (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1)
                if inside and not any(box.overlaps(b) for b in placed) and not any(box.overlaps(m) for m in others):
                    choice = (dx, dy, ha, box)
                    break
            if choice:
                break
        if choice is None:  # nowhere free: the farthest place right of the point
            dx, dy, ha = 4, LABEL_OFFSETS[-1], "left"
            a = ax.annotate(t, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize, ha=ha)
            box = a.get_window_extent(renderer)
            a.remove()
            choice = (dx, dy, ha, box)
        dx, dy, ha, box = choice
        line = {} if dy in LABEL_OFFSETS[:2] else {  # moved away from its point: a leader line
            "arrowprops": {"arrowstyle": "-", "lw": 0.5, "color": "dimgray", "shrinkA": 0, "shrinkB": 3}}
        a = ax.annotate(t, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize, ha=ha, **line)
        placed.append(box)
        out.append(a)
    return out
