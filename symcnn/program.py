"""The parsed program: frozen dataclasses, each with the span it came from.

Nothing here knows about layers or SymPy; the parser builds these and the
derivation reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .errors import Span


# Expressions ---------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: int | Fraction
    text: str
    span: Span


@dataclass(frozen=True)
class Name:
    id: str
    span: Span


@dataclass(frozen=True)
class BinaryOp:
    op: str  # one of + - * // / %
    left: Expr
    right: Expr
    span: Span
    depth: int = field(default=1, compare=False)  # nesting, bounded by the parser


@dataclass(frozen=True)
class Negate:
    operand: Expr
    span: Span
    depth: int = field(default=1, compare=False)


@dataclass(frozen=True)
class TupleValue:
    items: tuple[Value, ...]
    span: Span
    depth: int = field(default=1, compare=False)


@dataclass(frozen=True)
class Call:
    """A function of the expression language: max, min, round."""

    function: str
    arguments: tuple[Expr, ...]
    span: Span
    depth: int = field(default=1, compare=False)


@dataclass(frozen=True)
class Compare:
    op: str  # one of < <= > >= == !=
    left: Expr
    right: Expr
    span: Span
    depth: int = field(default=1, compare=False)


@dataclass(frozen=True)
class Logic:
    """`and`, `or` (two operands) and `not` (one)."""

    op: str
    operands: tuple[Expr, ...]
    span: Span
    depth: int = field(default=1, compare=False)


@dataclass(frozen=True)
class Conditional:
    """`then if condition else otherwise`, decided on concrete values."""

    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span
    depth: int = field(default=1, compare=False)


Expr = Number | Name | BinaryOp | Negate | Call | Compare | Logic | Conditional
Value = Expr | TupleValue


# Statements ----------------------------------------------------------------


@dataclass(frozen=True)
class KeywordArgument:
    name: str
    value: Value
    span: Span


@dataclass(frozen=True)
class Arguments:
    positional: tuple[Value, ...]
    keyword: tuple[KeywordArgument, ...]


@dataclass(frozen=True)
class Assignment:
    name: str
    expr: Expr
    span: Span


@dataclass(frozen=True)
class InputStatement:
    arguments: Arguments
    span: Span


@dataclass(frozen=True)
class Convention:
    name: str
    span: Span


@dataclass(frozen=True)
class Symbolic:
    """`symbolic R, alpha`: parameters every command keeps as symbols unless told otherwise."""

    names: tuple[str, ...]
    name_spans: tuple[Span, ...]
    span: Span


@dataclass(frozen=True)
class Defaults:
    keyword: tuple[KeywordArgument, ...]
    span: Span


@dataclass(frozen=True)
class Expect:
    subject: str  # a (dotted) layer or block name, or "total"
    quantity: str
    value: Value
    text: str
    span: Span


@dataclass(frozen=True)
class LayerStatement:
    label: str | None
    keyword: str
    arguments: Arguments
    span: Span
    keyword_span: Span


@dataclass(frozen=True)
class BlockParameter:
    name: str
    default: Value | None
    span: Span


@dataclass(frozen=True)
class Block:
    """A named, parameterised group of statements, used like a layer."""

    name: str
    parameters: tuple[BlockParameter, ...]
    body: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True)
class Repeat:
    count: Expr
    body: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True)
class Residual:
    """main + shortcut, element-wise; the shortcut is the identity when `shortcut` is None."""

    label: str | None
    main: tuple[Statement, ...]
    shortcut: tuple[Statement, ...] | None
    span: Span


@dataclass(frozen=True)
class Concat:
    """Branches from the same input, joined along the channels."""

    label: str | None
    branches: tuple[tuple[Statement, ...], ...]
    span: Span
    slices: tuple[tuple[Value, Value] | None, ...] = ()  # per branch: the channels it takes, or all


@dataclass(frozen=True)
class Scale:
    """The input times a gate computed from it by `gate`, broadcast (squeeze-and-excitation)."""

    label: str | None
    gate: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True)
class Group:
    """A labelled `{ }`: its statements named within the label, as a block's are."""

    label: str
    body: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True)
class If:
    condition: Expr
    then: tuple[Statement, ...]
    otherwise: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True)
class From:
    """Continue from a named earlier tensor."""

    name: str
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Skip:
    """`add NAME` or `concat NAME`: join the current tensor with a named earlier one."""

    label: str | None
    join: str  # "add" or "concat"
    name: str
    span: Span
    name_span: Span


Statement = (
    Assignment
    | InputStatement
    | Convention
    | Symbolic
    | Defaults
    | Expect
    | LayerStatement
    | Block
    | Repeat
    | Residual
    | Concat
    | Scale
    | Group
    | If
    | From
    | Skip
)


@dataclass(frozen=True)
class Program:
    file: str
    lines: tuple[str, ...]
    statements: tuple[Statement, ...]

    def declared_symbolic(self, overrides=()) -> set[str]:
        """The parameters the file's `symbolic` statements keep as symbols, less those given values (`--set`)."""
        names = {name for s in self.statements if isinstance(s, Symbolic) for name in s.names}
        return names - set(overrides)
