"""Text to `Program`: the only place user text is read, and only by the grammar."""

from __future__ import annotations

import dataclasses
import functools
import gc
import sys
from contextlib import contextmanager
from fractions import Fraction
from importlib import resources
from pathlib import Path

from contextvars import ContextVar

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import program as p
from .errors import DslSyntaxError, SourceError, Span, SymcnnError
from .values import MAGNITUDE_HINT, MAX_MAGNITUDE

MAX_SOURCE_BYTES = 1_000_000
MAX_NESTING = 200

_TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "_NL": "end of line",
    "$END": "end of file",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "EQUAL": "'='",
    "COLON": "':'",
    "DOT": "'.'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "__ANON_0": "'=='",
    "__ANON_1": "'//'",
    "PERCENT": "'%'",
    "COMPARE": "a comparison",
    "IF": "'if'",
    "ELSE": "'else'",
    "operator": "an operator",
    "INPUT": "'input'",
    "EXPECT": "'expect'",
    "CONVENTION": "'convention'",
    "DEFAULTS": "'defaults'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
}

_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "__ANON_1", "PERCENT", "COMPARE", "AND", "OR", "IF"}


def _grammar_text() -> str:
    packaged = resources.files("symcnn").joinpath("grammar", "symcnn.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # A source checkout or an editable install: the grammar sits beside the package.
    return (Path(__file__).resolve().parent.parent / "grammar" / "symcnn.lark").read_text(encoding="utf-8")


# The file being parsed, for the spans the transformer makes (it runs inside the parser).
_SOURCE: ContextVar[tuple[str, list[str]]] = ContextVar("symcnn_source")


@functools.cache
def _lark() -> Lark:
    # An inline transformer builds the program while parsing: no tree, no recursion.
    return Lark(_grammar_text(), parser="lalr", maybe_placeholders=True, transformer=_ToProgram())


def read_source(path: str) -> str:
    """The text of a DSL file, or a `SourceError` saying why it is not one."""
    try:
        raw = sys.stdin.buffer.read(MAX_SOURCE_BYTES + 1) if path == "-" else Path(path).read_bytes()
    except FileNotFoundError:
        raise SourceError("no such file", Span(path, 1, 1), hint="check the path") from None
    except IsADirectoryError:
        raise SourceError("this is a directory, not a file", Span(path, 1, 1)) from None
    except OSError as error:
        raise SourceError(f"cannot read the file: {error.strerror}", Span(path, 1, 1)) from None
    if len(raw) > MAX_SOURCE_BYTES:
        raise SourceError(
            f"the file is larger than {MAX_SOURCE_BYTES:,} bytes",
            Span(path, 1, 1),
            "is this really a network description?",
        )
    if b"\0" in raw:
        raise SourceError("this is a binary file", _byte_span(path, raw, raw.index(b"\0")), "symcnn reads plain text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(
            "the file is not UTF-8 text", _byte_span(path, raw, error.start), "save it as UTF-8"
        ) from None


def _byte_span(path: str, raw: bytes, offset: int) -> Span:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return Span(path, raw.count(b"\n", 0, offset) + 1, offset - line_start + 1, text="")


def parse(text: str, file: str = "<string>") -> p.Program:
    """Parse DSL text into a `Program`; every failure is a `SymcnnError` with a span."""
    if not text.strip():
        raise SourceError(
            "the file is empty", Span(file, 1, 1, text=""), hint="a network needs at least an 'input' line"
        )
    lines = source_lines(text)
    source = _SOURCE.set((file, lines))
    try:
        with without_cycle_collection():
            statements = _lark().parse(text)
    except UnexpectedInput as error:
        raise _syntax_error(error, text, file) from None
    finally:
        _SOURCE.reset(source)
    return p.Program(file, tuple(lines), tuple(statements))


def source_lines(text: str) -> list[str]:
    """The lines as the grammar counts them: only a line feed ends one (str.splitlines would also
    split at form feeds and Unicode separators inside comments, and shift every later line)."""
    return [line.removesuffix("\r") for line in text.removesuffix("\n").split("\n")]


@contextmanager
def without_cycle_collection():
    """Parsing and derivation allocate many objects and leave no garbage cycles. The
    collector's full passes over an ever larger heap would make them superlinear in depth."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_expression(text: str, what: str = "--set") -> p.Value:
    """Parse a single value (used for command-line `--set NAME=VALUE`)."""
    if "\n" in text or "\r" in text:
        raise DslSyntaxError(f"{what} value must be on one line", Span(what, 1, 1))
    prefix = "value = "
    try:
        program = parse(prefix + text, what)
    except SymcnnError as error:
        if error.span is not None:  # point into the user's text, not our prefix
            error.span = Span(what, 1, max(error.span.column - len(prefix), 1), text=text)
        raise
    (statement,) = program.statements
    return statement.expr


def _describe_expected(expected: set[str]) -> str:
    if "_NL" in expected:  # where a line may end, so may the file: say it once
        expected = expected - {"$END"}
    if len(expected & _OPERATORS) > 1:  # after a value: every operator could follow, say so once
        expected = (expected - _OPERATORS) | {"operator"}
    words = sorted({_TERMINAL_WORDS.get(name, f"'{name.lower()}'") for name in expected})
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _syntax_error(error: UnexpectedInput, text: str, file: str) -> DslSyntaxError:
    if isinstance(error, UnexpectedEOF):
        lines = source_lines(text)
        span = Span(file, len(lines), len(lines[-1]) + 1)
        return DslSyntaxError("unexpected end of file", span, f"expected {_describe_expected(set(error.expected))}")
    span = Span(file, error.line, error.column)
    if isinstance(error, UnexpectedCharacters):
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        message = f"unexpected character {char!r}"
        allowed = set(error.allowed or ())
        hint = f"expected {_describe_expected(allowed)}" if allowed else None
        if char in "\"'":
            hint = "symcnn has no strings: write words such as same or valid without quotes"
        return DslSyntaxError(message, span, hint)
    assert isinstance(error, UnexpectedToken)
    token = error.token
    found = {"_NL": "end of line", "$END": "end of input"}.get(token.type, f"'{token}'")
    # LALR's expected set may include tokens of merged states; ask the parser what it really accepts.
    expected = set(error.interactive_parser.accepts()) if error.interactive_parser else set(error.expected)
    hint = f"expected {_describe_expected(expected)}"
    if "COMMA" in expected and token.type in ("NUMBER", "NAME"):
        hint += " (arguments are separated by commas)"
    elif token.type == "LPAR":
        hint += " (the functions are max, min and round, written right after the name: max(a, b))"
    return DslSyntaxError(f"unexpected {found}", span, hint)


def _number(token: Token, span: Span) -> p.Number:
    """A literal, bounded by value like every other value. Its digits are counted before any
    conversion, which keeps int() (and its 4,300-digit limit) away from absurdly long text."""
    whole, point, decimals = token.replace("_", "").partition(".")
    whole, decimals = whole.lstrip("0"), decimals.rstrip("0")
    if len(decimals) > len(str(MAX_MAGNITUDE)) - 1:
        raise DslSyntaxError(f"number has {len(decimals)} decimals, too many", span, MAGNITUDE_HINT)
    if len(whole) > len(str(MAX_MAGNITUDE)) or int(whole or "0") > MAX_MAGNITUDE:
        raise DslSyntaxError("number is too large", span, MAGNITUDE_HINT)
    value = Fraction(int(whole + decimals or "0"), 10 ** len(decimals)) if point else int(whole or "0")
    return p.Number(value, str(token), span)


class _ToProgram(Transformer):
    """Builds program dataclasses while the parser reduces. Knows syntax only, never layer names.

    Running inside the parser it gets no tree metadata, so spans come from tokens:
    a compound expression is placed where its first operand starts.
    """

    @staticmethod
    def _span(token: Token) -> Span:
        return Span(_SOURCE.get()[0], token.line, token.column, token.end_column)

    @staticmethod
    def _nested(children, node):
        """`node`, unless its nesting is absurd: evaluating it later walks it recursively."""
        depth = 1 + max((getattr(c, "depth", 1) for c in children), default=0)
        if depth > MAX_NESTING:
            raise DslSyntaxError(
                f"expression nested deeper than {MAX_NESTING} levels", node.span, "split it up into named parameters"
            )
        return node if depth == 1 else dataclasses.replace(node, depth=depth)

    def start(self, statements):
        return statements

    # expressions
    def number(self, children):
        return _number(children[0], self._span(children[0]))

    def name(self, children):
        return p.Name(str(children[0]), self._span(children[0]))

    def _binary(op):
        def build(self, children):
            left, right = children
            return self._nested(children, p.BinaryOp(op, left, right, left.span))

        return build

    add = _binary("+")
    sub = _binary("-")
    mul = _binary("*")
    floordiv = _binary("//")
    truediv = _binary("/")
    mod = _binary("%")
    del _binary

    def call(self, children):
        function, *arguments = children
        return self._nested(arguments, p.Call(str(function), tuple(arguments), self._span(function)))

    def compare(self, children):
        left, op, right = children
        return self._nested((left, right), p.Compare(str(op), left, right, left.span))

    def _logic(self, children):
        operands = tuple(c for c in children if not isinstance(c, Token))
        keyword = next(c for c in children if isinstance(c, Token))
        span = operands[0].span if len(operands) > 1 else self._span(keyword)
        return self._nested(operands, p.Logic(str(keyword), operands, span))

    and_ = or_ = not_ = _logic

    def conditional(self, children):
        then, _, condition, _, otherwise = children
        return self._nested((then, condition, otherwise), p.Conditional(condition, then, otherwise, then.span))

    def neg(self, children):
        return self._nested(children, p.Negate(children[0], children[0].span))

    def tuple(self, children):
        return self._nested(children, p.TupleValue(tuple(children), children[0].span))

    # arguments
    def keyword_argument(self, children):
        name, value = children
        return p.KeywordArgument(str(name), value, self._span(name))

    def arguments(self, children):
        seen_keyword = False
        for child in children:
            if isinstance(child, p.KeywordArgument):
                seen_keyword = True
            elif seen_keyword:
                raise DslSyntaxError(
                    "positional argument after a keyword argument",
                    child.span,
                    hint="put positional arguments first, e.g. 'conv 20, 3, stride=2'",
                )
        positional = tuple(c for c in children if not isinstance(c, p.KeywordArgument))
        keyword = tuple(c for c in children if isinstance(c, p.KeywordArgument))
        return p.Arguments(positional, keyword)

    # statements
    def assignment(self, children):
        name, expr = children
        return p.Assignment(str(name), expr, self._span(name))

    def input_stmt(self, children):
        keyword, arguments = children
        return p.InputStatement(arguments, self._span(keyword))

    def convention(self, children):
        return p.Convention(str(children[1]), self._span(children[1]))

    def symbolic(self, children):
        keyword, *names = children
        return p.Symbolic(tuple(map(str, names)), tuple(map(self._span, names)), self._span(keyword))

    def defaults(self, children):
        return p.Defaults(tuple(children[1:]), self._span(children[0]))

    def target(self, children):
        return tuple(children)

    def expect(self, children):
        keyword, (*subject, quantity), value = children
        subject = ".".join(subject)
        text = _SOURCE.get()[1][keyword.line - 1].split("#", 1)[0].strip()
        return p.Expect(subject, str(quantity), value, text, self._span(keyword))

    def body(self, statements):
        return tuple(statements)

    def block_parameter(self, children):
        name, default = children
        return p.BlockParameter(str(name), default, self._span(name))

    def block(self, children):
        keyword, name, *parameters, body = children
        parameters = tuple(parameter for parameter in parameters if parameter is not None)
        return p.Block(str(name), parameters, body, self._span(name))

    def repeat(self, children):
        keyword, count, body = children
        return p.Repeat(count, body, self._span(keyword))

    def residual(self, children):
        label, keyword, main, _, shortcut = children
        return p.Residual(str(label) if label is not None else None, main, shortcut, self._span(label or keyword))

    def branch(self, children):
        keyword, arguments, body = children
        if arguments is None:
            return body, None
        if arguments.positional or [a.name for a in arguments.keyword] != ["slice"]:
            raise DslSyntaxError(
                "a branch takes one option, slice=(start, stop)",
                self._span(keyword),
                "e.g. 'branch slice=(0, c // 2) { }' for the first half of the channels",
            )
        (argument,) = arguments.keyword
        bounds = argument.value
        if not isinstance(bounds, p.TupleValue) or len(bounds.items) != 2:
            raise DslSyntaxError("slice takes (start, stop)", argument.span, "e.g. slice=(0, c // 2)")
        return body, tuple(bounds.items)

    def concat(self, children):
        label, keyword, *branches = children
        slices = tuple(bounds for _, bounds in branches)
        return p.Concat(
            str(label) if label is not None else None,
            tuple(body for body, _ in branches),
            self._span(label or keyword),
            slices if any(slices) else (),
        )

    def scale(self, children):
        label, keyword, gate = children
        return p.Scale(str(label) if label is not None else None, gate, self._span(label or keyword))

    def group(self, children):
        label, body = children
        return p.Group(str(label), body, self._span(label))

    def if_stmt(self, children):
        keyword, condition, then, _, otherwise = children
        return p.If(condition, then, otherwise or (), self._span(keyword))

    def path(self, names):
        """A dotted name of an earlier output, and the span of its first part."""
        return ".".join(names), self._span(names[0])

    def from_stmt(self, children):
        keyword, (name, span) = children
        return p.From(name, self._span(keyword), span)

    def skip(self, children):
        label, keyword, (name, span) = children
        return p.Skip(str(label) if label is not None else None, str(keyword), name, self._span(label or keyword), span)

    def layer(self, children):
        label, keyword, arguments = children
        return p.LayerStatement(
            str(label) if label is not None else None,
            str(keyword),
            arguments if arguments is not None else p.Arguments((), ()),
            self._span(label if label is not None else keyword),
            self._span(keyword),
        )
