"""Helpers for computed prose: numbers in the study's text are formatted from values, never typed.

``tests/test_prose_numbers.py`` enforces the rule on the notebooks; these helpers keep the
computed text reading as the typed text did (small counts spelt out: "seven agencies").
"""

from __future__ import annotations

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def number_word(n: int) -> str:
    """A count as the prose writes it: ``0``-``10`` spelt out, larger counts as digits (``1,234``)."""
    n = int(n)
    return _WORDS[n] if 0 <= n < len(_WORDS) else f"{n:,}"
