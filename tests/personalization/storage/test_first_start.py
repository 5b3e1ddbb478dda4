"""Several processes starting the embedded PostgreSQL at once on a fresh machine all get a server.

As root, pgserver runs PostgreSQL as a `pgserver` system user that it creates on the first start.
Two processes doing that at once (two test workers, a bot and a dashboard on a new container)
raced, and one failed with "initdb: could not look up effective user ID ...: user does not
exist"; a used machine hid it, the user being there already. ``start_embedded`` now serialises
starts with a machine-wide file lock.

To be a fresh machine without touching this one, the test runs in a private mount namespace
(``unshare --mount``) where a copy of /etc is mounted over /etc with the `pgserver` user
removed: the processes see no such user, create it in the copy, and the real /etc never
changes. Without root (or without ``unshare``) it still starts several processes at once on a
fresh data directory, which is the same race minus the user creation.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

PROCESSES = 4

CHILD = """
import sys, time
from pathlib import Path
home, go = Path(sys.argv[1]), Path(sys.argv[2])
while not go.exists():  # all start together
    time.sleep(0.005)
import psycopg
from personalization.storage.db import embedded_url
with psycopg.connect(embedded_url(home), connect_timeout=10) as conn:
    print(conn.execute("SELECT current_setting('data_directory')").fetchone()[0])
"""

DRIVER = """
import json, os, pwd, shutil, subprocess, sys, time
from pathlib import Path
etc_copy, home, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
child = sys.argv[4]
fresh_user = False
if etc_copy:  # inside `unshare --mount`: a private /etc without the pgserver user
    subprocess.run(["cp", "-a", "/etc/.", etc_copy], check=True)
    subprocess.run(["mount", "--bind", etc_copy, "/etc"], check=True)
    for name in ("passwd", "shadow", "group", "gshadow"):
        path = Path("/etc", name)
        if path.exists():
            path.write_text("".join(l for l in path.read_text().splitlines(True) if not l.startswith("pgserver:")))
    try:
        pwd.getpwnam("pgserver")
    except KeyError:
        fresh_user = True
go = home / "go"
# Every other process has its own TMPDIR (as each notebook kernel in tests/notebooks does): the
# start lock must not depend on it.
(home / "tmp").mkdir()
envs = [{**os.environ, "TMPDIR": str(home / "tmp")} if i % 2 else dict(os.environ) for i in range(n)]
procs = [
    subprocess.Popen([sys.executable, "-c", child, str(home), str(go)], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True, env=env)
    for env in envs
]
time.sleep(1.0)  # every interpreter up and waiting
go.touch()
results = []
try:
    for p in procs:
        out, err = p.communicate(timeout=150)
        results.append({"rc": p.returncode, "out": out.strip(), "err": err.strip()[-6000:]})
finally:
    from personalization.storage.db import stop_embedded
    try:
        stop_embedded(home)
    except Exception as exc:
        results.append({"rc": -1, "out": "", "err": f"stop: {exc}"})
user_after = True
try:
    pwd.getpwnam("pgserver")
except KeyError:
    user_after = False
print(json.dumps({"fresh_user": fresh_user, "user_after": user_after, "results": results}))
"""


def _can_fake_a_fresh_machine() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.slow
def test_several_processes_start_the_embedded_server_at_once_on_a_fresh_machine():
    # Not under pytest's basetemp: as root the server runs as another user (see conftest.py).
    work = Path(tempfile.mkdtemp(prefix="cinesync-first-start-"))
    home = work / "home"
    home.mkdir()
    fresh = _can_fake_a_fresh_machine()
    etc_copy = work / "etc"
    if fresh:
        etc_copy.mkdir()
    prefix = ["unshare", "--mount", "--propagation", "private"] if fresh else []
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-c", DRIVER, str(etc_copy) if fresh else "", str(home), str(PROCESSES), CHILD],
            capture_output=True,
            text=True,
            timeout=240,
            cwd=Path(__file__).resolve().parents[3],
        )
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout.splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)

    failed = [r for r in report["results"] if r["rc"] != 0]
    assert not failed, "\n\n".join(r["err"] for r in failed)  # whole, not cut by pytest's repr
    datadirs = {r["out"] for r in report["results"]}
    assert len(datadirs) == 1 and datadirs.pop().endswith("pgdata"), report  # one server, shared by all
    if fresh:
        assert report["fresh_user"], "the private /etc still had a pgserver user"
        assert report["user_after"], "no pgserver user was created"
    else:
        pytest.skip("started several processes at once, but could not hide the pgserver user (needs root + unshare)")
