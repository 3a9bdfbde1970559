"""The values an aggregate report holds, as read from its XML (see parse.py)."""

from __future__ import annotations

from dataclasses import field
from datetime import UTC, datetime
from enum import StrEnum

from deliverability.lean import dataclass


class Category(StrEnum):
    """What kind of sender a source is (docs/dmarc-reports.md)."""

    ALIGNED = "aligned"
    AUTHORIZED_UNALIGNED = "authorized-unaligned"
    FORWARDED = "forwarded"
    UNAUTHORIZED = "unauthorized"


DISPOSITIONS = ("none", "quarantine", "reject")
# RFC 7489 appendix C PolicyOverrideType: the overrides that mean the mail was relayed.
FORWARDING_OVERRIDES = frozenset({"forwarded", "trusted_forwarder", "mailing_list"})


@dataclass(frozen=True, kw_only=True)
class Policy:
    """<policy_published>: what the domain published, as the reporter saw it."""

    p: str | None = None
    sp: str | None = None
    np: str | None = None
    adkim: str | None = None
    aspf: str | None = None
    testing: str | None = None
    pct: int | None = None
    discovery_method: str | None = None


@dataclass(frozen=True, kw_only=True)
class DkimResult:
    """One <auth_results><dkim>: a signature the receiver checked."""

    domain: str
    selector: str
    result: str


@dataclass(frozen=True, kw_only=True)
class Row:
    """One <record>: `count` messages from one IP with the same results."""

    ip: str
    count: int
    disposition: str
    dkim_evaluated: str
    spf_evaluated: str
    header_from: str
    envelope_from: str
    spf_domain: str
    spf_result: str
    dkim: tuple[DkimResult, ...] = ()
    overrides: tuple[str, ...] = ()  # <reason><type>
    comments: tuple[str, ...] = ()  # <reason><comment>

    @property
    def dmarc_pass(self) -> bool:
        """RFC 7489 appendix C: DMARC passes when the evaluated DKIM or SPF result is pass."""
        return self.dkim_evaluated == "pass" or self.spf_evaluated == "pass"

    @property
    def authenticated(self) -> bool:
        """SPF passed for some domain, or some DKIM signature verified (aligned or not)."""
        return self.spf_result == "pass" or any(d.result == "pass" for d in self.dkim)


@dataclass(frozen=True, kw_only=True)
class AggregateReport:
    """One <feedback> document."""

    org_name: str
    report_id: str
    domain: str
    begin: datetime
    end: datetime
    policy: Policy
    rows: tuple[Row, ...] = ()
    schema: str = "rfc7489"  # or "rfc9990"
    email: str = ""
    message_count: int | None = None  # set when the rows were dropped after counting

    @property
    def key(self) -> tuple[str, str]:
        """What makes two copies of a report the same report."""
        return (self.org_name.lower(), self.report_id)

    @property
    def messages(self) -> int:
        """Messages the report covers."""
        if self.message_count is not None:
            return self.message_count
        return sum(row.count for row in self.rows)


@dataclass(frozen=True, kw_only=True)
class FileOutcome:
    """What reading one input gave: its reports, or one line saying why it has none."""

    path: str
    reports: tuple[AggregateReport, ...] = field(default_factory=tuple)
    error: str | None = None


def utc(timestamp: int) -> datetime:
    """A report's epoch seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(timestamp, tz=UTC)
