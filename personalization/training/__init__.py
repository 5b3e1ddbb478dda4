"""Training: one process fits the collaborative models on every stored rating and publishes them
(``cinesync train``); every serving process loads the newest version (``service.engine``)."""

from personalization.training.schedule import Schedule, due, parse_duration
from personalization.training.trainer import Published, read_ratings, train

__all__ = ["Published", "Schedule", "due", "parse_duration", "read_ratings", "train"]
