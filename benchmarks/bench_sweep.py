#!/usr/bin/env python
"""How fast symcnn sweeps: 1,000,000 exact points of a ResNet-50-sized network.

benchmarks/resnet50_chain.cnn (49 convolutions, batch norm, a dense layer) is
swept over a 1000 x 1000 grid of its input size R and base width C, returning
the exact params and MACs of every point. Timed, after the imports:

  derive    symcnn.load(file, symbolic=["R", "C"])         (once)
  sweep     symcnn.whatif.sweep(network, {R, C}, [params, macs])
            (compiles the bindings once, then evaluates the grid in numpy)

For contrast it evaluates a random sample of the same points one at a time
with SymPy substitution (network.assign(values), which walks the bindings with
xreplace, then the totals' xreplace) and extrapolates to the whole grid; the
sweep's values must equal those, and a fresh concrete derivation at a few
points. Target (reported as MET / MISSED): derive + sweep under 2 s. The exit
code is nonzero only if a value is wrong.

    python benchmarks/bench_sweep.py
    python benchmarks/bench_sweep.py --side 300 --sample 50    # a quick run
    python benchmarks/bench_sweep.py --json figures.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

# Benchmark the checkout this script sits in, whatever is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy  # noqa: E402
import sympy  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402

import symcnn  # noqa: E402
from symcnn.whatif import sweep  # noqa: E402

NETWORK = Path(__file__).resolve().parent / "resnet50_chain.cnn"
R_START, C_START = 32, 16  # R = 32, 33, ...; C = 16, 17, ...
TARGET_S = 2.0
FRESH_DERIVATIONS = 3


def best_of(repeats: int, fn):
    """(best wall time in seconds, the result of the last run); SymPy's cache cleared before each run."""
    best, result = float("inf"), None
    for _ in range(repeats):
        clear_cache()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", type=int, default=1000, help="values of R and of C: side² points (default 1000)")
    parser.add_argument(
        "--sample", type=int, default=200, help="points evaluated one at a time with SymPy (default 200)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing; the best is reported (default 3)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args(argv)

    print(f"symcnn {symcnn.__version__} from {Path(symcnn.__file__).parent}")
    print(
        f"Python {platform.python_version()}, SymPy {sympy.__version__}, NumPy {numpy.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    vary = {"R": f"{R_START}:{R_START + args.side - 1}", "C": f"{C_START}:{C_START + args.side - 1}"}
    points = args.side**2
    print(
        f"{NETWORK.name}: {points:,} points, R = {vary['R']}, C = {vary['C']}; best of {args.repeats}, SymPy cache cleared\n"
    )

    derive_s, network = best_of(args.repeats, lambda: symcnn.load(str(NETWORK), symbolic=["R", "C"]))
    sweep_s, result = best_of(args.repeats, lambda: sweep(network, vary, ["params", "macs"]))
    total_s = derive_s + sweep_s
    params, macs = result.columns["params"], result.columns["macs"]
    print(
        f"  derive (R, C symbolic)     {derive_s:8.3f} s   {len(network.rows)} layers, {len(network.bindings)} bindings"
    )
    print(f"  sweep (compile + evaluate) {sweep_s:8.3f} s   {points / sweep_s:,.0f} points/s")
    print(f"  derive + sweep             {total_s:8.3f} s   largest MACs {int(macs.max()):,} ({macs.dtype})")

    rng = random.Random(5)
    sample = rng.sample(range(points), min(args.sample, points))
    values = [(int(result.columns["R"][i]), int(result.columns["C"][i])) for i in sample]
    start = time.perf_counter()
    substituted = []
    for r, c in values:
        known = network.assign({"R": r, "C": c})
        substituted.append((network.totals["params"].xreplace(known), network.totals["macs"].xreplace(known)))
    sympy_s = (time.perf_counter() - start) / len(sample)
    sympy_total_s = sympy_s * points
    speedup = sympy_total_s / sweep_s
    print(
        f"\n  SymPy, one point at a time {sympy_s * 1e3:8.3f} ms/point (xreplace over the bindings, {len(sample)} points)"
    )
    print(f"    extrapolated to {points:,} points: {sympy_total_s:,.0f} s = {sympy_total_s / 3600:.1f} h")
    print(f"  speed-up of the sweep       {speedup:,.0f}x")

    wrong = [
        (r, c)
        for i, (r, c), (p, m) in zip(sample, values, substituted)
        if (int(params[i]), int(macs[i])) != (int(p), int(m)) or params.mask[i]
    ]
    for i, (r, c) in zip(sample[:FRESH_DERIVATIONS], values):
        fresh = symcnn.load(str(NETWORK), overrides={"R": r, "C": c})
        if (int(params[i]), int(macs[i])) != (fresh.totals["params"], fresh.totals["macs"]):
            wrong.append((r, c))
    print(
        f"\n  checked {len(sample)} points against SymPy and {FRESH_DERIVATIONS} against fresh derivations: "
        + ("all equal" if not wrong else f"WRONG at {wrong[:5]}")
    )
    met = total_s < TARGET_S
    print(
        f"  target: derive + sweep of {points:,} points < {TARGET_S} s: {'MET' if met else 'MISSED'} ({total_s:.3f} s)"
    )

    if args.json:
        figures = {
            "points": points,
            "derive_s": derive_s,
            "sweep_s": sweep_s,
            "total_s": total_s,
            "sympy_per_point_s": sympy_s,
            "sympy_extrapolated_s": sympy_total_s,
            "speedup": speedup,
            "target_met": met,
            "correct": not wrong,
        }
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
