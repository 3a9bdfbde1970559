"""Checks are entry-point plugins: a third-party distribution adds one without this repo."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from paths import TESTS

ZONE = TESTS / "world" / "mx.test.zone"

PLUGIN = '''
"""Says whether the domain has an MX record (a third-party example)."""
from deliverability.api import Finding, Severity

NAME = "acme"
CODES = {"acme.has-mx": "The domain has MX records"}

async def run(ctx):
    answer = await ctx.dns.query(ctx.target.domain, "MX")
    return [Finding(code="acme.has-mx", severity=Severity.INFO,
                    subject=ctx.target.domain, summary=f"{len(answer.records)} MX")]
'''


def install_plugin(site: Path, module_source: str, name: str = "acme") -> None:
    """A distribution in a temporary site dir: a module plus its dist-info."""
    (site / f"{name}_checks.py").write_text(textwrap.dedent(module_source))
    dist = site / f"{name}_checks-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}-checks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[deliverability.checks]\n{name} = {name}_checks\n"
    )


def deliverability(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    return subprocess.run([sys.executable, "-m", "deliverability", *args],
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return tmp_path


def test_third_party_check_is_listed_and_runs(site: Path) -> None:
    install_plugin(site, PLUGIN)
    assert "acme  (from acme-checks)" in deliverability(site, "checks").stdout
    done = deliverability(site, "check", "ok.mx.test", "--offline", "--zone-file", str(ZONE),
                          "--select", "acme", "--format", "json")
    assert '"acme.has-mx"' in done.stdout and done.returncode == 0


def test_plugin_that_fails_to_import_is_named_in_one_line(site: Path) -> None:
    install_plugin(site, "raise ImportError('missing dependency foo')\n")
    done = deliverability(site, "checks")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "'acme'" in done.stderr and "acme-checks" in done.stderr


def test_plugin_with_wrong_shape_is_refused(site: Path) -> None:
    install_plugin(site, 'NAME = "acme"\nCODES = {"bad code": "x"}\nasync def run(ctx): return []\n')
    done = deliverability(site, "checks")
    assert done.returncode == 2 and "'bad code'" in done.stderr


def test_the_start_up_shortcut_degrades_when_dnspython_renames_its_private_flag() -> None:
    # cli skips dnspython's DoH import through the private dns._features.force: gone, the
    # tool must still run (only slower to start).
    code = ("import dns._features; del dns._features.force; import sys; "
            "from deliverability.cli import main; sys.exit(main(['check', 'ok.mx.test', "
            f"'--offline', '--zone-file', {str(ZONE)!r}, '--select', 'mx', '-f', 'json']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"mx.ok"' in done.stdout or '"mx.' in done.stdout


def test_the_curated_api_exports_what_a_check_needs() -> None:
    import deliverability.api as api

    assert {"Context", "Finding", "Severity", "LookupFailed", "Target", "sub_tasks"} <= set(
        api.__all__
    )
    assert all(hasattr(api, name) for name in api.__all__)
