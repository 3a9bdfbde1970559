"""CPU a domain as instructions, which a busy machine cannot blur.

    python benchmarks/instructions.py                  # 60 and 300 domains
    python benchmarks/instructions.py --small 40 --large 200

On a shared two-core machine the CPU time of the same bulk run varies by 20-40%
from run to run (benchmarks/run.py takes medians of three, and its figure still
moves by a millisecond a domain). valgrind's callgrind counts the instructions the
process executes, the same count for the same input (within ~1%) whatever else the
machine is doing. This runs the bulk scope of run.py (`check --from-file`, SPF,
DMARC and MX, 0 ms latency, no prefetch) over the first SMALL and the first LARGE
senders of the same generated world under callgrind and reports the instructions
each added domain costs: (large - small) / (LARGE - SMALL), start-up excluded. The
world is served by the test suite's DNS server on 127.0.0.1 at a free port; nothing
leaves loopback. Needs valgrind (Debian's package); a run of 300 domains takes
about a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from run import SCOPE, load, machine, serve  # noqa: E402
from world import build_world  # noqa: E402

TOOL = [sys.executable, "-m", "deliverability"]


def instructions(command: list[str]) -> int:
    """The instructions `command` executed, as callgrind counts them."""
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", *command],
            capture_output=True, text=True, env=dict(os.environ, DELIVERABILITY_NO_PREFETCH="1"),
        )
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r"Collected\s*:\s*(\d+)", result.stderr) or re.search(
        r"I\s+refs:\s*([\d,]+)", result.stderr)
    assert found, result.stderr[-2000:]
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=60)
    parser.add_argument("--large", type=int, default=300)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("instructions.py: valgrind is not installed (apt-get install valgrind)")
    world = build_world(args.large)
    server = serve(world, 0.0, "127.0.0.1", 0)
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (args.small, args.large):
            path = Path(tmp) / f"{n}.txt"
            path.write_text("\n".join(s.domain for s in world.senders[:n]) + "\n")
            counts[n] = instructions([*TOOL, "check", "--from-file", str(path), *SCOPE,
                                      "--resolver", server.address, "--format", "json",
                                      "--quiet", "--fail-on", "never"])
    per_domain = (counts[args.large] - counts[args.small]) / (args.large - args.small)
    print(json.dumps({
        "machine": machine(), "instructions": counts,
        "instructions_per_extra_domain": round(per_domain), "load": load(),
    }, indent=2))


if __name__ == "__main__":
    main()
