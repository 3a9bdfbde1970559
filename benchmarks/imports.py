"""Where a full check's start-up CPU goes: the imports after the command line's own.

    python benchmarks/imports.py            # 7 fresh processes, the fastest of each phase
    python benchmarks/imports.py --runs 15

`deliverability check DOMAIN --ip ...` spends most of its CPU beyond `--version`
loading modules, not checking (benchmarks/run.py `cpu_beyond_startup_s`; py-spy
--gil puts three quarters of a single check's samples under imports). This imports,
in a fresh interpreter each run, what `--version` loads and then what a full check
adds, in the order the check loads it, and prints the milliseconds of each phase
(the fastest of the runs: a busy machine only ever adds) with the time spent creating
dataclasses inside them (Python 3.11 compiles each generated method with exec), ours
and everyone else's. No network, no DNS: imports only. The 10-million-iteration
loop line says how fast the machine was, to compare runs taken on other days.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import machine  # noqa: E402

# Run in a fresh interpreter: each phase's import time and the dataclass time inside it.
CHILD = r"""
import json, sys, time, dataclasses
spent = {"ours": 0.0, "others": 0.0}
count = {"ours": 0, "others": 0}
create = dataclasses._process_class
def timed(cls, *args, **kwargs):  # the benchmark's own hooks: never in the tool
    if cls.__module__.startswith("deliverability"):
        return create(cls, *args, **kwargs)  # timed whole by lean's hook below
    started = time.perf_counter()
    try:
        return create(cls, *args, **kwargs)
    finally:
        spent["others"] += time.perf_counter() - started
        count["others"] += 1
dataclasses._process_class = timed
import deliverability.lean as lean  # ours: lean.dataclass, its own __init__ included
decorate = lean.dataclass
def timed_lean(cls=None, /, **options):
    def wrap(cls):
        started = time.perf_counter()
        try:
            return decorate(**options)(cls)
        finally:
            spent["ours"] += time.perf_counter() - started
            count["ours"] += 1
    return wrap if cls is None else wrap(cls)
lean.dataclass = timed_lean
phases = []
def phase(name, load):
    before = dict(spent)
    started = time.perf_counter()
    load()
    phases.append({"phase": name, "ms": (time.perf_counter() - started) * 1000,
                   "dataclass_ms": sum(spent.values()) * 1000 - sum(before.values()) * 1000})
import importlib
def imports(*names):
    return lambda: [importlib.import_module(n) for n in names]
phase("command line (what --version loads)", imports("deliverability.cli"))
def no_doh():  # as cli._skip_doh_unless_asked does for a run without https://
    import dns._features
    dns._features.force("doh", False)
phase("dnspython feature table (importlib.metadata)", no_doh)
phase("asyncio", imports("asyncio"))
phase("dnspython names and rdata", imports("dns.name", "dns.rdata", "dns.rdatatype"))
phase("dnspython message and resolver", imports("dns.message", "dns.resolver", "dns.asyncresolver"))
phase("findings (deliverability.finding)", imports("deliverability.finding"))
phase("engine, context, DNS client", imports("deliverability.engine"))
phase("run plan, remedies, changes", imports("deliverability.plan"))
from importlib.metadata import entry_points
found = []
phase("entry points of the checks", lambda: found.extend(
    sorted(entry_points(group="deliverability.checks"), key=lambda ep: ep.name)))
for ep in found:
    phase(f"check {ep.name}", ep.load)
json.dump({"phases": phases, "dataclasses": count,
           "dataclass_ms": {k: v * 1000 for k, v in spent.items()}}, sys.stdout)
"""

LOOP = (
    "import time\nt = time.perf_counter()\nfor _ in range(10_000_000): pass\n"
    "print(time.perf_counter() - t)"
)


def one_run() -> dict:
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"imports.py: the child failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    loop = float(
        subprocess.run(
            [sys.executable, "-c", LOOP], capture_output=True, text=True, check=True
        ).stdout
    )
    runs = [one_run() for _ in range(max(args.runs, 1))]
    names = [p["phase"] for p in runs[0]["phases"]]
    best = {
        name: min(p["ms"] for r in runs for p in r["phases"] if p["phase"] == name)
        for name in names
    }
    classes = {
        name: min(p["dataclass_ms"] for r in runs for p in r["phases"] if p["phase"] == name)
        for name in names
    }
    print(
        f"machine: {json.dumps(machine())}; 10M-iteration loop {loop:.2f} s; "
        f"fastest of {len(runs)} runs"
    )
    print("| phase | ms | of which dataclasses |\n|---|---:|---:|")
    for name in names:
        print(f"| {name} | {best[name]:.1f} | {classes[name]:.1f} |")
    after_cli = sum(best[n] for n in names[1:])
    print(
        f"| **after the command line** | **{after_cli:.1f}** | "
        f"**{sum(classes[n] for n in names[1:]):.1f}** |"
    )
    counts = runs[0]["dataclasses"]
    fastest = min(runs, key=lambda r: sum(r["dataclass_ms"].values()))["dataclass_ms"]
    print(
        f"dataclasses created: {counts['ours']} ours ({fastest['ours']:.1f} ms), "
        f"{counts['others']} others' ({fastest['others']:.1f} ms), fastest run"
    )


if __name__ == "__main__":
    main()
