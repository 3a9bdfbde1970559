"""What the `bimi` extra (checkdmarc) costs: import time, and what it pulls in.

    python benchmarks/checkdmarc_cost.py [--runs 5]

Each run is a fresh interpreter: the median wall time of `import checkdmarc.bimi`, of
`import deliverability.checks.bimi.check` (which must not import checkdmarc), and the
distributions checkdmarc requires that deliverability does not. docs/performance.md
records the numbers.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from importlib import metadata

SNIPPETS = {
    "import checkdmarc.bimi": "import checkdmarc.bimi",
    "import the bimi check (checkdmarc stays unloaded)": (
        "import sys, deliverability.checks.bimi.check; "
        "assert 'checkdmarc' not in sys.modules"
    ),
}


def median_seconds(code: str, runs: int) -> float:
    """Median wall time of a fresh interpreter running `code`, minus an empty one's."""

    def once(snippet: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", snippet], check=True)
        return time.perf_counter() - started

    empty = statistics.median(once("pass") for _ in range(runs))
    return statistics.median(once(code) for _ in range(runs)) - empty


def extra_requirements() -> list[str]:
    """Distributions checkdmarc requires that deliverability itself does not."""
    ours = {r.split(";")[0].split("[")[0].split(">")[0].split("=")[0].strip().lower()
            for r in metadata.requires("deliverability") or [] if "extra ==" not in r}
    theirs = [r.split(";")[0].split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip()
              for r in metadata.requires("checkdmarc") or [] if "extra ==" not in r]
    return sorted({t for t in theirs if t.lower() not in ours})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"checkdmarc {metadata.version('checkdmarc')}, median of {args.runs} runs")
    for label, code in SNIPPETS.items():
        print(f"{label}: {median_seconds(code, args.runs) * 1000:.0f} ms")
    print("pulls in:", ", ".join(extra_requirements()))


if __name__ == "__main__":
    main()
