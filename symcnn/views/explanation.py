"""What `explain` shows, in no particular format: each layer's equations in three steps.

A step is the layer's general formula (in placeholders such as N, F, S, P),
the same with this layer's values put in, and the result, as in the CNN
notes: RowSize = (N - F)/S + 1 => (39 - 4)/1 + 1 => 36. With symbols left
free the result is in per-layer symbols (H_2 = floor((H_1 - 2)/2) + 1) and,
while it is short, also in the network's inputs (floor((H - 3)/2)). The
text, Markdown and LaTeX renderers in symcnn.exporters all read this.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from sympy import Basic, Integer, Max, Min, Symbol

from ..intdiv import CeilDiv, FloorDiv
from ..layers import FACTOR_ORDER, PLACEHOLDERS
from ..layers.base import AXIS_NAMES, Step
from ..notation import Placeholder

# A zero bias is shown as the word `bias` put in as 0, as the notes' formula has it.
BIAS = Placeholder("bias")

# What each placeholder means, in the order the legend lists them: the layer types declare them.
MEANINGS = PLACEHOLDERS
_AXIS_OF = {name: axis for axis, name in AXIS_NAMES.items()}

# A renderer: notation.latex or notation.put_in, (expr, values, order, plain_division) -> str.
Render = Callable[..., str]


@dataclass(frozen=True)
class Equation:
    """One quantity of one layer: general formula, values put in, result."""

    quantity: str  # "height", "width", ..., or "params"
    name: Symbol  # the per-layer name of the result: H_3, params_3
    parts: tuple[Step, ...]  # summed: the weights, bias, ... of the parameters; one step for a dim
    result: Basic  # in per-layer symbols
    closed: Basic | None  # in the network's inputs, when that differs from `result` and is short enough
    too_long: bool  # the closed form exists but is over the network's formula limit
    exact: Basic | None  # the value before rounding, when a division was not exact (18.5 for 18)

    @property
    def plain(self) -> bool:
        """Whether divisions with numbers put in may drop their brackets: (39 - 4)/1 + 1.

        Not inside min/max (PyTorch's ceil_mode rule), where the brackets carry the meaning.
        """
        return not any(part.formula.has(Min, Max) for part in self.parts)

    @property
    def rounding(self) -> str | None:
        """ "floor" or "ceiling": what was taken of an inexact division."""
        if self.exact is None:
            return None
        return "floor" if self.exact > self.result else "ceiling"

    def formula(self, render: Render) -> str:
        return " + ".join(_general(render, part.formula) for part in self.parts)

    def put_in(self, render: Render, plain: bool) -> str:
        return " + ".join(render(part.formula, part.values, FACTOR_ORDER, plain) for part in self.parts)


@dataclass(frozen=True)
class LayerExplanation:
    row: object  # symcnn.derive.LayerRow
    equations: tuple[Equation, ...]  # the output dims that are computed, then the parameters
    macs: Basic
    macs_closed: Basic | None
    failed_claims: tuple  # symcnn.claims.ClaimResult about this layer that are false

    @property
    def placeholders(self) -> set:
        return {s for eq in self.equations for part in eq.parts for s in part.formula.free_symbols}


def explain(network, layer: str | None = None) -> list[LayerExplanation]:
    """Every layer's equations, or only those of the layer named `layer`."""
    rows = [network.row(layer)] if layer is not None else network.rows
    failed: dict[str, list] = {}
    for result in network.claim_results:
        if result.ok is False:  # not the undecided ones: with symbols left free most claims are
            failed.setdefault(result.claim.subject, []).append(result)
    # Asked once: is_symbolic walks every parameter, and a deep network has thousands.
    closed_form = network.closed_form if network.is_symbolic else None
    taken = frozenset(symbol.name for symbol in network.symbols)
    return [explain_row(row, closed_form, tuple(failed.get(row.name, ())), taken) for row in rows]


def explain_row(
    row, closed_form: Callable | None = None, failed_claims: tuple = (), taken: frozenset[str] | None = None
) -> LayerExplanation:
    """One layer's equations; with `closed_form` (Network.closed_form), also in the network's inputs.

    A placeholder whose name is `taken` by a parameter (by default: one in this layer's values) is marked, N′.
    """
    if taken is None:
        taken = frozenset(
            s.name
            for step in (*row.steps, *row.cost.steps)
            for v in step.values.values()
            for s in getattr(v, "free_symbols", ())
        )
    marks = {p: p.marked() for p in (*MEANINGS, BIAS) if p.name in taken}
    equations = []
    for step in (s.renamed(marks) for s in row.steps):
        axis = _AXIS_OF[step.quantity]
        closed, too_long = _closed(closed_form, row.output[axis], step.result)
        name = Symbol(f"{axis}_{row.index}")
        equations.append(Equation(step.quantity, name, (step,), step.result, closed, too_long, _unrounded(step)))
    # A step that is zero is left out (PyTorch's batch norm has no non-trainable parameters), except the bias.
    shown = [s for s in row.cost.steps if s.formula != 0 or s.quantity == "bias"]
    parts = tuple((_bias_word(s) if s.quantity == "bias" else s).renamed(marks) for s in shown)
    if parts:
        closed, too_long = _closed(closed_form, row.params, row.params)
        equations.append(Equation("params", Symbol(f"params_{row.index}"), parts, row.params, closed, too_long, None))
    macs_closed, _ = _closed(closed_form, row.macs, row.macs)
    return LayerExplanation(row, tuple(equations), row.macs, macs_closed, failed_claims)


def legend(explanations) -> list[tuple[Symbol, str]]:
    """The placeholders that the equations use, with their meanings, in legend order."""
    used = set().union(*(e.placeholders for e in explanations)) if explanations else set()
    return [
        (shown, meaning) for symbol, meaning in MEANINGS.items() for shown in (symbol, symbol.marked()) if shown in used
    ]


@functools.cache
def _general(render: Render, formula: Basic) -> str:
    """A general formula as text: the same few for every layer, so printed once each."""
    return render(formula, None, FACTOR_ORDER)


def _bias_word(step: Step) -> Step:
    return step if step.formula != 0 else Step("bias", BIAS, {BIAS: Integer(0)}, Integer(0))


def _closed(closed_form, expr, result) -> tuple[Basic | None, bool]:
    """(closed form of `expr` if it says more than `result`, whether it was over the limit)."""
    if closed_form is None or expr.is_Number:
        return None, False
    closed = closed_form(expr)
    if closed is None:
        return None, True
    return (None if closed == result else closed), False


def _unrounded(step: Step) -> Basic | None:
    """The step's value with exact division, when its only rounding drops a remainder."""
    divisions = step.formula.atoms(FloorDiv, CeilDiv)
    if not divisions or step.formula.has(Min, Max):
        return None
    value = step.formula.xreplace({d: d.args[0] / d.args[1] for d in divisions}).xreplace(step.values)
    return value if value.is_Rational and step.result.is_Rational and value != step.result else None
