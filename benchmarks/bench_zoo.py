#!/usr/bin/env python
"""ResNet-50: symcnn's derive + summary next to torchinfo's summary of the same network.

Times, in a fresh Python process each (so that first-call costs are seen):

  symcnn            symcnn.load("examples/zoo/resnet50.cnn") + the table exporter
                    (a string):
                    the first call after `import symcnn` (it builds the Lark
                    parser), then the best of --repeats further calls, SymPy's
                    cache cleared before each
  symcnn --symbolic R
                    the same with the resolution kept symbolic: derive alone, and
                    derive + render (which builds every closed form in R)
  torchinfo         torchinfo.summary(model, input_size=(1, 3, 224, 224), verbose=0)
                    on torchvision.models.resnet50() (or, without torchvision, the
                    hand-built ResNet-50 of tests/test_zoo.py, the same definition),
                    model built beforehand, one torch thread: first call, then the
                    best of --repeats
  import            `import symcnn` + the exporters; `import torch, torchinfo`
  CLI               `symcnn summary examples/zoo/resnet50.cnn` end to end (Python
                    start-up and imports included), best of --repeats

and checks that both tools report 25,557,032 parameters and symcnn 4,089,184,256
MACs. Targets (reported as MET / MISSED): symcnn derives and summarises ResNet-50
in well under a second beyond import time, first call included; and warm, in one
process, symcnn's derive + rendered table takes at most half of torchinfo's summary.

    /work/venv/bin/python benchmarks/bench_zoo.py
    /work/venv/bin/python benchmarks/bench_zoo.py --repeats 10 --json figures.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESNET50 = ROOT / "examples" / "zoo" / "resnet50.cnn"
PARAMS = 25_557_032
MACS = 4_089_184_256
TARGET = 1.0  # seconds
WARM_RATIO = 0.5  # symcnn's warm derive + table against torchinfo's warm summary

# Each measurement runs as its own process: this code, with the checkout first on sys.path.
SYMCNN_CHILD = r"""
import json, sys, time
sys.path.insert(0, ROOT)
start = time.perf_counter()
import symcnn
from symcnn.exporters import EXPORTERS
from sympy.core.cache import clear_cache
imported = time.perf_counter() - start

def summarise(symbolic):
    network = symcnn.load(FILE, symbolic=symbolic)
    derived = time.perf_counter()
    return network, derived, EXPORTERS["table"](network, unicode=True)

def timed(symbolic):
    clear_cache()
    start = time.perf_counter()
    network, derived, text = summarise(symbolic)
    end = time.perf_counter()
    return network, derived - start, end - start, text

network, first_derive, first_total, text = timed(())
assert str(network.totals["params"]) == str(PARAMS) and str(network.totals["macs"]) == str(MACS)
assert f"{PARAMS:,}" in text and f"{MACS:,}" in text, text[-2000:]
warm = [timed(()) for _ in range(REPEATS)]
symbolic = [timed(["R"]) for _ in range(REPEATS)]
network, _, _, text = symbolic[0]
assert "⌊(R + 31)/32⌋" in text, text[-2000:]
print(json.dumps({
    "import": imported,
    "first": {"derive": first_derive, "total": first_total},
    "warm": {"derive": min(w[1] for w in warm), "total": min(w[2] for w in warm)},
    "symbolic_R": {"derive": min(s[1] for s in symbolic), "total": min(s[2] for s in symbolic)},
    "rows": len(network.rows),
}))
"""

TORCHINFO_CHILD = r"""
import json, sys, time
sys.path.insert(0, ROOT + "/tests")
start = time.perf_counter()
import torch
import torchinfo
imported = time.perf_counter() - start
torch.set_num_threads(THREADS)
from frameworks import torchvision
model = torchvision().models.resnet50()
source = "torchvision.models.resnet50()"

def timed():
    start = time.perf_counter()
    stats = torchinfo.summary(model, input_size=(1, 3, 224, 224), verbose=0)
    return time.perf_counter() - start, stats

