"""Forgiving input: what a user most likely meant, said in one line.

`deliverability example.com` (no command) points at `check`; a near miss of a choice,
a command or a check name gets "did you mean"; a URL or an address given where a
domain belongs is read as its domain, with a note on stderr.
"""

from __future__ import annotations

import difflib
import re
from urllib.parse import urlsplit

# The framework's message for a bad choice: "... 'errors' is not one of 'error', 'warning'."
_NOT_ONE_OF = re.compile(r"'(?P<given>[^']*)' is not one of (?P<choices>'[^']*'(?:, '[^']*')*)")


def did_you_mean(given: str, choices: list[str]) -> str:
    """' (did you mean 'x'?)' for the closest of `choices`, or '' when none is close."""
    close = difflib.get_close_matches(given.lower(), choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def with_choice_hint(message: str) -> str:
    """A framework usage message, with 'did you mean' added for a near-miss choice."""
    message = message.replace("Value error, ", "")  # the framework's wording, not ours
    match = _NOT_ONE_OF.search(message)
    if match is None or "did you mean" in message.lower():
        return message
    choices = re.findall(r"'([^']*)'", match.group("choices"))
    hint = did_you_mean(match.group("given"), choices)
    return message.rstrip(".") + hint + "." if hint else message


def no_command_hint(args: list[str], commands: list[str]) -> str | None:
    """For `deliverability DOMAIN` (no command): one line naming the command to use."""
    words = [a for a in args if not a.startswith("-")]
    if not words or words[0] in commands:
        return None
    first = words[0]
    if "." in first or "@" in first:
        rest = " ".join(args[args.index(first) + 1 :])
        return f"{first!r} is not a command; use `deliverability check {first}{' ' + rest if rest else ''}`"
    return None


def domain_of(text: str) -> tuple[str, str | None]:
    """The domain in `text`, and a note when it was read out of a URL or an address."""
    given = text.strip()
    if "://" in given:
        host = urlsplit(given).hostname or ""
        return host, f"checking {host}, the domain of the URL {given}"
    if "@" in given and not given.startswith("@"):
        host = given.rsplit("@", 1)[1].strip("<> ")
        return host, f"checking {host}, the domain of the address {given}"
    return text, None
