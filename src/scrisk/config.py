"""The one loader for the TOML files users hand to scrisk: baskets, scenarios, policies, profiles, groups.

Every config file goes the same way:

1. :func:`read_config_text` -- a missing, unreadable or non-UTF-8 file is a
   one-line error naming the file and the option that gave it;
2. :func:`parse_toml` -- a syntax error names the line; nesting deeper than
   :data:`MAX_DEPTH` tables or lists is refused (instead of a RecursionError);
3. :func:`validate` -- the parsed data against a declarative pydantic model
   (a subclass of :class:`ConfigModel`: strict types, no unknown keys, no NaN
   or infinity). The first problem becomes one error with ``file:line`` (the
   line of the key or table, found by :class:`TomlLines`), the key's path
   (``measure[2].cut``, ``rule['kor-ga'].hs`` for a table with a name) and a
   "did you mean" for an unknown key or a value outside a fixed set.

The file kinds declare their models next to their own code
(``scrisk.io.profiles.ProfileFile``, ``scrisk.countries.GroupsFile``,
``scrisk.materials.BasketSpec``/``BasketsFile``,
``scrisk.scenario.spec.ScenarioFile``, ``scrisk.policy.spec.PolicyFile``)
and call :func:`load_config` or :func:`validate`. The building blocks are
here: :func:`number` (bounds, whole numbers, no NaN), :func:`strings` (one
string or a list), :data:`Text`, :func:`nonempty`, :func:`required` (a
required key with its own message) and :class:`Invalid`, which a model's
own validators raise to point at a key below them with the fix. There is
no other path: a check a file kind needs is a validator on its model.

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

import datetime
import difflib
import math
import re
import tomllib
import typing
from pathlib import Path
from typing import Annotated, Any, Iterable, Mapping, Sequence, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from scrisk.errors import ScriskError, UnreadableFileError

__all__ = [
    "ConfigModel",
    "Invalid",
    "Text",
    "number",
    "strings",
    "required",
    "nonempty",
    "TomlLines",
    "read_config_text",
    "parse_toml",
    "validate",
    "load_config",
    "did_you_mean",
    "first_repeat",
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


class Invalid(ValueError):
    """A model validator's complaint, with where it is and the fix.

    ``message`` may use ``{where}`` (the key path, ``measure[2].cut``;
    for a missing key, the table that lacks it), ``{key}`` (the last key),
    ``{table}`` (the path without indexes, as a TOML header writes it:
    ``basket.code``) and ``{value}`` (the value as in the file). A message
    without ``{where}`` is prefixed with ``"{where}: "``. ``at`` is a key path
    below the field or model that raised it (a model validator pointing at
    ``("link", 0, "upstream")``), for the line and the path.

    Examples
    --------
    >>> from pydantic import model_validator
    >>> from scrisk.errors import ConfigError
    >>> class Pair(ConfigModel):
    ...     lo: float = 0.0
    ...     hi: float = 1.0
    ...     @model_validator(mode="after")
    ...     def _ordered(self):
    ...         if self.lo > self.hi:
    ...             raise Invalid("{where} = {value} is above hi; swap them", at=("lo",))
    ...         return self
    >>> text = "lo = 2.0\\nhi = 1.0\\n"
    >>> try:
    ...     validate(Pair, parse_toml(text, path="p.toml", error=ConfigError), text=text, path="p.toml",
    ...              error=ConfigError)
    ... except ConfigError as e:
    ...     print(e.one_line())
    p.toml:1: lo = 2.0 is above hi; swap them
    """

    def __init__(self, message: str, *, at: Sequence[Any] = ()):
        super().__init__(message)
        self.message = message
        self.at = tuple(at)


def _check_number(v: Any, *, lo: float | None, hi: float | None, integer: bool, share: bool, example: str) -> Any:
    kind = "a whole number" if integer else "a number"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise Invalid(f"{{where}} = {{value}} is not {kind}; write e.g. {{key}} = {example}")
    if isinstance(v, float) and not math.isfinite(v):
        raise Invalid(f"{{where}} = {{value}} is not a finite number (NaN or infinity); give {kind}, "
                      f"e.g. {{key}} = {example}")
    if integer and not isinstance(v, int):
        raise Invalid(f"{{where}} = {{value}} is not a whole number; write e.g. {{key}} = {example}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        if lo is not None and hi is not None:
            rng = f"between {lo:g} and {hi:g}"
        else:
            rng = f"at least {lo:g}" if lo is not None else f"at most {hi:g}"
        note = " (shares and HHIs are on the 0-1 scale: 0.9 means 90%)" if share and v > 1 else ""
        raise Invalid(f"{{where}} = {{value}} is out of range; give a value {rng}{note}")
    return int(v) if integer else float(v)


def number(*, lo: float | None = None, hi: float | None = None, integer: bool = False, share: bool = False,
           example: str | None = None) -> Any:
    """A config number type: booleans, text, NaN, infinity and values outside ``[lo, hi]`` are refused with the fix.

    ``share`` adds the 0-1 scale hint to a value above 1; ``integer`` wants
    a whole number. Give a field of this type a default (``= None``) to make
    it optional.

    Examples
    --------
    >>> from scrisk.errors import ConfigError
    >>> class Cut(ConfigModel):
    ...     cut: number(lo=0, hi=1, share=True) = 1.0
    >>> for text in ("cut = 0.5", "cut = 90", "cut = nan", 'cut = "half"'):
    ...     try:
    ...         print(validate(Cut, parse_toml(text, path="c.toml", error=ConfigError), text=text, path="c.toml",
    ...                        error=ConfigError).cut)
    ...     except ConfigError as e:
    ...         print(e.one_line())
    0.5
    c.toml:1: cut = 90 is out of range; give a value between 0 and 1 (shares and HHIs are on the 0-1 scale: 0.9 means 90%)
    c.toml:1: cut = nan is not a finite number (NaN or infinity); give a number, e.g. cut = 0.5
    c.toml:1: cut = 'half' is not a number; write e.g. cut = 0.5
    """
    ex = example or ("3" if integer else "0.5" if hi is not None and hi <= 1 else "1.5")

    def check(v: Any) -> Any:
        return _check_number(v, lo=lo, hi=hi, integer=integer, share=share, example=ex)

    return Annotated[int if integer else float, BeforeValidator(check)]


def strings(*, split: bool = True, nonempty: bool = False, hs: bool = False) -> Any:
    """A config list of strings: one string or a list of them, stripped, repeats dropped.

    ``split`` also splits each string on commas (``"CHN, RUS"``);
    ``nonempty`` refuses an empty list; ``hs`` explains that a number is an
    HS code written without quotes (its leading zeros lost).
    """

    def check(v: Any) -> tuple[str, ...]:
        items = [v] if isinstance(v, str) else v
        if not isinstance(items, list) or (nonempty and not items):
            raise Invalid("{where} must be a string or a " + ("non-empty " if nonempty else "")
                          + 'list of strings, e.g. {key} = ["..."]')
        out: list[str] = []
        for x in items:
            if hs and isinstance(x, int) and not isinstance(x, bool):
                raise Invalid(f"{{where}} holds {x}, a number; write HS codes as quoted strings so leading zeros are "
                              f'kept, e.g. {{key}} = ["{x:06d}"]')
            if not isinstance(x, str) or not x.strip():
                raise Invalid(f"{{where}} holds {_show(x)}, not a non-empty string")
            if split:
                out.extend(p.strip() for p in x.split(",") if p.strip())
            else:
                out.append(x.strip())
        return tuple(dict.fromkeys(out))

    return Annotated[tuple[str, ...], BeforeValidator(check)]


def _text(v: Any) -> str:
    if isinstance(v, (datetime.date, datetime.time)):  # a TOML date (effective = 2023-08-01) or datetime
        return v.isoformat()
    if not isinstance(v, str):
        raise Invalid("{where} = {value} must be a string (in quotes)")
    return v.strip()


Text = Annotated[str, BeforeValidator(_text)]
"""A config text: a string (stripped) or a TOML date, kept as its ISO text."""


def nonempty(fix: str) -> Any:
    """A validator (for ``Annotated[Text, nonempty(...)]``) refusing an empty text with ``fix``."""

    def check(v: str) -> str:
        if not v:
            raise Invalid("{where} is empty; " + fix)
        return v

    return AfterValidator(check)


def required(missing: str) -> Any:
    """A required field whose absence is reported as ``missing`` (placeholders as in :class:`Invalid`).

    ``{where}`` is the table that lacks the key: ``exporters: ... =
    required("{where} has no exporters; add exporters = [\"CHN\"]")``.
    """
    return Field(json_schema_extra={"missing": missing})


def first_repeat(values: Iterable[Any]) -> int | None:
    """Position of the first value that repeats an earlier one (a key defined twice), or None.

    Examples
    --------
    >>> first_repeat(["gallium", "indium", "gallium"]), first_repeat(["a", "b"])
    (2, None)
    """
    seen: set[Any] = set()
    for i, v in enumerate(values):
        if v in seen:
            return i
        seen.add(v)
    return None


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


_NOT_FOUND = object()


def _value_at(data: Any, loc: Sequence[Any]) -> Any:
    """The raw value at ``loc`` in the parsed data (``_NOT_FOUND`` when there is none)."""
    cur = data
    for part in loc:
        if isinstance(part, int) and isinstance(cur, list) and -len(cur) <= part < len(cur):
            cur = cur[part]
        elif isinstance(cur, Mapping) and part in cur:
            cur = cur[part]
        else:
            return _NOT_FOUND
    return cur


def _where(loc: Sequence[Any], prefix: Sequence[Any] = (), data: Any = None) -> str:
    """A readable key path: ``rule[2].max_top_share``, or ``rule['kor-ga'].max_top_share`` for a named table."""
    out = ""
    for part in prefix:
        out += ("." if out else "") + str(part)
    cur = data
    for part in loc:
        if isinstance(part, int):
            cur = cur[part] if isinstance(cur, list) and -len(cur) <= part < len(cur) else None
            name = cur.get("name") if isinstance(cur, Mapping) else None
            out += f"[{name!r}]" if isinstance(name, str) and 0 < len(name) <= 40 else f"[{part + 1}]"
        else:
            cur = cur.get(part) if isinstance(cur, Mapping) else None
            out += ("." if out else "") + str(part)
    return out


def _model_at(model: type[BaseModel], loc: Sequence[Any]) -> type[BaseModel] | None:
    """The model class that holds the last key of ``loc`` (for the allowed keys of an unknown one)."""
    current: Any = model
    dict_key = False
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if dict_key:  # the key of a dict of models (a profile or group name)
            dict_key = False
            continue
        field = _field(current, part)
        if field is None:
            return None
        dict_key = typing.get_origin(field.annotation) is dict or any(
            typing.get_origin(a) is dict for a in typing.get_args(field.annotation))
        current = _inner_model(field.annotation)
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field(model: Any, key: Any):
    """The pydantic field of ``model`` called (or aliased) ``key``, else None."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    return model.model_fields.get(key) or next((f for f in model.model_fields.values() if f.alias == key), None)


