"""DKIM selectors worth probing, and the providers behind DKIM CNAME delegations.

A selector cannot be enumerated from DNS: these are the names providers use by
default (or a common generic name), so a probe finds most keys without being told.
Providers that generate random selectors (Amazon SES Easy DKIM tokens, Postmark's
dated selectors) cannot be guessed; `--selector` or the sender profile covers them.
docs/checks.md (## dkim) lists the sources.
"""

from __future__ import annotations

from deliverability.lean import dataclass


@dataclass(frozen=True, kw_only=True)
class KnownSelector:
    """A selector name and who uses it."""

    name: str
    provider: str

    @property
    def delegated(self) -> bool:
        """The provider publishes it as a CNAME to its own zone (checked when dangling)."""
        return self.provider in CNAME_PROVIDERS


# Providers whose setup is a CNAME: a dangling one means signing was never enabled.
CNAME_PROVIDERS = frozenset({"Microsoft 365", "SendGrid", "Mailchimp"})

BUILT_IN_SELECTORS: tuple[KnownSelector, ...] = tuple(
    KnownSelector(name=name, provider=provider)
    for provider, names in (
        ("Google Workspace", ("google", "google2048")),
        ("Microsoft 365", ("selector1", "selector2")),
        ("SendGrid", ("s1", "s2", "smtpapi", "em")),
        ("Mailchimp", ("k1", "k2", "k3")),
        ("Mandrill", ("mandrill", "mte1", "mte2")),
        ("Amazon SES (legacy)", ("amazonses",)),
        ("Postmark", ("pm", "pm-bounces")),
        ("Mailgun", ("mx", "smtp", "mailo", "krs")),
        ("Zoho", ("zoho", "zmail")),
        ("Brevo (Sendinblue)", ("mail", "brevo1", "brevo2")),
        ("HubSpot", ("hs1", "hs2")),
        ("Mailjet", ("mailjet",)),
        ("Klaviyo", ("kl", "kl2")),
        ("Fastmail", ("fm1", "fm2", "fm3")),
        ("Proton Mail", ("protonmail", "protonmail2", "protonmail3")),
        ("Salesforce", ("sf1", "sf2")),
        ("Zendesk", ("zendesk1", "zendesk2")),
        ("generic", ("default", "dkim", "key1", "key2", "selector", "email", "s2048", "s1024")),
    )
    for name in names
)

# Where a DKIM CNAME pointing into these domains delegates the key.
DELEGATION_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("onmicrosoft.com", "Microsoft 365"),
    ("sendgrid.net", "SendGrid"),
    ("dkim.mcsv.net", "Mailchimp"),
    ("mandrillapp.com", "Mandrill"),
    ("amazonses.com", "Amazon SES"),
    ("mailgun.org", "Mailgun"),
    ("mtasv.net", "Postmark"),
    ("zoho.com", "Zoho"),
    ("sendinblue.com", "Brevo (Sendinblue)"),
    ("brevo.com", "Brevo"),
    ("hubspotemail.net", "HubSpot"),
    ("mailjet.com", "Mailjet"),
    ("klaviyodelivery.com", "Klaviyo"),
    ("messagingengine.com", "Fastmail"),
    ("protonmail.ch", "Proton Mail"),
    ("zendesk.com", "Zendesk"),
)


def provider_of(name: str) -> str | None:
    """The provider a CNAME target belongs to, if it is one we know."""
    name = name.rstrip(".").lower()
    for suffix, provider in DELEGATION_SUFFIXES:
        if name == suffix or name.endswith("." + suffix):
            return provider
    return None
