"""SPF records as text: find them among TXT strings, split them into terms, judge the syntax.

Pure functions, no I/O. `parse_record()` never raises: whatever the text, it returns
an `SpfRecord` whose `problems` say what is wrong, each naming the term and its
position (1 is the first term after `v=spf1`). The grammar is RFC 7208 section 12;
what counts as a record is section 4.5.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from enum import StrEnum

from deliverability.lean import dataclass

MAX_RECORD_BYTES = 450  # RFC 7208 3.4: keep a record small enough for one UDP answer
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
DNS_TERMS = ("include", "a", "mx", "ptr", "exists", "redirect")  # RFC 7208 4.6.4


class Kind(StrEnum):
    """What a term is."""

    MECHANISM = "mechanism"
    MODIFIER = "modifier"


MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
_MODIFIER = re.compile(r"^([a-z][a-z0-9_.\-]*)=(.*)$", re.IGNORECASE | re.DOTALL)
_QUALIFIED_MODIFIER = re.compile(r"^[+\-~?][a-z][a-z0-9_.\-]*=", re.IGNORECASE)
_CIDR = re.compile(r"^(.*?)(?:/(\d+))?(?://(\d+))?$", re.DOTALL)
_MACRO = re.compile(r"%\{([a-zA-Z])(\d*)(r?)([.\-+,/_=]*)\}|%[%_\-]", re.IGNORECASE)
_TOPLABEL = re.compile(
    r"\.(?:[0-9a-z]*[a-z][0-9a-z]*|[0-9a-z]+-[0-9a-z\-]*[0-9a-z])\.?$", re.IGNORECASE
)
_MACRO_LETTERS = set("slodiphcrtv")
_EXP_ONLY_LETTERS = set("crt")  # RFC 7208 7.2: c, r, t only in exp= text
_VERSION = re.compile(r"^v=spf1( |$)", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class Term:
    """One term of a record as written, with what it means."""

    text: str
    position: int
    kind: Kind
    name: str  # mechanism or modifier name, lower case
    qualifier: str = "+"  # "+", "-", "~" or "?"; "+" for modifiers
    value: str = ""  # the domain-spec, address or modifier value; "" when absent
    cidr4: int | None = None
    cidr6: int | None = None

    @property
    def queries_dns(self) -> bool:
        """Whether the term costs one of the ten DNS lookups (RFC 7208 4.6.4)."""
        return self.name in DNS_TERMS

    @property
    def has_macro(self) -> bool:
        """Whether the value holds a macro, so it depends on the message."""
        return "%" in self.value


@dataclass(frozen=True, kw_only=True)
class Problem:
    """A syntax error: a receiver returns permerror for the record."""

    term: str
    position: int
    message: str


@dataclass(frozen=True, kw_only=True)
class SpfRecord:
    """A parsed record: its terms in order and its syntax problems."""

    text: str
    terms: tuple[Term, ...]
    problems: tuple[Problem, ...]

    @property
    def mechanisms(self) -> tuple[Term, ...]:
        """The mechanisms, in evaluation order."""
        return tuple(t for t in self.terms if t.kind is Kind.MECHANISM)

    def modifier(self, name: str) -> Term | None:
        """The first modifier called `name`, or None."""
        return next((t for t in self.terms if t.kind is Kind.MODIFIER and t.name == name), None)

    @property
    def all_term(self) -> Term | None:
        """The first `all` mechanism, or None."""
        return next((t for t in self.mechanisms if t.name == "all"), None)

    @property
    def redirect(self) -> Term | None:
        """The redirect= modifier when it takes effect: only without `all` (RFC 7208 6.1)."""
        return None if self.all_term else self.modifier("redirect")


def is_spf_record(text: str) -> bool:
    """Whether a TXT string is an SPF version 1 record (RFC 7208 4.5)."""
    return bool(_VERSION.match(text))


def lookalike_reason(text: str) -> str | None:
    """Why a TXT string looks meant as SPF but is not one; None if it does not look so."""
    stripped = text.strip().strip('"').lower()
    if is_spf_record(text):
        return None
    if stripped.startswith("spf2.0/"):
        return "'spf2.0/' is Sender ID, which no receiver uses for SPF"
    if stripped.startswith("v=spf1") and text != text.lstrip():
        return "it starts with a space or quote; the record must begin with 'v=spf1'"
    if re.match(r"^v\s*=\s*spf\s*1?", stripped):
        return "the version is not exactly 'v=spf1' followed by a space"
    return None


@functools.lru_cache(maxsize=4096)  # a bulk run meets the providers' records again and again
def parse_record(text: str) -> SpfRecord:
    """Split `text` into terms and check each; never raises. The record is immutable,
    so one parse serves every walk that meets the same text."""
    problems: list[Problem] = []
    if not text.isascii():
        problems.append(
            Problem(
                term=text,
                position=0,
                message="the record holds non-ASCII "
                "characters; SPF records are 7-bit ASCII (RFC 7208 3.1)",
            )
        )
    words = text.split(" ")[1:] if is_spf_record(text) else text.split(" ")
    terms = [_term(word, i) for i, word in enumerate((w for w in words if w), start=1)]
    for term in terms:
        problems += _problems_of(term)
    problems += _record_problems(terms)
    return SpfRecord(text=text, terms=tuple(terms), problems=tuple(problems))


def _term(word: str, position: int) -> Term:
    modifier = _MODIFIER.match(word)
    if modifier:
        return Term(
            text=word,
            position=position,
            kind=Kind.MODIFIER,
            name=modifier.group(1).lower(),
            value=modifier.group(2),
        )
    qualifier = word[0] if word[0] in QUALIFIERS else "+"
    body = word[1:] if word[0] in QUALIFIERS else word
    name, _, rest = body.partition(":")
    value, cidr4, cidr6 = rest, None, None
    if name.lower() not in ("ip4", "ip6"):
        name, value, cidr4, cidr6 = _split_cidr(name, rest, ":" in body)
    else:
        value, cidr4 = _split_ip_cidr(rest)
    return Term(
        text=word,
        position=position,
        kind=Kind.MECHANISM,
        name=name.lower(),
        qualifier=qualifier,
        value=value,
        cidr4=cidr4,
        cidr6=cidr6,
    )


def _split_cidr(name: str, rest: str, has_value: bool) -> tuple[str, str, int | None, int | None]:
    match = _CIDR.match(rest if has_value else name)
    assert match is not None  # the pattern matches any string
    head = match.group(1)
    cidr4 = int(match.group(2)) if match.group(2) else None
    cidr6 = int(match.group(3)) if match.group(3) else None
    return (name, head, cidr4, cidr6) if has_value else (head, "", cidr4, cidr6)


def _split_ip_cidr(rest: str) -> tuple[str, int | None]:
    address, slash, length = rest.partition("/")
    if not slash:
        return address, None
    return address, int(length) if length.isdigit() and len(length) < 5 else -1


def _problems_of(term: Term) -> list[Problem]:
    def problem(message: str) -> Problem:
        return Problem(term=term.text, position=term.position, message=message)

    if any(ord(c) < 32 or ord(c) == 127 for c in term.text):
        return [
            problem(
                "a control character inside the term; terms are separated by "
                "single spaces only (RFC 7208 4.6.1)"
            )
        ]
    if term.kind is Kind.MODIFIER:
        return [problem(m) for m in _modifier_problems(term)]
    if _QUALIFIED_MODIFIER.match(term.text):
        return [problem("a modifier cannot take a qualifier (RFC 7208 4.6.1)")]
    if term.name not in MECHANISMS:
        return [problem(f"unknown mechanism '{term.name}' (RFC 7208 5)")]
    return [problem(m) for m in _mechanism_problems(term)]


def _modifier_problems(term: Term) -> list[str]:
    if term.name in ("redirect", "exp"):
        if not term.value:
            return [f"{term.name}= needs a domain (RFC 7208 6)"]
        return _domain_spec_problems(term.value, allow_exp_macros=False)
    return _macro_problems(term.value, allow_exp_macros=True)


def _mechanism_problems(term: Term) -> list[str]:
    if term.name == "all":
        return (
            []
            if term.text.lstrip("+-~?").lower() == "all"
            else ["'all' takes no value or prefix length (RFC 7208 5.1)"]
        )
    if term.name in ("ip4", "ip6"):
        return _ip_problems(term)
    problems = _cidr_problems(term)
    if term.name in ("include", "exists") and not term.value:
        problems.append(f"{term.name} needs a domain, as in {term.name}:example.com")
    if term.name in ("include", "exists", "ptr") and (
        term.cidr4 is not None or term.cidr6 is not None
    ):
        problems.append(f"{term.name} takes no prefix length (RFC 7208 5)")
    if term.value:
        problems += _domain_spec_problems(term.value, allow_exp_macros=False)
    elif ":" in term.text and term.name not in ("include", "exists"):
        problems.append(f"an empty domain after '{term.name}:'")
    return problems


def _cidr_problems(term: Term) -> list[str]:
    problems = []
    if term.cidr4 is not None and term.cidr4 > 32:
        problems.append(f"IPv4 prefix length /{term.cidr4} is over 32")
    if term.cidr6 is not None and term.cidr6 > 128:
        problems.append(f"IPv6 prefix length //{term.cidr6} is over 128")
    if re.search(r"/0\d", term.text):
        problems.append("a prefix length with a leading zero (RFC 7208 12)")
    return problems


def _ip_problems(term: Term) -> list[str]:
    version, limit = (4, 32) if term.name == "ip4" else (6, 128)
    try:
        address = ipaddress.ip_address(term.value)
    except ValueError:
        return [f"'{term.value}' is not an IPv{version} address"]
    if address.version != version:
        return [f"'{term.value}' is not an IPv{version} address"]
    if term.cidr4 == -1 or (term.cidr4 is not None and term.cidr4 > limit):
        return [f"bad prefix length in {term.text} (0 to {limit})"]
    if re.search(r"/0\d", term.text):
        return ["a prefix length with a leading zero (RFC 7208 12)"]
    return []


def _domain_spec_problems(spec: str, *, allow_exp_macros: bool) -> list[str]:
    problems = _macro_problems(spec, allow_exp_macros=allow_exp_macros)
    if not spec:
        return ["an empty domain"]
    if problems:
        return problems
    tail = _MACRO.sub("\0", spec.rstrip("."))
    if not (tail.endswith("\0") or _TOPLABEL.search(spec)):
        problems.append(f"'{spec}' does not end in a valid top-level label (RFC 7208 7.1)")
    if ".." in spec.rstrip("."):
        problems.append(f"'{spec}' has an empty label")
    return problems


def _macro_problems(text: str, *, allow_exp_macros: bool) -> list[str]:
    problems = []
    for match in _MACRO.finditer(text):
        letter = (match.group(1) or "").lower()
        if letter and letter not in _MACRO_LETTERS:
            problems.append(f"unknown macro letter in '{match.group(0)}' (RFC 7208 7.2)")
        elif letter in _EXP_ONLY_LETTERS and not allow_exp_macros:
            problems.append(f"macro '{match.group(0)}' is allowed only in exp= text (RFC 7208 7.2)")
    if "%" in _MACRO.sub("", text):
        problems.append("a '%' that starts no valid macro; write '%%' for a literal percent sign")
    return problems


def _record_problems(terms: list[Term]) -> list[Problem]:
    problems = []
    for name in ("redirect", "exp"):
        repeated = [t for t in terms if t.kind is Kind.MODIFIER and t.name == name][1:]
        problems += [
            Problem(
                term=t.text,
                position=t.position,
                message=f"{name}= appears more than once (RFC 7208 6)",
            )
            for t in repeated
        ]
    return problems
