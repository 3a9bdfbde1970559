"""The Gmail, Yahoo and Outlook.com sender rules, as data, and the facts they rest on.

Each rule names the fact (`Need`) that decides it; a fact is judged once from the
other checks' results and shared by every rule that needs it. Sources, dated, are in
docs/sender-requirements.md: Google "Email sender guidelines" (support.google.com/a/
answer/81126), Yahoo Sender Hub best practices (senders.yahooinc.com/best-practices),
Microsoft "Strengthening Email Ecosystem: Outlook's New Requirements for High-Volume
Senders" (techcommunity.microsoft.com, April 2025).
"""

from __future__ import annotations

from enum import StrEnum

from deliverability.lean import dataclass


class Status(StrEnum):
    """Where a rule stands."""

    MET = "met"
    NOT_MET = "not-met"
    NOT_VISIBLE = "not-visible"  # cannot be seen from DNS: the detail says what to check
    NOT_CHECKED = "not-checked"  # the check it rests on was not run
    UNKNOWN = "unknown"  # a lookup it rests on failed


class Need(StrEnum):
    """The facts the rules rest on."""

    SPF = "spf"
    DKIM = "dkim"
    SPF_OR_DKIM = "spf-or-dkim"
    SPF_AND_DKIM = "spf-and-dkim"
    DKIM_KEY_SIZE = "dkim-key-size"
    DMARC = "dmarc"
    ALIGNMENT = "alignment"
    FCRDNS = "fcrdns"
    TLS = "tls"
    SPAM_RATE = "spam-rate"
    UNSUBSCRIBE = "one-click-unsubscribe"
    MESSAGE_FORMAT = "message-format"


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One provider rule: `<provider>.<all|bulk>.<need>` is its stable id."""

    provider: str
    applies_to: str  # "all" senders, or "bulk" senders (about 5,000 messages a day)
    need: Need
    text: str

    @property
    def id(self) -> str:
        """Stable identifier, e.g. gmail.bulk.dmarc."""
        return f"{self.provider}.{self.applies_to}.{self.need.value}"


PROVIDERS = {"gmail": "Gmail", "yahoo": "Yahoo", "outlook": "Outlook.com"}


def _rules(provider: str, applies_to: str, *items: tuple[Need, str]) -> tuple[Rule, ...]:
    return tuple(Rule(provider=provider, applies_to=applies_to, need=n, text=t) for n, t in items)


RULES: tuple[Rule, ...] = (
    *_rules(
        "gmail",
        "all",
        (Need.SPF_OR_DKIM, "Authenticate with SPF or DKIM"),
        (Need.DKIM_KEY_SIZE, "DKIM keys of 1024 bits or more"),
        (Need.FCRDNS, "Valid forward and reverse DNS (PTR) for sending IPs"),
        (Need.TLS, "Send over a TLS connection"),
        (Need.SPAM_RATE, "Spam rate in Postmaster Tools below 0.3% (aim under 0.1%)"),
        (Need.MESSAGE_FORMAT, "Messages formatted per RFC 5322"),
    ),
    *_rules(
        "gmail",
        "bulk",
        (Need.SPF_AND_DKIM, "Authenticate with both SPF and DKIM"),
        (Need.DMARC, "Publish DMARC, p=none or stricter"),
        (Need.ALIGNMENT, "From domain aligned with the SPF or the DKIM domain"),
        (Need.UNSUBSCRIBE, "One-click unsubscribe (RFC 8058) in marketing messages"),
    ),
    *_rules(
        "yahoo",
        "all",
        (Need.SPF_OR_DKIM, "Authenticate with SPF or DKIM"),
        (Need.FCRDNS, "Valid forward and reverse DNS for sending IPs"),
        (Need.SPAM_RATE, "Spam complaint rate below 0.3%"),
        (Need.MESSAGE_FORMAT, "Messages formatted per RFC 5322"),
    ),
    *_rules(
        "yahoo",
        "bulk",
        (Need.SPF_AND_DKIM, "Authenticate with both SPF and DKIM"),
        (Need.DMARC, "Publish DMARC, p=none or stricter"),
        (Need.ALIGNMENT, "From domain aligned with the SPF or the DKIM domain"),
        (Need.UNSUBSCRIBE, "One-click unsubscribe, honoured within 2 days"),
    ),
    *_rules(
        "outlook",
        "bulk",
        (Need.SPF, "SPF passes for the sending domain"),
        (Need.DKIM, "DKIM passes"),
        (Need.DMARC, "Publish DMARC, p=none or stricter"),
        (Need.ALIGNMENT, "DMARC aligned with SPF or DKIM (preferably both)"),
        (Need.UNSUBSCRIBE, "A functional unsubscribe link (recommended)"),
    ),
)


@dataclass(frozen=True, kw_only=True)
class Fact:
    """How one need stands, why, and what to do (the record to publish, or what to check)."""

    status: Status
    detail: str
    fix: tuple[str, ...] = ()
    topic: str = ""  # for not-visible facts: what to look at instead (groups findings)
    cause: str | None = None  # the other check's finding code this fact rests on, if failing


OUT_OF_DNS = {
    Need.TLS: Fact(
        status=Status.NOT_VISIBLE,
        topic="tls",
        detail="TLS is a property of the SMTP connection, not of DNS",
        fix=(
            "Open a message you sent to a Gmail account, 'Show original': it must "
            "say TLS; or check your server sends STARTTLS to every receiver.",
        ),
    ),
    Need.SPAM_RATE: Fact(
        status=Status.NOT_VISIBLE,
        topic="spam-rate",
        detail="The spam rate is measured by the receivers",
        fix=(
            "Read the spam rate in Google Postmaster Tools and the complaint "
            "feedback loop in Yahoo Sender Hub; keep it under 0.1%.",
        ),
    ),
    Need.UNSUBSCRIBE: Fact(
        status=Status.NOT_VISIBLE,
        topic="one-click-unsubscribe",
        detail="Unsubscribe headers are in each message, not in DNS",
        fix=(
            "Check a sent marketing message has 'List-Unsubscribe: <https://...>' "
            "and 'List-Unsubscribe-Post: List-Unsubscribe=One-Click' (RFC 8058), "
            "and that unsubscribes are honoured within 2 days.",
        ),
    ),
    Need.MESSAGE_FORMAT: Fact(
        status=Status.NOT_VISIBLE,
        topic="message-format",
        detail="Message format is a property of each message",
        fix=("Check a sent message: one From, a Date and a Message-ID header (RFC 5322).",),
    ),
}
