"""Read the human-readable bounces MTAs write when they send no RFC 3464 part (or an
incomplete one): Postfix, Exim, Sendmail, qmail, Courier, Domino, Exchange, Gmail, Yahoo,
Amazon SES and a pasted rejection line.

The text is cut into one chunk per recipient (a line that starts with an address starts
one), and each chunk's diagnostic is found by the phrases those MTAs use ("said:",
"Remote Server returned", "(reason: ...)", "<<< 550 ..."), else its first reply-code line,
else the text under the address (local failures: "Unrouteable address").
"""

from __future__ import annotations

import re

from deliverability.checks.bounce.codes import MAX_DIAGNOSTIC, diagnostic_text
from deliverability.lean import dataclass

MAX_TEXT = 64 * 1024  # characters of bounce text read
MAX_RECIPIENTS = 1000
_ADDR = r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+"
_ADDRESS_LINE = re.compile(rf"^\s*<?({_ADDR})>?(?:\s*$|:|\s+on\s|\s*\.\.\.|\s+\(|,)")
_SENTENCE = re.compile(
    rf"(?:delivered to|message to|deliver(?:ed)? (?:your message )?to:?)\s+<?({_ADDR})>?", re.I
)
# Where the copy of the original message starts: nothing after it is the bounce's own text.
_ORIGINAL = re.compile(
    r"^\s*(?:-{2,}\s*(?:Below this line is a copy of the message|This is a copy of the message|"
    r"Original message|Returned message|Forwarded message)|Original message headers:|"
    r"-{3,} ?The header of the original message|Received: from |Return-Path: <)",
    re.I,
)
_END = r"(?:\n[ \t]*\n|\Z)"  # a diagnostic ends at a blank line or the end of its chunk
_DIAGNOSTICS = (
    re.compile(
        rf"Remote host said:\s*(.+?)(?:\s*Giving up on |{_END})", re.I | re.S
    ),  # qmail, Yahoo
    re.compile(rf"\bsaid:\s*(.+?)(?:\s*\(in reply to [^)]*\)|{_END})", re.I | re.S),  # Postfix
    re.compile(r"Remote Server returned '(.+?)'", re.I | re.S),  # Exchange
    re.compile(r"\(reason:\s*(.+?)\)\s*$", re.I | re.M),  # Sendmail
    re.compile(r"^<<<\s*([245]\d\d[ -].*)$", re.M),  # Sendmail and Courier transcripts
    re.compile(
        rf"SMTP error from remote mail server after (?:RCPT TO:<[^>\n]*>|[^:\n]*):\s*(.+?){_END}",
        re.I | re.S,
    ),  # Exim
    re.compile(
        rf"(?:The response (?:from the remote server )?was|The error that the other server returned was):\s*(.+?){_END}",
        re.I | re.S,
    ),  # Gmail
    re.compile(rf"\bbecause:\s*(.+?){_END}", re.I | re.S),  # Domino
    re.compile(
        r"^\s*#?\s*((?:[245]\d\d-.*\n\s*)*[245]\d\d[ -].*)$", re.M
    ),  # a reply, multiline too
)
_REMOTE = (
    re.compile(r"\bhost ([\w.-]+)\s?\[[\w.:]+\]", re.I),  # Postfix, Exim
    re.compile(r"while talking to ([\w.-]+?)\.?:", re.I),  # Sendmail
    re.compile(r"^\s*([\w.-]+\.[a-z]{2,}) \[[\w.:]+\]:?\s*$", re.I | re.M),  # Courier
    re.compile(r"^([\d.]+) does not like recipient", re.M),  # qmail
)
_REPORTER = re.compile(
    r"(?:This is the mail system at host|This is the qmail-send program at|delivery status "
    r"notification from|Generating server:|Reporting-MTA:\s*dns;)\s*([\w.-]+?)[.,]?\s*$",
    re.I | re.M,
)
_MTAS = (  # the phrases that name the software that wrote the bounce
    ("postfix", re.compile(r"This is the mail system at host|Postfix program", re.I)),
    ("exim", re.compile(r"This message was created automatically by mail delivery software", re.I)),
    ("qmail", re.compile(r"qmail-send program", re.I)),
    ("courier", re.compile(r"Courier mail server", re.I)),
    ("sendmail", re.compile(r"permanent fatal errors|Transcript of session follows", re.I)),
    ("domino", re.compile(r"Domino Directory|Lotus Domino|was not delivered to:", re.I)),
    (
        "exchange",
        re.compile(
            r"Diagnostic information for administrators|Remote Server returned|"
            r"could not be reached|Delivery has failed to these recipients",
            re.I,
        ),
    ),
    (
        "gmail",
        re.compile(r"The response (?:from the remote server )?was:|Google tried to deliver", re.I),
    ),
    ("yahoo", re.compile(r"Sorry, we were unable to deliver your message", re.I)),
    ("amazon-ses", re.compile(r"An error occurred while trying to deliver the mail", re.I)),
    ("mimecast", re.compile(r"Mimecast", re.I)),
)


