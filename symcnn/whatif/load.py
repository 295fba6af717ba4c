"""Deriving a network with the parameters a what-if question is about kept symbolic."""

from __future__ import annotations

import os
from collections.abc import Mapping

from .. import program as p
from ..api import loads
from ..derive import Network
from ..errors import Span, unknown
from ..parser import parse, read_source
from .spec import WhatIfError


def load_symbolic(source, names, overrides: Mapping[str, object] | None = None, spans: Mapping[str, Span] | None = None) -> Network:
    """The network of `source` (a path, or a Network already derived) with `names` symbolic.

    An unknown name is blamed on where the user wrote it (`spans`), rather
    than on the --symbolic option that the derivation would name.
    """
    spans = spans or {}
    if isinstance(source, Network):
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
    path = os.fspath(source)
    file = "<stdin>" if path == "-" else path
    text = read_source(path)
    defined = [s.name for s in parse(text, file).statements if isinstance(s, p.Assignment)]
    for name in names:
        if name not in defined:
            raise unknown("parameter", name, defined, spans.get(name), WhatIfError)
    return loads(text, overrides=overrides, symbolic=list(names), file=file)
