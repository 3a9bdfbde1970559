"""Benchmark `deliverability dmarc-reports` against parsedmarc on a generated corpus.

    python benchmarks/dmarc_reports.py                       # 10,000 reports, both tools
    python benchmarks/dmarc_reports.py --reports 1000 --no-parsedmarc
    python benchmarks/dmarc_reports.py --parsedmarc /path/to/venv/bin/parsedmarc

The corpus is gzipped RFC 7489 aggregate reports of realistic sizes, generated with a
fixed seed: most reporters send a handful of records (70% have 1-5), some tens (25%:
6-50), the big mailbox providers hundreds (5%: 51-400); sources come from the reserved
ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32): a fixed population
of 1,500 IPs drawn Zipf-like (a few servers send most mail, then a long tail), as a real
domain's senders are; 6% of reports are resent duplicates. Each tool runs as its own process with DNS off
(`--offline` for both) and its output written to a file; the script reports wall time, CPU time (user +
system: what a loaded machine distorts least) and the peak RSS of the process (getrusage of the waited child), and runs ours at a
tenth of the corpus too, to show memory does not grow with it.

parsedmarc is never a dependency: it is run from its own venv (`--parsedmarc`, default
/work/venv-parsedmarc/bin/parsedmarc, made with `python -m venv V && V/bin/pip install
parsedmarc`); without it the comparison is skipped.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOOL = [sys.executable, "-m", "deliverability", "dmarc-reports"]
DEFAULT_PARSEDMARC = "/work/venv-parsedmarc/bin/parsedmarc"
REPORTERS = [
    "google.com",
    "Enterprise Outlook",
    "Yahoo",
    "Mail.Ru",
    "web.de",
    "comcast.net",
    "Fastmail Pty Ltd",
    "Mimecast",
    "zoho.com",
    "GMX",
]
DOMAINS = ["example.com", "mail.example.com", "example.org", "example.net"]
RECORD = """  <record>
    <row>
      <source_ip>{ip}</source_ip>
      <count>{count}</count>
      <policy_evaluated><disposition>{disposition}</disposition><dkim>{dkim}</dkim><spf>{spf}</spf></policy_evaluated>
    </row>
    <identifiers><envelope_from>{envelope}</envelope_from><header_from>{domain}</header_from></identifiers>
    <auth_results>
      <dkim><domain>{d}</domain><selector>{selector}</selector><result>{dkim_raw}</result></dkim>
      <spf><domain>{envelope}</domain><scope>mfrom</scope><result>{spf_raw}</result></spf>
    </auth_results>
  </record>
"""
HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<feedback>
  <version>1.0</version>
  <report_metadata>
    <org_name>{org}</org_name>
    <email>dmarc-noreply@{org_domain}</email>
    <report_id>{report_id}</report_id>
    <date_range><begin>{begin}</begin><end>{end}</end></date_range>
  </report_metadata>
  <policy_published>
    <domain>{domain}</domain><adkim>r</adkim><aspf>r</aspf><p>quarantine</p><sp>none</sp><pct>100</pct>
  </policy_published>
"""


def _population(size: int = 1500) -> list[str]:
    """The sending IPs of the corpus: a fixed population, as a real domain's senders are."""
    rng = random.Random(7)
    v4 = [
        f"{net}.{host}" for net in ("192.0.2", "198.51.100", "203.0.113") for host in range(1, 255)
    ]
    v6 = [f"2001:db8::{n:x}" for n in rng.sample(range(1, 65536), size - len(v4))]
    return rng.sample(v4 + v6, size)


POPULATION = _population()
# Zipf-like: a few servers send most mail, a long tail of spoofers and forwarders the rest.
WEIGHTS = [1 / (rank + 1) for rank in range(len(POPULATION))]


def _ip(rng: random.Random) -> str:
    return rng.choices(POPULATION, WEIGHTS)[0]


