"""What a what-if request names: parameter values, metrics and targets, read through the DSL grammar.

Every number or expression a user types is parsed by `symcnn.parser`; the
only text handled here is the punctuation around it (NAME=, ':' and ',').
Errors point into the option's text, as `--set` errors do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from sympy import Basic

from .. import program as p
from ..errors import DslSyntaxError, Span, SymcnnError, WhatIfError, unknown
from ..layers.base import AXIS_NAMES
from ..parser import parse, parse_expression
from ..quantities import DTYPE_BYTES
from ..values import evaluate

_ITEM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$", re.DOTALL)
MAX_VALUES = 10_000_000  # per parameter: beyond this a range is a typo


def split_item(item: str, option: str, example: str) -> tuple[str, str, int]:
    """'NAME=TEXT' as (NAME, TEXT, offset of TEXT in the item)."""
    match = _ITEM.match(item)
    if not match:
        raise WhatIfError(
            f"{option} expects NAME=VALUES, got '{item}'",
            Span(option, 1, 1, len(item) + 1, text=item),
            f"e.g. {option} {example}",
        )
    return match.group(1), match.group(2), match.start(2)


def parse_values(text: str, option: str = "--vary", item: str | None = None, offset: int = 0):
    """START:STOP[:STEP] (both ends included) or v1,v2,... as exact ints and Fractions (a range for ints).

    `item` is the whole option text and `offset` where `text` starts in it, for error carets.
    """
    item = text if item is None else item
    pieces, start = [], offset
    separator = ":" if ":" in text else ","
    for piece in text.split(separator):
        pieces.append(_number(piece, option, item, start))
        start += len(piece) + 1
    if separator == ",":
        return pieces
    if len(pieces) not in (2, 3):
        raise WhatIfError("a range is START:STOP or START:STOP:STEP", _span(option, item, offset, text))
    first, last, step = (*pieces, 1) if len(pieces) == 2 else pieces
    if step <= 0:
        raise WhatIfError(f"the step must be positive, got {step}", _span(option, item, offset, text))
    if last < first:
        raise WhatIfError(
            f"the range is empty: {first} > {last}",
            _span(option, item, offset, text),
            "write START:STOP with START <= STOP",
        )
    count = (last - first) // step + 1
    if count > MAX_VALUES:
        raise WhatIfError(
            f"{count:,} values are too many",
            _span(option, item, offset, text),
            f"at most {MAX_VALUES:,} per parameter; use a STEP",
        )
    if all(isinstance(v, int) for v in (first, step)):
        return range(first, first + count * step, step)
    return [first + i * step for i in range(count)]


def _span(option: str, item: str, offset: int, text: str) -> Span:
    return Span(option, 1, offset + 1, offset + 1 + len(text), text=item)


def _number(piece: str, option: str, item: str, offset: int) -> int | Fraction:
    """One value: an expression of numbers (no names), parsed by the grammar."""
    stripped = piece.strip()
    at = offset + len(piece) - len(piece.lstrip())
    try:
        if not stripped:
            raise WhatIfError(
                "a value is missing", hint="write numbers such as 32 or 0.75, or expressions such as 2 * 16"
            )
        value = evaluate(parse_expression(stripped, option), {})
    except SymcnnError as error:
        # A syntax error knows its column within the piece; others are blamed on the whole piece.
        column = at + (error.span.column if isinstance(error, DslSyntaxError) and error.span else 1)
        error.span = Span(option, 1, column, column + max(len(stripped), 1), text=item)
        raise
    return int(value) if value.is_Integer else Fraction(int(value.p), int(value.q))


def check_values(parameter, values, span: Span) -> None:
    """The values must suit the parameter as the derivation assumed it (e.g. positive integers)."""
    symbol = parameter.value
    kind, wrong = None, None
    if symbol.is_integer:
        kind = (
            "positive integers"
            if symbol.is_positive
            else "non-negative integers"
            if symbol.is_nonnegative
            else "integers"
        )
        wrong = next((v for v in values if not isinstance(v, int)), None)
    else:
        kind = "positive numbers" if symbol.is_positive else "numbers"
    if wrong is None and symbol.is_positive:
        wrong = next((v for v in values if v <= 0), None)
    elif wrong is None and symbol.is_nonnegative:
        wrong = next((v for v in values if v < 0), None)
    if wrong is not None:
        raise WhatIfError(
            f"{parameter.name} takes {kind}, got {wrong}",
            span,
            f"its value in the file, {parameter.default}, makes it one of the {kind}",
        )


# Metrics ---------------------------------------------------------------------------

# Quantity -> (name, unit) shown on a plot's axis.
LABELS = {
    "params": ("params", "count"),
    "weights": ("weights", "count"),
    "bias": ("bias", "count"),
    "trainable_params": ("trainable params", "count"),
    "non_trainable_params": ("non-trainable params", "count"),
    "macs": ("MACs", "multiply-adds"),
    "flops": ("FLOPs", "2 × MACs"),
    "activations": ("activations", "output values"),
    "memory": ("memory", "bytes, float32"),
}
ALIASES = {"shape": "output_shape", "trainable": "trainable_params", "non_trainable": "non_trainable_params"}
MEMORY_DTYPE = "float32"


@dataclass(frozen=True)
class Metric:
    name: str  # the column name: "params", "conv1.macs", "shape.H"
    expr: Basic
    label: str  # for a plot axis, with the unit


def resolve_metrics(network, specs, option: str = "--metric") -> list[Metric]:
    """Metrics by name: a total ('params'), 'LAYER.QUANTITY' or 'total.QUANTITY', as in `expect` claims.

    Beyond the claim quantities: 'memory', the bytes of the parameters and
    activations in float32.
    """
    metrics: list[Metric] = []
    for spec in specs:
        span = Span(option, 1, 1, len(spec) + 1, text=spec)
        subject, _, quantity = spec.strip().rpartition(".")
        subject = subject or "total"
        quantity = ALIASES.get(quantity, quantity)
        if quantity in ("output_shape", "input_shape"):
            metrics.extend(_shape_metrics(network, subject, quantity, span))
            continue
        if quantity == "memory":
            expr = DTYPE_BYTES[MEMORY_DTYPE] * (
                network.quantity(subject, "params", span) + network.quantity(subject, "activations", span)
            )
        else:
            if subject == "total" and quantity not in network.totals:
                raise unknown("metric", quantity, set(LABELS) | {"shape"}, span, WhatIfError)
            expr = network.quantity(subject, quantity, span)
        name = quantity if subject == "total" else f"{subject}.{quantity}"
        word, unit = LABELS[quantity]
        metrics.append(Metric(name, expr, f"{word if subject == 'total' else subject + ' ' + word} ({unit})"))
    names = [metric.name for metric in metrics]
    repeated = next((name for name in names if names.count(name) > 1), None)
    if repeated:
        raise WhatIfError(f"metric '{repeated}' is asked for twice", Span(option, 1, 1, text=",".join(specs)))
    return metrics


def _shape_metrics(network, subject: str, quantity: str, span: Span) -> list[Metric]:
    shape = network.output if subject == "total" else network.row(subject, span).output
    if quantity == "input_shape":
        shape = network.input if subject == "total" else network.row(subject, span).input
    prefix = "" if subject == "total" else f"{subject}."
    word = "shape" if quantity == "output_shape" else "input_shape"
    return [
        Metric(f"{prefix}{word}.{axis}", dim, f"{prefix}{word}.{axis} ({AXIS_NAMES[axis]})")
        for axis, dim in zip(shape.axes, shape.dims)
    ]


# Targets ---------------------------------------------------------------------------

_RELATION = re.compile(r"==|<=|>=")
_EXPECT = "expect "  # a target is read as the claim `expect SUBJECT.QUANTITY == VALUE`


@dataclass(frozen=True)
class Target:
    """What a solution must satisfy: 'SUBJECT.QUANTITY OP VALUE', or a layer that keeps its size."""

    text: str
    op: str  # ==, <= or >=
    subject: str = ""
    quantity: str = ""
    value: object = None  # the parsed VALUE (symcnn.program), evaluated in each network's scope
    keep: str = ""  # a layer whose output spatial size must equal its input's

    def relations(self, network) -> list[tuple[Basic, str, Basic]]:
        """(lhs, op, rhs) in the network's symbols; several for a shape."""
        if self.keep:
            row = network.row(self.keep, self._span())
            if not row.input.spatial:
                raise WhatIfError(f"'{self.keep}' has no spatial dims to keep", self._span())
            return [(out, "==", inp) for out, inp in zip(row.output.spatial, row.input.spatial)]
        derived = network.quantity(self.subject, self.quantity, self._span())
        scope = {name: parameter.value for name, parameter in network.parameters.items()}
        items = self.value.items if isinstance(self.value, p.TupleValue) else (self.value,)
        try:
            wanted = [evaluate(item, scope) for item in items]
        except SymcnnError as error:
            raise WhatIfError(error.message, self._span(), error.hint) from None
        if isinstance(derived, tuple) != isinstance(self.value, p.TupleValue) or len(wanted) != len(
            derived if isinstance(derived, tuple) else (1,)
        ):
            shape = isinstance(derived, tuple)
            raise WhatIfError(
                f"{self.subject}.{self.quantity} is {'a shape of ' + str(len(derived)) + ' dims' if shape else 'a number'}",
                self._span(),
                "compare a shape with a tuple such as (16, H, W)" if shape else "compare it with a single value",
            )
        if isinstance(derived, tuple) and self.op != "==":
            raise WhatIfError("a shape can only be equal to a tuple", self._span(), "use ==")
        return [(lhs, self.op, rhs) for lhs, rhs in zip(derived if isinstance(derived, tuple) else (derived,), wanted)]

    def _span(self) -> Span:
        return Span("--keep" if self.keep else "--target", 1, 1, len(self.text) + 1, text=self.text)


