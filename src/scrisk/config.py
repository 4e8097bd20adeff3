"""The one loader for the TOML files users hand to scrisk: baskets, scenarios, policies, profiles, groups.

Every config file goes the same way:

1. :func:`read_config_text` -- a missing, unreadable or non-UTF-8 file is a
   one-line error naming the file and the option that gave it;
2. :func:`parse_toml` -- a syntax error names the line; nesting deeper than
   :data:`MAX_DEPTH` tables or lists is refused (instead of a RecursionError);
3. :func:`validate` -- the parsed data against a declarative pydantic model
   (a subclass of :class:`ConfigModel`: strict types, no unknown keys, no NaN
   or infinity). The first problem becomes one error with ``file:line`` (the
   line of the key or table, found by :class:`TomlLines`) and a "did you
   mean" for an unknown key or a value outside a fixed set.

The file kinds declare their models next to their own code
(``scrisk.io.profiles.ProfileFile``, ``scrisk.countries.GroupsFile``,
``scrisk.materials.BasketFile``, ``scrisk.scenario.spec.ScenarioFile``,
``scrisk.policy.spec.PolicyFile``) and call :func:`load_config` or
:func:`validate`.

Examples
--------
>>> from scrisk.errors import ConfigError
>>> class Unit(ConfigModel):
...     unit: str = "usd"
...     share: float = 0.5
>>> validate(Unit, parse_toml('unit = "kusd"', path="u.toml", error=ConfigError), text='unit = "kusd"',
...          path="u.toml", error=ConfigError).unit
'kusd'
>>> text = 'share = 0.5\\nunti = "usd"\\n'
>>> try:
...     validate(Unit, parse_toml(text, path="u.toml", error=ConfigError), text=text, path="u.toml", error=ConfigError)
... except ConfigError as e:
...     print(e.one_line())
u.toml:2: unknown key 'unti'; did you mean 'unit'? (allowed: unit, share)
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from scrisk.errors import ScriskError, UnreadableFileError

__all__ = [
    "ConfigModel",
    "TomlLines",
    "read_config_text",
    "parse_toml",
    "validate",
    "load_config",
    "did_you_mean",
    "MAX_DEPTH",
]

MAX_DEPTH = 64
"""Deepest nesting of tables and lists a config file may have (real files use 3)."""

M = TypeVar("M", bound=BaseModel)


class ConfigModel(BaseModel):
    """Base of every config model: strict types, unknown keys refused, no NaN or infinity, frozen."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True,
                              populate_by_name=True)


# ---------------------------------------------------------------------------
# reading and parsing


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
        raise missing(f"cannot read {what} file: {exc.strerror}; check the path given to {option}",
                      path=str(p)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(f"{what} file is not UTF-8 text ({exc.reason}); save it as UTF-8", path=str(p),
                    line=line) from None


_OPENERS = re.compile(r"[\[{]")


def _depth_line(text: str) -> int | None:
    """The line where nesting first goes past MAX_DEPTH (brackets outside strings and comments), else None."""
    depth, line, quote = 0, 1, None
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            if quote in ('"', "'"):
                quote = None
        elif quote:
            if text.startswith(quote, i) and (len(quote) == 3 or text[i - 1] != "\\" or quote == "'"):
                i += len(quote)
                quote = None
                continue
        elif c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            i += len(quote)
            continue
        elif c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    return None


def parse_toml(text: str, *, path: str | None, error: type[ScriskError]) -> dict[str, Any]:
    """Parse TOML text; a syntax error (or nesting past :data:`MAX_DEPTH`) becomes ``error`` with its line.

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
    >>> try:
    ...     parse_toml('a = ' + '[' * 5000 + ']' * 5000, path="x.toml", error=ConfigError)
    ... except ConfigError as e:
    ...     print(e.one_line())
    x.toml:1: nested more than 64 levels deep; a scrisk config needs 3 at most: flatten it
    """
    if _OPENERS.search(text) and text.count("[") + text.count("{") > MAX_DEPTH:
        deep = _depth_line(text)
        if deep is not None:
            raise error(f"nested more than {MAX_DEPTH} levels deep; a scrisk config needs 3 at most: flatten it",
                        path=path, line=deep)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"line (\d+)", msg)
        short = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise error(f"invalid TOML: {short}; fix the syntax (see https://toml.io)", path=path,
                    line=int(m.group(1)) if m else None) from None
    except RecursionError:
        raise error(f"nested too deeply to read; a scrisk config needs 3 levels at most: flatten it",
                    path=path) from None


