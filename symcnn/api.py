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
    symbolic: Iterable[str] | str = (),
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
    symbolic: Iterable[str] | str = (),
    formula_limit: int = DEFAULT_FORMULA_LIMIT,
    until: str | None = None,
) -> Network:
    """Derive a program already parsed (symcnn.parser.parse), with the options of `loads`."""
    parsed: dict[str, p.Expr] = {}
    for name, value in (overrides or {}).items():
        parsed[name] = parse_expression(str(value), f"--set {name}")
    return derive(program, parsed, symbolic if symbolic == "all" else set(symbolic), formula_limit, until)


def load(path: str, **options) -> Network:
    """Derive the network in the file at `path` (or standard input for "-")."""
    file = "<stdin>" if path == "-" else path
    return loads(read_source(path), file=file, **options)


__all__ = ["load", "loads", "Network", "SymcnnError"]