def _inner_model(ann: Any) -> Any:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in typing.get_args(ann) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _keys_of(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _strip_dict_key(model: type[BaseModel], loc: tuple) -> tuple:
    """Pydantic names the union member in a loc (``'str'``, ``'int'``): drop those parts."""
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
            current = _inner_model(field.annotation) if field is not None else current
    return tuple(out)


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, Mapping):
        return "a table"
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


_TOKENS = re.compile(r"\{(where|key|table|value)\}")


def _fill(template: str, *, where: str, key: str, table: str, value: str) -> str:
    if "{where}" not in template and where:
        template = "{where}: " + template
    parts = {"where": where, "key": key, "table": table, "value": value}
    return _TOKENS.sub(lambda m: parts[m.group(1)], template)


def _type_name(msg: str) -> str:
    kind = msg.removeprefix("Input should be a valid ").removeprefix("Input should be ")
    if kind.startswith("dictionary"):  # "dictionary or instance of EngineSpec": a TOML table
        return "table"
    return {"list": "list (an array)", "tuple": "list (an array)"}.get(kind, kind)


def _message(err: Mapping[str, Any], model: type[BaseModel], loc: tuple, prefix: Sequence[Any], data: Any) -> str:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    where = _where(loc, prefix, data)
    key = next((str(p) for p in reversed(loc) if not isinstance(p, int)), "")
    table = ".".join(str(p) for p in (*prefix, *loc) if not isinstance(p, int))
    if kind in ("value_error", "assertion_error") and isinstance(ctx.get("error"), Invalid):
        found = _value_at(data, loc)
        return _fill(ctx["error"].message, where=where, key=key, table=table,
                     value=_show(value if found is _NOT_FOUND else found))
    if kind == "extra_forbidden":
        allowed = _keys_of(_model_at(model, loc))
        parent = _where(loc[:-1], prefix, data)
        return (f"unknown key {key!r}{' in ' + parent if parent else ''}{did_you_mean(key, allowed)}"
                + (f" (allowed: {', '.join(allowed)})" if allowed else ""))
    if kind == "missing":
        parent = _where(loc[:-1], prefix, data) or "the file"
        field = _field(_model_at(model, loc), loc[-1]) if loc else None
        extra = (field.json_schema_extra or {}) if field is not None and isinstance(field.json_schema_extra, dict) \
            else {}
        template = extra.get("missing") or "{where} lacks the required key '{key}'"
        return _fill(template, where=parent, key=key, table=table, value="")
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        choices = re.findall(r"'([^']*)'", str(expected)) or [c for c in re.split(r",\s*|\s+or\s+", str(expected)) if c]
        if err.get("_dict_key"):  # a key of a table of choices: import_reliance = {refinry = 0.5}
            return (f"{_where(loc[:-1], prefix, data)} has the key {_show(value)}, not one of "
                    f"{', '.join(choices) or expected}{did_you_mean(value, choices)}")
        return (f"{where} = {_show(value)} is not one of {', '.join(choices) or expected}"
                f"{did_you_mean(value, choices)}")
    if kind == "finite_number":
        return f"{where} = {_show(value)} is not a finite number (NaN or infinity); give a number"
    if kind == "list_type" and isinstance(value, Mapping):
        return (f"{where} is a single [{table}] table; write [[{table}]] (double brackets: an array of tables), "
                "one per entry")
    if kind in ("value_error", "assertion_error"):
        msg = str(err.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return f"{where}: {msg}" if where else msg
    if kind.endswith("_type"):
        return f"{where} = {_show(value)} must be a {_type_name(str(err.get('msg', '')))}"
    msg = str(err.get("msg", "invalid value"))
    msg = msg[0].lower() + msg[1:] if msg else msg
    return f"{where} = {_show(value)}: {msg}" if where else f"{msg}: {_show(value)}"


def validate(model: type[M], data: Any, *, text: str, path: str | None, error: type[ScriskError],
             prefix: Sequence[Any] = (), lines: TomlLines | None = None, context: Any = None) -> M:
    """Validate parsed TOML ``data`` against ``model``; the first problem raises ``error`` with file:line.

    ``prefix`` is the key path of ``data`` inside the file (for a table
    validated on its own, e.g. ``("tool", "scrisk")`` of a pyproject.toml),
    used for line numbers and messages. ``context`` reaches the model's
    validators (``info.context``).
    """
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        errs = exc.errors(include_url=False)
        # report the error nearest the top of the file: what a reader fixes first
        lines = lines or TomlLines(text)
        ranked = []
        for e in errs:
            if "[key]" in e["loc"]:  # the key of a table failed, not its value
                e = {**e, "_dict_key": True}
            loc = _strip_dict_key(model, tuple(e["loc"]))
            inv = (e.get("ctx") or {}).get("error")
            if isinstance(inv, Invalid):
                loc = loc + inv.at
            ranked.append((lines.line((*prefix, *loc)) or 0, loc, e))
        # union members each report; prefer the most specific message (an unknown key, a bad choice)
        order = {"extra_forbidden": 0, "missing": 1, "literal_error": 2, "enum": 2, "value_error": 3,
                 "finite_number": 3}
        # an unknown key first, then a wrong value, then a missing key (its line is only its table's)
        ranked.sort(key=lambda r: (r[2]["type"] != "extra_forbidden", r[2]["type"] == "missing", r[0],
                                   order.get(r[2]["type"], 5)))
        line, loc, e = ranked[0]
        same = [r[2] for r in ranked if r[1] == loc and r[2]["type"].endswith("_type")]
        if len(same) > 1 and e["type"].endswith("_type"):  # a union: every member failed on its type
            kinds = [_type_name(str(x["msg"])) for x in same]
            where = _where(loc, prefix, data)
            raise error(f"{where} = {_show(e.get('input'))} must be a {' or '.join(dict.fromkeys(kinds))}",
                        path=path, line=line or None) from None
        raise error(_message(e, model, loc, prefix, data), path=path, line=line or None) from None


def load_config(path: str | Path, model: type[M], *, what: str, option: str, error: type[ScriskError],
                missing: type[ScriskError] = UnreadableFileError) -> tuple[M, str]:
    """Read, parse and validate a config file; return the model and the text (for later line look-ups)."""
    text = read_config_text(path, what=what, option=option, error=error, missing=missing)
    data = parse_toml(text, path=str(path), error=error)
    return validate(model, data, text=text, path=str(path), error=error), text
