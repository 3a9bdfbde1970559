"""The Public Suffix List, parsed one top-level domain at a time.

`publicsuffixlist.PublicSuffixList()` reads all ~10,000 rules of the list it bundles
and IDNA-encodes each: ~100 ms of CPU on the benchmark machine, a tenth of one check.
A rule can match a domain only if its last label is the domain's top-level label (the
list is matched label by label from the right), so the file is indexed by last label
once (~11 ms) and each TLD's rules are handed to `PublicSuffixList` the first time a
domain under it is asked about (com, the largest, ~1 ms). Every rule's answer is held
to the whole list's by tests/checks/dmarc/test_suffixes.py.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from publicsuffixlist import PSLFILE, PublicSuffixList


class SuffixList:
    """Registrable domains by the Public Suffix List (read-only, thread-safe)."""

    def __init__(self, text: str) -> None:
        self._rules: dict[str, list[str]] = {}
        for line in text.splitlines():
            rule = line.lower().split(" ")[0].rstrip()  # as PublicSuffixList reads a line
            if rule and not rule.startswith("//"):
                self._rules.setdefault(rule.rpartition(".")[2].lstrip("!"), []).append(rule)
        self._parsed: dict[str, PublicSuffixList] = {}
        self._lock = threading.Lock()

    def privatesuffix(self, domain: str) -> str | None:
        """The public suffix of `domain` plus one label, as PublicSuffixList gives it;
        None when `domain` is itself a public suffix (or not a valid name)."""
        return self._under(domain).privatesuffix(domain)

    def _under(self, domain: str) -> PublicSuffixList:
        tld = _unicode(domain.rstrip(".").rpartition(".")[2].lower())
        with self._lock:  # two threads asking about one TLD parse its rules once
            parsed = self._parsed.get(tld)
            if parsed is None:
                rules = self._rules.get(tld, [])
                # the A-label of an ASCII rule is the rule: encoding is for IDN rules only
                idn = not all(rule.isascii() for rule in rules)
                parsed = PublicSuffixList(rules, accept_encoded_idn=idn)
                self._parsed[tld] = parsed
        return parsed


def _unicode(label: str) -> str:
    """An A-label's Unicode form, the one the list writes its IDN rules in. Python's
    `idna` codec, not the `idna` package validation.py uses: it is the codec
    publicsuffixlist encodes those rules with, so the two forms meet."""
    if label.startswith("xn--"):
        try:
            return label.encode("ascii").decode("idna")
        except UnicodeError:
            return label  # not valid punycode: no IDN rule can match it
    return label


def public_suffix_list() -> SuffixList:
    """The list the `publicsuffixlist` package bundles, indexed once per process."""
    with _LOCK:  # the second caller waits for the first one's index
        return _indexed()


_LOCK = threading.Lock()


@functools.cache
def _indexed() -> SuffixList:
    return SuffixList(Path(PSLFILE).read_text(encoding="utf-8"))
