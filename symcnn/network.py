"""The derived network: parameters, let-bindings, one row per layer, and the blocks around them.

Rows are the layers in execution order. Blocks, residual shortcuts and concat
branches are `Container`s: named groups of consecutive rows, which summaries
show as a tree. What every view asks for is worked out here once: the totals
of the network and of each container, closed forms, the validity conditions
and the claims' results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from sympy import Add, Basic, Integer, Symbol

from . import program as p
from .claims import ClaimResult, check_claims
from .closedform import DEFAULT_FORMULA_LIMIT, ClosedForms
from .conditions import Requirement, summarize
from .errors import Span, unknown
from .layers.base import Condition, Cost, Shape, Step
from .quantities import QUANTITIES, QUANTITY_ALIASES, scaled
from .receptive import FieldNode, Receptive
from .values import exact


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Basic  # the file's value, or the --set override
    value: Basic  # a Symbol when kept symbolic, else `default`
    span: Span

    @property
    def symbolic(self) -> bool:
        return isinstance(self.value, Symbol)


@dataclass(frozen=True)
class Binding:
    """symbol = expr: one computed quantity of one layer, in terms of earlier symbols."""

    symbol: Symbol
    expr: Basic
    layer: str


@dataclass(frozen=True)
class LayerRow:
    index: int
    name: str  # dotted within blocks: basic1.conv2
    keyword: str
    title: str
    span: Span
    input: Shape
    output: Shape
    steps: tuple[Step, ...]
    cost: Cost
    activation: str | None
    path: tuple[str, ...] = ()  # names of the containers it is in, outermost first
    field: FieldNode | None = None
    source: str | None = None  # the named earlier output it reads after `from NAME` (not the row before's)
    joined: str | None = None  # for `add NAME` and `concat NAME`: the named earlier output joined

    @property
    def depth(self) -> int:
        return len(self.path)

    @property
    def receptive(self) -> Receptive | None:
        """The receptive field of this layer's output, worked out on first use."""
        return self.field.value if self.field is not None else None

    # Jupyter renders a layer with these; the renderers are imported only when a notebook asks.
    def _repr_latex_(self) -> str:
        from .exporters.notebook import row_latex

        return row_latex(self)

    def _repr_markdown_(self) -> str:
        from .exporters.notebook import row_markdown

        return row_markdown(self)

    def _repr_html_(self) -> str:
        from .exporters.notebook import row_html

        return row_html(self)

    @property
    def weights(self) -> Basic:
        return self.cost.weights

    @property
    def bias(self) -> Basic:
        return self.cost.bias

    @cached_property
    def trainable_params(self) -> Basic:
        return self.cost.weights + self.cost.bias

    @property
    def non_trainable_params(self) -> Basic:
        return self.cost.non_trainable

    @cached_property
    def params(self) -> Basic:
        return self.trainable_params + self.non_trainable_params

    @property
    def macs(self) -> Basic:
        return self.cost.macs

    @cached_property
    def flops(self) -> Basic:
        return scaled(2, self.cost.macs)

    @cached_property
    def activations(self) -> Basic:
        """Elements of the output for one sample: what must be kept for the backward pass."""
        return self.output.elements()


@dataclass(frozen=True)
class Container:
    """A block instance, a residual shortcut or a concat branch: rows[start:end]."""

    name: str
    title: str
    path: tuple[str, ...]
    span: Span
    start: int
    end: int
    input: Shape
    output: Shape
    field: FieldNode | None = None  # the receptive field of its output: an empty branch keeps its input's
    source: str | None = None  # the named earlier output it starts from after `from NAME`, as for a row

    @property
    def depth(self) -> int:
        return len(self.path)

    @property
    def receptive(self) -> Receptive | None:
        return self.field.value if self.field is not None else None


def totals_of(rows) -> dict[str, Basic]:
    """Every summed quantity over `rows`: each component added once, the others built from those sums."""
    weights, bias, frozen, macs, activations = (
        (
            Add(*column)
            for column in zip(*((r.weights, r.bias, r.non_trainable_params, r.macs, r.activations) for r in rows))
        )
        if rows
        else (Integer(0),) * 5
    )
    totals = {
        "params": weights + bias + frozen,
        "weights": weights,
        "bias": bias,
        "trainable_params": weights + bias,
        "non_trainable_params": frozen,
        "macs": macs,
        "flops": 2 * macs,
        "activations": activations,
    }
    return totals


