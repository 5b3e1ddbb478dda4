"""``cinesync dashboard``: serve the preference dashboard with ``streamlit run``.

Imported by every ``cinesync`` call (entry point), so this module imports nothing heavy: the
database check and Streamlit itself run only inside the command.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import click

__all__ = ["dashboard_command", "streamlit_args", "APP"]

APP = Path(__file__).resolve().parent / "app.py"


def streamlit_args(port: int, address: str = "localhost") -> list[str]:
    """The command line that serves the dashboard (also used by the browser test)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        # No "magic" (bare expressions drawn): the pages call st.* explicitly, and magic runs
        # ast.parse on every page load, which on CPython 3.11 can fail when two sessions load at
        # once ("AST constructor recursion depth mismatch", seen in the test suite).
        "--runner.magicEnabled",
        "false",
    ]


def _port_free(address: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def _free_port(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


@click.command("dashboard")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8501,
    show_default=True,
    help="Port to serve on (if it is taken, a free one is used).",
)
@click.option(
    "--address",
    "--host",
    default="localhost",
    show_default=True,
    help="Address to listen on; 0.0.0.0 opens it to the network, which needs CINESYNC_DASHBOARD_PASSWORD.",
)
def dashboard_command(port: int, address: str) -> None:
    """Serve the preference dashboard (Streamlit) on the engine's database.

    \b
    On localhost it needs no password (set one to ask for it anyway). On any other address it
    refuses to start unless CINESYNC_DASHBOARD_PASSWORD is set, and the pages ask for it.
    Set CINESYNC_DASHBOARD_ADMIN_PASSWORD too to keep writing (saving a what-if as a member's
    rating, saving or rolling back the engine's settings) to those who sign in with it.
    """
    from personalization.errors import CineSyncError

    from .auth import refusal

    problem = refusal(address)
    if problem:
        raise CineSyncError(problem)
    from personalization.config import Settings
    from personalization.service import Service
    from personalization.threads import configure_threads

    from .text import plural

    configure_threads()  # in os.environ: the Streamlit process inherits it
    settings = Settings.from_env()
    # Fail here with one clear line (and start the embedded server) rather than in the browser.
    with Service.open(settings, listen=False) as svc:
        status = svc.status()
    if not _port_free(address, port):
        taken, port = port, _free_port(address)
        click.echo(f"port {taken} is taken; using {port}")
    host = "localhost" if address in ("localhost", "127.0.0.1", "0.0.0.0") else address
    click.echo(
        f"database {status.database}: {plural(status.films, 'film')}, {plural(status.users, 'user')}, "
        f"{plural(status.ratings, 'rating')}"
    )
    click.echo(f"CineSync dashboard: http://{host}:{port}  (Ctrl-C to stop)")
    proc = subprocess.Popen(streamlit_args(port, address), stdout=subprocess.DEVNULL)
    try:
        sys.exit(proc.wait())
    except KeyboardInterrupt:
        pass  # the child got the same Ctrl-C
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
