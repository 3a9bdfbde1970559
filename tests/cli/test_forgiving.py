"""Forgiving input: each near miss is accepted, or gets one line saying what to type."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli
from paths import ROOT

ZONES = ["--offline", "--zone-file", ROOT / "examples" / "example.com.zone",
         "--zone-file", ROOT / "examples" / "2.0.192.in-addr.arpa.zone"]


@pytest.mark.parametrize(("args", "hint"), [
    (["example.com"], "deliverability check example.com"),
    (["example.com", "--ip", "192.0.2.10"], "deliverability check example.com --ip 192.0.2.10"),
    (["check", "example.com", "--fail-on", "errors"], "did you mean 'error'?"),
    (["check", "example.com", "-f", "jsn"], "did you mean 'json'?"),
    (["check", "example.com", "--select", "spff", "--offline"], "did you mean 'spf'?"),
    (["explain", "spf.mising"], "did you mean 'spf.missing'?"),
])
def test_a_near_miss_gets_a_one_line_hint(args: list[str], hint: str) -> None:
    result = run_cli(*args)
    assert result.code == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and hint in result.stderr


@pytest.mark.parametrize(("given", "note"), [
    ("https://example.com/path?q=1", True),
    ("bob@example.com", True),
    ("EXAMPLE.com", False),
])
def test_a_url_or_address_is_checked_as_its_domain(given: str, note: bool) -> None:
    result = run_cli("check", given, "--select", "mx", "--format", "json", *ZONES)
    assert result.code == 0 and result.json()["target"]["domain"] == "example.com"
    assert ("checking example.com" in result.stderr) is note


@pytest.mark.parametrize("flags", [
    ["-f", "JSON"], ["--format", "Json"], ["--select", "MX", "-f", "json"],
    ["--fail-on", "WARNING", "-f", "json"],
])
def test_choices_are_case_insensitive(flags: list[str]) -> None:
    result = run_cli("check", "example.com", "--select", "mx", *flags, *ZONES)
    assert result.code in (0, 1) and result.json()["checks"].keys() == {"mx"}


def test_explain_a_check_lists_its_codes() -> None:
    result = run_cli("explain", "spf")
    assert result.code == 0 and "spf.missing" in result.stdout and "spf.ip-fail" in result.stdout


def write_profile(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "deliverability.toml"
    path.write_text("[sender]\n" + body, encoding="utf-8")
    return path


def test_the_profile_gives_ips_selectors_helo_and_envelope_sender(tmp_path: Path) -> None:
    profile = write_profile(tmp_path, 'ips = ["192.0.2.10", "198.51.100.0/24"]\n'
                            'dkim_selectors = ["s1"]\nsmtp_hosts = ["mail.example.com"]\n'
                            'return_path_domains = ["example.com"]\n')
    result = run_cli("check", "example.com", "--profile", profile, "-f", "json", *ZONES)
    target = result.json()["target"]
    assert (target["ips"], target["selectors"], target["helo"], target["mail_from"]) == (
        ["192.0.2.10"], ["s1"], "mail.example.com", "postmaster@example.com")
    assert "rdns.ok" in {f["code"] for f in result.json()["checks"]["rdns"]["findings"]}


def test_flags_win_over_the_profile(tmp_path: Path) -> None:
    profile = write_profile(tmp_path, 'ips = ["192.0.2.10"]\nsmtp_hosts = ["a.example.com"]\n')
    result = run_cli("check", "example.com", "--profile", profile, "--ip", "192.0.2.99",
                     "--helo", "mail.example.com", "-f", "json", *ZONES)
    assert (result.json()["target"]["ips"], result.json()["target"]["helo"]) == (
        ["192.0.2.99"], "mail.example.com")


def test_without_domain_each_from_domain_is_checked(tmp_path: Path) -> None:
    one = write_profile(tmp_path, 'from_domains = ["example.com"]\n')
    result = run_cli("check", "--profile", one, "-f", "json", "--select", "mx", *ZONES)
    assert result.code == 0 and result.json()["target"]["domain"] == "example.com"
    two = write_profile(tmp_path, 'from_domains = ["example.com", "example.net"]\n')
    result = run_cli("check", "--profile", two, "-f", "json", "--select", "mx", "-q", *ZONES)
    import json

    assert {json.loads(line)["target"]["domain"] for line in result.stdout.splitlines()} == {
        "example.com", "example.net"}  # in the order they finish, as with --from-file


def test_no_domain_and_no_profile_domains_is_one_line(tmp_path: Path) -> None:
    profile = write_profile(tmp_path, 'ips = ["192.0.2.10"]\n')
    result = run_cli("check", "--profile", profile)
    assert result.code == 2 and "from_domains" in result.stderr
