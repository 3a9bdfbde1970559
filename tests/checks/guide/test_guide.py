"""The guide check, scenario by scenario, and the values each platform gets in the form it accepts."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from conftest import CliResult, run_cli
from deliverability.checks.guide.platforms import load_catalog

PROFILE = """
[sender]
name = "Example SaaS"
from_domains = ["sender.guide.test"]
return_path_domains = ["bounce.sender.guide.test"]
dkim_domains = ["guide.test"]
ips = ["192.0.2.10", "198.51.100.0/22", "2001:db8:10::/48"]
ips_from_spf = true
smtp_hosts = ["smtp-out.sender.guide.test"]
link_domains = ["links.example.net", "cdn.example.org"]
support_contact = "support@example.com"

[[playbook]]
title = "The recipient's own notification setting"
steps = ["Open the user's profile", "Check that 'Send this user messages' is on"]
"""
# What the profile lists plus what the SPF of sender.guide.test and bounce.sender.guide.test
# authorize (tests/world/guide.test.zone); 198.51.100.128/25 is inside the profile's /22.
NETWORKS = ["192.0.2.10/32", "198.51.100.0/22", "2001:db8:10::/48", "203.0.113.0/24",
            "2001:db8:20::/48", "198.51.100.128/25", "192.0.2.77/32", "192.0.2.128/28",
            "192.0.2.200/32"]
DOMAINS = ["sender.guide.test", "bounce.sender.guide.test", "guide.test",
           "smtp-out.sender.guide.test", "links.example.net", "cdn.example.org"]


@pytest.fixture
def guide(world, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run `deliverability guide RECIPIENT` with the test profile against the world."""
    profile = tmp_path / "deliverability.toml"
    profile.write_text(PROFILE, encoding="utf-8")

    # 3 s: a busy machine must not turn a loopback answer into a timeout (a provider's
    # range missing from the letter); tests of dropped answers pass --timeout 1 themselves
    def run(recipient: str, *flags: str) -> CliResult:
        return run_cli("guide", recipient, "--profile", str(profile), "--resolver", world.address,
                       "--timeout", "3", *flags)

    return run


SCENARIOS = [
    ("m365.guide.test", "microsoft-365", ["microsoft-365"], ("guide.platform", "info")),
    ("google.guide.test", "google-workspace", ["google-workspace"], ("guide.platform", "info")),
    ("mimecast-m365.guide.test", "mimecast", ["mimecast", "microsoft-365"], ("guide.platform", "info")),
    ("mimecast-google.guide.test", "mimecast", ["mimecast", "google-workspace"], ("guide.platform", "info")),
    ("proofpoint-m365.guide.test", "proofpoint", ["proofpoint", "microsoft-365"], ("guide.platform", "info")),
    ("mimecast.guide.test", "mimecast", ["mimecast"], ("guide.platform", "info")),
    ("lookalike.guide.test", "unknown", [], ("guide.platform-unknown", "info")),
    ("lookalike-label.guide.test", "unknown", [], ("guide.platform-unknown", "info")),
    ("lookalike-m365.guide.test", "unknown", [], ("guide.platform-unknown", "info")),
    ("selfhosted.guide.test", "unknown", [], ("guide.platform-unknown", "info")),
    ("implicit.guide.test", "unknown", [], ("guide.platform-unknown", "info")),
    ("null.guide.test", "none", [], ("guide.no-mail", "error")),
    ("nomail.guide.test", "none", [], ("guide.no-mail", "error")),
    ("missing.guide.test", "none", [], ("guide.no-mail", "error")),
]


