"""`check --workers N`: a bulk run checked by N forked processes writes what one process
writes, in input order, keeps the --qps promise, and leaves no process behind.

Run as subprocesses: the test process has the DNS server's thread, and a fork of a
threaded process is what cli/workers.py refuses."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_shard_merge import TARGETS, comparable

SCOPE = ("--select", "spf,dmarc,mx", "--timeout", "3", "--fail-on", "never")


def run(world, tmp_path: Path, *args: str, text: str = TARGETS) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def,type-arg]
    path = tmp_path / "targets.txt"
    path.write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "deliverability", "check", "--from-file", str(path),
         "--resolver", world.address, *SCOPE, *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )


def busiest(arrivals: list[float], window: float) -> int:
    """The most questions the server saw in any `window` seconds."""
    return max((sum(1 for t in arrivals[i:] if t - start < window)
                for i, start in enumerate(arrivals)), default=0)


def summary(stderr: str) -> str:
    return re.sub(r"in [0-9.]+s, \d+ DNS queries", "", stderr)  # timing; shared-cache counts


@pytest.mark.parametrize("output_format", ["json", "csv"])
def test_workers_write_what_one_process_writes(world, tmp_path: Path, output_format: str) -> None:  # type: ignore[no-untyped-def]
    one = run(world, tmp_path, "--format", output_format)
    three = run(world, tmp_path, "--format", output_format, "--workers", "3")
    assert (three.returncode, summary(three.stderr)) == (one.returncode, summary(one.stderr))
    assert comparable(three.stdout, output_format) == comparable(one.stdout, output_format)
    assert three.stdout.splitlines()[:1] == one.stdout.splitlines()[:1]  # the CSV header too
    if output_format == "json":  # input order, as written: not re-sorted by the comparison
        lines = [json.loads(x)["line"] for x in three.stdout.splitlines()]
        assert lines == sorted(lines) and len(lines) == 13


def test_workers_split_a_shard_further(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    alone = run(world, tmp_path, "--format", "json", "--shard", "1/2")
    split = run(world, tmp_path, "--format", "json", "--shard", "1/2", "--workers", "2")
    assert comparable(split.stdout, "json") == comparable(alone.stdout, "json")
    assert 0 < len(split.stdout.splitlines()) < 13


def test_workers_share_the_qps_cap(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = "".join(f"host{i}.ok.mx.test\n" for i in range(30))
    result = run(world, tmp_path, "--format", "json", "--qps", "40", "--workers", "3",
                 "--select", "mx", text=text)
    assert result.returncode == 0, result.stderr
    assert busiest(world.arrivals, 0.5) <= 40 * 0.5 + 2  # the cap of one process, not three


def test_workers_without_a_bulk_run_is_a_one_line_error(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "deliverability", "check", "ok.mx.test",
                             "--offline", "--workers", "2"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == ("deliverability: error: --workers splits a bulk run "
                             "(several DOMAINs or --from-file)\n")


def test_workers_from_the_configuration_split_bulk_runs_only(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "deliverability.toml").write_text("[check]\nworkers = 3\n")
    bulk = run(world, tmp_path, "--format", "json")
    alone = run(world, tmp_path, "--format", "json", "--workers", "1")  # the flag wins
    assert bulk.returncode == alone.returncode
    assert comparable(bulk.stdout, "json") == comparable(alone.stdout, "json")
    one = subprocess.run([sys.executable, "-m", "deliverability", "check", "ok.mx.test",
                          "--resolver", world.address, *SCOPE, "--format", "json"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert one.returncode == 0, one.stderr  # one domain: the file's default is no error
    shown = subprocess.run([sys.executable, "-m", "deliverability", "config"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert f"workers = 3  # {tmp_path / 'deliverability.toml'}" in shown.stdout


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if f"\nPPid:\t{pid}\n" in status.read_text():
                found.append(int(status.parent.name))
        except OSError:
            continue
    return found


def _slow_run(world, tmp_path: Path, targets: int = 60) -> subprocess.Popen:  # type: ignore[no-untyped-def,type-arg]
    path = tmp_path / "targets.txt"
    path.write_text("".join(f"host{i}.ok.mx.test\n" for i in range(targets)))
    world.latency = 0.1
    return subprocess.Popen(
        [sys.executable, "-m", "deliverability", "check", "--from-file", str(path), "--resolver",
         world.address, "--select", "mx", "--concurrency", "1", "--format", "json",
         "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
@pytest.mark.parametrize(("stop", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_run_keeps_its_finished_prefix_and_ends_every_worker(world, tmp_path: Path, stop, code) -> None:  # type: ignore[no-untyped-def]
    proc = _slow_run(world, tmp_path)
    first = proc.stdout.readline()  # type: ignore[union-attr]
    workers = _children(proc.pid)
    assert len(workers) == 2
    proc.send_signal(stop)
    rest, err = proc.communicate(timeout=20)
    assert proc.returncode == code, err
    lines = [json.loads(x)["line"] for x in (first + rest).splitlines()]
    assert lines == list(range(1, len(lines) + 1)) and 1 <= len(lines) < 60  # a prefix
    assert "Traceback" not in err
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]  # reaped, not orphans


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_worker_that_dies_fails_the_run_in_one_line(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """At once: the other worker, 100 targets (~20 s) from its end, is stopped, not
    waited for."""
    proc = _slow_run(world, tmp_path, targets=200)
    proc.stdout.readline()  # type: ignore[union-attr]
    workers = _children(proc.pid)
    os.kill(workers[1], signal.SIGKILL)
    _, err = proc.communicate(timeout=8)
    assert proc.returncode == 70
    assert err.splitlines()[-1] == (
        "deliverability: error: internal error: WorkerFailed: a worker process was killed "
        "(signal 9) (--debug shows the traceback)"
    )
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]