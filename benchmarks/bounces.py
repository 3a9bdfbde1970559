"""Benchmark `deliverability bounce DIR`: a directory of generated bounces, read end to end.

    python benchmarks/bounces.py                  # 10,000 bounces, prints a Markdown table
    python benchmarks/bounces.py --count 2000 --count 10000

The bounces are the test fixtures (tests/checks/bounce/fixtures/*.eml: RFC 3464 DSNs and
human-readable bounces of each MTA) copied with a distinct recipient each. The CLI runs
in a subprocess with `--format json -q -o FILE` (every report rendered and written as
JSON Lines). It reports wall time and the child's own CPU time (user + system, from
wait4), since a shared machine's load stretches wall time but not CPU time, and the
child's peak RSS (ru_maxrss), which shows whether memory stays flat as the count grows.
No network is used.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "checks" / "bounce" / "fixtures"
CLI = [sys.executable, "-m", "deliverability"]


def make_bounces(folder: Path, count: int) -> None:
    """`count` bounce files in `folder`, cycling through the fixtures."""
    templates = sorted(p.read_bytes() for p in FIXTURES.glob("*.eml"))
    for number in range(count):
        data = templates[number % len(templates)].replace(b"@", f"+{number}@".encode(), 1)
        (folder / f"{number:06d}.eml").write_bytes(data)


def measure(count: int) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds, lines written, peak RSS in MiB) for `count` bounces."""
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "bounces", Path(tmp) / "out.jsonl"
        folder.mkdir()
        make_bounces(folder, count)
        started = time.perf_counter()
        child = subprocess.Popen(
            [*CLI, "bounce", str(folder), "--format", "json", "-q", "-o", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, _, usage = os.wait4(child.pid, 0)  # this child's own usage, not all children's
        seconds = time.perf_counter() - started
        lines = sum(1 for _ in out.open(encoding="utf-8"))
    return seconds, usage.ru_utime + usage.ru_stime, lines, usage.ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--count", type=int, action="append", help="bounces to generate (repeatable)"
    )
    counts = parser.parse_args().count or [10_000]
    print(
        f"Python {platform.python_version()}, {platform.machine()}, load {os.getloadavg()[0]:.1f}\n"
    )
    print(
        "| bounces | wall s | messages/s (wall) | CPU s | messages/CPU-s | reports | peak RSS (MiB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for count in counts:
        wall, cpu, lines, rss = measure(count)
        print(
            f"| {count:,} | {wall:.1f} | {count / wall:,.0f} | {cpu:.1f} | {count / cpu:,.0f} "
            f"| {lines:,} | {rss} |"
        )


if __name__ == "__main__":
    main()
