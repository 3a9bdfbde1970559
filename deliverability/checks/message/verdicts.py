"""Vendors' spam-verdict headers decoded into plain words, from data with sources.

The meanings live in `deliverability/data/verdict_headers.toml`, each header with
the page that documents it. A field the data does not describe is listed with no
meaning; a vendor-looking header we do not know is listed, never guessed at.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any

from deliverability.checks.message.parse import Header
from deliverability.lean import dataclass

_PAIR = re.compile(r"([A-Za-z_][\w.\-]*)=(\S*)")


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """One decoded field: which header, which field, its value, what it means."""

    header: str
    field: str | None
    value: str
    meaning: str | None
    spam: bool = False  # the value says the message was treated as spam
    skipped: bool = False  # the value says filtering was bypassed and the message delivered
    vendor: str | None = None
    source: str | None = None


def load_catalog() -> dict[str, Any]:
    """The verdict-header data, read from the package (on each call: keep the result)."""
    text = (
        resources.files("deliverability")
        .joinpath("data/verdict_headers.toml")
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


def decode(headers: list[Header], catalog: dict[str, Any]) -> list[Verdict]:
    """Every verdict field found in `headers`, in header order."""
    known = {h["name"].lower(): h for h in catalog["header"]}
    prefixes = tuple(catalog["vendor_prefixes"])
    verdicts: list[Verdict] = []
    for header in headers:
        spec = known.get(header.key)
        if spec is not None:
            verdicts += _decode_one(header, spec)
        elif header.key.startswith(prefixes):
            verdicts.append(
                Verdict(header=header.name, field=None, value=header.value, meaning=None)
            )
    return verdicts


def _decode_one(header: Header, spec: dict[str, Any]) -> list[Verdict]:
    fmt = spec["format"]
    if fmt == "opaque":
        return [_verdict(header, spec, None, header.value, spec.get("meaning"), False)]
    if fmt == "value":
        value = header.value.strip()
        meaning = spec.get("values", {}).get(value) or spec.get("meaning")
        return [
            _verdict(
                header,
                spec,
                spec["field"],
                value,
                meaning,
                value in spec.get("spam", ()),
                value in spec.get("skipped", ()),
            )
        ]
    pairs = {"fields": _fields, "pairs": _pairs, "status": _status}[fmt](header.value, spec)
    return [_field_verdict(header, spec, name, value) for name, value in pairs]


def _field_verdict(header: Header, spec: dict[str, Any], name: str, value: str) -> Verdict:
    field_spec = spec.get("fields", {}).get(name)
    if field_spec is None:
        return _verdict(header, spec, name, value, None, False)
    meaning = field_spec.get("values", {}).get(value) or _in_range(field_spec, value)
    described = f"{field_spec['meaning']}: {meaning}" if meaning else field_spec["meaning"]
    spam_values = field_spec.get("spam", spec.get("spam", []) if name == "verdict" else [])
    return _verdict(
        header,
        spec,
        name,
        value,
        described,
        value in spam_values,
        value in field_spec.get("skipped", ()),
    )


def _verdict(
    header: Header,
    spec: dict[str, Any],
    name: str | None,
    value: str,
    meaning: str | None,
    spam: bool,
    skipped: bool = False,
) -> Verdict:
    return Verdict(
        header=header.name,
        field=name,
        value=value,
        meaning=meaning,
        spam=spam,
        skipped=skipped,
        vendor=spec.get("vendor"),
        source=spec.get("source"),
    )


def _in_range(field_spec: dict[str, Any], value: str) -> str | None:
    try:
        number = float(value)
    except ValueError:
        return None
    for span in field_spec.get("ranges", []):
        if span["min"] <= number <= span["max"]:
            return span["meaning"]
    return None


def _fields(value: str, spec: dict[str, Any]) -> list[tuple[str, str]]:
    """`NAME:VALUE;NAME:VALUE` (Microsoft)."""
    out = []
    for part in value.split(spec.get("separator", ";")):
        name, sep, field_value = part.strip().partition(spec.get("assign", ":"))
        if sep and name:
            out.append((name.strip(), field_value.strip()))
    return out


def _pairs(value: str, spec: dict[str, Any]) -> list[tuple[str, str]]:
    """`name=value name=value` (Proofpoint)."""
    return [(m.group(1), m.group(2)) for m in _PAIR.finditer(value)]


def _status(value: str, spec: dict[str, Any]) -> list[tuple[str, str]]:
    """`Yes, score=5.2 required=5.0 tests=A,B autolearn=no` (SpamAssassin, Barracuda)."""
    head, _, rest = value.partition(",")
    out = [("verdict", head.strip())]
    rest = re.sub(r",\s+", ",", rest)  # tests lists are folded after commas
    out += [(m.group(1), m.group(2).rstrip(",")) for m in _PAIR.finditer(rest)]
    return out
