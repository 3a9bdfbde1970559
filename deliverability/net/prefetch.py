"""Ask a domain's first questions while the rest of the tool is still loading.

A full check spends ~0.2 s of CPU importing typer, dnspython and the checks before
its first question leaves, and its critical path (the SPF include chain, four
dependent lookups for a typical sender) cannot start before that. `start()` runs in
the console script before those imports (deliverability/launch.py): a thread sends
the questions the checks ask first, the domain's TXT and MX, `_dmarc.DOMAIN` and the
PTRs of the `--ip`s, as plain UDP queries to the resolver the run will use (the
same message dnspython sends: RD set, no EDNS), and follows the SPF record's
`include:` and `redirect=` chain as the answers come in. Then it asks the second wave
launch.py names, what the checks ask as soon as they start whatever the answers (the
DKIM selector guesses, the DMARC walk above the domain): that takes a round trip out
of the run when the chain is shorter than the tool's loading (a 30 ms resolver).
Only the domain's own SPF chain is followed. The DnsClient `take()`s a
prefetched question once and uses its answer like one of its own; a question not
answered within a third of --timeout (when the DnsClient would have asked again
anyway), truncated, or answered with anything but NOERROR or NXDOMAIN is asked
again the usual way. Only questions the run asks anyway are sent, and at most
MAX_QUESTIONS of them for the first wave and the SPF chain.

Standard library only: importing dnspython here would cost the time this saves.
"""

from __future__ import annotations

import ipaddress
import os
import re
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from deliverability.net.addresses import parse_resolver

MAX_QUESTIONS = 32  # the first wave is 3 + the IPs; the rest is the SPF chain
MAX_CHAIN = 10  # RFC 7208 4.6.4: a receiver stops after ten lookups
_TYPES = {"A": 1, "MX": 15, "TXT": 16, "PTR": 12, "AAAA": 28}
_CNAME = 5
_FLAG_QR, _FLAG_TC, _FLAG_RD = 0x8000, 0x0200, 0x0100
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_SPF_TARGET = re.compile(r"^[+?~-]?(?:include:|redirect=)(\S+)$", re.IGNORECASE)

Key = tuple[str, str]  # (name, type) as DnsClient keys its cache: lower case, no final dot

_current: Prefetch | None = None


def start(
    server: tuple[str, int] | None,
    timeout: float,
    domain: str,
    ips: list[str],
    later: Callable[[], list[Key]] | None = None,
) -> None:
    """Begin asking `domain`'s first questions of `server` ((host, port); None: the
    first nameserver of /etc/resolv.conf, as the system resolver would), then those
    `later()` gives, computed in the thread (valid host names only)."""
    global _current
    system = server is None
    server = server or system_nameserver()
    if server is None or not is_hostname(domain):
        return
    questions = [(domain, "TXT"), (domain, "MX"), (f"_dmarc.{domain}", "TXT")]
    for ip in ips[: MAX_QUESTIONS - 3]:
        questions.append((ipaddress.ip_address(ip).reverse_pointer, "PTR"))
    _current = Prefetch(server=server, system=system, timeout=timeout)
    _current.start(questions, later)


def take(
    nameservers: list[str] | tuple[str, ...], name: str, rdtype: str
) -> Future[bytes | None] | None:
    """The prefetched answer to (name, rdtype) for a client asking `nameservers` (its
    --resolver specs; empty: the system's), once; None when it was not prefetched."""
    prefetch = _current
    if prefetch is None:
        return None
    if prefetch.system != (not nameservers):
        return None
    if nameservers and not prefetch.serves(nameservers):
        return None
    return prefetch.take((name, rdtype))


def stop() -> None:
    """Forget the prefetch once its thread has ended (tests: none of its questions
    reaches the next test's server counts)."""
    global _current
    if _current is not None and _current.thread is not None:
        _current.thread.join(timeout=5)
    _current = None


