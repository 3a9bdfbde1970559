"""cli/coercion.py converts option values without pydantic; it must give typer's answer
(the value, or typer's error message) for every value, ordinary or not."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer import _coercion
from typer._click.exceptions import BadParameter
from typer.models import OptionInfo

from deliverability.cli.coercion import plain_runtime_param


class Colour(StrEnum):
    red = "red"
    dark_blue = "dark-blue"


KINDS = {
    "str": (str, {}),
    "float": (float, {}),
    "int": (int, {}),
    "int 1..1000": (int, {"min": 1, "max": 1000}),
    "float >= 0.5": (float, {"min": 0.5}),
    "bool": (bool, {}),
    "path": (Path, {}),
    "file path": (Path, {"dir_okay": False}),
    "choice": (Colour, {"case_sensitive": False}),
    "list of str": (list[str], {}),
    "list of int": (list[int], {}),
    "list of paths": (list[Path], {}),
}

NUMBERS = ["5", "+3", "-7", "007", "0", "1000", "1001", "5.", ".5", "1.0", "2.5", "1e3", "1E-2",
           "-0", "1e400", "inf", "-Infinity", "nan", "1_000", "0x10", "", " ", " 5 ", "1,5",
           "abc", "٣", "1__0", "_1", "5\n", "99999999999999999999999", "1e", "--1", "0.5",
           "9" * 5000, "1" + "0" * 400]
OTHERS = ["red", "RED", "Dark-Blue", "blue", "yes", "no", "true", "1", "-", "/tmp", "a b",
          "examples/example.com.zone", "ü", "\x00"]
DEFAULTS = [5, 5.0, 0, 2000, True, False, 2.5, Colour.red, Path("x"), [], ["a", "b"], ("1", "2")]


def answer(runtime: Any, value: Any) -> tuple[str, Any]:
    try:
        return "value", runtime._coerce_value(value, param=None, ctx=None)
    except BadParameter as failure:
        return "error", failure.message
    except Exception as failure:  # noqa: BLE001 (os.stat's ValueError for a NUL, say)
        return "raises", f"{type(failure).__name__}: {failure}"


def both(kind: str, value: Any) -> tuple[tuple[str, Any], tuple[str, Any]]:
    annotation, options = KINDS[kind]
    descriptor = _coercion.resolve_type_descriptor(annotation, OptionInfo(**options))
    ours = plain_runtime_param(descriptor)
    assert ours is not None, f"{kind} goes to typer unconverted"
    return answer(ours, value), answer(_coercion.build_runtime_param(descriptor), value)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("value", NUMBERS + OTHERS + DEFAULTS, ids=lambda v: repr(v)[:30])
def test_every_value_gets_typers_answer(kind: str, value: Any) -> None:
    ours, typers = both(kind, value)
    assert repr(ours) == repr(typers)  # repr: 5 is not 5.0 here, and nan is nan


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="0123456789+-._eEinfatyx ", max_size=8),
       kind=st.sampled_from(["float", "int 1..1000", "list of int"]))
def test_any_number_spelling_gets_typers_answer(text: str, kind: str) -> None:
    ours, typers = both(kind, text)
    assert repr(ours) == repr(typers)


def test_options_it_does_not_know_go_to_typer() -> None:
    parsed = _coercion.resolve_type_descriptor(int, OptionInfo(parser=int))
    clamped = _coercion.resolve_type_descriptor(int, OptionInfo(min=1, clamp=True))
    assert plain_runtime_param(parsed) is None
    assert plain_runtime_param(clamped) is None
