"""``cinesync serve``: the HTTP API on uvicorn. FastAPI is imported only when the command runs, so
the CLI works without the ``[api]`` extra."""

from __future__ import annotations

import errno
import logging
import socket

import click

from personalization.config import ConfigError, Settings
from personalization.errors import CineSyncError

__all__ = ["serve_command"]

log = logging.getLogger("cinesync.api")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Keep the default unless a reverse proxy or another machine must reach the API.",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option(
    "--open",
    "open_access",
    is_flag=True,
    help="Serve every request without an API key. Without this flag the server refuses to "
    "start unless CINESYNC_API_KEY is set.",
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="uvicorn's log level.",
)
def serve_command(host: str, port: int, open_access: bool, log_level: str) -> None:
    """Serve the HTTP API (OpenAPI schema at /openapi.json, interactive docs at /docs).

    \b
    Keys, sent as 'Authorization: Bearer <key>':
      CINESYNC_API_KEY       read and write (required unless --open)
      CINESYNC_API_READ_KEY  read only (optional)
    The database is the same as every other command's (CINESYNC_DATABASE_URL or the embedded one).
    Needs the [api] extra: pip install 'cinesync-personalization[api]'.
    """
    try:
        import uvicorn

        from personalization.api import ApiSettings, create_app
    except ImportError as exc:
        raise CineSyncError(
            f"cinesync serve needs the [api] extra ({exc.name} is missing): pip install 'cinesync-personalization[api]'"
        ) from None
    try:
        api_settings = ApiSettings.from_env(open_access=open_access)
    except ConfigError as exc:
        raise CineSyncError(str(exc)) from None
    if open_access and host not in LOCAL_HOSTS:
        click.echo(f"warning: serving {host}:{port} with no API key: anyone who can reach it can write", err=True)
    check_port(host, port)  # before the database and the announcement: a taken port costs nothing

    from personalization.observability import start_from_env
    from personalization.service import Service

    with Service.open(Settings.from_env()) as service:
        service.warm_up()
        start_from_env()  # also /metrics and /healthz on CINESYNC_METRICS_PORT, like every long-running process
        app = create_app(service, api_settings)
        click.echo(f"CineSync API on http://{host}:{port} (docs at /docs)", err=True)
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=log_level in ("info", "debug"))


def check_port(host: str, port: int) -> None:
    """Raise a one-line ``CineSyncError`` if ``host:port`` cannot be listened on (taken by
    another process, a privileged port, an address not on this machine). Port 0 (any free one)
    always can."""
    if port == 0:
        return
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise CineSyncError(
            f"cannot listen on {host}: {exc.strerror}: give --host an address of this machine"
        ) from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CineSyncError(
                    f"port {port} on {host} is already in use (another `cinesync serve`?): pass --port to use another"
                ) from None
            raise CineSyncError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
