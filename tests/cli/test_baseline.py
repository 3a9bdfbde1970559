"""Baselines: gate only on problems new since a saved report; identity is (code, subject)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import run_cli
from deliverability.baseline import compare
from deliverability.finding import Finding, Severity
from paths import ROOT

SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text())


def f(code: str, subject: str = "d.test", severity: Severity = Severity.ERROR,
      summary: str = "s") -> Finding:
    return Finding(code=code, severity=severity, subject=subject, summary=summary)


COMPARISONS = [
    # old, new -> (new, fixed, unchanged) codes
    ([], [f("a.x")], (["a.x"], [], [])),
    ([f("a.x")], [], ([], ["a.x"], [])),
    ([f("a.x", summary="old words")], [f("a.x", summary="new words")], ([], [], ["a.x"])),
    ([f("a.x", subject="one.test")], [f("a.x", subject="two.test")], (["a.x"], ["a.x"], [])),
    ([], [f("a.ok", severity=Severity.OK)], ([], [], [])),  # ok findings are not problems
    ([f("a.x", severity=Severity.WARNING)], [f("a.x")], ([], [], ["a.x"])),
]


@pytest.mark.parametrize(("old", "new", "expected"), COMPARISONS)
def test_compare_by_identity(old, new, expected) -> None:  # type: ignore[no-untyped-def]
    result = compare(old, new)
    got = tuple([x.code for x in part] for part in (result.new, result.fixed, result.unchanged))
    assert got == expected


@pytest.fixture
def saved(check, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Save the JSON report of `check ARGS` to a file and return its path."""

    def save(name: str, *args: str) -> Path:
        path = tmp_path / name
        path.write_text(check(*args, "--select", "mx").stdout)
        return path

    return save


NULL_BOUNCES = ("ok.mx.test", "--mail-from", "x@null.mx.test")


def test_a_problem_already_in_the_baseline_does_not_fail(check, saved) -> None:  # type: ignore[no-untyped-def]
    baseline = saved("base.json", *NULL_BOUNCES)
    result = check(*NULL_BOUNCES, "--select", "mx", "--baseline", baseline)
    assert result.code == 0
    assert result.json()["baseline"] == {"new": [], "fixed": [], "unchanged": 1, "regressed": []}
    jsonschema.validate(result.json(), SCHEMA)


def test_a_new_problem_fails_and_a_fixed_one_is_reported(check, saved) -> None:  # type: ignore[no-untyped-def]
    baseline = saved("base.json", "ok.mx.test", "--mail-from", "x@implicit.mx.test")
    result = check(*NULL_BOUNCES, "--select", "mx", "--baseline", baseline)
    assert result.code == 1
    changes = result.json()["baseline"]
    assert [x["code"] for x in changes["new"]] == ["mx.null"]
    assert [x["code"] for x in changes["fixed"]] == ["mx.implicit"]
    jsonschema.validate(result.json(), SCHEMA)


def test_rewording_a_summary_in_the_baseline_changes_nothing(check, saved) -> None:  # type: ignore[no-untyped-def]
    baseline = saved("base.json", *NULL_BOUNCES)
    report = json.loads(baseline.read_text())
    report["checks"]["mx"]["findings"][0]["summary"] = "worded differently"
    baseline.write_text(json.dumps(report))
    assert check(*NULL_BOUNCES, "--select", "mx", "--baseline", baseline).code == 0


def test_diff_of_two_saved_reports(saved) -> None:  # type: ignore[no-untyped-def]
    old = saved("old.json", "ok.mx.test")
    new = saved("new.json", *NULL_BOUNCES)
    forward = run_cli("diff", old, new, "--format", "json")
    assert forward.code == 1 and [x["code"] for x in forward.json()["new"]] == ["mx.null"]
    backward = run_cli("diff", new, old, "--format", "json")
    assert backward.code == 0 and [x["code"] for x in backward.json()["fixed"]] == ["mx.null"]
    assert run_cli("diff", old, new, "--fail-on", "never").code == 0


@pytest.mark.parametrize("content", ["{", "[1]", '{"tool": {"name": "other"}}', "\xff"])
def test_unreadable_baselines_are_one_line_errors(check, tmp_path: Path, content: str) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="latin-1")
    for result in (run_cli("diff", bad, bad), check("ok.mx.test", "--baseline", bad)):
        assert result.code == 2
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_missing_baseline_file_is_exit_2(check, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = check("ok.mx.test", "--baseline", tmp_path / "none.json")
    assert result.code == 2 and "no such file" in result.stderr


def test_sarif_marks_results_new_or_unchanged_since_the_baseline(world, saved) -> None:  # type: ignore[no-untyped-def]
    baseline = saved("base.json", "ok.mx.test", "--mail-from", "x@implicit.mx.test")
    result = run_cli("check", *NULL_BOUNCES, "--resolver", world.address, "--select", "mx",
                     "--format", "sarif", "--baseline", baseline)
    run = json.loads(result.stdout)["runs"][0]
    assert run["results"] == []  # live DNS: no file to point at, so notifications
    states = {n["associatedRule"]["id"]: n["properties"].get("baselineState")
              for n in run["invocations"][0]["toolExecutionNotifications"]}
    assert states == {"mx.null": "new"}
    assert result.code == 1
