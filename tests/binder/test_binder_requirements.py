"""The Binder image: ``binder/`` must give a CPU-only environment that imports the
package. The quick checks read the files; the slow one installs them into a fresh
venv the way repo2docker does (``pip install -r binder/requirements.txt`` from the
repository root), only taking torch from this machine's disk instead of the PyTorch
CPU index (this machine reaches PyPI only).

The slow test runs when ``NASBENCH_BINDER_TEST=1`` or ``CI=true``; it takes about
a minute or two.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ARTIFACTS_DIR as ARTIFACTS
from helpers import REPO_ROOT, in_ci
from packaging.requirements import Requirement
from packaging.version import Version

BINDER = REPO_ROOT / "binder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
INDEX_OPTIONS = ("--extra-index-url", "--index-url", "-i ")


def _lines(path: Path) -> list[str]:
    return [
        line.split("#", 1)[0].strip()
        for line in path.read_text().splitlines()
        if line.split("#", 1)[0].strip()
    ]


def _torch_requirement() -> Requirement:
    reqs = [Requirement(line) for line in _lines(BINDER / "requirements.txt")
            if not line.startswith(("-", "."))]
    torch = [r for r in reqs if r.name == "torch"]
    assert len(torch) == 1, f"binder/requirements.txt must pin torch once, found {torch}"
    return torch[0]


def test_requirements_take_cpu_torch_and_the_ui_extra():
    lines = _lines(BINDER / "requirements.txt")
    assert f"--extra-index-url {CPU_INDEX}" in lines
    assert not any(line.startswith(("--index-url", "-i ")) for line in lines), (
        "replacing PyPI by the PyTorch index would hide the other packages"
    )
    spec = list(_torch_requirement().specifier)
    assert len(spec) == 1 and spec[0].operator == "=="
    assert Version(spec[0].version).local == "cpu", (
        "pin torch with its '+cpu' label so the build fails instead of taking a CUDA build"
    )
    # repo2docker runs pip from the repository root: "." is the repository.
    assert ".[ui]" in lines
    assert not any(line.startswith("..") for line in lines)


def test_pinned_torch_satisfies_the_package_requirement():
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    deps = [Requirement(d) for d in pyproject["project"]["dependencies"]]
    (torch_dep,) = [d for d in deps if d.name == "torch"]
    pinned = Version(list(_torch_requirement().specifier)[0].version)
    assert torch_dep.specifier.contains(pinned), (
        f"binder pins torch {pinned}, but pyproject.toml asks for torch{torch_dep.specifier}"
    )


def test_runtime_and_start_script():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), runtime
    start = BINDER / "start"
    assert os.access(start, os.X_OK), "binder/start must be executable (chmod +x)"
    text = start.read_text()
    assert text.startswith("#!/bin/bash\n")
    assert text.rstrip().endswith('exec "$@"'), "repo2docker needs start to end with exec"
    assert "OMP_NUM_THREADS" in text
    # An environment.yml would switch repo2docker to conda and skip requirements.txt.
    assert not (BINDER / "environment.yml").exists()


_NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv", "artifacts", "build", "dist", "*.egg-info", "__pycache__",
    ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", "runs", "*.db", "*.db-*",
)


def _clone_like_copy(dest: Path) -> Path:
    """Copy the files a clone would hold (tracked + untracked, not ignored)."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, capture_output=True,
    )
    if listing.returncode != 0:  # not a git checkout (e.g. an unpacked archive)
        shutil.copytree(REPO_ROOT, dest, ignore=_NOT_IN_A_CLONE)
        return dest
    for rel in filter(None, listing.stdout.decode().split("\0")):
        src = REPO_ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


