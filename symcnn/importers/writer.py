"""From a traced model's structure to idiomatic DSL text, whatever the framework.

An importer turns its framework's graph into `Op`s (one DSL layer each),
`Residual`s and `Concat`s, each knowing the framework module instances it
sits in (its scope). This module finds the blocks: consecutive statements in
the same module instance become a call of that instance's class; instances of
one class whose bodies differ only in numbers become one `block` with the
differing numbers as parameters (a number that is always k times another is
written `k * c`). Runs of identical calls become `repeat`s. An output used again
later, away from a join the DSL nests (a U-Net's encoder), is labelled and
reached by name: `from NAME`, `add NAME`, `concat NAME`, `crop like=NAME`; a
label on a module's last statement becomes the label of its block call, and a
module whose inside is reached by name stays written out layer by layer.
"""

from __future__ import annotations

import itertools
import math
import numbers
import re
from collections import Counter
from dataclasses import dataclass, field

from ..derive import derive
from ..parser import parse

# Option name -> the parameter name a varying value of it gets.
PARAMETER_NAMES = {"filters": "c", "units": "n", "stride": "s", "kernel": "k", "padding": "p", "groups": "g"}
PARAMETER_NAMES |= {"slice": "c", "rate": "r", "repeat": "n"}
MAX_MULTIPLE = 64
RESERVED = {"input", "convention", "defaults", "expect", "block", "repeat", "residual", "shortcut", "concat", "branch"}
RESERVED |= {"scale", "if", "else", "from", "add", "and", "or", "not"}  # the grammar's keywords
RESERVED |= {"symbolic", "total", "true", "false"}
AUTOMATIC_STEMS = {"add", "concat", "scale", "shortcut", "branch", "gate", "repeat"}  # names derive numbers on


@dataclass(frozen=True)
class Scope:
    """One framework module instance: its path in the model and its class name."""

    path: str
    kind: str


@dataclass
class Op:
    """One DSL layer. `options` holds every option the grouping compares; those equal to `defaults` are not written."""

    keyword: str
    positional: tuple = ()
    options: dict = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)
    scopes: tuple[Scope, ...] = ()
    shape: tuple[int, ...] = ()  # the traced output shape, for the importer's own check
    label: str | None = None
    comment: str | None = None


@dataclass
class Residual:
    main: list
    shortcut: list | None
    scopes: tuple[Scope, ...] = ()
    shape: tuple[int, ...] = ()
    label: str | None = None


@dataclass
class Concat:
    branches: list[list]
    scopes: tuple[Scope, ...] = ()
    shape: tuple[int, ...] = ()
    slices: list[tuple[int, int] | None] = field(default_factory=list)  # per branch: the channels it takes
    label: str | None = None


@dataclass
class Scale:
    """The input times a gate computed from it (squeeze-and-excitation)."""

    gate: list
    scopes: tuple[Scope, ...] = ()
    shape: tuple[int, ...] = ()
    label: str | None = None


@dataclass
class From:
    """`from NAME`: the next statement starts from that earlier output, not from the last one."""

    name: str
    scopes: tuple[Scope, ...] = ()


@dataclass
class Skip:
    """`add NAME` or `concat NAME`: the current output joined with a named earlier one."""

    join: str
    name: str
    scopes: tuple[Scope, ...] = ()
    shape: tuple[int, ...] = ()
    label: str | None = None


@dataclass
class Call:
    """A call of a found block: `name args`."""

    block: str
    arguments: tuple
    scopes: tuple[Scope, ...] = ()
    names: tuple[str, ...] = ()  # the block's parameter names, for the numbers a caller passes
    label: str | None = None


Statement = Op | Residual | Concat | Scale | From | Skip | Call


@dataclass
class Document:
    """What the importer knows besides the structure."""

    header: list[str]  # comment lines, without the '#'
    input_shape: tuple[int, ...]
    convention: str = "torch"
    symbolic_input: tuple[str, ...] = ()  # names for the spatial dims, or one name for all
    expects: list[str] = field(default_factory=list)


