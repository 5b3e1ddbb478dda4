"""The HTTP API (``cinesync serve``): FastAPI over the service. Needs the ``[api]`` extra.

Nothing in the core imports this package: the engine runs without FastAPI installed.
"""

from personalization.api.access import ApiSettings
from personalization.api.app import create_app
from personalization.api.errors import ApiError

__all__ = ["create_app", "ApiSettings", "ApiError"]
