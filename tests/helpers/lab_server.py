"""Start and stop an isolated JupyterLab server for real-browser tests.

The server runs on a free loopback port with a random token, in its own process
group, with fresh Jupyter config/data/runtime/settings/workspace folders and a fresh
IPython folder, so nothing from the user's home leaks in. The venv's
``share/jupyter`` stays on Jupyter's search path, so the widget and Bokeh lab
extensions that pip installed there still load.

Example (slow: starts a real server):
    >>> from helpers.lab_server import start_lab_server, stop_lab_server
    >>> server = start_lab_server(tmp_dir)                     # doctest: +SKIP
    >>> server.url("lab/tree/demo.ipynb")                       # doctest: +SKIP
    'http://127.0.0.1:40123/lab/tree/demo.ipynb?token=...'
    >>> stop_lab_server(server)                                 # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

REQUIRED_LAB_EXTENSIONS = (
    "@jupyter-widgets/jupyterlab-manager",
    "@bokeh/jupyter_bokeh",
    "anywidget",
)
"""Lab extensions a workbench page needs; the harness fails early without them."""

# Lab settings written into the fresh JUPYTERLAB_SETTINGS_DIR.
_LAB_SETTINGS = {
    # Keep every cell in the DOM so tests can read any cell's output.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # No news/update toasts over the notebook.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
}


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab server started by :func:`start_lab_server`."""

    port: int
    token: str
    root_dir: Path
    base_dir: Path
    log_path: Path
    process: subprocess.Popen

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/``."""
        return f"http://127.0.0.1:{self.port}/"

    def url(self, path: str) -> str:
        """Return the URL of ``path`` (e.g. ``lab/tree/a.ipynb``) with the token."""
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path.lstrip('/')}{sep}token={self.token}"

    def log_tail(self, chars: int = 4000) -> str:
        """Return the end of the server's log, for error messages."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError as exc:
            return f"<no server log: {exc}>"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_settings(settings_dir: Path) -> None:
    for rel, content in _LAB_SETTINGS.items():
        path = settings_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2))


def lab_environment(base_dir: Path) -> dict[str, str]:
    """Return the environment for an isolated server whose state lives in ``base_dir``.

    Example:
        >>> env = lab_environment(Path("/tmp/x"))
        >>> env["JUPYTER_CONFIG_DIR"]
        '/tmp/x/jupyter-config'
    """
    env = dict(os.environ)
    folders = {
        "JUPYTER_CONFIG_DIR": "jupyter-config",
        "JUPYTER_DATA_DIR": "jupyter-data",
        "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
        "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
        "IPYTHONDIR": "ipython",
    }
    for var, name in folders.items():
        env[var] = str(base_dir / name)
    # The kernel must be this interpreter (the venv), whatever PATH says.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_PREFER_ENV_PATH", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _status_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _launch(base_dir: Path, root_dir: Path, port: int, token: str) -> LabServer:
    env = lab_environment(base_dir)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR"):
        Path(env[var]).mkdir(parents=True, exist_ok=True)
    _write_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--allow-root",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.extension_manager=readonly",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
    ]
    log_path = base_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    return LabServer(port, token, root_dir, base_dir, log_path, proc)


def start_lab_server(base_dir: Path, timeout: float = 60.0) -> LabServer:
    """Start an isolated ``jupyter lab`` whose root and state live under ``base_dir``.

    Waits until ``/api/status`` answers and checks that the lab extensions in
    :data:`REQUIRED_LAB_EXTENSIONS` are served. Raises ``RuntimeError`` with the
    server log when it does not come up.
    """
    base_dir = Path(base_dir)
    root_dir = base_dir / "root"
    root_dir.mkdir(parents=True, exist_ok=True)
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between probe and bind
        server = _launch(base_dir, root_dir, _free_port(), secrets.token_hex(16))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                break
            if _status_ok(server.url("api/status")):
                _check_lab_extensions(server)
                return server
            time.sleep(0.25)
        last_error = server.log_tail()
        stop_lab_server(server)
        if "already in use" not in last_error:
            break
    raise RuntimeError(
        f"jupyter lab did not answer /api/status within {timeout:.0f} s; "
        f"server log:\n{last_error}"
    )


def lab_extensions(server: LabServer) -> list[str]:
    """Return the names of the federated lab extensions the server's page loads."""
    with urllib.request.urlopen(server.url("lab"), timeout=10) as resp:
        page = resp.read().decode("utf-8", errors="replace")
    match = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
        page, flags=re.S,
    )
    if match is None:
        raise RuntimeError("the /lab page holds no jupyter-config-data; is this JupyterLab 4?")
    config = json.loads(html.unescape(match.group(1)))
    return [ext["name"] for ext in config.get("federated_extensions", [])]


def _check_lab_extensions(server: LabServer) -> None:
    found = lab_extensions(server)
    missing = [name for name in REQUIRED_LAB_EXTENSIONS if name not in found]
    if missing:
        stop_lab_server(server)
        raise RuntimeError(
            f"JupyterLab does not serve the lab extensions {missing} (it serves {found}); "
            "install them into this venv: pip install -e '.[ui]'"
        )


def shutdown_kernels(server: LabServer) -> int:
    """Close every session and kernel of the server (between tests); return how many.

    Example:
        >>> shutdown_kernels(server)                               # doctest: +SKIP
        1
    """

    def call(method: str, path: str) -> bytes:
        req = urllib.request.Request(server.url(path), method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.read()

    kernels = json.loads(call("GET", "api/kernels"))
    for session in json.loads(call("GET", "api/sessions")):
        call("DELETE", f"api/sessions/{session['id']}")  # shuts its kernel down too
    for kernel in json.loads(call("GET", "api/kernels")):
        call("DELETE", f"api/kernels/{kernel['id']}")
    return len(kernels)


def stop_lab_server(server: LabServer, timeout: float = 20.0) -> None:
    """Stop the server by its PID: SIGTERM its process group, wait, then SIGKILL.

    Kernels started by the server run in their own sessions, so they are found as
    children first and killed by PID if the server's own shutdown left them.
    """
    proc = server.process
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    psutil.wait_procs(children, timeout=10)
