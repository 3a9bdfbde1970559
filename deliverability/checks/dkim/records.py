"""A DKIM key record's tag list and RSA key, read as dkimpy reads them.

dkimpy is the reference implementation, and a check read keys with it
(`dkim.util.parse_tag_value`, `dkim.crypto.parse_public_key`). Importing either runs
the `dkim` package, which loads PyNaCl, authres, its canonicalization and its DNS
plugin: ~8 ms of a one-domain check's start-up, for two readers of a few lines. These
are those readers, with dkimpy's rules and leniencies kept (a tag name need only start
with a letter; bytes after the key are ignored; an RSAPublicKey without its
SubjectPublicKeyInfo wrapper is accepted). tests/checks/dkim/test_records.py holds them
to dkimpy's answers over generated records and keys. The `message` command still
verifies signatures with dkimpy itself.
"""

from __future__ import annotations

import re
from typing import Any

_TAG_NAME = re.compile(rb"[a-zA-Z]")  # dkimpy matches ^[a-zA-Z](\w)*: only the first byte counts
_INTEGER, _BIT_STRING, _NULL, _OID, _SEQUENCE = 0x02, 0x03, 0x05, 0x06, 0x30
# dkimpy's templates: SEQUENCE { SEQUENCE { algorithm OID, NULL }, BIT STRING } and
# SEQUENCE { modulus INTEGER, publicExponent INTEGER }
_SPKI = [(_SEQUENCE, [(_SEQUENCE, [(_OID, None), (_NULL, None)]), (_BIT_STRING, None)])]
_RSA_PUBLIC_KEY = [(_SEQUENCE, [(_INTEGER, None), (_INTEGER, None)])]


class TagListError(ValueError):
    """Not a tag=value list (RFC 6376 3.2): `kind` is "bad part" or "duplicate tag" and
    `detail` the part or the tag name, as dkimpy's InvalidTagSpec and DuplicateTag carry."""

    def __init__(self, kind: str, detail: bytes) -> None:
        super().__init__(kind, detail)
        self.kind, self.detail = kind, detail


def parse_tag_list(data: bytes) -> dict[bytes, bytes]:
    """Tag names to values, both stripped; TagListError when a part has no `=`, a name
    does not start with a letter, or a name is given twice. A final `;` is allowed."""
    parts = data.strip().split(b";")
    if not parts[-1]:
        parts.pop()
    tags: dict[bytes, bytes] = {}
    for part in parts:
        name, equals, value = part.partition(b"=")
        name = name.strip()
        if not equals or not _TAG_NAME.match(name):
            raise TagListError("bad part", part)
        if name in tags:
            raise TagListError("duplicate tag", name)
        tags[name] = value.strip()
    return tags


def rsa_modulus(der: bytes) -> int | None:
    """The modulus of a DER SubjectPublicKeyInfo holding an RSAPublicKey (RFC 8017
    A.1.1), or of a bare RSAPublicKey; None when neither reads."""
    spki = _read(der, _SPKI)
    key = _read(spki[0][1][1:], _RSA_PUBLIC_KEY) if spki is not None else None  # [1:]: unused bits
    if key is None:
        key = _read(der, _RSA_PUBLIC_KEY)
    return key[0][0] if key is not None else None


def _read(data: bytes, template: list[tuple[int, Any]]) -> list[Any] | None:
    """dkimpy's asn1_parse: each element's tag must be the template's, its length short
    or long form, a SEQUENCE read from its own bytes; None where dkimpy raises."""
    values: list[Any] = []
    i = 0
    try:
        for tag, inner in template:
            if data[i] != tag:
                return None
            length = data[i + 1]
            i += 2
            if length & 0x80:
                count, length = length & 0x7F, 0
                for _ in range(count):
                    length = (length << 8) | data[i]
                    i += 1
            if tag == _INTEGER:
                if i + length > len(data):
                    return None  # dkimpy reads byte by byte into the end: truncated
                values.append(int.from_bytes(data[i : i + length], "big"))
            elif tag == _NULL:
                if length != 0:
                    return None
                values.append(None)  # and nothing to skip
            elif tag == _SEQUENCE:
                nested = _read(data[i : i + length], inner or [])
                if nested is None:
                    return None
                values.append(nested)
            else:
                values.append(data[i : i + length])  # dkimpy slices: short data is not an error
            i += length
    except IndexError:
        return None
    return values
