"""The Python API: text or file in, derived Network out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from . import program as p
from .closedform import DEFAULT_FORMULA_LIMIT
from .derive import Network, derive
from .errors import SymcnnError
from .parser import parse, parse_expression, read_source


def loads(
    text: str,
    overrides: Mapping[str, str | int] | None = None,
    symbolic: Iterable[str] | str | None = None,
    file: str = "<string>",
    formula_limit: int = DEFAULT_FORMULA_LIMIT,
    until: str | None = None,
) -> Network:
    """Derive the network described by `text`.

    `overrides` maps parameter names to values (integers, or expressions as
    text, parsed by the DSL grammar); `symbolic` names the parameters to keep
    as symbols, or is "all"; `until` names a layer to stop after.
    """
    return from_program(parse(text, file), overrides, symbolic, formula_limit, until)


def from_program(
    program: p.Program,
    overrides: Mapping[str, str | int] | None = None,
    symbolic: Iterable[str] | str | None = None,
    formula_limit: int = DEFAULT_FORMULA_LIMIT,
    until: str | None = None,
) -> Network:
    """Derive a program already parsed (symcnn.parser.parse), with the options of `loads`."""
    parsed: dict[str, p.Expr] = {}
    for name, value in (overrides or {}).items():
        parsed[name] = parse_expression(str(value), f"--set {name}")
    return derive(program, parsed, symbolic if symbolic in ("all", None) else set(symbolic), formula_limit, until)


def load_program(path: str) -> p.Program:
    """The parsed (not derived) program in the file at `path`: the structure code generators follow."""
    return parse(read_source(path), "<stdin>" if path == "-" else path)


def load(path: str, **options) -> Network:
    """Derive the network in the file at `path` (or standard input for "-")."""
    file = "<stdin>" if path == "-" else path
    return loads(read_source(path), file=file, **options)


def from_torch(module, input_shape, symbolic_input=(), opaque: bool = False) -> str:
    """DSL text for a torch.nn.Module run on one sample of `input_shape` (channels first, e.g. (3, 224, 224)).

    `symbolic_input` names the spatial dims ("H", "W") or all of them ("R",); `opaque`
    keeps modules the DSL cannot express as opaque layers instead of failing.
    """
    from .importers.pytorch import from_torch as trace  # torch is imported only here

    return trace(module, input_shape, symbolic_input, opaque)


def from_keras(model, input_shape=None, symbolic_input=(), opaque: bool = False) -> str:
    """DSL text (convention keras) for a built Keras model; `input_shape`, channels last, must be the model's own."""
    from .importers.keras_model import from_keras as read  # keras is imported only by the caller

    return read(model, input_shape, symbolic_input, opaque)


__all__ = ["Network", "SymcnnError", "from_keras", "from_torch", "load", "loads"]
