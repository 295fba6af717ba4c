"""symcnn import: a PyTorch model as an idiomatic DSL file (`import` is a Python keyword, hence the name)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import SymcnnError

FRAMEWORKS = ("torch",)


def _dims(text: str, what: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise SymcnnError(f"{what} expects numbers separated by commas, got '{text}'", hint="e.g. --input 3,224,224")
    if not dims or any(d < 1 for d in dims):
        raise SymcnnError(f"{what} dims must be positive, got '{text}'")
    return dims


def _names(text: str | None) -> tuple[str, ...]:
    names = tuple(name.strip() for name in (text or "").split(",") if name.strip())
    for name in names:
        if not name.isidentifier() or not name.isascii():
            raise SymcnnError(f"--symbolic-input expects names, got '{name}'", hint="e.g. --symbolic-input H,W or R")
    return names


@click.command("import")
@click.argument("framework", type=click.Choice(FRAMEWORKS), metavar="FRAMEWORK")
@click.argument("spec", metavar="SPEC")
@click.option("--input", "input_", required=True, metavar="C,H,W", help="One sample's shape, channels first.")
@click.option("--output", "-o", metavar="FILE.cnn", default=None, help="Write the DSL here instead of standard output.")
@click.option(
    "--symbolic-input",
    metavar="H,W|R",
    default=None,
    help="Write the spatial dims as parameters with these names (one name for a square input).",
)
@click.option("--opaque", is_flag=True, help="Keep modules the DSL cannot express as opaque layers instead of failing.")
def command(framework, spec, input_, output, symbolic_input, opaque) -> None:
    """Write the model SPEC (package.module:callable or file.py:callable) as a DSL file.

    FRAMEWORK is torch. The model is traced with torch.fx on a zero tensor of --input's shape.
    """
    from ..importers.spec import load_model

    shape = _dims(input_, "--input")
    names = _names(symbolic_input)
    model = load_model(spec)
    from ..importers.pytorch import from_torch

    try:
        import torch
    except ImportError:  # pragma: no cover - the torch extra is not installed
        raise SymcnnError("symcnn import torch needs PyTorch", hint="pip install symcnn[torch]") from None
    if not isinstance(model, torch.nn.Module):
        raise SymcnnError(f"{spec} returned a {type(model).__name__}, not a torch.nn.Module")
    text = from_torch(model, shape, names, opaque, source=spec)
    if output is None:
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")


command.name = "import"
