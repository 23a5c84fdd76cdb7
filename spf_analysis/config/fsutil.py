"""Atomic file output: write to temporary names beside the targets, move them all on success.

:func:`atomic_path` stages one file; :func:`transaction` stages several (a step's
outputs: the report's HTML, PDF and workbook; a notebook's figures, tables and
executed copy; the processed tables) and puts them in place together, with
SIGINT/SIGTERM/SIGHUP held back while the files are moved: a step either leaves
every output as it was or replaces all of them.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

#: signals held back while outputs are moved into place (delivered right after)
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def signals_deferred():
    """Hold back :data:`SIGNALS` for the duration of the block; a signal that arrives meanwhile
    is delivered to the previous handler right after it. Python runs signal handlers in the
    main thread whatever thread the OS picked, so swapping the handlers (not the thread's
    signal mask) holds them back in a process with other threads (papermill's, zmq's)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    old = {}
    for sig in SIGNALS:
        old[sig] = signal.getsignal(sig)
        signal.signal(sig, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        for sig in pending:
            os.kill(os.getpid(), sig)


def _temp_beside(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(tmp)


def replace_all(moves, remove=()) -> None:
    """Move each staged file onto its target and delete the files in ``remove``, as one
    step: signals are held back, and if a move fails every target is restored.

    ``moves``: ``(staged, target)`` pairs, moved in that order (put the file ``make``
    tracks last); ``remove``: outputs of a previous run that this one does not replace.
    """
    moves = [(Path(s), Path(t)) for s, t in moves]
    targets = {t for _, t in moves}
    remove = [Path(r) for r in remove if Path(r) not in targets]
    backups: list[tuple[Path, Path]] = []
    created: list[Path] = []
    with signals_deferred():
        try:
            for t in [t for _, t in moves] + remove:
                if t.exists():
                    b = t.with_name(f".{t.name}.{os.getpid()}.bak")
                    b.unlink(missing_ok=True)
                    try:
                        os.link(t, b)
                    except OSError:
                        shutil.copy2(t, b)
                    backups.append((b, t))
            for s, t in moves:
                t.parent.mkdir(parents=True, exist_ok=True)
                existed = t.exists()
                os.chmod(s, 0o644)
                os.replace(s, t)
                if not existed:
                    created.append(t)
            for r in remove:
                r.unlink(missing_ok=True)
        except BaseException:
            for t in created:
                t.unlink(missing_ok=True)
            for b, t in backups:
                if t.exists() and os.path.samefile(b, t):  # never replaced (rename of a hard link to
                    b.unlink()                             # the same file would do nothing)
                else:
                    os.replace(b, t)
            raise
        for b, _ in backups:
            b.unlink(missing_ok=True)


class Transaction:
    """Temporary files beside their targets, put in place together by :meth:`commit`."""

    def __init__(self):
        self.moves: list[tuple[Path, Path]] = []
        self.removes: list[Path] = []

    def path(self, target) -> Path:
        """A temporary path to write ``target`` to."""
        tmp = _temp_beside(Path(target))
        self.moves.append((tmp, Path(target)))
        return tmp

    def stage(self, staged, target) -> None:
        """Move an already written file ``staged`` (same file system) onto ``target``."""
        self.moves.append((Path(staged), Path(target)))

    def remove(self, target) -> None:
        """Delete ``target`` on commit (an output this run no longer makes)."""
        self.removes.append(Path(target))

    def commit(self) -> None:
        replace_all(self.moves, self.removes)
        self.moves, self.removes = [], []

    def discard(self) -> None:
        for tmp, _ in self.moves:
            if tmp.name.endswith(".tmp"):
                tmp.unlink(missing_ok=True)
        self.moves = []


@contextmanager
def transaction():
    """``with transaction() as tx: write(tx.path(a)); write(tx.path(b))``: on normal exit
    ``a`` and ``b`` are replaced together; on any exception (or signal) neither is."""
    tx = Transaction()
    try:
        yield tx
        tx.commit()
    finally:
        tx.discard()


@contextmanager
def atomic_path(target: Path):
    """Yield a temporary path beside ``target``; on normal exit it becomes
    ``target`` (mode 0644), on any exception it is removed and ``target`` is
    left as it was."""
    with transaction() as tx:
        yield tx.path(target)


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
