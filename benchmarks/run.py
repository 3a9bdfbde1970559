"""Benchmark `deliverability check` against checkdmarc on a generated world served on loopback.

    python benchmarks/run.py                 # everything, prints Markdown tables
    python benchmarks/run.py --only single --latency 0.1
    python benchmarks/run.py --only bulk --domains 200 --latency 0.03

The world (benchmarks/world.py) is served by the test suite's DNS server
(tests/dnsserver.py) with a set latency added to every answer. It binds 127.0.0.2
port 53 (we run as root) because checkdmarc takes nameserver IPs, not ports; both
tools ask that one server, which counts the queries it receives and keeps its replies
(after an untimed warm-up run it answers from them, as a warm recursive resolver would,
and takes little CPU from the tool on this same machine). Nothing leaves
loopback: the checkdmarc process refuses any socket outside 127.0.0.0/8.

Scenarios:
- startup: `deliverability --version` and `--help`, best of 5.
- single: one sender, full check with its two sending IPs, at each latency; wall time
  minus the --version start-up, against the critical-path bound (the longest chain
  of dependent lookups x latency).
- bulk: N senders from a file (`--from-file`, scope SPF, DMARC, MX), the same with
  `--workers 2` (or --workers N), and checkdmarc's
  check_spf, check_dmarc and check_mx over the same domains (its CLI runs every
  check; its API takes them one by one). At 0 ms also the CPU a domain costs: the
  median CPU time (user + system) of 3 runs, less a `--version` run's, over N.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from dnsserver import DnsServer  # noqa: E402
from world import World, build_world  # noqa: E402

from deliverability.net.zones import ZoneSet  # noqa: E402
from deliverability.net.zonefile import parse_zone_text  # noqa: E402

TOOL = [sys.executable, "-m", "deliverability"]
# Runs of the single check (and of its --no-prefetch twin) whose median is reported: on a
# shared two-core machine a median of 3 moved by 1.4x between two runs minutes apart.
SINGLE_RUNS = 7
SCOPE = ["--select", "spf", "--select", "dmarc", "--select", "mx"]
CHECKDMARC_RUNNER = r"""
import json, socket, sys, time
def _guard(address):
    host = address[0] if isinstance(address, tuple) else str(address)
    if not (host.startswith("127.") or host == "::1"):
        raise OSError(f"benchmark: refusing to reach {host} (loopback only)")
for _name in ("connect", "connect_ex"):
    _real = getattr(socket.socket, _name)
    setattr(socket.socket, _name, lambda self, a, _r=_real: (_guard(a), _r(self, a))[1])
_sendto = socket.socket.sendto
socket.socket.sendto = lambda self, data, *rest: (_guard(rest[-1]), _sendto(self, data, *rest))[1]
from checkdmarc.dmarc import check_dmarc
from checkdmarc.smtp import check_mx
from checkdmarc.spf import check_spf
nameserver, domains = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
for domain in domains:
    for check in (check_spf, check_dmarc, check_mx):
        check(domain, nameservers=[nameserver], timeout=2.0)
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def serve(world: World, latency: float, host: str, port: int) -> DnsServer:
    """The world on loopback, answering after `latency` seconds."""
    zones = ZoneSet([parse_zone_text(text, f"{origin}zone", origin)
                     for origin, text in world.zones.items()])
    return DnsServer(zones, latency=latency, host=host, port=port).start()


def best_of(command: list[str], runs: int = 5) -> float:
    """The fastest wall time of `command` over `runs` runs."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return min(times)


def timed(command: list[str], env: dict[str, str] | None = None,
          ) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall time of one run of `command`, and its result."""
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            env={**os.environ, **(env or {})})
    return time.perf_counter() - started, result


