"""--timeout is the total time a lookup may take: a resolver answering every question
2 s late gives the same report under the default 5 s as a prompt one (#14)."""

from __future__ import annotations

from conftest import run_cli


def test_a_resolver_two_seconds_late_gives_the_same_report(world) -> None:
    args = ("check", "ok.spf.test", "--resolver", world.address, "--format", "json")
    prompt = run_cli(*args).codes()
    world.fault("delay", seconds=2.0)
    assert run_cli(*args).codes() == prompt
