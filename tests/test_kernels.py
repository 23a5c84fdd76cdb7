"""Kernels forked from a preloaded server (spf_analysis.kernels) run a notebook as a kernel started
afresh does: the same executed notebook, the run's environment, directory and streams, the code on
disk; a server per environment; a kernel killed when its run goes away; the usual start otherwise."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from jupyter_client.manager import AsyncKernelManager

from spf_analysis import kernels
from spf_analysis.build import KERNEL, KERNEL_ARGS, KERNEL_SHUTDOWN

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
                            kernel_manager_class=manager, extra_arguments=KERNEL_ARGS, timeout=120,
                            shutdown_kernel=KERNEL_SHUTDOWN)
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


def test_the_build_kernels_keep_no_history_and_are_ended_at_once(tmp_path, monkeypatch):
    # IPython's history would take every cell of every build into the user's history.sqlite; the run
    # ends the kernel by a kill (KERNEL_SHUTDOWN), which the server reports as the child's end by SIGKILL
    monkeypatch.setenv("SPF_OUTPUT_DIR", str(tmp_path / "a"))  # per run: no other server
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("SPF_TEST_VALUE", "seen")
    (tmp_path / "work").mkdir()
    forked = []
    usual = kernels.ForkedKernel.__init__

    def init(self, *a, **k):
        usual(self, *a, **k)
        forked.append(self)

    monkeypatch.setattr(kernels.ForkedKernel, "__init__", init)
    for manager in (AsyncKernelManager, kernels.ForkKernelManager):
        _run(manager, tmp_path / "work")
    assert [k.returncode for k in forked] == [-signal.SIGKILL]
    assert not list((tmp_path / "ipython").rglob("history.sqlite*"))


def test_the_servers_warm_up_starts_no_thread_and_opens_nothing():
    # the server forks after it: a thread or an open file would be shared with every child (or lost)
    code = ("import os, threading, bs4, nbformat.validator as v, spf_analysis.kernels as k\n"
            "fds = sorted(os.listdir('/proc/self/fd'))\n"
            "k.warm()\n"
            "assert threading.active_count() == 1, threading.enumerate()\n"
            "assert sorted(os.listdir('/proc/self/fd')) == fds, (fds, os.listdir('/proc/self/fd'))\n"
            "from bs4.dammit import EntitySubstitution as E\n"
            "assert E._CLASS_VARIABLES_POPULATED  # what the runs no longer do\n"
            "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout == "ok\n", r.stderr


def _ready(monkeypatch, hide_welcome: bool) -> dict:
    """Start a forked kernel, wait for it with the manager's client; what the client did and saw."""
    import asyncio
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient

    seen: dict = {"fallback": 0}
    usual = AsyncKernelClient.wait_for_ready

    async def counted(self, timeout=None):
        seen["fallback"] += 1
        return await usual(self, timeout)

    monkeypatch.setattr(AsyncKernelClient, "wait_for_ready", counted)

    async def run():
        km = kernels.ForkKernelManager(kernel_name=KERNEL)
        await km.start_kernel(extra_arguments=KERNEL_ARGS)
        kc = km.client()
        seen["client"] = type(kc).__name__
        if hide_welcome:  # a kernel that greets no subscription (ipykernel < 7)
            monkeypatch.setattr(type(kc), "WELCOME", 0.3)
            get = kc.iopub_channel.get_msg

            async def without_welcome(*a, **k):
                while (m := await get(*a, **k))["msg_type"] == "iopub_welcome":
                    pass
                return m
            kc.iopub_channel.get_msg = without_welcome
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            left = []
            while True:  # what is left on IOPub: nothing of the kernel_info request
                try:
                    left.append(await kc.iopub_channel.get_msg(timeout=0.3))
                except Empty:
                    break
            seen["left"] = [m["msg_type"] for m in left if m["parent_header"].get("msg_type") == "kernel_info_request"]
            reply = await kc.execute("x = 6 * 7\nx", reply=True, timeout=30)
            seen["status"] = reply["content"]["status"]
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    asyncio.run(run())
    return seen


