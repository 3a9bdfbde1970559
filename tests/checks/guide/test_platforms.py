"""Platform detection: MX host -> platform id, SPF includes as the second signal, lookalikes refused."""

from __future__ import annotations

import pytest

from deliverability.checks.guide.platforms import NONE, UNKNOWN, Role, detect_platform, load_catalog, suffix_matches

CATALOG = load_catalog()

# (MX host, SPF includes of the domain, expected platform, expected hops)
MX_TABLE = [
    ("smtp.google.com", [], "google-workspace", ["google-workspace"]),
    ("alt1.aspmx.l.google.com", [], "google-workspace", ["google-workspace"]),
    ("aspmx2.googlemail.com", [], "google-workspace", ["google-workspace"]),
    ("contoso-com.mail.protection.outlook.com", [], "microsoft-365", ["microsoft-365"]),
    ("contoso-com.l-v1.mx.microsoft", [], "microsoft-365", ["microsoft-365"]),
    ("contoso-us.mail.protection.office365.us", [], "microsoft-365", ["microsoft-365"]),
    ("eu-smtp-inbound-1.mimecast.com", [], "mimecast", ["mimecast"]),
    ("za-smtp-inbound-1.mimecast.co.za", [], "mimecast", ["mimecast"]),
    ("mx0a-00123401.pphosted.com", [], "proofpoint", ["proofpoint"]),
    ("mx1-us1.ppe-hosted.com", [], "proofpoint-essentials", ["proofpoint-essentials"]),
    ("d123456a.ess.barracudanetworks.com", [], "barracuda", ["barracuda"]),
    ("mx1.hc1234-56.iphmx.com", [], "cisco-secure-email", ["cisco-secure-email"]),
    ("mx-01-eu-west-1.prod.hydra.sophos.com", [], "sophos", ["sophos"]),
    ("customer.in.tmes.trendmicro.com", [], "trend-micro", ["trend-micro"]),
    ("cluster1.eu.messagelabs.com", [], "broadcom", ["broadcom"]),
    ("mx01.hornetsecurity.com", [], "hornetsecurity", ["hornetsecurity"]),
    ("cust12345-1.in.mailcontrol.com", [], "forcepoint", ["forcepoint"]),
    ("gmail-smtp-in.l.google.com", [], "gmail", ["gmail"]),
    ("outlook-com.olc.protection.outlook.com", [], "outlook-com", ["outlook-com"]),
    ("mta5.am0.yahoodns.net", [], "yahoo", ["yahoo"]),
    # a gateway in front of a mailbox platform: two hops, in delivery order
    ("us-smtp-inbound-1.mimecast.com", ["us._netblocks.mimecast.com", "spf.protection.outlook.com"],
     "mimecast", ["mimecast", "microsoft-365"]),
    ("mx0a-00123401.pphosted.com", ["spf.protection.outlook.com"], "proofpoint", ["proofpoint", "microsoft-365"]),
    ("mx1.hc1234-56.iphmx.com", ["_spf.google.com"], "cisco-secure-email",
     ["cisco-secure-email", "google-workspace"]),
    # a mailbox platform's MX is the last hop, whatever its SPF includes
    ("smtp.google.com", ["spf.protection.outlook.com"], "google-workspace", ["google-workspace"]),
    # lookalikes and the unknown: never a guess
    ("mx0a.pphosted.com.evil.test", [], UNKNOWN, []),
    ("mx.notpphosted.com", [], UNKNOWN, []),
    ("mail.protection.outlook.com.evil.test", ["spf.protection.outlook.com"], UNKNOWN, []),
    ("mimecast.com.example.net", [], UNKNOWN, []),
    ("mail.example.com", ["spf.protection.outlook.com"], UNKNOWN, []),
]


@pytest.mark.parametrize(("host", "includes", "platform", "hops"), MX_TABLE,
                         ids=[f"{row[0]}+{len(row[1])}" for row in MX_TABLE])
def test_mx_patterns(host: str, includes: list[str], platform: str, hops: list[str]) -> None:
    detection = detect_platform(CATALOG, [(10, host)], includes)
    assert (detection.platform, list(detection.hops)) == (platform, hops)


def test_every_required_platform_is_in_the_catalog() -> None:
    required = {"google-workspace", "microsoft-365", "mimecast", "proofpoint", "proofpoint-essentials",
                "barracuda", "cisco-secure-email", "sophos", "trend-micro", "broadcom",
                "hornetsecurity", "forcepoint"}
    assert required <= set(CATALOG.platforms)
    detected = {row[2] for row in MX_TABLE}
    assert set(CATALOG.platforms) <= detected  # the table covers every platform in the data


def test_the_most_preferred_mx_decides() -> None:
    hosts = [(20, "contoso-com.mail.protection.outlook.com"), (10, "eu-smtp-inbound-1.mimecast.com")]
    assert detect_platform(CATALOG, hosts, []).platform == "mimecast"


def test_no_mx_hosts_is_none() -> None:
    assert detect_platform(CATALOG, [], []).platform == NONE


@pytest.mark.parametrize(("name", "pattern", "matches"), [
    ("a.pphosted.com", "pphosted.com", True),
    ("PPHOSTED.COM.", "pphosted.com", True),
    ("pphosted.com.evil.test", "pphosted.com", False),
    ("evilpphosted.com", "pphosted.com", False),
])
def test_suffix_matching_is_on_label_boundaries(name: str, pattern: str, matches: bool) -> None:
    assert suffix_matches(name, pattern) is matches


def test_every_platform_has_steps_sources_and_a_role() -> None:
    for platform in CATALOG.platforms.values():
        assert platform.steps and platform.sources and platform.checked, platform.id
        assert platform.role is not Role.UNKNOWN and platform.mx, platform.id
        kinds = {s.values for s in platform.steps if s.values}
        assert {ip_list.values for ip_list in platform.ip_lists} <= kinds, platform.id
