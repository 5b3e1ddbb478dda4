"""`cinesync serve` as a real process on a free port, talked to over TCP, and the refusals of the
command itself."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from api_helpers import CINESYNC, READ_KEY, WRITE_KEY, free_port, serve_env

pytestmark = pytest.mark.slow


def test_serve_answers_over_tcp(server, demo_service):
    user = demo_service.users("", limit=1)[0]["id"]
    film = next(f.id for f in demo_service.catalogue().films if f.id not in demo_service.history(user)[1])
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {WRITE_KEY}"}, timeout=30) as http:
        assert http.get("/openapi.json").json()["info"]["title"] == "CineSync Personalization"
        r = http.put(f"/users/{user}/ratings/{film}", json={"stars": 5})
        assert r.status_code == 200 and r.json()["film_id"] == film
        picks = http.get(f"/users/{user}/recommendations", params={"k": 3}).json()
        assert len(picks["items"]) == 3
        denied = http.put(
            f"/users/{user}/ratings/{film}", json={"stars": 1}, headers={"Authorization": f"Bearer {READ_KEY}"}
        )
        assert denied.status_code == 403
    # Written by the server process, read back through another connection.
    assert demo_service.history(user)[0][film] == 5.0


def test_serve_refuses_to_start_without_a_key(db_url, tmp_path):
    out = subprocess.run(
        [*CINESYNC, "serve", "--port", str(free_port())],
        env=serve_env(db_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "CINESYNC_API_KEY" in out.stderr and "--open" in out.stderr


def test_serve_help_explains_keys_and_open():
    out = subprocess.run([*CINESYNC, "serve", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "CINESYNC_API_READ_KEY" in out.stdout and "--open" in out.stdout and "127.0.0.1" in out.stdout


def test_the_core_imports_without_fastapi():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('fastapi', 'uvicorn', 'prometheus_client', 'starlette'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import personalization.service, personalization.cli.main, personalization.cli.serve\n"
        "from click.testing import CliRunner\n"
        "from personalization.cli import main\n"
        "r = CliRunner().invoke(main, ['serve'], env={'CINESYNC_API_KEY': 'k' * 10})\n"
        "assert r.exit_code == 2 and '[api] extra' in r.output, r.output\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr
