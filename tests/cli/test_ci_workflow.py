"""The CI recipes of docs/ci.md run as written: the GitHub workflow's action step, GitLab, pre-commit.

Each test takes the commands from the docs and action.yml themselves, so a recipe
that stops working fails here. Everything runs --offline: nothing leaves loopback.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from paths import ROOT

yaml = pytest.importorskip("yaml")

ROOT = ROOT
HEALTHY = """\
$ORIGIN {domain}.
$TTL 3600
@       SOA   ns1 hostmaster 2026112301 3600 600 1209600 300
@       NS    ns1
@       MX    10 mx1
@       TXT   "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc  TXT   "v=DMARC1; p=reject; rua=mailto:dmarc@{domain}"
mx1     A     192.0.2.25
ns1     A     192.0.2.53
"""
NULL_MX_LINE = 5  # the line of the broken record in BROKEN
BROKEN = HEALTHY.replace("@       MX    10 mx1", "@       MX    0 .")


def doc_yaml(marker: str) -> dict:
    """The YAML block of docs/ci.md whose first line is `marker`."""
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "docs" / "ci.md").read_text(), re.S)
    (block,) = [b for b in blocks if b.startswith(marker)]
    return yaml.safe_load(block)


def env_with_tool(**extra: str) -> dict[str, str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "DELIVERABILITY_RAISE_CRASHES": "0", **extra}


@pytest.fixture
def repo(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A DNS repository: zones/example.com.zone healthy, zones/example.net.zone as asked."""

    def make(example_net: str) -> Path:
        zones = tmp_path / "zones"
        zones.mkdir(exist_ok=True)
        (zones / "example.com.zone").write_text(HEALTHY.format(domain="example.com"))
        (zones / "example.net.zone").write_text(example_net.format(domain="example.net"))
        return tmp_path

    return make


def run_action_step(workdir: Path) -> subprocess.CompletedProcess[str]:
    """Run action.yml's check step with the inputs the docs' workflow gives it."""
    workflow = doc_yaml("# .github/workflows/mail-dns.yml")
    (uses_step,) = [s for s in workflow["jobs"]["deliverability"]["steps"]
                    if s.get("uses", "").startswith("deliverability/deliverability@")]
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "check"]
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update({k: str(v) for k, v in uses_step["with"].items()})
    env = {key: re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: inputs[m.group(1)], value)
           for key, value in step["env"].items()}
    assert env["INPUT_OFFLINE"] == "true"  # never query live DNS from the test suite
    return subprocess.run(  # GitHub runs `shell: bash` as bash -e -o pipefail
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=workdir, env=env_with_tool(**env), capture_output=True, text=True, timeout=120,
    )


def sarif_results(workdir: Path, domain: str) -> list[dict]:
    log = json.loads((workdir / "deliverability-results" / f"{domain}.sarif").read_text())
    return log["runs"][0]["results"]


def test_example_workflow_fails_and_annotates_the_breaking_line(repo) -> None:  # type: ignore[no-untyped-def]
    workdir = repo(BROKEN)  # example.com is healthy, example.net publishes a null MX
    result = run_action_step(workdir)
    assert result.returncode == 1, result.stderr
    assert not [r for r in sarif_results(workdir, "example.com") if r["level"] == "error"]
    (null_mx,) = [r for r in sarif_results(workdir, "example.net") if r["ruleId"] == "mx.null"]
    physical = null_mx["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "zones/example.net.zone"
    assert physical["region"]["startLine"] == NULL_MX_LINE
    assert (workdir / "deliverability-results" / "example.net.json").exists()  # a baseline


def test_gitlab_job_writes_junit_and_fails_on_errors(repo) -> None:  # type: ignore[no-untyped-def]
    workdir = repo(BROKEN)
    job = doc_yaml("# .gitlab-ci.yml")["mail-dns"]
    script = "\n".join(line for line in job["script"] if not line.startswith("pip install"))
    result = subprocess.run(["bash", "-c", script], cwd=workdir, env=env_with_tool(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    suites = ET.fromstring((workdir / "results" / "example.net.xml").read_bytes())
    assert int(suites.get("failures")) >= 1


def test_pre_commit_hook_stops_on_the_broken_zone_and_names_the_line(repo) -> None:  # type: ignore[no-untyped-def]
    workdir = repo(BROKEN)
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    files = ["zones/example.com.zone", "zones/example.net.zone", "zones/2.0.192.in-addr.arpa.zone"]
    staged = [f for f in files if re.search(hook["files"], f) and not re.search(hook["exclude"], f)]
    assert staged == files[:2]
    result = subprocess.run(shlex.split(hook["entry"]) + staged, cwd=workdir, env=env_with_tool(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert f"zones/example.net.zone:{NULL_MX_LINE}" in result.stdout
