"""`dataclass`, cheaper to create: one small `exec` a class, the other methods shared.

Python 3.11 compiles each method `dataclasses.dataclass` generates with `exec` through a
wrapper function, 0.1-0.2 ms apiece, five for a frozen class: creating the ~55 classes a
check imports took a sixth of its start-up CPU (docs/performance.md). Here dataclasses
collects the fields (so `fields()`, `replace()` and `asdict()` work as ever) and writes
no method: `__init__` is one plain function compiled from its own few lines, and
`__eq__`, `__hash__`, `__repr__` and a frozen class's `__setattr__` and `__delattr__`
are closures over the field names, which cost nothing to make. They behave as the
generated ones do (tests/test_lean.py holds them to it): the same signature, defaults
and factories, equal when of the same class with equal compared fields, hashable when
frozen (or `unsafe_hash`), a class's own methods kept. A class with a dataclass base
or an `InitVar` is left to dataclasses' own `__init__` and frozen methods.
"""

from __future__ import annotations

import dataclasses
import inspect
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
        if _has_dataclass_base(cls):  # dataclasses merges the bases' fields and rules
            made = dataclasses.dataclass(cls, frozen=frozen, kw_only=kw_only, eq=False, repr=False)
        else:
            made = _plain_dataclass(cls, frozen=frozen, kw_only=kw_only)
        _share_methods(made, frozen=frozen, unsafe_hash=unsafe_hash, explicit_hash=explicit_hash)
        return made

    return wrap if cls is None else wrap(cls)


def _has_explicit_hash(cls: type) -> bool:
    """Whether the class body defines `__hash__` (as dataclasses decides it: defining
    only `__eq__` sets `__hash__` to None, which does not count)."""
    own = cls.__dict__.get("__hash__", dataclasses.MISSING)
    return not (own is dataclasses.MISSING or (own is None and "__eq__" in cls.__dict__))


def _has_dataclass_base(cls: type) -> bool:
    return any(dataclasses.is_dataclass(base) for base in cls.__mro__[1:])


def _plain_dataclass(cls: type[T], *, frozen: bool, kw_only: bool) -> type[T]:
    """`cls` as dataclasses makes it, with `__init__` (and a frozen class's attribute
    guards) written here. dataclasses is told init=False and frozen=False so that it
    compiles nothing, then its record of the class says what was asked."""
    documented = bool(cls.__dict__.get("__doc__"))
    for name in ("__setattr__", "__delattr__"):
        if frozen and name in cls.__dict__:  # dataclasses' own refusal
            raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
    made: Any = dataclasses.dataclass(cls, init=False, kw_only=kw_only, eq=False, repr=False)
    fields = dataclasses.fields(made)
    pseudo = made.__dataclass_fields__.keys() - {f.name for f in fields}
    if any(_is_initvar(made.__dataclass_fields__[name].type) for name in pseudo):
        raise TypeError(f"{cls.__name__}: lean.dataclass takes no InitVar; use dataclasses")
    params = made.__dataclass_params__
    params.init, params.frozen = True, frozen
    if "__init__" not in made.__dict__:
        made.__init__ = _init_of(made, fields, frozen=frozen)
        if not documented:  # dataclasses wrote the signature of an __init__ not made yet
            made.__doc__ = made.__name__ + str(inspect.signature(made)).replace(" -> None", "")
    if frozen:
        made.__setattr__, made.__delattr__ = _frozen_guards(made, fields)
    return made


def _is_initvar(annotation: object) -> bool:
    if isinstance(annotation, str):  # `from __future__ import annotations`
        return annotation.startswith(("InitVar", "dataclasses.InitVar"))
    return isinstance(annotation, dataclasses.InitVar) or annotation is dataclasses.InitVar


class _Factory:
    """The default of a parameter whose field has a default_factory (shown as dataclasses
    shows it)."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _init_of(
    cls: type, fields: tuple[dataclasses.Field[Any], ...], *, frozen: bool
) -> Callable[..., None]:
    """The `__init__` dataclasses would write for `fields`: parameters in its order
    (positional, then keyword-only), defaults and factories, each field assigned (through
    object.__setattr__ when frozen), then `__post_init__()` if the class has one."""
    names = {f.name for f in fields}
    me = "__dataclass_self__" if "self" in names else "self"
    namespace: dict[str, Any] = {"__lean_factory": _FACTORY, "__lean_set": object.__setattr__}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    seen_default = False
    for f in fields:
        has_default = f.default is not dataclasses.MISSING
        has_factory = f.default_factory is not dataclasses.MISSING
        if f.init:
            param = f.name
            if has_default:
                namespace[f"__lean_default_{f.name}"] = f.default
                param += f"=__lean_default_{f.name}"
            elif has_factory:
                param += "=__lean_factory"
            if not f.kw_only:
                if has_default or has_factory:
                    seen_default = True
                elif seen_default:
                    raise TypeError(f"non-default argument {f.name!r} follows default argument")
            (keyword if f.kw_only else positional).append(param)
        if has_factory:
            namespace[f"__lean_make_{f.name}"] = f.default_factory
            value = f"__lean_make_{f.name}()"
            if f.init:
                value += f" if {f.name} is __lean_factory else {f.name}"
        elif f.init:
            value = f.name
        else:
            continue  # read from the class attribute holding its default
        if frozen:
            body.append(f"__lean_set({me}, {f.name!r}, {value})")
        else:
            body.append(f"{me}.{f.name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append(f"{me}.__post_init__()")
    params = [me, *positional, *(["*", *keyword] if keyword else [])]
    lines = "".join(f"\n    {line}" for line in body or ["pass"])
    exec(f"def __init__({', '.join(params)}):{lines}", namespace)  # noqa: S102 (our own text)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__annotations__ = {f.name: f.type for f in fields if f.init} | {"return": None}
    return init


def _frozen_guards(
    cls: Any, fields: tuple[dataclasses.Field[Any], ...]
) -> tuple[Callable[..., None], Callable[..., None]]:
    """A frozen class's `__setattr__` and `__delattr__`: nothing assigned or deleted on an
    instance of the class itself, no field on a subclass's (dataclasses' rule)."""
    names = frozenset(f.name for f in fields)

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    __setattr__.__qualname__ = f"{cls.__qualname__}.__setattr__"
    __delattr__.__qualname__ = f"{cls.__qualname__}.__delattr__"
    return __setattr__, __delattr__


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
