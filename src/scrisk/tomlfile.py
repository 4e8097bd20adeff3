"""Read the TOML files users hand to scrisk (baskets, scenarios, policies, groups) with errors that say where.

One place for what every config reader needs: a missing or unreadable file, a
file that is not UTF-8, and a TOML syntax error each become a one-line
:class:`~scrisk.errors.ScriskError` naming the file (and the line for syntax
errors) and the fix.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from scrisk.errors import ScriskError, UnreadableFileError

__all__ = ["read_config_text", "parse_toml"]


def read_config_text(
    path: str | Path,
    *,
    what: str,
    option: str,
    error: type[ScriskError],
    missing: type[ScriskError] = UnreadableFileError,
) -> str:
    """Return the UTF-8 text of a config file (a BOM is allowed).

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is, for messages ("basket", "scenario", "policy").
    option : str
        The option that named the file ("--baskets"), for messages.
    error : type
        Raised when the file is not UTF-8 text.
    missing : type, default UnreadableFileError
        Raised when the file is missing, a folder, or unreadable.

    Examples
    --------
    >>> from scrisk.errors import ConfigError
    >>> read_config_text("/no/such.toml", what="basket", option="--baskets", error=ConfigError)
    Traceback (most recent call last):
    ...
    scrisk.errors.UnreadableFileError: /no/such.toml: basket file not found; check the path given to --baskets
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise missing(f"{what} file not found; check the path given to {option}", path=str(p)) from None
    except IsADirectoryError:
        raise missing(f"is a folder, not a {what} file; give the TOML file to {option}", path=str(p)) from None
    except OSError as exc:
        raise missing(f"cannot read {what} file: {exc.strerror}", path=str(p)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{what} file is not UTF-8 text ({exc.reason}); save it as UTF-8", path=str(p)) from None


def parse_toml(text: str, *, path: str | None, error: type[ScriskError]) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes ``error`` with the line it is on.

    Examples
    --------
    >>> from scrisk.errors import ConfigError
    >>> parse_toml('a = 1', path="x.toml", error=ConfigError)
    {'a': 1}
    >>> try:
    ...     parse_toml('a = 1\\nb = = 2', path="x.toml", error=ConfigError)
    ... except ConfigError as e:
    ...     print(e.one_line())
    x.toml:2: invalid TOML: Invalid value; fix the syntax (see https://toml.io)
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"line (\d+)", msg)
        short = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise error(f"invalid TOML: {short}; fix the syntax (see https://toml.io)", path=path,
                    line=int(m.group(1)) if m else None) from None
