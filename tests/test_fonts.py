"""The PDF does not depend on the host's fonts (spf_analysis.report.fonts)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from spf_analysis.report import fonts, pdf

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                                reason="the PDF is printed by headless Chromium (make chromium)")

#: serif, sans, mono, bold and italic text, and glyphs beyond Latin-1
DOC = ("<html><body style=\"font-family: 'DejaVu Serif', serif\"><h1 style='font-family: sans-serif'>Title</h1>"
       "<p>Rs 1,000 &#8211; &#8220;quoted&#8221; &#8804; &#8805; <b>bold</b> <i>italic</i> "
       "<code>monospace()</code> <span style='font-family: monospace'>mono</span></p></body></html>")

#: a user's fontconfig that prefers other families for the generic names (as installing a font
#: package, or a user's ~/.config/fontconfig/fonts.conf, can do)
USER_CONF = """<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
<dir>{extra}</dir>
<alias binding="strong"><family>monospace</family><prefer><family>{family}</family></prefer></alias>
<alias binding="strong"><family>serif</family><prefer><family>{family}</family></prefer></alias>
<alias binding="strong"><family>DejaVu Serif</family><prefer><family>{family}</family></prefer></alias>
</fontconfig>
"""


def render(mode: str, tmp_path: Path, xdg: Path | None) -> bytes:
    """DOC printed as the report is (headless Chromium, spf_analysis.report.pdf), with the shipped
    fonts only ("isolated") or with the host's fontconfig ("host")."""
    env = {k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}
    if mode == "isolated":
        env["FONTCONFIG_FILE"] = str(fonts.isolate(tmp_path / "fc"))
        os.environ.pop("FONTCONFIG_FILE", None)  # isolate sets it for this process; keep the test process clean
    if xdg is not None:
        env["XDG_CONFIG_HOME"] = str(xdg)
    out = tmp_path / f"{mode}.pdf"
    pdf.print_report(DOC, out, 1451606400, env=env)
    return out.read_bytes()


def test_only_the_shipped_fonts_are_visible(tmp_path):
    conf = fonts.isolate(tmp_path / "fc")
    os.environ.pop("FONTCONFIG_FILE", None)  # isolate sets it for this process; keep the test process clean
    text = conf.read_text()
    assert f"<dir>{fonts.font_dir()}</dir>" in text and text.count("<dir>") == 1
    if shutil.which("fc-list"):
        listed = subprocess.run(["fc-list", "--format", "%{file}\n"], env={**os.environ, "FONTCONFIG_FILE": str(conf)},
                                capture_output=True, text=True, check=True).stdout.split()
        assert listed and all(Path(f).parent == fonts.font_dir() for f in listed), listed[:5]


def test_an_extra_font_and_a_user_preference_do_not_change_the_pdf(tmp_path):
    """An extra font (a copy of a shipped one under another directory) and a user configuration
    preferring it for serif and monospace: the PDF keeps its bytes. Without the isolation the
    same user configuration changes the PDF (checked too, so the test can fail)."""
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(fonts.font_dir() / "STIXGeneral.ttf", extra / "STIXGeneral.ttf")
    xdg = tmp_path / "xdg"
    (xdg / "fontconfig").mkdir(parents=True)
    (xdg / "fontconfig/fonts.conf").write_text(USER_CONF.format(extra=extra, family="STIXGeneral"))
    isolated = render("isolated", tmp_path, None)
    assert isolated == render("isolated", tmp_path, xdg)
    if shutil.which("pdffonts"):  # every font embedded, and only the shipped DejaVu
        listed = subprocess.run(["pdffonts", str(tmp_path / "isolated.pdf")], capture_output=True, text=True,
                                check=True).stdout.splitlines()[2:]
        assert listed and all("DejaVu" in line.split()[0] and line.split()[-5] == "yes" for line in listed), listed
    if render("host", tmp_path, None) == render("host", tmp_path, xdg):
        pytest.skip("this host's fontconfig ignores the user configuration; the control case cannot run")
