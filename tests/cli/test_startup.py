"""`--version` and `--help` stay fast: they import no event loop, DNS, TLS or validation
library (each costs 10-70 ms of a ~70 ms start; docs/performance.md). Counted as modules
loaded, so the test holds on a busy machine where timings do not."""

from __future__ import annotations

import subprocess
import sys

import pytest

SLOW = ("asyncio", "ssl", "dns", "pydantic", "httpx", "rich", "importlib.metadata", "idna")
PROBE = """
import sys
from deliverability.cli import main
main({args!r})
print(" ".join(m for m in {slow!r} if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--version"], ["--help"]])  # a command's --help: typer needs pydantic
def test_start_up_commands_load_nothing_slow(args: list[str]) -> None:
    probe = PROBE.format(args=args, slow=SLOW)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stderr.strip() == ""
