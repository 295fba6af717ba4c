"""What every layer type shares: shapes, declared options, and the derivation contract.

A layer type is a `Layer` subclass in its own module. It declares its options
as data and implements `output` (the output shape, as formulas) and, if it has
any, `cost` (parameters and multiply-adds). The engine (symcnn.derive) binds
the output dims to fresh symbols between the two calls, so a layer's cost
formulas stay small whatever the depth of the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

from sympy import Basic, Eq, Integer, Le, Mod, Mul, Symbol

from .. import program as p
from ..errors import LayerArgumentError, ShapeError, Span, unknown
from ..notation import Placeholder, textbook
from ..receptive import Window
from ..values import describe, evaluate, exact

# Placeholder symbols of the general formulas that `explain` shows. Each layer type lists those its
# formulas use, with their meanings (Layer.placeholders); symcnn.layers collects them for the legend.
N = Placeholder("N", integer=True, positive=True)
F = Placeholder("F", integer=True, positive=True)
S = Placeholder("S", integer=True, positive=True)
P = Placeholder("P", integer=True, nonnegative=True)
P_left = Placeholder("P_l", integer=True, nonnegative=True)
P_right = Placeholder("P_r", integer=True, nonnegative=True)
D = Placeholder("d", integer=True, positive=True)
C_in = Placeholder("C_in", integer=True, positive=True)
C_out = Placeholder("C_out", integer=True, positive=True)
G = Placeholder("g", integer=True, positive=True)

# The sliding window's placeholders (convolution, pooling), in the order a sum reads: N + 2P - d(F - 1).
WINDOW = {
    N: "input size",
    F: "kernel size",
    S: "stride",
    P: "padding per side",
    P_left: "padding before",
    P_right: "padding after",
    D: "dilation",
}

SPATIAL_AXES = {1: "L", 2: "HW", 3: "DHW"}
AXIS_NAMES = {"H": "height", "W": "width", "D": "depth", "L": "length", "C": "channels", "F": "features"}


# Shapes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """Dims in the file's declared layout, e.g. axes "HWC" or "CHW"; "F" after flatten."""

    axes: str
    dims: tuple[Basic, ...]

    @property
    def rank(self) -> int:
        """Number of spatial dims."""
        return len(self.spatial_axes)

    @property
    def spatial_axes(self) -> str:
        return self.axes.replace("C", "") if "C" in self.axes else ""

    @property
    def spatial(self) -> tuple[Basic, ...]:
        return tuple(self[axis] for axis in self.spatial_axes)

    @property
    def channels(self) -> Basic:
        return self["C"]

    @property
    def channels_last(self) -> bool:
        return self.axes.endswith("C")

    def __getitem__(self, axis: str) -> Basic:
        return self.dims[self.axes.index(axis)]

    def with_spatial(self, spatial, channels) -> Shape:
        """The same layout with new spatial dims and channels."""
        values = dict(zip(self.spatial_axes, spatial), C=channels)
        return Shape(self.axes, tuple(values[axis] for axis in self.axes))

    def elements(self) -> Basic:
        return product(self.dims)


def spatial_layout(rank: int, channels_last: bool) -> str:
    axes = SPATIAL_AXES[rank]
    return axes + "C" if channels_last else "C" + axes


# Options ----------------------------------------------------------------------

REQUIRED = object()
PER_DIM_KINDS = ("sizes", "padding", "scales")  # the kinds that take a tuple, one value per dim
WORD_TRUE, WORD_FALSE = "true", "false"


@dataclass(frozen=True)
class Option:
    """One argument a layer accepts.

    kind is one of: "count" (an integer >= minimum), "sizes" (one such integer
    or one per spatial dim), "padding" (valid, same, an integer, one per dim,
    or a (left, right) pair per dim), "flag" (true or false), "word" (one of
    `words`), "number" (any value, e.g. a dropout rate), "scales" (a positive number, or one per
    spatial dim), "name" (an earlier layer's name).
    """

    name: str
    kind: str
    default: Any = REQUIRED
    positional: bool = False
    aliases: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    minimum: int = 1


