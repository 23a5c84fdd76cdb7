"""spf_analysis.report.exhibits._align_numbers: the numeric cells marked without an HTML parser give the
bytes BeautifulSoup gives (what the report showed before), for the tables pandas writes; anything else
goes to BeautifulSoup."""

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from spf_analysis.report import exhibits as E


def _soup(table_html, numeric):
    """The former implementation (BeautifulSoup), the reference."""
    soup = BeautifulSoup(table_html, "html.parser")
    for tr in soup.find_all("tr"):
        cells = tr.find_all(["td", "th"], recursive=False)
        for i in numeric:
            if i < len(cells):
                cells[i]["class"] = cells[i].get("class", []) + ["num"]
    return str(soup)


def _html(df):
    """As Chapter.table writes a table (line breaks and code marks included)."""
    return (df.to_html(index=False, escape=True, classes="spf-table", border=0, na_rep="")
            .replace("\x1f", "<br/>").replace("\ue000", "<code>").replace("\ue001", "</code>"))


TABLES = {
    "plain": pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [1.5, np.nan]}),
    "escaped": pd.DataFrame({"t": ["p < q & r > s", "\"quoted\" 'single'", "a&amp;b", "&nbsp; &#39;"],
                             "v": ["1,234", "12.3\x1f[11.9,\u00a012.7]", "\ue000key_id\ue001 text", "±5 – é"]}),
    "blank cells": pd.DataFrame({"a": [" ", "  ", "\t", ""], "b": [" x ", "x  y", "\ttab", "end "]}),
    "multiindex": pd.DataFrame({("a", "x"): [1, 2], ("a", "y"): ["u", "v"], ("b", "z"): [3.0, 4.0]}),
    "empty": pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=object)}),
    "one column": pd.DataFrame({"only": [1, 2, 3]}),
}


@pytest.mark.parametrize("name", sorted(TABLES))
@pytest.mark.parametrize("numeric", [[0], [1], [0, 2], [1, 5], [2]])
def test_same_bytes_as_beautifulsoup(name, numeric):
    html = _html(TABLES[name])
    plain = E._align_numbers_plain(html, numeric)
    assert plain is not None  # pandas' tables take the fast path
    assert plain == _soup(html, numeric)
    assert E._align_numbers(html, numeric) == plain


@pytest.mark.parametrize("html", [
    '<table class="x"><tr><td class="a">1</td><td>2</td></tr></table>',  # a cell with a class
    "<table><tr><td>1 &copy; 2</td><td>2</td></tr></table>",  # another entity
    "<table><tr><td>1<br />2</td><td>2</td></tr></table>",  # a void tag written otherwise
    "<table><tr><td><b>1</b></td><td>2</td></tr></table>",  # another tag
    "<table><tr><td>1</td><td>2</tr></table>",  # not closed
    '<table><tr><td  colspan="2">1</td></tr></table>',  # two spaces
    '<table><tr><td colspan="2" colspan="3">1</td></tr></table>',  # an attribute twice
    "<table><tr><td>1\r\n</td></tr></table>",  # a carriage return
    "<table><tr><td>1 < 2</td></tr></table>",  # an unescaped <
])
def test_anything_else_goes_to_beautifulsoup(html):
    assert E._align_numbers_plain(html, [0]) is None
    assert E._align_numbers(html, [0]) == _soup(html, [0])


@pytest.mark.parametrize("html", [
    '<table><tr><th halign="left" colspan="2">a</th><th style="x: y;">b</th></tr></table>',  # attributes sorted
    "<table>\n \t<tr> <td> </td><td>\n\n</td><td>a &nbsp;b</td></tr>\n</table>\n",  # blanks
])
def test_same_bytes_as_beautifulsoup_written_html(html):
    assert E._align_numbers_plain(html, [0, 1]) == _soup(html, [0, 1])


def test_no_numeric_column_leaves_the_html():
    html = _html(TABLES["plain"])
    assert E._align_numbers(html, []) == html
