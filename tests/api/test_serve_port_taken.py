"""`cinesync serve` on a port another process holds: one line saying so and how to choose
another, exit code 2, before opening the database or announcing an address it will not serve."""

from __future__ import annotations

import socket

from click.testing import CliRunner

from personalization.cli import main


def test_a_taken_port_is_one_line_before_anything_else(tmp_path, monkeypatch):
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path))
    # never reached: were the port checked after opening the database, this error would show
    monkeypatch.setenv("CINESYNC_DATABASE_URL", "notaurl")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--open", "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use (another `cinesync serve`?): pass --port to use another"
    ]


def test_a_host_not_on_this_machine_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path))
    monkeypatch.setenv("CINESYNC_DATABASE_URL", "notaurl")
    monkeypatch.setenv("CINESYNC_API_KEY", "k" * 32)
    result = CliRunner().invoke(main, ["serve", "--host", "192.0.2.1", "--port", "18999"])  # TEST-NET-1
    assert result.exit_code == 2, result.output
    assert result.output.strip() == "error: cannot listen on 192.0.2.1:18999: Cannot assign requested address"
