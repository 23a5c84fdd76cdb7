"""The fonts of the PDF, and nothing else: the PDF must not depend on what the host has installed.

The PDF's printer (headless Chromium, :mod:`spf_analysis.report.pdf`; WeasyPrint before it)
finds fonts through fontconfig, which by default sees every font of the
machine and the user (``/usr/share/fonts``, ``~/.fonts``, ``~/.config/fontconfig``):
installing a font package changed the PDF of an unchanged tree. :func:`isolate` points
fontconfig (``FONTCONFIG_FILE``) at a configuration that lists only the DejaVu fonts
shipped inside matplotlib (a pinned dependency, ``requirements.txt``) and maps the
generic families to them, so the same tree gives the same PDF on any machine.
"""

from __future__ import annotations

import os
from pathlib import Path
from xml.sax.saxutils import escape

from spf_analysis.config import paths

#: the generic CSS families and the shipped font each resolves to
FAMILIES = {"serif": "DejaVu Serif", "sans-serif": "DejaVu Sans", "monospace": "DejaVu Sans Mono"}
#: where the configuration and fontconfig's cache live (build scratch, not an output)
FONTCONFIG_DIR = paths.REPORTS / ".build" / "fontconfig"


def font_dir() -> Path:
    """The TrueType fonts shipped with matplotlib (DejaVu, STIX, Computer Modern): its package's
    ``mpl-data/fonts/ttf`` (``matplotlib.get_data_path()``), found without importing matplotlib."""
    import importlib.util

    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("matplotlib is not installed: its DejaVu fonts print the report (make report)")
    return Path(list(spec.submodule_search_locations)[0]) / "mpl-data" / "fonts" / "ttf"


def config_text(fonts: Path, cache: Path) -> str:
    aliases = "\n".join(
        f'  <alias binding="same"><family>{generic}</family><prefer><family>{escape(name)}</family></prefer></alias>'
        for generic, name in FAMILIES.items())
    return f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- written by spf_analysis.report.fonts: only the fonts shipped with matplotlib -->
<fontconfig>
  <dir>{escape(str(fonts))}</dir>
  <cachedir>{escape(str(cache))}</cachedir>
{aliases}
</fontconfig>
"""


def isolate(folder: Path = FONTCONFIG_DIR) -> Path:
    """Write the configuration (when it changed) and point ``FONTCONFIG_FILE`` at it.

    Call before the printer starts (its environment must carry the variable): fontconfig
    reads it when the printer creates its font configuration."""
    fonts = font_dir()
    missing = [n for n in ("DejaVuSerif.ttf", "DejaVuSans.ttf", "DejaVuSansMono.ttf") if not (fonts / n).exists()]
    if missing:
        raise FileNotFoundError(f"the report fonts {missing} are not in {fonts}; reinstall the pinned matplotlib "
                                "(make distclean; make report)")
    conf = folder / "fonts.conf"
    text = config_text(fonts, folder / "cache").encode("utf-8")
    if not conf.exists() or conf.read_bytes() != text:  # build scratch, not an output
        folder.mkdir(parents=True, exist_ok=True)
        conf.write_bytes(text)
    os.environ["FONTCONFIG_FILE"] = str(conf)
    return conf
