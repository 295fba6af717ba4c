"""symcnn figure: the network as a box-and-arrow diagram, as TikZ, or compiled to PDF, PNG or SVG."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import click

from ..errors import SymcnnError
from ..exporters import figure
from . import exit_status, load_network, network_options

TEX_HINT = "install TeX with: apt-get install -y texlive-latex-recommended texlive-pictures"
POPPLER_HINT = "install poppler with: apt-get install -y poppler-utils"
FORMATS = (".tex", ".pdf", ".png", ".svg")
# TeX's limits, reached by a figure of a thousand boxes or so (a dimension is at most about 5.75 m).
TEX_LIMITS = ("Dimension too large", "TeX capacity exceeded")
TOOL_TIMEOUT = 300  # seconds; a figure of thousands of layers takes pdflatex a while


@click.command(epilog=exit_status())
@network_options()
@click.option(
    "--output",
    "-o",
    metavar="OUT.tex|OUT.pdf|OUT.png|OUT.svg",
    help="Write to this file (its suffix picks the format) instead of TikZ on standard output.",
)
@click.option(
    "--depth", type=click.IntRange(1, None), help="Draw blocks nested deeper than this collapsed, as one box."
)
@click.option("--standalone", is_flag=True, help="TikZ as a complete document instead of a tikzpicture to \\input.")
@click.option("--dpi", type=click.IntRange(30, 1200), default=150, show_default=True, help="Resolution of a PNG.")
def command(file, set_, symbolic, formula_limit, output, depth, standalone, dpi) -> None:
    """FILE drawn left to right, one box per layer or block, sized by its shape; TikZ unless -o says otherwise."""
    suffix = Path(output).suffix.lower() if output else ".tex"
    if suffix not in FORMATS:
        raise SymcnnError(f"cannot write a figure as '{suffix or output}'", hint="use -o with .tex, .pdf, .png or .svg")
    network = load_network(file, set_, symbolic, formula_limit)
    text = figure.render(network, depth=depth, standalone=standalone or suffix != ".tex")
    if not output:
        click.echo(text, nl=False)
    elif suffix == ".tex":
        write(Path(output), text)
    else:
        compile_figure(text, Path(output), suffix, dpi)


def write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise SymcnnError(f"cannot write {path}: {error.strerror}", hint="check that its folder exists") from None


def compile_figure(document: str, output: Path, suffix: str, dpi: int) -> None:
    """Run pdflatex on `document` in a temporary folder, convert the PDF if asked, and copy the result to `output`."""
    converter = {".png": "pdftoppm", ".svg": "pdftocairo"}.get(suffix)
    for tool, hint in (("pdflatex", TEX_HINT), (converter, POPPLER_HINT)):
        if tool and shutil.which(tool) is None:
            raise SymcnnError(f"{tool} is not installed: it is needed to write {output.name}", hint=hint)
    with tempfile.TemporaryDirectory(prefix="symcnn-figure-") as folder:
        work = Path(folder)
        (work / "figure.tex").write_text(document, encoding="utf-8")
        run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "figure.tex"], work)
        if not (work / "figure.pdf").exists():
            raise SymcnnError("pdflatex produced no PDF", hint=f"see the log: {_first_error(work)}")
        made = work / "figure.pdf"
        if suffix == ".png":
            run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", "figure.pdf", "figure"], work)
            made = work / "figure.png"
        elif suffix == ".svg":
            run(["pdftocairo", "-svg", "figure.pdf", "figure.svg"], work)
            made = work / "figure.svg"
        try:
            shutil.copyfile(made, output)
        except OSError as error:
            raise SymcnnError(f"cannot write {output}: {error.strerror}", hint="check that its folder exists") from None


def run(arguments: list[str], folder: Path) -> None:
    try:
        done = subprocess.run(
            arguments, check=False, cwd=folder, capture_output=True, timeout=TOOL_TIMEOUT, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise SymcnnError(
            f"{arguments[0]} took longer than {TOOL_TIMEOUT} s", hint="draw fewer boxes with --depth"
        ) from None
    if done.returncode != 0:
        detail = _first_error(folder) if arguments[0] == "pdflatex" else done.stderr.decode(errors="replace").strip()
        too_big = any(limit in detail for limit in TEX_LIMITS)
        hint = (
            "draw fewer boxes: collapse blocks with --depth N"
            if too_big
            else "is pgf installed? (apt-get install texlive-pictures)"
        )
        raise SymcnnError(f"{arguments[0]} failed: {detail}", hint=hint)


def _first_error(folder: Path) -> str:
    """The first error line of pdflatex's log."""
    log = folder / "figure.log"
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return next((line for line in text.splitlines() if line.startswith("!")), "no log")


command.name = "figure"
