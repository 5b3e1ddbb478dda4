"""Words for numbers (pure, no imports: ``cli`` uses it too and must stay cheap to import)."""

from __future__ import annotations

__all__ = ["plural"]


def plural(n: float, word: str, many: str | None = None) -> str:
    """``1 rating``, ``2 ratings``, ``0.5 stars``, ``1,234 users``: the count and the right form."""
    shown = f"{n:,}" if isinstance(n, int) else f"{n:g}"
    return f"{shown} {word if n == 1 else (many or word + 's')}"
