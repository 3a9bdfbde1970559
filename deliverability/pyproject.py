"""Whether a pyproject.toml configures this tool: a `tool.deliverability` entry in its TOML.

One rule for settings.find_config and the console script's prefetch (launch.py), which
must agree on it (written as `[tool.deliverability]`, `[tool]` then `deliverability...`,
dotted or quoted). Standard library only; tomllib is loaded for a file that names the
tool at all.
"""

from __future__ import annotations


def configures_us(text: str) -> bool:
    """`text`, a pyproject.toml, has a `tool.deliverability` entry; a broken file is not ours."""
    if "deliverability" not in text:  # most projects' files: not worth parsing
        return False
    import tomllib

    try:
        tool = tomllib.loads(text).get("tool")
    except tomllib.TOMLDecodeError:
        return False  # someone else's broken file is not ours to report
    return isinstance(tool, dict) and "deliverability" in tool
