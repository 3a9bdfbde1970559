"""The check's `data` for the JSON report: files, reports, sources, totals (the issue's
shape, keys fixed), plus domains, daily figures, readiness and the selectors seen."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from deliverability.checks.dmarc_reports.aggregate import Corpus, Source
from deliverability.checks.dmarc_reports.lookups import ReverseName
from deliverability.checks.dmarc_reports.model import DISPOSITIONS, AggregateReport
from deliverability.checks.dmarc_reports.readiness import Readiness


def build(corpus: Corpus, names: dict[str, ReverseName], ready: list[Readiness]) -> dict[str, Any]:
    """The whole `data` dict."""
    return {
        "files": [{"path": f.path, "reports": f.reports, "error": f.error} for f in corpus.files],
        "reports": [_report(r) for r in corpus.reports],
        "sources": [_source(s, names.get(s.ip)) for s in corpus.ranked_sources()],
        "totals": {
            "reports": len(corpus.reports),
            "messages": corpus.messages,
            "dmarc_pass": corpus.dmarc_pass,
            "dmarc_fail": corpus.messages - corpus.dmarc_pass,
            "duplicates": corpus.duplicates,
            "files_failed": corpus.files_failed,
        },
        "domains": [_domain(corpus, name) for name in sorted(corpus.domains)],
        "daily": [
            {"date": day.isoformat(), "messages": m, "dmarc_pass": p}
            for day, (m, p) in sorted(corpus.daily.items())
        ],
        "readiness": {r.domain: r.to_data() for r in ready},
        "selectors": _selectors(corpus),
    }


def _selectors(corpus: Corpus) -> list[dict[str, Any]]:
    """Every (d=, s=) the reports show, with the messages signed with it, most first."""
    seen: Counter[tuple[str, str]] = Counter()
    for source in corpus.sources.values():
        for (domain, selector, _), count in source.dkim.items():
            if selector:
                seen[(domain, selector)] += count
    return [{"domain": d, "selector": s, "messages": n} for (d, s), n in seen.most_common()]


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _report(report: AggregateReport) -> dict[str, Any]:
    p = report.policy
    return {
        "org_name": report.org_name,
        "report_id": report.report_id,
        "domain": report.domain,
        "begin": iso(report.begin),
        "end": iso(report.end),
        "policy": {
            "p": p.p,
            "sp": p.sp,
            "np": p.np,
            "adkim": p.adkim,
            "aspf": p.aspf,
            "testing": p.testing,
        },
        "messages": report.messages,
        "schema": report.schema,
    }


def _source(source: Source, name: ReverseName | None) -> dict[str, Any]:
    return {
        "ip": source.ip,
        "ptr": name.ptr if name else None,
        "header_from": source.header_from,
        "envelope_from": [d for d, _ in source.envelope_from.most_common() if d],
        "messages": source.messages,
        "dmarc_pass": source.dmarc_pass,
        "dmarc_fail": source.dmarc_fail,
        "spf_aligned": source.spf_aligned,
        "dkim_aligned": source.dkim_aligned,
        "dkim": [
            {"domain": d, "selector": s, "result": r} for (d, s, r), _ in source.dkim.most_common()
        ],
        "disposition": {k: source.disposition.get(k, 0) for k in DISPOSITIONS},
        "category": source.category.value,
        "spf": [{"domain": d, "result": r} for (d, r), _ in source.spf.most_common()],
        "fcrdns": name.confirmed if name and name.ptr else None,
    }


def _domain(corpus: Corpus, name: str) -> dict[str, Any]:
    d = corpus.domains[name]
    return {
        "domain": name,
        "begin": d.begin.isoformat() if d.begin else None,
        "end": d.end.isoformat() if d.end else None,
        "reporters": sorted(d.reporters),
        "reports": d.reports,
        "messages": d.messages,
        "dmarc_pass": d.dmarc_pass,
        "pass_rate": round(d.dmarc_pass / d.messages, 4) if d.messages else None,
        "disposition": {k: d.disposition.get(k, 0) for k in DISPOSITIONS},
        "policy": {"p": d.policy.p, "sp": d.policy.sp, "np": d.policy.np},
    }
