"""Parse one DMARC policy record (RFC 9989, with RFC 7489's legacy tags) without raising.

    parse_dmarc("v=DMARC1; p=reject; rua=mailto:d@example.com")
      -> DmarcRecord(tags={...}, policy=Policy.REJECT, problems=())

Every defect becomes a `Problem` (what kind, which tag, what was written), so a
check can turn each into a finding; nothing a record contains can make the parser
raise. Where RFC 9989 says how a receiver treats a defect, `DmarcRecord` applies it:
an invalid `p` with a valid `rua` is read as `p=none`, otherwise the record is
ignored (RFC 9989 section 4.7); unknown tags are ignored.
"""

from __future__ import annotations

import functools
import re
from enum import StrEnum
from urllib.parse import unquote

from deliverability.lean import dataclass


class Policy(StrEnum):
    """What a domain owner asks receivers to do with mail that fails DMARC."""

    NONE = "none"
    QUARANTINE = "quarantine"
    REJECT = "reject"


class ProblemKind(StrEnum):
    """Closed set of defects a record can have; each maps to a finding code."""

    SYNTAX = "syntax"  # a part that is not tag=value, a duplicate tag, v= not first
    INVALID_VALUE = "invalid-value"
    UNKNOWN_TAG = "unknown-tag"
    REMOVED_TAG = "removed-tag"  # pct, rf, ri: RFC 7489 only, removed by RFC 9989
    BAD_URI = "bad-uri"


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One defect: its kind, the tag it concerns ("" for the record), and the text seen."""

    kind: ProblemKind
    tag: str
    text: str


@dataclass(frozen=True, kw_only=True)
class ReportUri:
    """One rua/ruf destination. `domain` is the mailbox's domain; "" when not a mailto."""

    uri: str
    scheme: str
    address: str = ""
    domain: str = ""


@dataclass(frozen=True, kw_only=True)
class DmarcRecord:
    """A parsed record: the tags as written and the values a receiver would use."""

    text: str
    tags: dict[str, str]
    problems: tuple[Problem, ...] = ()
    rua: tuple[ReportUri, ...] = ()
    ruf: tuple[ReportUri, ...] = ()

    def rewritten(self, tag: str, value: str | None) -> str:
        """The record text with `tag` set to `value` (None drops it), other tags kept in order."""
        tags = {"v": "DMARC1", **self.tags}
        if value is None:
            tags.pop(tag, None)
        else:
            tags[tag] = value
        return "; ".join(f"{name}={text}" for name, text in tags.items() if name == "v" or text)

    @property
    def usable(self) -> bool:
        """Whether a receiver applies the record at all (RFC 9989 4.7)."""
        return self._policy("p") is not None or bool(self.rua)

    @property
    def policy(self) -> Policy | None:
        """`p`, read as `none` when invalid but a valid rua exists; None when ignored."""
        found = self._policy("p")
        return found if found is not None else (Policy.NONE if self.rua else None)

    @property
    def subdomain_policy(self) -> Policy | None:
        """`sp`, defaulting to `p`."""
        return self._policy("sp") or self.policy

    @property
    def nonexistent_policy(self) -> Policy | None:
        """`np` (RFC 9989), defaulting to `sp`, then `p`."""
        return self._policy("np") or self.subdomain_policy

    @property
    def testing(self) -> bool:
        """`t=y`: the owner asks receivers to apply one level less than the policy."""
        return self.tags.get("t", "n").lower() == "y"

    @property
    def psd(self) -> str:
        """`psd`: y (a public suffix), n (an organizational domain) or u (unknown)."""
        value = self.tags.get("psd", "u").lower()
        return value if value in {"y", "n", "u"} else "u"

    def alignment_mode(self, tag: str) -> str:
        """`adkim` or `aspf`: "s" strict or "r" relaxed (the default)."""
        return "s" if self.tags.get(tag, "r").lower() == "s" else "r"

    def _policy(self, tag: str) -> Policy | None:
        try:
            return Policy(self.tags.get(tag, "").lower())
        except ValueError:
            return None


_TAG_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_CHOICES = {
    "p": {"none", "quarantine", "reject"},
    "sp": {"none", "quarantine", "reject"},
    "np": {"none", "quarantine", "reject"},
    "psd": {"y", "n", "u"},
    "t": {"y", "n"},
    "adkim": {"r", "s"},
    "aspf": {"r", "s"},
}
KNOWN_TAGS = frozenset({"v", "p", "sp", "np", "psd", "t", "adkim", "aspf", "fo", "rua", "ruf"})
REMOVED_TAGS = frozenset({"pct", "rf", "ri"})
_FO = re.compile(r"^[01ds](:[01ds])*$", re.IGNORECASE)
_DOMAIN = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$")


