"""The report history: `--db FILE` (SQLite) keeps every report read, once per (org, report id),
so later runs (`--db FILE --since 30d`) summarize without the files.

A report is stored as its JSON form (rows included); `begin`/`end` are columns so
`--since` selects in SQL. Reports are read back one at a time (flat memory).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from deliverability.checks.dmarc_reports.model import (
    AggregateReport,
    DkimResult,
    Policy,
    Row,
    utc,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    org TEXT NOT NULL, report_id TEXT NOT NULL, domain TEXT NOT NULL,
    begin INTEGER NOT NULL, "end" INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (org, report_id)
);
CREATE INDEX IF NOT EXISTS reports_end ON reports ("end");
"""


class HistoryError(Exception):
    """The --db file cannot be used (one line why)."""


def open_history(path: Path) -> sqlite3.Connection:
    """The history database at `path`, created when missing; HistoryError if unusable."""
    try:
        conn = sqlite3.connect(path)
        conn.executescript(SCHEMA)
    except sqlite3.Error as exc:
        raise HistoryError(f"{path}: not a usable SQLite database ({exc})") from None
    return conn


def store(conn: sqlite3.Connection, reports: Iterable[AggregateReport]) -> int:
    """Save the reports not yet stored; how many were new."""
    before = conn.total_changes
    with conn:
        conn.executemany(
            'INSERT OR IGNORE INTO reports (org, report_id, domain, begin, "end", body) '
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                (*r.key, r.domain, int(r.begin.timestamp()), int(r.end.timestamp()), _dump(r))
                for r in reports
            ),
        )
    return conn.total_changes - before


def load(conn: sqlite3.Connection, since: datetime | None) -> Iterator[AggregateReport]:
    """The stored reports whose period ends at or after `since` (all when None), oldest first."""
    cutoff = int(since.timestamp()) if since else 0
    cursor = conn.execute('SELECT body FROM reports WHERE "end" >= ? ORDER BY begin', (cutoff,))
    for (body,) in cursor:
        yield _load(json.loads(body))


def _dump(report: AggregateReport) -> str:
    raw = asdict(report)
    raw["begin"], raw["end"] = int(report.begin.timestamp()), int(report.end.timestamp())
    return json.dumps(raw, separators=(",", ":"))


def _load(raw: dict[str, Any]) -> AggregateReport:
    rows = tuple(
        Row(
            **{
                **row,
                "dkim": tuple(DkimResult(**d) for d in row["dkim"]),
                "overrides": tuple(row["overrides"]),
                "comments": tuple(row["comments"]),
            }
        )
        for row in raw["rows"]
    )
    return AggregateReport(
        **{
            **raw,
            "begin": utc(raw["begin"]),
            "end": utc(raw["end"]),
            "policy": Policy(**raw["policy"]),
            "rows": rows,
        }
    )
