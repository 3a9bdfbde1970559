"""Failing writes, closed pipes and signals, driven through real subprocesses (#14):
one line on stderr, a non-zero exit, never a traceback; --output is atomic."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paths import WORLD

ZONE = str(WORLD / "mx.test.zone")
CLI = [sys.executable, "-m", "deliverability"]
OFFLINE = ["--offline", "--zone-file", ZONE, "--select", "mx"]


def start(*args: str, stdout=subprocess.PIPE) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.Popen([*CLI, *args], stdout=stdout, stderr=subprocess.PIPE, env=env)


def one_line(stderr: bytes) -> str:
    text = stderr.decode()
    assert "Traceback" not in text
    assert len(text.strip().splitlines()) == 1, text
    return text


def targets(tmp_path: Path, count: int) -> str:
    path = tmp_path / "domains.txt"
    path.write_text("ok.mx.test\n" * count)
    return str(path)


def test_a_full_disk_is_one_line(tmp_path) -> None:
    result = start("check", "ok.mx.test", *OFFLINE, "-o", "/dev/full")
    _, err = result.communicate(timeout=60)
    assert result.returncode == 74 and "/dev/full" in one_line(err)


def test_debug_shows_the_traceback(tmp_path) -> None:
    result = start("--debug", "check", "ok.mx.test", *OFFLINE, "-o", "/dev/full")
    _, err = result.communicate(timeout=60)
    assert result.returncode == 74 and b"Traceback" in err


@pytest.mark.parametrize("fmt", ["json", "csv", "terminal"])
def test_a_reader_that_stops_after_three_lines_is_one_line(tmp_path, fmt: str) -> None:
    run = start("check", "--from-file", targets(tmp_path, 3000), *OFFLINE, "--format", fmt, "-q")
    assert run.stdout is not None
    lines = [run.stdout.readline() for _ in range(3)]
    run.stdout.close()
    _, err = run.communicate(timeout=120)
    assert all(lines) and run.returncode == 141
    one_line(err)


@pytest.mark.parametrize("fmt", ["terminal", "json", "markdown", "csv", "sarif"])
def test_head_on_one_report_never_tracebacks(fmt: str) -> None:
    run = start("check", "ok.mx.test", *OFFLINE, "--format", fmt)
    assert run.stdout is not None
    run.stdout.readline()
    run.stdout.close()
    _, err = run.communicate(timeout=60)
    assert b"Traceback" not in err and run.returncode in (0, 1, 141)


def wait_for_queries(world, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    """Until the run is asking DNS: started, its signal handlers installed."""
    deadline = time.monotonic() + seconds
    while world.count() < 20 and time.monotonic() < deadline:
        time.sleep(0.05)


def slow_bulk(world, tmp_path: Path, *extra: str, stdout=subprocess.PIPE):  # type: ignore[no-untyped-def]
    world.fault("delay", seconds=0.5)
    domains = tmp_path / "slow.txt"
    domains.write_text("".join(f"d{i}.mx.test\n" for i in range(400)))
    return start("check", "--from-file", str(domains), "--resolver", world.address,
                 "--select", "mx", "--format", "json", *extra, stdout=stdout)


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_bulk_run_keeps_the_previous_output(world, tmp_path, signum, status) -> None:
    output = tmp_path / "out.jsonl"
    output.write_text("previous\n")
    run = slow_bulk(world, tmp_path, "-o", str(output))
    wait_for_queries(world)
    run.send_signal(signum)
    _, err = run.communicate(timeout=60)
    assert (run.returncode, output.read_text()) == (status, "previous\n")
    assert b"Traceback" not in err and [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_a_finished_run_replaces_the_output(tmp_path) -> None:
    output = tmp_path / "out.jsonl"
    output.write_text("previous\n")
    run = start("check", "--from-file", targets(tmp_path, 5), *OFFLINE, "--format", "json",
                "-o", str(output))
    run.communicate(timeout=60)
    assert len(output.read_text().splitlines()) == 5


def test_ctrl_c_into_a_slow_reader_leaves_whole_lines(world, tmp_path) -> None:
    read_end, write_end = os.pipe()
    run = slow_bulk(world, tmp_path, stdout=write_end)
    os.close(write_end)
    wait_for_queries(world)
    time.sleep(1)  # the pipe fills while nobody reads
    run.send_signal(signal.SIGINT)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    run.wait(timeout=60)
    text = b"".join(chunks).decode()
    assert run.returncode == 130 and (text == "" or text.endswith("\n"))
