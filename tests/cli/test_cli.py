"""The command line: bad input is one line on stderr and exit 2; exit codes follow findings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli
from paths import TESTS

ZONE = TESTS / "world" / "mx.test.zone"


def bad_zone_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "binary": b"\x00\x01\x02 zone",
        "syntax": b"$ORIGIN bad.test.\n@ MX not-a-number mail\n",
        "include": b"$ORIGIN inc.test.\n$INCLUDE /etc/passwd\n",
        "latin1": "$ORIGIN l.test.\n@ TXT \"caf\xe9\"\n".encode("latin-1"),
    }
    paths = {}
    for name, content in files.items():
        paths[name] = tmp_path / f"{name}.zone"
        paths[name].write_bytes(content)
    unreadable = tmp_path / "unreadable.zone"
    unreadable.write_text("$ORIGIN u.test.\n")
    unreadable.chmod(0)
    paths["unreadable"] = unreadable
    paths["directory"] = tmp_path
    paths["missing"] = tmp_path / "nope.zone"
    return paths


BAD_ARGUMENTS = [
    ["check", "exa mple.com"],
    ["check", "a..b.com"],
    ["check", "-foo.com"],
    ["check", ""],
    ["check", "a" * 64 + ".com"],
    ["check", ".".join(["abcdefghi"] * 26) + ".com"],
    ["check", "xn--zz.com"],
    ["check", "\u05d0\u05d1.\u0627\u0628c.com"],  # mixed-direction label: bidi rule
    ["check", "under_score.com"],
    ["check", "example.com", "--ip", "999.1.1.1"],
    ["check", "example.com", "--ip", "1.2.3"],
    ["check", "example.com", "--ip", "::zz"],
    ["check", "example.com", "--resolver", "nonsense"],
    ["check", "example.com", "--resolver", "127.0.0.1:99999"],
    ["check", "example.com", "--resolver", "[::1"],
    ["check", "example.com", "--select", "nosuchcheck"],
    ["check", "example.com", "--ignore", "mx.nosuchcode"],
    ["check", "example.com", "--format", "xml"],
    ["check", "example.com", "--fail-on", "sometimes"],
    ["check", "example.com", "--timeout", "0"],
    ["check", "example.com", "--timeout", "inf"],
    ["check", "192.0.2.1"],  # an IP address where the domain belongs
    ["check", "example.com", "--recipient", "198.51.100.7"],
    ["check", "example.com", "--selector", "bad selector"],
    ["check", "example.com", "--selector", "s1._domainkey.example.com"],
    ["diff", "old.json", "new.json", "--format", "sarif"],
    ["check"],
    ["check", "example.com", "--no-such-flag"],
    ["nosuchcommand"],
    ["explain", "mx.nosuchcode"],
]


def assert_one_line_error(result) -> None:  # type: ignore[no-untyped-def]
    assert result.code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("deliverability: error: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", BAD_ARGUMENTS, ids=lambda a: " ".join(a)[:40])
def test_bad_arguments_give_one_line_and_exit_2(args: list[str]) -> None:
    assert_one_line_error(run_cli(*args, "--offline") if args[:1] == ["check"] and len(args) > 1
                          else run_cli(*args))


@pytest.mark.parametrize(
    "kind", ["binary", "syntax", "include", "latin1", "unreadable", "directory", "missing"]
)
def test_bad_zone_files_give_one_line_and_exit_2(tmp_path: Path, kind: str) -> None:
    if kind == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    path = bad_zone_files(tmp_path)[kind]
    assert_one_line_error(run_cli("check", "example.com", "--offline", "--zone-file", path))


def test_unwritable_output_gives_one_line(tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "report.json"
    result = run_cli("check", "ok.mx.test", "--offline", "--zone-file", ZONE, "-o", target)
    assert_one_line_error(result)


@pytest.mark.parametrize(
    ("domain", "flags", "status"),
    [
        ("ok.mx.test", [], 0),
        ("null.mx.test", [], 1),  # an error finding
        ("implicit.mx.test", [], 0),  # a warning, below the default --fail-on error
        ("implicit.mx.test", ["--fail-on", "warning"], 1),
        ("null.mx.test", ["--fail-on", "never"], 0),
        ("ok.mx.test", ["--mail-from", "a@outside.example.net"], 0),  # unknown: not failing
        ("ok.mx.test", ["--mail-from", "a@outside.example.net", "--strict"], 1),
    ],
)
def test_exit_status_follows_findings(domain: str, flags: list[str], status: int) -> None:
    result = run_cli("check", domain, "--offline", "--zone-file", ZONE, "--select", "mx", *flags)
    assert result.code == status, result.stdout


def test_a_domain_starting_with_a_dash_is_judged_as_a_domain() -> None:
    result = run_cli("check", "-foo.com")
    assert_one_line_error(result)
    assert "invalid label '-foo'" in result.stderr


def test_offline_without_a_zone_for_the_domain_warns_and_reports_unknown() -> None:
    result = run_cli("check", "example.com", "--offline", "--select", "mx", "--format", "json")
    assert result.code == 0 and result.codes() == {("mx.lookup-failed", "unknown")}
    assert result.stderr.startswith("deliverability: warning: --offline and no --zone-file")


def test_select_takes_comma_separated_names() -> None:
    result = run_cli("check", "ok.mx.test", "--offline", "--zone-file", ZONE,
                     "--select", "mx,rdns", "--format", "json")
    assert set(result.json()["checks"]) == {"mx", "rdns"}


def test_report_goes_to_output_file(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    result = run_cli("check", "ok.mx.test", "--offline", "--zone-file", ZONE,
                     "--select", "mx", "--format", "markdown", "-o", target)
    assert result.code == 0 and result.stdout == ""
    assert "mx.ok" in target.read_text()


def test_verbose_lists_each_query_once(tmp_path: Path) -> None:
    result = run_cli("check", "ok.mx.test", "--offline", "--zone-file", ZONE,
                     "--select", "mx", "--format", "markdown", "--verbose")
    assert result.stdout.count("| mx1.ok.mx.test | A |") == 1


def test_explain_prints_the_catalog_entry() -> None:
    result = run_cli("explain", "mx.null")
    assert result.code == 0
    assert result.stdout.startswith("mx.null: ")
    assert "RFC 7505" in result.stdout


@pytest.mark.parametrize("typed", ["mx.null", "MX.NULL", " mx.null "])
def test_explain_forgives_case_and_spaces(typed: str) -> None:
    result = run_cli("explain", typed)
    assert (result.code, result.stdout.split(":", 1)[0]) == (0, "mx.null")


def test_explain_covers_engine_codes() -> None:
    assert "DNS lookup" in run_cli("explain", "mx.lookup-failed").stdout


def test_checks_lists_every_builtin_check_with_codes() -> None:
    out = run_cli("checks").stdout
    assert "mx.null-mixed" in out and "rdns.not-confirmed" in out


def test_version() -> None:
    result = run_cli("--version")
    assert result.code == 0 and result.stdout.startswith("deliverability ")


def test_installed_console_script_and_module_entry_agree(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "deliverability"
    for command in ([str(script)], [sys.executable, "-m", "deliverability"]):
        done = subprocess.run(
            [*command, "check", "exa mple.com"], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