@dataclass(frozen=True)
class Word:
    """A bare word argument such as same, valid or relu."""

    text: str

    def __str__(self) -> str:
        return self.text


class BoundArguments:
    """A layer's arguments after checking, with the spans to blame in errors."""

    def __init__(self, values: dict[str, Any], spans: dict[str, Span], layer_span: Span):
        self._values = values
        self._spans = spans
        self.layer_span = layer_span

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default=None) -> Any:
        return self._values.get(name, default)

    def given(self, name: str) -> bool:
        return name in self._spans

    def span(self, name: str) -> Span:
        return self._spans.get(name, self.layer_span)

    def items(self):
        return self._values.items()


def bind_arguments(
    layer: Layer, statement: p.LayerStatement, defaults: Mapping[str, p.KeywordArgument], scope
) -> BoundArguments:
    """Match a layer statement's arguments to the layer's declared options."""
    options = layer.options
    by_name = {o.name: o for o in options}
    for option in options:
        for alias in option.aliases:
            by_name[alias] = option
    positional_options = [o for o in options if o.positional]
    raw: dict[str, tuple[p.Value, Span]] = {}

    if len(statement.arguments.positional) > len(positional_options):
        extra = statement.arguments.positional[len(positional_options)]
        names = ", ".join(o.name for o in positional_options) or "none"
        raise LayerArgumentError(
            f"'{statement.keyword}' takes {len(positional_options)} positional argument(s) ({names})",
            extra.span,
            layer.usage_hint(),
        )
    for option, value in zip(positional_options, statement.arguments.positional):
        raw[option.name] = (value, value.span)
    for argument in statement.arguments.keyword:
        option = by_name.get(argument.name)
        if option is None:
            raise unknown(f"{statement.keyword} option", argument.name, by_name, argument.span, LayerArgumentError)
        if option.name in raw:
            raise LayerArgumentError(f"'{option.name}' is given twice", argument.span)
        raw[option.name] = (argument.value, argument.span)

    values: dict[str, Any] = {}
    spans = {name: span for name, (_, span) in raw.items()}
    for option in options:
        if option.name in raw:
            value, span = raw[option.name]
        elif option.name in defaults:
            value, span = defaults[option.name].value, defaults[option.name].span
        elif option.default is REQUIRED:
            raise LayerArgumentError(f"'{statement.keyword}' needs '{option.name}'", statement.span, layer.usage_hint())
        else:  # Python ints become SymPy integers; flags stay bools
            values[option.name] = Integer(option.default) if type(option.default) is int else option.default
            continue
        values[option.name] = convert(option, value, scope, span)
    return BoundArguments(values, spans, statement.span)


def convert(option: Option, value: p.Value, scope, span: Span) -> Any:
    """Check one argument value against its option's kind."""
    if option.kind == "name":  # a layer's name (crop like=enc1): its own namespace, never a value
        if not isinstance(value, p.Name):
            raise LayerArgumentError(f"'{option.name}' takes the name of an earlier layer", span, "e.g. like=enc1")
        return Word(value.id)
    if isinstance(value, p.Name) and value.id in option.words and value.id not in scope:
        return Word(value.id)
    if isinstance(value, p.Name) and value.id in scope and not isinstance(scope[value.id], Basic):
        return _passed_on(option, scope[value.id], span)
    if option.kind == "flag":
        if isinstance(value, p.Name) and value.id in (WORD_TRUE, WORD_FALSE):
            return value.id == WORD_TRUE
        raise LayerArgumentError(f"'{option.name}' must be true or false", span)
    if option.kind == "word":
        if isinstance(value, p.Name):
            raise unknown(f"{option.name} value", value.id, option.words, value.span, LayerArgumentError)
        raise LayerArgumentError(f"'{option.name}' must be one of: {', '.join(option.words)}", span)
    if isinstance(value, p.TupleValue):
        if option.kind not in PER_DIM_KINDS:
            raise LayerArgumentError(f"'{option.name}' takes a single value, not a tuple", value.span)
        return tuple(convert(option, item, scope, item.span) for item in value.items)
    number = evaluate(value, scope, option.words)
    if option.kind in ("count", "sizes", "padding"):
        minimum = 0 if option.kind == "padding" else option.minimum
        if number.is_Number and not number.is_Integer:
            raise LayerArgumentError(
                f"'{option.name}' must be an integer, got {number}", value.span, "use // to round down"
            )
        if number.is_Number and number < minimum:
            raise LayerArgumentError(f"'{option.name}' must be at least {minimum}, got {number}", value.span)
    if option.kind == "scales" and number.is_Number and number <= 0:
        raise LayerArgumentError(f"'{option.name}' must be positive, got {number}", value.span)
    return number


