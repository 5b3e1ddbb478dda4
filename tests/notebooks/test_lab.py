"""`make lab`'s steps work in this venv: the kernel it registers runs this venv's Python, and
JupyterLab (the [lab] extra) is installed. (Opening the browser is left to the person.)"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_make_lab_registers_this_venv_as_a_kernel_and_opens_notebooks():
    recipe = subprocess.run(["make", "-n", "lab"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert recipe.returncode == 0, recipe.stderr
    assert re.search(r"ipykernel install --user --name cinesync", recipe.stdout)
    assert re.search(r"jupyter lab --notebook-dir notebooks", recipe.stdout)


def test_the_registered_kernel_runs_this_venvs_python(tmp_path):
    pytest.importorskip("jupyterlab", reason="jupyterlab comes with the [lab] extra")
    done = subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--prefix", str(tmp_path), "--name", "cinesync"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    spec = json.loads((tmp_path / "share/jupyter/kernels/cinesync/kernel.json").read_text())
    assert Path(spec["argv"][0]) == Path(sys.executable)
    lab = subprocess.run([sys.executable, "-m", "jupyterlab", "--version"], capture_output=True, text=True, timeout=60)
    assert lab.returncode == 0 and lab.stdout.strip()[0].isdigit(), lab.stderr
