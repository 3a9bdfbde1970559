"""Configuration files: found up the tree (stopping at the repository root), [check] defaults
under the flags, `deliverability config` naming where each value came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

ZONE = """\
$ORIGIN cfg.test.
$TTL 300
@       MX    10 mx1
@       TXT   "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc  TXT   "v=DMARC1; p=none"
mx1     A     192.0.2.25
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository (it has .git) with a zone file, the current directory two folders down;
    inside tmp_path, so a file written beside it stays out of every other test's parents."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "cfg.test.zone").write_text(ZONE)
    work = root / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return root


def checked(repo: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli("check", "cfg.test", "--offline", "--zone-file", repo / "cfg.test.zone",
                   "--format", "json", *args)


@pytest.mark.parametrize("where", ["deliverability.toml", "pyproject.toml"])
def test_a_check_table_in_a_parent_changes_what_runs_and_the_flag_overrides_it(
    repo: Path, where: str
) -> None:
    table = '[check]\nselect = ["mx", "dmarc"]\nfail-on = "warning"\n'
    if where == "pyproject.toml":
        table = '[project]\nname = "x"\n[tool.deliverability.check]\nselect = ["mx", "dmarc"]\nfail-on = "warning"\n'
    (repo / where).write_text(table)
    result = checked(repo)
    assert set(result.json()["checks"]) == {"mx", "dmarc"} and result.code == 1  # p=none warns
    assert checked(repo, "--fail-on", "error").code == 0
    assert set(checked(repo, "--select", "spf").json()["checks"]) == {"spf"}
    assert set(checked(repo, "--no-config").json()["checks"]) > {"mx", "spf", "dmarc"}


def test_the_search_stops_at_the_repository_root(repo: Path) -> None:
    (repo.parent / "deliverability.toml").write_text('[check]\nselect = ["mx"]\n')
    assert set(checked(repo).json()["checks"]) > {"mx"}


def test_config_names_the_source_of_every_value(repo: Path) -> None:
    (repo / "deliverability.toml").write_text('[check]\nselect = "mx"\ntimeout = 2\n')
    lines = run_cli("config", "--timeout", "3").stdout.splitlines()
    sources = dict(line.split(" = ", 1)[0:1] + [line.rsplit("# ", 1)[1]] for line in lines if " = " in line)
    assert sources["select"] == str(repo / "deliverability.toml")
    assert sources["timeout"] == "flag" and sources["fail-on"] == "default"


@pytest.mark.parametrize(("table", "key"), [
    ('[check]\nfail-on = "sometimes"\n', "fail-on"),
    ('[check]\ntimeout = -1\n', "timeout"),
    ('[check]\nresolver = "nonsense"\n', "resolver"),
    ('[check]\nconcurrency = 0\n', "concurrency"),
    ('[check]\nworkers = 65\n', "workers"),
    ('[check]\nstrict = "yes"\n', "strict"),
    ('[check]\nformat = "xml"\n', "format"),
    ('[check]\nselekt = ["mx"]\n', "selekt"),
    ('[check\n', "invalid TOML"),
])
def test_a_bad_value_is_one_line_naming_file_and_key(repo: Path, table: str, key: str) -> None:
    (repo / "deliverability.toml").write_text(table)
    result = checked(repo)
    assert result.code == 2 and result.stderr.count("\n") == 1
    assert "deliverability.toml" in result.stderr and key in result.stderr


def test_the_profile_in_the_same_file_keeps_working(repo: Path) -> None:
    (repo / "deliverability.toml").write_text(
        '[check]\nselect = ["mx"]\n[sender]\nfrom_domains = ["cfg.test"]\n')
    result = run_cli("check", "--offline", "--zone-file", repo / "cfg.test.zone", "--format",
                     "json")
    assert result.json()["target"]["domain"] == "cfg.test" and set(result.json()["checks"]) == {"mx"}


@pytest.mark.parametrize(("flag", "escapes"), [("always", True), ("never", False)])
def test_color_flag_wins_over_the_environment(repo: Path, monkeypatch, flag: str, escapes: bool) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NO_COLOR" if escapes else "FORCE_COLOR", "1")
    result = run_cli("--color", flag, "check", "cfg.test", "--offline", "--zone-file",
                     repo / "cfg.test.zone", "--select", "mx")
    assert ("\x1b[" in result.stdout) is escapes


def test_shell_completion_is_offered() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "deliverability", "--show-completion", "bash"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "complete" in result.stdout
