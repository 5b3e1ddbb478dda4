"""Errors every front-end can show as they are: each message says what to do."""

__all__ = ["CineSyncError", "InvalidRating", "InvalidFeedback", "UnknownFilm", "UnknownUser",
           "ImportFormatError", "StorageError"]


class CineSyncError(Exception):
    """Base class: the message is written for the person who caused it."""


class InvalidRating(CineSyncError, ValueError):
    pass


class InvalidFeedback(CineSyncError, ValueError):
    pass


class UnknownFilm(CineSyncError, LookupError):
    def __init__(self, film_id):
        super().__init__(f"unknown film {film_id!r}: import the catalogue first "
                         "(cinesync import movielens DIR) or check the id")
        self.film_id = film_id


class UnknownUser(CineSyncError, LookupError):
    def __init__(self, user_id):
        super().__init__(f"unknown user {user_id!r}: nothing is stored for this user yet; "
                         "rate a film first")
        self.user_id = user_id


class ImportFormatError(CineSyncError, ValueError):
    pass


class StorageError(CineSyncError, RuntimeError):
    pass
