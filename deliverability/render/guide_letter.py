"""The guide as a Markdown letter to the recipient's IT team, ready to paste into a ticket.

The letter's layout is render/document.py's; this module only spells it in Markdown.
Values go in code spans so they copy cleanly; every other string is escaped like the
rest of the report.
"""

from __future__ import annotations

from deliverability.finding import Report
from deliverability.render.document import Block, Kind, letter_document
from deliverability.render.markup import escape
from deliverability.text import clean_line


def letter_lines(report: Report) -> list[str]:
    """The letter, as Markdown lines; [] when the report holds no guide for a recipient."""
    letter = letter_document(report)
    if letter is None:
        return []
    lines = [f"# {escape(letter.title)}"]
    for block in letter.blocks:
        lines += [""] + block_lines(block)
    return lines + [""]


def block_lines(block: Block) -> list[str]:
    """One block in Markdown."""
    if block.kind is Kind.HEADING:
        return [f"## {escape(block.text)}"]
    if block.kind is Kind.NOTE:
        return [f"_{'; '.join(escape(t) for t in block.items or (block.text,))}_"]
    if block.kind is Kind.BULLETS:
        return [f"- {escape(item)}" for item in block.items]
    if block.kind is Kind.NUMBERED:
        return [f"{number}. {escape(step)}" for number, step in enumerate(block.items, 1)]
    if block.kind is Kind.TABLE:
        return _table(block.rows)
    return [escape(block.text)]


def _table(rows: tuple[tuple[str, ...], ...]) -> list[str]:
    header, *body = rows
    lines = [f"| {' | '.join(escape(h) for h in header)} |", "|---" * len(header) + "|"]
    for label, values in body:
        cells = ", ".join(f"`{_code(v)}`" for v in values.split(", "))
        lines.append(f"| {escape(label)} | {cells} |")
    return lines


def _code(value: object) -> str:
    """A value for a code span: one line, no backticks or pipes to break the span or table."""
    return clean_line(value).replace("`", "'").replace("|", "\\|")
