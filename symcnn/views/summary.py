"""What the exporters show: quantities in display form, and the summary's columns as data.

A displayed quantity is an exact integer when it is concrete, else its closed
form in the inputs, or its per-layer form (in symbols such as H_7) when the
closed form is longer than the network's formula limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Basic, Mul

from ..quantities import DTYPE_BYTES, SUMMED, scaled
from ..receptive import TOO_LONG


@dataclass(frozen=True)
class View:
    """How a summary is shown: nesting depth (None: all), columns, and the dtype for memory."""

    depth: int | None = None
    columns: tuple[str, ...] = ("name", "title", "output_shape", "params", "macs")
    dtype: str = "float32"


@dataclass(frozen=True)
class Column:
    key: str  # a LayerRow attribute, or "shape" for the output shape
    header: str
    numeric: bool = True


# Every column a summary can show; adding one is a line here (and a case in row_value if it is computed).
COLUMNS = {
    column.key: column
    for column in (
        Column("name", "Layer", numeric=False),
        Column("title", "Type", numeric=False),
        Column("input_shape", "Input shape", numeric=False),
        Column("output_shape", "Output shape", numeric=False),
        Column("params", "Params"),
        Column("trainable_params", "Trainable"),
        Column("non_trainable_params", "Non-trainable"),
        Column("macs", "MACs"),
        Column("flops", "FLOPs"),
        Column("activations", "Activations"),
        Column("activation_bytes", "Act. bytes"),
        Column("receptive_field", "Receptive field", numeric=False),
    )
}
SUMMARY_COLUMNS = tuple(COLUMNS[key] for key in View.columns)
TOTAL_LINES = (
    ("params", "Total params"),
    ("trainable_params", "Trainable params"),
    ("non_trainable_params", "Non-trainable params"),
    ("macs", "Total MACs"),
    ("flops", "Total FLOPs"),
    ("activations", "Activations (elements per sample)"),
)
MACS_NOTE = "MACs are multiply-adds of conv and dense layers; FLOPs = 2 × MACs."
LAYOUT_NAMES = {True: "channels last", False: "channels first"}


def row_value(network, row, key: str, dtype: str = "float32"):
    """One cell's value: a string for names, a tuple for shapes, else an expression."""
    if key in ("name", "title"):
        title = getattr(row, key)
        return f"{title} ({row.activation})" if key == "title" and row.activation else title
    if key in ("output_shape", "input_shape"):
        shape = row.output if key == "output_shape" else row.input
        return tuple(network.display_form(dim) for dim in shape.dims)
    if key == "activation_bytes":
        return in_bytes(network.display_form(row.activations), dtype)
    if key == "receptive_field":
        field = row.receptive
        if field is TOO_LONG:
            return "over the formula limit"
        return "—" if field is None else tuple(network.display_form(size) for size in field.size)
    return network.display_form(getattr(row, key))


def in_bytes(count: Basic, dtype: str = "float32") -> Basic:
    """`count` elements of `dtype` in bytes. A sum stays a sum times the size, 4·(…): distributed, a deep
    network's total would be a second sum of thousands of terms, and no clearer."""
    size = DTYPE_BYTES[dtype]
    return Mul(size, count, evaluate=False) if count.is_Add and size != 1 else scaled(size, count)


def memory_lines(network, dtype: str = "float32") -> list[tuple[str, Basic]]:
    """Bytes of the parameters and of all activations, for one sample in `dtype`."""
    return [
        (f"Parameter memory ({dtype} bytes)", in_bytes(network.display_form(network.totals["params"]), dtype)),
        (
            f"Activation memory ({dtype} bytes, per sample)",
            in_bytes(network.display_form(network.totals["activations"]), dtype),
        ),
    ]


def summary_totals(network, dtype: str = "float32") -> list[tuple[str, Basic]]:
    """(label, value) of every total a summary lists: the counts, then the memory."""
    counts = [(label, network.display_form(network.totals[key])) for key, label in TOTAL_LINES]
    return counts + memory_lines(network, dtype)


class Group:
    """A container as one summary line: the same attributes as a LayerRow, with the container's totals."""

    def __init__(self, container, totals):
        self.container = container
        self.totals = totals
        self.name = container.name
        self.title = container.title
        self.input = container.input
        self.output = container.output
        self.path = container.path
        self.activation = None

    @property
    def receptive(self):
        """The receptive field of the container's output (an empty branch has its input's)."""
        return self.container.receptive

    def __getattr__(self, quantity: str):
        if quantity not in SUMMED:
            raise AttributeError(quantity)
        return self.totals[quantity]


def summary_items(network, depth: int | None = None) -> list:
    """Rows and containers in execution order, containers first; `depth` hides what is nested deeper."""
    items = [(row.index - 1, row.depth, row) for row in network.rows]
    items += [(c.start, c.depth, Group(c, network.container_totals[c.name])) for c in network.containers]
    items.sort(key=lambda item: item[:2])
    return [item for _, level, item in items if depth is None or level < depth]


def local_name(item) -> str:
    """The name within its container, indented by its depth."""
    return "  " * len(item.path) + item.name.rsplit(".", 1)[-1]


def heading(network, unicode: bool = True) -> str:
    channels_last = network.input.channels_last if "C" in network.input.axes else True
    layout = network.input.axes if network.input.axes != "F" else "features"
    dot = "·" if unicode else "-"
    return (
        f"{network.file} {dot} convention {network.convention} {dot} layout {layout}"
        f"{'' if layout == 'features' else ' (' + LAYOUT_NAMES[channels_last] + ')'}"
    )
