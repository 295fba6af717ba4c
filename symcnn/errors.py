"""One hierarchy for every error a user can cause.

Each error carries where it happened (a `Span`) and a hint; only the CLI turns
them into text and an exit code.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A place in a source file: 1-based line and column."""

    file: str
    line: int
    column: int
    end_column: int | None = None
    text: str | None = None  # the source line, where it is not in a file (e.g. --set)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class SymcnnError(Exception):
    """Base of all errors caused by user input."""

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint


class SourceError(SymcnnError):
    """The file cannot be read as DSL text at all (missing, binary, too large)."""


class DslSyntaxError(SymcnnError):
    """The text does not follow the grammar."""


class NameLookupError(SymcnnError):
    """A name (parameter, layer, option, quantity) that is not defined."""


class LayerArgumentError(SymcnnError):
    """A layer got arguments it does not accept or values it cannot use."""


class NeedsValueError(SymcnnError):
    """A symbol where the derivation must decide on a value: a repeat count, a round, a condition."""


class ShapeError(SymcnnError):
    """A layer cannot be applied to the shape it receives."""


class WhatIfError(SymcnnError):
    """A what-if request that cannot be answered as asked (a bad --vary, --metric or --target)."""


def did_you_mean(name: str, candidates) -> str | None:
    """A hint naming the closest candidate, if any is close."""
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    close = close or sorted(c for c in candidates if c.startswith(name))[:1]  # an abbreviation
    return f"did you mean '{close[0]}'?" if close else None


def unknown(what: str, name: str, candidates, span: Span | None = None, error=NameLookupError):
    """An error for an unknown `name`, with a did-you-mean or the list of choices."""
    hint = did_you_mean(name, candidates)
    if hint is None and candidates:
        hint = "known: " + ", ".join(sorted(candidates))
    return error(f"unknown {what} '{name}'", span, hint)
