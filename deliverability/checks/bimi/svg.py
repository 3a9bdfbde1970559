"""SVG Tiny Portable/Secure basics for BIMI logos: what a provider's validator rejects.

Checked: well-formed XML without DOCTYPE or entities (never expanded), root `<svg>`
in the SVG namespace with `version="1.2"` and `baseProfile="tiny-ps"`, a `<title>`,
no `x`/`y` on the root, no scripts, event handlers, raster or foreign content, and
no references outside the document. Not a full SVG Tiny 1.2 validator.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

SVG_NS = "{http://www.w3.org/2000/svg}"
_FORBIDDEN = {"script", "image", "foreignObject", "audio", "video", "iframe", "animation"}


def declares(body: bytes) -> bool:
    """Whether the document has a DOCTYPE or entity declarations (never parsed further)."""
    return b"<!DOCTYPE" in body[:4096].upper() or b"<!ENTITY" in body.upper()


def svg_problems(body: bytes) -> list[str]:
    """What keeps `body` from being an SVG Tiny PS logo; [] when the basics hold."""
    if declares(body):
        return ["contains a DOCTYPE or entity declarations (not allowed; never expanded here)"]
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    if root.tag != f"{SVG_NS}svg":
        return [f"the root element is {root.tag!r}, not an SVG <svg>"]
    problems = _root_problems(root)
    for element in root.iter():
        problems += _element_problems(element)
    return list(dict.fromkeys(problems))


def _root_problems(root: ET.Element) -> list[str]:
    problems = []
    if root.get("version") != "1.2":
        problems.append(f'version is {root.get("version")!r}, not "1.2"')
    if root.get("baseProfile") != "tiny-ps":
        problems.append(f'baseProfile is {root.get("baseProfile")!r}, not "tiny-ps"')
    if root.find(f"{SVG_NS}title") is None:
        problems.append("no <title> element")
    if root.get("x") is not None or root.get("y") is not None:
        problems.append("x= or y= on the root element")
    return problems


def _element_problems(element: ET.Element) -> list[str]:
    name = element.tag.rsplit("}", 1)[-1]
    problems = [f"<{name}> is not allowed"] if name in _FORBIDDEN else []
    for attribute, value in element.attrib.items():
        local = attribute.rsplit("}", 1)[-1]
        if local.lower().startswith("on"):
            problems.append(f"event handler {local}= is not allowed")
        if local == "href" and not value.startswith("#"):
            problems.append(f"external reference {value!r} is not allowed")
    return problems
