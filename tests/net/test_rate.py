"""--qps: at most N queries a second reach the resolver, counted where they arrive."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli
from deliverability.net import rate

TARGETS = "".join(f"host{i}.ok.mx.test\n" for i in range(70))  # NXDOMAIN: one MX query each


def busiest(arrivals: list[float], window: float) -> int:
    """The most questions that arrived within any `window` seconds."""
    return max(sum(1 for t in arrivals[i:] if t - start < window)
               for i, start in enumerate(arrivals))


@pytest.fixture
def bulk(world, tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(*args: str):  # type: ignore[no-untyped-def]
        path = tmp_path / "targets.txt"
        path.write_text(TARGETS)
        return run_cli("check", "--from-file", path, "--resolver", world.address, "--timeout", "2",
                       "--select", "mx", "--format", "json", "--quiet", *args)

    return run


def test_qps_holds_the_rate_at_the_server(bulk, world) -> None:  # type: ignore[no-untyped-def]
    bulk("--qps", "40", "--concurrency", "30")
    assert world.count() >= 60
    assert busiest(world.arrivals, 0.5) <= 40 * 0.5 + 2  # +1 by the arithmetic, +1 for jitter


def test_without_qps_the_same_run_is_faster_than_the_cap(bulk, world) -> None:  # type: ignore[no-untyped-def]
    bulk("--concurrency", "30")
    assert busiest(world.arrivals, 0.5) > 40 * 0.5 + 2  # so the test above can fail


def test_runs_over_the_bulk_threshold_get_the_default_cap(bulk, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(rate, "BULK_TARGETS", 10)
    monkeypatch.setattr(rate, "DEFAULT_BULK_QPS", 40.0)
    bulk("--concurrency", "30")
    capped = busiest(world.arrivals, 0.5)
    world.reset()
    bulk("--concurrency", "30", "--qps", "0")  # 0: no cap, whatever the size
    assert capped <= 40 * 0.5 + 2 < busiest(world.arrivals, 0.5)


@pytest.mark.parametrize("value", ["-1", "inf", "nan", "many"])
def test_a_bad_qps_is_a_one_line_error(value: str) -> None:
    result = run_cli("check", "ok.mx.test", "--offline", "--qps", value)
    assert result.code == 2 and "--qps" in result.stderr and result.stderr.count("\n") == 1