class Prefetch:
    """One thread, one connected UDP socket, the questions and their wire answers."""

    def __init__(self, *, server: tuple[str, int], system: bool, timeout: float) -> None:
        self.server = server
        self.system = system
        self.wait = max(timeout, 0.0) / 3  # the DnsClient's next try would leave by then
        self.sent = 0  # of the first wave and the SPF chain (MAX_QUESTIONS)
        self._lock = threading.Lock()
        self._answers: dict[Key, Future[bytes | None]] = {}
        self._taken: set[Key] = set()
        self._chain: set[Key] = set()  # the domain's TXT and the SPF chain: followed
        self.thread: threading.Thread | None = None

    def serves(self, nameservers: list[str] | tuple[str, ...]) -> bool:
        """Whether `nameservers` (as --resolver gives them) is this prefetch's one resolver."""
        if len(nameservers) != 1:
            return False
        try:
            return parse_resolver(nameservers[0]) == self.server
        except ValueError:
            return False

    def start(self, questions: list[Key], later: Callable[[], list[Key]] | None = None) -> None:
        """Ask `questions` at once, then `later()`'s (computed in the thread)."""
        for key in questions:
            self._answers[key] = Future()
        self._chain.add(questions[0])  # the domain's TXT: where the SPF chain starts
        self.thread = threading.Thread(target=self._run, args=(questions, later), daemon=True)
        self.thread.start()

    def take(self, key: Key) -> Future[bytes | None] | None:
        with self._lock:  # the future stays in _answers: the thread settles it there
            if key in self._taken:
                return None
            self._taken.add(key)  # asked now: by the run itself if not prefetched yet
            return self._answers.get(key)

    def _run(self, questions: list[Key], later: Callable[[], list[Key]] | None) -> None:
        pending: dict[int, tuple[Key, bytes, float, int]] = {}  # id -> key, question, sent, depth
        try:
            family = socket.AF_INET6 if ":" in self.server[0] else socket.AF_INET
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect(self.server)  # the kernel drops datagrams from anyone else
                for key in questions:
                    self._send(sock, pending, key, 0)
                    self.sent += 1
                for key in self._later(later):
                    if not is_hostname(key[0]):
                        continue
                    with self._lock:
                        if key in self._answers or key in self._taken:
                            continue  # the run asked it first: never twice
                        self._answers[key] = Future()
                    self._send(sock, pending, key, 0)
                self._listen(sock, pending)
        except OSError:
            pass
        finally:
            for key, *_ in pending.values():
                self._settle(key, None)
            with self._lock:  # questions never sent (an error before them)
                for future in self._answers.values():
                    if not future.done() and future.set_running_or_notify_cancel():
                        future.set_result(None)

    @staticmethod
    def _later(later: Callable[[], list[Key]] | None) -> list[Key]:
        try:
            return later() if later is not None else []
        except Exception:  # noqa: BLE001 (a speed-up only: the run asks them itself)
            return []

    def _send(self, sock: socket.socket, pending: dict, key: Key, depth: int) -> None:
        qid = int.from_bytes(os.urandom(2), "big")
        while qid in pending:
            qid = int.from_bytes(os.urandom(2), "big")
        question = encode_question(*key)
        sock.send(struct.pack("!HHHHHH", qid, _FLAG_RD, 1, 0, 0, 0) + question)
        pending[qid] = (key, question, time.monotonic(), depth)

    def _listen(self, sock: socket.socket, pending: dict) -> None:
        while pending:
            oldest = min(sent for _, _, sent, _ in pending.values())
            left = oldest + self.wait - time.monotonic()
            if left <= 0:
                return  # the rest are asked again by the DnsClient
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                continue
            wire = sock.recv(65535)
            if len(wire) < 12:
                continue
            qid = struct.unpack("!H", wire[:2])[0]
            entry = pending.get(qid)
            if entry is None or not is_answer_to(wire, entry[1]):
                continue  # a late or forged datagram: not ours
            key, _, _, depth = pending.pop(qid)
            self._settle(key, wire)
            if key in self._chain and depth < MAX_CHAIN:
                for target in spf_targets(wire):
                    self._follow(sock, pending, (target, "TXT"), depth + 1)

    def _follow(self, sock: socket.socket, pending: dict, key: Key, depth: int) -> None:
        with self._lock:
            if key in self._answers or key in self._taken or self.sent >= MAX_QUESTIONS:
                return
            self._answers[key] = Future()
            self._chain.add(key)
        self.sent += 1
        self._send(sock, pending, key, depth)

    def _settle(self, key: Key, wire: bytes | None) -> None:
        with self._lock:
            future = self._answers.get(key)
        if future is not None and not future.done() and future.set_running_or_notify_cancel():
            future.set_result(wire)  # not when the asker gave up (cancelled it)


