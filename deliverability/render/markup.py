"""Escaping untrusted text for Markdown, shared by every renderer that writes Markdown."""

from __future__ import annotations

from deliverability.text import clean_line

# Inline syntax only: every line we write starts with our own prefix, so block syntax
# (#, >, +, 1.) cannot start one; without [ ] no link or image can form, without < &
# no HTML. Fewer escapes keep a pasted ticket readable as plain text too.
_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|~"} | {"<": "&lt;", "&": "&amp;"})


def escape(text: object) -> str:
    """`text` cleaned, on one line, with Markdown and HTML syntax made literal."""
    return clean_line(text).translate(_SPECIAL)