def cpu_of(command: list[str]) -> float:
    """CPU seconds (user + system) one run of `command` used: less swayed by load than wall."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, capture_output=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def startup() -> dict[str, float]:
    """Start-up of the CLI: --version (the baseline subtracted below) and --help."""
    return {"version": best_of([*TOOL, "--version"]), "help": best_of([*TOOL, "--help"])}


def single(world: World, server: DnsServer, latency: float, start: float) -> dict[str, object]:
    """One sender, full check with its IPs: median of SINGLE_RUNS runs against the bound."""
    sender = max(world.senders[:16], key=lambda s: (world.critical_path(s), s.domain))
    ips = [arg for ip in sender.ips for arg in ("--ip", ip)]
    command = [*TOOL, "check", sender.domain, *ips, "--resolver", server.address,
               "--format", "json", "--fail-on", "never"]
    walls, queries, unprefetched = [], [], []
    for _ in range(SINGLE_RUNS):
        server.reset()
        server.latency = latency
        wall, result = timed(command)
        walls.append(wall)
        queries.append(server.count())
        assert result.returncode == 0, result.stderr
        # the same run without the console script's prefetch (net/prefetch.py)
        unprefetched.append(timed(command, {"DELIVERABILITY_NO_PREFETCH": "1"})[0])
    wall = statistics.median(walls)
    plain = statistics.median(unprefetched)
    bound = world.critical_path(sender) * latency
    server.latency = latency
    # CPU beyond a start-up's: on a loaded machine wall time is mostly waiting for a core
    cpu = statistics.median(cpu_of(command) for _ in range(SINGLE_RUNS))
    cpu -= statistics.median(cpu_of([*TOOL, "--version"]) for _ in range(SINGLE_RUNS))
    return {
        "latency_ms": round(latency * 1000), "domain": sender.domain,
        "chain": world.critical_path(sender), "wall_s": round(wall, 3),
        "wall_minus_startup_s": round(wall - start, 3), "bound_s": round(bound, 3),
        "ratio": round((wall - start) / bound, 2) if bound else None,
        "without_prefetch": {
            "wall_s": round(plain, 3),
            "ratio": round((plain - start) / bound, 2) if bound else None,
        },
        "queries": statistics.median(queries), "cpu_beyond_startup_s": round(cpu, 3),
        "load": load(),
    }


def bulk(world: World, server: DnsServer, latency: float, checkdmarc: bool,
         workers: int = 1) -> dict[str, object]:
    """N senders with --from-file (SPF, DMARC, MX), and checkdmarc over the same."""
    domains = [s.domain for s in world.senders]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "domains.txt"
        path.write_text("# benchmark senders\n" + "\n".join(domains) + "\n")
        command = [*TOOL, "check", "--from-file", str(path), *SCOPE, "--resolver",
                   server.address, "--format", "json", "--quiet", "--fail-on", "never"]
        # untimed: the server keeps its replies (tests/dnsserver.py), so every timed run
        # below, checkdmarc's too, meets the same warm server
        subprocess.run(command, capture_output=True)
        server.reset()
        server.latency = latency
        wall, result = timed(command)
        assert result.returncode == 0, result.stderr
        reports = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(reports) == len(domains) and all("checks" in r for r in reports)
        ours = {"wall_s": round(wall, 2), "queries": server.count(),
                "queries_per_domain": round(server.count() / len(domains), 1),
                "most_queries_one_domain": most_under_one(server, domains),
                "max_in_flight": server.max_in_flight}
        if workers > 1:  # the same run split over forked processes (cli/workers.py)
            server.reset()
            server.latency = latency
            split, split_result = timed([*command, "--workers", str(workers)])
            assert split_result.stdout.count("\n") == len(domains), split_result.stderr
            ours["with_workers"] = {
                "workers": workers, "wall_s": round(split, 2), "queries": server.count(),
                "queries_per_domain": round(server.count() / len(domains), 1),
                "most_queries_one_domain": most_under_one(server, domains),
            }
        cpu = statistics.median(cpu_of(command) for _ in range(3)) if latency == 0 else None
        if cpu is not None:  # the same over the first fifth: what a domain adds
            fifth = Path(tmp) / "fifth.txt"
            fifth.write_text("\n".join(domains[: len(domains) // 5]) + "\n")
            small = [*command[:5], str(fifth), *command[6:]]
            small_cpu = statistics.median(cpu_of(small) for _ in range(3))
    if cpu is not None:  # CPU a domain: the run's CPU less a start-up's, over the domains
        startup_cpu = statistics.median(cpu_of([*TOOL, "--version"]) for _ in range(5))
        ours["cpu_ms_per_domain"] = round((cpu - startup_cpu) * 1000 / len(domains), 2)
        extra = len(domains) - len(domains) // 5
        ours["cpu_ms_per_extra_domain"] = round((cpu - small_cpu) * 1000 / extra, 2)
    out: dict[str, object] = {"domains": len(domains), "latency_ms": round(latency * 1000),
                              "deliverability": ours, "load": load()}
    if checkdmarc:
        server.reset()
        server.latency = latency
        wall, result = timed([sys.executable, "-c", CHECKDMARC_RUNNER, server.host, *domains])
        assert result.returncode == 0, result.stderr
        out["checkdmarc"] = {
            "wall_s": round(wall, 2), "queries": server.count(),
            "queries_per_domain": round(server.count() / len(domains), 1),
            "max_in_flight": server.max_in_flight,
        }
        out["speedup"] = round(wall / ours["wall_s"], 1)
        if "with_workers" in ours:
            ours["with_workers"]["speedup"] = round(wall / ours["with_workers"]["wall_s"], 1)
    return out


def most_under_one(server: DnsServer, domains: list[str]) -> int:
    """The most questions the server saw for the names of one domain (shared provider
    names aside): bulk JSON lines carry no per-target counts without --verbose."""
    under: dict[str, int] = dict.fromkeys(domains, 0)
    for (name, _rdtype), count in server.queries.items():
        labels = name.split(".")
        for i in range(len(labels) - 1):
            owner = ".".join(labels[i:])
            if owner in under:
                under[owner] += count
                break
    return max(under.values(), default=0)


def load() -> str:
    """The 1, 5 and 15 minute load averages now: the machine is shared."""
    import os

    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor() or "?")
    import os

    return {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "cpus": str(os.cpu_count()),
            "cpu": model, "python": platform.python_version(),
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def main() -> None:
    """Parse the options, run the chosen scenarios, print JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["startup", "single", "bulk"], action="append")
    parser.add_argument("--domains", type=int, default=200)
    parser.add_argument("--latency", type=float, action="append",
                        help="seconds added to every answer (repeatable); default 0 0.01 0.03 0.1")
    parser.add_argument("--no-checkdmarc", action="store_true")
    parser.add_argument("--workers", type=int, default=2,
                        help="bulk: also time `--workers N` (1: only the one-process run)")
    parser.add_argument("--host", default="127.0.0.2")
    parser.add_argument("--port", type=int, default=53)
    args = parser.parse_args()
    scenarios = args.only or ["startup", "single", "bulk"]
    latencies = args.latency or [0.0, 0.01, 0.03, 0.1]
    # An installed wheel has its bytecode compiled; a checkout run with
    # PYTHONDONTWRITEBYTECODE would compile every module on every start instead.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "deliverability")],
                   check=True)
    world = build_world(args.domains)
    server = serve(world, 0.0, args.host, args.port)
    results: dict[str, object] = {"machine": machine()}
    start = startup()
    if "startup" in scenarios:
        results["startup"] = {k: round(v, 3) for k, v in start.items()}
    if "single" in scenarios:
        results["single"] = [single(world, server, lat, start["version"]) for lat in latencies]
    if "bulk" in scenarios:
        results["bulk"] = [bulk(world, server, lat, not args.no_checkdmarc, args.workers)
                           for lat in latencies]
    server.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
