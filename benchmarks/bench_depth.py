#!/usr/bin/env python
"""How symcnn's derivation scales with network depth.

Generates fully symbolic chains of conv/maxpool layers (every layer's kernel,
stride and padding is its own parameter), then times for each depth:

  parse     symcnn.parser.parse(text)
  derive    symcnn.derive.derive(program, symbolic="all")   (every parameter a symbol)
  evaluate  net.assign(values) + totals["params"/"macs"].xreplace(known)
  concrete  symcnn.derive.derive(program)                   (no symbols)

and checks that the evaluated symbolic totals equal the concrete derivation's,
for the file's values and for a second assignment (via `overrides`).

For contrast it times the naive SymPy approach at small depths: one nested
sympy.floor expression for the output height, then `.subs` of an assignment.

Targets (reported as MET / MISSED, never failing the run): 1,000 layers derive
in < 1 s and evaluate in < 0.1 s; derive grows roughly linearly (time(5000) /
time(1000) <= 7.5, i.e. log-log slope <= 1.25); no RecursionError at 5,000.
The exit code is nonzero only if something raises or a result is wrong.

    python benchmarks/bench_depth.py            # 100, 1,000 and 5,000 layers + naive
    python benchmarks/bench_depth.py --quick    # 100 and 1,000 layers, no naive part
    python benchmarks/bench_depth.py --json figures.json
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import multiprocessing
import os
import platform
import sys
import time
import traceback
from pathlib import Path

# Benchmark the checkout this script sits in, whatever is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sympy  # noqa: E402
from sympy import Integer  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402

import symcnn  # noqa: E402
from symcnn.derive import derive  # noqa: E402
from symcnn.parser import parse  # noqa: E402

FULL_DEPTHS = (100, 1_000, 5_000)
QUICK_DEPTHS = (100, 1_000)
NAIVE_DEPTHS = (10, 20, 30, 40)
NAIVE_STOP_AFTER = 20.0  # seconds: do not try deeper naive chains after one this slow
NAIVE_HARD_TIMEOUT = 180.0  # seconds: a naive run still going is killed
SIZE = 4000  # input height and width
CHANNELS = 8
DOWNSAMPLES = 5  # stride-2 layers per chain: 4000 -> 125 whatever the depth
SECOND_SIZE = 3001  # the second assignment: odd sizes exercise the floors

DERIVE_TARGET_S = 1.0  # at 1,000 layers
EVALUATE_TARGET_S = 0.1  # at 1,000 layers
LINEAR_RATIO_LIMIT = 7.5  # time(5000)/time(1000); 5.0 is exactly linear


# The generated networks -------------------------------------------------------


def layer_specs(depth: int) -> list[tuple[str, int, int, int]]:
    """(kind, kernel, stride, padding) per layer; every one keeps the dims >= 1.

    Mostly conv 3/1/1 (size kept), every 7th a conv 1/1/0 (size kept), every
    10th a maxpool 3/1/1 (size kept; torch allows padding 1 <= 3/2), and
    DOWNSAMPLES evenly spaced halvings alternating maxpool 2/2/0 and conv 3/2/1.
    """
    halvings = {round((i + 1) * depth / (DOWNSAMPLES + 1)) for i in range(DOWNSAMPLES)}
    specs = []
    for i in range(1, depth + 1):
        if i in halvings:
            specs.append(("conv", 3, 2, 1) if len(specs) % 2 else ("maxpool", 2, 2, 0))
        elif i % 10 == 0:
            specs.append(("maxpool", 3, 1, 1))
        elif i % 7 == 0:
            specs.append(("conv", 1, 1, 0))
        else:
            specs.append(("conv", 3, 1, 1))
    return specs


def generate(depth: int) -> str:
    """The DSL text of a `depth`-layer chain whose every kernel, stride and padding is a parameter."""
    specs = layer_specs(depth)
    lines = ["convention torch", f"H = {SIZE}", f"W = {SIZE}"]
    for i, (_, kernel, stride, padding) in enumerate(specs, 1):
        lines += [f"F{i} = {kernel}", f"S{i} = {stride}", f"P{i} = {padding}"]
    lines.append(f"input {CHANNELS}, H, W")
    for i, (kind, _, _, _) in enumerate(specs, 1):
        if kind == "conv":
            lines.append(f"conv {CHANNELS}, F{i}, stride=S{i}, padding=P{i}")
        else:
            lines.append(f"maxpool F{i}, stride=S{i}, padding=P{i}")
    return "\n".join(lines) + "\n"


def expected_height(depth: int, size: int) -> int:
    """The output height by plain integer arithmetic, independent of symcnn."""
    n = size
    for _, kernel, stride, padding in layer_specs(depth):
        n = (n + 2 * padding - kernel) // stride + 1
        assert n >= 1
    return n


# Timing -------------------------------------------------------------------------


class Timing(float):
    """The best wall time in seconds (time.perf_counter), carrying the best CPU time (time.process_time)."""

    cpu: float


def best_of(repeats: int, fn):
    """(best Timing, the result of the last run); caches cleared before each run."""
    best, best_cpu, result = math.inf, math.inf, None
    for _ in range(repeats):
        result = None
        gc.collect()
        clear_cache()  # SymPy's cache: every run starts equally cold
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    timing = Timing(best)
    timing.cpu = best_cpu
    return timing, result


class Mismatch(Exception):
    """A result that is wrong: the benchmark fails."""


def check_equal(what: str, got, want, checks: list[str]) -> None:
    if got != want:
        raise Mismatch(f"{what}: got {got}, expected {want}")
    checks.append(f"{what} ok")


def bench_depth(depth: int, repeats: int) -> dict:
    text = generate(depth)
    parse_s, program = best_of(repeats, lambda: parse(text))
    derive_s, net = best_of(repeats, lambda: derive(program, symbolic="all"))
    concrete_s, concrete = best_of(repeats, lambda: derive(program))

    symbols = {name: parameter for name, parameter in net.parameters.items() if parameter.symbolic}
    if len(symbols) != 3 * depth + 2:
        raise Mismatch(f"{depth} layers: {len(symbols)} symbolic parameters, expected {3 * depth + 2}")
    values = {name: parameter.default for name, parameter in symbols.items()}

    def evaluate(assignment):
        known = net.assign(assignment)
        return known, net.totals["params"].xreplace(known), net.totals["macs"].xreplace(known)

    evaluate_s, (known, params, macs) = best_of(repeats, lambda: evaluate(values))

    checks: list[str] = []
    for name, value in (("params", params), ("macs", macs)):
        if not isinstance(value, Integer):
            raise Mismatch(f"{depth} layers: evaluated total {name} is not an exact integer: {type(value).__name__}")
        check_equal(f"{name} == concrete", value, concrete.totals[name], checks)
    output = tuple(dim.xreplace(known) for dim in net.output.dims)
    check_equal("output shape == concrete", output, tuple(concrete.output.dims), checks)
    height = expected_height(depth, SIZE)
    check_equal("output shape == integer arithmetic", output, (CHANNELS, height, height), checks)

    # A second assignment, against a concrete derivation with the same values as overrides.
    second = dict(values, H=Integer(SECOND_SIZE), W=Integer(SECOND_SIZE))
    known2, params2, macs2 = evaluate(second)
    concrete2 = symcnn.loads(text, overrides={"H": SECOND_SIZE, "W": SECOND_SIZE})
    check_equal("params (H=W=3001) == concrete", params2, concrete2.totals["params"], checks)
    check_equal("macs (H=W=3001) == concrete", macs2, concrete2.totals["macs"], checks)
    height2 = expected_height(depth, SECOND_SIZE)
    check_equal(
        "output (H=W=3001) == integer arithmetic",
        tuple(d.xreplace(known2) for d in net.output.dims),
        (CHANNELS, height2, height2),
        checks,
    )

    # The symbolic totals really are symbolic, in parameters and per-layer dim symbols only.
    free = net.totals["macs"].free_symbols
    allowed = {p.value for p in symbols.values()} | {b.symbol for b in net.bindings}
    if not free <= allowed or symbols["F1"].value not in free or not free & {b.symbol for b in net.bindings}:
        raise Mismatch(f"{depth} layers: total macs has unexpected free symbols")
    checks.append(f"symbolic total macs has {len(free):,} free symbols")

    return {
        "layers": depth,
        "source_bytes": len(text.encode()),
        "symbolic_parameters": len(symbols),
        "bindings": len(net.bindings),
        "conditions": len(net.conditions),
        "parse_s": float(parse_s),
        "derive_s": float(derive_s),
        "evaluate_s": float(evaluate_s),
        "concrete_derive_s": float(concrete_s),
        "parse_cpu_s": parse_s.cpu,
        "derive_cpu_s": derive_s.cpu,
        "evaluate_cpu_s": evaluate_s.cpu,
        "concrete_derive_cpu_s": concrete_s.cpu,
        "derive_us_per_layer": derive_s / depth * 1e6,
        "output_shape": [int(d) for d in output],
        "total_params": int(params),
        "total_macs": int(macs),
        "checks": checks,
    }


# The naive approach ---------------------------------------------------------------


def naive_run(depth: int) -> dict:
    """One nested sympy.floor expression for the output height, then .subs of an assignment."""
    specs = layer_specs(depth)
    start, start_cpu = time.perf_counter(), time.process_time()
    h = sympy.Symbol("H", integer=True, positive=True)
    x, assignment = h, {h: SIZE}
    for i, (_, kernel, stride, padding) in enumerate(specs, 1):
        # P may be 0 in these chains, so it is nonnegative rather than positive.
        f = sympy.Symbol(f"F{i}", integer=True, positive=True)
        s = sympy.Symbol(f"S{i}", integer=True, positive=True)
        p = sympy.Symbol(f"P{i}", integer=True, nonnegative=True)
        x = sympy.floor((x + 2 * p - f) / s) + 1
        assignment.update({f: kernel, s: stride, p: padding})
    built = time.perf_counter()
    value = x.subs(assignment)
    done = time.perf_counter()
    return {
        "layers": depth,
        "build_s": built - start,
        "subs_s": done - built,
        "total_s": done - start,
        "total_cpu_s": time.process_time() - start_cpu,
        "ops": int(sympy.count_ops(x)),
        "value": int(value) if value.is_Integer else str(value),
    }


def _naive_child(depth: int, repeats: int, queue) -> None:
    try:
        runs = []
        for _ in range(repeats):
            clear_cache()
            gc.collect()
            runs.append(naive_run(depth))
            if runs[-1]["total_s"] > 1.0:  # slow runs are not repeated
                break
        queue.put(("ok", min(runs, key=lambda r: r["total_s"])))
    except BaseException as error:  # noqa: BLE001 - reported to the parent
        queue.put(("error", f"{type(error).__name__}: {error}"))


def bench_naive(repeats: int, log) -> list[dict]:
    """Each depth in a child process, so a runaway one can be killed."""
    results = []
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    for depth in NAIVE_DEPTHS:
        queue = context.Queue()
        child = context.Process(target=_naive_child, args=(depth, repeats, queue))
        start = time.perf_counter()
        child.start()
        try:
            status, payload = queue.get(timeout=NAIVE_HARD_TIMEOUT)
        except Exception:  # queue.Empty: the hard timeout
            status, payload = "timeout", None
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
            child.join()
        if status == "error":
            raise RuntimeError(f"naive approach at {depth} layers: {payload}")
        if status == "timeout":
            elapsed = time.perf_counter() - start
            results.append({"layers": depth, "timed_out_after_s": elapsed})
            log(f"  naive {depth:>3} layers: killed after {elapsed:.0f} s")
            break
        expected = expected_height(depth, SIZE)
        if payload["value"] != expected:
            raise Mismatch(f"naive approach at {depth} layers gave {payload['value']}, expected {expected}")
        results.append(payload)
        log(f"  naive {depth:>3} layers: build {payload['build_s']:.3f} s, subs {payload['subs_s']:.3f} s")
        if payload["total_s"] > NAIVE_STOP_AFTER:
            break
    return results


def symcnn_height_only(depth: int, repeats: int) -> float:
    """symcnn on the same chain, for the naive table: derive symbolically and evaluate, parse excluded."""
    program = parse(generate(depth))

    def run():
        net = derive(program, symbolic="all")
        known = net.assign({})
        return net.output.dims[1].xreplace(known)

    best, height = best_of(repeats, run)
    if height != expected_height(depth, SIZE):
        raise Mismatch(f"symcnn at {depth} layers gave height {height}")
    return best


# Reporting ------------------------------------------------------------------------


def fmt_s(seconds: float) -> str:
    return f"{seconds:.4f}" if seconds < 10 else f"{seconds:.2f}"


def print_table(rows: list[dict]) -> None:
    header = (
        "layers",
        "parse s",
        "derive s",
        "evaluate s",
        "concrete derive s",
        "derive µs/layer",
        "concrete µs/layer",
        "derive CPU s",
        "evaluate CPU s",
    )
    body = [
        (
            f"{r['layers']:,}",
            fmt_s(r["parse_s"]),
            fmt_s(r["derive_s"]),
            fmt_s(r["evaluate_s"]),
            fmt_s(r["concrete_derive_s"]),
            f"{r['derive_us_per_layer']:,.0f}",
            f"{r['concrete_derive_s'] / r['layers'] * 1e6:,.0f}",
            fmt_s(r["derive_cpu_s"]),
            fmt_s(r["evaluate_cpu_s"]),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for b in body:
        print("  ".join(c.rjust(w) for c, w in zip(b, widths)))


def growth(rows: list[dict], key: str) -> dict | None:
    by_depth = {r["layers"]: r for r in rows}
    if 1_000 not in by_depth or 5_000 not in by_depth:
        return None
    ratio = by_depth[5_000][key] / by_depth[1_000][key]
    return {"ratio": ratio, "slope": math.log(ratio) / math.log(5)}


def targets(rows: list[dict], recursion_ok: bool | None) -> list[dict]:
    by_depth = {r["layers"]: r for r in rows}
    result = []

    def add(name, met, detail):
        result.append({"target": name, "met": met, "detail": detail})

    if 1_000 in by_depth:
        r = by_depth[1_000]
        add(
            "derive 1,000 layers < 1 s",
            r["derive_s"] < DERIVE_TARGET_S,
            f"{r['derive_s']:.3f} s (CPU {r['derive_cpu_s']:.3f} s)",
        )
        add(
            "evaluate 1,000 layers < 0.1 s",
            r["evaluate_s"] < EVALUATE_TARGET_S,
            f"{r['evaluate_s']:.4f} s (CPU {r['evaluate_cpu_s']:.4f} s)",
        )
    g, g_cpu = growth(rows, "derive_s"), growth(rows, "derive_cpu_s")
    if g is not None:
        add(
            f"derive roughly linear: time(5000)/time(1000) <= {LINEAR_RATIO_LIMIT}",
            g["ratio"] <= LINEAR_RATIO_LIMIT,
            f"ratio {g['ratio']:.2f} (5.00 is linear), log-log slope {g['slope']:.2f}; CPU time ratio {g_cpu['ratio']:.2f}",
        )
    if recursion_ok is not None:
        add(
            "no RecursionError at 5,000 layers",
            recursion_ok,
            "parse, derive, evaluate, concrete all ran" if recursion_ok else "see above",
        )
    return result


# Main -------------------------------------------------------------------------------


def checkout() -> str:
    """The commit of the checkout benchmarked, and whether symcnn/ has uncommitted changes."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "symcnn", "grammar"], cwd=root, capture_output=True, text=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"commit {head.stdout.strip()}" + (", symcnn/ or grammar/ modified" if dirty.stdout.strip() else "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="depths 100 and 1,000 only, and no naive part")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing; the best is reported (default 3)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    depths = QUICK_DEPTHS if args.quick else FULL_DEPTHS
    print(f"symcnn {symcnn.__version__} from {Path(symcnn.__file__).parent} ({checkout()})")
    print(
        f"Python {platform.python_version()}, SymPy {sympy.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, recursion limit {sys.getrecursionlimit()}"
    )
    print(
        f"Chains: input {CHANNELS}x{SIZE}x{SIZE}; conv {CHANNELS} 3/1/1, conv 1/1/0 every 7th, maxpool 3/1/1 every 10th, "
        f"{DOWNSAMPLES} halvings; every F_i, S_i, P_i and H, W symbolic."
    )
    print(
        f"Best of {args.repeats} runs each, SymPy cache cleared before each run; seconds are wall clock unless marked CPU.\n"
    )

    rows: list[dict] = []
    recursion_ok: bool | None = None
    for depth in depths:
        print(f"  {depth:,} layers ...", flush=True)
        try:
            rows.append(bench_depth(depth, args.repeats))
        except RecursionError:
            print(f"RecursionError at {depth:,} layers:", file=sys.stderr)
            traceback.print_exc()
            return 1
        if depth == 5_000:
            recursion_ok = True
    print()
    print_table(rows)
    print()
    for r in rows:
        print(
            f"  {r['layers']:>5,} layers: {r['source_bytes']:,} bytes of DSL, {r['symbolic_parameters']:,} symbolic parameters, "
            f"{r['bindings']:,} bindings, {r['conditions']:,} conditions kept; output {tuple(r['output_shape'])}, "
            f"params {r['total_params']:,}, MACs {r['total_macs']:,}"
        )
    print()
    print("Correctness (evaluated symbolic results vs. fully concrete derivation and plain integer arithmetic):")
    for r in rows:
        print(f"  {r['layers']:>5,} layers: " + "; ".join(r["checks"]))

    growths = {}
    for key in ("parse_s", "derive_s", "evaluate_s", "concrete_derive_s"):
        g = growth(rows, key)
        if g is not None:
            growths[key] = g
            growths[key.replace("_s", "_cpu_s")] = growth(rows, key.replace("_s", "_cpu_s"))
    if growths:
        print()
        print("Growth from 1,000 to 5,000 layers (5.00 and slope 1.00 are linear):")
        for key in ("parse_s", "derive_s", "evaluate_s", "concrete_derive_s"):
            g, c = growths[key], growths[key.replace("_s", "_cpu_s")]
            print(
                f"  {key[:-2]:<16} wall x{g['ratio']:.2f} (log-log slope {g['slope']:.2f}), CPU x{c['ratio']:.2f} (slope {c['slope']:.2f})"
            )

    naive: list[dict] = []
    if not args.quick:
        print()
        print(
            f"Naive SymPy: nested sympy.floor((x + 2*P_i - F_i)/S_i) + 1 for the height, then .subs (stops after a run > {NAIVE_STOP_AFTER:.0f} s)"
        )
        naive = bench_naive(args.repeats, lambda line: print(line, flush=True))
        for entry in naive:
            if "total_s" in entry:
                entry["symcnn_derive_evaluate_s"] = float(symcnn_height_only(entry["layers"], args.repeats))
        print()
        header = (
            "layers",
            "naive build s",
            "naive subs s",
            "naive total s",
            "naive CPU s",
            "count_ops",
            "symcnn derive+evaluate s",
        )
        print("  ".join(header))
        for e in naive:
            if "total_s" not in e:
                print(f"{e['layers']:>6}  killed after {e['timed_out_after_s']:.0f} s")
                continue
            cells = (
                f"{e['layers']:>6}",
                f"{fmt_s(e['build_s']):>13}",
                f"{fmt_s(e['subs_s']):>12}",
                f"{fmt_s(e['total_s']):>13}",
                f"{fmt_s(e['total_cpu_s']):>11}",
                f"{e['ops']:>9}",
                f"{fmt_s(e['symcnn_derive_evaluate_s']):>24}",
            )
            print("  ".join(cells))
        skipped = [d for d in NAIVE_DEPTHS if d not in {e["layers"] for e in naive}]
        if skipped:
            print(
                f"  (not run: {', '.join(map(str, skipped))} layers — the previous depth took over {NAIVE_STOP_AFTER:.0f} s)"
            )

    print()
    print(
        f"Load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (wall times suffer when it exceeds the CPU count)"
    )
    print("Targets:")
    results = targets(rows, recursion_ok)
    for t in results:
        print(f"  {'MET   ' if t['met'] else 'MISSED'}  {t['target']}: {t['detail']}")

    if args.json:
        figures = {
            "symcnn_version": symcnn.__version__,
            "python": platform.python_version(),
            "sympy": sympy.__version__,
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "repeats": args.repeats,
            "checkout": checkout(),
            "depths": rows,
            "growth_1000_to_5000": growths,
            "naive": naive,
            "targets": results,
        }
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"\nFigures written to {args.json}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Mismatch as error:
        print(f"INCORRECT RESULT: {error}", file=sys.stderr)
        sys.exit(1)
