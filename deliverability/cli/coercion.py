"""Option values turned into Python values without pydantic, where that is plainly safe.

typer (0.29) coerces every option through a pydantic TypeAdapter, one built per
option on first use: importing pydantic and building a command's adapters is ~75 ms
of CPU before a one-domain check asks its first question, most of a 30 ms world's
critical path (docs/performance.md). The options here are strings, whole and decimal
numbers, flags, paths, choices and lists of them; a value of that kind in its ordinary
spelling is converted here, exactly as typer would. Anything else (an unusual
spelling, a number out of range, a choice that is not one, a type of option not
listed) goes to typer's own coercion, so its result and its error message are
typer's. tests/cli/test_coercion.py holds the two to the same answers.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

# typer's internals: install() checks that they are what this module was written for,
# and cli/__init__.py goes without it when they are not there
from typer import _coercion, _param_types, core

_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


class _Unsure(Exception):
    """The value is not in an ordinary spelling: typer's coercion decides."""


def _plain_str(value: Any, info: Any, param: Any, ctx: Any) -> str:
    if type(value) is str:  # a StrEnum default is typer's: it becomes its plain str
        return value
    raise _Unsure


def _plain_bool(value: Any, info: Any, param: Any, ctx: Any) -> bool:
    if isinstance(value, bool):  # a flag's default; a spelled value ("yes", "0") is typer's
        return value
    raise _Unsure


def _plain_number(kind: type) -> Any:
    pattern = _INTEGER if kind is int else _DECIMAL

    def convert(value: Any, info: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str) and pattern.fullmatch(value) and len(value) < 100:
            number = kind(value)  # longer: Python's int() refuses 4,301 digits; typer's say
        elif type(value) is kind:  # a default; bool is not an int here
            number = value
        elif kind is float and type(value) is int:
            number = float(value)
        else:
            raise _Unsure
        if (info.min is not None and number < info.min) or (
            info.max is not None and number > info.max
        ):
            raise _Unsure  # typer clamps or says which bound
        return number

    return convert


def _plain_path(value: Any, info: Any, param: Any, ctx: Any) -> Any:
    if isinstance(value, str) and value:
        value = Path(value)
    if not isinstance(value, Path):
        raise _Unsure
    # typer's own checks (exists, dir_okay, resolve_path, "-"), given a Path already
    try:
        return _param_types.coerce_cli_path(value, info, path_type=Path, param=param, ctx=ctx)
    except ValueError:  # os.stat of a NUL byte: typer words it
        raise _Unsure from None


def _plain_choice(choices: tuple[Enum, ...]) -> Any:
    def convert(value: Any, info: Any, param: Any, ctx: Any) -> Any:
        try:
            return _param_types.coerce_cli_choice(
                value, choices=choices, case_sensitive=info.case_sensitive, ctx=ctx
            )
        except ValueError:
            raise _Unsure from None

    return convert


def _converter(annotation: Any, info: Any) -> Any:
    """A function (value, info, param, ctx) -> value for `annotation`, or None: not ours."""
    if info.parser is not None or info.clamp:
        return None
    if annotation is str:
        return _plain_str
    if annotation is bool:
        return _plain_bool
    if annotation is int or annotation is float:
        return _plain_number(annotation)
    if annotation is Path and info.path_type is None:
        return _plain_path
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _plain_choice(tuple(annotation))
    return None


class _PlainRuntimeParam:
    """Converts ordinary values itself; hands the rest to typer's RuntimeParam. Not a
    dataclass (creating one costs ~1 ms of every start, --help's too): typer needs only
    its coerce(), which is RuntimeParam's own (None, and a list given as a string)."""

    __slots__ = ("convert", "descriptor", "is_list", "typer")
    coerce = _coercion.RuntimeParam.coerce

    def __init__(self, convert: Any, descriptor: Any, is_list: bool) -> None:
        self.convert, self.descriptor, self.is_list = convert, descriptor, is_list
        self.typer: Any = None  # typer's RuntimeParam, built when first needed

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        info = self.descriptor.parameter_info
        try:
            if self.is_list:
                items = value if isinstance(value, (list, tuple)) else [value]
                return [self.convert(item, info, param, ctx) for item in items]
            return self.convert(value, info, param, ctx)
        except _Unsure:
            self.typer = self.typer or _coercion.build_runtime_param(self.descriptor)
            return self.typer._coerce_value(value, param=param, ctx=ctx)


def plain_runtime_param(descriptor: Any) -> Any:
    """A RuntimeParam for `descriptor` that needs no pydantic, or None."""
    if descriptor.file_annotation is not None:
        return None
    annotation, info = descriptor.annotation, descriptor.parameter_info
    is_list = get_origin(annotation) is list
    if is_list:
        (annotation,) = get_args(annotation)
    convert = _converter(annotation, info)
    if convert is None:
        return None
    return _PlainRuntimeParam(convert, descriptor, is_list)


def install() -> None:
    """Let typer's parameters use plain_runtime_param first; nothing changes when
    typer's internals are not the ones this module knows."""
    parameter: Any = getattr(core, "_TyperParameter", None)
    known = (
        parameter is not None
        and hasattr(parameter, "get_runtime_param")
        and hasattr(_coercion, "build_runtime_param")
        and hasattr(_param_types, "coerce_cli_path")
        and hasattr(_param_types, "coerce_cli_choice")
    )
    if not known:
        return

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            plain = plain_runtime_param(self.type_descriptor)
            self._runtime_param = plain or _coercion.build_runtime_param(self.type_descriptor)
        return self._runtime_param

    parameter.get_runtime_param = get_runtime_param
