"""Failing writes, closed pipes and signals, driven through real subprocesses (#14):
one line on stderr, a non-zero exit, never a traceback; --output is atomic."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import struct
import subprocess
import sys
import termios
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


def stalled_bulk(world, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A bulk run of full --verbose reports (~20 KB a line, more than the pipe and the
    8 KB stdout buffer hold) into a 4 KiB pipe nobody reads yet; its read end."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    domains = tmp_path / "many.txt"
    domains.write_text("".join(f"d{i}.mx.test\n" for i in range(2000)))
    run = start("check", "--from-file", str(domains), "--resolver", world.address, "--timeout",
                "2", "--format", "json", "--verbose", "--quiet", stdout=write_end)
    os.close(write_end)
    return run, read_end


def wait_until_full(read_end: int, seconds: float = 60) -> None:
    """Until the pipe holds its 4 KiB: the run's next write blocks."""
    deadline = time.monotonic() + seconds
    while _unread(read_end) < 4096 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _unread(read_end) == 4096


def _unread(read_end: int) -> int:
    return struct.unpack("i", fcntl.ioctl(read_end, termios.FIONREAD, b"\0" * 4))[0]


def read_all(read_end: int) -> str:
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    return b"".join(chunks).decode()


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_the_reader_is_stalled_leaves_whole_lines(world, tmp_path, signum,
                                                                 status) -> None:
    run, read_end = stalled_bulk(world, tmp_path)
    wait_until_full(read_end)
    time.sleep(0.5)  # the record being written is now part in the pipe, part waiting
    run.send_signal(signum)
    text = read_all(read_end)
    _, err = run.communicate(timeout=60)
    assert run.returncode == status and b"Traceback" not in err
    assert text.endswith("\n") and all(json.loads(line) for line in text.splitlines())


def test_a_stalled_reader_does_not_stop_the_dns_work(world, tmp_path) -> None:
    run, read_end = stalled_bulk(world, tmp_path)
    wait_until_full(read_end)
    asked = world.count()
    time.sleep(2)
    still_asking = world.count() - asked
    run.send_signal(signal.SIGINT)
    read_all(read_end)
    run.communicate(timeout=60)
    assert still_asking > 100  # targets go on being checked while their lines wait

@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_bounce_run_keeps_the_previous_output(tmp_path, signum, status) -> None:
    fixtures = sorted((WORLD.parent / "checks" / "bounce" / "fixtures").glob("*.eml"))
    folder = tmp_path / "bounces"
    folder.mkdir()
    for number in range(3000):
        (folder / f"{number:05d}.eml").write_bytes(fixtures[number % len(fixtures)].read_bytes())
    output = tmp_path / "out.jsonl"
    output.write_text("previous\n")
    run = start("bounce", str(folder), "--format", "json", "-o", str(output))
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size for p in tmp_path.glob(".out.jsonl.*.tmp")):
        assert time.monotonic() < deadline and run.poll() is None  # lines are being written
        time.sleep(0.05)
    run.send_signal(signum)
    _, err = run.communicate(timeout=60)
    assert (run.returncode, output.read_text()) == (status, "previous\n")
    assert b"Traceback" not in err and list(tmp_path.glob(".out.jsonl.*")) == []


def _read_only_directory(tmp_path: Path) -> Path:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


def _sysfs() -> Path:
    return Path("/sys")  # no file can be made in sysfs, even by root: a real read-only target


def _creatable(folder: Path) -> bool:
    try:
        (folder / ".deliverability-probe").touch()
    except OSError:
        return False
    (folder / ".deliverability-probe").unlink()
    return True


@pytest.mark.parametrize("where", [_read_only_directory, lambda _: _sysfs()],
                         ids=["chmod-0555-directory", "sysfs"])
@pytest.mark.parametrize("args", [["check", "ok.mx.test", *OFFLINE],
                                  ["check", "--from-file", "FILE", *OFFLINE],
                                  ["bounce", str(WORLD.parent / "checks" / "bounce" / "fixtures")]],
                         ids=["one-report", "bulk", "bounces"])
def test_a_read_only_target_is_one_line_and_a_failing_exit(tmp_path, where, args) -> None:
    folder = where(tmp_path)
    if not folder.is_dir() or _creatable(folder):  # root may write a chmod 0555 directory
        pytest.skip(f"{folder} is writable here (running as uid {os.getuid()})")
    args = [targets(tmp_path, 3) if a == "FILE" else a for a in args]
    run = start(*args, "--format", "json", "-o", str(folder / "out.json"))
    _, err = run.communicate(timeout=60)
    assert run.returncode == 2 and "cannot write" in one_line(err)
