"""What the code generators (torch_code, keras_code) share: reading the program and the derived network.

The program gives the structure (blocks, parameters, the expressions as
written); the derived network says where each statement runs (its input
layout) and which row to name in an error.
"""

from __future__ import annotations

import keyword
import re

from .. import program as p
from ..errors import Span, SymcnnError
from ..layers import REGISTRY
from ..network import Network

_REAL = re.compile(r"\d\.\d|(?<!/)/(?!/)")  # a decimal point, or true division
_PREC = {"+": 1, "-": 1, "*": 2, "//": 2, "/": 2}
NOT_LAYERS = (p.Assignment, p.InputStatement, p.Convention, p.Defaults, p.Expect, p.Block)
# Statements and expressions the generators do not write yet: refused, never silently left out.
_UNWRITTEN_STATEMENTS = {
    p.Scale: "scale",
    p.Group: "a labelled group",
    p.If: "if",
    p.From: "from",
    p.Skip: "add NAME or concat NAME",
}


def class_name(name: str) -> str:
    """snake_case or file stem -> CamelCase."""
    words = re.split(r"[^A-Za-z0-9]+|_", name)
    camel = "".join(word[:1].upper() + word[1:] for word in words if word)
    return camel if camel and camel[0].isalpha() else "Net" + camel


class CodeWriter:
    """What every code generator reads of the program and the derived network."""

    framework = ""

    def __init__(self, program: p.Program, network: Network):
        self.program = program
        self.network = network
        self.keras = network.convention == "keras"
        self.blocks = {s.name: s for s in program.statements if isinstance(s, p.Block)}
        self.parameters = [s for s in program.statements if isinstance(s, p.Assignment)]
        self.defaults = self._defaults()
        # Each statement's input layouts, from the rows it produced (a block's body may run at several).
        self.layouts: dict[Span, set[str]] = {}
        self.row_names: dict[Span, str] = {}
        for row in network.rows:
            self.layouts.setdefault(row.span, set()).add(row.input.axes)
            self.row_names.setdefault(row.span, row.name)
        # Channel counts like 32 * alpha are written int(...) where a value may be a float.
        self.real = any(_REAL.search(line.split("#")[0]) for line in program.lines)
        self.free_names: dict[str, list[str]] = {}
        self._refuse_unwritten(program.statements)

    def _refuse_unwritten(self, statements) -> None:
        """The language's newer statements and functions: an input error naming the first one met."""
        for statement in statements:
            what = _UNWRITTEN_STATEMENTS.get(type(statement))
            if isinstance(statement, p.Concat) and statement.slices:
                what = "a branch slice"
            if what is None and any(_unwritten_expression(e) for e in _expressions_of(statement)):
                what = "max, min, round, %, comparisons and conditionals"
            if what is not None:
                raise SymcnnError(
                    f"cannot be written in {self.framework} yet: {what}",
                    statement.span,
                    "summaries, explain and latex show it; export writes the other statements only",
                )
            for body in _bodies_of(statement):
                self._refuse_unwritten(body)

    def _defaults(self) -> dict[str, p.Value]:
        defaults: dict[str, p.Value] = {}
        seen_layer = False
        for statement in self.program.statements:
            if isinstance(statement, p.Defaults):
                if seen_layer:
                    raise SymcnnError(
                        f"cannot be written in {self.framework}: 'defaults' after layers",
                        statement.span,
                        "move the defaults line above the layers",
                    )
                defaults.update({argument.name: argument.value for argument in statement.keyword})
            seen_layer = seen_layer or isinstance(statement, (p.LayerStatement, p.Residual, p.Concat, p.Repeat))
        return defaults

    def _signature(self, items, top_level: bool) -> tuple[list[str], list[str]]:
        """Constructor arguments with their defaults; defaults that refer to other names are set in the body."""
        signature, prologue = [], []
        for item in items:
            name = item.name
            default = item.expr if top_level else item.default
            if default is None:
                signature.append(name)
            elif isinstance(default, p.Number) or (
                isinstance(default, p.Negate) and isinstance(default.operand, p.Number)
            ):
                signature.append(f"{name}={self.expr(default)}")
            else:
                signature.append(f"{name}=None")
                prologue.append(f"{name} = {self.expr(default)} if {name} is None else {name}")
        return signature, prologue

    def free(self, block: p.Block) -> list[str]:
        """Names a block's body reads from its caller (the DSL's blocks see the caller's values)."""
        if block.name not in self.free_names:
            self.free_names[block.name] = []  # a recursive block is rejected by derive before this
            bound = {parameter.name for parameter in block.parameters}
            self.free_names[block.name] = sorted(self._reads(block.body, bound) - bound)
        return self.free_names[block.name]

    def _reads(self, statements, bound: set[str]) -> set[str]:
        reads: set[str] = set()
        bound = set(bound)
        for statement in statements:
            match statement:
                case p.Assignment(name=name, expr=expr):
                    reads |= names_in(expr) - bound
                    bound.add(name)
                case p.LayerStatement(keyword=word, arguments=arguments):
                    values = [*arguments.positional, *(a.value for a in arguments.keyword)]
                    layer = REGISTRY.get(word)
                    words = {w for option in layer.options for w in option.words} if layer else set()
                    reads |= {n for v in values for n in names_in(v)} - bound - (words | {"true", "false"})
                    if word in self.blocks:
                        reads |= set(self.free(self.blocks[word])) - bound
                case p.Repeat(count=count, body=body):
                    reads |= (names_in(count) - bound) | self._reads(body, bound)
                case p.Residual(main=main, shortcut=shortcut):
                    reads |= self._reads(main, bound) | self._reads(shortcut or (), bound)
                case p.Concat(branches=branches):
                    for branch in branches:
                        reads |= self._reads(branch, bound)
        return reads

    def _prefix(self, statement: p.LayerStatement) -> str:
        return statement.keyword if statement.keyword in self.blocks else REGISTRY[statement.keyword].prefix

    def _arguments(self, statement: p.LayerStatement, variables: set[str]) -> dict[str, str]:
        """Option name -> Python text, for the options the statement or the file's defaults give."""
        layer = REGISTRY[statement.keyword]
        by_name = {name: option for option in layer.options for name in (option.name, *option.aliases)}
        given: dict[str, p.Value] = {}
        for option, value in zip([o for o in layer.options if o.positional], statement.arguments.positional):
            given[option.name] = value
        for argument in statement.arguments.keyword:
            given[by_name[argument.name].name] = argument.value
        for name, value in self.defaults.items():
            if name in by_name and by_name[name].name not in given:
                given[by_name[name].name] = value
        texts = {}
        for name, value in given.items():
            option = by_name[name]
            if isinstance(value, p.Name) and value.id in option.words + ("true", "false") and value.id not in variables:
                texts[name] = {"true": "True", "false": "False"}.get(value.id, value.id)
            else:
                texts[name] = self.value(value, whole=option.kind in ("count", "sizes", "padding"))
        self._raw = given
        return texts

    # values --------------------------------------------------------------------

    def value(self, value: p.Value, whole: bool = False) -> str:
        if isinstance(value, p.TupleValue):
            items = [self.value(item, whole) for item in value.items]
            return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
        text = self.expr(value)
        return f"int({text})" if whole and self.real and not isinstance(value, p.Number) else text

    def expr(self, expr: p.Expr, outer: int = 0) -> str:
        match expr:
            case p.Number(value=value, text=text):
                return text.replace("_", "") if isinstance(value, int) else str(float(value))
            case p.Name(id=name):
                return name + "_" if keyword.iskeyword(name) else name
            case p.Negate(operand=operand):
                return f"-{self.expr(operand, 3)}"
            case p.BinaryOp(op=op, left=left, right=right):
                text = f"{self.expr(left, _PREC[op])} {op} {self.expr(right, _PREC[op] + 1)}"
                return f"({text})" if _PREC[op] < outer else text
        raise TypeError(expr)

    def fail(self, statement: p.LayerStatement, why: str, hint: str | None = None) -> SymcnnError:
        name = self.row_names.get(statement.span, statement.keyword)
        return SymcnnError(f"{name}: cannot be written in {self.framework}: {why}", statement.span, hint)


