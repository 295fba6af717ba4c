"""Output formats: one module each, pure functions of a view model that return text.

table, json_format, markdown   `symcnn summary`: render(network, unicode, view)
explain                        `symcnn explain` as text (markdown.render_explanation for Markdown)
latex                          `symcnn latex`: render(network, standalone, Options): LaTeX that fits a column
notebook                       Jupyter's _repr_latex_/_repr_markdown_/_repr_html_ of a Network and a layer
sweep, solve, diff, sensitivity
                               the what-if commands: render(result, unicode, ...); sweep also CSV and JSON,
                               diff and sensitivity also render_json, render_markdown, render_latex
text                           values as text (in --units: exact, si, bytes), fixed-width tables
bulk                           renderers of whole networks run without the garbage collector rescanning them

The commands print what these return with click.echo: nothing is wrapped to
the terminal's width.
"""

from __future__ import annotations

from . import json_format, markdown, table

EXPORTERS = {
    "table": table.render,
    "json": json_format.render,
    "markdown": markdown.render,
}

__all__ = ["EXPORTERS"]