def _passed_on(option: Option, value, span: Span) -> Any:
    """A block argument that is not a number (a word, a flag, a tuple), checked like one written here."""
    if isinstance(value, Word) and value.text in option.words:
        return value
    if isinstance(value, bool) and option.kind == "flag":
        return value
    if isinstance(value, tuple) and option.kind in PER_DIM_KINDS:
        return tuple(item if isinstance(item, tuple) else _passed_on(option, item, span) for item in value)
    if isinstance(value, Basic) and option.kind not in ("flag", "word"):
        return value
    accepted = ", ".join(option.words) if option.kind == "word" else f"a {option.kind} value"
    misspelt = f"; is '{value}', given to the block, a misspelt parameter?" if isinstance(value, Word) else ""
    raise LayerArgumentError(f"'{option.name}' cannot be {describe(value)}", span, f"it takes {accepted}{misspelt}")


# Results ----------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One textbook step: a general formula, the values put in, and the result."""

    quantity: str  # e.g. "height", "params"
    formula: Basic
    values: Mapping[Symbol, Basic]
    result: Basic

    @classmethod
    def of(cls, quantity: str, formula, values: Mapping[Symbol, Basic]) -> Step:
        formula = exact(formula)
        return cls(quantity, formula, dict(values), formula.xreplace(dict(values)))

    def renamed(self, marks: Mapping[Symbol, Symbol]) -> Step:
        """This step with the placeholders in `marks` renamed (N -> N′), where parameters took their names."""
        if not marks:
            return self
        values = {marks.get(placeholder, placeholder): value for placeholder, value in self.values.items()}
        return Step(self.quantity, self.formula.xreplace(marks), values, self.result)


# Output.windows: how a layer changes the receptive field (symcnn.receptive).
KEEP_FIELD = ()  # it does not (activations, normalisation, flatten)
WHOLE_FIELD = None  # every output sees everything, or it is not tracked (dense after flatten)


@dataclass(frozen=True)
class Output:
    shape: Shape
    steps: tuple[Step, ...] = ()
    windows: tuple[Window, ...] | None = KEEP_FIELD


@dataclass(frozen=True)
class Cost:
    weights: Basic = Integer(0)
    bias: Basic = Integer(0)
    non_trainable: Basic = Integer(0)
    macs: Basic = Integer(0)
    steps: tuple[Step, ...] = ()


class Requirements:
    """Conditions the network needs: checked at once when decidable, otherwise kept as data."""

    def __init__(self):
        self.conditions: list[Condition] = []

    def require(self, layer: str, span: Span, predicate, rule: str, numbers: str | Callable[[], str] = "", hint=None):
        """`numbers` explains a violation; it may be a function, as it is rarely needed."""
        if predicate is True or predicate == True:  # noqa: E712 - SymPy's true
            return
        if predicate is False or predicate == False:  # noqa: E712
            numbers = numbers() if callable(numbers) else numbers
            detail = f" ({numbers})" if numbers else ""
            raise ShapeError(f"{layer}: {rule}{detail}", span, hint)
        self.conditions.append(Condition(layer, rule, predicate, span))


