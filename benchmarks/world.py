"""Generate a benchmark world: N sender domains with the DNS that real senders publish.

Every sender `senderN.test` gets:
- SPF: its own ip4 range plus includes of one or two of a few shared providers, whose
  records include further records (chains up to SPF_CHAIN_DEPTH deep, like Google's
  `_spf.google.com` -> `_netblocks*.google.com`), and `mx` on some;
- DMARC with an external report address, and the authorization record it needs
  (RFC 7489 7.1) at the report domain;
- a DKIM key at selector `s1` (CNAME to a provider for some senders);
- MX hosts of its own or of a shared provider, with A and AAAA;
- two sending IPs with forward-confirmed PTR records;
- and every default blocklist of deliverability's catalog answers its RFC 5782 test
  entry, with one sender's IP listed on one list.

Reserved names and addresses only (.test, 198.51.100.0/24, 203.0.113.0/24,
2001:db8::/32). Pure: `build_world(n)` returns zone texts, nothing is written.
"""

from __future__ import annotations

import base64
import hashlib
import tomllib
from dataclasses import dataclass, field
from importlib import resources

SPF_CHAIN_DEPTH = 4  # sender TXT -> provider -> provider's nested -> netblocks
# A provider: its SPF include name and the chain of records under it.
PROVIDERS = {
    "mailer": ["_spf.mailer.test", "_netblocks.mailer.test", "_netblocks-v6.mailer.test"],
    "crm": ["spf.crm.test", "spf-a.crm.test"],
    "newsletter": ["spf.newsletter.test"],
    "helpdesk": ["mail.helpdesk.test", "spf.outbound.helpdesk.test", "nb.outbound.helpdesk.test"],
}
REPORTS_DOMAIN = "reports.test"


@dataclass(frozen=True, kw_only=True)
class Sender:
    """One generated sender domain and what a check of it must walk."""

    domain: str
    ips: tuple[str, ...]
    providers: tuple[str, ...]
    selector: str = "s1"

    @property
    def spf_depth(self) -> int:
        """Dependent TXT lookups from the sender's SPF record to its deepest include."""
        return 1 + max((len(PROVIDERS[p]) for p in self.providers), default=0)


@dataclass(kw_only=True)
class World:
    """The zones (origin -> zone-file text) and the senders in them."""

    senders: list[Sender] = field(default_factory=list)
    zones: dict[str, str] = field(default_factory=dict)

    def critical_path(self, sender: Sender) -> int:
        """The longest chain of dependent lookups a full check of `sender` must wait for.

        SPF: each include is known only when its parent's TXT arrives. MX -> A,
        PTR -> A, DMARC -> report authorization are two steps each; DKIM and the
        blocklists one. The SPF chain is the longest.
        """
        return max(sender.spf_depth, 2)


def build_world(count: int) -> World:
    """A world of `count` senders plus their providers, report domain, PTRs and blocklists."""
    world = World()
    test_lines = [*_provider_lines(), *_reports_lines()]
    ptr_lines: dict[str, list[str]] = {}
    for n in range(count):
        sender = _sender(n)
        world.senders.append(sender)
        test_lines += _sender_lines(sender, n)
        for ip in sender.ips:
            net, host = ip.rsplit(".", 1)
            ptr_lines.setdefault(net, []).append(f"{host} PTR mail{sender.ips.index(ip)}.{sender.domain}.")
    world.zones["test."] = _zone("test.", test_lines)
    for net, lines in ptr_lines.items():
        origin = ".".join(reversed(net.split("."))) + ".in-addr.arpa."
        world.zones[origin] = _zone(origin, lines)
    listed = world.senders[min(7, count - 1)].ips[0] if count else None
    world.zones.update(_blocklist_zones(listed))
    return world


def _sender(n: int) -> Sender:
    names = list(PROVIDERS)
    providers = (names[n % 4],) if n % 3 else (names[n % 4], names[(n + 1) % 4])
    # 198.51.100.0/24 and 203.0.113.0/24 give 2 x 254 addresses: two per sender, reused past 254
    first, second = n % 254 + 1, (n * 7 + 3) % 254 + 1
    return Sender(domain=f"sender{n}.test", ips=(f"198.51.100.{first}", f"203.0.113.{second}"),
                  providers=providers)


