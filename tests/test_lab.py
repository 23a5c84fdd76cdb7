"""`make lab`: the JupyterLab command line spf_analysis.lab builds (Lab is never started here)."""

import pytest

from spf_analysis import lab
from spf_analysis.config import paths


def test_not_root_no_port():
    argv = lab.lab_argv(euid=1000, python="/venv/bin/python")
    assert argv == ["/venv/bin/python", "-m", "jupyterlab", f"--notebook-dir={paths.ROOT / 'notebooks'}",
                    "--no-browser", "--MappingKernelManager.default_kernel_name=spf-kp"]


def test_root_gets_allow_root_and_a_given_port_is_kept():
    argv = lab.lab_argv(port=8890, euid=0, python="py")
    assert argv[-3:] == ["--ServerApp.port=8890", "--ServerApp.port_retries=0", "--allow-root"]
    assert "--allow-root" not in lab.lab_argv(port=8890, euid=1, python="py")


@pytest.mark.parametrize("text,port", [(None, None), ("", None), ("  ", None), ("1024", 1024),
                                       ("8890", 8890), (" 8890 ", 8890), ("65535", 65535)])
def test_valid_ports(text, port):
    assert lab.parse_port(text) == port


@pytest.mark.parametrize("text,why", [("1023", "outside 1024-65535"), ("65536", "outside"), ("0", "outside"),
                                      ("-1", "whole number"), ("88.9", "whole number"), ("+8890", "whole number"),
                                      ("8890; rm -rf /", "whole number"), ("abc", "whole number")])
def test_invalid_ports_are_refused(text, why):
    with pytest.raises(lab.LabError, match=why):
        lab.parse_port(text)


def test_main_refuses_a_bad_port_before_starting_anything(monkeypatch, capsys):
    started = []
    monkeypatch.setattr(lab.os, "execv", lambda *a: started.append(a))
    assert lab.main({"PORT": "80"}) == 2
    assert not started
    assert capsys.readouterr().err.startswith("error: lab: PORT=80: outside 1024-65535")


def test_main_execs_jupyterlab_with_the_argv(monkeypatch):
    started = []
    monkeypatch.setattr(lab.os, "execv", lambda path, argv: started.append((path, argv)))
    monkeypatch.setattr(lab.os, "geteuid", lambda: 0)
    lab.main({"PORT": "9999"})
    (path, argv), = started
    assert path == argv[0] and argv[1:3] == ["-m", "jupyterlab"]
    assert "--ServerApp.port=9999" in argv and argv[-1] == "--allow-root"