def is_dmarc(text: str) -> bool:
    """Whether a TXT record is a DMARC record: it starts with `v=DMARC1` (RFC 7489 6.6.3).

    The record must start with the tag itself: one with a leading space is discarded by
    receivers (the ABNF allows blanks only around the `=`), so it is not a record here.
    """
    first = text.split(";", 1)[0]
    name, sep, value = first.partition("=")
    return bool(sep) and name.rstrip().lower() == "v" and value.strip() == "DMARC1"


def looks_like_dmarc(text: str) -> bool:
    """A record meant as DMARC that receivers ignore: `v=dmarc1`, `v=` not first, etc."""
    lowered = text.lower()
    return not is_dmarc(text) and (
        "dmarc1" in lowered or re.search(r"(^|;)\s*p\s*=", lowered) is not None
    )


@functools.lru_cache(maxsize=4096)  # the tree walk, findings and verification re-read one text
def parse_dmarc(text: str) -> DmarcRecord:
    """Parse `text` (a TXT record's joined strings); see the module docstring. The
    record is frozen and no caller changes its tags, so one parse serves every reader."""
    tags, problems = _split_tags(text)
    problems += _check_values(tags)
    rua, rua_problems = parse_uris(tags.get("rua", ""), "rua")
    ruf, ruf_problems = parse_uris(tags.get("ruf", ""), "ruf")
    return DmarcRecord(
        text=text,
        tags=tags,
        problems=tuple(problems + rua_problems + ruf_problems),
        rua=rua,
        ruf=ruf,
    )


def _split_tags(text: str) -> tuple[dict[str, str], list[Problem]]:
    tags: dict[str, str] = {}
    problems: list[Problem] = []
    parts = [part.strip() for part in text.split(";")]
    for index, part in enumerate(parts):
        if not part:
            continue  # a trailing or doubled ";" is allowed by the grammar's whitespace
        name, sep, value = part.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not sep or not _TAG_NAME.match(name):
            problems.append(Problem(kind=ProblemKind.SYNTAX, tag="", text=part))
        elif name in tags:
            problems.append(Problem(kind=ProblemKind.SYNTAX, tag=name, text=part))
        else:
            tags[name] = value
            if name == "v" and index != 0:
                problems.append(Problem(kind=ProblemKind.SYNTAX, tag="v", text=part))
    return tags, problems


def _check_values(tags: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    for name, value in tags.items():
        if name in REMOVED_TAGS:
            problems.append(Problem(kind=ProblemKind.REMOVED_TAG, tag=name, text=f"{name}={value}"))
        elif name not in KNOWN_TAGS:
            problems.append(Problem(kind=ProblemKind.UNKNOWN_TAG, tag=name, text=f"{name}={value}"))
        elif _invalid(name, value):
            problems.append(
                Problem(kind=ProblemKind.INVALID_VALUE, tag=name, text=f"{name}={value}")
            )
    if "p" not in tags:
        problems.append(Problem(kind=ProblemKind.INVALID_VALUE, tag="p", text="(no p= tag)"))
    return problems


def _invalid(name: str, value: str) -> bool:
    if name in _CHOICES:
        return value.lower() not in _CHOICES[name]
    if name == "fo":
        return not _FO.match(value)
    if name == "v":
        return value != "DMARC1"
    return False


def parse_uris(value: str, tag: str) -> tuple[tuple[ReportUri, ...], list[Problem]]:
    """The comma-separated URIs of a rua/ruf tag; unusable ones become problems."""
    uris: list[ReportUri] = []
    problems: list[Problem] = []
    for raw in (part.strip() for part in value.split(",")):
        if not raw:
            continue
        uri = parse_uri(raw)
        if uri is None:
            problems.append(Problem(kind=ProblemKind.BAD_URI, tag=tag, text=raw))
        else:
            uris.append(uri)
    return tuple(uris), problems


def parse_uri(raw: str) -> ReportUri | None:
    """One `mailto:` URI (an optional `!size` suffix is RFC 7489 legacy); None if unusable."""
    scheme, sep, rest = raw.partition(":")
    if not sep or scheme.lower() != "mailto":
        return None  # RFC 9990 section 3: reports go to mailto URIs
    address = unquote(rest.split("?", 1)[0]).rsplit("!", 1)[0].strip()
    local, _, domain = address.rpartition("@")
    if not local.strip() or not _DOMAIN.match(domain):
        return None
    domain = domain.rstrip(".").lower()
    return ReportUri(uri=raw, scheme="mailto", address=address, domain=domain)
