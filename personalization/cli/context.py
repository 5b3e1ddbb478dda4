"""What every command shares: the settings built once from the environment, the service opened
on first use, JSON output and counted nouns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from personalization.config import Settings
from personalization.errors import CineSyncError

__all__ = ["Context", "pass_ctx", "echo_json", "plural", "first_line", "output_path", "writing"]


class Context:
    """Settings built once from the environment; the service opened on first use."""

    def __init__(self) -> None:
        self.settings = Settings.from_env()

    @contextmanager
    def service(self, **kwargs: Any) -> Iterator[Any]:
        from personalization.service import Service

        svc = Service.open(self.settings, listen=False, **kwargs)
        try:
            yield svc
        finally:
            svc.close()


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 rating``, ``2 ratings``, ``0 ratings``."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def output_path(path: Path) -> Path:
    """``path``, if a command may write it: its folder must exist (nothing is created outside
    what was asked for) and be a folder. Called before any work, so a typo costs nothing."""
    parent = path.absolute().parent
    if not parent.exists():
        raise CineSyncError(f"cannot write {path}: the folder {parent} does not exist (create it first)")
    if not parent.is_dir():
        raise CineSyncError(f"cannot write {path}: {parent} is a file, not a folder")
    return path


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turns a failed write of ``path`` (full disk, no permission, read-only file system) into
    one line, ``cannot write PATH: reason``, instead of a traceback."""
    try:
        yield
    except OSError as exc:
        raise CineSyncError(f"cannot write {path}: {exc.strerror or exc}") from None
