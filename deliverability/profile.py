"""The sender profile: `deliverability.toml` (or --profile FILE) describes the sender once.

Stub: the recipient-side issue fills in validation of [sender] and [[playbook]];
the reputation issue validates [[blocklists]].
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deliverability.config import BadInput

DEFAULT_PROFILE = "deliverability.toml"


@dataclass(frozen=True, kw_only=True)
class SenderProfile:
    """What the sender told us about itself."""

    path: str
    raw: dict[str, Any] = field(default_factory=dict)


def load_profile(path: Path | None) -> SenderProfile | None:
    """Read --profile FILE, else ./deliverability.toml if present, else None."""
    if path is None:
        path = Path(DEFAULT_PROFILE)
        if not path.is_file():
            return None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"profile {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"profile {path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"profile {path}: invalid TOML: {exc}") from None
    return SenderProfile(path=str(path), raw=raw)
