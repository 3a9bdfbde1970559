"""What a third-party check imports: the one curated surface of the plugin API.

    from deliverability.api import Context, Finding, Severity, LookupFailed

Everything here is kept stable across releases; anything else in the package may
move. docs/architecture.md shows a whole check written against it.
"""

from __future__ import annotations

from deliverability.concurrency import sub_tasks
from deliverability.context import Context
from deliverability.finding import CheckResult, Finding, Location, Severity, Target
from deliverability.net.dns import Answer, LookupFailed, normalize_name
from deliverability.net.https import Fetched, FetchFailed, FetchProblem
from deliverability.profile import SenderProfile

__all__ = [
    "Answer",
    "CheckResult",
    "Context",
    "FetchFailed",
    "FetchProblem",
    "Fetched",
    "Finding",
    "Location",
    "LookupFailed",
    "SenderProfile",
    "Severity",
    "Target",
    "normalize_name",
    "sub_tasks",
]
