"""`check --from-file --shard I/N` and `merge`: a run split across machines and put back."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import run_cli

from deliverability.shard import shard_of

TARGETS = """\
# customers, with a comment, a bad line and a name in capitals
ok.spf.test
none.spf.test
multiple.spf.test
lookalike.spf.test
reject.dmarc.test
none.dmarc.test
inherit.dmarc.test
not a domain
OK.MX.test
partial.mx.test
null-mixed.mx.test
Bücher.example
missing.dmarc.test
"""
CSV_TARGETS = "domain,ip\nok.spf.test,192.0.2.10\nnone.dmarc.test,\nnot a domain,\n"
SCOPE = ("--select", "spf,dmarc,mx", "--timeout", "3", "--quiet")  # 3 s: a busy machine


@pytest.fixture
def run(world, tmp_path: Path):  # type: ignore[no-untyped-def]
    """check --from-file targets.txt against the world, with extra flags; returns a CliResult."""

    def check(*args: str, text: str = TARGETS):  # type: ignore[no-untyped-def]
        path = tmp_path / "targets.txt"
        path.write_text(text)
        return run_cli("check", "--from-file", path, "--resolver", world.address, *SCOPE, *args)

    return check


def lines_of(stdout: str) -> list[int]:
    return [json.loads(line)["line"] for line in stdout.splitlines()]


def comparable(stdout: str, output_format: str) -> list[object]:
    """Records in input order, as far as runs agree: what was found (not timings, record
    order within an answer or the counts of a shared cache)."""
    if output_format == "csv":
        rows = list(csv.DictReader(io.StringIO(stdout)))
        return sorted(({**r, "dns_queries": "", "problem_codes": sorted(r["problem_codes"].split())}
                       for r in rows), key=lambda r: int(r["line"]))
    return sorted(map(_found, map(json.loads, stdout.splitlines())), key=lambda r: r["line"])


def _found(record: dict) -> dict:
    checks = {name: (check["status"], sorted((f["code"], f["severity"], f["subject"])
                                             for f in check["findings"]))
              for name, check in record.get("checks", {}).items()}
    return {"line": record["line"], "target": record.get("target"),
            "failure": record.get("failure"), "checks": checks}


@pytest.mark.parametrize(("domain", "count", "shard"), [
    ("example.com", 2, 1), ("example.com", 7, 5), ("example.com", 1000, 309),
    ("ok.spf.test", 3, 2), ("xn--bcher-kva.example", 1000, 160),
])
def test_the_assignment_is_sha256_of_the_domain_on_every_machine(domain, count, shard) -> None:  # type: ignore[no-untyped-def]
    assert shard_of(domain, count) == shard


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_shards_partition_the_input_exactly(run, count) -> None:  # type: ignore[no-untyped-def]
    whole = lines_of(run("--format", "json").stdout)
    parts = [lines_of(run("--format", "json", "--shard", f"{i}/{count}").stdout)
             for i in range(count)]
    every = [line for part in parts for line in part]
    assert sorted(every) == sorted(whole) and len(set(every)) == len(every) == 13


def test_a_name_is_in_the_same_shard_however_it_is_written(run) -> None:  # type: ignore[no-untyped-def]
    text = "ok.mx.test\nOK.MX.TEST.\n Ok.Mx.Test\n"
    shards = [lines_of(run("--format", "json", "--shard", f"{i}/5", text=text).stdout)
              for i in range(5)]
    assert sorted(len(part) for part in shards) == [0, 0, 0, 0, 3]


@pytest.mark.parametrize(("shard_format", "merged_format"), [
    ("json", "json"), ("json", "csv"), ("csv", "csv"),
])
def test_merging_the_shards_of_a_run_equals_the_unsharded_run(  # type: ignore[no-untyped-def]
    run, tmp_path: Path, shard_format, merged_format
) -> None:
    whole = run("--format", merged_format)
    files = []
    for i in range(3):
        files.append(tmp_path / f"shard-{i}.{shard_format}")
        run("--format", shard_format, "--shard", f"{i}/3", "-o", files[-1])
    merged = run_cli("merge", *files, "--format", merged_format)
    assert comparable(merged.stdout, merged_format) == comparable(whole.stdout, merged_format)
    assert merged.code == whole.code == 1
    assert "13 targets" in merged.stderr


def test_merge_writes_input_order_and_the_terminal_format(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = [tmp_path / f"{i}.jsonl" for i in range(2)]
    for i, path in enumerate(files):
        run("--format", "json", "--shard", f"{i}/2", "-o", path)
    merged = run_cli("merge", *reversed(files), "-q")  # default: the shards' format
    assert lines_of(merged.stdout) == sorted(lines_of(merged.stdout)) and merged.stderr == ""
    terminal = run_cli("merge", *files, "--format", "terminal", "-q")
    assert len(terminal.stdout.splitlines()) == 13


def test_csv_input_with_ips_merges(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = [tmp_path / f"{i}.csv" for i in range(2)]
    for i, path in enumerate(files):
        run("--format", "csv", "--shard", f"{i}/2", "-o", path, text=CSV_TARGETS)
    rows = list(csv.DictReader(io.StringIO(run_cli("merge", *files, "-q").stdout)))
    whole = list(csv.DictReader(io.StringIO(run("--format", "csv", text=CSV_TARGETS).stdout)))
    assert [(r["line"], r["ips"], r["status"]) for r in rows] == sorted(
        (r["line"], r["ips"], r["status"]) for r in whole)
    assert [r["line"] for r in rows] == ["2", "3", "4"] and rows[0]["ips"] == "192.0.2.10"


def test_fail_on_and_strict_count_for_merge_as_for_check(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "one.csv"
    run("--format", "csv", "-o", path, text="reject.dmarc.test\n")
    codes = [run_cli("merge", path, *flags, "-q").code
             for flags in ((), ("--fail-on", "warning"), ("--fail-on", "never"))]
    assert codes == [run("--format", "csv", *flags, text="reject.dmarc.test\n").code
                     for flags in ((), ("--fail-on", "warning"), ("--fail-on", "never"))]


@pytest.mark.parametrize(("args", "message"), [
    (("--shard", "3/3"), "0 to 2"),
    (("--shard", "0/0"), "N must be"),
    (("--shard", "1"), "expected I/N"),
    (("--shard", "-1/3"), "expected I/N"),
])
def test_a_bad_shard_is_a_one_line_error(run, args, message) -> None:  # type: ignore[no-untyped-def]
    result = run(*args)
    assert result.code == 2 and message in result.stderr and result.stderr.count("\n") == 1


def test_shard_without_from_file_is_a_one_line_error() -> None:
    result = run_cli("check", "ok.mx.test", "--shard", "0/2", "--offline")
    assert result.code == 2 and "--from-file" in result.stderr


@pytest.mark.parametrize(("files", "args", "message"), [
    (("missing.jsonl",), (), "cannot read"),
    (("notes.txt",), (), "not a shard output"),
    (("a.csv", "a.csv"), (), "in two shard files"),
    (("a.csv", "a.jsonl"), (), "not the same output"),
    (("a.csv",), ("--format", "json"), "CSV shards merge into CSV only"),
    (("broken.jsonl",), (), "not a deliverability report"),
    (("a.jsonl",), ("--format", "sarif"), "writes terminal, json or csv"),
])
def test_bad_merge_input_is_a_one_line_error(run, tmp_path: Path, monkeypatch, files, args, message) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    run("--format", "csv", "-o", "a.csv", text="ok.mx.test\n")
    run("--format", "json", "-o", "a.jsonl", text="ok.mx.test\n")
    Path("notes.txt").write_text("ok.mx.test\n")
    Path("broken.jsonl").write_text('{"line": 1, "target": 3}\n')
    result = run_cli("merge", *files, *args)
    assert result.code == 2 and message in result.stderr and result.stderr.count("\n") == 1
