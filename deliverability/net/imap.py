"""Read the messages of one IMAP folder over TLS, read-only: nothing is moved or flagged.

The folder is opened with EXAMINE (RFC 3501 6.3.2: read-only, \\Seen untouched) and
every message fetched with BODY.PEEK[] (6.4.5: PEEK does not set \\Seen). Messages
larger than `max_bytes` are skipped by their RFC822.SIZE before they are fetched.

    ImapSource.parse("imaps://USER@HOST[:PORT]/FOLDER") -> messages(source, password)
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import unquote, urlsplit

from deliverability.lean import dataclass

DEFAULT_PORT = 993
MAX_MESSAGES = 50_000
_SIZE = re.compile(rb"UID (\d+) RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+) UID (\d+)")


class ImapFailed(Exception):
    """The mailbox cannot be read; the message is one line fit for a user."""


@dataclass(frozen=True, kw_only=True)
class ImapSource:
    """Where the report mail is: user, host, port and folder."""

    user: str
    host: str
    port: int = DEFAULT_PORT
    folder: str = "INBOX"

    @classmethod
    def parse(cls, url: str) -> ImapSource:
        """`imaps://USER@HOST[:PORT]/FOLDER`; ValueError (one line) when it is not that."""
        parts = urlsplit(url)
        if parts.scheme != "imaps":
            raise ValueError(f"--imap {url!r}: use imaps://USER@HOST/FOLDER (TLS only)")
        if not parts.username or not parts.hostname:
            raise ValueError(f"--imap {url!r}: needs a user and a host (imaps://USER@HOST/FOLDER)")
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise ValueError(f"--imap {url!r}: bad port") from None
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        return cls(user=unquote(parts.username), host=parts.hostname, port=port, folder=folder)

    def name(self, uid: str) -> str:
        """How one message is named in the report (RFC 5092 style)."""
        return f"imaps://{self.user}@{self.host}/{self.folder};UID={uid}"


def messages(
    source: ImapSource, password: str, *, timeout: float, since: date | None = None, max_bytes: int
) -> Iterator[tuple[str, bytes | None]]:
    """(name, raw message) for each message of the folder; None for one over `max_bytes`."""
    try:
        with _connect(source, timeout) as conn:
            _check(conn.login(source.user, password), "login")
            _check(conn.select(_quoted(source.folder), readonly=True), f"EXAMINE {source.folder}")
            for uid, size in _sizes(conn, since):
                yield source.name(uid), _body(conn, uid) if size <= max_bytes else None
    except imaplib.IMAP4.error as exc:
        raise ImapFailed(f"{source.host}: {_text(exc.args[0] if exc.args else exc)}") from None
    except ssl.SSLError as exc:
        raise ImapFailed(f"{source.host}: TLS failed: {exc.reason or exc}") from None
    except (TimeoutError, OSError) as exc:
        raise ImapFailed(f"{source.host}:{source.port}: {exc.strerror or exc}") from None


def _connect(source: ImapSource, timeout: float) -> imaplib.IMAP4_SSL:
    context = ssl.create_default_context()  # verifies the certificate and the host name
    return imaplib.IMAP4_SSL(source.host, source.port, ssl_context=context, timeout=timeout)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(reply: tuple[str, Any], what: str) -> None:
    status, data = reply
    if status != "OK":
        raise ImapFailed(f"{what} refused: {_text(data[0] if data else status)}")


def _sizes(conn: imaplib.IMAP4_SSL, since: date | None) -> list[tuple[str, int]]:
    criteria = ("SINCE", since.strftime("%d-%b-%Y")) if since else ("ALL",)
    status, data = conn.uid("SEARCH", *criteria)
    _check((status, data), "SEARCH")
    uids = (data[0] or b"").split()[-MAX_MESSAGES:] if data else []
    if not uids:
        return []
    status, data = conn.uid("FETCH", b",".join(uids).decode(), "(RFC822.SIZE)")
    _check((status, data), "FETCH sizes")
    found = []
    for line in data:
        match = _SIZE.search(line if isinstance(line, bytes) else b"")
        if match:
            uid, size = (
                (match.group(1), match.group(2))
                if match.group(1)
                else (match.group(4), match.group(3))
            )
            found.append((uid.decode(), int(size)))
    return found


def _body(conn: imaplib.IMAP4_SSL, uid: str) -> bytes | None:
    status, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
    _check((status, data), f"FETCH {uid}")
    for part in data:
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
            return part[1]
    return None


def _text(value: object) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text.replace("\r", " ").replace("\n", " ")[:200]
