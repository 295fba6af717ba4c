"""symcnn import: a PyTorch or Keras model as an idiomatic DSL file (`import` is a Python keyword, hence the name)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import SymcnnError

FRAMEWORKS = ("torch", "keras")


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
@click.option(
    "--input", "input_", required=True, metavar="DIMS", help="One sample's shape: C,H,W for torch, H,W,C for keras."
)
@click.option("--output", "-o", metavar="FILE.cnn", default=None, help="Write the DSL here instead of standard output.")
@click.option(
    "--symbolic-input",
    metavar="H,W|R",
    default=None,
    help="Write the spatial dims as parameters with these names (one name for a square input), kept symbolic"
    " by the file's `symbolic` statement.",
)
@click.option("--opaque", is_flag=True, help="Keep modules the DSL cannot express as opaque layers instead of failing.")
def command(framework, spec, input_, output, symbolic_input, opaque) -> None:
    """Write the model SPEC (package.module:callable or file.py:callable, called with no arguments) as a DSL file.

    FRAMEWORK is torch (traced with torch.fx on a zero tensor of --input's shape) or keras (read from
    its layer graph; KERAS_BACKEND defaults to torch).
    """
    from ..importers.spec import load_model

    shape = _dims(input_, "--input")
    names = _names(symbolic_input)
    if framework == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")  # keras 3 on the torch wheel; a user's choice wins
    model = load_model(spec)
    if framework == "torch":
        import torch

        from ..importers.pytorch import from_torch

        if not isinstance(model, torch.nn.Module):
            raise SymcnnError(f"{spec} returned a {type(model).__name__}, not a torch.nn.Module")
        text = from_torch(model, shape, names, opaque, source=spec)
    else:
        import keras

        from ..importers.keras_model import from_keras

        if not isinstance(model, keras.Model):
            raise SymcnnError(f"{spec} returned a {type(model).__name__}, not a keras.Model")
        text = from_keras(model, shape, names, opaque, source=spec)
    if output is None:
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")


command.name = "import"
