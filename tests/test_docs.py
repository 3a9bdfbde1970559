"""docs/checks.md documents every code of every built-in check, and nothing else."""

from __future__ import annotations


from deliverability.catalog import documented_codes
from deliverability.registry import COMMAND_CHECKS, ENGINE_CODES, command_check, load_checks
from paths import ROOT

DOCS = ROOT / "docs" / "checks.md"


def builtin_codes() -> set[str]:
    specs = [s for s in load_checks() if s.module.__name__.startswith("deliverability.")]
    specs += [command_check(name) for name in COMMAND_CHECKS]  # run by their commands only
    return {code for spec in specs for code in spec.codes}


def test_every_code_is_documented() -> None:
    documented = set(documented_codes(DOCS.read_text()))
    assert builtin_codes() - documented == set()


def test_every_documented_code_exists() -> None:
    documented = set(documented_codes(DOCS.read_text()))
    engine = {f"<check>.{suffix}" for suffix in ENGINE_CODES}
    assert documented - builtin_codes() - engine == set()


def test_every_documented_code_says_how_to_fix_it_unless_it_is_ok() -> None:
    for code, text in documented_codes(DOCS.read_text()).items():
        if "**Severity:** ok" in text or "**Severity:** info" in text:
            continue
        assert "Fix" in text or "fix" in text, code
