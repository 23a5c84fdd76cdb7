"""Kernels for the notebook runs, forked from a process that has already imported the libraries
every chapter imports (numpy, pandas, matplotlib, IPython, ipykernel and BeautifulSoup), so that
each notebook of a build does not import them again (about 1.2 s of a kernel's start).

``ForkKernelManager`` is a jupyter_client kernel manager (given to papermill by
:mod:`spf_analysis.build`) whose kernels come from a fork server: ``python -m
spf_analysis.kernels serve SOCKET``, started by the first notebook run that needs it and ending by
itself after :data:`IDLE` seconds without a kernel. A kernel is the ``spf-kp`` kernel's own
command (``python -m ipykernel_launcher -f CONNECTION ...``) run in a forked child, with the run's
environment, working directory and standard streams: the same code as a kernel started afresh.

What a kernel reads from the server's past is only what those libraries did on import, so:

- the package itself (``spf_analysis``) is not preloaded, and the server's own modules of it are
  dropped in each kernel: a kernel always imports the code on disk;
- one server serves one checkout, one Python and one environment (:func:`identity`: the variables
  of the environment but the per-run ones, the files of the preloaded libraries): a change of any
  of them (a ``pip install``, another ``MPLBACKEND``) starts another server;
- a run whose kernel command is not that of the server's Python falls back to the usual start, as
  does every failure to reach the server, and ``SPF_FORK_KERNELS=0`` turns the server off.

A kernel is killed by the server when the run that asked for it goes away (its connection closes).
The executed notebooks are byte-identical either way (tests/test_kernels.py). Only the steps of a
build use it (:mod:`spf_analysis.build`, when make passes the step's inputs): a run by hand or by a
test starts its kernel afresh.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import importlib.util
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from spf_analysis.config import paths

#: imported by the server before it forks (third-party only, never the package)
#: (what every chapter imports: a library only some import, e.g. scipy.stats, seaborn and statsmodels
#: for chapters 03 and 05, would make every run wait longer for a server that is starting)
PRELOAD = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "IPython", "ipykernel.kernelapp",
           "ipykernel.ipkernel", "bs4")
#: the variables of the environment that differ between the runs of one build (they reach each
#: kernel, but do not make another server)
PER_RUN = ("SPF_OUTPUT_DIR", "SPF_INPUTS", "SPF_OUTPUTS", "MAKEFLAGS", "MFLAGS", "MAKELEVEL",
           "MAKE_TERMOUT", "MAKE_TERMERR", "MAKEOVERRIDES", "JPY_PARENT_PID", "JPY_SESSION_NAME")
#: seconds a server without a kernel waits for the next request before it ends
IDLE = 120.0
#: seconds a run waits for a new server to listen before it starts its kernel the usual way
START_WAIT = 20.0
SWITCH = "SPF_FORK_KERNELS"


def identity(options: list[str], env: dict | None = None) -> str:
    """What a server's preloaded state depends on: the checkout, this Python and its ``-X`` options,
    this module's code, the environment (but :data:`PER_RUN` and ``ARGS_*``) and the preloaded
    libraries' packages (their ``__init__`` files: path, size, time; found without importing them)."""
    env = os.environ if env is None else env
    h = hashlib.sha256()
    h.update(json.dumps([str(paths.ROOT), sys.executable, sys.prefix, sys.version, options]).encode())
    h.update(Path(__file__).read_bytes())  # the server's own code
    h.update(json.dumps(sorted((k, v) for k, v in env.items()
                               if k not in PER_RUN and not k.startswith("ARGS_"))).encode())
    for name in dict.fromkeys(n.split(".")[0] for n in PRELOAD):  # (a submodule's spec imports its parents)
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
        st = os.stat(origin) if origin and os.path.exists(origin) else None
        h.update(json.dumps([name, origin, st and st.st_size, st and st.st_mtime_ns]).encode())
    return h.hexdigest()[:24]


def socket_path(ident: str) -> Path:
    """The server's socket, in a folder of this user's only (a Unix socket's path is short)."""
    folder = Path(tempfile.gettempdir()) / f"spf-kernels-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if (folder.stat().st_mode & 0o077) or folder.stat().st_uid != os.getuid():
        raise OSError(f"{folder} is not this user's own folder")
    return folder / f"{ident}.sock"


def kernel_options(cmd: list[str]) -> list[str] | None:
    """The interpreter options (``-X...`` only) of a kernel command of this Python,
    ``[python, *options, "-m", "ipykernel_launcher", ...]``; None for any other command."""
    if not cmd or cmd[0] != sys.executable or "ipykernel_launcher" not in cmd:
        return None
    i = cmd.index("ipykernel_launcher") - 1
    options = cmd[1:i]
    if i < 1 or cmd[i] != "-m" or not all(o.startswith("-X") and len(o) > 2 for o in options):
        return None
    return options


# --------------------------------------------------------------------------- the server

