"""One `clean()` for every piece of untrusted text (DNS, HTTP, files) before it is shown.

DNS content is attacker-controlled: a TXT record can carry terminal escapes or bidi
overrides that repaint a report. Renderers still escape their own syntax (rich
markup, Markdown); this only removes what no format can show safely.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, and the Unicode bidi
# controls (Trojan Source, CVE-2021-42574) plus zero-width joiners used to hide text.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean(text: object) -> str:
    """Return `text` as a string with control and bidi characters replaced by U+FFFD."""
    text = str(text)
    if text.isprintable():  # every unsafe character is a Cc or Cf one, never printable
        return text
    return _UNSAFE.sub("\N{REPLACEMENT CHARACTER}", text)


def clean_line(text: object) -> str:
    """Like clean(), and newlines become spaces: for table cells and one-line fields."""
    return clean(text).replace("\n", " ").replace("\t", " ")
