"""The formats CI systems read, checked against their consumers' rules.

SARIF against the SARIF 2.1.0 subset with GitHub code scanning's upload rules
(tests/data/sarif-2.1.0-subset.schema.json), JUnit against the Jenkins/Ant schema
(tests/data/junit-jenkins.xsd), GitHub workflow commands, GitLab Code Quality and
the concise lines; single runs, live-DNS runs and bulk runs alike.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from paths import ROOT, TESTS

from deliverability.finding import CheckResult, Finding, Location, Report, Severity, Target
from deliverability.render import renderer

jsonschema = pytest.importorskip("jsonschema")
etree = pytest.importorskip("lxml.etree")

SARIF_SCHEMA = json.loads((TESTS / "data" / "sarif-2.1.0-subset.schema.json").read_text())
JUNIT_SCHEMA = etree.XMLSchema(etree.parse(str(TESTS / "data" / "junit-jenkins.xsd")))
README_ARGS = ["example.com", "--ip", "192.0.2.10", "--helo", "mail.example.com", "--offline",
               "--zone-file", "examples/example.com.zone",
               "--zone-file", "examples/2.0.192.in-addr.arpa.zone"]
HOSTILE = "a,b:c%d\r\n::error title=x::forged \x1b[2J\u202e"


def valid_sarif(text: str) -> dict:
    log = json.loads(text)
    jsonschema.validate(log, SARIF_SCHEMA)
    for run in log["runs"]:
        for result in run["results"]:
            physical = result["locations"][0]["physicalLocation"]
            assert not physical["artifactLocation"]["uri"].startswith(("/", "file:"))
            assert "helpUri" not in str(run["tool"])
    return log


def valid_junit(text: str) -> etree._Element:
    root = etree.fromstring(text.encode())
    JUNIT_SCHEMA.assertValid(root)
    return root


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout holding the README's example zones, as the current directory."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_sarif_of_the_readme_example_is_accepted_by_code_scanning(checkout: Path) -> None:
    result = run_cli("check", *README_ARGS, "--format", "sarif")
    run = valid_sarif(result.stdout)["runs"][0]
    assert run["results"]  # the zone records: every one at its file and line
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris <= {"examples/example.com.zone", "examples/2.0.192.in-addr.arpa.zone"}


def test_absolute_zone_paths_inside_the_checkout_become_relative(checkout: Path) -> None:
    args = [str(checkout / a) if a.startswith("examples/") else a for a in README_ARGS]
    valid_sarif(run_cli("check", *args, "--format", "sarif").stdout)


def test_sarif_fixes_are_accepted_by_code_scanning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(TESTS / "world" / "spf.test.zone", tmp_path / "spf.test.zone")
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", "long.spf.test", "--offline", "--zone-file", "spf.test.zone",
                     "--format", "sarif")
    run = valid_sarif(result.stdout)["runs"][0]
    [fixed] = [r for r in run["results"] if r.get("fixes")]
    [fix] = fixed["fixes"]
    [change] = fix["artifactChanges"]
    assert fixed["ruleId"] == "spf.too-long" and len(change["replacements"]) == 3


def test_sarif_of_a_live_dns_run_has_only_notifications(world) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("check", "null.mx.test", "--resolver", world.address, "--format", "sarif")
    run = valid_sarif(result.stdout)["runs"][0]
    assert run["results"] == []
    codes = {n["associatedRule"]["id"] for n in run["invocations"][0]["toolExecutionNotifications"]}
    assert "mx.null" in codes and result.code == 1


def test_bulk_sarif_is_one_log_with_a_run_per_target(world, checkout: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("check", "null.mx.test", "ok.mx.test", "not a domain", "--resolver",
                     world.address, "--select", "mx", "--format", "sarif", "--quiet")
    runs = valid_sarif(result.stdout)["runs"]
    ids = [r["automationDetails"]["id"] for r in runs]
    assert len(ids) == len(set(ids)) == 3


@pytest.mark.parametrize("many", [False, True])
def test_junit_is_valid_against_the_jenkins_schema(world, many: bool) -> None:  # type: ignore[no-untyped-def]
    domains = ["null.mx.test", "ok.mx.test", "not a domain"] if many else ["null.mx.test"]
    result = run_cli("check", *domains, "--resolver", world.address, "--format", "junit",
                     "--quiet")
    root = valid_junit(result.stdout)
    assert root.tag == "testsuites" and root.get("skipped") is None
    failures = [f.get("type") for f in root.iter("failure")]
    assert "mx.null" in failures and result.code == 1


def report(*findings: Finding) -> Report:
    return Report(tool_version="0.0.test", target=Target(domain="ci.test"),
                  checks=(CheckResult(name="mx", findings=findings, duration_ms=1),))


AT_LINE = Location(file="zones/ci.test.zone", line=7)
FINDINGS = (
    Finding(code="mx.null", severity=Severity.ERROR, subject="ci.test", summary="null MX",
            location=AT_LINE),
    Finding(code="mx.host-no-address", severity=Severity.WARNING, subject="ci.test MX a",
            summary="no address"),
    Finding(code="mx.lookup-failed", severity=Severity.UNKNOWN, subject="ci.test", summary="t/o"),
    Finding(code="mx.ok", severity=Severity.OK, subject="ci.test", summary="fine"),
)


@pytest.mark.parametrize(("annotated", "expected"), [
    ({Severity.ERROR}, ["::error file=zones/ci.test.zone,line=7,title=mx.null::null MX"]),
    ({Severity.ERROR, Severity.WARNING}, [
        "::error file=zones/ci.test.zone,line=7,title=mx.null::null MX",
        "::warning title=mx.host-no-address::ci.test: no address"]),
])
def test_github_annotations_at_or_above_fail_on(annotated, expected) -> None:  # type: ignore[no-untyped-def]
    assert renderer("github")(report(*FINDINGS), annotated=annotated).splitlines() == expected


def test_github_commands_escape_data_and_properties() -> None:
    hostile = Finding(code="mx.null", severity=Severity.ERROR, subject="x", summary=HOSTILE,
                      location=Location(file="zones/a,b:c.zone", line=1))
    (line,) = renderer("github")(report(hostile)).splitlines()
    assert line.startswith("::error file=zones/a%2Cb%3Ac.zone,line=1,title=mx.null::")
    assert "\x1b" not in line and "%25d" in line  # one line: no forged command can start


def test_gitlab_code_quality_issues_have_stable_fingerprints() -> None:
    issues = json.loads(renderer("gitlab")(report(*FINDINGS)))
    assert [(i["check_name"], i["severity"], i["location"]) for i in issues] == [
        ("mx.null", "critical", {"path": "zones/ci.test.zone", "lines": {"begin": 7}}),
        ("mx.lookup-failed", "minor", {"path": "ci.test", "lines": {"begin": 1}}),
        ("mx.host-no-address", "major", {"path": "ci.test", "lines": {"begin": 1}}),
    ]
    reworded = Finding(code="mx.null", severity=Severity.ERROR, subject="ci.test", summary="new")
    again = json.loads(renderer("gitlab")(report(reworded)))
    assert again[0]["fingerprint"] == issues[0]["fingerprint"]
    assert len({i["fingerprint"] for i in issues}) == 3


def test_concise_is_one_line_per_problem() -> None:
    assert renderer("concise")(report(*FINDINGS)).splitlines() == [
        "zones/ci.test.zone:7: mx.null error null MX",
        "ci.test: mx.lookup-failed unknown t/o",
        "ci.test: mx.host-no-address warning no address",
    ]


@pytest.mark.parametrize("fmt", ["sarif", "junit", "markdown", "github", "gitlab", "concise",
                                 "json", "csv"])
def test_two_bulk_runs_write_identical_files(world, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    targets = tmp_path / "targets.csv"
    targets.write_text("domain,ip,owner\nnull.mx.test,192.0.2.1,me\nok.mx.test,,you\nbad domain,,\n"
                       "partial.mx.test,,\n")
    outputs = []
    for n in range(2):
        out = tmp_path / f"{n}.{fmt}"
        result = run_cli("check", "--from-file", targets, "--resolver", world.address,
                         "--timeout", "5", "--format", fmt, "-o", out, "--quiet",
                         "--select", "mx,spf,dmarc,rdns", "--concurrency", str(1 + 3 * n))
        assert result.code == 1
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]
    if fmt == "gitlab":
        assert {i["check_name"] for i in json.loads(outputs[0])} >= {"mx.null", "unreadable-target"}
    if fmt == "junit":
        valid_junit(outputs[0])
    if fmt == "sarif":
        valid_sarif(outputs[0])


def test_bulk_csv_and_json_lines_carry_the_input_line(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    targets = tmp_path / "targets.csv"
    targets.write_text("Domain,IPs,Mail_From,extra,other\n\nok.mx.test,192.0.2.1,b@ok.mx.test,1,2\n"
                       "null.mx.test,,,,\n")
    result = run_cli("check", "--from-file", targets, "--resolver", world.address, "--timeout",
                     "1", "--select", "mx", "--format", "json", "--quiet")
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [(x["line"], x["target"]["domain"], x["target"]["ips"], x["target"]["mail_from"])
            for x in lines] == [(3, "ok.mx.test", ["192.0.2.1"], "b@ok.mx.test"),
                                (4, "null.mx.test", [], "postmaster@null.mx.test")]
    assert result.stderr.count("ignoring column") == 1 and "'extra', 'other'" in result.stderr
    csv_out = run_cli("check", "--from-file", targets, "--resolver", world.address, "--timeout",
                      "1", "--select", "mx", "--format", "csv", "--quiet").stdout
    header, first = csv_out.splitlines()[:2]
    assert header.startswith("line,domain,ips,mail_from,") and first.startswith("3,ok.mx.test,")
