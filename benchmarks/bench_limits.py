#!/usr/bin/env python
"""Does every command finish in time at the layer limit (symcnn.derive.MAX_LAYERS)?

Builds a network of exactly MAX_LAYERS layers (a conv stem, then residual blocks of
conv, batchnorm, relu, conv, batchnorm and their add, padded with relu layers),
times the derivation in-process (parse, derive concrete, derive with R and C
symbolic), then runs every command on it as a subprocess under a time limit and
prints one table: command, exit code, wall-clock and CPU seconds, and whether it
is within the budget (30 s by default). The budget is judged on CPU time, which on
a shared machine is what the command would take alone (symcnn uses one thread).

    python benchmarks/bench_limits.py                  # at MAX_LAYERS
    python benchmarks/bench_limits.py --layers 20000   # at another size (past the limit: raised in the runs)
    python benchmarks/bench_limits.py --only summary   # only the commands whose line contains this

It is a script, not a test: it benchmarks the checkout it sits in. Exit status 1
if a command crashes (exit 3), times out, or exceeds the budget.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import symcnn.derive
from symcnn.derive import MAX_LAYERS, derive
from symcnn.parser import parse

BLOCK_LAYERS = 6  # conv, batchnorm, relu, conv, batchnorm, add


def network_text(layers: int) -> str:
    """A valid network of exactly `layers` layers, with parameters R (input size) and C (input channels)."""
    blocks, rest = divmod(layers - 1, BLOCK_LAYERS)
    lines = [
        "R = 32",
        "C = 3",
        "input C, R, R",
        "stem: conv 16, 3, stride=2",  # a floor in every size after it, as in most real networks
        f"repeat {blocks} {{",
        "  residual { conv 16, 3, padding=1; batchnorm; relu; conv 16, 3, padding=1; batchnorm }",
        "}",
        "expect stem.params == 16 * C * 3 * 3 + 16",
    ]
    if rest:
        lines.insert(-1, f"repeat {rest} {{ relu }}")
    return "\n".join(lines) + "\n"


def commands(file: str) -> list[list[str]]:
    return [
        ["summary", file],
        ["summary", file, "-f", "json"],
        ["summary", file, "-f", "markdown"],
        ["summary", file, "--symbolic", "R,C"],
        ["summary", file, "--symbolic", "R,C", "-f", "json"],
        ["summary", file, "--symbolic", "all", "-f", "json"],
        ["explain", file],
        ["explain", file, "-f", "markdown"],
        ["explain", file, "--symbolic", "R,C"],
        ["latex", file],
        ["latex", file, "--symbolic", "R,C"],
        ["check", file],
        ["sweep", file, "--vary", "R=32:40", "--vary", "C=1,3"],
        ["solve", file, "--for", "R"],
        ["diff", file, "--set-b", "R=64"],
        ["sensitivity", file],
    ]


def lifted(layers: int) -> dict[str, int]:
    """The limits that admit `layers` (the work limit stays 10x the layer limit), to see what a higher
    MAX_LAYERS would cost; empty at or below the limit."""
    return {} if layers <= MAX_LAYERS else {"MAX_LAYERS": layers + 1, "MAX_WORK": 10 * (layers + 1)}


def time_derivation(text: str) -> list[tuple[str, float, float]]:
    """(what, wall seconds, CPU seconds) of parsing and deriving in this process."""
    timings = []

    def timed(what, run):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        timings.append((what, time.perf_counter() - wall, time.process_time() - cpu))
        return result

    program = timed("parse", lambda: parse(text, "limit.cnn"))
    timed("derive", lambda: derive(program))
    timed("derive --symbolic R,C", lambda: derive(program, symbolic={"R", "C"}))
    timed("derive --symbolic all", lambda: derive(program, symbolic="all"))
    return timings


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--layers", type=int, default=MAX_LAYERS)
    options.add_argument("--budget", type=float, default=30.0, help="seconds each command may take")
    options.add_argument("--timeout", type=float, default=90.0, help="seconds before a command is killed")
    options.add_argument("--only", default="", help="run only the commands whose line contains this text")
    arguments = options.parse_args()

    text = network_text(arguments.layers)
    limits = lifted(arguments.layers)
    for name, value in limits.items():
        setattr(symcnn.derive, name, value)
    if limits:
        print(f"(MAX_LAYERS lifted to {limits['MAX_LAYERS']:,} in these runs only)")
    print(
        f"{arguments.layers:,} layers (MAX_LAYERS = {MAX_LAYERS:,}), budget {arguments.budget:.0f} s, {os.cpu_count()} CPUs"
    )
    print("\nin-process")
    print(f"  {'':<24} {'wall':>7} {'CPU':>7}")
    for what, wall, cpu in time_derivation(text):
        print(f"  {what:<24} {wall:7.2f} {cpu:7.2f}")

    failed = False
    lift = "".join(f"symcnn.derive.{name} = {value}; " for name, value in limits.items())
    launcher = [sys.executable, "-c", f"import symcnn.derive; {lift}from symcnn.cli import main; main()"]
    with tempfile.TemporaryDirectory() as folder:
        file = str(Path(folder) / "limit.cnn")
        Path(file).write_text(text, encoding="utf-8")
        print(f"\n  {'command':<58} {'exit':>4} {'wall':>7} {'CPU':>7}")
        for command in commands(file):
            line = " ".join(command).replace(file, "FILE")
            if arguments.only not in line:
                continue
            started, cpu = time.perf_counter(), children_cpu()
            try:
                result = subprocess.run(
                    launcher + command, capture_output=True, timeout=arguments.timeout, cwd=ROOT, check=False
                )
                code = str(result.returncode)
            except subprocess.TimeoutExpired:
                code = "kill"
            wall, cpu = time.perf_counter() - started, children_cpu() - cpu
            verdict = "ok" if code in ("0", "1") and cpu <= arguments.budget else "OVER" if code != "3" else "CRASH"
            failed |= verdict != "ok"
            print(f"  {line:<58} {code:>4} {wall:7.1f} {cpu:7.1f}  {verdict}", flush=True)
            if code == "3":
                print("    " + result.stderr.decode(errors="replace").strip().replace("\n", "\n    "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