def write(document: Document, statements: list[Statement]) -> str:
    """The DSL text of the imported network."""
    blocks = _Blocks()
    body = blocks.find(statements)
    biases = Counter(s.options["bias"] for s in _ops(statements) if "bias" in s.options)
    bias_default = biases[False] <= biases[True]  # bias=false is the file default when most layers have none
    lines = [f"# {line}".rstrip() for line in document.header]
    lines.append("")
    if document.convention != "torch":
        lines.append(f"convention {document.convention}")
    dims = [str(d) for d in document.input_shape]
    spatial = list(range(1, len(dims))) if document.convention == "torch" else list(range(len(dims) - 1))
    names = list(document.symbolic_input)
    if len(names) == 1 and len(spatial) > 1:
        if len({dims[i] for i in spatial}) != 1:
            raise ValueError(f"one symbol {names[0]} for a non-square input {tuple(document.input_shape)}")
        names = names * len(spatial)
    if names and len(names) != len(spatial):
        raise ValueError(f"{len(names)} symbolic input name(s) for {len(spatial)} spatial dim(s)")
    for name, index in dict(zip(names, spatial)).items():
        lines.append(f"{name} = {dims[index]}")
    if names:  # every command keeps them symbolic unless told otherwise
        lines.append(f"symbolic {', '.join(dict.fromkeys(names))}")
    for index, name in zip(spatial, names):
        dims[index] = name
    if not bias_default:
        lines.append("defaults bias=false")
    lines.append(f"input {', '.join(dims)}")
    context = {"bias": bias_default}
    for name, block in blocks.definitions.items():
        lines += ["", *block.lines(name, context)]
    lines.append("")
    lines += _lines(body, context, "")
    if document.expects:
        lines += ["", *document.expects]
    return "\n".join(lines).strip() + "\n"


def ops_in_order(statements) -> list:
    """Ops and joins in the order the derivation makes rows: main path, shortcut, add; branches, concat."""
    ordered = []
    for s in statements:
        if isinstance(s, (Op, Skip)):
            ordered.append(s)
        elif isinstance(s, Residual):
            ordered += ops_in_order(s.main) + ops_in_order(s.shortcut or []) + [s]
        elif isinstance(s, Concat):
            ordered += [op for branch in s.branches for op in ops_in_order(branch)] + [s]
        elif isinstance(s, Scale):
            ordered += ops_in_order(s.gate) + [s]
    return ordered


def verified(text: str, statements, expected: dict[str, int], framework: str) -> str:
    """Derive the text and compare every row's shape and the `expected` totals with the framework's.

    A mismatch is a bug in the importer, never a silent miscount. Totals that do not depend on
    the input size are appended as claims, so the file keeps checking itself.
    """
    network = derive(parse(text, "<imported>"), symbolic="all")
    values = network.assign({})
    traced = ops_in_order(statements)
    if len(network.rows) != len(traced):
        raise AssertionError(f"{len(network.rows)} rows for {len(traced)} {framework} layers")
    for row, op in zip(network.rows, traced):
        dims = tuple(int(d.xreplace(values)) for d in row.output.dims)
        if dims != op.shape:
            raise AssertionError(f"{row.name}: symcnn derives {dims}, {framework} has {op.shape}")
    claims = []
    for quantity, count in expected.items():
        total = network.totals[quantity]
        if int(total.xreplace(values)) != count:
            raise AssertionError(f"symcnn counts {int(total.xreplace(values)):,} {quantity}, {framework} {count:,}")
        if not total.free_symbols:
            claims.append(f"expect total.{quantity} == {count:_}")
    return text + "\n" + "\n".join(claims) + "\n" if claims else text


def _ops(statements):
    return [s for s in ops_in_order(statements) if isinstance(s, Op)]