@dataclass
class Network:
    file: str
    lines: tuple[str, ...]
    convention: str
    input: Shape
    parameters: dict[str, Parameter]
    bindings: list[Binding]
    rows: list[LayerRow]
    conditions: list[Condition]
    claims: list[p.Expect]
    output: Shape  # what the network returns: the last layer's output, or the named one a trailing `from` returns to
    containers: list[Container] = field(default_factory=list)
    formula_limit: int = DEFAULT_FORMULA_LIMIT
    totals: dict[str, Basic] = field(init=False)

    def __post_init__(self) -> None:
        self.totals = totals_of(self.rows)
        self.closed_forms = ClosedForms(self.bindings, self.formula_limit)
        self._closed: dict[Basic, Basic | None] = {}  # each expression's closed form, built once

    @cached_property
    def container_totals(self) -> dict[str, dict[str, Basic]]:
        """Each container's summed quantities, by container name."""
        return {c.name: totals_of(self.rows[c.start : c.end]) for c in self.containers}

    @cached_property
    def requirements(self) -> list[Requirement]:
        """The validity conditions, reduced to bounds on the inputs where possible (symcnn.conditions)."""
        return summarize(self)

    @cached_property
    def claim_results(self) -> list[ClaimResult]:
        """Every `expect` claim, checked (symcnn.claims)."""
        return check_claims(self)

    @property
    def layout(self) -> str:
        return self.input.axes

    @property
    def symbols(self) -> list[Symbol]:
        return [parameter.value for parameter in self.parameters.values() if parameter.symbolic]

    @property
    def is_symbolic(self) -> bool:
        return bool(self.symbols)

    def row(self, name: str, span: Span | None = None) -> LayerRow:
        for row in self.rows:
            if row.name == name:
                return row
        raise unknown("layer", name, [row.name for row in self.rows], span)

    def closed_form(self, expr: Basic) -> Basic | None:
        """`expr` in the network's inputs, or None when longer than the formula limit."""
        if expr.is_Number:
            return expr
        if expr not in self._closed:
            self._closed[expr] = self.closed_forms.of(expr)
        return self._closed[expr]

    def display_form(self, expr: Basic) -> Basic:
        """The form of `expr` to show: its closed form when short enough, else as it is (in per-layer symbols)."""
        closed = self.closed_form(expr)
        return expr if closed is None else closed

    def bindings_for(self, exprs) -> list[Binding]:
        """The per-layer equations that `exprs` still refer to, directly or through each other, in order."""
        wanted = set()
        for expr in exprs:
            wanted |= getattr(expr, "free_symbols", set())
        needed = []
        for binding in reversed(self.bindings):
            if binding.symbol in wanted:
                needed.append(binding)
                wanted |= binding.expr.free_symbols
        return needed[::-1]

    def quantity(self, subject: str, quantity: str, span: Span | None = None):
        """A layer's, a block's or the totals' quantity: an expression, or a tuple for shapes."""
        quantity = QUANTITY_ALIASES.get(quantity, quantity)
        if quantity not in QUANTITIES:
            raise unknown("quantity", quantity, set(QUANTITIES) | set(QUANTITY_ALIASES), span)
        container = next((c for c in self.containers if c.name == subject), None)
        if subject == "total" or container is not None:
            if quantity == "output_shape":
                return (container.output if container else self.output).dims
            if quantity == "input_shape":
                return (container.input if container else self.input).dims
            return (self.totals if container is None else self.container_totals[container.name])[quantity]
        row = self.row(subject, span)
        if quantity in ("output_shape", "input_shape"):
            return (row.output if quantity == "output_shape" else row.input).dims
        return getattr(row, quantity)

    # Jupyter renders a network with these.
    def _repr_latex_(self) -> str:
        from .exporters.notebook import network_latex

        return network_latex(self)

    def _repr_markdown_(self) -> str:
        from .exporters.notebook import network_markdown

        return network_markdown(self)

    def _repr_html_(self) -> str:
        from .exporters.notebook import network_html

        return network_html(self)

    def assign(self, values: Mapping[str, object]) -> dict[Symbol, Basic]:
        """Exact values of every symbol, walking the bindings in order (no deep substitution)."""
        known: dict[Symbol, Basic] = {}
        for parameter in self.parameters.values():
            if parameter.symbolic:
                given = values.get(parameter.name)
                known[parameter.value] = exact(given) if given is not None else parameter.default.xreplace(known)
        for binding in self.bindings:
            known[binding.symbol] = binding.expr.xreplace(known)
        return known
