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


def plot_sweep(result, metrics=None, x: str | None = None, series: str | None = None, log: str = "", path=None):
    """A matplotlib Figure with one panel per metric (all of them by default), saved to `path` if given.

    `x` defaults to the varied parameter with the most values and `series` to
    the other one; any further varied parameter must have a single value.
    `log` is "", "x", "y" or "xy". Invalid points are left out.
    """
    figure_class = _matplotlib_figure()
    if path is not None and os.path.splitext(os.fspath(path))[1].lower() not in FORMATS:
        raise WhatIfError(f"cannot write a plot to '{path}'", hint="name the file OUT.png or OUT.svg")
    if log not in LOG_AXES:
        raise WhatIfError(f"log must be one of {', '.join(repr(a) for a in LOG_AXES)}, got {log!r}")
    chosen = _choose_metrics(result, metrics)
    x, series = _choose_axes(result, x, series)
    names = list(result.parameters)
    grid = result.shape
    xs = np.array([float(v) for v in result.parameters[x]])
    figure = figure_class(figsize=(7.5, 1.0 + 2.8 * len(chosen)), layout="constrained")
    axes = figure.subplots(len(chosen), 1, sharex=True, squeeze=False)[:, 0]
    series_values = result.parameters[series] if series else [None]
    for ax, metric in zip(axes, chosen):
        column = result.columns[metric.name]
        values = np.where(np.ma.getmaskarray(column), np.nan, column.data.astype(float)).reshape(grid)
        for k, value in enumerate(series_values):
            index = [0] * len(names)
            index[names.index(x)] = slice(None)
            if series:
                index[names.index(series)] = k
            ax.plot(
                xs,
                values[tuple(index)],
                marker="." if len(xs) <= 40 else None,
                label=f"{series} = {value}" if series else None,
            )
        ax.set_ylabel(metric.label)
        ax.grid(True, alpha=0.3)
        if "y" in log:
            ax.set_yscale("log")
        else:
            ax.yaxis.set_major_formatter(_engineering())
        if "x" in log:
            ax.set_xscale("log")
    axes[-1].set_xlabel(_parameter_label(result.network, x))
    if series:
        axes[0].legend(title=_parameter_label(result.network, series), fontsize="small")
    fixed = [f"{name} = {result.parameters[name][0]}" for name in names if name not in (x, series)]
    what = " and ".join(metric.label.split(" (")[0] for metric in chosen)
    title = f"{os.path.basename(result.file)}: {what} against {x}" + (f", one line per {series}" if series else "")
    axes[0].set_title(title + (f" ({', '.join(fixed)})" if fixed else ""), loc="left")
    if path is not None:
        figure.savefig(path, dpi=150)
    return figure


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