@pytest.mark.parametrize(("recipient", "platform", "hops", "code"), SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_guide_scenarios(guide, recipient: str, platform: str, hops: list[str],
                         code: tuple[str, str]) -> None:
    result = guide(recipient, "--format", "json")
    data = result.json()["checks"]["guide"]["data"]
    assert (data["platform"], data["hops"], code in result.codes()) == (platform, hops, True)
    assert set(data) == {"platform", "hops", "values"}


def test_a_failing_mx_lookup_is_unknown_with_no_hops(guide, world) -> None:
    world.fault("drop", name="slow.guide.test", rdtype="MX")
    result = guide("slow.guide.test", "--format", "json", "--timeout", "1")
    data = result.json()["checks"]["guide"]["data"]
    assert (data["platform"], data["hops"]) == ("unknown", [])
    assert ("guide.mx-failed", "unknown") in result.codes()
    assert "timed out" in result.stdout


def test_a_failing_spf_include_is_unknown_for_that_part_only(guide, world) -> None:
    world.fault("servfail", name="slow-spf.guide.test")
    result = guide("m365.guide.test", "--format", "json")
    assert ("guide.spf-unknown", "unknown") in result.codes()
    assert "203.0.113.0/24" in result.json()["checks"]["guide"]["data"]["values"]["ips"]


def _entries_as_networks(entries: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(e.replace(" ", "/")) for e in entries]


def _within(network, networks) -> bool:  # type: ignore[no-untyped-def]
    return any(network.version == n.version and network.subnet_of(n) for n in networks)


PLATFORM_SCENARIOS = {
    "google-workspace": "google", "microsoft-365": "m365", "mimecast": "mimecast",
    "proofpoint": "proofpoint", "proofpoint-essentials": "ppe", "barracuda": "barracuda",
    "cisco-secure-email": "cisco", "sophos": "sophos", "trend-micro": "trend",
    "broadcom": "broadcom", "hornetsecurity": "hornet", "forcepoint": "forcepoint",
    "gmail": "gmail", "outlook-com": "outlook", "yahoo": "yahoo",
}


@pytest.mark.parametrize("platform_id", sorted(PLATFORM_SCENARIOS))
def test_every_ip_and_domain_reaches_each_platform_in_the_form_it_accepts(guide, platform_id: str) -> None:
    recipient = f"{PLATFORM_SCENARIOS[platform_id]}.guide.test"
    report = guide(recipient, "--format", "json").json()
    guide_check = report["checks"]["guide"]
    values = guide_check["data"]["values"]
    refused = [ipaddress.ip_network(f["subject"].split()[1]) for f in guide_check["findings"]
               if f["code"] == "guide.not-accepted" and f["subject"].startswith(platform_id + " ")]
    platform = load_catalog().platforms[platform_id]
    for text in NETWORKS:
        network = ipaddress.ip_network(text)
        lists = [il for il in platform.ip_lists if network.version in il.families]
        for ip_list in lists:
            entries = _entries_as_networks(values[ip_list.values])
            widest = {4: ip_list.min_prefix_v4, 6: ip_list.min_prefix_v6}
            assert all(e.prefixlen >= widest[e.version] and e.version in ip_list.families
                       for e in entries)
            covered = [e for e in entries if e.version == network.version
                       and (network.subnet_of(e) or e.subnet_of(network))]
            assert covered or _within(network, refused), (ip_list.values, text)
        assert lists or _within(network, refused), text
    markdown = guide(recipient, "--format", "markdown").stdout
    every_value = [v for kind in values.values() for v in kind]
    assert [v for v in every_value + DOMAINS if v not in markdown] == []


def test_microsoft_gets_slash_24_splits_and_ipv6_elsewhere(guide) -> None:
    result = guide("m365.guide.test", "--format", "json")
    values = result.json()["checks"]["guide"]["data"]["values"]
    assert {"198.51.100.0/24", "198.51.103.0/24"} <= set(values["ipv4_allow_list"])
    assert "198.51.100.0/22" not in values["ipv4_allow_list"]
    assert values["ipv6_allow_list"] == ["2001:db8:10::/48", "2001:db8:20::/48"]
    assert ("guide.converted", "info") in result.codes()


def test_an_ipv6_range_is_called_out_where_only_ipv4_is_taken(guide) -> None:
    result = guide("trend.guide.test", "--format", "json")
    subjects = {f["subject"] for f in result.json()["checks"]["guide"]["findings"]}
    assert "trend-micro 2001:db8:10::/48" in subjects
    assert ("guide.not-accepted", "warning") in result.codes()


def test_the_markdown_letter_has_values_steps_and_advice(guide) -> None:
    markdown = guide("mimecast-m365.guide.test", "--format", "markdown").stdout
    for heading in ("## What is happening", "## Values to enter", "## Steps in Mimecast",
                    "## Steps in Microsoft 365", "## Caveats", "## How to confirm it worked"):
        assert heading in markdown
    assert "Send this user messages" in markdown and "support@example.com" in markdown


def test_the_guide_runs_in_check_with_recipient(world, tmp_path: Path) -> None:
    result = run_cli("check", "sender.guide.test", "--recipient", "m365.guide.test", "--select",
                     "guide", "--resolver", world.address, "--timeout", "1", "--format", "json")
    assert result.json()["checks"]["guide"]["data"]["hops"] == ["microsoft-365"]
    alone = run_cli("check", "sender.guide.test", "--select", "guide", "--resolver", world.address,
                    "--timeout", "1", "--format", "json")
    assert alone.json()["checks"]["guide"]["findings"] == []


def test_guide_without_a_sender_still_names_the_platform(world, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no ./deliverability.toml
    anonymous = run_cli("guide", "m365.guide.test", "--resolver", world.address,
                        "--timeout", "1", "--format", "json")
    guide = anonymous.json()["checks"]["guide"]
    assert (guide["data"]["platform"], guide["data"]["hops"]) == ("microsoft-365", ["microsoft-365"])
    assert ("guide.no-values", "warning") in anonymous.codes()
    assert not any(guide["data"]["values"].get(kind) for kind in ("ips", "domains"))
    given = run_cli("guide", "m365.guide.test", "--sender", "sender.guide.test", "--resolver",
                    world.address, "--timeout", "1", "--format", "json")
    assert "203.0.113.0/24" in given.json()["checks"]["guide"]["data"]["values"]["ips"]


# SPF ranges that would let most of the Internet (or nobody real) past a filter are left
# out of the values with a warning; the sender's real ranges stay (tests/world/wide-spf.test.zone).
REFUSED_SPF = [
    ("everyone.wide-spf.test", {"0.0.0.0/0", "::/0"}, ["192.0.2.0/24"]),
    ("loopback.wide-spf.test", {"127.0.0.0/8"}, ["2001:db8:30::/48"]),
    ("wide.wide-spf.test", {"198.0.0.0/7", "2000::/15"}, ["203.0.113.0/24"]),
]


@pytest.mark.parametrize(("sender", "refused", "ips"), REFUSED_SPF, ids=[r[0] for r in REFUSED_SPF])
def test_spf_ranges_never_to_allow_are_left_out(world, tmp_path: Path, monkeypatch,  # type: ignore[no-untyped-def]
                                                sender: str, refused: set[str], ips: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("guide", "m365.guide.test", "--sender", sender, "--resolver", world.address,
                     "--timeout", "1", "--format", "json")
    guide = result.json()["checks"]["guide"]
    flagged = {f["subject"].removeprefix("sender SPF ") for f in guide["findings"]
               if (f["code"], f["severity"]) == ("guide.spf-range-refused", "warning")}
    values = guide["data"]["values"]
    assert (flagged, values["ips"]) == (refused, ips)
    assert not refused & set(values["ipv4_allow_list"] + values["ipv6_allow_list"])


def test_the_senders_own_failing_authentication_comes_first(world, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = run_cli("guide", "m365.guide.test", "--sender", "nospf-sender.guide.test", "--resolver",
                     world.address, "--timeout", "1", "--format", "json")
    assert ("guide.sender-auth", "warning") in result.codes()
    assert ("spf.missing", "error") in result.codes() and result.code == 1


def test_check_with_recipient_puts_the_letter_before_the_report(world) -> None:
    result = run_cli("check", "sender.guide.test", "--recipient", "google.guide.test", "--select",
                     "guide", "--select", "mx", "--resolver", world.address, "--timeout", "1",
                     "--format", "markdown")
    letter, _, report = result.stdout.partition("# Deliverability report")
    assert "## Steps in Google Workspace" in letter and "## mx" in report


def test_hostile_text_in_the_letter_is_inert() -> None:
    import re

    from deliverability.finding import CheckResult, Finding, Report, Severity, Target
    from deliverability.render import renderer

    hostile = "[red]x[/red] \x1b[2J \u202eevil | *bold* <b>html</b> [link](http://x.test) `code`"
    guide_result = CheckResult(name="guide", duration_ms=1, findings=(
        Finding(code="guide.platform-unknown", severity=Severity.INFO, subject="customer.test",
                summary=f"MX {hostile}", evidence=(f"MX 10 {hostile}",)),
        Finding(code="guide.steps", severity=Severity.INFO, subject="customer.test unknown",
                summary="Steps in the mail filter", remediation=(hostile,)),
    ), data={"platform": "unknown", "hops": [], "values": {"ips": [hostile], "domains": ["a.test"]}})
    report = Report(tool_version="0", target=Target(domain="sender.test", recipient="customer.test"),
                    checks=(guide_result,))
    text = renderer("markdown")(report)
    assert "\x1b[2J" not in text and "\u202e" not in text and "`code`" not in text
    row = next(line for line in text.splitlines() if line.startswith("| Sending IP"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 3  # the table row is not broken
    prose = [line for line in text.splitlines() if not line.startswith("|")]
    assert not any(re.search(r"(?<!\\)\]\(", line) or "<b>" in line for line in prose)


@pytest.mark.parametrize(("network", "entries", "refused"), [
    ("198.51.100.0/22", 4, False),
    ("198.51.100.7/32", 1, False),
    ("198.0.0.0/15", 0, True),  # 512 /24s: called out, not listed
])
def test_microsoft_ip_allow_list_conversion(network: str, entries: int, refused: bool) -> None:
    from deliverability.checks.guide.values import fit_to_list

    ip_list = load_catalog().platforms["microsoft-365"].ip_lists[0]
    listed, conversions = fit_to_list((ipaddress.ip_network(network),), ip_list, "microsoft-365")
    assert len(listed) == entries
    assert any(not c.entries for c in conversions) is refused


GUIDE_FORMATS = ["mimecast-m365.guide.test", "m365.guide.test", "google.guide.test",
                 "proofpoint.guide.test", "selfhosted.guide.test"]


@pytest.mark.parametrize("recipient", GUIDE_FORMATS)
def test_the_terminal_letter_shows_the_first_step_within_40_lines(guide, monkeypatch,
                                                                  recipient: str) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    lines = guide(recipient).stdout.splitlines()
    first_step = next(i for i, line in enumerate(lines) if line.startswith("1. "))
    assert first_step < 40 and lines[0].startswith("Email from ")
    assert not any(line.startswith(("Fix first", "Counts:")) for line in lines)  # no probes
    verbose = guide(recipient, "--verbose").stdout
    assert "Counts:" in verbose  # --verbose: the probe results follow the letter


@pytest.mark.parametrize("recipient", GUIDE_FORMATS)
def test_the_text_letter_holds_no_markdown_or_html(guide, recipient: str) -> None:
    text = guide(recipient, "--format", "text").stdout
    assert max(len(line) for line in text.splitlines() if "://" not in line) <= 72
    for syntax in ("\\_", "\\|", "&amp;", "&gt;", "&lt;", "**", "`", "## ", "|---"):
        assert syntax not in text, syntax
    caveats = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(caveats) == len(set(caveats))  # each caveat once


@pytest.mark.parametrize(("command", "args"), [
    ("guide", ["mimecast-m365.guide.test"]), ("guide", ["m365.guide.test", "--verbose"]),
])
def test_the_html_page_parses_and_loads_nothing(guide, command: str, args: list[str]) -> None:
    from html.parser import HTMLParser

    class Loads(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []
            self.remote: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append(tag)
            self.remote += [v or "" for k, v in attrs if k in ("src", "href") and v]

    page = Loads()
    page.feed(guide(*args, "--format", "html").stdout)
    assert "script" not in page.tags and page.remote == [] and "h1" in page.tags


def test_a_profile_of_ten_thousand_addresses_lists_each_once_with_covered_ones_left_out(
    world, tmp_path: Path
) -> None:
    # 10,000 addresses (every third from 198.51.0.0), a range holding the first 300 of them
    # and two addresses inside it: the range replaces what it covers (benchmarks/hostile_inputs.py
    # times this; it was a pairwise comparison, 8,000 addresses took 55 s)
    first = ipaddress.ip_address("198.51.0.0")
    singles = [str(first + 3 * i) for i in range(10_000)]
    listed = [*singles, "198.51.0.0/22", "2001:db8:10::/48", "2001:db8:10::9"]
    profile = tmp_path / "deliverability.toml"
    profile.write_text(f'[sender]\nfrom_domains = ["sender.guide.test"]\nips = {listed!r}\n'
                       .replace("'", '"'))
    result = run_cli("guide", "google.guide.test", "--profile", str(profile), "--resolver",
                     world.address, "--timeout", "1", "--format", "json")
    ips = result.json()["checks"]["guide"]["data"]["values"]["ips"]
    outside = [ip for ip in singles if ipaddress.ip_address(ip) not in ipaddress.ip_network("198.51.0.0/22")]
    assert ips == ["198.51.0.0/22", *outside, "2001:db8:10::/48"]
