"""Errors every front-end can show as they are: each message says what to do."""

__all__ = [
    "CineSyncError",
    "ConfigError",
    "InvalidRating",
    "InvalidFeedback",
    "UnknownFilm",
    "UnknownUser",
    "UnknownRating",
    "ImportFormatError",
    "StorageError",
    "cut",
    "quoted",
]


def cut(text: str, width: int = 60) -> str:
    """``text`` as an error message repeats it: cut to ``width`` characters, saying how long it
    was (a 10,000-character input is not echoed back whole)."""
    return text if len(text) <= width else f"{text[: width - 3]}... ({len(text):,} characters)"


def quoted(value: object, width: int = 60) -> str:
    """``value``'s repr, cut as ``cut`` does (what someone typed, quoted)."""
    text = repr(value)
    return text if len(text) <= width else f"{text[: width - 5]}...{text[-1]} ({len(str(value)):,} characters)"


class CineSyncError(Exception):
    """Base class: the message is written for the person who caused it."""


class ConfigError(CineSyncError, ValueError):
    """A setting (an environment variable, a model setting) has a value the engine cannot work
    with. The message is one line naming the setting and the value (also importable from
    ``personalization.config``)."""


class InvalidRating(CineSyncError, ValueError):
    pass


class InvalidFeedback(CineSyncError, ValueError):
    pass


class UnknownFilm(CineSyncError, LookupError):
    def __init__(self, film_id: object) -> None:
        super().__init__(
            f"unknown film {film_id!r}: import the catalogue first (cinesync import movielens DIR) or check the id"
        )
        self.film_id = film_id


class UnknownUser(CineSyncError, LookupError):
    def __init__(self, user_id: object) -> None:
        super().__init__(f"unknown user {user_id!r}: nothing is stored for this user yet; rate a film first")
        self.user_id = user_id


class UnknownRating(CineSyncError, LookupError):
    def __init__(self, user_id: object, film_id: object) -> None:
        super().__init__(
            f"user {user_id!r} has not rated film {film_id!r}: nothing to un-rate (rate it first, or check the ids)"
        )
        self.user_id, self.film_id = user_id, film_id


class ImportFormatError(CineSyncError, ValueError):
    pass


class StorageError(CineSyncError, RuntimeError):
    pass