def _record(rng: random.Random, domain: str) -> str:
    kind = rng.random()
    aligned, esp, forwarded = kind < 0.75, 0.75 <= kind < 0.9, 0.9 <= kind < 0.95
    envelope = "bounces.esp.example.net" if esp else domain
    return RECORD.format(
        ip=_ip(rng),
        count=rng.choice([1, 1, 2, 3, 5, 8, 20, 120]),
        domain=domain,
        disposition="none" if aligned or rng.random() < 0.5 else "quarantine",
        dkim="pass" if aligned else "fail",
        spf="pass" if aligned and rng.random() < 0.8 else "fail",
        envelope=envelope,
        d="esp.example.net" if esp else domain,
        selector=rng.choice(["s1", "s2", "k1", "google", "selector1"]),
        dkim_raw="pass" if aligned or esp else "fail",
        spf_raw="pass" if aligned or esp or forwarded else rng.choice(["fail", "softfail", "none"]),
    )


def _size(rng: random.Random) -> int:
    roll = rng.random()
    return (
        rng.randint(1, 5)
        if roll < 0.70
        else rng.randint(6, 50)
        if roll < 0.95
        else rng.randint(51, 400)
    )


def generate(directory: Path, count: int, seed: int = 19) -> int:
    """Write `count` gzipped reports into `directory`; the bytes written."""
    rng, written, day = random.Random(seed), 0, 1780272000
    for n in range(count):
        original = n if n < 10 or rng.random() > 0.06 else rng.randrange(n)  # a resent report
        local = random.Random(original)
        org, domain = local.choice(REPORTERS), local.choice(DOMAINS)
        begin = day - 86400 * (original % 60)
        xml = HEAD.format(
            org=org,
            org_domain=org.split()[-1].lower(),
            report_id=f"r{original}",
            begin=begin,
            end=begin + 86399,
            domain=domain,
        )
        xml += "".join(_record(local, domain) for _ in range(_size(local))) + "</feedback>\n"
        data = gzip.compress(xml.encode(), compresslevel=6)
        (
            directory / f"{org.split()[0].lower()}!{domain}!{begin}!{begin + 86399}!{n}.xml.gz"
        ).write_bytes(data)
        written += len(data)
    return written


def measure(command: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MiB) of one run of `command`."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"benchmark: {command[0]} failed with status {status}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--parsedmarc", default=DEFAULT_PARSEDMARC)
    parser.add_argument("--no-parsedmarc", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dmarc-bench-"))
    try:
        _run(work, args.reports, None if args.no_parsedmarc else args.parsedmarc)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(work: Path, count: int, parsedmarc: str | None) -> None:
    small, full = work / "small", work / "full"
    small.mkdir(), full.mkdir()
    size = generate(full, count)
    generate(small, max(count // 10, 1))
    print(f"corpus: {count} gzipped reports, {size / 2**20:.1f} MiB compressed\n")
    print("| tool | reports | wall s | CPU s | peak RSS MiB |\n|---|---|---|---|---|")
    for directory, n in ((small, max(count // 10, 1)), (full, count)):
        wall, cpu, rss = measure(
            [
                *TOOL,
                str(directory),
                "--offline",
                "-q",
                "--format",
                "json",
                "--output",
                str(work / f"ours-{n}.json"),
            ]
        )
        print(f"| deliverability dmarc-reports | {n} | {wall:.1f} | {cpu:.1f} | {rss:.0f} |")
    if parsedmarc and Path(parsedmarc).exists():
        out = work / "parsedmarc-out"
        wall_p, cpu_p, rss_p = measure([parsedmarc, "--offline", "-s", "-o", str(out), str(full)])
        print(f"| parsedmarc --offline | {count} | {wall_p:.1f} | {cpu_p:.1f} | {rss_p:.0f} |")
        print(
            f"\nspeed-up: {wall_p / wall:.1f}x wall, {cpu_p / cpu:.1f}x CPU; "
            f"memory {rss_p / rss:.1f}x less"
        )


if __name__ == "__main__":
    main()