def system_nameserver() -> tuple[str, int] | None:
    """The first `nameserver` of /etc/resolv.conf, the one dnspython asks first."""
    try:
        with open("/etc/resolv.conf", encoding="utf-8", errors="replace") as f:
            lines = f.read(65536).splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            try:
                return (str(ipaddress.ip_address(fields[1].split("%")[0])), 53)
            except ValueError:
                return None
        if fields and fields[0] == "options" and "rotate" in fields:
            return None  # the resolver would pick one at random
    return None


def is_hostname(name: str) -> bool:
    """A name this module may ask about: ASCII labels, at most 253 characters."""
    labels = name.split(".")
    return 0 < len(name) <= 253 and len(labels) > 1 and all(_LABEL.match(x) for x in labels)


def encode_question(name: str, rdtype: str) -> bytes:
    """The question section for (name, rdtype), class IN (RFC 1035 4.1.2)."""
    labels = b"".join(bytes([len(x)]) + x.encode("ascii") for x in name.split(".") if x)
    return labels + b"\x00" + struct.pack("!HH", _TYPES[rdtype], 1)


def is_answer_to(wire: bytes, question: bytes) -> bool:
    """A response (QR), standard query, one question: the one asked (names compared
    without case, as RFC 4343 says)."""
    flags, qdcount = struct.unpack("!HH", wire[2:6])
    if not flags & _FLAG_QR or (flags >> 11) & 0xF or qdcount != 1:
        return False
    return wire[12 : 12 + len(question)].lower() == question.lower()


def usable(wire: bytes) -> bool:
    """NOERROR or NXDOMAIN and not truncated: what the resolver would accept over UDP."""
    flags = struct.unpack("!H", wire[2:4])[0]
    return not flags & _FLAG_TC and flags & 0xF in (0, 3)


def spf_targets(wire: bytes) -> list[str]:
    """The include: and redirect= domains of the one v=spf1 record in a TXT answer."""
    if not usable(wire):
        return []
    try:
        texts = [text for rdtype, text in _records(wire) if rdtype == _TYPES["TXT"]]
    except (IndexError, struct.error, UnicodeDecodeError):
        return []
    records = [t for t in texts if t.lower() == "v=spf1" or t.lower().startswith("v=spf1 ")]
    if len(records) != 1:
        return []  # none or several: a permerror the walk reports; nothing to follow
    targets = []
    for term in records[0].split()[1:]:
        match = _SPF_TARGET.match(term)
        if match:
            target = match.group(1).lower().rstrip(".")
            if "%" not in target and is_hostname(target):
                targets.append(target)
    return targets


def _records(wire: bytes) -> list[tuple[int, str]]:
    """(type, text) of each answer record; text only for TXT (its strings joined)."""
    ancount = struct.unpack("!H", wire[6:8])[0]
    offset = _skip_name(wire, 12) + 4
    out = []
    for _ in range(min(ancount, 64)):
        offset = _skip_name(wire, offset)
        rdtype, _cls, _ttl, length = struct.unpack("!HHIH", wire[offset : offset + 10])
        offset += 10
        rdata = wire[offset : offset + length]
        offset += length
        if rdtype == _TYPES["TXT"]:
            parts, i = [], 0
            while i < len(rdata):
                size = rdata[i]
                parts.append(rdata[i + 1 : i + 1 + size].decode("ascii", "replace"))
                i += 1 + size
            out.append((rdtype, "".join(parts)))
        elif rdtype != _CNAME:
            out.append((rdtype, ""))
    return out


def _skip_name(wire: bytes, offset: int) -> int:
    """The offset after a (possibly compressed) name at `offset`."""
    for _ in range(128):
        size = wire[offset]
        if size == 0:
            return offset + 1
        if size & 0xC0 == 0xC0:
            return offset + 2
        offset += 1 + size
    raise IndexError("name too long")
