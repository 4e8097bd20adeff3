"""Named column-mapping profiles for tidy and customs files (TOML).

A profile file holds one table per data source::

    [profiles.kcs]                 # Korea Customs Service export, cp949
    exporter = "수출국"
    importer = "수입국"
    hs = "품목코드"
    value = "금액"
    value_unit = "kusd"
    encoding = "cp949"
    year = 2024                    # an integer: the year of every row
    # year = "연도"                # a string: the column holding the year

Keys: the canonical names ``year, exporter, importer, hs, value, qty``
(file column names; ``year`` may instead be an integer), plus
``value_unit`` (usd|kusd), ``qty_unit`` (kg|t), ``encoding``, ``source``
and ``hs_revision``. A ``columns`` sub-table may hold the column keys
instead. Options given explicitly (``--columns``, ``--value-unit``,
``--year``, ``--encoding``...) override the profile.

The profile file is ``--profiles FILE``; without it, ``scrisk.toml`` in
the current directory is used when present.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

from scrisk.errors import ConfigError, UsageError

__all__ = ["load_profiles", "resolve_options", "COLUMN_KEYS", "DEFAULT_PROFILE_FILE"]

COLUMN_KEYS = ("year", "exporter", "importer", "hs", "value", "qty", "month", "revision")
_OPTION_KEYS = ("value_unit", "qty_unit", "encoding", "source", "hs_revision")
DEFAULT_PROFILE_FILE = "scrisk.toml"


def load_profiles(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read ``[profiles.NAME]`` tables from a TOML file.

    Raises
    ------
    ConfigError
        When the file is missing, is not TOML, or a profile has unknown keys.
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError("profile file not found; check --profiles", path=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the profile file ({exc}); save it as UTF-8 text", path=str(p)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}; fix the syntax", path=str(p)) from None
    profiles = data.get("profiles")
    if not isinstance(profiles, dict) or not profiles:
        raise ConfigError("no [profiles.NAME] tables; write e.g. [profiles.kcs] exporter = \"...\"", path=str(p))
    out: dict[str, dict[str, Any]] = {}
    allowed = set(COLUMN_KEYS) | set(_OPTION_KEYS) | {"columns"}
    for name, table in profiles.items():
        if not isinstance(table, dict):
            raise ConfigError(f"profiles.{name} must be a table", path=str(p))
        flat = dict(table)
        cols = flat.pop("columns", {})
        if not isinstance(cols, dict):
            raise ConfigError(f"profiles.{name}.columns must be a table", path=str(p))
        flat.update(cols)
        unknown = sorted(set(flat) - allowed)
        if unknown:
            raise ConfigError(
                f"profiles.{name} has unknown keys {unknown}; allowed: {', '.join(sorted(allowed - {'columns'}))}",
                path=str(p),
            )
        for k in COLUMN_KEYS:
            if k in flat and not isinstance(flat[k], str) and not (k == "year" and isinstance(flat[k], int)):
                raise ConfigError(f"profiles.{name}.{k} must be a column name (string)", path=str(p))
        out[str(name)] = flat
    return out


def resolve_options(options):
    """Return ``options`` with its named profile merged in (explicit options win).

    Examples
    --------
    >>> from scrisk.io.options import ReadOptions
    >>> resolve_options(ReadOptions()) == ReadOptions()
    True
    """
    if not options.profile:
        return options
    path = options.profiles
    if path is None:
        default = Path.cwd() / DEFAULT_PROFILE_FILE
        if not default.is_file():
            raise UsageError(
                f"--profile {options.profile!r} needs a profile file: pass --profiles FILE.toml "
                f"(or put {DEFAULT_PROFILE_FILE} in the current directory)"
            )
        path = default
    profiles = load_profiles(path)
    if options.profile not in profiles:
        raise UsageError(
            f"profile {options.profile!r} not in {path}; available: {', '.join(sorted(profiles))}"
        )
    prof = profiles[options.profile]
    columns = {k: v for k, v in prof.items() if k in COLUMN_KEYS and isinstance(v, str)}
    columns.update(options.columns or {})
    changes: dict[str, Any] = {"columns": columns or None}
    for k in _OPTION_KEYS:
        if getattr(options, k, None) in (None, "") and k in prof:
            changes[k] = prof[k]
    if isinstance(prof.get("year"), int) and not options.years and "year" not in (options.columns or {}):
        changes["years"] = (int(prof["year"]),)
        columns.pop("year", None)
    return dataclasses.replace(options, **changes)
