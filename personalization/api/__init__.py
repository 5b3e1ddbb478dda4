"""The HTTP API (``cinesync serve``): FastAPI over the service. Needs the ``[api]`` extra.

Nothing in the core imports this package: the engine runs without FastAPI installed.
"""

from personalization.optional import require_extra

require_extra("api")  # before the submodules import FastAPI

from personalization.api.access import ApiSettings  # noqa: E402
from personalization.api.app import create_app  # noqa: E402
from personalization.api.errors import ApiError  # noqa: E402

__all__ = ["create_app", "ApiSettings", "ApiError"]