# The venv is installed with --no-compile (time only). Where the environment says
# PYTHONDONTWRITEBYTECODE (this machine's does), every process in it would then compile
# torch, pandas and bokeh from source again: about 30 s of CPU per notebook. Binder's
# image holds compiled files (repo2docker's pip compiles them), so here the first
# process compiles what it imports, once, and the notebooks find it compiled.
_VENV_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run(cmd: list[str], cwd: Path, timeout: int = 600, with_stderr: bool = False) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=_VENV_ENV)
    if proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
            f"{proc.stderr[-5000:]}"
        )
    return proc.stdout + (proc.stderr if with_stderr else "")


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.skipif(
    not (os.environ.get("NASBENCH_BINDER_TEST") == "1" or in_ci()),
    reason="installs the Binder requirements into a fresh venv (1-2 min); "
    "set NASBENCH_BINDER_TEST=1 to run it",
)
def test_binder_requirements_install_cpu_only_and_import(tmp_path):
    repo = _clone_like_copy(tmp_path / "repo")
    # Same file minus the PyPI-unreachable index: the pinned "+cpu" torch then
    # comes from this machine's wheel folder (pip's find-links), or fails.
    local_reqs = tmp_path / "requirements-local.txt"
    kept = [line for line in (repo / "binder" / "requirements.txt").read_text().splitlines()
            if not line.strip().startswith(INDEX_OPTIONS)]
    local_reqs.write_text("\n".join(kept) + "\n")

    venv = tmp_path / "venv"
    # --without-pip: the pip running these tests (the release ensurepip would put there)
    # installs into it with --python: ensurepip took 11 s (6 s of CPU compiling pip)
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    py = str(venv / "bin" / "python")
    pip = [sys.executable, "-m", "pip", "--python", py]
    # --no-compile: skip writing .pyc files (time only; the same packages land).
    _run([*pip, "install", "--quiet", "--no-compile", "-r", str(local_reqs)], cwd=repo)

    installed = {p["name"].lower(): p["version"] for p in json.loads(
        _run([*pip, "list", "--format=json"], cwd=repo))}
    cuda = sorted(n for n in installed if n.startswith("nvidia") or n == "triton")
    assert not cuda, f"the Binder environment pulled CUDA packages: {cuda}"
    assert installed["torch"].endswith("+cpu"), installed["torch"]
    assert "nasbench-ui" in installed or "nasbench_ui" in installed

    probe = (
        "import nasbench_ui, torch, ipywidgets, anywidget, bokeh, jupyter_bokeh, jupyterlab\n"
        "assert torch.version.cuda is None, torch.version.cuda\n"
        "print(nasbench_ui.__file__)"
    )
    where = _run([py, "-c", probe], cwd=tmp_path).strip()
    assert where.startswith(str(venv)), f"nasbench_ui imported from {where}, not the venv"

    extensions = _run([py, "-m", "jupyter", "labextension", "list"], cwd=tmp_path,
                      with_stderr=True)
    for name in ("@jupyter-widgets/jupyterlab-manager", "@bokeh/jupyter_bokeh", "anywidget"):
        assert name in extensions, f"JupyterLab in the Binder env lacks {name}"

    # Every notebook, run the way a Binder user would: one torch thread (binder/start
    # sets these), in this venv's kernel. Binder gives about 2 GB.
    env = {**_VENV_ENV, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONPATH": str(REPO_ROOT / "tests")}
    env.pop("VIRTUAL_ENV", None)
    figures = []
    for notebook in sorted((repo / "notebooks").glob("*.ipynb")):
        work = tmp_path / f"run-{notebook.stem}"
        work.mkdir()
        proc = subprocess.run(
            [py, str(REPO_ROOT / "tests" / "binder" / "run_notebook_rss.py"), str(notebook),
             str(work)], cwd=work, env=env, capture_output=True, text=True, timeout=900,
        )
        assert proc.returncode == 0, (
            f"{notebook.name} failed in the Binder venv:\n{proc.stdout[-3000:]}\n"
            f"{proc.stderr[-5000:]}"
        )
        figures.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "binder_notebooks.json").write_text(json.dumps(figures, indent=1))
    print("Binder notebooks:", json.dumps(figures))
    for f in figures:
        peak = max(f["kernel_peak_rss_mb"], f["driver_peak_rss_mb"])
        assert peak < 2048, f"{f['notebook']} peaked at {peak} MB in the Binder venv (> 2 GB)"
