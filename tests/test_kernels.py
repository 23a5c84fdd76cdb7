"""Kernels forked from a preloaded server (spf_analysis.kernels) run a notebook as a kernel started
afresh does: the same executed notebook, the run's environment, directory and streams, the code on
disk; a server per environment; a kernel killed when its run goes away; the usual start otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import nbformat
import pytest
from nbclient import NotebookClient
from jupyter_client.manager import AsyncKernelManager

from spf_analysis import kernels
from spf_analysis.build import KERNEL, KERNEL_ARGS

CELLS = [
    "import os, sys, pandas as pd, matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt",
    "print(os.environ['SPF_TEST_VALUE'], os.path.basename(os.getcwd()), os.path.basename(sys.path[0]))",
    "print('spf_analysis' in sys.modules)\nimport spf_analysis.config.paths as p\nprint(p.__file__.endswith('paths.py'))",
    "pd.DataFrame({'a': [1.5, 2.25]})",
    "print('to stderr', file=sys.stderr)",
    "fig, ax = plt.subplots(figsize=(2, 1)); ax.plot([0, 1], [1, 0]); display(fig)",
]


def _run(manager, cwd):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i}"
    client = NotebookClient(nb, kernel_name=KERNEL, resources={"metadata": {"path": str(cwd)}},
                            kernel_manager_class=manager, extra_arguments=KERNEL_ARGS, timeout=120)
    client.execute()
    for c in nb.cells:
        c["metadata"] = {}
    return nb


def test_a_forked_kernel_runs_a_notebook_as_a_fresh_one(tmp_path, monkeypatch):
    monkeypatch.setenv("SPF_OUTPUT_DIR", str(tmp_path / "a"))  # per run: no other server
    monkeypatch.setenv("SPF_TEST_VALUE", "seen")
    (tmp_path / "work").mkdir()
    fresh = _run(AsyncKernelManager, tmp_path / "work")
    forked = _run(kernels.ForkKernelManager, tmp_path / "work")
    assert nbformat.writes(forked) == nbformat.writes(fresh)
    out = ["".join(o.get("text", "") for o in c["outputs"]) for c in forked.cells]
    assert out[1].startswith("seen work ")  # the run's environment and directory (sys.path as the launcher leaves it)
    assert out[2] == "False\nTrue\n"  # the package is imported by the kernel, from disk
    assert any(o.get("name") == "stderr" for o in forked.cells[4]["outputs"])
    assert "Figure size 200x100" in forked.cells[5]["outputs"][0]["data"]["text/plain"]


def test_the_kernel_is_forked_and_preloaded(monkeypatch):
    monkeypatch.delenv(kernels.SWITCH, raising=False)
    cmd = [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "/nonexistent/k.json"]
    k = kernels.request(cmd, dict(os.environ), os.getcwd())
    assert k is not None and k.poll() is None
    k.conn.close()  # the run goes away: the server kills its kernel
    for _ in range(100):
        try:
            os.kill(k.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the kernel outlived its run")


def test_the_usual_start_for_other_commands_or_when_switched_off(monkeypatch):
    py = sys.executable
    assert kernels.kernel_options([py, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "c.json"]) == ["-Xfrozen_modules=off"]
    assert kernels.kernel_options([py, "-m", "ipykernel_launcher", "-f", "c.json"]) == []
    assert kernels.kernel_options([py, "-c", "x", "-m", "ipykernel_launcher"]) is None  # not an -X option
    assert kernels.kernel_options(["/usr/bin/python3", "-m", "ipykernel_launcher"]) is None  # another Python
    assert kernels.kernel_options([py, "-m", "other"]) is None
    monkeypatch.setenv(kernels.SWITCH, "0")
    assert kernels.request([py, "-m", "ipykernel_launcher", "-f", "c.json"], dict(os.environ), os.getcwd()) is None


def test_one_server_per_environment():
    env = {"PATH": "/bin", "MPLBACKEND": "Agg"}
    same = kernels.identity([], {**env, "SPF_OUTPUT_DIR": "/x", "ARGS_01_a": "k=1", "MAKEFLAGS": "-j2"})
    assert same == kernels.identity([], env)  # the per-run variables make no other server
    assert kernels.identity([], {**env, "MPLBACKEND": "pdf"}) != same
    assert kernels.identity(["-Xfrozen_modules=off"], env) != same


def test_a_server_ends_when_idle_and_refuses_bad_requests(tmp_path):
    path = tmp_path / "s.sock"
    code = f"import spf_analysis.kernels as k, pathlib; k.IDLE = 1.0; k.PRELOAD = (); k.serve(pathlib.Path({str(path)!r}))"
    proc = subprocess.Popen([sys.executable, "-c", code])
    for _ in range(200):
        if path.exists():
            break
        time.sleep(0.02)
    s = kernels._connect(path)
    assert s is not None
    s.sendall(json.dumps({"cmd": ["sh", "-c", "echo hi"], "env": {}, "cwd": "/"}).encode() + b"\n")
    assert s.recv(100) == b""  # no fds, not a kernel command: closed, nothing started
    s.close()
    assert proc.wait(timeout=10) == 0 and not path.exists()  # ended by itself, its socket removed
