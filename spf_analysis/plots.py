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
