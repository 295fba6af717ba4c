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
) -> Network:
    """Derive the network described by `text`.

    `overrides` maps parameter names to values (integers, or expressions as
    text, parsed by the DSL grammar); `symbolic` names the parameters to keep
    as symbols, or is "all".
    """
    program = parse(text, file)
    parsed: dict[str, p.Expr] = {}
    for name, value in (overrides or {}).items():
        parsed[name] = parse_expression(str(value), f"--set {name}")
    return derive(program, parsed, symbolic if symbolic == "all" else set(symbolic), formula_limit)


def load_program(path: str) -> p.Program:
    """The parsed (not derived) program in the file at `path`: the structure code generators follow."""
    return parse(read_source(path), "<stdin>" if path == "-" else path)


def load(path: str, **options) -> Network:
    """Derive the network in the file at `path` (or standard input for "-")."""
    file = "<stdin>" if path == "-" else path
    return loads(read_source(path), file=file, **options)


__all__ = ["load", "loads", "Network", "SymcnnError"]
