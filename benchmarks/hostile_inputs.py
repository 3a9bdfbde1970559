"""Work bounded by input size: big zone files and big sender profiles, end to end.

    python benchmarks/hostile_inputs.py                      # zones 60k, 200k, 600k; profile 10k
    python benchmarks/hostile_inputs.py --zones 60000 --profile-ips 8000

Each case is a `deliverability` subprocess (`--offline`, so nothing but the input costs
time), timed from start to exit, with its peak RSS (ru_maxrss of the child):

- zone: `check zone.test --offline --zone-file F --select spf` on a generated zone of N
  records (A, TXT and MX owners, a third each). The per-record time (CPU, as the machine is shared) shows whether the
  load is linear: it must not grow with N.
- profile: `guide guide.test --profile P --offline` with a profile of N single
  addresses (the guide merges them into the ranges to allow).

Start-up (`deliverability --version`) is printed so it can be subtracted.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOL = [sys.executable, "-m", "deliverability"]


def zone_text(records: int) -> str:
    """A zone of about `records` records: A, TXT and MX, one owner each."""
    lines = ["$ORIGIN zone.test.", "$TTL 300", "@ SOA ns.zone.test. h.zone.test. 1 3600 600 86400 300",
             '@ TXT "v=spf1 ip4:192.0.2.0/24 -all"']
    for i in range(records // 3):
        lines += [f"h{i} A 192.0.2.{i % 254 + 1}",
                  f'h{i} TXT "v=spf1 ip4:198.51.100.{i % 254 + 1} -all"',
                  f"m{i}.sub MX 10 h{i}"]
    return "\n".join(lines) + "\n"


def profile_text(count: int) -> str:
    """A profile with `count` single addresses (every third one from 198.51.0.0)."""
    first = ipaddress.ip_address("198.51.0.0")
    ips = ", ".join(f'"{first + 3 * i}"' for i in range(count))
    return f'[sender]\nfrom_domains = ["example.com"]\nips = [{ips}]\n'


def timed(args: list[str]) -> dict[str, object]:
    """Wall time, CPU, exit status and peak RSS of one run of the tool (wait4: its own)."""
    started = time.perf_counter()
    proc = subprocess.Popen([*TOOL, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    stderr = proc.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "exit": proc.returncode, "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "stderr": stderr.strip().splitlines()[-1:] if proc.returncode > 1 else []}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--zones", type=int, nargs="*", default=[60_000, 200_000, 600_000])
    parser.add_argument("--profile-ips", type=int, nargs="*", default=[10_000])
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "deliverability")],
                   check=True)
    results: dict[str, object] = {"load_before": os.getloadavg()}
    results["startup"] = timed(["--version"])
    with tempfile.TemporaryDirectory() as tmp:
        for records in args.zones:
            path = Path(tmp) / "zone.test.zone"
            path.write_text(zone_text(records))
            run = timed(["check", "zone.test", "--offline", "--zone-file", str(path),
                         "--select", "spf", "--format", "json", "--fail-on", "never"])
            for kind in ("wall", "cpu"):  # CPU per record is what a loaded machine does not blur
                run[f"{kind}_us_per_record"] = round(float(run[f"{kind}_s"]) / records * 1e6, 1)  # type: ignore[arg-type]
            results[f"zone_{records}"] = run
            print(records, run, file=sys.stderr)
        for count in args.profile_ips:
            path = Path(tmp) / "profile.toml"
            path.write_text(profile_text(count))
            run = timed(["guide", "guide.test", "--profile", str(path), "--offline",
                         "--zone-file", str(ROOT / "tests/world/guide.test.zone"),
                         "--format", "json", "--fail-on", "never"])
            results[f"profile_{count}"] = run
            print(count, run, file=sys.stderr)
    results["load_after"] = os.getloadavg()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
