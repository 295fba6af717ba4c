"""symcnn solve: the values of a parameter for which the network is valid, or a target holds."""

from __future__ import annotations

import sys

import click

from ..notation import textbook, to_ascii
from . import EXIT_CLAIM_FAILED, network_options, parse_overrides, parse_symbolic, unicode_ok


@click.command()
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
    others = parse_symbolic(symbolic)
    overrides = parse_overrides(set_)
    if target is None and keep is None:
        answers = domain(file, names, overrides, others, span)
        heading = "valid when (each parameter on its own"
    else:
        if len(names) != 1:
            raise WhatIfError("say which parameter to solve for: one --for NAME", hint="e.g. --for P --keep conv1")
        answers = [solve(file, names[0], target, keep, overrides, others, span)]
        heading = f"{names[0]} for which {'%s keeps its size' % keep if keep else target} (and every layer is valid"
    unicode = unicode_ok()
    lines = [f"{file} · {heading}; the others at their values)"]
    for answer in answers:
        lines.extend(_answer_lines(answer, unicode))
    text = "\n".join(lines)
    print(text if unicode else to_ascii(text))
    if not all(answer.checked or not answer.trials for answer in answers):
        sys.exit(EXIT_CLAIM_FAILED)


def _answer_lines(answer, unicode: bool) -> list[str]:
    from ..whatif.solve import VALID

    lines = [f"  {answer.statement(unicode)}"]
    if answer.question != VALID and answer.largest is not None and answer.intervals[-1].low != answer.largest:
        lines[0] += f": the largest is {answer.parameter} = {answer.largest:,}"
    symbolic = [name for name, value in answer.others.items() if value.is_Symbol]
    if answer.method == "search":
        low, high = answer.searched
        lines.append(f"    by integer search over {answer.parameter} = {low:,}..{high:,} with the compiled network")
    elif answer.method == "exact":
        conditions = f"the conditions of {', '.join(answer.layers)}" if answer.layers else ""
        how = (
            f"from {conditions or 'the derivation'}"
            if answer.question == VALID
            else "solved on the closed forms" + (f" and {conditions}" if conditions else "")
        )
        lines.append(f"    exact, {how}" + (f"; {', '.join(symbolic)} kept symbolic" if symbolic else ""))
    if answer.note and answer.method != "none":
        lines.append(f"    {answer.note}")
    for requirement in answer.remaining:
        lines.append(f"    also needs {textbook(requirement.predicate, unicode)}   [{', '.join(requirement.layers)}]")
    if answer.trials:
        verdict = "as expected" if answer.checked else "NOT as expected: please report this"
        lines.append(f"    checked by fresh derivations, {verdict}:")
        for trial in answer.trials:
            where = ", ".join(f"{name} = {value}" for name, value in trial.values.items())
            mark = (
                ("holds" if trial.holds else "does not hold")
                if trial.ok
                else ("HOLDS" if trial.holds else "DOES NOT HOLD")
            )
            lines.append(f"      {where}: {mark}; {trial.detail}")
    elif answer.method != "none" and not answer.formulas:
        lines.append("    not checked: no value to derive at")
    return lines


command.name = "solve"
