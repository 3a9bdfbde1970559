"""text.clean(): what no renderer can show safely is replaced, everything else kept."""

from __future__ import annotations

from deliverability.text import clean, clean_line

UNSAFE = {*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), *range(0x200B, 0x2010),
          *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF}


def test_every_code_point_is_kept_or_replaced_exactly_as_the_rule_says() -> None:
    for point in range(0x110000):
        char = chr(point)
        expected = "\ufffd" if point in UNSAFE else char
        assert clean(f"ok {char}") == f"ok {expected}", hex(point)


def test_a_terminal_escape_and_a_bidi_override_cannot_reach_the_output() -> None:
    assert clean("v=spf1 \x1b[2J\u202e-all") == "v=spf1 \ufffd[2J\ufffd-all"
    assert clean_line("two\nlines\tand tab") == "two lines and tab"
    assert clean(42) == "42"
