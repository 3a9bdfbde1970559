"""Plain text: the guide letter (or a report) for an email body, 72 columns wide.

No Markdown syntax, no HTML entities: a support agent pastes it into a mail client
as it is. Tables are aligned columns; long lines wrap under their text; a record
to copy stays on one line of its own. Text from outside passes clean_line().
"""

from __future__ import annotations

import textwrap

from rich.text import Text

from deliverability.finding import Report
from deliverability.render.document import Block, Document, Kind, document
from deliverability.render.style import split_record
from deliverability.text import clean_line

WIDTH = 72


def render(report: Report, *, verbose: bool = False, quiet: bool = False) -> str:
    """The letter (a guide run) or the report, as plain text."""
    return "\n".join(lines(document(report, verbose=verbose, quiet=quiet))) + "\n"


def letter_renderable(report: Report) -> Text:
    """The letter as plain text for the terminal (already wrapped: printed as it is)."""
    return Text("\n".join(lines(document(report))), no_wrap=True, overflow="ignore")


def lines(doc: Document, width: int = WIDTH) -> list[str]:
    """Every block of the document as wrapped lines."""
    title = clean_line(doc.title)
    out = [*textwrap.wrap(title, width), "=" * min(len(title), width), ""]
    for block in doc.blocks:
        out += _block(block, width)
    return out


def _block(block: Block, width: int) -> list[str]:
    if block.kind is Kind.HEADING:
        text = clean_line(block.text)
        return [text, "-" * min(len(text), width), ""]
    if block.kind is Kind.TABLE:
        return _table(block.rows, width) + [""]
    if block.kind is Kind.NOTE and block.items:
        return [line for item in block.items for line in _wrap(item, "", "", width)] + [""]
    if block.kind in (Kind.BULLETS, Kind.NUMBERED):
        return [
            line for i, item in enumerate(block.items, 1) for line in _item(block, i, item, width)
        ] + [""]
    return _wrap(block.text, "", "", width) + [""]


def _item(block: Block, number: int, item: str, width: int) -> list[str]:
    lead = f"{number}. " if block.kind is Kind.NUMBERED else "- "
    return _wrap(item, lead, " " * len(lead), width)


def _wrap(text: str, lead: str, indent: str, width: int) -> list[str]:
    """Wrapped under its text; a record inside gets a line of its own, unwrapped."""
    before, record, after = split_record(clean_line(text))
    out = _fill(before, lead, indent, width) or [lead.rstrip()]
    if record:
        out.append(indent + record)
        out += _fill(after, indent, indent, width)
    return out


def _fill(text: str, lead: str, indent: str, width: int) -> list[str]:
    # URLs and host names stay whole: no breaks at hyphens or inside words
    return textwrap.wrap(
        text,
        width,
        initial_indent=lead,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _table(rows: tuple[tuple[str, ...], ...], width: int) -> list[str]:
    """Aligned columns: the first column padded, the last wrapped under itself."""
    cells = [tuple(clean_line(c) for c in row) for row in rows]
    first = max(len(row[0]) for row in cells)
    out = []
    for index, row in enumerate(cells):
        lead = row[0].ljust(first) + "  "
        out += _fill(row[1], lead, " " * len(lead), width) or [lead.rstrip()]
        if index == 0:
            out.append("-" * min(width, max(len(line) for line in out)))
    return out
