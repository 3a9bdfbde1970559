"""`fix --format patch` is a diff that patch(1) -p0 and `git apply -p0` both apply from the
directory the paths are relative to: only the records changed and the SOA serial (+1),
every comment and untouched line kept byte for byte (issue 18)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli
from paths import TESTS

TOOLS = {
    "patch": ["patch", "-p0", "-s", "--no-backup-if-mismatch"],
    "git": ["git", "apply", "-p0"],
}


def applied(tool: str, diff: str, where: Path) -> None:
    if shutil.which(TOOLS[tool][0]) is None:
        pytest.skip(f"{TOOLS[tool][0]} is not installed")
    done = subprocess.run(TOOLS[tool], input=diff, text=True, cwd=where, capture_output=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr + diff


@pytest.mark.parametrize("tool", sorted(TOOLS))
@pytest.mark.parametrize("absolute", [False, True])
def test_the_patch_applies_and_changes_only_the_records_and_the_serial(
        tool: str, absolute: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "zones").mkdir()
    zone = tmp_path / "zones" / "spf.test.zone"
    shutil.copy(TESTS / "world" / "spf.test.zone", zone)
    monkeypatch.chdir(tmp_path)
    before = zone.read_text()
    given = str(zone) if absolute else "zones/spf.test.zone"
    result = run_cli("fix", "long.spf.test", "--offline", "--zone-file", given, "--select", "spf",
                     "--format", "patch")
    assert result.code == 0, result.stderr
    assert "--- zones/spf.test.zone" in result.stdout  # relative, even when given absolute
    applied(tool, result.stdout, tmp_path)
    after = zone.read_text().splitlines()
    gone = [line for line in before.splitlines() if line not in after]
    assert [line.split()[0] for line in gone] == ["@", "long"]  # the SOA and the record
    soa = next(line for line in after if " SOA " in line)
    assert soa.split()[4] == "2" and before.splitlines()[3].split()[4] == "1"
    assert all(line in after for line in before.splitlines() if line.startswith(";"))
    assert after[-2:][0].startswith("_spf.long ") and after[-1].startswith("_spf2.long ")
    again = run_cli("check", "long.spf.test", "--offline", "--zone-file", given, "--select", "spf",
                    "--format", "json")
    assert "spf.too-long" not in {f["code"] for f in again.json()["checks"]["spf"]["findings"]}
