"""Engine-wide model settings as numbered versions: save, show, history, roll back.

Every change (the CLI's ``settings set``/``apply``, the dashboard's Tuning page, ``rollback``) is
a new version in ``settings_history`` (``storage.settings_store``) saying when, from where and by
whom, with what changed; the newest version is the one in force, and every process re-reads it
when told (NOTIFY). A rollback installs an older version's value as a new version, so nothing in
the history is ever lost.
"""

from __future__ import annotations

import getpass
import json
import socket
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from personalization.config import ConfigError, ModelSettings
from personalization.errors import CineSyncError, cut, quoted
from personalization.service.engine import MODEL_SETTINGS_KEY, Engine
from personalization.storage.settings_store import SettingsStore, SettingsVersion

__all__ = ["SettingsAdmin", "SettingsVersion", "diff", "parse_assignments", "read_settings_file", "author"]


def author() -> str:
    """Who is writing: the operating-system user at this host (what the history records)."""
    try:
        user = getpass.getuser()
    except Exception:  # no name for this uid (a container's arbitrary user)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def flat(value: Any) -> dict[str, Any]:
    """A stored value as flat names (older rows nest the base models' settings)."""
    out = dict(value or {})
    out.update(out.pop("base_models", None) or {})
    return out


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{name: [before, after]}`` for every name whose value differs."""
    return {n: [before.get(n), after.get(n)] for n in sorted(set(before) | set(after)) if before.get(n) != after.get(n)}


def _number(name: str, value: Any, defaults: Mapping[str, Any]) -> float | int:
    default = defaults[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CineSyncError(f"{name} must be a number, got {quoted(value)}")
    if isinstance(default, int) and not isinstance(default, bool):
        if float(value) != int(value):
            raise CineSyncError(f"{name} must be a whole number, got {quoted(value)}")
        return int(value)
    return float(value)


def checked_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Known names with numeric values; anything else is one error naming what is wrong."""
    defaults = ModelSettings().to_dict()  # read now: a base model registered at run time is a setting too
    unknown = sorted(set(changes) - set(defaults))
    if unknown:
        raise CineSyncError(
            f"unknown setting(s) {', '.join(quoted(u) for u in unknown)}; `cinesync settings show` lists the names"
        )
    return {name: _number(name, value, defaults) for name, value in changes.items()}


def parse_assignments(items: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``NAME=VALUE`` words (the CLI's ``settings set``) as a mapping; values are JSON numbers."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise CineSyncError(f"expected NAME=VALUE, got {quoted(item)} (e.g. blend_weight=0.3)")
        try:
            out[name.strip()] = json.loads(raw.strip())
        except json.JSONDecodeError:
            raise CineSyncError(f"{cut(name.strip())} must be a number, got {quoted(raw.strip())}") from None
    return out


def read_settings_file(path: Path) -> dict[str, Any]:
    """A settings file (``cinesync tune``'s tuned_settings.json, or ``settings show --json``): a
    JSON object of flat names (``base_models`` nested is read too)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CineSyncError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CineSyncError(f"{path} is not UTF-8 text: use a file `cinesync tune` wrote") from None
    except json.JSONDecodeError as exc:
        raise CineSyncError(
            f"{path} is not JSON ({exc.msg} at line {exc.lineno}): use a file `cinesync tune` wrote"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("settings"), dict):
        data = data["settings"]  # `settings show --json` wraps them with the version
    if not isinstance(data, dict):
        raise CineSyncError(f"{path} must hold a JSON object of setting names and values")
    return flat(data)


class SettingsAdmin:
    """The versioned model settings of one service process."""

    def __init__(self, engine: Engine, store: SettingsStore):
        self.engine, self.store = engine, store

    @property
    def current(self) -> ModelSettings:
        return self.engine.model_settings

    def _model(self, values: Mapping[str, Any], base: ModelSettings) -> ModelSettings:
        try:
            return replace(base, **values)
        except (TypeError, ConfigError) as exc:
            raise CineSyncError(f"settings not saved: {exc}") from None

    def save(self, changes: Mapping[str, Any], *, source: str) -> SettingsVersion:
        """Validate ``changes`` over the settings in force and store the result as a new version."""
        before = self.engine.saved_model_settings()  # the newest stored version, not this process's copy
        model = self._model(checked_changes(changes), before)
        return self._record(before, model, source)

    def record_raw(self, value: Any, *, source: str) -> SettingsVersion:
        """Store a value as given (``Service.set_engine_setting``): kept, as a version, even if
        the engine then ignores parts it no longer knows."""
        before = self.engine.saved_model_settings().to_dict()
        version = self.store.record(
            MODEL_SETTINGS_KEY,
            value,
            changes=diff(before, flat(value)),
            source=source,
            author=author(),
            note=self.engine.note("bulk"),
        )
        self.engine.invalidate()
        return version

    def _record(self, before: ModelSettings, model: ModelSettings, source: str) -> SettingsVersion:
        """Store ``model`` as a new version; when it equals the version in force, nothing is
        stored (a history of identical versions says nothing) and that version is returned."""
        if model == before:
            newest = self.store.history(MODEL_SETTINGS_KEY, 1)
            if newest:
                return newest[0]
        version = self.store.record(
            MODEL_SETTINGS_KEY,
            model.to_dict(),
            changes=diff(before.to_dict(), model.to_dict()),
            source=source,
            author=author(),
            note=self.engine.note("bulk"),
        )
        self.engine.invalidate()
        return version

    def history(self, limit: int = 50) -> list[SettingsVersion]:
        """The stored versions, newest first."""
        if limit < 1:
            raise CineSyncError(f"the number of versions must be 1 or more, got {limit}")
        return self.store.history(MODEL_SETTINGS_KEY, limit)

    def rollback(self, version: int, *, source: str) -> SettingsVersion:
        """Install version ``version``'s value again, as a new version."""
        old = self.store.version(MODEL_SETTINGS_KEY, int(version))
        if old is None:
            raise CineSyncError(f"there is no settings version {version}; `cinesync settings history` lists them")
        before = self.engine.saved_model_settings()
        known = set(ModelSettings.names())
        model = self._model({k: v for k, v in flat(old.value).items() if k in known}, self.engine.settings.model)
        return self._record(before, model, f"{source} (rollback to version {old.version})")