# Blocks ---------------------------------------------------------------------


def identifier(name: str) -> str:
    """A module's or layer's name as a DSL label (layer1.0 -> layer1_0): a letter first, and no keyword or layer
    type (add -> add_out), which the grammar would read as a statement."""
    from ..layers import REGISTRY

    text = re.sub(r"[^A-Za-z0-9_]", "_", name)
    text = text if text[:1].isalpha() else f"m_{text}"
    return f"{text}_out" if text in RESERVED or text in REGISTRY else text


def label_for(name: str, taken: set[str], stems: set[str]) -> str:
    """A label from a module's name (enc4, layer1.0 -> layer1_0): an identifier that is no keyword, layer type
    or automatic name (conv3 would be one; `stems` adds the blocks'), and not in `taken`."""
    from ..layers import REGISTRY

    text = identifier(name)
    stem = re.sub(r"\d+$", "", text)
    if stem in REGISTRY or stem in stems or stem in AUTOMATIC_STEMS or text in stems:
        text = f"{text}_out"
    candidate, number = text, 1
    while candidate in taken:
        number += 1
        candidate = f"{text}_{number}"
    return candidate


def snake(name: str) -> str:
    """A class name as a block name: BasicBlock -> basic_block; never a keyword or a layer type."""
    from ..layers import REGISTRY

    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
    text = re.sub(r"[^a-z0-9_]+", "_", text).strip("_") or "unit"
    text = text if text[0].isalpha() else f"b_{text}"
    return f"{text}_unit" if text in REGISTRY or text in RESERVED else text


def common_scopes(statement) -> tuple[Scope, ...]:
    """The module instances every op of a statement shares."""
    if isinstance(statement, (Op, Call, From, Skip)):
        return statement.scopes
    parts = [statement.scopes] + [common_scopes(s) for s in _children(statement)]
    common = parts[0]
    for other in parts[1:]:
        length = 0
        while length < min(len(common), len(other)) and common[length] == other[length]:
            length += 1
        common = common[:length]
    return common


def _children(statement):
    if isinstance(statement, Residual):
        return statement.main + (statement.shortcut or [])
    if isinstance(statement, Concat):
        return [s for branch in statement.branches for s in branch]
    if isinstance(statement, Scale):
        return statement.gate
    return []


