"""The folder rules of docs/architecture.md, enforced: where code lives and what it may import."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from deliverability.registry import COMMAND_CHECKS
from paths import ROOT

PACKAGE = ROOT / "deliverability"
CHECKS = PACKAGE / "checks"
GONE = ("spf_", "dmarc_", "dkim_", "blocklists", "platforms", "guidance", "guide_spf",
        "orgdomain", "sender_rules", "bimi_svg", "dns", "zones", "https_fetch", "config")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imported(path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every deliverability module `path` imports, at any depth (TYPE_CHECKING aside)."""
    tree = ast.parse(path.read_text())
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking(node)
            for child in node.body for n in ast.walk(child)}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                yield sub if sub in known else node.module


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {m for m in imported(path, known) if m in known and m != name}
            for name, path in known.items()}


def test_no_check_helper_is_left_at_the_package_top_level() -> None:
    top = [p.stem for p in PACKAGE.glob("*.py")]
    assert [name for name in top if name.startswith(GONE)] == []


def test_the_import_graph_has_no_cycle() -> None:
    edges, done, path = graph(), set(), []

    def visit(node: str) -> None:
        if node in path:
            pytest.fail("import cycle: " + " -> ".join(path[path.index(node):] + [node]))
        if node in done:
            return
        path.append(node)
        for child in sorted(edges[node]):
            visit(child)
        path.pop()
        done.add(node)

    for node in sorted(edges):
        visit(node)


@pytest.mark.parametrize(("folder", "forbidden"), [
    ("deliverability.net", ("deliverability.checks", "deliverability.context",
                            "deliverability.render", "deliverability.cli")),
    ("deliverability.render", ("deliverability.checks", "deliverability.net",
                               "deliverability.cli", "deliverability.bulk")),
])
def test_a_layer_imports_nothing_above_it(folder: str, forbidden: tuple[str, ...]) -> None:
    bad = {(name, dep) for name, deps in graph().items() if name.startswith(folder)
           for dep in deps if any(dep == f or dep.startswith(f + ".") for f in forbidden)}
    assert bad == set()


def _check_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 3 and parts[1] == "checks" else None


def test_a_check_never_imports_another_checks_run_or_findings() -> None:
    bad = set()
    for name, deps in graph().items():
        mine = _check_of(name)
        for dep in deps:
            theirs = _check_of(dep)
            if theirs and theirs != mine and dep.rsplit(".", 1)[1] in ("check", "findings"):
                if not name.startswith("deliverability.cli"):
                    bad.add((name, dep))
    assert bad == set()


def test_every_check_under_checks_is_an_entry_point_or_a_command_check() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    registered = set(project["entry-points"]["deliverability.checks"].values())
    registered |= set(COMMAND_CHECKS.values())
    found = {f"deliverability.checks.{p.stem}" for p in CHECKS.glob("*.py") if p.stem != "__init__"}
    found |= {f"deliverability.checks.{p.name}.check" for p in CHECKS.iterdir()
              if p.is_dir() and (p / "__init__.py").exists()}
    assert found == registered