def test_a_forked_kernel_is_ready_when_its_iopub_greets_and_kernel_info_is_done(monkeypatch):
    """The notebook runs' client (kernels.ReadyClient) knows the kernel ready from IOPub's welcome and
    the kernel_info request's idle status, which it consumes (no 0.2 s silences waited for); a
    kernel that sends no welcome is waited for as jupyter_client does, and is ready too."""
    seen = _ready(monkeypatch, hide_welcome=False)
    assert seen == {"fallback": 0, "client": "ReadyClient", "left": [], "status": "ok"}
    seen = _ready(monkeypatch, hide_welcome=True)
    assert seen["fallback"] == 1 and seen["status"] == "ok"


def test_a_forked_kernels_client_retries_its_connection_often_and_sees_a_killed_kernel_end_soon(monkeypatch):
    # ZMQ retries a connection every 100 ms by default: a client that connected before the kernel had
    # bound its ports waited that long; jupyter_client looks every 100 ms whether a killed kernel has ended
    import asyncio

    import zmq

    slept = []
    usual_sleep = asyncio.sleep

    async def sleep(delay, *a, **k):
        slept.append(delay)
        return await usual_sleep(delay, *a, **k)

    async def run():
        km = kernels.ForkKernelManager(kernel_name=KERNEL)
        await km.start_kernel(extra_arguments=KERNEL_ARGS)
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            sockets = [kc.iopub_channel.socket, kc.shell_channel.socket, kc.control_channel.socket]
            options = [sock.getsockopt(zmq.RECONNECT_IVL) for sock in sockets]
        finally:
            kc.stop_channels()
            monkeypatch.setattr(asyncio, "sleep", sleep)
            await km.shutdown_kernel(now=True)
        return options

    assert asyncio.run(run()) == [kernels.RECONNECT_MS] * 3
    assert slept and max(slept) <= kernels.SHUTDOWN_POLL


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
    same = kernels.identity([], {**env, "SPF_OUTPUT_DIR": "/x", "ARGS_01_a": "k=1", "MAKEFLAGS": "-j2", "SHLVL": "2"})
    assert same == kernels.identity([], env)  # the per-run variables make no other server
    assert kernels.identity([], {**env, "MPLBACKEND": "pdf"}) != same
    assert kernels.identity(["-Xfrozen_modules=off"], env) != same


def test_a_server_ends_when_idle_and_refuses_bad_requests(tmp_path):
    path = tmp_path / "s.sock"
    code = f"import spf_analysis.kernels as k, pathlib; k.IDLE = 1.0; k.STEP_PRELOAD = k.PRELOAD = (); k.serve(pathlib.Path({str(path)!r}))"
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


# --------------------------------------------------------------------------- build steps, forked

PROBE = '''
import json, os, signal, sys, time
if __name__ == "__main__":
    if sys.argv[1:] == ["sleep"]:
        def stop(signum, frame):  # (os.write: a print may be under way)
            os.write(1, f"probe: stopped by {signal.Signals(signum).name}\\n".encode())
            os._exit(143)
        signal.signal(signal.SIGTERM, stop)
        print("probe: sleeping", flush=True)
        time.sleep(30)
        sys.exit(0)
    if sys.argv[1:] == ["kill"]:
        os.kill(os.getpid(), signal.SIGKILL)
    print(json.dumps({"argv": sys.argv[1:], "argv0": os.path.basename(sys.argv[0]), "orig": sys.orig_argv[-2:],
                      "cwd": os.path.basename(os.getcwd()), "value": os.environ.get("SPF_TEST_VALUE"),
                      "umask": oct(os.umask(0)), "ppid": os.getppid(), "site": "probe_site" in sys.modules,
                      "line_buffered": sys.stdout.line_buffering, "package": "spf_analysis.kernels" in sys.modules}))
    print("probe: to stderr", file=sys.stderr)
    sys.exit(3)
'''
#: a sitecustomize that marks a process whose command line names "probe-site" (as tests/faults/ does)
SITE = "import sys, types\nif 'probe-site' in sys.orig_argv:\n    sys.modules['probe_site'] = types.ModuleType('probe_site')\n"
#: the run's side: a request for the probe step, then what `python -m spf_analysis.forked` does with it
CLIENT = '''
import os, pathlib, sys
from spf_analysis import kernels as k
conn = k._connect(pathlib.Path(sys.argv[1]))
sys.exit(k.relay("probe_step", conn, {"step": ["probe_step", *sys.argv[2:]], "env": dict(os.environ), "cwd": os.getcwd(),
                                      "umask": 0o027, "orig_argv": ["python", "-m", "spf_analysis.forked", "-m", "probe_step", "probe-site"]}))
'''


