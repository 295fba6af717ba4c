"""symcnn check: verify the file's `expect` claims."""

from __future__ import annotations

import sys

import click

from ..exporters.text import value_text
from . import EXIT_CLAIM_FAILED, exit_status, load_network, network_options, unicode_ok


@click.command(epilog=exit_status("a claim is false or undecided"))
@network_options(symbolic=False, formula_limit=False)
@click.option("--verbose", "-v", is_flag=True, help="List the claims that hold too.")
def command(file, set_, verbose) -> None:
    """Check the `expect` claims of FILE against the derived values (exit 1 if any fails)."""
    network = load_network(file, set_)
    unicode = unicode_ok()
    results = network.claim_results
    failed = [r for r in results if r.ok is not True]
    for result in results:
        if result.ok is True and not verbose:
            continue
        mark = {True: "ok", False: "FAIL", None: "UNDECIDED"}[result.ok]
        print(f"{network.file}:{result.line}: {mark}: {result.claim.text}")
        if result.ok is not True:
            print(f"    claimed: {value_text(result.expected, unicode)}")
            print(f"    derived: {value_text(result.derived, unicode)}")
    if not results:
        print(f"{network.file}: no claims to check (add 'expect' lines)")
    else:
        print(
            f"{len(results) - len(failed)} of {len(results)} claims hold"
            + (f"; {len(failed)} failed" if failed else "")
        )
    if failed:
        sys.exit(EXIT_CLAIM_FAILED)


command.name = "check"
