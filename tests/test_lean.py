"""deliverability.lean.dataclass behaves as dataclasses.dataclass does.

Each shape is written twice, once with each decorator, and the two are held to the same
equality, hashing, repr and immutability over generated values.
"""

from __future__ import annotations

import dataclasses
import inspect
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


_DEFAULTS = {
    "__annotations__": {"name": "str", "tags": "list[str]", "count": "int", "note": "str"},
    "tags": dataclasses.field(default_factory=list),
    "count": 0,
    "note": dataclasses.field(default="-", init=False),
}
_FACTORY_NOT_IN_INIT = {
    "__annotations__": {"name": "str", "seen": "set[str]"},
    "seen": dataclasses.field(default_factory=set, init=False),
}
_SELF = {"__annotations__": {"self": "int", "other": "int"}, "other": 1}
_KW_FIELD = {
    "__annotations__": {"name": "str", "flag": "bool", "count": "int"},
    "flag": dataclasses.field(default=False, kw_only=True),
}
INIT_SHAPES = [_PLAIN, _UNCOMPARED, _ONE, _NONE, _DEFAULTS, _FACTORY_NOT_IN_INIT, _SELF, _KW_FIELD]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("body", INIT_SHAPES)
def test_init_takes_what_the_standard_library_s_takes(
    body: dict[str, Any], options: dict[str, Any]
) -> None:
    theirs, ours = _pair(body, **options)
    assert str(inspect.signature(ours)) == str(inspect.signature(theirs))
    assert str(inspect.signature(ours.__init__)) == str(inspect.signature(theirs.__init__))
    assert ours.__init__.__qualname__ == "Shape.__init__"
    assert ours.__doc__ == theirs.__doc__  # no docstring: dataclasses writes the signature
    assert ours.__match_args__ == theirs.__match_args__
    assert repr(dataclasses.fields(ours)) == repr(dataclasses.fields(theirs))
    params = ours.__dataclass_params__
    assert (params.init, params.frozen) == (True, options.get("frozen", False))
    values = {"name": "a", "count": 2, "self": 3, "flag": True}
    names = [p for p in inspect.signature(theirs).parameters if p in values]
    x, p = theirs(**{n: values[n] for n in names}), ours(**{n: values[n] for n in names})
    assert {f.name: getattr(p, f.name) for f in dataclasses.fields(ours)} == {
        f.name: getattr(x, f.name) for f in dataclasses.fields(theirs)
    }
    for f in dataclasses.fields(ours):  # a fresh value from each factory, per instance
        if f.default_factory is not dataclasses.MISSING:
            again = ours(**{n: values[n] for n in names})
            assert getattr(again, f.name) == getattr(p, f.name)
            assert getattr(again, f.name) is not getattr(p, f.name)
    if options.get("kw_only") and names:
        with pytest.raises(TypeError):
            ours(*(values[n] for n in names))


def test_positional_fields_are_taken_in_order_with_their_defaults() -> None:
    _, ours = _pair(_PLAIN)
    one = ours("a")
    assert (one.name, one.count) == ("a", 0)
    assert ours("b", 3) == ours(name="b", count=3)
    with pytest.raises(TypeError):
        ours()


def test_a_required_field_after_a_default_is_refused_as_dataclasses_does() -> None:
    body = {"__annotations__": {"count": "int", "name": "str"}, "count": 0}
    with pytest.raises(TypeError, match="non-default argument 'name' follows default argument"):
        lean.dataclass(type("Bad", (), dict(body)))
    with pytest.raises(TypeError, match="non-default argument 'name' follows default argument"):
        dataclasses.dataclass(type("Bad", (), dict(body)))
    assert lean.dataclass(kw_only=True)(type("Fine", (), dict(body)))(name="a").count == 0


def test_frozen_guards_say_what_dataclasses_says() -> None:
    theirs, ours = _pair(_PLAIN, frozen=True)
    for cls in (theirs, ours):
        one = cls("a")
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'name'"):
            one.name = "b"
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'other'"):
            one.other = 1
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'count'"):
            del one.count
    # a plain subclass may hold attributes of its own, never change a field
    child = type("Child", (ours,), {})("a")
    child.extra = 1
    assert child.extra == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        child.name = "b"
    with pytest.raises(TypeError, match="Cannot overwrite attribute __setattr__"):
        lean.dataclass(frozen=True)(type("Own", (), {"__setattr__": object.__setattr__}))


def test_post_init_own_init_and_dataclass_bases_are_honoured() -> None:
    calls = []
    body = {"__annotations__": {"name": "str"}, "__post_init__": lambda self: calls.append(self)}
    made = lean.dataclass(frozen=True)(type("Post", (), body))("a")
    assert calls == [made]
    def __init__(self: Any) -> None:
        self.name = "own"

    own = lean.dataclass(type("Own", (), {"__annotations__": {"name": "str"}, "__init__": __init__}))
    assert own.__init__ is __init__ and own().name == "own"  # the class's own, not replaced
    base = lean.dataclass(frozen=True, kw_only=True)(type("Base", (), {"__annotations__": {"a": "int"}}))
    child = lean.dataclass(frozen=True, kw_only=True)(
        type("Derived", (base,), {"__annotations__": {"b": "int"}, "b": 2})
    )
    assert [f.name for f in dataclasses.fields(child)] == ["a", "b"]
    assert child(a=1) == child(a=1, b=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        child(a=1).b = 3
    with pytest.raises(TypeError, match="cannot inherit non-frozen dataclass from a frozen one"):
        lean.dataclass(type("Thawed", (base,), {"__annotations__": {"c": "int"}}))


def test_an_initvar_is_refused_not_mistaken_for_a_field() -> None:
    body = {"__annotations__": {"name": "str", "raw": "dataclasses.InitVar[str]"}}
    with pytest.raises(TypeError, match="InitVar"):
        lean.dataclass(type("Raw", (), body))
