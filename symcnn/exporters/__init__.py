"""Output formats: one module each, all pure functions of a derived Network.

Each module has `render(network, unicode=True)`, returning text or a rich
renderable; the CLI prints it.
"""

from __future__ import annotations

from . import json_format, markdown, table

EXPORTERS = {
    "table": table.render,
    "json": json_format.render,
    "markdown": markdown.render,
}

__all__ = ["EXPORTERS"]