@dataclass
class _Template:
    """A block body with its numbers taken out, and each instance's numbers."""

    key: str
    body: list
    instances: list[list[int]] = field(default_factory=list)
    kind: str = ""
    names: list[str] = field(default_factory=list)
    expressions: list[str] = field(default_factory=list)  # per slot: a number, a parameter, or k * parameter
    parameters: list[str] = field(default_factory=list)
    name: str = ""

    def settle(self) -> None:
        """Decide, per number slot, whether it is a constant, a new parameter or a multiple of one."""
        columns = list(zip(*self.instances)) if self.instances else []
        params: list[tuple[str, tuple]] = []
        used = set()
        for slot, column in enumerate(columns):
            if len(set(column)) == 1:
                self.expressions.append(_value(column[0]))
                continue
            expression = None
            for name, values in params:
                if column == values:
                    expression = name
                    break
                whole = all(isinstance(v, int) for v in values + column)
                if whole and all(v != 0 for v in values) and all(c % v == 0 for c, v in zip(column, values)):
                    ratios = {c // v for c, v in zip(column, values)}
                    if len(ratios) == 1 and 1 < next(iter(ratios)) <= MAX_MULTIPLE:
                        expression = f"{next(iter(ratios))} * {name}"
                        break
            if expression is None:
                option = self.names[slot]  # an option's name, or the parameter of a block called inside
                base = option if option in PARAMETER_NAMES.values() else PARAMETER_NAMES.get(option, "a")
                name, number = base, 1
                while name in used:
                    number += 1
                    name = f"{base}{number}"
                used.add(name)
                params.append((name, column))
                expression = name
            self.expressions.append(expression)
        self.parameters = [name for name, _ in params]
        self.columns = {name: values for name, values in params}

    def arguments(self, instance: int) -> tuple:
        return tuple(self.columns[name][instance] for name in self.parameters)

    def lines(self, name: str, context) -> list[str]:
        slots = iter(self.expressions)
        head = f"block {name}({', '.join(self.parameters)}) {{"
        return [head, *_lines(self.body, context, "  ", slots), "}"]


@dataclass(eq=False)
class _Instance:
    """Consecutive statements in one module instance: a call once its block is known."""

    scope: Scope
    depth: int
    body: list
    call: Call = field(default_factory=lambda: Call("", ()))
    label: str | None = None  # the name its output is reached by


class _Blocks:
    def __init__(self):
        self.instances: list[_Instance] = []
        self.definitions: dict[str, _Template] = {}  # by block name; the deepest, made first, come first

    def find(self, statements: list) -> list:
        """Group consecutive statements in the same module instance, then make and name the blocks."""
        tree = self._group(statements, 0)
        self._resolve()
        return tree

    def _group(self, statements: list, level: int) -> list:
        grouped, index = [], 0
        while index < len(statements):
            scopes = common_scopes(statements[index])
            if len(scopes) <= level:
                grouped.append(self._inside(statements[index], level))
                index += 1
                continue
            end = index
            while end < len(statements) and common_scopes(statements[end])[level : level + 1] == (scopes[level],):
                end += 1
            body = self._group(statements[index:end], level + 1)
            if len(body) == 1 and isinstance(body[0], Op):  # a module around one layer is that layer
                grouped.append(body[0])
            elif _reached_inside(body):  # a name inside a block would differ per call: written out instead
                grouped += body
            else:
                instance = _Instance(scopes[level], level, body, label=_take_label(body[-1]))
                self.instances.append(instance)
                grouped.append(instance)
            index = end
        return grouped

    def _inside(self, statement, level: int):
        if isinstance(statement, Residual):
            shortcut = None if statement.shortcut is None else self._group(statement.shortcut, level)
            main = self._group(statement.main, level)
            return Residual(main, shortcut, statement.scopes, statement.shape, statement.label)
        if isinstance(statement, Concat):
            branches = [self._group(b, level) for b in statement.branches]
            return Concat(branches, statement.scopes, statement.shape, statement.slices, statement.label)
        if isinstance(statement, Scale):
            return Scale(self._group(statement.gate, level), statement.scopes, statement.shape, statement.label)
        return statement

    def _resolve(self) -> None:
        """Deepest instances first, so that a body's inner calls are settled before the body is compared."""
        for depth in sorted({i.depth for i in self.instances}, reverse=True):
            templates: dict[str, _Template] = {}
            members: list[tuple[_Instance, _Template]] = []
            for instance in (i for i in self.instances if i.depth == depth):
                numbers, names = [], []
                text = "\n".join(_lines(instance.body, {}, "", _Collect(numbers, names)))
                key = f"{instance.scope.kind}|{text}"
                if key not in templates:
                    templates[key] = _Template(key, instance.body, kind=instance.scope.kind, names=names)
                templates[key].instances.append(numbers)
                members.append((instance, templates[key]))
            for template in templates.values():
                template.settle()
                text = template.lines("", {})
                same = [
                    t.name for t in self.definitions.values() if t.kind == template.kind and t.lines("", {}) == text
                ]
                if same:  # the same body at another depth (a module used inside another and on its own)
                    template.name = same[0]
                    continue
                name = next(n for n in _variants(snake(template.kind)) if n not in self.definitions)
                self.definitions[name] = template
                template.name = name
            seen: dict[int, int] = {}
            for instance, template in members:
                index = seen[id(template)] = seen.get(id(template), -1) + 1
                arguments = template.arguments(index)
                instance.call = Call(template.name, arguments, (), tuple(template.parameters), instance.label)
        self.instances = []


def _take_label(statement) -> str | None:
    """A module's last statement's label, which its call takes over (the module's output is that statement's)."""
    label = getattr(statement, "label", None)
    if label is not None:
        statement.label = None
    return label


def _reached_inside(body: list, last_named: bool = True) -> bool:
    """A label but on the last statement (`last_named`), or a name reached from inside (from, add, concat
    NAME, like=NAME)."""
    for position, statement in enumerate(body):
        if getattr(statement, "label", None) is not None and not (last_named and position == len(body) - 1):
            return True
        if isinstance(statement, (From, Skip)) or (isinstance(statement, Op) and "like" in statement.options):
            return True
        if _reached_inside(_children(statement), last_named=False):
            return True
    return False


def _variants(base: str):
    """Names for the bodies one class has: bottleneck, bottleneck_b, ... (no digit: instances append one)."""
    yield base
    yield from (f"{base}_{letter}" for letter in "bcdefghijklmnopqrstuvwxy")
    yield from (f"{base}_z{'z' * n}" for n in itertools.count())


class _Collect:
    """Stands in for the slot expressions while a body is printed: records its numbers, prints placeholders."""

    def __init__(self, numbers: list, names: list):
        self.numbers, self.names = numbers, names

    def take(self, value: int, option: str) -> str:
        self.numbers.append(value)
        self.names.append(option)
        return "#"


# Text -----------------------------------------------------------------------


def _lines(statements, context, indent: str, slots=None) -> list[str]:
    lines = []
    statements = [s.call if isinstance(s, _Instance) else s for s in statements]
    index = 0
    while index < len(statements):
        statement = statements[index]
        if isinstance(statement, Call):
            # A run of identical calls is one repeat; in a block body only of calls without arguments (whose
            # numbers are slots), the count a slot too: DenseNet's dense_block(n) { repeat n { dense_layer } }.
            end = index + 1
            while (
                (slots is None or not statement.arguments)
                and end < len(statements)
                and _same_call(statements[end], statement)
            ):
                end += 1
            text = _call_text(statement, slots)
            count = _text(end - index, "repeat", slots) if end > index + 1 else ""
            lines.append(indent + _labelled(statement, f"repeat {count} {{ {text} }}" if count else text))
            index = end
            continue
        index += 1
        if isinstance(statement, Op):
            text = indent + _op_text(statement, context, slots)
            lines.append(text + (f"  # {statement.comment}" if statement.comment else ""))
        elif isinstance(statement, From):
            lines.append(f"{indent}from {statement.name}")
        elif isinstance(statement, Skip):
            lines.append(indent + _labelled(statement, f"{statement.join} {statement.name}"))
        elif isinstance(statement, Residual):
            lines.append(f"{indent}{_labelled(statement, 'residual')} {{")
            lines += _lines(statement.main, context, indent + "  ", slots)
            if statement.shortcut is None:
                lines.append(f"{indent}}}")
            else:
                lines.append(f"{indent}}} shortcut {{")
                lines += _lines(statement.shortcut, context, indent + "  ", slots)
                lines.append(f"{indent}}}")
        elif isinstance(statement, Concat):
            lines.append(f"{indent}{_labelled(statement, 'concat')} {{")
            for branch, bounds in itertools.zip_longest(statement.branches, statement.slices):
                head = "branch" if bounds is None else f"branch slice={_text(bounds, 'slice', slots)}"
                lines += _braced(f"{indent}  {head}", _lines(branch, context, "", slots), indent + "  ")
            lines.append(f"{indent}}}")
        elif isinstance(statement, Scale):
            lines += _braced(
                f"{indent}{_labelled(statement, 'scale')}", _lines(statement.gate, context, "", slots), indent
            )
    return lines


def _labelled(statement, text: str) -> str:
    return f"{statement.label}: {text}" if statement.label else text


def _braced(head: str, inner: list[str], indent: str) -> list[str]:
    """`head { a; b }` on one line when the body is a few plain statements, else one statement a line."""
    one_line = "; ".join(inner)
    if not any("{" in line or "#" in line for line in inner) and len(head) + len(one_line) <= 100:
        return [f"{head} {{ {one_line} }}".replace("{  }", "{ }")]
    return [f"{head} {{", *(indent + "  " + line for line in inner), f"{indent}}}"]


def _same_call(a, b) -> bool:
    """Calls a repeat may merge: the same block and arguments, and neither reached by name."""
    unnamed = a.label is None and b.label is None if isinstance(a, Call) else False
    return unnamed and (a.block, a.arguments) == (b.block, b.arguments)


def rescale(scale: float, offset: float = 0.0) -> Op:
    """`rescale`: x * scale + offset with fixed numbers (keras.layers.Rescaling, x / 255 in a forward()).
    A scale with no short decimal that is exactly 1/n for an integer n is written 1 / n, as the model most likely
    wrote it (1 / 255, but 0.1)."""
    text = scale
    if isinstance(scale, float) and scale and float(_value(scale)) != scale and abs(1 / scale) < 2**53:
        divisor = round(1 / scale)
        if divisor and 1 / divisor == scale:
            text = f"1 / {divisor}" if divisor > 0 else f"-1 / {-divisor}"
    return Op("rescale", (("scale", text),), {"offset": offset}, {"offset": 0})


def arithmetic(operation: str, number, tensor_first: bool) -> Op | None:
    """x * c, c * x, x / c, x + c, c + x, x - c or c - x (`operation` mul, div, add or sub) for a finite number c
    as a `rescale`; None for c / x, which is not one."""
    if isinstance(number, bool) or not isinstance(number, numbers.Real) or not math.isfinite(number):
        return None
    number = number if isinstance(number, int) else float(number)  # NumPy's scalars too
    if operation == "mul":
        return rescale(number)
    if operation == "div":
        return rescale(1 / number) if tensor_first and number else None
    if operation == "add":
        return rescale(1, number)
    return rescale(1, -number) if tensor_first else rescale(-1, number)


def _numeric(value) -> bool:
    """A number a block body may take as a parameter: a size, a count, a rate."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
        isinstance(value, tuple) and bool(value) and all(_numeric(v) for v in value)
    )


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # a rate, to 12 places: a float's 0.07500000000000001 reads 0.075
        text = f"{value:.12f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, tuple):
        inner = ", ".join(_value(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return str(value)


def _text(value, option: str, slots) -> str:
    """A value as text; in a block body its integers are slots (recorded, or replaced by their expressions)."""
    if isinstance(value, tuple):
        inner = ", ".join(_text(v, option, slots) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if slots is None or not _numeric(value):
        return _value(value)
    if isinstance(slots, _Collect):
        return slots.take(value, option)
    return next(slots)


def _op_text(op: Op, context, slots) -> str:
    parts = [_text(value, name, slots) for name, value in op.positional]
    for name, value in op.options.items():
        default = context.get(name, op.defaults.get(name)) if name == "bias" else op.defaults.get(name)
        if slots is not None and _numeric(value):
            # In a block body every number is a slot, so that instances line up; defaults are dropped when printed.
            text = _text(value, name, slots)
            if isinstance(slots, _Collect) or text != _value(default):
                parts.append(f"{name}={text}")
        elif value != default:
            parts.append(f"{name}={_value(value)}")
    return _labelled(op, op.keyword + (" " + ", ".join(parts) if parts else ""))


def _call_text(call: Call, slots) -> str:
    arguments = ", ".join(_text(v, name, slots) for v, name in zip(call.arguments, call.names))
    return call.block + (" " + arguments if arguments else "")