def _sender_lines(sender: Sender, n: int) -> list[str]:
    d = sender.domain
    includes = " ".join(f"include:{PROVIDERS[p][0]}" for p in sender.providers)
    mx_mech = " mx" if n % 2 else ""
    lines = [
        f'{d}. TXT "v=spf1{mx_mech} ip4:{sender.ips[0]}/32 ip4:{sender.ips[1]}/32 {includes} ~all"',
        f'_dmarc.{d}. TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@{REPORTS_DOMAIN}; '
        f'ruf=mailto:forensic@{REPORTS_DOMAIN}; pct=100; adkim=r; aspf=r"',
        f'{d}._report._dmarc.{REPORTS_DOMAIN}. TXT "v=DMARC1"',
        f'{d}. TXT "google-site-verification={hashlib.sha1(d.encode()).hexdigest()}"',
    ]
    if n % 5 == 0:  # DKIM delegated to the provider by CNAME
        lines.append(f"{sender.selector}._domainkey.{d}. CNAME {sender.selector}.dkim.mailer.test.")
    else:
        lines.append(f"{sender.selector}._domainkey.{d}. TXT {_dkim_record(d)}")
    if n % 4 == 0:  # the mail provider's shared MX hosts
        lines += [f"{d}. MX 1 aspmx.mailer.test.", f"{d}. MX 5 alt1.aspmx.mailer.test."]
    else:
        lines += [f"{d}. MX 10 mx1.{d}.", f"{d}. MX 20 mx2.{d}.",
                  f"mx1.{d}. A 198.51.100.{n % 254 + 1}", f"mx2.{d}. A 203.0.113.{n % 254 + 1}",
                  f"mx1.{d}. AAAA 2001:db8:{n:x}::25"]
    for index, ip in enumerate(sender.ips):
        lines.append(f"mail{index}.{d}. A {ip}")
    return lines


def _provider_lines() -> list[str]:
    lines = []
    for k, (name, chain) in enumerate(PROVIDERS.items()):
        for depth, record in enumerate(chain):
            nested = f" include:{chain[depth + 1]}" if depth + 1 < len(chain) else ""
            nets = f"ip4:192.0.2.{k * 32}/27 ip6:2001:db8:{k + 1:x}{depth:x}::/48"
            lines.append(f'{record}. TXT "v=spf1 {nets}{nested} ~all"')
        lines.append(f"s1.dkim.{name}.test. TXT {_dkim_record(name)}")
    lines += ["aspmx.mailer.test. A 192.0.2.10", "aspmx.mailer.test. AAAA 2001:db8:1::10",
              "alt1.aspmx.mailer.test. A 192.0.2.11"]
    return lines


def _reports_lines() -> list[str]:
    return [f'{REPORTS_DOMAIN}. MX 10 mx.{REPORTS_DOMAIN}.', f"mx.{REPORTS_DOMAIN}. A 192.0.2.99"]


def _dkim_record(seed: str) -> str:
    """A DKIM TXT record with an RSA-2048-sized key (split into 255-byte strings)."""
    key = base64.b64encode(_rsa_public_key_der(seed)).decode()
    record = f"v=DKIM1; k=rsa; p={key}"
    return " ".join(f'"{record[i:i + 250]}"' for i in range(0, len(record), 250))


def _rsa_public_key_der(seed: str) -> bytes:
    """A well-formed SubjectPublicKeyInfo for a 2048-bit RSA key (modulus from a hash)."""
    modulus = b"\x00\xc0" + hashlib.shake_256(seed.encode()).digest(255)
    rsa_key = _der(0x30, _der(0x02, modulus) + _der(0x02, b"\x01\x00\x01"))
    algorithm = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    return _der(0x30, algorithm + _der(0x03, b"\x00" + rsa_key))


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def _blocklist_zones(listed_ip: str | None) -> dict[str, str]:
    """Every default list of the catalog: its test entry listed, `listed_ip` on the first."""
    catalog = tomllib.loads(
        resources.files("deliverability").joinpath("data/blocklists.toml").read_text("utf-8")
    )
    zones = {}
    for index, spec in enumerate(b for b in catalog["blocklist"] if b.get("default")):
        origin = spec["zone"] + "."
        code = next(iter(spec.get("codes", {"127.0.0.2": ""})))
        entries = [spec["test_entry"]] if spec.get("test_entry") else []
        if index == 0 and listed_ip and spec["kind"] == "ip":
            entries.append(listed_ip)
        lines = [f"{_listing_name(entry, spec['kind'])} A {code}" for entry in entries]
        zones[origin] = _zone(origin, lines)
    return zones


def _listing_name(entry: str, kind: str) -> str:
    return ".".join(reversed(entry.split("."))) if kind == "ip" else entry


def _zone(origin: str, lines: list[str]) -> str:
    header = [f"$ORIGIN {origin}", "$TTL 300",
              f"@ SOA ns.{origin} hostmaster.{origin} 1 3600 600 86400 300"]
    return "\n".join(header + lines) + "\n"
