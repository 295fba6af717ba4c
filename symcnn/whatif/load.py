"""Deriving a network with the parameters a what-if question is about kept symbolic."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from .. import program as p
from ..api import from_program
from ..errors import Span, SymcnnError, WhatIfError, unknown
from ..network import Network
from ..parser import parse, read_source


class Source:
    """A DSL file read and parsed once, then derived as often as a question needs."""

    def __init__(self, path, overrides: Mapping[str, object] | None = None):
        path = os.fspath(path)
        self.file = "<stdin>" if path == "-" else path
        self.program = parse(read_source(path), self.file)
        self.parameters = [s.name for s in self.program.statements if isinstance(s, p.Assignment)]
        self.overrides = {name: str(value) for name, value in (overrides or {}).items()}

    def check_names(self, names: Iterable[str], spans: Mapping[str, Span] | None = None) -> None:
        """An unknown name is blamed on where the user wrote it (`spans`), not on --symbolic."""
        for name in names:
            if name not in self.parameters:
                raise unknown("parameter", name, self.parameters, (spans or {}).get(name), WhatIfError)

    def derive(self, symbolic: Iterable[str] | str = (), values: Mapping[str, object] | None = None) -> Network:
        """The network with `symbolic` (names, "all", or None for the file's `symbolic`) kept as symbols
        and `values` overriding the file's."""
        overrides = {**self.overrides, **{name: str(value) for name, value in (values or {}).items()}}
        return from_program(self.program, overrides, symbolic if symbolic in ("all", None) else list(symbolic))

    def attempt(self, values: Mapping[str, object]) -> Network | SymcnnError:
        """A fresh concrete derivation at `values`, or the error that says why there is none."""
        try:
            return self.derive(values=values)
        except SymcnnError as error:
            return error


def load_symbolic(
    source, names, overrides: Mapping[str, object] | None = None, spans: Mapping[str, Span] | None = None
) -> Network:
    """The network of `source` (a path, or a Network already derived) with `names` symbolic."""
    spans = spans or {}
    if not isinstance(source, Network):
        source = Source(source, overrides)
        source.check_names(names, spans)
        return source.derive(names)
    if overrides:
        raise WhatIfError("overrides apply when deriving: pass the file's path, not a Network")
    for name in names:
        parameter = source.parameters.get(name)
        if parameter is None:
            raise unknown("parameter", name, source.parameters, spans.get(name), WhatIfError)
        if not parameter.symbolic:
            raise WhatIfError(
                f"parameter '{name}' is not symbolic in this network",
                spans.get(name),
                f"derive it with symcnn.load(path, symbolic=[{name!r}, ...])",
            )
    return source