def serve(path: Path) -> None:
    """Preload, listen on ``path``, fork a kernel per request; end after :data:`IDLE` s without kernels."""
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    import gc

    gc.collect()
    gc.freeze()  # the preloaded objects out of the kernels' collections: never walked (nor copied) there
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    listener.bind(str(tmp))
    listener.listen(16)
    os.replace(tmp, path)  # appears when it listens
    mine = os.stat(path).st_ino
    kids: dict[int, socket.socket] = {}  # kernel pid -> the connection of the run that asked for it
    wake_r, wake_w = os.pipe()  # a kernel's exit wakes the loop at once (its run waits for it)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    last = time.monotonic()
    try:
        while kids or time.monotonic() - last < IDLE:
            ready, _, _ = select.select([listener, wake_r, *kids.values()], [], [], 1.0)
            for s in ready:
                if s == wake_r:
                    os.read(wake_r, 4096)
                elif s is listener:
                    conn, _ = listener.accept()
                    pid = _fork_kernel(conn, listener, kids, (wake_r, wake_w))
                    if pid:
                        kids[pid] = conn
                else:  # the run went away (or sent something it should not): its kernel goes too
                    for pid, c in list(kids.items()):
                        if c is s:
                            _kill(pid)
            while kids:  # reap, and tell each run its kernel's exit status
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                conn = kids.pop(pid, None)
                if conn is not None:
                    try:
                        conn.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
                    except OSError:
                        pass
                    conn.close()
                last = time.monotonic()
    finally:
        try:
            if os.stat(path).st_ino == mine:  # not a later server's
                path.unlink()
        except OSError:
            pass
        listener.close()


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _fork_kernel(conn: socket.socket, listener: socket.socket, kids: dict, wake: tuple) -> int | None:
    """Read one request (the kernel command, environment and directory, and the run's standard
    streams) and fork its kernel; the kernel's pid, or None for a bad request."""
    try:
        conn.settimeout(10)
        msg, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        while not msg.endswith(b"\n"):
            more = conn.recv(1 << 20)
            if not more:
                raise OSError("request cut short")
            msg += more
        req = json.loads(msg)
        cmd, env, cwd = req["cmd"], req["env"], req["cwd"]
        if len(fds) != 3 or kernel_options(cmd) is None:
            raise ValueError("not a kernel request")
    except (OSError, ValueError, KeyError, TypeError):
        conn.close()
        return None
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        conn.settimeout(None)
        conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        return pid
    # the kernel
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        listener.close()
        for c in kids.values():
            c.close()
        conn.close()
        for fd in wake:
            os.close(fd)
        os.setsid()  # its own session, as jupyter_client starts a kernel
        for i, fd in enumerate(fds):
            os.dup2(fd, i)
            os.close(fd)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        sys.path[0] = os.getcwd()  # as `python -m` started there would have it
        for name in [m for m in sys.modules if m == "spf_analysis" or m.startswith("spf_analysis.")]:
            del sys.modules[name]  # the server's own modules: the kernel imports the code on disk
        if "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is None:
            del sys.modules["rfc3987_syntax"]  # set by the package's __init__, which the kernel runs itself
        sys.argv = ["ipykernel_launcher", *cmd[len(kernel_options(cmd)) + 3:]]
        import runpy

        runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)  # as `-m` runs it
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:  # what a kernel's exit runs (never the server's loop again)
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


# --------------------------------------------------------------------------- the run's side

class ForkedKernel:
    """The run's handle on a forked kernel, with what jupyter_client asks of a ``Popen``."""

    def __init__(self, conn: socket.socket, pid: int):
        self.conn, self.pid, self.returncode = conn, pid, None
        self.stdin = self.stdout = self.stderr = None

    def _read(self, block: bool) -> None:
        if self.returncode is not None:
            return
        self.conn.setblocking(block)
        try:
            data = b""
            while not data.endswith(b"\n"):
                more = self.conn.recv(4096)
                if not more:  # the server ended: the kernel was killed with it
                    self.returncode = -signal.SIGKILL
                    return
                data += more
            self.returncode = int(json.loads(data)["exit"])
        except BlockingIOError:
            return
        finally:
            if self.returncode is not None:
                self.conn.close()

    def poll(self):
        self._read(block=False)
        return self.returncode

    def wait(self, timeout=None):
        self._read(block=True)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _connect(path: Path) -> socket.socket | None:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(str(path))
        return s
    except OSError:
        s.close()
        return None


def request(cmd: list[str], env: dict, cwd: str) -> ForkedKernel | None:
    """A kernel forked by this checkout's server (started when there is none), or None: then the
    run starts its kernel the usual way."""
    options = kernel_options(cmd)
    if os.environ.get(SWITCH, "1") == "0" or options is None:
        return None
    try:
        path = socket_path(identity(options))
        conn = _connect(path)
        if conn is None:
            with open(path.with_suffix(".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # one run starts the server, the others wait for it
                conn = _connect(path)
                if conn is None:
                    path.unlink(missing_ok=True)
                    subprocess.Popen([sys.executable, *options, "-m", "spf_analysis.kernels", "serve", str(path)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True, cwd=str(paths.ROOT))
                    end = time.monotonic() + START_WAIT
                    while conn is None and time.monotonic() < end:
                        time.sleep(0.02)
                        conn = _connect(path)
        if conn is None:
            return None
        conn.settimeout(30)
        msg = json.dumps({"cmd": cmd, "env": env, "cwd": cwd}).encode() + b"\n"
        socket.send_fds(conn, [msg], [0, 1, 2])
        data = b""
        while not data.endswith(b"\n"):
            more = conn.recv(4096)
            if not more:
                raise OSError("the kernel server closed the connection")
            data += more
        conn.settimeout(None)
        return ForkedKernel(conn, int(json.loads(data)["pid"]))
    except (OSError, ValueError, KeyError):
        return None


class ForkProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, the kernel forked by the server (:func:`request`)."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        env = kwargs.get("env") or dict(os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        kernel = request(list(cmd), dict(env), cwd)
        if kernel is None:
            return await super().launch_kernel(cmd, **kwargs)
        self.process, self.pid, self.pgid, self.cwd = kernel, kernel.pid, kernel.pid, cwd
        return self.connection_info


class ForkKernelManager(AsyncKernelManager):
    """The kernel manager of the notebook runs: its kernels forked by :class:`ForkProvisioner`."""

    async def _async_pre_start_kernel(self, **kw):
        self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
        if self.provisioner is None:
            self.provisioner = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "serve":
        print("usage: python -m spf_analysis.kernels serve SOCKET", file=sys.stderr)
        return 2
    serve(Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
