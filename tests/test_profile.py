"""The sender profile: valid files load as typed values; every mistake is one line and exit 2."""

from __future__ import annotations

import ipaddress

import pytest

from conftest import run_cli
from deliverability.validation import BadInput
from deliverability.profile import load_profile
from paths import ROOT

GOOD = """
[sender]
name = "Example SaaS"
from_domains = ["Notify.Example.com."]
return_path_domains = ["bounce.example.com"]
dkim_domains = ["example.com"]
dkim_selectors = ["S1", "s2"]
ips = ["192.0.2.10", "198.51.100.0/22", "2001:db8:10::/48"]
ips_from_spf = true
smtp_hosts = ["smtp-out.example.com"]
link_domains = ["links.example.net", "cdn.example.org"]
support_contact = "support@example.com"

[[playbook]]
title = "The recipient's own notification setting"
steps = ["Open the user's profile", "Check that 'Send this user messages' is on"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deliverability.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_profile_loads_as_typed_canonical_values(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, GOOD))
    assert profile is not None
    assert profile.from_domains == ("notify.example.com",)
    assert profile.dkim_selectors == ("s1", "s2")
    assert profile.ips == (
        ipaddress.ip_network("192.0.2.10/32"),
        ipaddress.ip_network("198.51.100.0/22"),
        ipaddress.ip_network("2001:db8:10::/48"),
    )
    assert profile.ips_from_spf is True
    assert [item.title for item in profile.playbook] == ["The recipient's own notification setting"]
    assert profile.playbook[0].steps[1] == "Check that 'Send this user messages' is on"


def test_an_ipv4_mapped_address_is_the_ipv4_address(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, '[sender]\nips = ["::ffff:192.0.2.9", "192.0.2.9"]\n'))
    assert profile is not None and profile.ips == (ipaddress.ip_network("192.0.2.9/32"),)


BAD = [
    ("unknown top-level key", '[sendr]\nname = "x"\n', "'sendr'"),
    ("unknown sender key", '[sender]\nfrom_domain = ["example.com"]\n', "'from_domain'"),
    ("bad IP", '[sender]\nips = ["192.0.2.300"]\n', "'192.0.2.300'"),
    ("host bits set", '[sender]\nips = ["198.51.100.5/22"]\n', "198.51.100.0/22"),
    ("bad domain", '[sender]\nfrom_domains = ["exa mple.com"]\n', "'exa mple.com'"),
    ("single label", '[sender]\nlink_domains = ["localhost"]\n', "'localhost'"),
    ("not a list", '[sender]\nsmtp_hosts = "smtp.example.com"\n', "smtp_hosts"),
    ("not a boolean", '[sender]\nips_from_spf = "yes"\n', "ips_from_spf"),
    ("playbook without steps", '[[playbook]]\ntitle = "x"\n', "playbook[1].steps"),
    ("playbook unknown key", '[[playbook]]\ntitle = "x"\nsteps = ["a"]\nurl = "y"\n', "'url'"),
    ("invalid TOML", "[sender\n", "invalid TOML"),
    # ranges the guide must never ask anyone to allow
    ("the whole IPv4 Internet", '[sender]\nips = ["0.0.0.0/0"]\n', "'0.0.0.0/0'"),
    ("the whole IPv6 Internet", '[sender]\nips = ["::/0"]\n', "'::/0'"),
    ("wider than /8", '[sender]\nips = ["192.0.0.0/4"]\n', "'192.0.0.0/4'"),
    ("loopback", '[sender]\nips = ["127.0.0.1"]\n', "'127.0.0.1'"),
    ("IPv6 loopback", '[sender]\nips = ["::1"]\n', "'::1'"),
    ("multicast", '[sender]\nips = ["224.0.0.1"]\n', "'224.0.0.1'"),
    ("link-local", '[sender]\nips = ["fe80::/64"]\n', "'fe80::/64'"),
]


@pytest.mark.parametrize(("case", "text", "named"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_profile_is_one_line_naming_the_problem(tmp_path: Path, case: str, text: str,
                                                      named: str) -> None:
    with pytest.raises(BadInput) as raised:
        load_profile(write(tmp_path, text))
    message = str(raised.value)
    assert named in message and "\n" not in message


@pytest.mark.parametrize("text", [BAD[0][1], BAD[2][1], None], ids=["bad key", "bad IP", "missing"])
def test_the_cli_exits_2_with_one_line_for_a_bad_or_missing_profile(tmp_path: Path,
                                                                  text: str | None) -> None:
    path = write(tmp_path, text) if text is not None else tmp_path / "absent.toml"
    result = run_cli("guide", "m365.guide.test", "--profile", str(path), "--offline")
    assert result.code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert str(path) in result.stderr


def test_no_profile_file_in_the_working_directory_is_no_profile(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_profile(None) is None


def test_init_writes_a_starter_that_loads_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "deliverability.toml"
    assert run_cli("init", str(path)).code == 0
    assert load_profile(path) is not None
    again = run_cli("init", str(path))
    assert again.code == 2 and "already exists" in again.stderr


def test_blocklist_tables_are_parsed_by_the_reputation_module_when_installed(tmp_path: Path) -> None:
    text = '[[blocklists]]\nname = "corp-rbl"\nzone = "rbl.example.net"\nkind = "ip"\n'
    profile = load_profile(write(tmp_path, text))
    assert profile is not None and len(profile.blocklists) == 1


def test_the_shipped_example_profile_loads() -> None:
    example = ROOT / "examples" / "deliverability.toml"
    profile = load_profile(example)
    assert profile is not None and profile.from_domains == ("notify.example.com",)