def _bodies_of(statement) -> tuple:
    match statement:
        case p.Block(body=body) | p.Repeat(body=body):
            return (body,)
        case p.Residual(main=main, shortcut=shortcut):
            return (main, shortcut or ())
        case p.Concat(branches=branches):
            return branches
    return ()


def _expressions_of(statement) -> list:
    match statement:
        case p.Assignment(expr=expr) | p.Repeat(count=expr):
            return [expr]
        case p.LayerStatement(arguments=arguments):
            return [*arguments.positional, *(a.value for a in arguments.keyword)]
        case p.Block(parameters=parameters):
            return [parameter.default for parameter in parameters if parameter.default is not None]
    return []


def _unwritten_expression(value) -> bool:
    match value:
        case p.Call() | p.Compare() | p.Logic() | p.Conditional() | p.BinaryOp(op="%"):
            return True
        case p.BinaryOp(left=left, right=right):
            return _unwritten_expression(left) or _unwritten_expression(right)
        case p.Negate(operand=operand):
            return _unwritten_expression(operand)
        case p.TupleValue(items=items):
            return any(_unwritten_expression(item) for item in items)
    return False


def pairs(value: p.Value, rank: int):
    """A padding tuple with (left, right) pairs as one pair per dim; None for a scalar or plain per-dim tuple."""
    if not isinstance(value, p.TupleValue) or not any(isinstance(item, p.TupleValue) for item in value.items):
        return None
    return [tuple(item.items) if isinstance(item, p.TupleValue) else (item, item) for item in value.items]


def names_in(value) -> set[str]:
    match value:
        case p.Name(id=name):
            return {name}
        case p.BinaryOp(left=left, right=right):
            return names_in(left) | names_in(right)
        case p.Negate(operand=operand):
            return names_in(operand)
        case p.TupleValue(items=items):
            return {n for item in items for n in names_in(item)}
    return set()