# ---------------------------------------------------------------------------
# where each key is


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _split_dotted(s: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", s)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


class TomlLines:
    """The 1-based line of every table header and key of a TOML text, by key path.

    A path is a tuple of keys and, for arrays of tables, 0-based indexes:
    ``("rule", 1, "max_top_share")`` is the key in the second ``[[rule]]``.
    :meth:`line` falls back to the nearest enclosing table or key found.

    Examples
    --------
    >>> t = TomlLines('title = "x"\\n[[rule]]\\nname = "a"\\n[[rule]]\\nname = "b"\\ncut = 2\\n[profiles.kcs]\\nyear = 1\\n')
    >>> t.line(("title",)), t.line(("rule", 1, "cut")), t.line(("rule", 1, "nope")), t.line(("profiles", "kcs", "year"))
    (1, 6, 4, 8)
    """

    def __init__(self, text: str):
        self.lines: dict[tuple, int] = {}
        counts: dict[tuple, int] = {}
        table: tuple = ()
        in_multiline: str | None = None
        for no, raw in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if raw.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            m = _HEADER.match(raw)
            if m and not _KEY.match(raw):
                keys = _split_dotted(m.group(2))
                if m.group(1) == "[[":
                    base = self._resolve(keys[:-1]) + (keys[-1],)
                    idx = counts.get(base, 0)
                    counts[base] = idx + 1
                    table = base + (idx,)
                else:
                    table = self._resolve(keys[:-1]) + (keys[-1],) if keys else ()
                self.lines.setdefault(table, no)
                continue
            k = _KEY.match(raw)
            if k:
                path = table + _split_dotted(k.group(1))
                self.lines.setdefault(path, no)
                rest = raw[k.end():]
                for q in ('"""', "'''"):
                    if rest.count(q) % 2 == 1:
                        in_multiline = q

    def _resolve(self, keys: tuple) -> tuple:
        """Map header keys onto the path of the last array element they name (``[[a]]`` then ``[a.b]``)."""
        out: tuple = ()
        for key in keys:
            out = out + (key,)
            idx = max((p[len(out)] for p in self.lines if len(p) > len(out) and p[: len(out)] == out
                       and isinstance(p[len(out)], int)), default=None)
            if idx is not None:
                out = out + (idx,)
        return out

    def line(self, path: Sequence[Any]) -> int | None:
        """The line of ``path``, else of its nearest enclosing key or table found; None when none is."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


# ---------------------------------------------------------------------------
# validating


def did_you_mean(word: Any, choices: Iterable[str], *, cutoff: float = 0.6) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest choice, or ``""``.

    Examples
    --------
    >>> did_you_mean("kusdd", ["usd", "kusd"]), did_you_mean("zzz", ["usd"])
    ("; did you mean 'kusd'?", '')
    """
    choices = [str(c) for c in choices]
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=cutoff)
    if not close:
        low = {c.lower(): c for c in choices}
        close = [low[str(word).lower()]] if str(word).lower() in low else []
    return f"; did you mean {close[0]!r}?" if close else ""


def _where(loc: Sequence[Any], prefix: Sequence[Any] = ()) -> str:
    """A readable key path: ``rule[2].max_top_share``."""
    out = ""
    for part in (*prefix, *loc):
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(model: type[BaseModel], loc: Sequence[Any]) -> type[BaseModel] | None:
    """The model class that holds the last key of ``loc`` (for the allowed keys of an unknown one)."""
    import typing

    current: Any = model
    dict_key = False
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if dict_key:  # the key of a dict of models (a profile or group name)
            dict_key = False
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None)
        if field is None:
            return None
        dict_key = typing.get_origin(field.annotation) is dict or any(
            typing.get_origin(a) is dict for a in typing.get_args(field.annotation))
        current = _inner_model(field.annotation, typing)
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(ann: Any, typing) -> Any:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in typing.get_args(ann) or ():
        found = _inner_model(arg, typing)
        if found is not None:
            return found
    return None


