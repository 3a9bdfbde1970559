"""Turn what the user typed into validated values, or a UsageFailure naming the problem."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deliverability.cli.options import UsageFailure

if TYPE_CHECKING:
    from deliverability.profile import SenderProfile
    from deliverability.registry import CheckSpec


@contextmanager
def bad_input_is_usage_failure() -> Iterator[None]:
    """Re-raise the library's one-line input errors as UsageFailure (exit 2)."""
    from deliverability.net.zones import ZoneFileError
    from deliverability.registry import PluginError
    from deliverability.validation import BadInput

    try:
        yield
    except (BadInput, PluginError, ZoneFileError) as exc:
        raise UsageFailure(str(exc)) from None


def domain(text: str, what: str = "domain") -> str:
    """A validated A-label domain (see config.validate_domain)."""
    from deliverability.validation import validate_domain

    with bad_input_is_usage_failure():
        return validate_domain(text, what)


def lenient_domain(text: str, what: str = "domain") -> str:
    """A domain, also read out of a URL or an address (with a note on stderr saying so)."""
    import sys

    from deliverability.cli.hints import domain_of
    from deliverability.text import clean_line

    host, note = domain_of(text)
    if note is not None and host:
        sys.stderr.write(f"deliverability: note: {clean_line(note)}\n")
    return domain(host or text, what)


def ip(text: str) -> str:
    """A validated IP address in canonical form."""
    from deliverability.validation import validate_ip

    with bad_input_is_usage_failure():
        return validate_ip(text)


def selector(text: str) -> str:
    """A DKIM selector: one or more DNS labels, not the full key name."""
    from deliverability.validation import validate_selector

    with bad_input_is_usage_failure():
        return validate_selector(text)


def profile(path: Path | None) -> SenderProfile:
    """The sender profile from --profile or ./deliverability.toml; NO_PROFILE when neither."""
    from deliverability.profile import NO_PROFILE, load_profile

    with bad_input_is_usage_failure():
        return load_profile(path) or NO_PROFILE


def configured_profile(path: Path | None, config: Any, no_config: bool) -> SenderProfile:
    """--profile FILE; else the configuration file's profile tables (settings.ConfigFile);
    none with --no-config."""
    from deliverability.profile import NO_PROFILE, parse_profile

    if path is not None or (config is None and not no_config):
        return profile(path)
    if config is None or not config.profile:
        return NO_PROFILE
    with bad_input_is_usage_failure():
        return parse_profile(config.profile, str(config.path))


def blocklist_choice(text: str, spamhaus_key: str | None, sender_profile: Any) -> None:
    """Check --blocklists names (and the DQS key's shape) before anything runs."""
    from deliverability.checks.dnsbl.lists import validate_options

    with bad_input_is_usage_failure():
        validate_options(text, spamhaus_key, sender_profile)


def installed_checks() -> list[CheckSpec]:
    """Every installed check; a plugin that fails to load is a one-line error."""
    from deliverability.registry import load_checks

    with bad_input_is_usage_failure():
        return load_checks()


def command_checks() -> list[CheckSpec]:
    """The checks commands run themselves (`message`, ...): not entry points."""
    from deliverability.registry import COMMAND_CHECKS, command_check

    return [command_check(name) for name in COMMAND_CHECKS]
