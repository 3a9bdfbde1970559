"""records.py reads tag lists and RSA keys exactly as dkimpy, the reference, does."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dkim.crypto import parse_public_key
from dkim.util import DuplicateTag, InvalidTagValueList, parse_tag_value
from hypothesis import example, given
from hypothesis import strategies as st

from deliverability.checks.dkim.records import TagListError, parse_tag_list, rsa_modulus


def _dkimpy_tags(data: bytes) -> Any:
    try:
        return parse_tag_value(data)
    except InvalidTagValueList as exc:
        return ("duplicate tag" if isinstance(exc, DuplicateTag) else "bad part", exc.args[0])


def _our_tags(data: bytes) -> Any:
    try:
        return parse_tag_list(data)
    except TagListError as exc:
        return (exc.kind, exc.detail)


PIECES = [b"v", b"DKIM1", b"p", b"k", b"rsa", b"=", b";", b" ", b"\t", b"\r\n", b"1", b"_",
          b"-", b"h", b"sha256", b"\x00", b"\xc3\xa9", b"==", b"9a", b"A"]


@given(st.lists(st.sampled_from(PIECES), max_size=14).map(b"".join))
@example(b"v=DKIM1; k=rsa; p=MIIB;")
@example(b"v=DKIM1;; p=")
@example(b"v=1; v=2")
@example(b"  ;")
@example(b"1a=b")
@example(b"a-b=c")
@example(b"")
@example(b"v = DKIM1 ; p = abc \t")
def test_tag_lists_read_as_dkimpy_reads_them(data: bytes) -> None:
    assert _our_tags(data) == _dkimpy_tags(data)


def _dkimpy_modulus(der: bytes) -> int | None:
    try:
        return parse_public_key(der)["modulus"]
    except Exception:  # its ASN.1 reader raises several types
        return None


def _keys() -> list[bytes]:
    keys = []
    for bits in (1024, 2048):
        public = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
        keys.append(public.public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo))
        keys.append(public.public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.PKCS1))
    return keys


KEYS = _keys()


@pytest.mark.parametrize("der", KEYS, ids=["spki-1024", "rsa-1024", "spki-2048", "rsa-2048"])
def test_real_keys_give_their_modulus(der: bytes) -> None:
    modulus = rsa_modulus(der)
    assert modulus is not None and modulus == _dkimpy_modulus(der)
    assert modulus.bit_length() in (1024, 2048)


@given(st.sampled_from(KEYS), st.data())
def test_damaged_keys_read_as_dkimpy_reads_them(der: bytes, data: st.DataObject) -> None:
    """Cut short, bytes changed, bytes added: the same modulus or the same refusal."""
    damaged = bytearray(der)
    for _ in range(data.draw(st.integers(0, 3))):
        where = data.draw(st.integers(0, len(damaged) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "extend", "zero-length", "long"]))
        if action == "flip":
            damaged[where] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del damaged[where:]
            if not damaged:
                break
        elif action == "extend":
            damaged += data.draw(st.binary(max_size=8))
        elif action == "zero-length" and where + 1 < len(damaged):
            damaged[where + 1] = 0
        elif action == "long" and where + 1 < len(damaged):
            damaged[where + 1] = 0x80 | data.draw(st.integers(0, 0x7F))
    assert rsa_modulus(bytes(damaged)) == _dkimpy_modulus(bytes(damaged))


@given(st.binary(max_size=40))
@example(b"\x30\x03\x02\x01\x05")  # SEQUENCE { INTEGER 5 }: one integer short
@example(b"\x30\x06\x02\x01\x05\x02\x01\x03")  # a bare RSAPublicKey, modulus 5
@example(b"\x30\x09\x30\x04\x06\x00\x05\x01\x00\x03\x00")  # NULL with a length
@example(b"\x30\xc1\x06\x02\x01\x05\x02\x01\x03")  # a length of 0x41 bytes: truncated
def test_any_bytes_read_as_dkimpy_reads_them(der: bytes) -> None:
    assert rsa_modulus(der) == _dkimpy_modulus(der)


def _der(tag: int, content: bytes) -> bytes:
    assert len(content) < 0x80
    return bytes([tag, len(content)]) + content


def test_a_null_with_content_is_refused_as_dkimpy_refuses_it() -> None:
    """dkimpy asserts the algorithm's NULL is empty, and gives up on the key when not."""
    rsa_key = _der(0x30, _der(0x02, b"\x05") + _der(0x02, b"\x03"))
    algorithm = _der(0x06, b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01")
    for null, expected in ((b"", 5), (b"\x00", None)):
        spki = _der(0x30, _der(0x30, algorithm + _der(0x05, null)) + _der(0x03, b"\x00" + rsa_key))
        assert rsa_modulus(spki) == _dkimpy_modulus(spki) == expected