first, stats = timed()
rest = [timed()[0] for _ in range(REPEATS)]
assert stats.total_params == PARAMS, stats.total_params
print(json.dumps({
    "import": imported, "first": first, "warm": min(rest),
    "total_params": stats.total_params, "total_mult_adds": stats.total_mult_adds,
    "torch": torch.__version__, "torchinfo": getattr(torchinfo, "__version__", "?"), "model": source,
}))
"""


def child(code: str, **constants) -> dict:
    prelude = "".join(f"{name} = {value!r}\n" for name, value in constants.items())
    result = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f"benchmark child failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def cli_time(repeats: int) -> float:
    script = Path(sys.executable).parent / "symcnn"
    command = (
        [str(script), "summary", str(RESNET50)]
        if script.exists()
        else [sys.executable, "-m", "symcnn", "summary", str(RESNET50)]
    )
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = subprocess.run(
            command, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
        best = min(best, time.perf_counter() - start)
        if result.returncode != 0 or f"{PARAMS:,}" not in result.stdout:
            sys.exit(f"symcnn summary failed:\n{result.stdout}\n{result.stderr}")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="best of this many warm runs (default 5)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for torchinfo's forward pass (default 1)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"ResNet-50 summary · Python {platform.python_version()} · {os.cpu_count()} CPUs · load {load:.2f}")
    common = {"ROOT": str(ROOT), "REPEATS": args.repeats, "PARAMS": PARAMS}
    sym = child(SYMCNN_CHILD, FILE=str(RESNET50), MACS=MACS, **common)
    info = child(TORCHINFO_CHILD, THREADS=args.threads, **common)
    cli = cli_time(args.repeats)

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:8.1f} ms"

    print(f"\n{'':44}{'first call':>12}{'best of ' + str(args.repeats):>14}")
    print(
        f"{'symcnn: load + table (' + str(sym['rows']) + ' rows)':44}{ms(sym['first']['total']):>12}{ms(sym['warm']['total']):>14}"
    )
    print(f"{'  of which derive (symcnn.load)':44}{ms(sym['first']['derive']):>12}{ms(sym['warm']['derive']):>14}")
    print(f"{'symcnn --symbolic R: derive':44}{'':>12}{ms(sym['symbolic_R']['derive']):>14}")
    print(f"{'symcnn --symbolic R: derive + table':44}{'':>12}{ms(sym['symbolic_R']['total']):>14}")
    print(
        f"{'torchinfo.summary (' + str(args.threads) + ' torch threads)':44}{ms(info['first']):>12}{ms(info['warm']):>14}"
    )
    print(f"  on {info['model']}")
    print(f"\n{'import symcnn + exporters':44}{ms(sym['import']):>12}")
    print(f"{'import torch + torchinfo':44}{ms(info['import']):>12}")
    print(f"{'CLI: symcnn summary resnet50.cnn':44}{'':>12}{ms(cli):>14}   (process start to exit)")
    print(f"\nparams: symcnn {PARAMS:,}, torchinfo {info['total_params']:,}")
    extra = info["total_mult_adds"] - MACS
    print(f"MACs: symcnn {MACS:,} (conv and linear); torchinfo mult-adds {info['total_mult_adds']:,} ({extra:+,})")
    if extra == 53_120 + 1_000:
        print("      torchinfo also counts one per batch-norm parameter (53,120) and per fc bias (1,000)")
    worst = max(sym["first"]["total"], sym["symbolic_R"]["total"])
    verdict = "MET" if worst < TARGET else "MISSED"
    print(
        f"\ntarget: ResNet-50 derived and summarised in < {TARGET:.0f} s beyond import (first call, and --symbolic R): {verdict}"
    )
    ratio = sym["warm"]["total"] / info["warm"]
    print(
        f"target: warm derive + table at most {WARM_RATIO}x torchinfo's summary: {ratio:.2f}x, "
        + ("MET" if ratio <= WARM_RATIO else "MISSED")
    )
    if args.json:
        figures = {
            "symcnn": sym,
            "torchinfo": info,
            "cli": cli,
            "repeats": args.repeats,
            "load": load,
            "target_met": worst < TARGET,
            "warm_ratio": ratio,
        }
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
