"""Discord's documented size limits, and the one helper that keeps text inside them.

Every string the bot hands to Discord passes through ``shorten`` with one of these limits, so a
long film title can never make Discord reject a message: limits hold by construction rather than
by a check after the fact. Where the issue asks for a stricter value than Discord (button labels:
45 rather than 80), the stricter one is used. Pure: no discord import.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "shorten",
    "fit_lines",
    "ELLIPSIS",
    "COMMAND_NAME",
    "COMMAND_DESCRIPTION",
    "OPTION_NAME",
    "OPTION_DESCRIPTION",
    "CHOICES",
    "CHOICE_NAME",
    "CHOICE_VALUE",
    "OPTIONS_PER_COMMAND",
    "MESSAGE",
    "EMBED_TOTAL",
    "EMBED_TITLE",
    "EMBED_DESCRIPTION",
    "EMBED_FIELDS",
    "FIELD_NAME",
    "FIELD_VALUE",
    "FOOTER",
    "AUTHOR",
    "BUTTON_LABEL",
    "SELECT_OPTIONS",
    "SELECT_OPTION_LABEL",
    "SELECT_OPTION_DESCRIPTION",
    "SELECT_PLACEHOLDER",
    "CUSTOM_ID",
    "MODAL_TITLE",
    "ROWS",
    "ITEMS_PER_ROW",
]

ELLIPSIS = "…"

# Application commands.
COMMAND_NAME = 32
COMMAND_DESCRIPTION = 100
OPTION_NAME = 32
OPTION_DESCRIPTION = 100
OPTIONS_PER_COMMAND = 25
CHOICES = 25  # choices on an option, and autocomplete results
CHOICE_NAME = 100
CHOICE_VALUE = 100  # string choice values

# Messages and embeds.
MESSAGE = 2000
EMBED_TOTAL = 6000  # title + description + field names/values + footer + author
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256

# Components.
BUTTON_LABEL = 45  # Discord allows 80; the issue asks for 45
SELECT_OPTIONS = 25
SELECT_OPTION_LABEL = 100
SELECT_OPTION_DESCRIPTION = 100
SELECT_PLACEHOLDER = 150
CUSTOM_ID = 100
MODAL_TITLE = 45
ROWS = 5
ITEMS_PER_ROW = 5


def shorten(text: object, limit: int) -> str:
    """``text`` as a string of at most ``limit`` characters, cut with an ellipsis when too long.

    Cuts at the last space in the final fifth when there is one, so a title loses a whole word
    rather than half of one. Empty input stays empty (callers choose their own placeholder).
    """
    text = " ".join(str(text if text is not None else "").split())  # one line, single spaces
    if limit < 1:
        return ""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 4 // 5:
        cut = cut[:space]
    return cut.rstrip(" ,;:-(") + ELLIPSIS


def fit_lines(lines: Iterable[object], limit: int) -> str:
    """Whole lines joined by newlines, as many as fit in ``limit`` characters; a final "…" line
    says that some were left out. Each line is first shortened to ``limit`` on its own."""
    out: list[str] = []
    used = 0
    short = [shorten(line, limit) for line in lines]
    for i, line in enumerate(short):
        need = len(line) + (1 if out else 0)
        rest_marker = 0 if i == len(short) - 1 else 2  # room for "\n…" if more lines follow
        if used + need + rest_marker > limit:
            if used + 2 <= limit:
                out.append(ELLIPSIS)
            elif not out:
                out.append(ELLIPSIS)
            break
        out.append(line)
        used += need
    return "\n".join(out)
