"""Zones built to make a checker ask as much DNS as possible, for the query-bound tests.

Each function returns the text of one BIND zone under `.test`; `hostile_world()` serves
them all. The names say what each record does to a checker that follows everything:

- `mx-bomb.test`: 60 includes, each of 400 `mx:` terms naming a distinct domain with
  11 MX hosts (24,000 MX lookups and their hosts for a walker without a budget).
- `many-mx.test`: 2,000 MX hosts, each with an address, and `v=spf1 mx -all`.
- `deep.test`: a chain of 40 includes, each adding an `a:` and an `mx:` term.
- `fan.test`: 12 includes of 12 includes each, every leaf with 10 `mx:` terms whose
  3 hosts are all distinct (4,320 host address lookups for a naive walker).
- `mx-fan.test`: 30 `mx:` terms in one record, each naming 10 hosts of its own.
- `junk.test`: 300 malformed terms and 200 /8 ranges in one record, and an include of
  300 more malformed terms (a finding each for a linter without a cap).
- `cname-loops.test`: 30 `a:` terms, each naming a CNAME loop of 16 names.
- `voids.test`: 200 `a:` terms naming nothing.
- `many-a.test`: an MX host, named by `a:` and `mx` too, with 3,000 A records.
"""

from __future__ import annotations

from deliverability.net.zones import ZoneSet
from deliverability.net.zonefile import parse_zone_text

_HEAD = "$TTL 300\n@ SOA ns.{o}. hostmaster.{o}. 1 3600 600 86400 300\n@ NS ns.{o}.\nns A 192.0.2.53\n"


def txt(text: str) -> str:
    """A TXT rdata of `text` split into 255-byte strings (RFC 7208 3.3)."""
    return " ".join(f'"{text[i:i + 255]}"' for i in range(0, len(text), 255))


def spf(*terms: str) -> str:
    """The TXT rdata of a v=spf1 record of `terms`."""
    return txt(" ".join(("v=spf1", *terms)))


def _zone(origin: str, lines: list[str]) -> str:
    return _HEAD.format(o=origin) + "\n".join(lines) + "\n"


def mx_bomb(includes: int = 60, terms: int = 400, hosts: int = 11) -> str:
    """`mx-bomb.test`: `includes` includes of `terms` mx: terms, each `hosts` MX hosts."""
    top = [f"include:i{n}.mx-bomb.test" for n in range(includes)]
    lines = [f"@ TXT {spf(*top, '-all')}", "@ MX 10 h0.mx-bomb.test."]
    for n in range(includes):
        mx = [f"mx:m{j}.i{n}.mx-bomb.test" for j in range(terms)]
        lines.append(f"i{n} TXT {spf(*mx, '-all')}")
        # every name below i{n} has MX hosts (a wildcard, so each mx: term is a new name)
        lines += [f"*.i{n} MX {k} h{k}.mx-bomb.test." for k in range(hosts)]
    lines += [f"h{k} A 192.0.2.{k + 1}" for k in range(hosts)]
    return _zone("mx-bomb.test", lines)


def many_mx(hosts: int = 2000) -> str:
    """`many-mx.test`: `hosts` MX hosts with addresses, and an SPF record using them."""
    lines = [f"@ TXT {spf('mx', '-all')}", "* A 192.0.2.25"]
    lines += [f"@ MX {k % 65536} mx{k}.many-mx.test." for k in range(hosts)]
    return _zone("many-mx.test", lines)


def deep(length: int = 40) -> str:
    """`deep.test`: a chain of `length` includes, each adding an a: and an mx: term."""
    lines = [f"@ TXT {spf('include:d0.deep.test', '-all')}", "@ MX 10 mx.deep.test.",
             "* A 192.0.2.26"]
    for n in range(length):
        terms = [f"a:a{n}.deep.test", f"mx:m{n}.deep.test", f"include:d{n + 1}.deep.test"]
        lines.append(f"d{n} TXT {spf(*terms, '-all')}")
        lines.append(f"m{n} MX 10 h{n}.deep.test.")
    lines.append(f"d{length} TXT {spf('ip4:192.0.2.26', '-all')}")
    return _zone("deep.test", lines)


