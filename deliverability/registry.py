"""Find, load and validate checks: built-ins and third-party plugins alike.

Every check registers under the entry-point group `deliverability.checks`. Entry
points are found before anything is imported, loaded in name order, and checked for
shape; a plugin that fails to load is named in one line (PluginError).
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import field
from importlib.metadata import Distribution, entry_points
from types import ModuleType
from typing import Any

from deliverability.lean import dataclass

GROUP = "deliverability.checks"
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$")
# Codes the engine itself gives any check (see engine.py).
ENGINE_CODES = {
    "lookup-failed": "A DNS lookup the check depends on failed",
    "timed-out": "The check did not finish within its time limit",
    "crashed": "The check failed with an internal error",
}


# Checks a command runs itself (never `check DOMAIN`): check name -> module. They are
# not entry points; this is the one list of them (docs sync and layout tests read it).
COMMAND_CHECKS = {
    "message": "deliverability.checks.message.check",
    "dmarc-reports": "deliverability.checks.dmarc_reports.check",
    "bounce": "deliverability.checks.bounce.check",
}


class PluginError(Exception):
    """A check plugin cannot be used; the message is one line naming it."""


@dataclass(frozen=True, kw_only=True)
class CheckSpec:
    """A loaded check module, validated."""

    name: str
    module: ModuleType
    codes: dict[str, str]
    defaults: dict[str, Any] = field(default_factory=dict)
    needs: tuple[str, ...] = ()
    distribution: str = ""

    @property
    def doc(self) -> str:
        """The check's user documentation: its module docstring."""
        return inspect.cleandoc(self.module.__doc__ or "")

    @property
    def all_codes(self) -> dict[str, str]:
        """The check's own codes plus the engine's codes for it."""
        engine = {f"{self.name}.{suffix}": title for suffix, title in ENGINE_CODES.items()}
        return {**self.codes, **engine}

    async def run(self, ctx: Any) -> list[Any]:
        """Run the check."""
        return await self.module.run(ctx)


def load_checks() -> list[CheckSpec]:
    """All installed checks, sorted by name; PluginError on the first bad one."""
    specs: dict[str, CheckSpec] = {}
    # Distribution.name parses the METADATA file on every call (~0.5 ms): once each
    dist_names: dict[Distribution, str] = {}
    for ep in sorted(entry_points(group=GROUP), key=lambda ep: ep.name):
        if ep.name in specs:
            continue  # the same distribution seen twice on sys.path
        if ep.dist is not None and ep.dist not in dist_names:
            dist_names[ep.dist] = ep.dist.name
        dist = dist_names[ep.dist] if ep.dist is not None else "?"
        try:
            module = ep.load()
        except Exception as exc:
            raise PluginError(
                f"check plugin {ep.name!r} ({ep.value}, from {dist}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        specs[ep.name] = validate_check(ep.name, module, dist)
    for spec in specs.values():
        missing = [n for n in spec.needs if n not in specs]
        if missing:
            raise PluginError(f"check {spec.name!r} needs checks that are not installed: {missing}")
    return list(specs.values())


def command_check(name: str) -> CheckSpec:
    """The check `name` of COMMAND_CHECKS, loaded and validated."""
    return validate_check(name, importlib.import_module(COMMAND_CHECKS[name]), "deliverability")


def validate_check(entry_name: str, module: Any, distribution: str = "") -> CheckSpec:
    """Check a module's shape (NAME, CODES, run) and wrap it; PluginError says what is wrong."""
    where = f"check plugin {entry_name!r} ({getattr(module, '__name__', module)})"
    name = getattr(module, "NAME", None)
    if name != entry_name:
        raise PluginError(f"{where}: NAME is {name!r}, expected {entry_name!r}")
    codes = getattr(module, "CODES", None)
    if not isinstance(codes, dict) or not codes:
        raise PluginError(f"{where}: CODES must be a non-empty dict of code -> title")
    for code in codes:
        if not _CODE.match(code) or not code.startswith(name + "."):
            raise PluginError(f"{where}: code {code!r} must look like '{name}.something'")
    if not inspect.iscoroutinefunction(getattr(module, "run", None)):
        raise PluginError(f"{where}: needs `async def run(ctx) -> list[Finding]`")
    defaults = getattr(module, "DEFAULTS", {})
    needs = tuple(getattr(module, "NEEDS", ()))
    return CheckSpec(
        name=name,
        module=module,
        codes=dict(codes),
        defaults=dict(defaults),
        needs=needs,
        distribution=distribution,
    )


@dataclass(frozen=True, kw_only=True)
class Selection:
    """`--select` / `--ignore`: check names or code prefixes; the longest match wins."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def wants(self, code: str) -> bool:
        """Whether findings with `code` are reported."""
        chosen = _longest_match(code, self.select) if self.select else 0
        dropped = _longest_match(code, self.ignore)
        return chosen is not None and (dropped is None or chosen > dropped)

    def runs(self, spec: CheckSpec) -> bool:
        """Whether `spec` has any code left to report."""
        return any(self.wants(code) for code in spec.all_codes)

    def unknown(self, specs: list[CheckSpec]) -> list[str]:
        """Selectors that match no installed check or code."""
        codes = [code for spec in specs for code in spec.all_codes]
        return [p for p in self.select + self.ignore if _longest_match_any(p, codes) is None]


def _matches(code: str, prefix: str) -> bool:
    prefix = prefix.rstrip(".")
    return code == prefix or code.startswith(prefix + ".")


def _longest_match(code: str, prefixes: tuple[str, ...]) -> int | None:
    lengths = [len(p.rstrip(".")) for p in prefixes if _matches(code, p)]
    return max(lengths, default=None)


def _longest_match_any(prefix: str, codes: list[str]) -> int | None:
    return next((1 for code in codes if _matches(code, prefix)), None)
