"""Plots of sweeps: each metric against one parameter, one line per value of another.

matplotlib is an optional extra (symcnn[plot]) and is imported only here, when
a plot is asked for. Plotting is the one place counts become floats: a
picture needs no more than float precision.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import WhatIfError
from ..layers.base import AXIS_NAMES

LOG_AXES = ("", "x", "y", "xy")
FORMATS = (".png", ".svg")


def plot_sweep(
    result, metrics=None, x: str | None = None, series: str | None = None, log: str = "", path=None, budget=None
):
    """A matplotlib Figure with one panel per metric (all of them by default), saved to `path` if given.

    `x` defaults to the varied parameter with the most values and `series` to
    the other one; any further varied parameter must have a single value.
    `log` is "", "x", "y" or "xy". Invalid points are left out. A metric that
    is the same at every valid point gets no panel: the title states it.
    `budget` maps metric names to a limit: its panel draws the limit as a
    line and marks, on each line, the largest x whose value is within it.
    The legend is outside the axes, so it never covers a line.
    """
    figure_class = _matplotlib_figure()
    if path is not None and os.path.splitext(os.fspath(path))[1].lower() not in FORMATS:
        raise WhatIfError(f"cannot write a plot to '{path}'", hint="name the file OUT.png or OUT.svg")
    if log not in LOG_AXES:
        raise WhatIfError(f"log must be one of {', '.join(repr(a) for a in LOG_AXES)}, got {log!r}")
    chosen = _choose_metrics(result, metrics)
    budget = dict(budget or {})
    for name in budget:
        if name not in {metric.name for metric in chosen}:
            raise WhatIfError(
                f"a budget on '{name}', which is not plotted", hint="plotted: " + ", ".join(m.name for m in chosen)
            )
    x, series = _choose_axes(result, x, series)
    names = list(result.parameters)
    grid = result.shape
    xs = np.array([float(v) for v in result.parameters[x]])
    constant = {m.name: value for m in chosen if (value := _constant(result.columns[m.name])) is not None}
    drawn = [m for m in chosen if m.name not in constant or m.name in budget] or chosen[:1]
    figure = figure_class(figsize=(7.5, 1.0 + 2.8 * len(drawn)), layout="constrained")
    axes = figure.subplots(len(drawn), 1, sharex=True, squeeze=False)[:, 0]
    series_values = result.parameters[series] if series else [None]
    for ax, metric in zip(axes, drawn):
        column = result.columns[metric.name]
        values = np.where(np.ma.getmaskarray(column), np.nan, column.data.astype(float)).reshape(grid)
        for k, value in enumerate(series_values):
            index = [0] * len(names)
            index[names.index(x)] = slice(None)
            if series:
                index[names.index(series)] = k
            (line,) = ax.plot(
                xs,
                values[tuple(index)],
                marker="." if len(xs) <= 40 else None,
                label=f"{series} = {value}" if series else None,
            )
            if metric.name in budget:
                _mark_largest_within(ax, xs, values[tuple(index)], budget[metric.name], line.get_color())
        if metric.name in budget:
            limit = float(budget[metric.name])
            ax.axhline(limit, color="black", linestyle="--", linewidth=0.8, label=f"budget {_engineering()(limit)}")
        ax.set_ylabel(metric.label)
        ax.grid(True, alpha=0.3)
        if "y" in log:
            ax.set_yscale("log")
        else:
            ax.yaxis.set_major_formatter(_engineering())
        if "x" in log:
            ax.set_xscale("log")
    axes[-1].set_xlabel(_parameter_label(result.network, x))
    for ax, metric in zip(axes, drawn):
        if (series and ax is axes[0]) or metric.name in budget:  # beside the axes, where it cannot cover a line
            title = _parameter_label(result.network, series) if series else None
            ax.legend(title=title, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fixed = [f"{name} = {result.parameters[name][0]}" for name in names if name not in (x, series)]
    what = " and ".join(metric.label.split(" (")[0] for metric in drawn)
    title = f"{os.path.basename(result.file)}: {what} against {x}" + (f", one line per {series}" if series else "")
    title += f" ({', '.join(fixed)})" if fixed else ""
    same = [f"{m.label.split(' (')[0]} = {constant[m.name]}" for m in chosen if m not in drawn]
    if same:
        title += "\n" + "; ".join(same) + " throughout"
    axes[0].set_title(title, loc="left")
    if path is not None:
        figure.savefig(path, dpi=150)
    return figure


def _constant(column):
    """The metric's one value, as text, if it is the same at every valid point; else None."""
    valid = column.compressed() if np.ma.isMaskedArray(column) else np.asarray(column).ravel()
    if len(valid) == 0 or not all(v == valid[0] for v in valid[1:]):
        return None
    value = valid[0]
    return f"{int(value):,}" if float(value).is_integer() else str(value)


def _mark_largest_within(ax, xs, ys, limit, color) -> None:
    """Mark the largest x whose value is within `limit`, and write it next to the mark."""
    within = [i for i, y in enumerate(ys) if not np.isnan(y) and y <= float(limit)]
    if not within:
        return
    i = max(within, key=lambda j: xs[j])
    ax.plot([xs[i]], [ys[i]], marker="o", markersize=7, markerfacecolor="none", color=color)
    ax.annotate(
        f"{xs[i]:g}", (xs[i], ys[i]), textcoords="offset points", xytext=(4, -12), fontsize="small", color=color
    )


def _matplotlib_figure():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise WhatIfError("plotting needs matplotlib", hint="pip install 'symcnn[plot]'") from None
    return Figure


def _engineering():
    from matplotlib.ticker import EngFormatter

    return EngFormatter(sep="")  # 1.2M, 3.4G: counts at a glance


def _choose_metrics(result, metrics):
    by_name = {metric.name: metric for metric in result.metrics}
    if metrics is None:
        return list(result.metrics)
    chosen = []
    for name in [metrics] if isinstance(metrics, str) else metrics:
        if name not in by_name:
            raise WhatIfError(f"the sweep has no metric '{name}'", hint="swept: " + ", ".join(by_name))
        chosen.append(by_name[name])
    return chosen


def _choose_axes(result, x, series):
    names = list(result.parameters)
    for name in (x, series):
        if name is not None and name not in names:
            raise WhatIfError(f"'{name}' is not a swept parameter", hint="swept: " + ", ".join(names))
    several = [name for name in names if len(result.parameters[name]) > 1]
    if x is None:
        x = max(names, key=lambda name: len(result.parameters[name]))
    if series is None:
        rest = [name for name in several if name != x]
        series = rest[0] if len(rest) == 1 else None
    left = [name for name in several if name not in (x, series)]
    if left:
        raise WhatIfError(
            f"a plot shows two swept parameters, but {', '.join(left)} also vary",
            hint="give them one value, or choose x and series",
        )
    return x, series


def _parameter_label(network, name: str) -> str:
    """The parameter's name, and what it is when it is an input dim: 'H: input height (pixels)'."""
    symbol = network.parameters[name].value
    for axis, dim in zip(network.input.axes, network.input.dims):
        if dim == symbol:
            unit = "" if axis in "CF" else " (pixels)"
            return f"{name}: input {AXIS_NAMES[axis]}{unit}"
    return name
