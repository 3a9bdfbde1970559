"""change.py's TXT presentation reader against dnspython's."""

from __future__ import annotations

import dns.exception
import dns.rdata
from hypothesis import given, settings
from hypothesis import strategies as st

from deliverability.change import joined_txt, txt_strings, txt_value


def by_dnspython(presented: str) -> tuple[bytes, ...] | None:
    try:
        return tuple(dns.rdata.from_text("IN", "TXT", presented).strings)
    except (dns.exception.DNSException, ValueError):
        return None


def by_reader(presented: str) -> tuple[bytes, ...] | None:
    try:
        return txt_strings(presented)
    except ValueError:
        return None


# what checks propose and what a hostile record holds: quotes, escapes, controls,
# surrogates, non-ASCII, strings past 255 bytes
pieces = st.sampled_from(['"', "\\", " ", "\t", "\n", "\x00", "\x7f", "é", "\ud800", "v=spf1"])
texts = st.lists(st.one_of(pieces, st.text(max_size=300)), max_size=8).map("".join)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(texts, st.lists(texts, min_size=1, max_size=4).map(
    lambda strings: " ".join(f'"{s}"' for s in strings))))
def test_txt_strings_reads_what_dnspython_reads(presented: str) -> None:
    assert by_reader(presented) == by_dnspython(presented)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=700))
def test_a_value_txt_value_wrote_reads_back_to_the_same_text(text: str) -> None:
    if any("\ud800" <= c <= "\udfff" for c in text):
        return  # not UTF-8: no record can hold it
    assert joined_txt(txt_value(text)) == text
