"""deliverability.lean.dataclass behaves as dataclasses.dataclass does.

Each shape is written twice, once with each decorator, and the two are held to the same
equality, hashing, repr and immutability over generated values.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import deliverability
from deliverability import lean


def _pair(body: dict[str, Any], **options: Any) -> tuple[type, type]:
    """The class `body` describes, made by the stdlib decorator and by ours."""
    made = []
    for decorate in (dataclasses.dataclass, lean.dataclass):
        namespace = dict(body)
        cls = type("Shape", (), namespace)
        made.append(decorate(**options)(cls))
    return made[0], made[1]


_PLAIN = {"__annotations__": {"name": "str", "count": "int"}, "count": 0}
_UNCOMPARED = {
    "__annotations__": {"name": "str", "seen": "int", "secret": "str"},
    "seen": dataclasses.field(default=0, compare=False),
    "secret": dataclasses.field(default="", repr=False),
}
_ONE = {"__annotations__": {"name": "str"}}
_NONE: dict[str, Any] = {"__annotations__": {}}
SHAPES = [_PLAIN, _UNCOMPARED, _ONE, _NONE]
OPTIONS = [
    {"frozen": True, "kw_only": True},
    {"kw_only": True},
    {"frozen": True},
    {},
    {"unsafe_hash": True},
]


def _make(cls: type, name: str, number: int) -> Any:
    fields = {f.name for f in dataclasses.fields(cls)}
    values = {"name": name, "count": number, "seen": number, "secret": name[::-1]}
    return cls(**{key: value for key, value in values.items() if key in fields})


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("body", SHAPES)
@given(st.text(max_size=5), st.integers(0, 3), st.text(max_size=5), st.integers(0, 3))
def test_equality_hash_and_repr_match_the_standard_library(
    body: dict[str, Any], options: dict[str, Any], a: str, i: int, b: str, j: int
) -> None:
    theirs, ours = _pair(body, **options)
    x, y = _make(theirs, a, i), _make(theirs, b, j)
    p, q = _make(ours, a, i), _make(ours, b, j)
    assert (p == q) == (x == y)
    assert (p != q) == (x != y)
    assert repr(p) == repr(x)
    hashable = theirs.__hash__ is not None
    assert (ours.__hash__ is not None) == hashable
    if hashable and p == q:
        assert hash(p) == hash(q)
    assert p != x  # another class, however alike
    assert (p == 1) is False


@pytest.mark.parametrize("body", SHAPES)
def test_frozen_refuses_assignment_and_replace_works(body: dict[str, Any]) -> None:
    _, ours = _pair(body, frozen=True, kw_only=True)
    one = _make(ours, "a", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.name = "b"
    assert dataclasses.replace(one) == one
    assert dataclasses.is_dataclass(ours)


def test_a_class_keeps_its_own_methods() -> None:
    class Own:
        name: str

        def __eq__(self, other: object) -> bool:
            return True

        def __repr__(self) -> str:
            return "own"

    theirs = dataclasses.dataclass(frozen=True)(type("Own", (Own,), {}))
    ours = lean.dataclass(frozen=True)(Own)
    assert repr(ours(name="a")) == "own"
    assert ours(name="a") == ours(name="b")
    # __eq__ without __hash__ in the body: a frozen class still gets a field hash
    assert hash(ours(name="a")) == hash(ours(name="a"))
    assert theirs.__hash__ is not None


def test_an_instance_holding_itself_shows_dots() -> None:
    box = lean.dataclass(kw_only=True)(type("Box", (), {"__annotations__": {"inside": "object"}}))
    one = box(inside=None)
    one.inside = one
    assert repr(one) == "Box(inside=...)"


def test_the_package_makes_its_dataclasses_with_lean() -> None:
    """One way to write a value class: the stdlib decorator would bring back its cost."""
    root = pathlib.Path(deliverability.__file__).parent
    stdlib = re.compile(r"^\s*@dataclasses\.dataclass|^from dataclasses import .*\bdataclass\b", re.M)
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "lean.py" and stdlib.search(path.read_text())
    ]
    assert offenders == []
