"""A long bulk run: N generated domains (default 100,000), scope SPF, DMARC and MX, 0 ms.

    python benchmarks/large.py                   # 100,000 domains
    python benchmarks/large.py --domains 20000

Measures what a long run must keep: peak RSS of the `check --from-file` process
(its VmHWM, sampled while it runs), and the rate of each tenth of the run (domains a second, from when each
JSON line arrived), so a run that slows down as its cache churns shows it. The world
is light: each domain has its SPF record (an include of one of the shared providers
of world.py, whose chains are up to 4 deep), DMARC with a report address, and MX
(its own host with A, or the provider's shared hosts), so the shared cache holds the
providers while every domain's own answers pass through it. Served on 127.0.0.1 at a
free port (no checkdmarc here), so it can run beside run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from dnsserver import DnsServer  # noqa: E402
from world import PROVIDERS, _provider_lines, _reports_lines, _zone  # noqa: E402

from deliverability.net.zones import ZoneSet  # noqa: E402
from deliverability.net.zonefile import parse_zone_text  # noqa: E402

TOOL = [sys.executable, "-m", "deliverability"]
SCOPE = ["--select", "spf,dmarc,mx"]


def zone_lines(n: int) -> list[str]:
    """The records of domain n: SPF, DMARC, MX (and its host's address)."""
    d = f"d{n}.large.test"
    provider = PROVIDERS[list(PROVIDERS)[n % 4]][0]
    lines = [f'{d}. TXT "v=spf1 ip4:198.51.100.{n % 254 + 1} include:{provider} ~all"',
             f'_dmarc.{d}. TXT "v=DMARC1; p=reject; rua=mailto:dmarc@{d}"']
    if n % 4 == 0:
        return [*lines, f"{d}. MX 1 aspmx.mailer.test."]
    return [*lines, f"{d}. MX 10 mx.{d}.", f"mx.{d}. A 203.0.113.{n % 254 + 1}"]


def serve(count: int) -> DnsServer:
    lines = [*_provider_lines(), *_reports_lines()]
    for n in range(count):
        lines += zone_lines(n)
    zones = ZoneSet([parse_zone_text(_zone("test.", lines), "test.zone", "test.")])
    return DnsServer(zones, host="127.0.0.1").start()


def run(count: int, server: DnsServer, extra: list[str]) -> dict[str, object]:
    """One run over `count` domains; the rate of each tenth and the peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "domains.txt"
        path.write_text("".join(f"d{n}.large.test\n" for n in range(count)))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*TOOL, "check", "--from-file", str(path), *SCOPE, "--resolver", server.address,
             "--format", "json", "--quiet", "--fail-on", "never", *extra],
            stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        stamps = []
        peak_kb = 0
        for _ in proc.stdout:
            stamps.append(time.perf_counter() - started)
            if len(stamps) % 200 == 1:
                peak_kb = max(peak_kb, _high_water_kb(proc.pid))
            if len(stamps) % max(1, count // 10) == 0:  # progress, for a run cut short
                print(f"{len(stamps)} domains at {stamps[-1]:.1f}s", file=sys.stderr)
        proc.wait()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tenth = max(1, len(stamps) // 10)
    marks = [0.0, *stamps[tenth - 1::tenth]]
    rates = [round(tenth / (b - a), 1) for a, b in zip(marks, marks[1:], strict=False)]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"domains": len(stamps), "wall_s": round(stamps[-1], 1) if stamps else None,
            "peak_rss_mb": round(peak_kb / 1024, 1), "cpu_s": round(cpu, 1),
            "queries": server.count(), "rate_per_tenth": rates,
            "last_over_first": round(rates[-1] / rates[0], 2) if rates else None,
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def _high_water_kb(pid: int) -> int:
    """The tool's own peak RSS (VmHWM, since its exec). Not ru_maxrss of the children:
    the child is forked from this process, which holds the whole served world, and
    Linux keeps that fork's size in the child's ru_maxrss (a 100,000-domain world made
    a 64 MB run read as 650 MB)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("extra", nargs="*", default=["--qps", "0"],
                        help="check flags after --; default --qps 0 (the tool's own speed)")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "deliverability")],
                   check=True)
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    started = time.perf_counter()
    server = serve(args.domains)
    print(f"world of {args.domains} served in {time.perf_counter() - started:.0f}s",
          file=sys.stderr)
    result = run(args.domains, server, args.extra)
    server.stop()
    print(json.dumps({"load_before": load_before, **result}, indent=2))


if __name__ == "__main__":
    main()
