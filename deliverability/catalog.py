"""The code catalog: docs/checks.md, read for `deliverability explain CODE`.

docs/checks.md is the one place each code is explained (what, why, how to fix,
references); a test keeps it in sync with the checks' CODES. The wheel carries a
copy inside the package; a source checkout reads docs/ directly.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from deliverability.registry import ENGINE_CODES, CheckSpec

_HEADING = re.compile(r"^### `([^`]+)`\s*$", re.MULTILINE)
_SOURCE_DOCS = Path(__file__).resolve().parent.parent / "docs" / "checks.md"


def catalog_text() -> str:
    """The text of checks.md, from the installed package or the source tree."""
    packaged = resources.files("deliverability").joinpath("checks.md")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    if _SOURCE_DOCS.is_file():
        return _SOURCE_DOCS.read_text(encoding="utf-8")
    return ""


def documented_codes(text: str) -> dict[str, str]:
    """Each `### `code`` section of checks.md: code -> its text up to the next heading."""
    sections: dict[str, str] = {}
    matches = list(_HEADING.finditer(text))
    for match, following in zip(matches, matches[1:] + [None], strict=True):
        end = following.start() if following else len(text)
        body = text[match.end() : end]
        body = re.split(r"^#{1,2} ", body, maxsplit=1, flags=re.MULTILINE)[0]
        sections[match.group(1)] = body.strip()
    return sections


def explain_code(code: str, specs: list[CheckSpec]) -> str | None:
    """What `deliverability explain CODE` prints, or None for an unknown code."""
    if not any(code in s.all_codes for s in specs):
        code = code.strip().lower()  # codes are lower-case slugs; forgive `MX.NULL`
    owner = next((s for s in specs if code in s.all_codes), None)
    if owner is None:
        return None
    sections = documented_codes(catalog_text())
    suffix = code.removeprefix(owner.name + ".")
    body = sections.get(code)
    if body is None and suffix in ENGINE_CODES:
        body = sections.get(f"<check>.{suffix}")
    title = owner.all_codes[code]
    if body is None:  # a third-party check: its title and module docstring are all we have
        body = owner.doc or "No further documentation."
    return f"{code}: {title}\n\n{body}\n"
