"""A bulk run against a resolver that drops half the questions: bounded time and memory.

    python benchmarks/dropping_resolver.py                   # 520 senders, half the names dropped
    python benchmarks/dropping_resolver.py --domains 200 --fraction 0.5 -- --select spf,dmarc,mx

The world is benchmarks/world.py's (full senders: SPF chains, DMARC, DKIM, MX, PTRs,
blocklists), served on 127.0.0.1 by the test suite's DNS server with the fault
`drop` at `fraction`: a question is never answered when a seeded hash of its name and
type falls under the fraction, so the same names are dropped on every run and every
retry (a lookup of such a name can only time out). `check --from-file` runs as a
subprocess with default options (or the flags after `--`) and JSON Lines output.

Reports wall time, the child's CPU and peak RSS (wait4), questions received, and from
the reports: how many targets came back, how many checks are `unknown`, and the
correctness the issue asks for: no finding says a record is missing (`spf.missing`,
`dmarc.missing`, `bimi.missing`, ...) when the question for it was dropped (the server
records each dropped question), and how many senders none of whose own names were
dropped still have an `unknown` check (a shared name of theirs was: a provider's SPF
include, a blocklist).
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
from world import build_world  # noqa: E402

from deliverability.net.zones import ZoneSet  # noqa: E402
from deliverability.net.zonefile import parse_zone_text  # noqa: E402

TOOL = [sys.executable, "-m", "deliverability"]
# A code that says the record is absent, and the TXT name whose answer says so.
RECORD_OF = {"spf.missing": "{}", "dmarc.missing": "_dmarc.{}", "bimi.missing": "default._bimi.{}",
             "mta-sts.missing": "_mta-sts.{}", "tls-rpt.missing": "_smtp._tls.{}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domains", type=int, default=520)
    parser.add_argument("--fraction", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("extra", nargs="*", help="check flags after --")
    args = parser.parse_args()
    world = build_world(args.domains)
    zones = ZoneSet([parse_zone_text(text, f"{origin}zone", origin)
                     for origin, text in world.zones.items()])
    server = DnsServer(zones, host="127.0.0.1").start()
    server.fault("drop", fraction=args.fraction, seed=args.seed)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "domains.txt"
        path.write_text("".join(f"{s.domain}\n" for s in world.senders))
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*TOOL, "check", "--from-file", str(path), "--resolver", server.address,
             "--format", "json", "--quiet", "--fail-on", "never", *args.extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = proc.communicate()
        wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the one child: the run
    reports = [json.loads(line) for line in out.splitlines()]
    unknown = sum(1 for r in reports for c in r.get("checks", {}).values()
                  if c["status"] == "unknown")
    checks = sum(len(r.get("checks", {})) for r in reports)
    said_missing = [(r["target"]["domain"], f["code"]) for r in reports
                    for c in r.get("checks", {}).values() for f in c["findings"]
                    if f["severity"] != "unknown" and f["code"] in RECORD_OF]
    wrong = sorted({code for domain, code in said_missing
                    if (RECORD_OF[code].format(domain), "TXT") in server.dropped})
    healthy = [r for r in reports if not any(
        name == r["target"]["domain"] or name.endswith("." + r["target"]["domain"])
        for name, _ in server.dropped)]
    print(json.dumps({
        "domains": args.domains, "fraction": args.fraction, "exit": proc.returncode,
        "stderr_tail": err.strip().splitlines()[-1:] if proc.returncode not in (0, 1) else [],
        "wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "questions": server.count(),
        "reports": len(reports), "checks": checks, "unknown_checks": unknown,
        "said_missing": len(said_missing), "said_missing_after_a_drop": wrong,
        "senders_none_of_whose_own_names_dropped": len(healthy),
        "of_those_with_an_unknown_check": sum(1 for r in healthy if any(
            c["status"] == "unknown" for c in r["checks"].values())),
        "load_before": load_before, "load_after": os.getloadavg(),
    }, indent=2))
    server.stop()


if __name__ == "__main__":
    main()
