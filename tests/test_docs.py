"""docs/checks.md documents every code of every built-in check, and nothing else."""

from __future__ import annotations

from pathlib import Path

from deliverability.catalog import documented_codes
from deliverability.checks.message import check as message
from deliverability.registry import ENGINE_CODES, load_checks, validate_check

DOCS = Path(__file__).parent.parent / "docs" / "checks.md"


def builtin_codes() -> set[str]:
    specs = [s for s in load_checks() if s.module.__name__.startswith("deliverability.")]
    specs.append(validate_check("message", message))  # run by `message` only, not an entry point
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
