#!/usr/bin/env python
"""How long symcnn's exports take on deep networks, and that none of them recurses.

Generates a chain of conv/maxpool layers whose every kernel, stride and
padding is its own parameter, derives it three ways (concrete; the input
size H, W symbolic; every parameter symbolic, at 1,000 layers only) and
times each export:

  summary table, json, markdown     (symcnn summary --format ...)
  explain text, explain markdown    (symcnn explain [--format markdown])
  latex standalone                  (symcnn latex --standalone)

Targets (reported as MET / MISSED, on CPU seconds): every export of 1,000 layers in under
10 s; and the all-symbolic JSON export of 1,000 layers within 2x of the
concrete JSON export of the same network (views never recompute: what is
left is printing each formula once). The exit code is nonzero only if an
export raises (RecursionError among others).

    python benchmarks/bench_export.py               # 1,000 and 5,000 layers
    python benchmarks/bench_export.py --quick       # 1,000 layers
    python benchmarks/bench_export.py --json figures.json

It also reports the floor under the JSON ratio: the same two JSON exports with
both of the document's printers (SymPy syntax and LaTeX) replaced by one that
only visits each distinct subexpression once and joins its arguments' text,
with no term order, signs, parentheses or names. No printer that reads the
formulas can be faster than that one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from unittest import mock

# Benchmark the checkout this script sits in, whatever is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import symcnn  # noqa: E402
from symcnn.exporters import EXPORTERS, explain, json_format, latex, markdown  # noqa: E402

TARGET_S = 10.0  # per export, at 1,000 layers
JSON_RATIO = 2.0  # all-symbolic JSON against concrete JSON, at 1,000 layers
MODES = (("concrete", ()), ("H, W symbolic", ("H", "W")), ("all symbolic", "all"))
EXPORTS = {
    "summary table": lambda net: EXPORTERS["table"](net),
    "summary json": lambda net: EXPORTERS["json"](net),
    "summary markdown": lambda net: EXPORTERS["markdown"](net),
    "explain text": explain.render,
    "explain markdown": markdown.render_explanation,
    "latex standalone": lambda net: latex.render(net, standalone=True),
}


def generate(depth: int) -> str:
    """A chain of `depth` layers: conv k/1/p keeping the size, a halving maxpool every depth/5 layers."""
    lines = ["H = 4096", "W = 4096", "input 8, H, W"]
    halvings = {round((i + 1) * depth / 6) for i in range(5)}
    for i in range(1, depth + 1):
        if i in halvings:
            lines += [f"S{i} = 2", f"maxpool 2, stride=S{i}"]
        else:
            lines += [f"K{i} = 3", f"P{i} = 1", f"conv 8, K{i}, padding=P{i}"]
    return "\n".join(lines) + "\n"


def time_exports(network) -> dict[str, dict]:
    """Wall and CPU seconds of each export; the targets go on CPU time, which on a shared machine is what
    the export would take alone (it uses one thread)."""
    figures = {}
    for name, export in EXPORTS.items():
        start, cpu = time.perf_counter(), time.process_time()
        text = export(network)
        figures[name] = {
            "seconds": time.process_time() - cpu,
            "wall_seconds": time.perf_counter() - start,
            "chars": len(text),
        }
    return figures


def bare_join_printer():
    """A printer of the least work: each distinct subexpression visited once, its arguments' text joined."""
    memo = {}

    def text(expr) -> str:
        known = memo.get(expr)
        if known is None:
            if expr.is_Atom:
                known = expr.name if expr.is_Symbol else str(expr)
            else:
                known = type(expr).__name__ + "(" + ",".join([text(arg) for arg in expr.args]) + ")"
            memo[expr] = known
        return known

    return text


def json_seconds(text: str, symbolic, bare: bool) -> float:
    """CPU seconds of the JSON export after the table, as `time_exports` runs it; with `bare`, both of its
    printers are a fresh `bare_join_printer`."""
    network = symcnn.loads(text, symbolic=symbolic)
    EXPORTERS["table"](network)
    with mock.patch.multiple(
        json_format, **({"sympy_str": bare_join_printer(), "latex": bare_join_printer()} if bare else {})
    ):
        cpu = time.process_time()
        EXPORTERS["json"](network)
        return time.process_time() - cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 layers only")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args(argv)
    depths = (1_000,) if args.quick else (1_000, 5_000)
    print(f"symcnn {symcnn.__version__}, recursion limit {sys.getrecursionlimit()}")
    results = []
    for depth in depths:
        text = generate(depth)
        for mode, symbolic in MODES:
            if mode == "all symbolic" and depth > 1_000:
                continue
            start = time.perf_counter()
            network = symcnn.loads(text, symbolic=symbolic)
            derive_s = time.perf_counter() - start
            try:
                figures = time_exports(network)
            except RecursionError:
                print(f"RecursionError exporting {depth:,} layers ({mode})", file=sys.stderr)
                return 1
            results.append({"layers": depth, "mode": mode, "derive_s": derive_s, "exports": figures})
            print(f"\n{depth:,} layers, {mode} (derived in {derive_s:.2f} s wall):")
            for name, figure in figures.items():
                print(
                    f"  {name:<18} {figure['seconds']:7.2f} s CPU {figure['wall_seconds']:7.2f} s wall "
                    f"{figure['chars']:>12,} characters"
                )
    print("\nTarget:")
    for result in results:
        if result["layers"] == 1_000:
            slowest = max(result["exports"].items(), key=lambda item: item[1]["seconds"])
            met = slowest[1]["seconds"] < TARGET_S
            print(
                f"  {'MET   ' if met else 'MISSED'}  every export of 1,000 layers ({result['mode']}) < {TARGET_S:.0f} s: "
                f"slowest {slowest[0]}, {slowest[1]['seconds']:.2f} s"
            )
    json_s = {r["mode"]: r["exports"]["summary json"]["seconds"] for r in results if r["layers"] == 1_000}
    ratio = json_s["all symbolic"] / json_s["concrete"]
    print(
        f"  {'MET   ' if ratio <= JSON_RATIO else 'MISSED'}  all-symbolic JSON within {JSON_RATIO:.0f}x of concrete "
        f"JSON (1,000 layers): {json_s['all symbolic']:.2f} s / {json_s['concrete']:.2f} s = {ratio:.1f}x"
    )
    text = generate(1_000)
    bare = {mode: min(json_seconds(text, symbolic, bare=True) for _ in range(3)) for mode, symbolic in MODES[::2]}
    print(
        f"  floor   the same two JSON exports with a printer that only joins arguments (best of 3): "
        f"{bare['all symbolic']:.2f} s / {bare['concrete']:.2f} s = {bare['all symbolic'] / bare['concrete']:.1f}x"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
