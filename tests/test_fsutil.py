"""Outputs replaced together or not at all (spf_analysis.config.fsutil)."""

from __future__ import annotations

import os
import signal

import pytest

from spf_analysis.config import fsutil


def files(tmp_path, **content):
    out = {}
    for name, text in content.items():
        p = tmp_path / name
        p.write_text(text)
        out[name] = p
    return out


def test_transaction_replaces_all_on_success(tmp_path):
    f = files(tmp_path, a="old a", b="old b", gone="old")
    with fsutil.transaction() as tx:
        tx.path(f["a"]).write_text("new a")
        tx.path(f["b"]).write_text("new b")
        tx.path(tmp_path / "c").write_text("new c")
        tx.remove(f["gone"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"]
    assert [(tmp_path / n).read_text() for n in "abc"] == ["new a", "new b", "new c"]


def test_transaction_leaves_everything_on_an_error_before_commit(tmp_path):
    f = files(tmp_path, a="old a", b="old b")
    with pytest.raises(RuntimeError):
        with fsutil.transaction() as tx:
            tx.path(f["a"]).write_text("new a")
            raise RuntimeError("disk full while writing b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no temporary file left
    assert f["a"].read_text() == "old a"


def test_a_failing_move_restores_every_target(tmp_path, monkeypatch):
    f = files(tmp_path, a="old a", b="old b", gone="old")
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2 and not str(src).endswith(".bak"):
            raise OSError(28, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(fsutil.os, "replace", flaky)
    with pytest.raises(OSError, match="No space left"):
        with fsutil.transaction() as tx:
            tx.path(f["a"]).write_text("new a")
            tx.path(f["b"]).write_text("new b")
            tx.path(tmp_path / "c").write_text("new c")
            tx.remove(f["gone"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "gone"]
    assert [f[n].read_text() for n in ("a", "b", "gone")] == ["old a", "old b", "old"]


def test_ctrl_c_during_the_moves_is_held_until_all_are_done(tmp_path, monkeypatch):
    """SIGINT arriving between two moves: both are made, then KeyboardInterrupt."""
    f = files(tmp_path, a="old a", b="old b")
    real = os.replace
    sent = []

    def replace_then_interrupt(src, dst):
        real(src, dst)
        if not sent:
            sent.append(dst)
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(fsutil.os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        with fsutil.transaction() as tx:
            tx.path(f["a"]).write_text("new a")
            tx.path(f["b"]).write_text("new b")
    assert sent and [f[n].read_text() for n in "ab"] == ["new a", "new b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]
