"""`make lab` serves JupyterLab: started as `make lab` starts it (python -m spf_analysis.lab, PORT
from the environment), a request to /lab answers 200 with the JupyterLab page, as root and as a
normal user (setpriv to the unprivileged user 65534 when the tests run as root).

Needs JupyterLab (requirements-lab.txt), which `make test` installs; elsewhere the test is skipped
unless SPF_REQUIRE_LAB=1 (then a missing Lab is a failure).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from spf_analysis.config import paths

TOKEN = "spf-test-token"


def _lab_available() -> bool:
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _lab_available() and os.environ.get("SPF_REQUIRE_LAB") != "1",
                                reason="JupyterLab is not installed (make lab installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tmp: Path, python: str, pythonpath: str, user: int | None) -> tuple[int, str, str]:
    """Start Lab as `make lab` does and GET /lab; returns (HTTP status, page, server log)."""
    port = _free_port()
    home = tmp / f"home-{user}"
    home.mkdir(mode=0o777)
    os.chmod(home, 0o777)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "PORT": str(port),
           "JUPYTER_TOKEN": TOKEN, "PYTHONPATH": pythonpath, "JUPYTER_RUNTIME_DIR": str(home / "rt"),
           "JUPYTER_CONFIG_DIR": str(home / "cfg"), "JUPYTER_DATA_DIR": str(home / "data"),
           "IPYTHONDIR": str(home / "ipython")}
    cmd = [python, "-m", "spf_analysis.lab"]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + cmd
    log = home / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(paths.ROOT),
                                start_new_session=True)
    try:
        status, page = 0, ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={TOKEN}", timeout=5) as r:
                    status, page = r.status, r.read().decode("utf-8", "replace")
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    return status, page, log.read_text(encoding="utf-8", errors="replace")


def _world_python() -> tuple[str, str] | None:
    """A Python 3.x of this minor version the unprivileged user may run, with the site-packages of
    this environment (the project's own interpreter may sit in root's home)."""
    site = next((p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()), None)
    ver = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for cand in (sys.executable, shutil.which(ver) or "", f"/usr/bin/{ver}", f"/usr/local/bin/{ver}"):
        if not cand or not Path(cand).exists():
            continue
        ok = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", cand, "-c",
                             # as spf_analysis.lab does: import, then replace itself with the interpreter
                             "import os, sys, spf_analysis.lab, jupyterlab; "
                             "os.execv(sys.executable, [sys.executable, '-c', 'pass'])"], capture_output=True, cwd="/",
                            env={"PYTHONPATH": f"{paths.ROOT}{os.pathsep}{site}"}).returncode == 0
        if ok and site:
            return cand, site
    return None


def test_lab_serves_as_the_current_user(tmp_path):
    status, page, log = _serve(tmp_path, sys.executable, str(paths.ROOT), None)
    assert status == 200 and "<title>JupyterLab" in page, log[-2000:]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="as root the test switches to an unprivileged user; here the first test is that user")
def test_lab_serves_as_a_normal_user():
    import tempfile

    found = _world_python()
    if found is None:
        pytest.skip("no Python the unprivileged user can run with this checkout and environment "
                    "(the interpreter or the checkout is private to root)")
    python, site = found
    with tempfile.TemporaryDirectory(prefix="spf-lab-") as tmp:
        os.chmod(tmp, 0o777)  # the user's HOME and Jupyter's runtime folder live here
        status, page, log = _serve(Path(tmp), python, f"{paths.ROOT}{os.pathsep}{site}", 65534)
    assert status == 200 and "<title>JupyterLab" in page, log[-2000:]
    assert "Running as root" not in log
