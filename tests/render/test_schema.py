"""The JSON report validates against docs/report.schema.json."""

from __future__ import annotations

import json

import jsonschema
from paths import ROOT

SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text())


def test_schema_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_full_check_report_validates(check) -> None:
    result = check("example.com", "--ip", "192.0.2.10", "--helo", "mail.example.com")
    report = result.json()
    jsonschema.validate(report, SCHEMA)
    assert report["target"]["ips"] == ["192.0.2.10"]
    assert report["checks"]["rdns"]["data"]["192.0.2.10"]["fcrdns"] is True
    # docs/report.schema.json: every try is a query (up to 3 a lookup on a slow machine),
    # answered + failed count lookups sent to a resolver, the trace every lookup
    dns = report["dns"]
    lookups = dns["answered"] + dns["failed"]
    assert 0 < lookups <= len(dns["trace"]) and lookups <= dns["queries"] <= 3 * lookups


def test_json_key_order_is_stable(check) -> None:
    report = check("example.com", "--select", "mx").json()
    assert list(report) == ["schema", "tool", "target", "checks", "summary", "dns"]
