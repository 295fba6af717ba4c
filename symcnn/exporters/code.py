"""What the code generators (torch_code, keras_code) share: reading the program and the derived network.

The program gives the structure (blocks, parameters, the expressions as
written); the derived network says where each statement runs (its input
layout) and which row to name in an error.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

from .. import program as p
from ..errors import Span, SymcnnError
from ..layers import REGISTRY
from ..network import Network

_REAL = re.compile(r"\d\.\d|(?<!/)/(?!/)")  # a decimal point, or true division
# Python's precedence, loosest first: a conditional, or, and, not, comparisons, + -, * // / %, unary minus.
_PREC = {"if": 1, "or": 2, "and": 3, "not": 4, "<": 5, "+": 6, "*": 7, "neg": 8}
_PREC |= {op: 5 for op in ("<=", ">", ">=", "==", "!=")} | {"-": 6} | {op: 7 for op in ("//", "/", "%")}
_COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
NOT_LAYERS = (p.Assignment, p.InputStatement, p.Convention, p.Defaults, p.Expect, p.Block)


def identifier(name: str) -> str:
    """A DSL name as a Python name: a keyword such as lambda gets a trailing underscore."""
    return name + "_" if keyword.iskeyword(name) or keyword.issoftkeyword(name) else name


def class_name(name: str) -> str:
    """snake_case or file stem -> CamelCase."""
    words = re.split(r"[^A-Za-z0-9]+|_", name)
    camel = "".join(word[:1].upper() + word[1:] for word in words if word)
    return camel if camel and camel[0].isalpha() else "Net" + camel


@dataclass
class Saved:
    """`var = tensor` in generated code, written only if a later `from`, `add`, `concat` or `crop like=` reads it."""

    var: str
    tensor: str
    indent: str
    used: bool = False


@dataclass
class Names:
    """The DSL's names in one generated scope (derive's _Scope.claim), and the tensors kept by name.

    An automatic name made after an `if` or a `repeat` may depend on which part runs or how often, which
    is decided when the model is built: such names are uncertain, and a reference to one is refused.
    """

    parent: Names | None = None
    counters: dict[str, int] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)
    saved: dict[str, tuple[Saved, bool]] = field(default_factory=dict)
    uncertain: set[str] = field(default_factory=set)
    doubtful: bool = False  # every automatic name from here on is uncertain (after a repeat)

    def claim(self, label: str | None, prefix: str) -> tuple[str, bool]:
        """The label, or prefix1, prefix2, ...; and whether it is the name derive gave."""
        if label is not None:
            self.taken.add(label)
            return label, True
        while True:
            self.counters[prefix] = self.counters.get(prefix, 0) + 1
            name = f"{prefix}{self.counters[prefix]}"
            if name not in self.taken:
                self.taken.add(name)
                return name, not self.doubtful and prefix not in self.uncertain

    def keep(self, name: str, certain: bool, tensor: str, indent: str, taken_vars: set[str]) -> Saved:
        saved = Saved(fresh(identifier(name.replace(".", "_")), taken_vars), tensor, indent)
        self.saved[name] = (saved, certain)
        return saved

    def lookup(self, name: str) -> tuple[Saved, bool] | None:
        """From the innermost scope outwards, as derive looks names up."""
        scope: Names | None = self
        while scope is not None:
            if name in scope.saved:
                return scope.saved[name]
            scope = scope.parent
        return None

    def branch_point(self) -> dict[str, int]:
        return dict(self.counters)

    def after_alternatives(self, outcomes: list[dict[str, int]]) -> None:
        """After an `if`: counters that differ between its parts make later automatic names uncertain."""
        for prefix in {prefix for counters in outcomes for prefix in counters}:
            counts = {counters.get(prefix, 0) for counters in outcomes}
            if len(counts) > 1:
                self.uncertain.add(prefix)
            self.counters[prefix] = max(counts)


def fresh(stem: str, taken: set[str]) -> str:
    """stem, or stem2, stem3, ... (conv1_2 after conv1): the first that is not taken; taken from now on."""
    name, count = stem, 1
    while name in taken:
        count += 1
        name = f"{stem}{'_' if stem[-1].isdigit() else ''}{count}"
    taken.add(name)
    return name


def rendered(lines) -> list[str]:
    """Generated lines, with the kept tensors that something reads."""
    return [
        f"{line.indent}{line.var} = {line.tensor}" if isinstance(line, Saved) else line
        for line in lines
        if not isinstance(line, Saved) or line.used
    ]


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
        # Every name a value may hold; any other bare name in an argument is a word (same, relu).
        self.known_names = {s.name for s in self.parameters} | _bound_in(program.statements)

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
            name = identifier(item.name)
            default = item.expr if top_level else item.default
            if default is None:
                signature.append(name)
            elif (
                isinstance(default, p.Number)
                or (isinstance(default, p.Negate) and isinstance(default.operand, p.Number))
                or self.is_word(default, set())
            ):
                signature.append(f"{name}={self.argument(default, set())}")
            else:
                signature.append(f"{name}=None")
                prologue.append(f"{name} = {self.argument(default, set())} if {name} is None else {name}")
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
                    reads |= {n for v in values for n in names_in(v) if n in self.known_names} - bound
                    if word in self.known_names:  # a block parameter naming a layer type: act
                        reads |= {word} - bound
                    if word in self.blocks:
                        reads |= set(self.free(self.blocks[word])) - bound
                case p.Repeat(count=count, body=body):
                    reads |= (names_in(count) - bound) | self._reads(body, bound)
                case p.If(condition=condition):
                    reads |= {n for n in names_in(condition) if n in self.known_names} - bound
            if isinstance(statement, p.Concat):
                bounds = [value for pair in statement.slices if pair for value in pair]
                reads |= {n for v in bounds for n in names_in(v)} - bound
            if not isinstance(statement, (p.Block, p.Repeat)):
                for body in bodies_of(statement):
                    reads |= self._reads(body, bound)
        return reads

    def is_word(self, value: p.Value, variables: set[str]) -> bool:
        """A bare name that is no value in reach: a word such as same or relu, or true or false."""
        return isinstance(value, p.Name) and value.id not in variables and value.id not in self.known_names

    def argument(self, value: p.Value, variables: set[str]) -> str:
        """A block argument as Python: a number or expression, a tuple, True or False, or a word as a string."""
        if isinstance(value, p.TupleValue):
            items = [self.argument(item, variables) for item in value.items]
            return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
        if self.is_word(value, variables):
            return {"true": "True", "false": "False"}.get(value.id, f'"{self.word(value.id)}"')
        return self.expr(value)

    def word(self, text: str) -> str:
        """A word (same, relu) as the framework spells it."""
        return text

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
        self._literal_words = set()  # the options given as a word; the others hold a number or a variable
        for name, value in given.items():
            option = by_name[name]
            if isinstance(value, p.Name) and value.id in option.words + ("true", "false") and value.id not in variables:
                texts[name] = {"true": "True", "false": "False"}.get(value.id, value.id)
                self._literal_words.add(name)
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
        rounded = isinstance(value, p.Call) and value.function == "round"  # already whole
        return f"int({text})" if whole and self.real and not isinstance(value, p.Number) and not rounded else text

    def expr(self, expr: p.Expr, outer: int = 0) -> str:
        """An expression as Python, parenthesised only where Python's precedence needs it."""
        match expr:
            case p.Number(value=value, text=text):
                return text.replace("_", "") if isinstance(value, int) else str(float(value))
            case p.Name(id="true" | "false" | "None" | "none" as word) if word not in self.known_names:
                return word.capitalize()  # None in a pool's size keeps that dim
            case p.Name(id=name):
                return identifier(name)
            case p.Negate(operand=operand):
                return f"-{self.expr(operand, _PREC['neg'])}"
            case p.BinaryOp(op=op, left=left, right=right) | p.Compare(op=op, left=left, right=right):
                # Comparisons do not chain in the DSL: a nested one keeps its parentheses, as arithmetic's right side.
                text = f"{self.expr(left, _PREC[op] + (op in _COMPARISONS))} {op} {self.expr(right, _PREC[op] + 1)}"
                level = _PREC[op]
            case p.Logic(op="not", operands=(operand,)):
                text, level = f"not {self.expr(operand, _PREC['not'])}", _PREC["not"]
            case p.Logic(op=op, operands=(left, right)):
                text, level = f"{self.expr(left, _PREC[op])} {op} {self.expr(right, _PREC[op] + 1)}", _PREC[op]
            case p.Call(function=function, arguments=arguments):
                return f"{function}({', '.join(self.expr(argument) for argument in arguments)})"
            case p.Conditional(condition=condition, then=then, otherwise=otherwise):
                level = _PREC["if"]
                text = f"{self.expr(then, level + 1)} if {self.expr(condition, level + 1)} else {self.expr(otherwise, level)}"
            case _:
                raise TypeError(expr)
        return f"({text})" if level < outer else text

    def reference(self, names: Names, name: str, span: Span) -> str:
        """The variable holding the earlier output `name`, for `from`, `add NAME`, `concat NAME`, `crop like=`."""
        found = names.lookup(name)
        if found is None:
            raise SymcnnError(
                f"cannot be written in {self.framework} yet: '{name}' is not an output of this "
                f"{'class' if self.framework == 'PyTorch' else 'function'}",
                span,
                "the generated code keeps the outputs of the same block or group; "
                "refer to a layer outside it, or to a container, from its own level",
            )
        saved, certain = found
        if not certain:
            raise SymcnnError(
                f"cannot be written in {self.framework} yet: which layer '{name}' names depends on an 'if' "
                "or a 'repeat' before it",
                span,
                "give the layer a label ('name: conv ...') and refer to the label",
            )
        saved.used = True
        return saved.var

    def fail(self, statement: p.LayerStatement, why: str, hint: str | None = None) -> SymcnnError:
        name = self.row_names.get(statement.span, statement.keyword)
        return SymcnnError(f"{name}: cannot be written in {self.framework}: {why}", statement.span, hint)


