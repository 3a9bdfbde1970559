"""`fix --format patch` over every zone file of the suite: for each domain in it with a
problem that has a verified change, the patch applied to a copy of the zone file and
the check run again shows the fixed findings gone, no new error or warning, and the
SPF verdict (pyspf) of every sender the record authorized unchanged (issue 18)."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from pathlib import Path
from typing import Any

import dns.name
import dns.rdatatype
import pytest

from conftest import run_cli
from deliverability.cli.fix import FIX_CHECKS
from deliverability.net.zonefile import load_zone_file
from paths import ROOT

ZONES = sorted(p for top in ("tests", "examples") for p in (ROOT / top).rglob("*.zone"))
SELECT = ",".join(FIX_CHECKS)
# the names under a domain whose records these checks read
_CHILDREN = ("_dmarc", "_mta-sts", "_tls", "_bimi", "_domainkey")  # _smtp._tls
MAX_SENDERS = 8  # one address per authorized network is enough to see a lost sender


def domains_in(path: Path) -> list[str]:
    """The mail domains a zone describes: names with an MX or SPF record, or a child
    that a fixable check reads (`_dmarc.NAME`, `sel._domainkey.NAME`, ...)."""
    zone = load_zone_file(path).zone
    found: set[dns.name.Name] = set()
    for name, node in zone.nodes.items():
        absolute = name.derelativize(zone.origin)
        labels = [label.decode().lower() for label in absolute.labels[:-1]]
        if any(label in _CHILDREN for label in labels):
            index = max(i for i, label in enumerate(labels) if label in _CHILDREN)
            found.add(dns.name.Name(absolute.labels[index + 1 :]))
        elif not any(label.startswith("_") or label == "*" for label in labels) and _mail_records(node):
            found.add(absolute)
    return sorted(n.to_text(omit_final_dot=True) for n in found if n.is_subdomain(zone.origin))


def _mail_records(node: Any) -> bool:
    for rdataset in node.rdatasets:
        if rdataset.rdtype == dns.rdatatype.MX:
            return True
        if rdataset.rdtype == dns.rdatatype.TXT and any(
            b"".join(r.strings).lower().startswith(b"v=spf1") for r in rdataset
        ):
            return True
    return False


def run(*args: Any) -> Any:
    return run_cli(*args, "--offline", "--timeout", "1")


def report(domain: str, zone: Path, *flags: str) -> dict[str, Any]:
    result = run("check", domain, "--zone-file", zone, "--select", SELECT, "--format", "json", *flags)
    assert result.code in (0, 1), result.stderr
    return result.json()


def findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for check in report["checks"].values() for f in check["findings"]]


def fixed(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["code"], f["subject"]) for f in findings(report)
            if any(c["verified"] for c in f["changes"])}


def problems(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f["code"], f["subject"], f["severity"]) for f in findings(report)
            if f["severity"] in ("error", "warning")}


def senders(report: dict[str, Any]) -> list[str]:
    spf = report["checks"].get("spf", {}).get("data", {})
    networks = [ipaddress.ip_network(n["network"], strict=False) for n in spf.get("networks", [])]
    return [str(n.network_address) for n in networks][:MAX_SENDERS]


def spf_results(domain: str, zone: Path, ips: list[str]) -> dict[str, str]:
    """pyspf's verdict for each IP (the spf check's `results`)."""
    if not ips:
        return {}
    flags = [flag for ip in ips for flag in ("--ip", ip)]
    return report(domain, zone, "--select", "spf", *flags)["checks"]["spf"]["data"]["results"]


def patched(domain: str, zone: Path, workdir: Path) -> Path:
    """A copy of `zone` in `workdir` with `fix --format patch` applied by patch(1)."""
    copy = workdir / zone.name
    shutil.copy(zone, copy)
    out = run_in(workdir, "fix", domain, "--zone-file", zone.name, "--format", "patch")
    applied = subprocess.run(["patch", "-p0", "-s", "--no-backup-if-mismatch"], input=out,
                             text=True, cwd=workdir, capture_output=True, check=False)
    assert applied.returncode == 0, applied.stdout + applied.stderr + out
    return copy


def run_in(workdir: Path, *args: str) -> str:
    import os

    here = Path.cwd()
    os.chdir(workdir)
    try:
        result = run(*args)
    finally:
        os.chdir(here)
    assert result.code in (0, 1), result.stderr
    return result.stdout


@pytest.mark.parametrize("zone", ZONES, ids=[str(z.relative_to(ROOT)) for z in ZONES])
def test_the_patch_fixes_what_it_claims_and_breaks_nothing(zone: Path, tmp_path: Path) -> None:
    failures = []
    for domain in domains_in(zone):
        before = report(domain, zone)
        claimed = fixed(before)
        if not claimed:
            continue
        copy = patched(domain, zone, tmp_path)
        after = report(domain, copy)
        still = claimed & {(f["code"], f["subject"]) for f in findings(after)}
        new = problems(after) - problems(before)
        was = spf_results(domain, zone, senders(before))
        authorized = [ip for ip, result in was.items() if result == "pass"]
        now = spf_results(domain, copy, authorized)
        lost = {ip: now[ip] for ip in authorized if now[ip] != "pass"}
        if still or new or lost:
            failures.append(f"{domain}: still {sorted(still)}, new {sorted(new)}, lost {lost}")
    assert not failures, "\n".join(failures)
