"""The Public Suffix List read one TLD at a time answers as the whole list does."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from publicsuffixlist import PSLFILE, PublicSuffixList, encode_idn

from deliverability.checks.dmarc.suffixes import SuffixList, public_suffix_list

WHOLE = PublicSuffixList()
RULES = [
    rule
    for line in Path(PSLFILE).read_text(encoding="utf-8").splitlines()
    if (rule := line.lower().split(" ")[0].rstrip()) and not rule.startswith("//")
]


def _names_around(rule: str) -> list[str]:
    """Names a rule decides: the rule's own name, one and two labels below it."""
    bare = rule.lstrip("!").removeprefix("*.")
    names = [bare, f"x.{bare}", f"a.b.{bare}", f"www.{bare}"]
    return names + [encode_idn(n) for n in names if not n.isascii()]


def test_every_rule_of_the_list_gives_the_whole_lists_answer() -> None:
    ours = public_suffix_list()
    names = [name for rule in RULES for name in _names_around(rule)]
    assert len(names) > 20_000  # the bundled list, not an empty one
    differ = [n for n in names if ours.privatesuffix(n) != WHOLE.privatesuffix(n)]
    assert differ == []


@pytest.mark.parametrize(("domain", "registrable"), [
    ("mail.example.com", "example.com"),
    ("www.example.co.uk", "example.co.uk"),
    ("co.uk", None),
    ("a.b.example.ck", "b.example.ck"),  # *.ck: every name under ck is a suffix
    ("www.ck", "www.ck"),  # !www.ck: except this one
    ("shop.example.рф", "example.рф"),
    ("shop.xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai"),  # the same, as A-labels
    ("host.example.unknown-tld", "example.unknown-tld"),  # an unlisted TLD is a suffix
    ("Mail.Example.COM.", "example.com"),
])
def test_registrable_domains(domain: str, registrable: str | None) -> None:
    assert public_suffix_list().privatesuffix(domain) == registrable == WHOLE.privatesuffix(domain)


FROM_RULES = SuffixList("\n".join(RULES))
labels = st.sampled_from(["a", "www", "co", "com", "uk", "jp", "xn--p1ai", "рф", "ck", "xn--", ""])


@given(st.lists(labels, min_size=1, max_size=5))
def test_any_name_gets_the_whole_lists_answer(parts: list[str]) -> None:
    name = ".".join(parts)
    assert FROM_RULES.privatesuffix(name) == WHOLE.privatesuffix(name)
