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
``value_unit`` (usd|kusd), ``qty_unit`` (kg|t), ``encoding``, ``decimal`` (. or ,),
``source`` and ``hs_revision``. A ``columns`` sub-table may hold the column keys
instead. Options given explicitly (``--columns``, ``--value-unit``,
``--year``, ``--encoding``...) override the profile.

The profile file is ``--profiles FILE``; without it, ``scrisk.toml`` in
the current directory is used when present.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Literal, Optional, Union

from pydantic import StrictInt, StrictStr, field_validator

from scrisk.config import ConfigModel, TomlLines, load_config
from scrisk.errors import ConfigError, UsageError

__all__ = ["load_profiles", "resolve_options", "COLUMN_KEYS", "DEFAULT_PROFILE_FILE", "Profile", "ProfileFile"]

COLUMN_KEYS = ("year", "exporter", "importer", "hs", "value", "qty", "month", "revision")
_OPTION_KEYS = ("value_unit", "qty_unit", "encoding", "decimal", "source", "hs_revision")
DEFAULT_PROFILE_FILE = "scrisk.toml"


class ProfileColumns(ConfigModel):
    """The ``columns`` sub-table of a profile: canonical name -> file column."""

    year: Optional[Union[StrictStr, StrictInt]] = None
    exporter: Optional[StrictStr] = None
    importer: Optional[StrictStr] = None
    hs: Optional[StrictStr] = None
    value: Optional[StrictStr] = None
    qty: Optional[StrictStr] = None


class Profile(ProfileColumns):
    """One ``[profiles.NAME]`` table (see the module docstring)."""

    value_unit: Optional[Literal["usd", "kusd"]] = None
    qty_unit: Optional[Literal["kg", "t"]] = None
    encoding: Optional[StrictStr] = None
    decimal: Optional[Literal[".", ","]] = None
    source: Optional[Literal["baci", "baci-zip", "comtrade", "tidy", "parquet"]] = None
    hs_revision: Optional[StrictStr] = None
    columns: Optional[ProfileColumns] = None

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v):
        from scrisk.io.options import check_encoding

        try:
            return check_encoding(v, option="encoding =")
        except UsageError as exc:
            raise ValueError(exc.message) from None

    @field_validator("year")
    @classmethod
    def _plausible_year(cls, v):
        from scrisk.io.options import check_years

        if isinstance(v, int):
            try:
                check_years((v,), option="year =")
            except UsageError as exc:
                raise ValueError(exc.message) from None
        return v

    def flat(self) -> dict[str, Any]:
        """The keys given, the ``columns`` sub-table merged in."""
        out = self.model_dump(exclude_none=True, exclude={"columns"})
        if self.columns is not None:
            out.update(self.columns.model_dump(exclude_none=True))
        return out


class ProfileFile(ConfigModel):
    """A profile file: ``[profiles.NAME]`` tables (other top-level tables of scrisk.toml are left alone)."""

    model_config = {**ConfigModel.model_config, "extra": "ignore"}

    profiles: dict[str, Profile] = {}


def load_profiles(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read ``[profiles.NAME]`` tables from a TOML file.

    Raises
    ------
    ConfigError
        When the file is missing, is not TOML, or a profile has an unknown
        key or a bad value (with the file, the line and a suggestion).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "scrisk.toml")
    >>> _ = open(p, "w").write('[profiles.kcs]\\nexporter = "i"\\nvalue_unit = "kusdd"\\n')
    >>> try:
    ...     load_profiles(p)
    ... except ConfigError as e:
    ...     print(e.one_line().replace(p, "scrisk.toml"))
    scrisk.toml:3: profiles.kcs.value_unit = 'kusdd' is not one of usd, kusd; did you mean 'kusd'?
    """
    p = Path(path)
    parsed, text = load_config(p, ProfileFile, what="profile", option="--profiles", error=ConfigError,
                               missing=ConfigError)
    if not parsed.profiles:
        raise ConfigError("no [profiles.NAME] tables; write e.g. [profiles.kcs] exporter = \"...\"", path=str(p))
    lines = TomlLines(text)
    out: dict[str, dict[str, Any]] = {}
    for name, prof in parsed.profiles.items():
        flat = prof.flat()
        flat["_line"] = lines.line(("profiles", name))
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
    prof = {k: v for k, v in profiles[options.profile].items() if k != "_line"}
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
