"""`dataclass`, cheaper to create: `__eq__`, `__hash__` and `__repr__` are shared, not compiled.

Python 3.11 compiles each method `dataclasses.dataclass` generates with `exec`, about
0.15 ms apiece, six for a frozen class: creating the ~55 classes a check imports took a
sixth of its start-up CPU (docs/performance.md). This `dataclass` lets dataclasses write only
what must be written per class (`__init__`, and a frozen class's `__setattr__` and
`__delattr__`) and gives the rest as closures over the field names, which cost nothing
to make. They behave as the generated ones do (tests/test_lean.py holds them to it):
equal when of the same class with equal compared fields, hashable when frozen (or
`unsafe_hash`), a class's own `__eq__`, `__hash__` or `__repr__` kept.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")


@overload
def dataclass(cls: type[T], /) -> type[T]: ...


@overload
def dataclass(
    *, frozen: bool = False, kw_only: bool = False, unsafe_hash: bool = False
) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def dataclass(
    cls: type[T] | None = None,
    /,
    *,
    frozen: bool = False,
    kw_only: bool = False,
    unsafe_hash: bool = False,
) -> type[T] | Callable[[type[T]], type[T]]:
    """`dataclasses.dataclass` with these options, its comparison and repr shared."""

    def wrap(cls: type[T]) -> type[T]:
        # read before dataclass runs: the class as written, not as decorated
        explicit_hash = _has_explicit_hash(cls)
        made = dataclasses.dataclass(cls, frozen=frozen, kw_only=kw_only, eq=False, repr=False)
        _share_methods(made, frozen=frozen, unsafe_hash=unsafe_hash, explicit_hash=explicit_hash)
        return made

    return wrap if cls is None else wrap(cls)


def _has_explicit_hash(cls: type) -> bool:
    """Whether the class body defines `__hash__` (as dataclasses decides it: defining
    only `__eq__` sets `__hash__` to None, which does not count)."""
    own = cls.__dict__.get("__hash__", dataclasses.MISSING)
    return not (own is dataclasses.MISSING or (own is None and "__eq__" in cls.__dict__))


def _share_methods(cls: type, *, frozen: bool, unsafe_hash: bool, explicit_hash: bool) -> None:
    fields = dataclasses.fields(cls)
    compared = _values_of([f.name for f in fields if f.compare])
    hashed = _values_of([f.name for f in fields if (f.compare if f.hash is None else f.hash)])
    if "__repr__" not in cls.__dict__:
        cls.__repr__ = _repr_of([f.name for f in fields if f.repr])  # type: ignore[assignment]
    if "__eq__" not in cls.__dict__:

        def __eq__(self: Any, other: object) -> bool:
            if other.__class__ is self.__class__:
                return bool(compared(self) == compared(other))
            return NotImplemented

        cls.__eq__ = __eq__  # type: ignore[method-assign,assignment]
    # dataclasses' table for eq=True: a hash from the fields when frozen or asked for,
    # else unhashable (mutable values that compare equal must not share a dict slot)
    if unsafe_hash or (frozen and not explicit_hash):

        def __hash__(self: Any) -> int:
            return hash(hashed(self))

        cls.__hash__ = __hash__  # type: ignore[method-assign,assignment]
    elif not explicit_hash:
        cls.__hash__ = None  # type: ignore[assignment]


def _values_of(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving an instance's values of `names` as a tuple (attrgetter gives a
    bare value for one name and refuses none)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda instance: (one(instance),)
    return lambda instance: ()


def _repr_of(names: list[str]) -> Callable[[Any], str]:
    @reprlib.recursive_repr()  # an instance holding itself shows '...', as dataclasses do
    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__
