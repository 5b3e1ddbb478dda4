"""Who may call the HTTP API: bearer keys from the environment, read-write and read-only."""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from personalization.config import ConfigError

__all__ = ["ApiSettings", "READ", "WRITE"]

READ, WRITE = "read", "write"


@dataclass(frozen=True)
class ApiSettings:
    """``api_key`` may read and write, ``read_key`` may only read. ``open_access`` serves every
    request without a key (only when asked for explicitly: ``cinesync serve --open``)."""

    api_key: str | None = field(default=None, repr=False)  # secrets: never in a repr or a log
    read_key: str | None = field(default=None, repr=False)
    open_access: bool = False

    def __post_init__(self) -> None:
        if not self.open_access and not self.api_key:
            raise ConfigError(
                "the HTTP API needs CINESYNC_API_KEY (a read-write bearer key); "
                "to serve without any key, say so explicitly (cinesync serve --open)"
            )
        for name, variable in (("api_key", "CINESYNC_API_KEY"), ("read_key", "CINESYNC_API_READ_KEY")):
            key = getattr(self, name)
            if key is not None and (len(key) < 8 or key != key.strip()):
                raise ConfigError(f"{variable} must be at least 8 characters with no surrounding spaces")
        if self.api_key and self.read_key and self.api_key == self.read_key:
            raise ConfigError("CINESYNC_API_READ_KEY must differ from CINESYNC_API_KEY")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, open_access: bool = False) -> ApiSettings:
        env = os.environ if env is None else env
        return cls(
            api_key=env.get("CINESYNC_API_KEY") or None,
            read_key=env.get("CINESYNC_API_READ_KEY") or None,
            open_access=open_access,
        )

    def scope_of(self, token: str | None) -> str | None:
        """``WRITE``, ``READ`` or None (no or wrong key). Compared in constant time."""
        if self.open_access:
            return WRITE
        if token is None:
            return None
        given = token.encode()
        if self.api_key and hmac.compare_digest(given, self.api_key.encode()):
            return WRITE
        if self.read_key and hmac.compare_digest(given, self.read_key.encode()):
            return READ
        return None
