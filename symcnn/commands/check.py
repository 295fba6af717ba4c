"""symcnn check: verify the file's `expect` claims."""

from __future__ import annotations

import sys

import click

from ..claims import holds_at
from ..exporters.text import value_text
from . import EXIT_CLAIM_FAILED, exit_status, load_network, network_options, unicode_ok


@click.command(epilog=exit_status("a claim is false (an undecided one exits 0)"))
@network_options()
@click.option("--verbose", "-v", is_flag=True, help="List the claims that hold too.")
def command(file, set_, symbolic, formula_limit, verbose) -> None:
    """Check the `expect` claims of FILE against the derived values.

    With --symbolic, claims are compared as formulas: a claim holds if it is the derived
    formula identically, and one whose truth depends on the symbols' values is reported
    as undecided. Exit 1 only if a claim is false; undecided claims exit 0.
    """
    network = load_network(file, set_, symbolic, formula_limit)
    unicode = unicode_ok()
    results = network.claim_results
    failed = sum(r.ok is False for r in results)
    undecided = sum(r.ok is None for r in results)
    known = network.assign({})
    values = ", ".join(f"{symbol} = {value_text(known[symbol], unicode)}" for symbol in network.symbols)
    for result in results:
        if result.ok is True and not verbose:
            continue
        mark = {True: "ok", False: "FAIL", None: "UNDECIDED"}[result.ok]
        click.echo(f"{network.file}:{result.line}: {mark}: {result.claim.text}")
        if result.ok is not True:
            click.echo(f"    claimed: {value_text(result.expected, unicode)}")
            click.echo(f"    derived: {value_text(result.derived, unicode)}")
        if result.ok is None:  # said for the file's values, where a concrete `check` would decide it
            verdict = "holds" if holds_at(result, known) else "does not hold"
            click.echo(f"    {verdict} at the parameters' values ({values})")
    if not results:
        click.echo(f"{network.file}: no claims to check (add 'expect' lines)")
    else:
        held = len(results) - failed - undecided
        click.echo(
            f"{held} of {len(results)} claims hold"
            + (f"; {undecided} undecided (they depend on the symbols' values)" if undecided else "")
            + (f"; {failed} failed" if failed else "")
        )
    if failed:
        sys.exit(EXIT_CLAIM_FAILED)


command.name = "check"
