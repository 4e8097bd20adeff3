"""Text from inputs made safe for each output: the one place cells and lines are neutralised.

Rule names, labels, file names and codes come from files users were handed;
they reach spreadsheets, Markdown, JUnit XML, terminals and CI logs. Each
output has its own hazard:

* CSV: a cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR is run as a
  formula by spreadsheet programs (``=HYPERLINK(...)``, ``=cmd|...``):
  :func:`csv_cell` prefixes it with ``'`` (the OWASP CSV-injection advice).
  Numbers are never touched: a negative number stays a number.
* Markdown tables: a newline or ``|`` breaks the table, raw HTML is rendered:
  :func:`md_cell` escapes them.
* XML 1.0 cannot hold most control characters at all: :func:`xml_text` drops
  them (and escapes ``& < > "``).
* Text lines: a raw newline in a name can start a new line with ``::error::``,
  a GitHub Actions workflow command: :func:`one_line` shows control characters
  as escapes and :func:`text_line` never lets a line start with ``::``.
"""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["one_line", "text_line", "text_block", "csv_cell", "md_cell", "xml_text", "xml_chars", "FORMULA_START", "PLAIN_NUMBER_RE"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER_RE = r"[+-]?[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?"
"""A number as text (``-5``, ``+1.5e3``): a spreadsheet reads it as a number, never a formula, so it is kept."""
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER_RE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
_XML_BAD = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape_control(m: re.Match) -> str:
    c = m.group(0)
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c, f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}")


def one_line(s: Any) -> str:
    """Return ``s`` as one line: newlines, CR, tabs and other control characters shown as escapes.

    Examples
    --------
    >>> one_line("rule\\n::error::x")
    'rule\\\\n::error::x'
    >>> one_line("a\\x1bb")
    'a\\\\x1bb'
    """
    return _CONTROL.sub(_escape_control, str(s))


def text_line(s: Any) -> str:
    """Return one line for human text output that never starts with ``::`` (a CI workflow command).

    Examples
    --------
    >>> text_line("::error::owned")
    ' ::error::owned'
    >>> text_line("ok")
    'ok'
    """
    line = one_line(s)
    return " " + line if line.lstrip().startswith("::") and not line.startswith(" ") else line


def text_block(text: str) -> str:
    """Return multi-line text with no line starting with ``::`` (each line kept, none injected).

    Examples
    --------
    >>> text_block("a\\n::warning::b")
    'a\\n ::warning::b'
    """
    return "\n".join(" " + ln if ln.startswith("::") else ln for ln in text.split("\n"))


def csv_cell(v: Any) -> Any:
    """Return a CSV cell a spreadsheet will not run as a formula; non-text values unchanged.

    Examples
    --------
    >>> csv_cell("=HYPERLINK(\\"http://x\\")"), csv_cell("@SUM(A1)"), csv_cell("KOR"), csv_cell(-3.5)
    ('\\'=HYPERLINK("http://x")', "'@SUM(A1)", 'KOR', -3.5)
    >>> csv_cell("-5"), csv_cell("-1+2")
    ('-5', "'-1+2")
    """
    if isinstance(v, str) and v and v[0] in FORMULA_START and not _PLAIN_NUMBER.fullmatch(v):
        return "'" + v
    return v


def md_cell(v: Any) -> str:
    """Return text safe inside a Markdown table cell: no newline, no bare ``|``, HTML escaped.

    Examples
    --------
    >>> md_cell("a|b\\n<script>x</script>")
    'a\\\\|b<br>&lt;script&gt;x&lt;/script&gt;'
    """
    s = html.escape(str(v), quote=False)
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
    s = _CONTROL.sub("", s)
    return s.replace("|", "\\|")


def xml_chars(v: Any) -> str:
    """Return text with the characters XML 1.0 cannot hold dropped (no escaping: for a serialiser's input).

    Examples
    --------
    >>> xml_chars("rule\\x1b[31m\\x00")
    'rule[31m'
    """
    return _XML_BAD.sub("", str(v))


def xml_text(v: Any) -> str:
    """Return text valid in XML 1.0 (characters XML cannot hold dropped; ``& < > "`` escaped).

    Examples
    --------
    >>> xml_text('a\\x00b<c> & "d"')
    'ab&lt;c&gt; &amp; &quot;d&quot;'
    """
    return html.escape(_XML_BAD.sub("", str(v)), quote=True).replace("&#x27;", "'")
