"""A minimal IMAP4rev1 server over TLS on loopback, for the `dmarc-reports --imap` tests.

Enough of RFC 3501 for a read-only client: CAPABILITY, LOGIN, SELECT, EXAMINE, UID
SEARCH (ALL, SINCE), UID FETCH (RFC822.SIZE, BODY.PEEK[], BODY[]), NOOP, LOGOUT. It
records every command, sets \\Seen only where RFC 3501 says a fetch does (BODY[] on
a folder opened with SELECT), and refuses STORE, COPY, MOVE, EXPUNGE on a read-only
folder, so a test can prove that nothing was moved or flagged.

    server = ImapServer(cert, user="u", password="p", folders={"INBOX": [b"..."]}).start()
    ... imaps://u@127.0.0.1:{server.port}/INBOX ...
    server.commands, server.flags   # what the client did
    server.stop()
"""

from __future__ import annotations

import re
import socket
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any

_LITERAL = re.compile(rb"\{(\d+)\}$")


@dataclass
class Mailbox:
    """One folder: messages (by UID from 1) and their flags."""

    messages: list[bytes]
    flags: dict[int, set[str]] = field(default_factory=dict)


class ImapServer:
    """See the module docstring."""

    def __init__(self, cert: Any, *, user: str, password: str, folders: dict[str, list[bytes]]) -> None:
        self.user, self.password = user, password
        self.folders = {name: Mailbox(messages=list(msgs)) for name, msgs in folders.items()}
        self.commands: list[str] = []
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(self._context)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> ImapServer:
        """Listen and serve in a thread."""
        self._sock.listen(4)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        self._sock.close()

    def flags(self, folder: str = "INBOX") -> dict[int, set[str]]:
        """The flags set on each message of `folder` (empty when nothing was flagged)."""
        return {uid: f for uid, f in self.folders[folder].flags.items() if f}

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(raw,), daemon=True).start()

    def _session(self, raw: socket.socket) -> None:
        try:
            with self._context.wrap_socket(raw, server_side=True) as conn:
                Session(self, conn.makefile("rwb")).run()
        except (OSError, ssl.SSLError):
            return


class Session:
    """One client connection."""

    def __init__(self, server: ImapServer, stream: Any) -> None:
        self.server, self.stream = server, stream
        self.authed, self.box, self.readonly = False, None, True

    def send(self, line: bytes) -> None:
        self.stream.write(line + b"\r\n")
        self.stream.flush()

    def run(self) -> None:
        self.send(b"* OK IMAP4rev1 test server ready")
        while line := self.stream.readline():
            tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
            command, _, args = rest.partition(b" ")
            name = command.upper().decode()
            if name == "UID":
                sub, _, args = args.partition(b" ")
                name = "UID " + sub.upper().decode()
            self.server.commands.append(name)
            if not self.handle(tag, name, args):
                return

    def handle(self, tag: bytes, name: str, args: bytes) -> bool:
        handler = {"CAPABILITY": self.capability, "LOGIN": self.login, "SELECT": self.select,
                   "EXAMINE": self.select, "UID SEARCH": self.search, "UID FETCH": self.fetch,
                   "NOOP": self.noop}.get(name)
        if name == "LOGOUT":
            self.send(b"* BYE bye")
            self.send(tag + b" OK LOGOUT completed")
            return False
        if handler is None:
            self.send(tag + b" NO " + name.encode() + b" not allowed here")
            return True
        handler(tag, args, name)
        return True

    def capability(self, tag: bytes, args: bytes, name: str) -> None:
        self.send(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN")
        self.send(tag + b" OK CAPABILITY completed")

    def noop(self, tag: bytes, args: bytes, name: str) -> None:
        self.send(tag + b" OK NOOP completed")

    def login(self, tag: bytes, args: bytes, name: str) -> None:
        user, password = (part.strip(b'"').decode() for part in args.split(b" ", 1))
        if (user, password) != (self.server.user, self.server.password):
            self.send(tag + b" NO [AUTHENTICATIONFAILED] Invalid credentials")
            return
        self.authed = True
        self.send(tag + b" OK LOGIN completed")

    def select(self, tag: bytes, args: bytes, name: str) -> None:
        folder = args.strip().strip(b'"').decode()
        if not self.authed or folder not in self.server.folders:
            self.send(tag + b" NO no such folder")
            return
        self.box, self.readonly = self.server.folders[folder], name == "EXAMINE"
        self.send(b"* %d EXISTS" % len(self.box.messages))
        self.send(b"* FLAGS (\\Seen \\Deleted)")
        access = b"READ-ONLY" if self.readonly else b"READ-WRITE"
        self.send(tag + b" OK [" + access + b"] " + name.encode() + b" completed")

    def search(self, tag: bytes, args: bytes, name: str) -> None:
        uids = range(1, len(self.box.messages) + 1) if self.box else range(0)
        self.send(b"* SEARCH " + b" ".join(b"%d" % u for u in uids))
        self.send(tag + b" OK SEARCH completed")

    def fetch(self, tag: bytes, args: bytes, name: str) -> None:
        spec, _, items = args.partition(b" ")
        for uid in self._uids(spec):
            message = self.box.messages[uid - 1]
            if b"RFC822.SIZE" in items.upper():
                self.send(b"* %d FETCH (UID %d RFC822.SIZE %d)" % (uid, uid, len(message)))
                continue
            if b"BODY[]" in items.upper() and not self.readonly:
                self.box.flags.setdefault(uid, set()).add("\\Seen")  # RFC 3501 6.4.5
            self.stream.write(b"* %d FETCH (UID %d BODY[] {%d}\r\n" % (uid, uid, len(message)))
            self.stream.write(message + b")\r\n")
        self.send(tag + b" OK FETCH completed")

    def _uids(self, spec: bytes) -> list[int]:
        count = len(self.box.messages) if self.box else 0
        wanted = []
        for part in spec.split(b","):
            if b":" in part:
                low, high = part.split(b":")
                wanted += range(int(low), (count if high == b"*" else int(high)) + 1)
            else:
                wanted.append(int(part))
        return [u for u in wanted if 1 <= u <= count]
