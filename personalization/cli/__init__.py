"""``cinesync``: the command line (``main``), a thin layer over the service."""

from personalization.cli.main import main

__all__ = ["main"]