@dataclass(frozen=True, kw_only=True)
class Found:
    """One recipient as a human-readable bounce gives it."""

    address: str | None
    diagnostic: str | None
    remote_mta: str | None


@dataclass(frozen=True, kw_only=True)
class HumanBounce:
    """What a human-readable bounce text says."""

    recipients: tuple[Found, ...]
    reporting_mta: str | None
    mta: str | None


def read_text(text: str, exclude: frozenset[str] = frozenset()) -> HumanBounce:
    """The recipients, diagnostics and MTAs in a bounce text; `exclude` holds addresses
    that are not recipients (the sender the bounce went back to)."""
    own = _own_text(text[:MAX_TEXT])
    chunks = _chunks(own, exclude)
    if not chunks:
        sentence = [
            m.group(1) for m in _SENTENCE.finditer(own) if m.group(1).lower() not in exclude
        ]
        chunks = [(address, own) for address in dict.fromkeys(sentence)] or [(None, own)]
    whole = own if len(chunks) == 1 else ""  # one recipient: the text around it is its own
    found = _merge([_found(address, chunk, whole) for address, chunk in chunks[:MAX_RECIPIENTS]])
    reporter = _REPORTER.search(own)
    mta = next((name for name, pattern in _MTAS if pattern.search(own)), None)
    return HumanBounce(
        recipients=tuple(found),
        mta=mta,
        reporting_mta=reporter.group(1).lower() if reporter else None,
    )


def _own_text(text: str) -> str:
    """The bounce's own words: everything before the copy of the original message."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for index, line in enumerate(lines):
        if index and _ORIGINAL.match(line):
            return "\n".join(lines[:index])
    return "\n".join(lines)


def _chunks(text: str, exclude: frozenset[str]) -> list[tuple[str | None, str]]:
    """(address, the lines under it) for each line that starts with a recipient address."""
    chunks: list[tuple[str | None, list[str]]] = []
    for line in text.split("\n"):
        match = _ADDRESS_LINE.match(line)
        address = match.group(1) if match else None
        if chunks and address and address.lower() == (chunks[-1][0] or "").lower():
            chunks[-1][1].append(line)  # the address again (wrapped text, a second section)
        elif address and address.lower() not in exclude and not _is_daemon(address):
            chunks.append((address, [line]))
        elif chunks:
            chunks[-1][1].append(line)
    return [(address, "\n".join(lines)) for address, lines in chunks]


def _found(address: str | None, chunk: str, whole: str) -> Found:
    diagnostic = _diagnostic(chunk) or (
        _diagnostic(whole) if address is not None and whole else None
    )
    if diagnostic is None and address is not None:
        diagnostic = _text_under(chunk)
    remote = next((m.group(1) for p in _REMOTE if (m := p.search(chunk))), None)
    return Found(
        address=address, diagnostic=diagnostic, remote_mta=remote.lower() if remote else None
    )


def _diagnostic(chunk: str) -> str | None:
    for pattern in _DIAGNOSTICS:
        match = pattern.search(chunk)
        if match:
            return diagnostic_text(match.group(1)[: MAX_DIAGNOSTIC * 2])
    return None


def _text_under(chunk: str) -> str | None:
    """A local failure's words: the lines under the address line, up to a blank line."""
    lines = chunk.split("\n")[1:]
    kept: list[str] = []
    for line in lines:
        if not line.strip():
            if kept:
                break
            continue
        kept.append(line.strip())
    return diagnostic_text(" ".join(kept[:4]))


def _merge(found: list[Found]) -> list[Found]:
    """One entry per address: the one with a diagnostic that carries a reply code wins."""
    best: dict[str | None, Found] = {}
    for item in found:
        key = item.address.lower() if item.address else None
        if key not in best or _score(item) > _score(best[key]):
            best[key] = item
    return list(best.values())


def _score(item: Found) -> int:
    text = item.diagnostic or ""
    return (2 if re.search(r"\b[245]\d\d\b", text) else 0) + (1 if text else 0)


def _is_daemon(address: str) -> bool:
    local = address.split("@", 1)[0].lower()
    return local in ("mailer-daemon", "postmaster", "double-bounce", "noreply-dmarc-support")