def bodies_of(statement) -> tuple:
    """The statement lists nested in a statement."""
    match statement:
        case p.Block(body=body) | p.Repeat(body=body) | p.Group(body=body) | p.Scale(gate=body):
            return (body,)
        case p.Residual(main=main, shortcut=shortcut):
            return (main, shortcut or ())
        case p.Concat(branches=branches):
            return branches
        case p.If(then=then, otherwise=otherwise):
            return (then, otherwise)
    return ()


def _bound_in(statements) -> set[str]:
    """The block parameters and local values defined anywhere in `statements`."""
    names: set[str] = set()
    for statement in statements:
        if isinstance(statement, p.Block):
            names |= {parameter.name for parameter in statement.parameters}
        elif isinstance(statement, p.Assignment):
            names.add(statement.name)
        for body in bodies_of(statement):
            names |= _bound_in(body)
    return names


def pairs(value: p.Value, rank: int):
    """A padding tuple with (left, right) pairs as one pair per dim; None for a scalar or plain per-dim tuple."""
    if not isinstance(value, p.TupleValue) or not any(isinstance(item, p.TupleValue) for item in value.items):
        return None
    return [tuple(item.items) if isinstance(item, p.TupleValue) else (item, item) for item in value.items]


def names_in(value) -> set[str]:
    match value:
        case p.Name(id=name):
            return {name}
        case p.BinaryOp(left=left, right=right) | p.Compare(left=left, right=right):
            return names_in(left) | names_in(right)
        case p.Negate(operand=operand):
            return names_in(operand)
        case p.TupleValue(items=items) | p.Call(arguments=items) | p.Logic(operands=items):
            return {n for item in items for n in names_in(item)}
        case p.Conditional(condition=condition, then=then, otherwise=otherwise):
            return names_in(condition) | names_in(then) | names_in(otherwise)
    return set()
