"""Every notebook runs top to bottom in a fresh ``python3`` kernel and shows its charts.

Executed with nbclient (what Jupyter and nbmake use), so a cell error fails the test. Beyond
running, an executed notebook must hold at least one chart in its outputs (a matplotlib figure
from the inline backend, or an Altair chart), no stray matplotlib reprs such as ``Text(...)``
at the end of a cell, and progress bars drawn as widgets rather than tqdm's "IProgress not
found" warning. Each notebook starts its own throw-away embedded PostgreSQL
(``analytics.sandbox``); its temporary folders go under one folder per test, removed afterwards
along with any server a failed notebook left running.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
# Altair's mimetype carries the Vega-Lite major version: application/vnd.vegalite.v5+json.
CHART_MIMETYPES = ("image/png", "image/svg+xml", "application/vnd.vegalite")
WIDGET_MIMETYPE = "application/vnd.jupyter.widget-view+json"
MATPLOTLIB_REPR = re.compile(r"^\[?(Text\(|<matplotlib\.)")
CELL_TIMEOUT = 300  # seconds; the slowest cell (a tuning study) takes about a minute here


def execute(path: Path) -> nbformat.NotebookNode:
    """Run the notebook in its own folder, as Jupyter would, and return it with its outputs."""
    nb = nbformat.read(path, as_version=4)
    # Not under pytest's basetemp: the embedded server runs as another user (see conftest.py).
    scratch = Path(tempfile.mkdtemp(prefix="cinesync-nb-"))
    try:
        client = NotebookClient(
            nb, kernel_name="python3", timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(path.parent)}}
        )
        client.execute(env={**os.environ, "TMPDIR": str(scratch)})
    finally:
        _stop_servers(scratch)
        shutil.rmtree(scratch, ignore_errors=True)
    return nb


def _stop_servers(scratch: Path) -> None:
    from personalization.storage.db import stop_embedded

    for pid in scratch.glob("**/pgdata/postmaster.pid"):
        stop_embedded(pid.parent.parent)


def _outputs(nb: nbformat.NotebookNode) -> list:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_shows_charts(path: Path) -> None:
    nb = execute(path)
    outputs = _outputs(nb)
    data = [o.get("data", {}) for o in outputs]

    charts = [d for d in data if any(m.startswith(CHART_MIMETYPES) for m in d)]
    assert charts, f"{path.name}: no chart (image or Vega-Lite) in the executed outputs"

    stray = [
        d["text/plain"]
        for o, d in zip(outputs, data)
        if o.output_type == "execute_result" and MATPLOTLIB_REPR.match(d.get("text/plain", ""))
    ]
    assert not stray, f"{path.name}: cells end in a matplotlib repr instead of a chart: {stray}"

    stderr = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr")
    assert "IProgress not found" not in stderr, f"{path.name}: tqdm cannot draw its bars"
    if any("tqdm" in cell.source for cell in nb.cells if cell.cell_type == "code"):
        assert any(WIDGET_MIMETYPE in d for d in data), f"{path.name}: no progress bar widget"


def test_notebooks_are_found() -> None:
    assert len(NOTEBOOKS) >= 4, NOTEBOOKS
