"""The dkim check, scenario by scenario: domain (and flags) -> codes and severities."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from deliverability.checks.dkim.key import parse_key
from deliverability.change import joined_txt
from deliverability.checks.dkim.selectors import BUILT_IN_SELECTORS, provider_of
from conftest import run_cli
from paths import WORLD

SCENARIOS = [
    ("ok.dkim.test", (), {("dkim.ok", "ok")}),
    ("weak.dkim.test", (), {("dkim.key-weak", "warning")}),
    ("small.dkim.test", (), {("dkim.key-too-small", "error")}),
    ("ed25519.dkim.test", (), {("dkim.ok", "ok"), ("dkim.ed25519-only", "info")}),
    ("testing.dkim.test", (), {("dkim.ok", "ok"), ("dkim.testing", "warning")}),
    ("revoked.dkim.test", (), {("dkim.revoked", "info")}),
    ("sha1.dkim.test", (), {("dkim.ok", "ok"), ("dkim.sha1-only", "error")}),
    ("malformed.dkim.test", (), {("dkim.malformed", "error")}),
    ("badtype.dkim.test", (), {("dkim.malformed", "error")}),
    ("unknown-tag.dkim.test", (), {("dkim.ok", "ok"), ("dkim.unknown-tag", "info")}),
    ("tlsrpt.dkim.test", (), {("dkim.ok", "ok"), ("dkim.not-for-email", "error")}),
    ("multiple.dkim.test", (), {("dkim.ok", "ok"), ("dkim.multiple-records", "warning")}),
    ("delegated.dkim.test", (), {("dkim.ok", "ok"), ("dkim.delegated", "info"),
                                 ("dkim.delegation-broken", "warning")}),
    ("none.dkim.test", (), {("dkim.no-selector-found", "unknown")}),
    ("none.dkim.test", ("--selector", "custom"), {("dkim.selector-missing", "error")}),
    ("named.dkim.test", (), {("dkim.no-selector-found", "unknown")}),
    ("named.dkim.test", ("--selector", "custom"), {("dkim.ok", "ok")}),
    ("wild.dkim.test", (), {("dkim.no-selector-found", "unknown")}),
    ("wild.dkim.test", ("--selector", "s9"), {("dkim.malformed", "error")}),
]


@pytest.mark.parametrize(("domain", "flags", "expected"), SCENARIOS)
def test_dkim_scenarios(check, domain: str, flags: tuple[str, ...], expected: set) -> None:
    result = check(domain, *flags, "--select", "dkim")
    assert result.codes() == expected


@pytest.mark.parametrize(
    ("domain", "selector", "key_type", "bits"),
    [("ok.dkim.test", "google", "rsa", 2048), ("weak.dkim.test", "selector1", "rsa", 1024),
     ("small.dkim.test", "s1", "rsa", 512), ("ed25519.dkim.test", "default", "ed25519", 256)],
)
def test_dkim_data_names_each_key(check, domain, selector, key_type, bits) -> None:
    data = check(domain, "--select", "dkim").json()["checks"]["dkim"]["data"]
    entry = data["selectors"][selector]
    assert (entry["key_type"], entry["bits"], entry["testing"], entry["revoked"]) == (
        key_type, bits, False, False)
    assert data["domains"] == [domain]


def test_revoked_and_testing_keys_are_flagged_in_data(check) -> None:
    revoked = check("revoked.dkim.test", "--select", "dkim").json()["checks"]["dkim"]["data"]
    testing = check("testing.dkim.test", "--select", "dkim").json()["checks"]["dkim"]["data"]
    assert revoked["selectors"]["mail"]["revoked"] is True and revoked["domains"] == []
    assert testing["selectors"]["k1"]["testing"] is True


def test_envelope_sender_domain_keys_are_found_too(check) -> None:
    result = check("none.dkim.test", "--mail-from", "b@ok.dkim.test", "--select", "dkim")
    data = result.json()["checks"]["dkim"]["data"]
    assert data["domains"] == ["ok.dkim.test"]
    assert "google._domainkey.ok.dkim.test" in data["selectors"]


def test_selectors_are_probed_concurrently_and_once(check, world) -> None:
    check("ok.dkim.test", "--selector", "google", "--select", "dkim")
    assert world.count("google._domainkey.ok.dkim.test", "TXT") == 1
    assert world.count(None, "TXT") == len({s.name for s in BUILT_IN_SELECTORS})


def test_a_failing_named_selector_is_unknown_not_missing(check, world) -> None:
    world.fault("servfail", name="custom._domainkey.named.dkim.test")
    result = check("named.dkim.test", "--selector", "custom", "--select", "dkim")
    assert ("dkim.probe-failed", "unknown") in result.codes()
    assert ("dkim.selector-missing", "error") not in result.codes()


def test_failing_guesses_are_one_unknown_finding(check, world) -> None:
    world.fault("refused", name="selector1._domainkey.fault.dkim.test")
    world.fault("servfail", name="k1._domainkey.fault.dkim.test")
    result = check("fault.dkim.test", "--select", "dkim")
    assert result.codes() == {("dkim.ok", "ok"), ("dkim.probe-failed", "unknown")}
    subjects = [f["subject"] for f in result.json()["checks"]["dkim"]["findings"]]
    assert subjects.count("fault.dkim.test built-in selectors") == 1


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200) | st.lists(
    st.sampled_from(["v=DKIM1", "k=rsa", "k=ed25519", "p=", "p=MIIB", "t=y", "h=sha1", "s=email",
                     "x=1", "=", "p=AAAA"]), max_size=8).map("; ".join))
def test_any_key_record_parses_without_raising(text: str) -> None:
    key = parse_key(text)
    assert key.error is not None or key.revoked or key.bits > 0


def _rsa_record(bits: int) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


@pytest.mark.parametrize("bits", [1024, 2048, 3072])
def test_rsa_key_sizes_are_read_from_real_keys(bits: int) -> None:
    assert parse_key(_rsa_record(bits)).bits == bits


def test_ed25519_key_is_256_bits() -> None:
    raw = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key = parse_key("v=DKIM1; k=ed25519; p=" + base64.b64encode(raw).decode())
    assert (key.key_type, key.bits, key.error) == ("ed25519", 256, None)


@pytest.mark.parametrize("text", [
    "", ";", "v=DKIM2; p=abc", "k=rsa; v=DKIM1; p=", "p", "p=abc=", "k=ed25519; p=AAAA",
    "v=DKIM1; p=MIIB", "v=DKIM1; p=AAAA; p=BBBB", "\x00\xff=\x01",
])
def test_bad_key_records_give_an_error_never_raise(text: str) -> None:
    assert parse_key(text).error is not None


@pytest.mark.parametrize(("target", "provider"), [
    ("selector1-example-com._domainkey.contoso.onmicrosoft.com", "Microsoft 365"),
    ("s1.domainkey.u123.wl.sendgrid.net.", "SendGrid"),
    ("k2.dkim.mcsv.net", "Mailchimp"),
    ("abc._domainkey.amazonses.com", "Amazon SES"),
    ("selector.example.org", None),
])
def test_delegation_targets_name_the_provider(target: str, provider: str | None) -> None:
    assert provider_of(target) == provider


def test_profile_selectors_and_dkim_domains_are_probed(check, tmp_path) -> None:
    profile = tmp_path / "deliverability.toml"
    profile.write_text('[sender]\ndkim_selectors = ["custom"]\ndkim_domains = ["ok.dkim.test"]\n',
                       encoding="utf-8")
    result = check("named.dkim.test", "--profile", str(profile), "--select", "dkim")
    data = result.json()["checks"]["dkim"]["data"]
    assert result.codes() == {("dkim.ok", "ok")}
    assert data["domains"] == ["named.dkim.test", "ok.dkim.test"]
    assert set(data["selectors"]) == {"custom", "google._domainkey.ok.dkim.test"}


WEAK_KEY = next(line.split("TXT", 1)[1].strip() for line in
                (WORLD / "dkim.test.zone").read_text().splitlines()
                if line.startswith("selector1._domainkey.weak "))
DELEGATED_ZONES = {
    "weakkey.example.com.zone": "$ORIGIN weakkey.example.com.\n@ SOA ns hostmaster 1 3600 600 86400 300\n"
    "selector1._domainkey CNAME selector1-weakkey._domainkey.contoso.onmicrosoft.com.\n",
    "contoso.onmicrosoft.com.zone": "$ORIGIN contoso.onmicrosoft.com.\n"
    f"@ SOA ns hostmaster 1 3600 600 86400 300\nselector1-weakkey._domainkey TXT {WEAK_KEY}\n",
}


def test_a_weak_delegated_key_names_the_provider_to_rotate_it(tmp_path) -> None:
    flags = []
    for name, text in DELEGATED_ZONES.items():
        (tmp_path / name).write_text(text)
        flags += ["--zone-file", str(tmp_path / name)]
    result = run_cli("check", "weakkey.example.com", *flags, "--offline", "--select", "dkim",
                     "--format", "json")
    [weak] = [f for f in result.json()["checks"]["dkim"]["findings"] if f["code"] == "dkim.key-weak"]
    assert weak["changes"] == [] and "Microsoft 365" in " ".join(weak["remediation"])
    assert not any("Generate" in step for step in weak["remediation"])


@pytest.mark.parametrize(("domain", "code", "dropped"), [
    ("testing.dkim.test", "dkim.testing", "t"),
    ("sha1.dkim.test", "dkim.sha1-only", "h"),
    ("tlsrpt.dkim.test", "dkim.not-for-email", "s"),
    ("unknown-tag.dkim.test", "dkim.unknown-tag", "x"),
])
def test_a_tag_that_breaks_the_key_is_dropped_by_a_verified_change(check, domain, code,
                                                                    dropped) -> None:
    report = check(domain, "--select", "dkim").json()
    [finding] = [f for f in report["checks"]["dkim"]["findings"] if f["code"] == code]
    [change] = finding["changes"]
    tags = dict(t.strip().split("=", 1) for t in joined_txt(change["new"]).split(";"))
    old = dict(t.strip().split("=", 1) for t in joined_txt(change["old"]).split(";"))
    assert change["verified"] and dropped not in tags and tags == {k: v for k, v in old.items()
                                                                    if k != dropped}
