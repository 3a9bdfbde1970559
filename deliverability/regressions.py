"""Regressions: a policy weakened or a check gone bad since a baseline, whatever the severity.

A baseline gate that only looks at new findings at or above --fail-on lets a zone
change from `p=reject` to `p=none` through: the new finding is a warning. These are
compared on the checks' `data` (the facts a saved JSON report holds), never on text:
- DMARC `p`, `sp` or `np` lowered (reject > quarantine > none > no policy), or `t=y` added;
- the SPF `all` qualifier weakened (`-all` > `~all` > `?all` or none > `+all`);
- a DKIM key found at a selector before and not now;
- a check whose status was ok or info and is now warning, unknown or error.
Facts are `{check: (status, data)}`, from a Report or a saved JSON report alike.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from deliverability.finding import Regression, Report, Severity

Facts = Mapping[str, tuple[Severity, Mapping[str, Any]]]

POLICY_RANK = {None: 0, "none": 1, "quarantine": 2, "reject": 3}
ALL_RANK = {"+": 0, None: 1, "?": 1, "~": 2, "-": 3}
_POLICY_TAGS = (("p", "policy"), ("sp", "subdomain_policy"), ("np", "nonexistent_policy"))


def report_facts(report: Report) -> dict[str, tuple[Severity, Mapping[str, Any]]]:
    """Each check's status and data, from a run."""
    return {check.name: (check.status, check.data) for check in report.checks}


def saved_facts(report: Mapping[str, Any]) -> dict[str, tuple[Severity, Mapping[str, Any]]]:
    """Each check's status and data, from a saved JSON report (KeyError/ValueError if malformed)."""
    checks = report["checks"]
    return {name: (Severity(c["status"]), c.get("data") or {}) for name, c in checks.items()}


def regressions(old: Facts, new: Facts) -> tuple[Regression, ...]:
    """What got weaker from `old` to `new`; a check that did not run in both is not compared."""
    found: list[Regression] = []
    for name in old.keys() & new.keys():
        (before, old_data), (after, new_data) = old[name], new[name]
        if after is not Severity.UNKNOWN:  # a failed lookup is not a weaker policy
            found += _weakened(name, old_data, new_data)
        if before.rank <= Severity.INFO.rank < after.rank:
            found.append(_regression("check.no-longer-ok", name, name, before.value, after.value))
    return tuple(sorted(found, key=lambda r: (r.check, r.kind, r.subject)))


def _weakened(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Regression]:
    if name == "dmarc":
        yield from _dmarc(old, new)
    elif name == "spf":
        yield from _spf(old, new)
    elif name == "dkim":
        yield from _dkim(old, new)


def _dmarc(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Regression]:
    where = str(new.get("found_at") or old.get("found_at") or "")
    for tag, key in _POLICY_TAGS:
        if key not in old:
            continue  # a report saved before the tag was recorded
        was, now = old.get(key), new.get(key)
        if POLICY_RANK.get(now, 0) < POLICY_RANK.get(was, 0):
            yield _regression(f"dmarc.{tag}-lowered", "dmarc", where, str(was), str(now))
    if old.get("testing") is False and new.get("testing") is True:
        yield _regression("dmarc.testing-added", "dmarc", where, "t=n", "t=y")


def _spf(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Regression]:
    if "all" not in old or not old.get("record"):
        return
    was = f"{old.get('all') or ''}all"
    now = f"{new.get('all') or ''}all" if new.get("record") else "no record"
    rank_now = ALL_RANK.get(new.get("all"), 1) if new.get("record") else 0
    if rank_now < ALL_RANK.get(old.get("all"), 1):
        yield _regression("spf.all-weakened", "spf", str(new.get("domain") or ""), was, now)


def _dkim(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Regression]:
    before, after = old.get("selectors") or {}, new.get("selectors") or {}
    for selector, key in before.items():
        if isinstance(key, Mapping) and key.get("valid") and not _valid(after.get(selector)):
            yield _regression("dkim.key-missing", "dkim", str(selector), "key found", "no key")


def _valid(key: Any) -> bool:
    return isinstance(key, Mapping) and bool(key.get("valid"))


def _regression(kind: str, check: str, subject: str, before: str, after: str) -> Regression:
    return Regression(kind=kind, check=check, subject=subject, before=before, after=after)