def fan(width: int = 12, leaves: int = 12, terms: int = 10, hosts: int = 3) -> str:
    """`fan.test`: `width` includes of `leaves` includes, each of `terms` mx: terms whose
    `hosts` MX hosts are all distinct names."""
    top = [f"include:w{n}.fan.test" for n in range(width)]
    lines = [f"@ TXT {spf(*top, '-all')}", "@ MX 10 mx.fan.test.", "* A 192.0.2.27"]
    for n in range(width):
        middle = [f"include:l{j}.w{n}.fan.test" for j in range(leaves)]
        lines.append(f"w{n} TXT {spf(*middle, '-all')}")
        for j in range(leaves):
            leaf = f"l{j}.w{n}"
            mx = [f"mx:m{t}.{leaf}.fan.test" for t in range(terms)]
            lines.append(f"{leaf} TXT {spf(*mx, '-all')}")
            lines += [f"m{t}.{leaf} MX {k} h{k}.m{t}.{leaf}.fan.test."
                      for t in range(terms) for k in range(hosts)]
            lines += [f"*.m{t}.{leaf} A 192.0.2.27" for t in range(terms)]
    return _zone("fan.test", lines)


def mx_fan(terms: int = 30, hosts: int = 10) -> str:
    """`mx-fan.test`: `terms` mx: terms, each naming `hosts` MX hosts of their own."""
    mx = [f"mx:m{t}.mx-fan.test" for t in range(terms)]
    lines = [f"@ TXT {spf(*mx, '-all')}", "@ MX 10 mx.mx-fan.test.", "mx A 192.0.2.28"]
    for t in range(terms):
        lines += [f"m{t} MX {k} h{k}.m{t}.mx-fan.test." for k in range(hosts)]
        lines.append(f"*.m{t} A 192.0.2.28")
    return _zone("mx-fan.test", lines)


def junk(terms: int = 300, ranges: int = 200) -> str:
    """`junk.test`: a record of `terms` malformed terms and `ranges` /8 ranges, and an
    include of another record of malformed terms (one finding each, for a naive linter)."""
    top = [f"zz{n}" for n in range(terms)] + [f"ip4:{n}.0.0.0/8" for n in range(1, ranges + 1)]
    lines = [f"@ TXT {spf('include:bad.junk.test', *top, '-all')}",
             f"bad TXT {spf(*(f'yy{n}' for n in range(terms)), '-all')}",
             "@ MX 10 mx.junk.test.", "mx A 192.0.2.29"]
    return _zone("junk.test", lines)


def cname_loops(terms: int = 30, hops: int = 16) -> str:
    """`cname-loops.test`: `terms` a: terms, each naming a CNAME loop of `hops` names (a
    checker that looks for the loop asks every hop)."""
    lines = [f"@ TXT {spf(*(f'a:c{j}x0.cname-loops.test' for j in range(terms)), '-all')}",
             "@ MX 10 mx.cname-loops.test.", "mx A 192.0.2.30"]
    lines += [f"c{j}x{k} CNAME c{j}x{(k + 1) % hops}.cname-loops.test."
              for j in range(terms) for k in range(hops)]
    return _zone("cname-loops.test", lines)


def voids(terms: int = 200) -> str:
    """`voids.test`: `terms` a: terms naming nothing (a fix dropping the void terms a walk
    saw would, verified, bring the next ones into view, and so on)."""
    lines = [f"@ TXT {spf(*(f'a:v{n}.voids.test' for n in range(terms)), '-all')}",
             "@ MX 10 mx.voids.test.", "mx A 192.0.2.31"]
    return _zone("voids.test", lines)


def many_a(addresses: int = 3000) -> str:
    """`many-a.test`: an MX host (and an a: term) with `addresses` A records."""
    lines = [f"@ TXT {spf('a:big.many-a.test', 'mx', '-all')}", "@ MX 10 big.many-a.test."]
    lines += [f"big A 198.51.{n // 256}.{n % 256}" for n in range(addresses)]
    return _zone("many-a.test", lines)


def hostile_world() -> ZoneSet:
    """Every hostile zone, as the loopback DNS server serves them."""
    zones = {"mx-bomb.test": mx_bomb(), "many-mx.test": many_mx(), "deep.test": deep(),
             "fan.test": fan(), "mx-fan.test": mx_fan(), "junk.test": junk(),
             "cname-loops.test": cname_loops(), "voids.test": voids(), "many-a.test": many_a()}
    return ZoneSet([parse_zone_text(text, f"{origin}.zone", origin=origin)
                    for origin, text in zones.items()])
