"""Program -> Network: one pass over the statements, linear in depth.

Every output dim that is not already a number or a symbol gets a fresh symbol
(H_3 = floor((H_2 - 3)/2) + 1), so each layer's formulas stay small; totals
are built once with Add(*terms). Closed forms in the inputs are on demand
(symcnn.closedform).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sympy import Add, Basic, Ge, Integer, Rational, Symbol

from . import program as p
from .closedform import ClosedForms, DEFAULT_FORMULA_LIMIT
from .errors import LayerArgumentError, NameLookupError, ShapeError, Span, SymcnnError, unknown
from .layers import REGISTRY
from .layers.base import (
    AXIS_NAMES,
    Condition,
    Cost,
    Layer,
    LayerContext,
    Shape,
    Step,
    bind_arguments,
    spatial_layout,
)
from .printing import textbook
from .values import evaluate

CONVENTIONS = ("torch", "keras")
LAYOUT_WORDS = {"channels_last": True, "hwc": True, "nhwc": True, "channels_first": False, "chw": False, "nchw": False}
# Dims of layer outputs are named like H_3; user parameters may not take such names.
_RESERVED_NAME = re.compile(r"^[A-Z]_\d+$")
_RESERVED_WORDS = {"total", "true", "false"}
MAX_LAYERS = 100_000


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
    """symbol = expr: one output dim of one layer, in terms of earlier symbols."""

    symbol: Symbol
    expr: Basic
    layer: str


@dataclass(frozen=True)
class LayerRow:
    index: int
    name: str
    keyword: str
    title: str
    span: Span
    input: Shape
    output: Shape
    steps: tuple[Step, ...]
    cost: Cost
    activation: str | None

    @property
    def weights(self) -> Basic:
        return self.cost.weights

    @property
    def bias(self) -> Basic:
        return self.cost.bias

    @property
    def trainable_params(self) -> Basic:
        return self.cost.weights + self.cost.bias

    @property
    def non_trainable_params(self) -> Basic:
        return self.cost.non_trainable

    @property
    def params(self) -> Basic:
        return self.trainable_params + self.non_trainable_params

    @property
    def macs(self) -> Basic:
        return self.cost.macs

    @property
    def flops(self) -> Basic:
        return 2 * self.cost.macs


# Quantities a claim or an exporter can ask of a layer, and of the totals.
QUANTITIES = ("output_shape", "input_shape", "params", "weights", "bias", "trainable_params", "non_trainable_params", "macs", "flops")
QUANTITY_ALIASES = {"shape": "output_shape", "trainable": "trainable_params", "non_trainable": "non_trainable_params"}
TOTALS = ("params", "weights", "bias", "trainable_params", "non_trainable_params", "macs", "flops")


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
    formula_limit: int = DEFAULT_FORMULA_LIMIT
    totals: dict[str, Basic] = field(init=False)

    def __post_init__(self) -> None:
        self.totals = {name: Add(*(getattr(row, name) for row in self.rows)) for name in TOTALS}
        self.closed_forms = ClosedForms(self.bindings, self.formula_limit)

    @property
    def output(self) -> Shape:
        return self.rows[-1].output if self.rows else self.input

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
        return self.closed_forms.of(expr)

    def quantity(self, subject: str, quantity: str, span: Span | None = None):
        """A layer's or the totals' quantity: an expression, or a tuple for shapes."""
        quantity = QUANTITY_ALIASES.get(quantity, quantity)
        if subject == "total":
            if quantity == "output_shape":
                return self.output.dims
            if quantity == "input_shape":
                return self.input.dims
            if quantity not in self.totals:
                raise unknown("quantity", quantity, set(TOTALS) | {"output_shape", "input_shape"}, span)
            return self.totals[quantity]
        row = self.row(subject, span)
        if quantity not in QUANTITIES:
            raise unknown("quantity", quantity, set(QUANTITIES) | set(QUANTITY_ALIASES), span)
        if quantity in ("output_shape", "input_shape"):
            return (row.output if quantity == "output_shape" else row.input).dims
        return getattr(row, quantity)

    def assign(self, values: Mapping[str, Basic]) -> dict[Symbol, Basic]:
        """Exact values of every symbol, walking the bindings in order (no deep substitution)."""
        known: dict[Symbol, Basic] = {}
        for parameter in self.parameters.values():
            if parameter.symbolic:
                given = values.get(parameter.name)
                known[parameter.value] = _exact(given) if given is not None else parameter.default.xreplace(known)
        for binding in self.bindings:
            known[binding.symbol] = binding.expr.xreplace(known)
        return known


def derive(
    program: p.Program,
    overrides: Mapping[str, p.Expr] | None = None,
    symbolic: Iterable[str] | str = (),
    formula_limit: int = DEFAULT_FORMULA_LIMIT,
) -> Network:
    """Derive every layer's shapes, parameters and MACs.

    `overrides` replace parameters' values (`--set`); `symbolic` names the
    parameters kept as symbols, or "all".
    """
    return _Deriver(program, dict(overrides or {}), symbolic, formula_limit).run()


class _Deriver:
    def __init__(self, program: p.Program, overrides, symbolic, formula_limit: int):
        self.program = program
        self.overrides = overrides
        self.symbolic = symbolic
        self.formula_limit = formula_limit
        self.scope: dict[str, Basic] = {}
        self.parameters: dict[str, Parameter] = {}
        self.convention = "torch"
        self.defaults: dict[str, p.KeywordArgument] = {}
        self.shape: Shape | None = None
        self.input: Shape | None = None
        self.rows: list[LayerRow] = []
        self.bindings: list[Binding] = []
        self.conditions: list[Condition] = []
        self.claims: list[p.Expect] = []
        self.names: set[str] = set()
        self.counters: dict[str, int] = {}

    def run(self) -> Network:
        handlers = {
            p.Assignment: self.assignment,
            p.Convention: self.convention_statement,
            p.Defaults: self.defaults_statement,
            p.InputStatement: self.input_statement,
            p.LayerStatement: self.layer,
            p.Expect: self.claims.append,
        }
        for statement in self.program.statements:
            handlers[type(statement)](statement)
        self._check_names_used()
        if self.input is None:
            raise SymcnnError(
                "the file has no 'input' line", Span(self.program.file, 1, 1), "start the network with e.g. 'input 39, 31, 1'"
            )
        network = Network(
            self.program.file,
            self.program.lines,
            self.convention,
            self.input,
            self.parameters,
            self.bindings,
            self.rows,
            self.conditions,
            self.claims,
            self.formula_limit,
        )
        for claim in self.claims:  # a claim about an unknown layer or quantity is an input error now
            network.quantity(claim.subject, claim.quantity, claim.span)
        return network

    # settings and parameters ------------------------------------------------

    def assignment(self, statement: p.Assignment) -> None:
        name = statement.name
        if name in self.parameters:
            raise NameLookupError(
                f"parameter '{name}' is already defined on line {self.parameters[name].span.line}", statement.span
            )
        if _RESERVED_NAME.match(name) or name in _RESERVED_WORDS:
            raise NameLookupError(f"'{name}' is a reserved name", statement.span, "names like H_3 name layer outputs; pick another")
        default = evaluate(self.overrides[name], self.scope) if name in self.overrides else evaluate(statement.expr, self.scope)
        value = _symbol_for(name, default) if self._is_symbolic(name) else default
        self.parameters[name] = Parameter(name, default, value, statement.span)
        self.scope[name] = value

    def _is_symbolic(self, name: str) -> bool:
        return self.symbolic == "all" or name in self.symbolic

    def _check_names_used(self) -> None:
        for what, names in (("--set", self.overrides), ("--symbolic", () if self.symbolic == "all" else self.symbolic)):
            for name in names:
                if name not in self.parameters:
                    raise unknown(f"{what} parameter", name, self.parameters, Span(what, 1, 1))

    def convention_statement(self, statement: p.Convention) -> None:
        name = {"pytorch": "torch", "tf": "keras", "tensorflow": "keras"}.get(statement.name, statement.name)
        if name not in CONVENTIONS:
            raise unknown("convention", statement.name, CONVENTIONS, statement.span)
        if self.input is not None:
            raise SymcnnError("'convention' must come before 'input'", statement.span)
        self.convention = name

    def defaults_statement(self, statement: p.Defaults) -> None:
        known = {option.name for layer in REGISTRY.values() for option in layer.options}
        for argument in statement.keyword:
            if argument.name not in known:
                raise unknown("option", argument.name, known, argument.span, LayerArgumentError)
            self.defaults[argument.name] = argument

    # input and layers ---------------------------------------------------------

    def input_statement(self, statement: p.InputStatement) -> None:
        if self.input is not None:
            raise SymcnnError("a network has one 'input' line", statement.span)
        dims = []
        for value in statement.arguments.positional:
            dim = evaluate(value, self.scope)
            if dim.is_Number and not (dim.is_Integer and dim >= 1):
                raise ShapeError(f"input dims must be positive integers, got {dim}", value.span)
            dims.append(dim)
        channels_last = self.convention == "keras"
        for argument in statement.arguments.keyword:
            if argument.name != "layout":
                raise unknown("input option", argument.name, ["layout"], argument.span, LayerArgumentError)
            word = argument.value.id if isinstance(argument.value, p.Name) else ""
            if word not in LAYOUT_WORDS:
                raise unknown("layout", word or "?", LAYOUT_WORDS, argument.span, LayerArgumentError)
            channels_last = LAYOUT_WORDS[word]
        if not 1 <= len(dims) <= 4:
            raise ShapeError(
                f"input takes 1 to 4 dims (features, or 1-3 spatial dims plus channels), got {len(dims)}",
                statement.span,
                "e.g. 'input 39, 31, 1' for height, width, channels",
            )
        axes = "F" if len(dims) == 1 else spatial_layout(len(dims) - 1, channels_last)
        self.shape = self.input = Shape(axes, tuple(dims))

    def layer(self, statement: p.LayerStatement) -> None:
        if self.shape is None:
            raise SymcnnError("layers must come after the 'input' line", statement.span, "add e.g. 'input 39, 31, 1' first")
        if len(self.rows) >= MAX_LAYERS:
            raise SymcnnError(f"more than {MAX_LAYERS:,} layers", statement.span)
        layer = REGISTRY.get(statement.keyword)
        if layer is None:
            raise unknown("layer type", statement.keyword, REGISTRY, statement.keyword_span, LayerArgumentError)
        name = self._name(statement, layer)
        args = bind_arguments(layer, statement, self.defaults, self.scope)
        ctx = LayerContext(name, statement, args, self.convention, self.conditions)
        inp = self.shape
        try:
            produced = layer.output(ctx, inp)
            out = self._bind(ctx, produced.shape, produced.steps)
        except ShapeError as error:
            error.hint = error.hint or self._layout_hint()
            raise
        self.rows.append(
            LayerRow(
                index=len(self.rows) + 1,
                name=name,
                keyword=statement.keyword,
                title=layer.title(inp, self.convention == "torch"),
                span=statement.span,
                input=inp,
                output=out,
                steps=produced.steps,
                cost=layer.cost(ctx, inp, out),
                activation=str(args.get("activation") or "") or None,
            )
        )
        self.shape = out

    def _layout_hint(self) -> str | None:
        """A likely cause of a shape error: channels-last dims read as channels first."""
        dims = self.input.dims
        if self.input.channels_last or len(dims) < 3 or not (dims[-1].is_Number and dims[-1] <= 4):
            return None
        return f"the input is read as channels first, {self.input.axes} = {tuple(dims)}; for channels last add 'layout=hwc'"

    def _name(self, statement: p.LayerStatement, layer: Layer) -> str:
        if statement.label is not None:
            name = statement.label
            if name in self.names or name in _RESERVED_WORDS:
                raise NameLookupError(f"layer name '{name}' is already used", statement.span)
        else:
            while True:
                self.counters[layer.prefix] = self.counters.get(layer.prefix, 0) + 1
                name = f"{layer.prefix}{self.counters[layer.prefix]}"
                if name not in self.names:
                    break
        self.names.add(name)
        return name

    def _bind(self, ctx: LayerContext, shape: Shape, steps: tuple[Step, ...]) -> Shape:
        """Check each computed dim is at least 1, and name each that is not atomic by a symbol."""
        for step in steps:
            size = step.result
            at_least_one = size >= 1 if size.is_Number else Ge(size, 1)
            ctx.require(at_least_one, f"output {step.quantity} must be at least 1", lambda step=step: _step_numbers(step))
        index = len(self.rows) + 1
        dims = []
        for axis, dim in zip(shape.axes, shape.dims):
            if not dim.is_Atom:
                symbol = Symbol(f"{axis}_{index}", integer=True, positive=True)
                self.bindings.append(Binding(symbol, dim, ctx.name))
                dim = symbol
            dims.append(dim)
        return Shape(shape.axes, tuple(dims))


def _step_numbers(step: Step) -> str:
    values = ", ".join(f"{textbook(symbol)} = {textbook(value)}" for symbol, value in step.values.items())
    return f"{textbook(step.formula)} = {textbook(step.result)} with {values}"


def _symbol_for(name: str, default: Basic) -> Symbol:
    """A symbol whose assumptions follow the parameter's value: sizes are positive integers."""
    if default.is_Integer:
        if default > 0:
            return Symbol(name, integer=True, positive=True)
        if default == 0:
            return Symbol(name, integer=True, nonnegative=True)
        return Symbol(name, integer=True)
    if default.is_positive:
        return Symbol(name, positive=True)
    return Symbol(name, real=True)


def _exact(value) -> Basic:
    """A Python int or Fraction as an exact SymPy number (SymPy values pass through)."""
    if isinstance(value, Basic):
        return value
    if isinstance(value, int):
        return Integer(value)
    return Rational(value.numerator, value.denominator)
