"""Errors that name where the bad input is: the file and the key."""

from __future__ import annotations

from pathlib import Path


class FileKeyError(ValueError):
    """Bad input in a parameter file; the message starts with ``file: key:``."""

    def __init__(self, message: str, *, file: str | Path | None = None, key: str | None = None):
        self.file = None if file is None else str(file)
        self.key = key
        where = ": ".join(x for x in (self.file, key) if x)
        super().__init__(f"{where}: {message}" if where else message)


def read_yaml(file: str | Path, error: type[FileKeyError] = FileKeyError, name=None):
    """Parse a YAML file; a missing, undecodable or malformed file raises ``error``
    naming it (``name``: how to show the file, by default as given)."""
    import yaml

    shown = str(file) if name is None else str(name)
    try:
        return yaml.safe_load(Path(file).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error("file not found", file=shown) from None
    except UnicodeDecodeError:
        raise error("not valid UTF-8", file=shown) from None
    except yaml.YAMLError as e:
        raise error(f"invalid YAML ({e})", file=shown) from None
