"""Comparing two networks, or one network at two settings, layer by layer.

Layers are matched by name. Quantities are compared in closed form, so with
symbols kept the difference is itself a formula (Δparams in H and W).
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Basic, expand

from ..network import Network
from .load import Source

QUANTITIES = ("params", "macs")


@dataclass(frozen=True)
class Change:
    """One layer in A and B: its output shape and quantities in each (None where it is absent)."""

    name: str
    shape: tuple[tuple | None, tuple | None]
    values: dict[str, tuple[Basic | None, Basic | None]]  # quantity -> (A, B)

    @property
    def status(self) -> str:
        """'added' (only in B), 'removed' (only in A), 'changed' or 'same'."""
        if self.shape[0] is None:
            return "added"
        if self.shape[1] is None:
            return "removed"
        same = _same_shape(*self.shape) and all(_same(a, b) for a, b in self.values.values())
        return "same" if same else "changed"

    def delta(self, quantity: str) -> Basic | None:
        return difference(*self.values[quantity])


@dataclass
class Comparison:
    a: Network
    b: Network
    layers: list[Change]
    totals: dict[str, tuple[Basic | None, Basic | None]]  # quantity -> (A, B), in closed form where short

    @property
    def changed(self) -> list[Change]:
        return [change for change in self.layers if change.status != "same"]

    def delta(self, quantity: str) -> Basic | None:
        return difference(*self.totals[quantity])


def difference(a: Basic | None, b: Basic | None) -> Basic | None:
    """b − a, expanded so equal terms cancel; None if either is missing."""
    return None if a is None or b is None else expand(b - a)


def _same(a, b) -> bool:
    return a == b or (a is not None and b is not None and difference(a, b) == 0)


def _same_shape(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))


def compare(a: Network, b: Network, items=None) -> Comparison:
    """Every layer of A and B (A's order, then B's new ones) and the totals, in display form.

    `items(network)`, if given, lists what to compare instead of the layers: anything with a name, an output
    shape and the quantities, such as the blocks that views.summary.summary_items collapses to a depth.

    A formula longer than the networks' formula limit stays per layer (in
    symbols such as H_7); such symbols mean different things in A and B, so
    its difference is None rather than a wrong formula.
    """
    rows_a = {item.name: item for item in (items(a) if items else a.rows)}
    rows_b = {item.name: item for item in (items(b) if items else b.rows)}
    names = list(rows_a) + [name for name in rows_b if name not in rows_a]
    layers = []
    for name in names:
        pair = (rows_a.get(name), rows_b.get(name))
        nets = (a, b)
        shape = tuple(
            None if row is None else tuple(_closed(net, d) for d in row.output.dims) for row, net in zip(pair, nets)
        )
        values = {
            q: tuple(None if row is None else _closed(net, getattr(row, q)) for row, net in zip(pair, nets))
            for q in QUANTITIES
        }
        layers.append(Change(name, shape, values))
    totals = {key: (_closed(a, a.totals[key]), _closed(b, b.totals[key])) for key in a.totals}
    return Comparison(a, b, layers, totals)


def _closed(network: Network, expr: Basic) -> Basic | None:
    """The closed form, or None when it is over the formula limit (per-layer symbols do not compare)."""
    shown = network.display_form(expr)
    return shown if not (shown.free_symbols - set(network.symbols)) else None


def diff(source_a, source_b=None, set_a=None, set_b=None, overrides=None, symbolic=(), items=None) -> Comparison:
    """Compare two files (or one, if `source_b` is None) with their own overrides `set_a` and `set_b`.

    `overrides` apply to both; `symbolic` names parameters kept as symbols in both; `items` as in `compare`.
    """
    first = Source(source_a, {**(overrides or {}), **(set_a or {})})
    second = Source(source_a if source_b is None else source_b, {**(overrides or {}), **(set_b or {})})
    return compare(first.derive(symbolic), second.derive(symbolic), items)