def _keys_of(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _strip_dict_key(model: type[BaseModel], loc: tuple) -> tuple:
    """Pydantic names the union member in a loc (``'str'``, ``'int'``): drop those parts."""
    import typing

    out = []
    current: Any = model
    for part in loc:
        if isinstance(part, str) and part in ("str", "int", "float", "bool", "list[str]", "dict[str,any]") \
                and not (isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields):
            continue
        if "[" in str(part) or str(part).startswith(("function-", "literal[", "tagged-union")):
            continue
        out.append(part)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            field = current.model_fields.get(part)
            current = _inner_model(field.annotation, typing) if field is not None else current
    return tuple(out)


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(err: Mapping[str, Any], model: type[BaseModel], loc: tuple, prefix: Sequence[Any]) -> str:
    kind = err["type"]
    where = _where(loc, prefix)
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        allowed = _keys_of(_model_at(model, loc))
        hint = did_you_mean(key, allowed)
        parent = _where(loc[:-1], prefix)
        return (f"unknown key {key!r}{' in ' + parent if parent else ''}{hint}"
                + (f" (allowed: {', '.join(allowed)})" if allowed else ""))
    if kind == "missing":
        parent = _where(loc[:-1], prefix)
        return f"{parent or 'the file'} lacks the required key {str(loc[-1])!r}"
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        choices = re.findall(r"'([^']*)'", str(expected))
        return (f"{where} = {_show(value)} is not one of {', '.join(choices) or expected}"
                f"{did_you_mean(value, choices)}")
    if kind == "finite_number":
        return f"{where} = {_show(value)} must be a finite number, not NaN or infinity"
    if kind in ("value_error", "assertion_error"):
        msg = str(err.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return f"{where}: {msg}" if where else msg
    msg = str(err.get("msg", "invalid value"))
    msg = msg[0].lower() + msg[1:] if msg else msg
    return f"{where} = {_show(value)}: {msg}" if where else f"{msg}: {_show(value)}"


def validate(model: type[M], data: Any, *, text: str, path: str | None, error: type[ScriskError],
             prefix: Sequence[Any] = (), lines: TomlLines | None = None, context: Any = None) -> M:
    """Validate parsed TOML ``data`` against ``model``; the first problem raises ``error`` with file:line.

    ``prefix`` is the key path of ``data`` inside the file (for a table
    validated on its own, e.g. ``("rule", 2)``), used for line numbers and
    messages.
    """
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        errs = exc.errors(include_url=False)
        # report the error nearest the top of the file: what a reader fixes first
        lines = lines or TomlLines(text)
        ranked = []
        for e in errs:
            loc = _strip_dict_key(model, tuple(e["loc"]))
            ranked.append((lines.line((*prefix, *loc)) or 0, loc, e))
        # union members each report; prefer the most specific message (an unknown key, a bad choice)
        order = {"extra_forbidden": 0, "missing": 1, "literal_error": 2, "enum": 2, "value_error": 3,
                 "finite_number": 3}
        ranked.sort(key=lambda r: (r[2]["type"] != "extra_forbidden", r[0], order.get(r[2]["type"], 5)))
        line, loc, e = ranked[0]
        same = [r[2] for r in ranked if r[1] == loc and r[2]["type"].endswith("_type")]
        if len(same) > 1 and e["type"].endswith("_type"):  # a union: every member failed on its type
            kinds = [str(x["msg"]).removeprefix("Input should be a valid ").removeprefix("Input should be ")
                     for x in same]
            where = _where(loc, prefix)
            raise error(f"{where} = {_show(e.get('input'))} must be a {' or '.join(dict.fromkeys(kinds))}",
                        path=path, line=line or None) from None
        raise error(_message(e, model, loc, prefix), path=path, line=line or None) from None


def load_config(path: str | Path, model: type[M], *, what: str, option: str, error: type[ScriskError],
                missing: type[ScriskError] = UnreadableFileError) -> tuple[M, str]:
    """Read, parse and validate a config file; return the model and the text (for later line look-ups)."""
    text = read_config_text(path, what=what, option=option, error=error, missing=missing)
    data = parse_toml(text, path=str(path), error=error)
    return validate(model, data, text=text, path=str(path), error=error), text