@pytest.fixture
def step_server(tmp_path, request):
    """A server (nothing preloaded) that runs the probe step too; its socket, process and the run's env."""
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "probe_step.py").write_text(PROBE)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(SITE)
    path = tmp_path / "s.sock"
    env = {**os.environ, "PYTHONPATH": f"{kernels.paths.ROOT}{os.pathsep}{tmp_path / 'site'}", "SPF_TEST_VALUE": "seen"}
    code = (f"import spf_analysis.kernels as k, pathlib; k.IDLE = 5.0; k.STEP_PRELOAD = k.PRELOAD = (); "
            f"k.STEPS += ('probe_step',); {getattr(request, 'param', 'pass')}; k.serve(pathlib.Path({str(path)!r}))")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    for _ in range(500):
        if path.exists():
            break
        time.sleep(0.02)
    yield path, proc, env
    proc.kill()
    proc.wait()


def _client(step_server, *args, **kw):
    path, _, env = step_server
    return subprocess.Popen([sys.executable, "-c", CLIENT, str(path), *args], cwd=path.parent / "work",
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_a_forked_step_runs_as_python_m_would(step_server):
    """The step's arguments, argv[0], command line, directory, environment and umask are the run's;
    sitecustomize runs again with the run's command line; stdout is buffered as on a pipe; the
    package is imported afresh; the exit status and both streams reach the run."""
    _, server, _ = step_server
    out, err = _client(step_server, "x", "y").communicate(timeout=30)
    got = json.loads(out)
    assert got == {"argv": ["x", "y"], "argv0": "probe_step.py", "orig": ["probe_step", "probe-site"], "cwd": "work",
                   "value": "seen", "umask": "0o27", "ppid": server.pid, "site": True, "line_buffered": False,
                   "package": False}
    assert "probe: to stderr" in err


def test_a_signal_to_the_run_reaches_the_step_and_its_end_is_the_runs(step_server):
    c = _client(step_server, "sleep")
    assert c.stdout.readline() == "probe: sleeping\n"
    c.send_signal(signal.SIGTERM)  # as make stops a step: the step's handler runs
    out, _ = c.communicate(timeout=30)
    assert out == "probe: stopped by SIGTERM\n" and c.returncode == 143
    k = _client(step_server, "kill")  # a step killed by a signal: the run ends by the same signal
    k.communicate(timeout=30)
    assert k.returncode == -signal.SIGKILL


def test_a_step_is_stopped_when_its_run_goes_away(step_server):
    path, _, _ = step_server
    conn = kernels._connect(path)
    r, w = os.pipe()
    saved = os.dup(1)
    os.dup2(w, 1)  # the step's stdout: a pipe read here
    try:
        pid = kernels._send(conn, {"step": ["probe_step", "sleep"], "env": dict(step_server[2]),
                                   "cwd": str(path.parent / "work"), "umask": 0o022, "orig_argv": ["python"]})
    finally:
        os.dup2(saved, 1)
        os.close(w)
    with os.fdopen(r) as f:
        assert f.readline() == "probe: sleeping\n"
        conn.close()  # the run goes away: the server stops the step with SIGTERM (its cleanup runs)
        assert f.readline() == "probe: stopped by SIGTERM\n"


#: a server that imports, after it listens, two modules of the standard library that no probe imports,
#: 3 s each (the request must arrive while the first is imported: a loaded machine may take a second
#: to start the client); the probe step is not a light one, "probe_light" (the same code) is
STAGED = ("import time; k.PRELOAD = ('wave', 'mailbox'); k.STEP_PRELOAD = ('json',); k.warm = lambda: None; "
          "k.STEPS += ('probe_light',); k.LIGHT_STEPS = ('probe_light',); _i = k._import; "
          "k._import = lambda n: (n in k.PRELOAD and time.sleep(3.0), _i(n))")


def _modules_seen(step_server, step: str) -> dict:
    """Which of json, wave and mailbox the child forked for ``step`` found imported."""
    path, _, env = step_server
    work = path.parent / "work"
    probe = "import json, sys\nprint(json.dumps({m: m in sys.modules for m in ('json', 'wave', 'mailbox')}))\n"
    (work / f"{step}.py").write_text(probe)
    client = CLIENT.replace('"probe_step"', repr(step))
    r = subprocess.run([sys.executable, "-c", client, str(path)], cwd=work, env=env, capture_output=True,
                       text=True, timeout=30)
    return json.loads(r.stdout)


@pytest.mark.parametrize("step_server", [STAGED], indirect=True)
def test_a_light_step_is_forked_before_the_rest_of_the_preload(step_server):
    # asked for while the first module is imported: forked once it is in, not after the other
    assert _modules_seen(step_server, "probe_light") == {"json": True, "wave": True, "mailbox": False}


@pytest.mark.parametrize("step_server", [STAGED], indirect=True)
def test_any_other_child_is_forked_once_the_whole_preload_is_in(step_server):
    assert _modules_seen(step_server, "probe_step") == {"json": True, "wave": True, "mailbox": True}


def test_the_light_steps_import_nothing_the_server_preloads_after_it_listens():
    # they are forked as soon as STEP_PRELOAD is in (the survey and the model run, while the server
    # goes on with PRELOAD): what they import, at any depth of the package, is in STEP_PRELOAD
    import ast

    from spf_analysis.config import deps

    later = {m.split(".")[0] for m in kernels.PRELOAD} - {m.split(".")[0] for m in kernels.STEP_PRELOAD}
    files = deps.closure(kernels.LIGHT_STEPS)
    assert {f.stem for f in files} >= {"io", "source", "pipeline", "synth"}
    found = []
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and not node.level else [])
            found += [(f.name, n) for n in names if n.split(".")[0] in later]
    assert found == []
    assert set(kernels.LIGHT_STEPS) <= set(kernels.STEPS)


