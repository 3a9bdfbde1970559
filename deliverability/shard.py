"""Shards: split one target file across machines (`check --from-file F --shard I/N`).

Shard I of N (I counts from 0, as Kubernetes' JOB_COMPLETION_INDEX does: 0/4, 1/4,
2/4, 3/4) holds the targets whose key falls in it: the first 8 bytes of the SHA-256
of the normalized domain, read as a big-endian integer, mod N. The assignment
depends on nothing but the domain and N, so every machine and Python version agrees,
and every line of the file is in exactly one shard (a line whose domain is not valid
too: its shard reports why). `deliverability merge` puts the shards back together.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

from deliverability.bulk_summary import Row
from deliverability.lean import dataclass
from deliverability.validation import BadInput

MAX_SHARDS = 100_000
_SPEC = re.compile(r"\s*(\d{1,6})\s*/\s*(\d{1,6})\s*")


@dataclass(frozen=True, kw_only=True)
class Shard:
    """Shard `index` (from 0) of `count`."""

    index: int
    count: int

    def holds(self, row: Row) -> bool:
        """Whether this row's target is in this shard."""
        return shard_of(_key(row), self.count) == self.index

    def select(self, rows: Iterable[Row]) -> Iterator[Row]:
        """The rows of this shard, read as the caller asks for them."""
        return (row for row in rows if self.holds(row))


def parse_shard(text: str) -> Shard:
    """`I/N` (0 <= I < N) -> Shard; BadInput says what is wrong."""
    match = _SPEC.fullmatch(text)
    if match is None:
        raise BadInput(f"--shard {text!r}: expected I/N, for example 0/4 (I counts from 0)")
    index, count = int(match[1]), int(match[2])
    if not 1 <= count <= MAX_SHARDS:
        raise BadInput(f"--shard {text!r}: N must be 1 to {MAX_SHARDS}")
    if index >= count:
        raise BadInput(
            f"--shard {text!r}: I counts from 0, so it is 0 to {count - 1} for N={count}"
        )
    return Shard(index=index, count=count)


def shard_of(domain: str, count: int) -> int:
    """The shard (0 to count-1) of a normalized domain: SHA-256, first 8 bytes, mod count."""
    digest = hashlib.sha256(domain.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % count


def _key(row: Row) -> str:
    """The normalized domain; for a line that is not one, its text, trimmed and lower-cased."""
    if row.target is not None:
        return row.target.domain
    return row.domain.strip().rstrip(".").lower()
