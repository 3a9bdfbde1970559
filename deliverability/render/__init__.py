"""Renderers: pure functions of a Report. No I/O, no filtering, no lookups.

Each format is one module exposing `render(report, *, verbose=False)`; `FORMATS`
maps the `--format` name to its module path so only the chosen one is imported.
"""

from __future__ import annotations

import importlib
from typing import Any

FORMATS = {
    "terminal": "deliverability.render.terminal",
    "markdown": "deliverability.render.markdown",
    "json": "deliverability.render.json",
    "sarif": "deliverability.render.sarif",
    "junit": "deliverability.render.junit",
    "csv": "deliverability.render.csv",
    "html": "deliverability.render.html",
    "text": "deliverability.render.text",
    "github": "deliverability.render.github",
    "gitlab": "deliverability.render.gitlab",
    "concise": "deliverability.render.concise",
}


def renderer(name: str) -> Any:
    """The `render` function of the format `name` (a key of FORMATS)."""
    return importlib.import_module(FORMATS[name]).render
