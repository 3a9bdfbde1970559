"""The DNS changes SPF findings propose, combined into one record per domain.

Each finding proposes the record it alone would publish; `combined()` merges those
term edits (drops, additions, a new `all`) into the one record that fixes them all,
so following several findings never undoes an earlier one. The verifier (remedy.py)
then decides whether that record is offered.
"""

from __future__ import annotations

import dataclasses

from deliverability.change import Action, Change, joined_txt, txt_change, txt_value
from deliverability.checks.spf.advice import edited
from deliverability.checks.spf.parse import SpfRecord, parse_record
from deliverability.finding import Finding
from deliverability.net.dns import Answer


def record_fix(domain: str, record: SpfRecord, new: str, note: str = "") -> tuple[Change, ...]:
    """The change that replaces `record` at `domain` with `new`."""
    return (txt_change(domain, record.text, new, note=note),)


def decision(domain: str, note: str) -> tuple[Change, ...]:
    """No record to offer: `note` says what the owner has to decide."""
    return (Change(name=domain, type="TXT", action=Action.REPLACE, note=note),)


def combined(
    findings: list[Finding], domain: str, record: SpfRecord, answer: Answer, add: tuple[str, ...]
) -> list[Finding]:
    """`findings` with every replacement of `record` merged into one (plus `add` terms when
    any is proposed), naming the published record exactly as the zone holds it."""
    own = txt_value(record.text)
    proposals = [c for f in findings for c in f.changes if c.old == own and c.new is not None]
    if not proposals:
        return findings
    news = [parse_record(joined_txt(c.new or "")) for c in proposals]
    merged = _merge(record, news, add)
    old = answer.presentation_of(record.text) or own
    change = dataclasses.replace(proposals[0], old=old, new=txt_value(merged))
    notes = " ".join(dict.fromkeys(c.note for c in proposals if c.note))
    change = dataclasses.replace(change, note=notes)
    return [_replaced(f, own, change) for f in findings]


def _replaced(finding: Finding, own: str, change: Change) -> Finding:
    if not any(c.old == own and c.new is not None for c in finding.changes):
        return finding
    others = tuple(c for c in finding.changes if not (c.old == own and c.new is not None))
    return dataclasses.replace(finding, changes=(change, *others))


def _merge(record: SpfRecord, news: list[SpfRecord], add: tuple[str, ...]) -> str:
    before = [t.text for t in record.terms]
    if len({n.text for n in news}) == 1 and not set(add) - {t.text for t in news[0].terms}:
        return news[0].text  # one edit: its terms stay where it put them (flattening)
    dropped: set[str] = set()
    added: list[str] = []
    ending = None
    for new in news:
        after = [t.text for t in new.terms]
        dropped |= set(before) - set(after)
        for term in after:
            if term in before:
                continue
            if term.lstrip("+-~?").lower() == "all":
                ending = term
            elif term not in added:
                added.append(term)
    added += [t for t in add if t not in before and t not in added]
    alls = tuple(t for t in before if t.lstrip("+-~?").lower() == "all") if ending else ()
    merged = parse_record(
        edited(record, drop=tuple(dropped) + alls, add=tuple(added), ending=ending)
    )
    final = merged.all_term
    if final is None:
        return merged.text
    # every proposal ends in its `all` (terms after it are never evaluated): so does the merge
    return edited(
        merged, drop=tuple(t.text for t in merged.terms if t.name == "all"), ending=final.text
    )


MAX_TYPO_DISTANCE = 2  # a mistyped provider include is one or two keystrokes off


def nearest_include(name: str) -> str | None:
    """The known provider include within a small edit distance of `name`, if one is."""
    from deliverability.checks.dmarc_reports.providers import load_catalog as senders
    from deliverability.checks.guide.platforms import load_catalog as platforms

    known = {p.spf_include for p in senders().providers}
    known |= {s for p in platforms().platforms.values() for s in p.spf}
    scored = sorted((_distance(name.lower(), k), k) for k in known if k != name.lower())
    return scored[0][1] if scored and scored[0][0] <= MAX_TYPO_DISTANCE else None


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (names are short: the quadratic table is cheap)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]
