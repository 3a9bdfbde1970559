"""Hostile files (#14): /dev/zero as any file, deep nesting, a $GENERATE bomb, an
endless --from-file line: one line on stderr and exit 2, or one failed row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from paths import WORLD

ZONE = str(WORLD / "mx.test.zone")


def assert_one_line_error(result) -> None:  # type: ignore[no-untyped-def]
    lines = result.stderr.splitlines()
    assert (result.code, len(lines), "Traceback" in result.stderr) == (2, 1, False), result.stderr


def deep_files(tmp: Path) -> dict[str, str]:
    parts = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n'
                    for i in range(3000))
    files = {
        "toml": "a = " + "[" * 100_000 + "]" * 100_000 + "\n",
        "json": "[" * 200_000 + "]" * 200_000,
        "eml": "From: a@example.com\nTo: b@example.com\nSubject: x\nMIME-Version: 1.0\n"
               + parts + "Content-Type: text/plain\n\nhi\n",
        "zone": "$ORIGIN gen.test.\n$GENERATE 1-5000000 h$ A 192.0.2.1\n",
    }
    for suffix, text in files.items():
        (tmp / f"deep.{suffix}").write_text(text)
    return {suffix: str(tmp / f"deep.{suffix}") for suffix in files}


CASES = {
    "zone /dev/zero": ("check", "ok.mx.test", "--offline", "--zone-file", "/dev/zero"),
    "profile /dev/zero": ("check", "ok.mx.test", "--offline", "--profile", "/dev/zero"),
    "baseline /dev/zero": ("check", "ok.mx.test", "--offline", "--zone-file", ZONE,
                           "--baseline", "/dev/zero"),
    "diff /dev/zero": ("diff", "/dev/zero", "/dev/zero"),
    "from-file /dev/zero": ("check", "--from-file", "/dev/zero", "--offline"),
    "message /dev/zero": ("message", "/dev/zero", "--offline"),
    "toml 100,000 deep": ("check", "ok.mx.test", "--offline", "--profile", "{toml}"),
    "json 200,000 deep": ("diff", "{json}", "{json}"),
    "mime 3,000 deep": ("message", "{eml}", "--offline"),
    "generate 5,000,000": ("check", "gen.test", "--offline", "--zone-file", "{zone}"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_files_are_one_line_and_exit_2(tmp_path, case: str) -> None:
    paths = deep_files(tmp_path)
    args = [a.format(**paths) for a in CASES[case]]
    assert_one_line_error(run_cli(*args))


def test_a_200000_character_line_fails_its_row_not_the_run(tmp_path) -> None:
    targets = tmp_path / "targets.txt"
    targets.write_text("ok.mx.test\n" + "x" * 200_000 + "\nok.mx.test\n")
    result = run_cli("check", "--from-file", targets, "--offline", "--zone-file", ZONE,
                     "--select", "mx", "--format", "json")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [("failure" in row, row["line"]) for row in sorted(rows, key=lambda r: r["line"])] == [
        (False, 1), (True, 2), (False, 3)]
