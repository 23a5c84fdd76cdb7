"""The provenance manifest of ``data/raw/`` and its check (``make verify``).

``data/raw/manifest.csv`` has one row per raw file: ``path`` (relative to
``data/raw``), ``title``, ``publisher``, ``source_url``, ``locator``,
``licence``, ``retrieval_note``, ``citation`` (the full citation, shown in the
report's References), ``short`` (the short citation printed in the source line under
figures and tables, e.g. "PBS Census 2017 and 2023, Table 4"; files with one short
citation share one References entry; a file whose rows carry their own sources says
"(per-row sources)" and is not cited row by row) and ``sha256``. A raw file that is not in the manifest, a
manifest row whose file is missing, and a checksum mismatch are errors that
name the file.

A new raw file is registered with ``python -m spf_analysis.data.manifest add PATH
TITLE PUBLISHER URL LOCATOR LICENCE RETRIEVAL_NOTE CITATION [SHORT]``. Maintainers who
change a raw file on purpose run ``python -m spf_analysis.data.manifest update`` to
record the new checksums, and say why in the commit.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pandas as pd

from spf_analysis.config import paths

COLUMNS = ["path", "title", "publisher", "source_url", "locator", "licence",
           "retrieval_note", "citation", "short", "sha256"]
IGNORED = {"manifest.csv", "README.md"}


class ManifestError(ValueError):
    """The raw data do not match the manifest."""


def sha256(file: Path) -> str:
    h = hashlib.sha256()
    with open(file, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(file: Path | None = None) -> pd.DataFrame:
    file = file or paths.MANIFEST
    if not file.exists():
        raise ManifestError(f"{file.relative_to(paths.ROOT)}: manifest not found")
    df = pd.read_csv(file, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ManifestError(f"data/raw/manifest.csv: missing column(s) {missing}")
    for col in ["path", "title", "source_url", "citation", "short"]:
        empty = df[col].str.strip() == ""
        if empty.any():
            line = int(empty.to_numpy().nonzero()[0][0]) + 2
            raise ManifestError(f"data/raw/manifest.csv, column '{col}', line {line}: empty")
    dup = df["path"].duplicated()
    if dup.any():
        line = int(dup.to_numpy().nonzero()[0][0]) + 2
        raise ManifestError(f"data/raw/manifest.csv, line {line}: "
                            f"{df['path'][dup].iloc[0]} listed twice")
    return df


def raw_files(raw: Path | None = None) -> list[str]:
    raw = raw or paths.RAW
    return sorted(str(p.relative_to(raw)) for p in raw.rglob("*")
                  if p.is_file() and p.name not in IGNORED and not p.name.startswith("."))


def verify(raw: Path | None = None, manifest: Path | None = None) -> int:
    """Check every raw file against the manifest; return the number checked."""
    raw = raw or paths.RAW
    df = read_manifest(manifest or raw / "manifest.csv")
    listed = set(df["path"])
    on_disk = set(raw_files(raw))
    problems = []
    for f in sorted(on_disk - listed):
        problems.append(f"data/raw/{f}: not in the manifest (add its source to data/raw/manifest.csv)")
    for f in sorted(listed - on_disk):
        problems.append(f"data/raw/{f}: listed in the manifest but missing")
    for row in df.itertuples():
        f = raw / row.path
        if f.exists() and sha256(f) != row.sha256:
            problems.append(f"data/raw/{row.path}: checksum mismatch (the file changed; "
                            f"manifest {row.sha256[:12]}..., file {sha256(f)[:12]}...)")
    if problems:
        raise ManifestError("\n".join(problems))
    return len(df)


def update(raw: Path | None = None) -> None:
    """Rewrite the checksums of the listed files (maintainers only)."""
    raw = raw or paths.RAW
    file = raw / "manifest.csv"
    df = read_manifest(file)
    df["sha256"] = [sha256(raw / p) if (raw / p).exists() else "" for p in df["path"]]
    df[COLUMNS].to_csv(file, index=False, lineterminator="\n")


def add(path: str, title: str, publisher: str, source_url: str, locator: str, licence: str,
        retrieval_note: str, citation: str, short: str | None = None,
        raw: Path | None = None) -> None:
    """Append a row for a new raw file (with its checksum) to the manifest; ``short`` (the
    source-line citation) defaults to ``citation``."""
    raw = raw or paths.RAW
    file = raw / "manifest.csv"
    df = read_manifest(file)
    if path in set(df["path"]):
        raise ManifestError(f"data/raw/{path}: already in the manifest")
    if not (raw / path).is_file():
        raise ManifestError(f"data/raw/{path}: no such file")
    row = dict(zip(COLUMNS, [path, title, publisher, source_url, locator, licence,
                             retrieval_note, citation, short or citation, sha256(raw / path)]))
    df = pd.concat([df, pd.DataFrame([row])], ignore_index=True).sort_values("path")
    df[COLUMNS].to_csv(file, index=False, lineterminator="\n")


def cite(*files: str) -> str:
    """Short citation(s) (column ``short``) for raw files (paths relative to ``data/raw``),
    in the order given, without repeats, joined by "; ": the source line under a figure
    (the full entries are in the report's References, :mod:`spf_analysis.report.references`)."""
    df = read_manifest().set_index("path")
    unknown = [f for f in files if f not in df.index]
    if unknown:
        raise KeyError(f"not in data/raw/manifest.csv: {unknown}")
    seen: list[str] = []
    for f in files:
        c = df.loc[f, "short"]
        if c not in seen:
            seen.append(c)
    return "; ".join(seen)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cmd = argv[0] if argv else "verify"
    try:
        if cmd == "verify":
            n = verify()
            print(f"data/raw: {n} files match the manifest")
        elif cmd == "add" and len(argv) in (9, 10):
            add(*argv[1:])
            print(f"data/raw/manifest.csv: added {argv[1]}")
        elif cmd == "update":
            update()
            print("data/raw/manifest.csv: checksums updated")
        else:
            print("usage: python -m spf_analysis.data.manifest verify | update | add PATH TITLE "
                  "PUBLISHER URL LOCATOR LICENCE RETRIEVAL_NOTE CITATION [SHORT]", file=sys.stderr)
            return 2
    except ManifestError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
