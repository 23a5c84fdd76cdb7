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
