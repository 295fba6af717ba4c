"""symcnn solve: the values of a parameter for which the network is valid, or a target holds."""

from __future__ import annotations

import sys

import click

from ..exporters import solve as exporter
from . import EXIT_CLAIM_FAILED, exit_status, network_options, parse_overrides, parse_symbolic, unicode_ok


@click.command(epilog=exit_status("no value meets the target (or a check of the answer failed)"))
@network_options(formula_limit=False)
@click.option(
    "--for",
    "names",
    multiple=True,
    metavar="NAME",
    help="The parameter to solve for; repeat for several [default: every parameter].",
)
@click.option(
    "--target",
    metavar="CLAIM",
    help='What must hold, as in expect claims: "total.params <= 1_000_000", "conv1.shape == (16, H, W)".',
)
@click.option("--keep", metavar="LAYER", help="The layer's output must keep its input's height and width.")
@click.option(
    "--search",
    metavar="LOW:HIGH",
    help="The range of an integer search, where no exact answer is found [default: 1:1000000].",
)
def command(file, set_, symbolic, names, target, keep, search) -> None:
    """Solve FILE for a parameter: where every layer is valid (the default), or where a target holds.

    Exact where SymPy can solve; otherwise an integer search over a stated range.
    Every answer is checked by deriving the network afresh at its ends.
    """
    from ..errors import WhatIfError
    from ..whatif.solve import domain, solve
    from ..whatif.spec import parse_values

    span = None
    if search is not None:
        values = parse_values(search, "--search")
        if not isinstance(values, range):
            raise WhatIfError("--search takes LOW:HIGH, whole numbers", hint="e.g. --search 1:100000")
        span = (values[0], values[-1])
    others = parse_symbolic(symbolic) or []  # the file's `symbolic` does not apply: solving is at the values
    overrides = parse_overrides(set_)
    if target is None and keep is None:
        answers = domain(file, names, overrides, others, span)
        heading = "valid when (each parameter on its own"
    else:
        if len(names) != 1:
            raise WhatIfError("say which parameter to solve for: one --for NAME", hint="e.g. --for P --keep conv1")
        answers = [solve(file, names[0], target, keep, overrides, others, span)]
        heading = f"{names[0]} for which {'%s keeps its size' % keep if keep else target} (and every layer is valid"
    click.echo(exporter.render(answers, unicode_ok(), file, f"{heading}; the others at their values)"), nl=False)
    unmet = [a for a in answers if a.method != "none" and not (a.intervals or a.formulas)]
    if unmet or not all(answer.checked or not answer.trials for answer in answers):
        sys.exit(EXIT_CLAIM_FAILED)


command.name = "solve"
