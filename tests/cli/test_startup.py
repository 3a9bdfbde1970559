"""`--version` and `--help` stay fast: they import no event loop, DNS, TLS or validation
library (each costs 10-70 ms of a ~70 ms start; docs/performance.md). Counted as modules
loaded, so the test holds on a busy machine where timings do not."""

from __future__ import annotations

import subprocess
import sys

import pytest

from paths import ROOT

EXAMPLES = ROOT / "examples"

SLOW = ("asyncio", "ssl", "dns", "pydantic", "httpx", "rich", "importlib.metadata", "idna")
PROBE = """
import sys
from deliverability.cli import main
main({args!r})
print(" ".join(m for m in {slow!r} if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["check", "--help"]])
def test_start_up_commands_load_nothing_slow(args: list[str]) -> None:
    probe = PROBE.format(args=args, slow=SLOW)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stderr.strip() == ""


def test_a_check_reads_its_options_without_pydantic() -> None:
    """typer would import pydantic (~60 ms) to coerce --timeout, --format and the rest
    (cli/coercion.py); an offline check with ordinary option values needs none of it."""
    args = ["check", "example.com", "--offline", "--zone-file", str(EXAMPLES / "example.com.zone"),
            "--timeout", "2.5", "--format", "JSON", "--select", "spf", "--fail-on", "never"]
    probe = PROBE.format(args=args, slow=("pydantic",))
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert '"spf"' in result.stdout  # the report came out, in the format asked
    assert result.stderr.strip() == ""


def test_a_check_loads_only_what_its_inputs_need() -> None:
    """Without --zone-file, a recipient, a BIMI logo to read or a sending IP to evaluate, a
    full check loads no zone reader (~7 ms), guide platforms or SVG reader (~16 ms
    together), nor pyspf (module `spf`, ~10 ms)."""
    unneeded = ("dns.zone", "dns.zonefile", "deliverability.checks.guide.platforms",
                "xml.etree", "pydantic", "spf")
    args = ["check", "example.com", "--offline", "--format", "json", "--fail-on", "never"]
    probe = PROBE.format(args=args, slow=unneeded)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert '"guide"' in result.stdout and '"bimi"' in result.stdout  # they ran, light
    assert result.stderr.splitlines()[-1].strip() == ""


def test_an_unusual_option_value_still_gets_typers_answer() -> None:
    result = subprocess.run([sys.executable, "-m", "deliverability", "check", "example.com",
                             "--offline", "--timeout", "five"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == ("deliverability: error: Invalid value for '--timeout': "
                                     "Input should be a valid number, unable to parse string "
                                     "as a number")