def parse_target(text: str, option: str = "--target") -> Target:
    """'SUBJECT.QUANTITY == VALUE' (or <=, >=), with the quantity names of `expect` claims.

    The relation is swapped for '==' and the whole read by the grammar as an
    `expect` claim, so VALUE may be any DSL value, a tuple for shapes included.
    """
    relations = list(_RELATION.finditer(text))
    if len(relations) != 1:
        raise WhatIfError(
            "a target is SUBJECT.QUANTITY == VALUE, <= VALUE or >= VALUE",
            Span(option, 1, 1, len(text) + 1, text=text),
            'e.g. --target "total.params <= 1_000_000" or --target "conv1.shape == (16, H, W)"',
        )
    relation = relations[0]
    claim = text[: relation.start()] + "==" + text[relation.end() :]  # same length: columns still match
    try:
        statements = parse(_EXPECT + claim, option).statements
    except SymcnnError as error:
        column = max((error.span.column if error.span else 1) - len(_EXPECT), 1)
        raise WhatIfError(error.message, Span(option, 1, column, text=text), error.hint) from None
    if len(statements) != 1 or not isinstance(statements[0], p.Expect):
        raise WhatIfError("a target is one claim", Span(option, 1, 1, len(text) + 1, text=text))
    claim = statements[0]
    return Target(text, relation.group(), claim.subject, claim.quantity, claim.value)


def keep_target(layer: str) -> Target:
    """The layer's output must have its input's spatial size ('same' padding, found)."""
    return Target(layer, "==", keep=layer)
