"""What to do next about one recipient's failure: the exact command to run, the provider's
delisting or sender-support page where one is documented, or "nothing to fix"."""

from __future__ import annotations

import functools

from deliverability.checks.bounce.codes import blocklist_zone
from deliverability.checks.bounce.providers import by_name
from deliverability.checks.bounce.reasons import Reason, load_table
from deliverability.checks.dnsbl.lists import BlocklistSpec, load_catalog
from deliverability.lean import dataclass

SENDER_PLACEHOLDER = "SENDER-DOMAIN"
IP_PLACEHOLDER = "SENDING-IP"
_DO = {
    Reason.USERUNKNOWN: "The address is wrong; nothing to fix on the sending side. Correct it with the "
    "recipient, or remove it from the list.",
    Reason.HOSTUNKNOWN: "The recipient's domain has no working mail server: the address is wrong (a typo "
    "in the domain?); nothing to fix on the sending side.",
    Reason.NOTACCEPT: "The recipient's domain accepts no mail; nothing to fix on the sending side. "
    "Remove the address.",
    Reason.SUSPEND: "The recipient's account is disabled; nothing to fix on the sending side. Remove the "
    "address, or reach the recipient another way.",
    Reason.HASMOVED: "The recipient has moved; nothing to fix on the sending side. Ask them for the new address.",
    Reason.MAILBOXFULL: "The recipient must free space in their mailbox; the mail can be sent again later. "
    "Remove the address if it keeps bouncing for weeks.",
    Reason.MAILERERROR: "The recipient's mail system failed to deliver locally: their IT team must fix it.",
    Reason.EXCEEDLIMIT: "Send a smaller message (link to large files instead of attaching them).",
    Reason.MESGTOOBIG: "Send a smaller message (link to large files instead of attaching them).",
    Reason.CONTENTERROR: "Fix the message's MIME structure or encoding in the sending application.",
    Reason.NOTCOMPLIANTRFC: "Have the sending application write RFC 5322 messages: one From, Date and "
    "Message-ID each, CRLF line ends; `deliverability message FILE` shows defects.",
    Reason.VIRUSDETECTED: "Remove the flagged attachment or link, and check the sending system for malware.",
    Reason.FAILEDSTARTTLS: "Enable STARTTLS (TLS 1.2 or later, a valid certificate) on the sending mail server.",
    Reason.NORELAYING: "Send through the server that hosts your domain or your sending service, authenticated; "
    "the server that refused is not the recipient's and will not relay.",
    Reason.SECURITYERROR: "The receiver requires authentication or accepts only internal senders: "
    "authenticate to the submission server, or ask the recipient to allow external mail.",
    Reason.SYNTAXERROR: "The sending software sent a malformed SMTP command or address: fix the address "
    "or the sending software.",
    Reason.SPEEDING: "Slow down: spread the sending over time and let the server retry; it clears on its own.",
    Reason.TOOMANYCONN: "Open fewer connections at once to this receiver (the sending server's "
    "per-destination concurrency).",
    Reason.EXPIRED: "The receiving server could not be reached for the whole queue lifetime: check its MX.",
    Reason.NETWORKERROR: "The receiving server could not be reached: check its MX; the mail server retries.",
    Reason.SYSTEMERROR: "A problem at the receiver; the mail server retries. If it persists, tell the "
    "recipient's IT team.",
    Reason.SYSTEMFULL: "The receiver is out of storage; the mail server retries. Tell the recipient's IT team.",
    Reason.ONHOLD: "Delivery is pending; wait for the final outcome.",
    Reason.SUPPRESSED: "The sending service did not send it because of an earlier bounce, complaint or "
    "unsubscribe. Remove it from the service's suppression list only if the address "
    "works again.",
    Reason.FEEDBACK: "The recipient reported the message as spam: stop mailing them and check how the "
    "address was subscribed.",
    Reason.UNDEFINED: "The bounce does not say why: read the diagnostic text, or ask the recipient's IT team.",
}


@dataclass(frozen=True, kw_only=True)
class Situation:
    """What the next steps are written from."""

    reason: Reason
    sender_domain: str | None
    ip: str | None
    recipient_domain: str | None
    provider: str | None
    diagnostic: str | None


def next_steps(s: Situation) -> tuple[str, ...]:
    """The remediation lines for one recipient, most useful first."""
    step = load_table().info[s.reason].step
    lines = [*_commands(step, s), *_do(s.reason)]
    page = _provider_page(step, s.provider)
    if page:
        lines.append(page)
    return tuple(lines)


def check_command(s: Situation, extra: str = "") -> str:
    """`deliverability check SENDER --ip IP`, with placeholders for what the bounce does not show."""
    sender = s.sender_domain or SENDER_PLACEHOLDER
    return f"deliverability check {sender} --ip {s.ip or IP_PLACEHOLDER}{extra}"


def _commands(step: str, s: Situation) -> list[str]:
    if step in ("authentication", "ptr"):
        what = "reverse DNS (PTR)" if step == "ptr" else "SPF, DKIM and DMARC alignment"
        return [f"Run `{check_command(s)}` and fix what it reports for {what}."]
    if step == "blocklist":
        return _blocklist(s)
    if step == "reputation":
        return [
            f"Run `{check_command(s)}` (blocklists, authentication), then lower the volume to this "
            "receiver and send only to recipients who engage."
        ]
    if step == "filtering" and s.recipient_domain:
        sender = f" --sender {s.sender_domain}" if s.sender_domain else ""
        return [
            f"Run `deliverability guide {s.recipient_domain}{sender}` and send the allowlist "
            "instructions to the recipient's IT team."
        ]
    if s.reason in (Reason.EXPIRED, Reason.NETWORKERROR) and s.recipient_domain:
        return [
            f"Run `deliverability check {s.recipient_domain} --select mx` to see its mail servers."
        ]
    return []


@functools.cache  # the blocklist catalog is read-only data: parse it once per process
def _blocklists() -> tuple[BlocklistSpec, ...]:
    return load_catalog()


def _blocklist(s: Situation) -> list[str]:
    zone = blocklist_zone(s.diagnostic or "")
    listed = next(
        (
            b
            for b in _blocklists()
            if zone
            and (zone == b.zone or zone.endswith("." + b.zone) or b.zone.endswith("." + zone))
        ),
        None,
    )
    if listed is None:
        return [f"Run `{check_command(s, ' --blocklists all')}` to see which lists hold the IP."]
    lines = [
        f"The text names {listed.zone}: run `{check_command(s, ' --blocklists ' + listed.name)}`."
    ]
    delist = getattr(listed, "delist_url", None)
    if delist:
        lines.append(f"Once the cause is fixed, request removal at {delist}.")
    return lines


def _do(reason: Reason) -> list[str]:
    text = _DO.get(reason)
    return [text] if text else []


def _provider_page(step: str, name: str | None) -> str | None:
    provider = by_name(name)
    if provider is None or step not in (
        "blocklist",
        "reputation",
        "authentication",
        "ptr",
        "filtering",
    ):
        return None
    if provider.support:
        return (
            f"{provider.title} sender support (delisting, mitigation requests): {provider.support}"
        )
    return None
