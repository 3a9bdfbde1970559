"""The suite's safety net: nothing in a test may reach beyond loopback."""

from __future__ import annotations

import socket

import pytest


@pytest.mark.parametrize("kind", [socket.SOCK_STREAM, socket.SOCK_DGRAM])
def test_a_connection_beyond_loopback_is_refused_before_any_packet(kind: int) -> None:
    with socket.socket(socket.AF_INET, kind) as sock, pytest.raises(AssertionError):
        sock.connect(("192.0.2.1", 443))


def test_full_check_of_the_example_stays_on_loopback(check) -> None:
    # example.com's world has MX, PTR, SPF, DMARC: nothing in it may lead off loopback
    assert check("example.com", "--ip", "192.0.2.10").code in (0, 1)
