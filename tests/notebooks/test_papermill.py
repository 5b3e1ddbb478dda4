"""A notebook runs on real data through its ``parameters`` cell (papermill), here an export.

``cinesync export parquet DIR`` writes the demo database's tables; papermill runs notebook 01
with ``source="parquet"`` and ``path=DIR`` injected after its ``parameters`` cell, and the
overview it prints counts the export's ratings and films, not the sandbox's synthetic ones.
Every notebook has exactly one cell tagged ``parameters`` naming the same data-source settings.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import psycopg
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CINESYNC = str(Path(sys.executable).with_name("cinesync"))


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_has_a_parameters_cell_choosing_the_data_source(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged 'parameters'"
    names = {}
    exec(tagged[0].source, {}, names)  # plain assignments only: papermill overrides them
    assert names["source"] == "sandbox" and {"path", "database_url", "n_users", "n_films", "seed"} <= set(names)


@pytest.mark.slow
def test_notebook_01_runs_with_papermill_on_a_parquet_export(demo_db_url, tmp_path, monkeypatch):
    papermill = pytest.importorskip("papermill", reason="papermill comes with the [lab] extra")
    export = tmp_path / "export"
    env = {**os.environ, "CINESYNC_DATABASE_URL": demo_db_url}
    done = subprocess.run(
        [CINESYNC, "export", "parquet", str(export)], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    with psycopg.connect(demo_db_url) as conn:
        n_ratings = conn.execute("SELECT count(*) FROM ratings").fetchone()[0]
        n_films = conn.execute("SELECT count(*) FROM movies").fetchone()[0]

    # Not under pytest's basetemp: the notebook's own sandbox runs as another user (conftest.py).
    scratch = Path(tempfile.mkdtemp(prefix="cinesync-papermill-"))
    monkeypatch.setenv("TMPDIR", str(scratch))  # the kernel's temporary folders, removed below
    try:
        out = papermill.execute_notebook(
            str(NOTEBOOKS / "01_catalogue_and_ratings.ipynb"),
            str(tmp_path / "out.ipynb"),
            parameters={"source": "parquet", "path": str(export)},
            kernel_name="python3",
            cwd=str(NOTEBOOKS),
            progress_bar=False,
            execution_timeout=300,
        )
    finally:
        from personalization.storage.db import stop_embedded

        for pid in scratch.glob("**/pgdata/postmaster.pid"):
            stop_embedded(pid.parent.parent)
        shutil.rmtree(scratch, ignore_errors=True)

    injected = [c for c in out.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and 'source = "parquet"' in injected[0].source
    overview = next(c for c in out.cells if "explore.overview(ratings, movies)" in c.source)
    text = "".join(o.get("data", {}).get("text/plain", "") for o in overview.outputs)
    assert f"{n_ratings:,}" in text or str(n_ratings) in text, text
    assert str(n_films) in text, text