@dataclass
class LayerContext:
    """What a layer sees while it derives: its name, arguments and the rules in force."""

    name: str
    statement: p.LayerStatement
    args: BoundArguments
    convention: str
    requirements: Requirements = field(default_factory=Requirements)
    # The shape of a named earlier output (`crop like=NAME`), or an error at the given span.
    tensor: Callable[[str, Span], Shape] | None = None

    @property
    def torch(self) -> bool:
        return self.convention == "torch"

    def fail(self, message: str, option: str | None = None, hint: str | None = None, error=LayerArgumentError):
        span = self.args.span(option) if option else self.statement.span
        return error(f"{self.name}: {message}", span, hint)

    def require_spatial(self, shape: Shape, hint: str | None = None) -> None:
        """Conv, pooling and resizing need channels and 1 to 3 spatial dims."""
        if "C" not in shape.axes or shape.rank == 0:
            raise self.fail(f"needs an input with channels and 1 to 3 spatial dims, got {shape.axes}", hint=hint)

    def require(self, predicate, rule: str, numbers: str | Callable[[], str] = "", hint: str | None = None) -> None:
        self.requirements.require(self.name, self.statement.span, predicate, rule, numbers, hint)

    def require_divisible(self, value, divisor, what: str) -> None:
        if divisor == 1:
            return
        self.require(
            Eq(Mod(value, divisor), 0),
            f"{what} must be divisible by groups",
            lambda: f"{textbook(value)} is not a multiple of {textbook(divisor)}",
        )


@dataclass(frozen=True)
class Condition:
    """A requirement on the symbols left free, e.g. H_4 >= 1."""

    layer: str
    rule: str
    predicate: Basic
    span: Span


class Layer:
    """Base of all layer types. Subclasses set the class attributes and override `output`."""

    keyword: str = ""
    prefix: str = ""  # automatic names are prefix1, prefix2, ...
    options: tuple[Option, ...] = ()
    example: str = ""
    # The placeholders of its general formulas with their meanings, in the order a product reads
    # (C_in × F_h × F_w × C_out); tests/test_layer_metadata.py checks that none is missing.
    placeholders: Mapping[Placeholder, str] = {}

    def title(self, shape: Shape, torch: bool) -> str:
        """The type column: PyTorch's class name or Keras's, by the convention in force."""
        return type(self).__name__

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        raise NotImplementedError

    def cost(self, ctx: LayerContext, inp: Shape, out: Shape) -> Cost:
        return Cost()

    def usage_hint(self) -> str | None:
        return f"e.g. '{self.example}'" if self.example else None


def as_tuple(value) -> tuple:
    """An argument given as one value or several, e.g. `permute (2, 3, 1)` or `permute 1`, as a tuple."""
    return value if isinstance(value, tuple) else (value,)


def per_dim(ctx: LayerContext, option: str, value, rank: int) -> tuple[Basic, ...]:
    """A scalar or per-dim tuple option as one value per spatial dim."""
    if not isinstance(value, tuple):
        return (value,) * rank
    if len(value) != rank or any(isinstance(v, tuple) for v in value):
        raise ctx.fail(f"'{option}' needs {rank} value(s) for a {rank}-d input, got {len(value)}", option)
    return value


def padding_pairs(
    ctx: LayerContext, value, rank: int, option: str = "padding"
) -> tuple[tuple[Basic, Basic], ...] | Word:
    """Padding (or cropping) as (left, right) per dim, 'valid' being zeros; 'same' passes through as a word."""
    if value == Word("valid"):
        return ((0, 0),) * rank
    if isinstance(value, Word):
        return value
    if not isinstance(value, tuple):
        return ((value, value),) * rank
    if len(value) != rank:
        raise ctx.fail(f"'{option}' needs {rank} entries for a {rank}-d input, got {len(value)}", option)
    pairs = []
    for entry in value:
        if not isinstance(entry, tuple):
            pairs.append((entry, entry))
        elif len(entry) == 2 and not any(isinstance(v, tuple) for v in entry):
            pairs.append(entry)
        else:
            raise ctx.fail(f"each {option} entry is a number or a (left, right) pair", option)
    return tuple(pairs)


def at_most(a, b):
    """a <= b: decided now for numbers, else a condition (built without assumption queries)."""
    a, b = exact(a), exact(b)
    return a <= b if a.is_Number and b.is_Number else Le(a, b, evaluate=False)


def product(values) -> Basic:
    return Mul(*values)  # one flatten, not one per factor
