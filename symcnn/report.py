"""What the exporters show: quantities in display form, and the summary's columns as data.

A displayed quantity is an exact integer when it is concrete, else its closed
form in the inputs, or its per-layer form (in symbols such as H_7) when the
closed form is longer than the network's formula limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Basic

from .conditions import summarize


@dataclass(frozen=True)
class Column:
    key: str  # a LayerRow attribute, or "shape" for the output shape
    header: str
    numeric: bool = True


# Adding a column to every summary format is a line here.
SUMMARY_COLUMNS = (
    Column("name", "Layer", numeric=False),
    Column("title", "Type", numeric=False),
    Column("output_shape", "Output shape", numeric=False),
    Column("params", "Params"),
    Column("macs", "MACs"),
)
TOTAL_LINES = (
    ("params", "Total params"),
    ("trainable_params", "Trainable params"),
    ("non_trainable_params", "Non-trainable params"),
    ("macs", "Total MACs"),
    ("flops", "Total FLOPs"),
)
MACS_NOTE = "MACs are multiply-adds of conv and dense layers; FLOPs = 2 × MACs."
LAYOUT_NAMES = {True: "channels last", False: "channels first"}


def display(network, expr: Basic) -> Basic:
    """The form of `expr` to show: the closed form when it is short enough."""
    closed = network.closed_form(expr)
    return expr if closed is None else closed


def row_value(network, row, key: str):
    """One cell's value: a string for names, a tuple for shapes, else an expression."""
    if key in ("name", "title"):
        title = getattr(row, key)
        return f"{title} ({row.activation})" if key == "title" and row.activation else title
    if key in ("output_shape", "input_shape"):
        shape = row.output if key == "output_shape" else row.input
        return tuple(display(network, dim) for dim in shape.dims)
    return display(network, getattr(row, key))


def referenced_bindings(network, exprs) -> list:
    """The per-layer equations that displayed expressions still refer to, in order."""
    wanted = set()
    for expr in exprs:
        wanted |= getattr(expr, "free_symbols", set())
    needed = []
    for binding in reversed(network.bindings):
        if binding.symbol in wanted:
            needed.append(binding)
            wanted |= binding.expr.free_symbols
    return needed[::-1]


def heading(network, unicode: bool = True) -> str:
    channels_last = network.input.channels_last if "C" in network.input.axes else True
    layout = network.input.axes if network.input.axes != "F" else "features"
    dot = "·" if unicode else "-"
    return (
        f"{network.file} {dot} convention {network.convention} {dot} layout {layout}"
        f"{'' if layout == 'features' else ' (' + LAYOUT_NAMES[channels_last] + ')'}"
    )


def requirements(network):
    return summarize(network)
