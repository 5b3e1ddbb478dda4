"""What one process tells the others through NOTIFY: which cached things a write made stale.

On the wire a note is ``kind[:user][:origin]`` ("user:42:1234-5678", "bulk:1234-5678", "models:trainer-77",
"reset");
``Invalidation.parse`` and ``Invalidation.format`` are the only code that reads or writes that.
``origin`` names the sending service, so it can skip its own notes (it updated its caches itself).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, cast

__all__ = ["Invalidation", "Kind"]

log = logging.getLogger(__name__)

# user: one user's vector, profile and the community statistics; catalogue: the films changed;
# bulk: many ratings or the engine settings changed; models: `cinesync train` published a new
# version of the collaborative models (load it); reset: anything may have (the listener
# reconnected, so it may have missed notes).
Kind = Literal["user", "catalogue", "bulk", "models", "reset"]
KINDS: tuple[Kind, ...] = ("user", "catalogue", "bulk", "models", "reset")


@dataclass(frozen=True)
class Invalidation:
    kind: Kind
    user_id: int | None = None  # for kind "user"
    origin: str | None = None  # the sending service's token; None when unknown (reset)

    @classmethod
    def user(cls, user_id: int, origin: str) -> Invalidation:
        return cls("user", int(user_id), origin)

    @property
    def drops_everything(self) -> bool:
        return self.kind not in ("user", "models")

    def is_from(self, origin: str) -> bool:
        return self.origin is not None and self.origin == origin

    def format(self) -> str:
        parts: list[str] = [self.kind]
        if self.kind == "user":
            parts.append(str(self.user_id))
        if self.origin is not None:
            parts.append(self.origin)
        return ":".join(parts)

    @classmethod
    def parse(cls, payload: str) -> Invalidation:
        """The note in ``payload``; anything unreadable is a ``reset`` (drop every cache), which
        is always safe."""
        kind, _, rest = payload.partition(":")
        if kind not in KINDS:
            log.warning("unreadable invalidation note %r: dropping every cache", payload)
            return cls("reset")
        if kind == "user":
            user, _, origin = rest.partition(":")
            try:
                return cls("user", int(user), origin or None)
            except ValueError:
                log.warning("unreadable invalidation note %r: dropping every cache", payload)
                return cls("reset")
        return cls(cast(Kind, kind), None, rest or None)