def test_a_bad_step_request_starts_nothing(step_server):
    path, _, _ = step_server
    for req in ({"step": ["os", "-c"], "env": {}, "cwd": "/", "umask": 18, "orig_argv": []},  # not a build step
                {"step": ["probe_step"], "env": {}, "cwd": "/", "orig_argv": []},  # no umask
                {"step": ["probe_step", 1], "env": {}, "cwd": "/", "umask": 18, "orig_argv": []}):
        s = kernels._connect(path)
        with pytest.raises(OSError, match="closed"):
            kernels._send(s, req)
        s.close()


def test_the_command_runs_a_step_forked_or_in_its_own_process_alike(tmp_path):
    """`python -m spf_analysis.forked -m MODULE ARGS`: the first run (no server) runs in its own process
    and starts the server, the next one is forked by it; the same output and exit status, and the
    usual `python -m` output with the switch off."""
    env = {**os.environ, "SPF_TEST_SERVER": str(tmp_path)}  # a server of this test's own
    env.pop(kernels.SWITCH, None)
    cmd = [sys.executable, "-m", "spf_analysis.forked", "-m", "spf_analysis.household.source"]
    path = kernels.socket_path(kernels.identity(kernels.step_options(), env))
    try:
        first = subprocess.run(cmd + ["info"], env=env, capture_output=True, text=True, timeout=60)
        for _ in range(1500):  # the server it started preloads (a few seconds)
            if kernels._connect(path) is not None:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the first step started no server")
        forked = [subprocess.run(cmd + a, env=env, capture_output=True, text=True, timeout=60) for a in (["info"], ["bogus"])]
        off = subprocess.run([sys.executable, "-m", "spf_analysis.household.source", "bogus"],
                             env={**env, kernels.SWITCH: "0"}, capture_output=True, text=True, timeout=60)
    finally:
        for p in Path("/proc").glob("[0-9]*"):  # the server: ended now rather than after its idle time
            try:
                if str(path).encode() in (p / "cmdline").read_bytes():
                    os.kill(int(p.name), signal.SIGTERM)
            except OSError:
                pass
    assert first.returncode == forked[0].returncode == 0 and first.stdout == forked[0].stdout
    assert first.stdout.startswith("SURVEY=")
    assert (forked[1].returncode, forked[1].stdout, forked[1].stderr) == (off.returncode, off.stdout, off.stderr) == (
        2, "", "usage: python -m spf_analysis.household.source info|build\n")
    usage = subprocess.run([sys.executable, "-m", "spf_analysis.forked", "spf_analysis.build"], capture_output=True, text=True)
    assert usage.returncode == 2 and usage.stderr.startswith("usage: python -m spf_analysis.forked -m MODULE")
