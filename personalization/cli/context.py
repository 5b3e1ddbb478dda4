"""What every command shares: the settings built once from the environment, the service opened
on first use, JSON output and counted nouns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from personalization.config import Settings

__all__ = ["Context", "pass_ctx", "echo_json", "plural", "first_line"]


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
