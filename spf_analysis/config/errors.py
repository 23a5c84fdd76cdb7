"""Errors that name where the bad input is: the file and the key.

Every YAML file of the package is parsed here, by :func:`read_yaml` (a file) or
:func:`parse_yaml` (a text, e.g. a ``key=value`` override of the command line), with
:class:`StrictLoader`: PyYAML's safe loader that also refuses a key given twice in one
mapping (PyYAML keeps the last one silently) and names an unsupported tag
(``!!python/object/apply:...``) with its line instead of a traceback.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml


class FileKeyError(ValueError):
    """Bad input in a parameter file; the message starts with ``file: key:``."""

    def __init__(self, message: str, *, file: str | Path | None = None, key: str | None = None):
        self.file = None if file is None else str(file)
        self.key = key
        where = ": ".join(x for x in (self.file, key) if x)
        super().__init__(f"{where}: {message}" if where else message)


class YAMLInputError(yaml.YAMLError):
    """A YAML text that parses but is not accepted (``line`` counts from 1)."""

    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


def _shown_tag(tag: str | None) -> str:
    t = str(tag)
    return "!!" + t[len("tag:yaml.org,2002:"):] if t.startswith("tag:yaml.org,2002:") else t


# libyaml's parser when PyYAML was built with it (the wheels are): the same documents and marks, ~5x faster
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_SafeLoader):
    """``yaml.SafeLoader`` (libyaml's when available) that rejects duplicate mapping keys and names unsupported tags."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # '<<' merges may repeat keys on purpose
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: SafeLoader reports it below
                    continue
                if first is not None:
                    raise YAMLInputError(line, f"duplicate key {key!r} (first given at line {first})")
                seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_undefined(self, node):
        raise YAMLInputError(node.start_mark.line + 1,
                             f"unsupported YAML tag {_shown_tag(node.tag)!r} (only the standard "
                             "YAML types are read: mappings, lists, strings, numbers, dates, "
                             "booleans, null)")


StrictLoader.add_constructor(None, StrictLoader.construct_undefined)


#: documents already parsed, by their text (a chapter reads each scenario file a dozen times through the
#: baseline chains): each caller gets its own copy; a text that fails to parse is parsed again, and fails again
_PARSED: dict[str, object] = {}


def parse_yaml(text: str, error: type[FileKeyError] = FileKeyError, name=None):
    """Parse a YAML text with :class:`StrictLoader`; malformed YAML, a duplicate key or an
    unsupported tag raises ``error`` naming ``name`` (the file or the source of the text)
    and the line."""
    if text in _PARSED:
        return copy.deepcopy(_PARSED[text])
    shown = None if name is None else str(name)
    try:
        data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 -- StrictLoader is a (C)SafeLoader
    except YAMLInputError as e:
        raise error(str(e), file=shown) from None
    except yaml.YAMLError as e:
        raise error(f"invalid YAML ({e})", file=shown) from None
    if len(_PARSED) >= 512:
        _PARSED.clear()
    _PARSED[text] = data
    return copy.deepcopy(data)


def read_yaml(file: str | Path, error: type[FileKeyError] = FileKeyError, name=None):
    """Parse a YAML file; a missing, undecodable or malformed file, a key given twice in a
    mapping or an unsupported tag raises ``error`` naming it (``name``: how to show the file,
    by default as given) and, where it applies, the line."""
    shown = str(file) if name is None else str(name)
    try:
        text = Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error("file not found", file=shown) from None
    except UnicodeDecodeError:
        raise error("not valid UTF-8", file=shown) from None
    return parse_yaml(text, error, name=shown)
