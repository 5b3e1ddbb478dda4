"""Who may see the dashboard, and who may write through it (pure, no Streamlit: the
``cinesync dashboard`` command imports it too and must stay cheap to import).

Served on localhost the dashboard is the operator's own: no password unless one is set. Served
on any other address it needs a password: the command refuses to start without one, and the app
refuses to draw a page without one (in case Streamlit was started by hand).

* ``CINESYNC_DASHBOARD_PASSWORD``: signs in to see the pages;
* ``CINESYNC_DASHBOARD_ADMIN_PASSWORD`` (optional): signs in as an admin, who may also write
  (save a what-if as a member's rating, save or roll back the engine's settings). Without it,
  whoever signs in with the first password is an admin; with no password at all (localhost),
  everyone is.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from typing import Literal

__all__ = [
    "PASSWORD_VARIABLE",
    "ADMIN_PASSWORD_VARIABLE",
    "LOCAL_ADDRESSES",
    "is_local",
    "passwords",
    "refusal",
    "role_for",
]

PASSWORD_VARIABLE = "CINESYNC_DASHBOARD_PASSWORD"
ADMIN_PASSWORD_VARIABLE = "CINESYNC_DASHBOARD_ADMIN_PASSWORD"
LOCAL_ADDRESSES = ("localhost", "127.0.0.1", "::1", "")
Role = Literal["admin", "viewer"]


def is_local(address: str | None) -> bool:
    """Whether only this machine can reach an address (``None``/empty: Streamlit's default, local)."""
    return (address or "").strip().lower() in LOCAL_ADDRESSES


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name) or ""
    return value if value.strip() else None


def passwords(env: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """The viewer's and the admin's password (each None when not set)."""
    env = os.environ if env is None else env
    return _get(env, PASSWORD_VARIABLE), _get(env, ADMIN_PASSWORD_VARIABLE)


def refusal(address: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """Why the dashboard must not be served on ``address`` (None: it may)."""
    if is_local(address) or any(passwords(env)):
        return None
    return (
        f"the dashboard on {address} would be open to the network without a password: set "
        f"{PASSWORD_VARIABLE}, or serve it on localhost (the default)"
    )


def _same(given: str, expected: str | None) -> bool:
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


def role_for(given: str, env: Mapping[str, str] | None = None) -> Role | None:
    """What ``given`` signs in as (compared in constant time); None for a wrong password."""
    viewer, admin = passwords(env)
    if _same(given, admin):
        return "admin"
    if _same(given, viewer):
        return "viewer" if admin is not None else "admin"
    return None
