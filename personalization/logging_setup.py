"""Logging, set up once by every entry point (the ``cinesync`` command and so the bot, the HTTP
server and the trainer; the dashboard's Streamlit process; the tests).

``CINESYNC_LOG_FORMAT=json`` writes one JSON object per line (``time``, ``level``, ``logger``,
``message``, ``pid``, and ``exception`` with its traceback), for a log collector;
the default is text for people. ``CINESYNC_LOG_LEVEL`` (``DEBUG``, ``INFO``, ``WARNING``, ...)
overrides the level the entry point asked for.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO

from personalization.errors import ConfigError

__all__ = ["configure_logging", "JsonFormatter", "TEXT_FORMAT"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = ("text", "json")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record; fields given with ``extra=`` are kept."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class _Ours(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so a second call replaces it."""


def configure_logging(
    level: int | str = logging.WARNING, *, env: Mapping[str, str] | None = None, stream: IO[str] | None = None
) -> logging.Handler:
    """Install one handler on the root logger (text or JSON, from the environment); safe to call
    again (the handler is replaced, never doubled)."""
    env = os.environ if env is None else env
    fmt = (env.get("CINESYNC_LOG_FORMAT") or "text").strip().lower()
    if fmt not in FORMATS:
        raise ConfigError(f"CINESYNC_LOG_FORMAT must be text or json, got {fmt!r}")
    wanted = (env.get("CINESYNC_LOG_LEVEL") or "").strip().upper()
    if wanted:
        if not isinstance(logging.getLevelName(wanted), int):
            raise ConfigError(f"CINESYNC_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {wanted!r}")
        level = wanted
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Ours)]:
        root.removeHandler(handler)
    handler = _Ours(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    return handler
