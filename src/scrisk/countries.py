"""Country codes and country groups: the bundled table, BACI release tables, groups as data.

The bundled table (``scrisk/data/countries.csv``) covers

* every ISO 3166-1 entry (249 rows: alpha-3, alpha-2, numeric, short name),
  generated from the ISO 3166-1 database packaged by *pycountry*;
* the numeric codes UN Comtrade and CEPII BACI use instead of the ISO numeric
  code for some countries (``trade_codes``): 842 USA, 251 France, 699 India,
  757 Switzerland, 579 Norway, 381 Italy (BACI V202201), 58 Belgium-Luxembourg,
  280 former West Germany, 736 former Sudan, 490 Taiwan;
* BACI's and Comtrade's non-country partners, each with a code that matches
  the flow schema (``^[A-Z][A-Z0-9]{2}$``) so files load row for row;
* former countries (ISO 3166-3 codes: ANT, CSK, DDR, SUN, SCG, PUS) and old
  alpha-3 codes of renamed countries as aliases (ROM, ZAR, TMP, ...).

Every row has a **kind**:

``country``
    A country or territory, current or former: a bilateral trade partner.
``area``
    An unallocated partner ("not elsewhere specified"): BACI's ``R20``
    (697 Europe EFTA, nes) and ``ZA1`` (711 Southern African Customs Union,
    ...1999), Comtrade's 899 Areas nes, 837 Bunkers, 838 Free Zones, 839
    Special Categories, 568 Other Europe nes... Trade really went there, but
    not to one known country; the value is not counted in any other partner.
    Comtrade areas without a code of their own get one from the ISO 3166
    user-assigned range ``X..`` (``XAN`` Areas nes, ``XBK`` Bunkers, ...).
``aggregate``
    A total over other partners (0 World ``WLD``, 97 European Union ``EUU``):
    never a bilateral flow, counting it would double count.

Taiwan
------
Taiwan is ``TWN`` everywhere in scrisk. Trade data do not say so directly:

* UN Comtrade and BACI code Taiwan as **490 "Other Asia, nes"**;
* BACI V202601 country tables give 490 the ISO3 ``S19`` (an alias of ``TWN``
  here), V202201 tables write ``N/A``;
* ISO 3166-1 gives Taiwan the numeric code 158 (``TW``/``TWN``).

So 490, 158, ``S19`` and ``TWN`` all become ``TWN``, in the bundled table and in
every table read with :meth:`CountryTable.from_baci_file`, whatever the
file writes for 490.

Country groups
--------------
``scrisk/data/country_groups.toml`` lists groups (G7, G20, EU27, OECD, RCEP,
CPTPP, IPEF, ASEAN, BRICS, ...) with their members as ISO3 codes, the date
the list is valid for (``as_of``) and its source. :func:`load_groups` reads
them and :func:`expand_countries` turns a user's ``--importer KOR,EU27``
into ISO3 codes.

Examples
--------
>>> import pandas as pd
>>> t = CountryTable.bundled()
>>> t.numeric_to_iso3(pd.Series([410, 490, 842, 158, 0])).tolist()
['KOR', 'TWN', 'USA', 'TWN', 'WLD']
>>> t.alpha_to_iso3(pd.Series(["s19", "KOR", "KR", "ROM"])).tolist()
['TWN', 'KOR', <NA>, 'ROU']
>>> t.kind_of(pd.Series(["TWN", "R20", "WLD"])).tolist()
['country', 'area', 'aggregate']
>>> expand_countries("g7,-JPN")
('CAN', 'DEU', 'FRA', 'GBR', 'ITA', 'USA')
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

from pydantic import Field, StrictStr, field_validator

from scrisk.errors import ConfigError, FormatDetectionError, UnknownCountryError, UnreadableFileError
from scrisk.config import ConfigModel
from scrisk.resources import package_data

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "COMTRADE_WORLD",
    "TAIWAN_TRADE_CODE",
    "KINDS",
    "CountryTable",
    "CountryGroup",
    "load_groups",
    "expand_countries",
    "period_end",
]

COMTRADE_WORLD = 0
"""Partner code of the World total in UN Comtrade files."""

TAIWAN_TRADE_CODE = 490
"""BACI's and Comtrade's code for "Other Asia, nes", which is Taiwan (``TWN``)."""

KINDS = ("country", "area", "aggregate")

_ISO3 = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_COLUMNS = ["iso3", "iso2", "iso_numeric", "name", "trade_codes", "aliases", "kind"]


def _split_codes(value: str) -> list[str]:
    return [p.strip() for p in str(value).split(";") if p.strip()]


class CountryTable:
    """A lookup table from trade-data country codes to ISO3 codes, names and kinds.

    Build one with :meth:`bundled` or :meth:`from_baci_file`; the constructor
    takes the table as a frame with the columns of ``countries.csv``. Lookups
    are vectorised and return pandas ``string`` Series with ``<NA>`` for
    unknown codes. The table is not meant to be changed after construction.

    Parameters
    ----------
    frame : DataFrame or list of dict
        Columns ``iso3, iso2, iso_numeric, name, trade_codes, aliases, kind``
        (all text; ``iso_numeric`` blank when none), as a frame or as one
        dict per row.
    numeric : dict, optional
        Extra numeric code -> ISO3 entries, taking precedence (used for BACI
        release tables).
    source : str
        Where the table came from (shown in messages and metadata).
    """

    def __init__(self, frame: pd.DataFrame | list[Mapping[str, Any]], *, numeric: Mapping[int, str] | None = None,
                 source: str = "bundled"):
        rows = _table_rows(frame)
        for r in rows:
            r["iso3"] = r["iso3"].upper()
        bad = [r["iso3"] for r in rows if not _ISO3.fullmatch(r["iso3"])]
        if bad:
            raise ConfigError(f"country table has invalid ISO3 codes {sorted(bad)[:5]}; codes must match [A-Z][A-Z0-9]{{2}}", path=source)
        badk = {r["kind"] for r in rows if r["kind"] not in KINDS}
        if badk:
            raise ConfigError(f"country table has unknown kinds {sorted(badk)}; use one of {', '.join(KINDS)}", path=source)
        seen: set[str] = set()
        dup = {r["iso3"] for r in rows if r["iso3"] in seen or seen.add(r["iso3"])}
        if dup:
            raise ConfigError(f"country table repeats ISO3 codes {sorted(dup)[:5]}", path=source)
        self._rows = rows
        self.source = source

        num: dict[int, str] = {}
        alpha: dict[str, str] = {}
        for r in rows:
            for code in ([r["iso_numeric"]] if r["iso_numeric"] else []) + _split_codes(r["trade_codes"]):
                num.setdefault(int(float(code)), r["iso3"])
        for r in rows:
            for a in _split_codes(r["aliases"]):
                alpha.setdefault(a.upper(), r["iso3"])
        for r in rows:
            alpha[r["iso3"]] = r["iso3"]  # an ISO3 code always means itself
        if numeric:
            num.update({int(k): v for k, v in numeric.items()})
        num[TAIWAN_TRADE_CODE] = "TWN"
        alpha.setdefault("S19", "TWN")
        self._num = num
        self._alpha = alpha
        self._iso2 = {r["iso2"].upper(): r["iso3"] for r in rows if r["iso2"] and r["kind"] == "country"}
        self._kind = {r["iso3"]: r["kind"] for r in rows}
        self._name = {r["iso3"]: r["name"] for r in rows}

    # ------------------------------------------------------------ builders

    @classmethod
    def bundled(cls) -> "CountryTable":
        """Return the table shipped with scrisk (read once, then cached).

        Examples
        --------
        >>> CountryTable.bundled() is CountryTable.bundled()
        True
        >>> CountryTable.bundled().name_of("NAM")
        'Namibia'
        """
        return _bundled()

    @classmethod
    def from_baci_file(cls, path: str | Path | io.IOBase) -> "CountryTable":
        """Read a BACI release country table (``country_codes_V*.csv``).

        Both layouts are recognised from the header:

        * V202201 and older: ``country_code, country_name_abbreviation,
          country_name_full, iso_2digit_alpha, iso_3digit_alpha`` (often with
          a UTF-8 byte-order mark and quoted fields; Taiwan's ISO3 is
          ``N/A``);
        * V202301 and newer: ``country_code, country_name, country_iso2,
          country_iso3`` (Taiwan's ISO3 is ``S19``).

        The file decides which ISO3 code a numeric code means for its
        release (e.g. V202201 maps 711 to ``ZAF``, V202601 to ``ZA1``). Codes
        it writes as ``N/A`` or blank, or with a code that is not ISO3-shaped,
        take the bundled table's code; 490 is always ``TWN``. Kinds of codes
        the bundled table knows come from it; others are ``country``, or
        ``area`` when the name says "nes". Cells are read as text
        (``keep_default_na=False``), so Namibia's ISO2 ``NA`` is kept. Files
        that are not UTF-8 are read as Latin-1.

        Parameters
        ----------
        path : str, Path or binary file object

        Raises
        ------
        UnreadableFileError
            Missing, empty or undecodable file.
        FormatDetectionError
            The header matches neither layout, or a country code is not a
            number (message names the line).
        """
        import pandas as pd

        label = str(path) if isinstance(path, (str, Path)) else getattr(path, "name", "<country table>")
        raw = _read_bytes(path, label)
        text = _decode(raw)
        try:
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise UnreadableFileError(
                f"cannot parse the BACI country table ({str(exc).splitlines()[0]}); pass a release country_codes CSV",
                path=label,
            ) from None
        df.columns = [str(c).strip().lower() for c in df.columns]
        if {"country_code", "iso_3digit_alpha"} <= set(df.columns):
            name_col, iso2_col, iso3_col = "country_name_abbreviation", "iso_2digit_alpha", "iso_3digit_alpha"
        elif {"country_code", "country_iso3"} <= set(df.columns):
            name_col, iso2_col, iso3_col = "country_name", "country_iso2", "country_iso3"
        else:
            raise FormatDetectionError(
                "not a BACI country table: expected columns country_code,country_name,country_iso2,country_iso3 "
                "(V202301 and newer) or country_code,...,iso_2digit_alpha,iso_3digit_alpha (V202201); "
                f"found {','.join(df.columns) or 'no header'}",
                path=label,
                line=1,
            )
        for c in (name_col, iso2_col):
            if c not in df.columns:
                df[c] = ""
        codes = pd.to_numeric(df["country_code"].str.strip(), errors="coerce")
        bad = codes.isna() | (codes % 1 != 0)
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise FormatDetectionError(
                f"country_code {df['country_code'].iloc[i]!r} is not a number; fix the row or pass another country table",
                path=label,
                line=i + 2,
            )
        bundled = cls.bundled()
        numeric: dict[int, str] = {}
        rows: dict[str, dict[str, str]] = {}
        for code, name, iso2, iso3 in zip(codes.astype(int), df[name_col], df[iso2_col], df[iso3_col]):
            iso3 = iso3.strip().upper()
            if code == TAIWAN_TRADE_CODE:
                iso3 = "TWN"
            elif not _ISO3.match(iso3):
                iso3 = bundled._num.get(code, "")
            else:
                iso3 = bundled._alpha.get(iso3, iso3)
            if not iso3:
                continue  # unknown to both: reported as an unknown code by the readers
            numeric[code] = iso3
            if iso3 in rows:
                continue
            if iso3 in bundled._kind:
                row = dict(next(r for r in bundled._rows if r["iso3"] == iso3))
                row["trade_codes"], row["iso_numeric"] = "", ""
            else:
                kind = "area" if re.search(r"\bnes\b|not elsewhere", name, re.IGNORECASE) else "country"
                iso2 = iso2.strip().upper()
                row = {"iso3": iso3, "iso2": iso2 if re.fullmatch(r"[A-Z]{2}", iso2) else "", "iso_numeric": "",
                       "name": name.strip(), "trade_codes": "", "aliases": "", "kind": kind}
            rows[iso3] = row
        if not numeric:
            raise FormatDetectionError("the BACI country table has no rows; pass a release country_codes CSV", path=label)
        out = cls(list(rows.values()), numeric=numeric, source=label)
        # ISO3 codes written in the file (e.g. S19) are aliases of what they map to
        for iso3_raw, code in zip(df[iso3_col], codes.astype(int)):
            a = iso3_raw.strip().upper()
            if _ISO3.match(a) and code in numeric:
                out._alpha.setdefault(a, numeric[code])
        return out

    # ------------------------------------------------------------- lookups

    @property
    def frame(self) -> pd.DataFrame:
        """A copy of the table (columns of ``countries.csv``)."""
        import pandas as pd

        return pd.DataFrame(self._rows, columns=_COLUMNS).astype(str)

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return f"CountryTable({len(self)} entries from {self.source})"

    def numeric_to_iso3(self, codes: pd.Series) -> pd.Series:
        """Map numeric codes (ISO numeric, Comtrade/BACI codes) to ISO3.

        Parameters
        ----------
        codes : Series
            Integers, floats (``842.0``) or strings (``" 842"``, ``"076"``).

        Returns
        -------
        Series
            ``string`` dtype, same index; ``<NA>`` for unknown or unparseable codes.

        Examples
        --------
        >>> import pandas as pd
        >>> CountryTable.bundled().numeric_to_iso3(pd.Series([" 76", "699", 251.0, "x", None])).tolist()
        ['BRA', 'IND', 'FRA', <NA>, <NA>]
        """
        import pandas as pd

        s = pd.Series(codes)
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            s = s.astype("string").str.strip()
        num = pd.to_numeric(s, errors="coerce")
        num = num.where(num % 1 == 0)
        mapped = num.map(self._num)
        return pd.Series(mapped, index=s.index, dtype="string")

    def alpha_to_iso3(self, codes: pd.Series, *, iso2: bool = False) -> pd.Series:
        """Map alphabetic codes (ISO3, aliases such as ``S19``) to ISO3, ignoring case and spaces.

        ISO2 codes are not accepted unless ``iso2=True`` (a two-letter column
        is rarely meant and ``NA`` is Namibia).

        Examples
        --------
        >>> import pandas as pd
        >>> t = CountryTable.bundled()
        >>> t.alpha_to_iso3(pd.Series([" chn", "S19", "ZZZ"])).tolist()
        ['CHN', 'TWN', <NA>]
        >>> t.alpha_to_iso3(pd.Series(["NA", "TW"]), iso2=True).tolist()
        ['NAM', 'TWN']
        """
        import pandas as pd

        s = pd.Series(codes).astype("string").str.strip().str.upper()
        mapped = s.map(self._alpha)
        if iso2:
            mapped = mapped.fillna(s.map(self._iso2))
        return pd.Series(mapped, index=s.index, dtype="string")

    def kind_of(self, iso3: pd.Series, *, default: str | None = None) -> pd.Series:
        """Return ``'country'``, ``'area'`` or ``'aggregate'`` per ISO3 code.

        Codes the table does not know get ``default`` (``<NA>`` unless given).
        Aliases are not resolved: pass ISO3 codes.

        Examples
        --------
        >>> import pandas as pd
        >>> t = CountryTable.bundled()
        >>> t.kind_of(pd.Series(["KOR", "XAN", "EUU", "???"])).tolist()
        ['country', 'area', 'aggregate', <NA>]
        >>> t.kind_of(pd.Series(["???"]), default="country").tolist()
        ['country']
        """
        import pandas as pd

        s = pd.Series(iso3).astype("string").str.strip().str.upper()
        out = pd.Series(s.map(self._kind), index=s.index, dtype="string")
        return out if default is None else out.fillna(default)

    def name_of(self, iso3: str) -> str:
        """Return the short name of an ISO3 code (aliases accepted).

        Raises
        ------
        UnknownCountryError
            The code is not in the table.

        Examples
        --------
        >>> CountryTable.bundled().name_of("s19")
        'Taiwan'
        """
        code = self._alpha.get(str(iso3).strip().upper())
        if code is None:
            raise UnknownCountryError(f"unknown country code {iso3!r}{_suggest(str(iso3), self)}")
        return self._name[code]

    def iso3_codes(self, kind: str | None = None) -> frozenset[str]:
        """Return all ISO3 codes of the table, or those of one kind.

        Examples
        --------
        >>> t = CountryTable.bundled()
        >>> "TWN" in t.iso3_codes("country"), "WLD" in t.iso3_codes("country")
        (True, False)
        """
        if kind is None:
            return frozenset(self._kind)
        return frozenset(k for k, v in self._kind.items() if v == kind)

    def resolve(self, code: str) -> str | None:
        """Return the ISO3 code of one alphabetic code or alias, or None."""
        return self._alpha.get(str(code).strip().upper())


@lru_cache(maxsize=1)
def _bundled() -> CountryTable:
    path = package_data("countries.csv")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UnreadableFileError(f"bundled country table is missing ({exc.strerror}); reinstall scrisk", path=str(path)) from None
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return CountryTable(list(csv.DictReader(lines)), source=str(path))


def _table_rows(frame: Any) -> list[dict[str, str]]:
    """The rows of a country table (a frame, or one mapping per row) as dicts of stripped text, blanks for missing."""
    if isinstance(frame, list):
        rows = [{c: "" if r.get(c) is None else str(r.get(c)) for c in _COLUMNS} for r in frame]
    else:
        rows = frame.reindex(columns=_COLUMNS).fillna("").astype(str).to_dict("records")
    return [{c: r[c].strip() for c in _COLUMNS} for r in rows]


def _read_bytes(path, label: str) -> bytes:
    if isinstance(path, (str, Path)):
        p = Path(path)
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            raise UnreadableFileError("country table not found; check the path given with --country-codes", path=label) from None
        except IsADirectoryError:
            raise UnreadableFileError("is a directory, not a country table; pass the country_codes CSV", path=label) from None
        except OSError as exc:
            raise UnreadableFileError(f"cannot read the country table ({exc.strerror}); check permissions", path=label) from None
    else:
        raw = path.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
    if not raw.strip():
        raise UnreadableFileError("the country table is empty; pass a release country_codes CSV", path=label)
    return raw


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # old BACI tables are Latin-1 ("C\xf4te d'Ivoire")


# ------------------------------------------------------------------ groups


@dataclass(frozen=True)
class CountryGroup:
    """A named set of countries (G7, EU27, ...), valid at a date.

    Attributes
    ----------
    name : str
        Key used on the command line (``G7``, ``EU27``), matched case-insensitively.
    title : str
        Full name.
    members : frozenset of str
        ISO3 codes.
    as_of : str
        ISO date the member list is valid for.
    source : str
        Where the member list comes from.
    note : str
        Caveats (members that are not countries, suspended members...).
    """

    name: str
    title: str
    members: frozenset[str]
    as_of: str
    source: str
    note: str = ""
    memberships: tuple[tuple[str, str | None, str | None], ...] = ()
    dates_source: str = ""

    def sorted_members(self) -> tuple[str, ...]:
        """Members in alphabetical order."""
        return tuple(sorted(self.members))

    @property
    def dated(self) -> bool:
        """True when the group records when members joined or left."""
        return any(start or end for _, start, end in self.memberships)

    def members_on(self, date: str | None) -> tuple[str, ...]:
        """Members on ``date`` (ISO ``YYYY[-MM[-DD]]``, read as its first day), alphabetically.

        A member counts from its start date (inclusive) to its end date (its
        last day as a member, inclusive); members without dates count always.
        ``None`` gives today's members (:attr:`members`).

        Examples
        --------
        >>> eu = load_groups()["EU27"]
        >>> "GBR" in eu.members_on("2019-12-31"), "GBR" in eu.members_on("2020-12-31")
        (True, False)
        >>> len(eu.members_on("2012-12-31")), len(eu.members_on("2013-12-31"))
        (27, 28)
        """
        if date is None or not self.memberships:
            return self.sorted_members()
        day = _day(date, end=False)
        return tuple(sorted({c for c, start, end in self.memberships
                             if (start is None or _day(start, end=False) <= day)
                             and (end is None or day <= _day(end, end=True))}))


def _day(text: str, *, end: bool) -> str:
    """``YYYY``/``YYYY-MM``/``YYYY-MM-DD`` as a full ISO day: the first day, or the last with ``end``."""
    import calendar

    parts = str(text).split("-")
    y = int(parts[0])
    m = int(parts[1]) if len(parts) > 1 else (12 if end else 1)
    d = int(parts[2]) if len(parts) > 2 else (calendar.monthrange(y, m)[1] if end else 1)
    return f"{y:04d}-{m:02d}-{d:02d}"


def period_end(year: int, month: int | None = None) -> str:
    """The last day of a year or a month, the date a group's membership is taken on for that period.

    Examples
    --------
    >>> period_end(2020), period_end(2024, 2)
    ('2020-12-31', '2024-02-29')
    """
    return _day(f"{int(year):04d}" + (f"-{int(month):02d}" if month else ""), end=True)


def load_groups(path: str | Path | None = None, *, table: CountryTable | None = None) -> dict[str, CountryGroup]:
    """Read country groups from TOML (the bundled ``country_groups.toml`` by default).

    Keys of the returned dict are the upper-case group names. Every member must
    be an ISO3 code (or alias) of ``table``.

    Raises
    ------
    ConfigError
        Unreadable TOML, a group without members, or an unknown member code.

    Examples
    --------
    >>> g = load_groups()
    >>> len(g["EU27"].members), sorted(g["G7"].members)[:3]
    (27, ['CAN', 'DEU', 'FRA'])
    """
    if path is None and table is None:
        return dict(_bundled_groups())
    return _load_groups(Path(path) if path else package_data("country_groups.toml"), table or CountryTable.bundled())


@lru_cache(maxsize=1)
def _bundled_groups() -> tuple[tuple[str, CountryGroup], ...]:
    return tuple(_load_groups(package_data("country_groups.toml"), CountryTable.bundled()).items())


_AS_OF = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


class GroupSpec(ConfigModel):
    """One ``[groups.NAME]`` table of a country-groups file."""

    members: Annotated[list[StrictStr], Field(min_length=1)]
    as_of: StrictStr
    source: Annotated[StrictStr, Field(min_length=1)]
    title: Optional[StrictStr] = None
    note: StrictStr = ""
    joined: dict[StrictStr, StrictStr] = {}
    left: dict[StrictStr, StrictStr] = {}
    dates_source: StrictStr = ""

    @field_validator("as_of")
    @classmethod
    def _date(cls, v: str) -> str:
        if not _AS_OF.match(v.strip()):
            raise ValueError(f"{v!r} is not a date: write as_of = \"YYYY-MM-DD\" (or YYYY-MM, YYYY), the date the "
                             "member list holds from")
        return v

    @field_validator("source")
    @classmethod
    def _named(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("name where the member list comes from")
        return v


class GroupsFile(ConfigModel):
    """A country-groups file: ``[groups.NAME]`` tables."""

    groups: Annotated[dict[str, GroupSpec], Field(min_length=1)]


def _load_groups(path: Path, table: CountryTable) -> dict[str, CountryGroup]:
    from scrisk.config import TomlLines, load_config

    spec, text = load_config(path, GroupsFile, what="country groups", option="load_groups(path)", error=ConfigError,
                             missing=ConfigError)
    lines = TomlLines(text)
    out: dict[str, CountryGroup] = {}
    for key, g in spec.groups.items():
        where = f"[groups.{key}]"
        resolved = []
        for n, m in enumerate(g.members):
            iso = table.resolve(str(m))
            if iso is None:
                raise ConfigError(
                    f"{where} member {m!r} is not a known ISO3 code{_suggest(str(m), table)}",
                    path=str(path),
                    line=lines.line(("groups", key, "members")),
                )
            resolved.append(iso)
        name = _group_key(key)
        line = lines.line(("groups", key))
        if name in out:
            raise ConfigError(f"group {key!r} is defined twice (names ignore case, '-' and '_')", path=str(path), line=line)
        if table.resolve(name) is not None:
            raise ConfigError(f"group name {key!r} is also a country code; rename the group", path=str(path), line=line)
        memberships = _memberships({"joined": g.joined, "left": g.left}, resolved, table, where=where,
                                   path=str(path), line=line)
        dates_source = g.dates_source.strip()
        if any(a or b for _, a, b in memberships) and not dates_source:
            raise ConfigError(f"{where} needs dates_source naming where the join and leave dates come from",
                              path=str(path), line=line)
        out[name] = CountryGroup(
            name=name,
            title=g.title if g.title is not None else key,
            members=frozenset(resolved),
            as_of=g.as_of.strip(),
            source=g.source.strip(),
            note=g.note.strip(),
            memberships=memberships,
            dates_source=dates_source,
        )
    return out


def _memberships(g: Mapping[str, Any], members: list[str], table: CountryTable, *, where: str, path: str,
                 line: int | None) -> tuple[tuple[str, str | None, str | None], ...]:
    """(code, start, end) of every member, current and former, from ``joined`` and ``left`` tables."""
    dates: dict[str, dict[str, str]] = {}
    for field in ("joined", "left"):
        raw = g.get(field, {})
        if not isinstance(raw, dict):
            raise ConfigError(f"{where} {field} must be a table of ISO3 = \"YYYY-MM-DD\"", path=path, line=line)
        got: dict[str, str] = {}
        for code, day in raw.items():
            iso = table.resolve(str(code))
            if iso is None:
                raise ConfigError(f"{where} {field} names {code!r}, not a known ISO3 code", path=path, line=line)
            if not _AS_OF.match(str(day)):
                raise ConfigError(f"{where} {field}.{code} = {day!r} is not a date YYYY-MM-DD (or YYYY-MM, YYYY)",
                                  path=path, line=line)
            got[iso] = str(day)
        dates[field] = got
    joined, left = dates["joined"], dates["left"]
    stray = sorted(set(joined) - set(members) - set(left))
    if stray:
        raise ConfigError(f"{where} joined lists {', '.join(stray)}, neither a member nor in left", path=path, line=line)
    current = [c for c in members if c in left]
    if current:
        raise ConfigError(f"{where} {', '.join(current)} is both a member and in left; a member that left and "
                          "rejoined is not supported", path=path, line=line)
    rows = [(c, joined.get(c), None) for c in members] + [(c, joined.get(c), left[c]) for c in sorted(left)]
    return tuple(rows)


def _group_key(name: str) -> str:
    """Normalise a group name: upper case, ``-`` and spaces as ``_`` (``five-eyes`` -> ``FIVE_EYES``)."""
    return re.sub(r"[\s\-]+", "_", str(name).strip()).upper()


# ------------------------------------------------------------- expansion


def expand_countries(
    spec: str | Iterable[str] | None,
    *,
    table: CountryTable | None = None,
    groups: Mapping[str, CountryGroup] | None = None,
    on: str | None = None,
) -> tuple[str, ...] | None:
    """Expand a user's country list into ISO3 codes.

    ``on`` (an ISO date, e.g. :func:`period_end` of the data's year) takes
    each group's members on that date (EU27 on 2015-12-31 includes GBR);
    without it, today's members.

    ``spec`` is a comma-separated string or an iterable of items; each item
    is an ISO3 code, an alias (``S19``, ``ROM``) or a group name (``G7``,
    ``eu27``), all case-insensitive. ``-ITEM`` removes a code or a group's
    members. ``*`` means every country.

    Returns
    -------
    tuple of str or None
        ISO3 codes in the order first given (group members alphabetically),
        without repeats. ``None`` means "all countries": returned for None,
        an empty spec or ``*`` without exclusions. With exclusions, ``*`` (or
        a spec of exclusions only) expands to every ``country``-kind code of
        the table minus the exclusions.

    Raises
    ------
    UnknownCountryError
        An item is neither a code nor a group (exit code 2); the message
        lists close matches.

    Examples
    --------
    >>> expand_countries("KOR, s19")
    ('KOR', 'TWN')
    >>> expand_countries("QUAD")
    ('AUS', 'IND', 'JPN', 'USA')
    >>> expand_countries("*") is None
    True
    >>> expand_countries(["EU27", "-DEU", "-FRA"])[:3]
    ('AUT', 'BEL', 'BGR')
    """
    table = table or CountryTable.bundled()
    groups = load_groups() if groups is None else {_group_key(k): v for k, v in groups.items()}
    items = _items(spec)
    if not items:
        return None
    include: list[str] = []
    exclude: set[str] = set()
    star = False
    for item in items:
        neg = item.startswith("-")
        name = item[1:].strip() if neg else item
        if name == "*":
            if neg:
                raise UnknownCountryError("'-*' excludes everything; name the countries to keep instead")
            star = True
            continue
        codes = _resolve_item(name, table, groups, on)
        if neg:
            exclude.update(codes)
        else:
            include.extend(codes)
    if not include and not exclude:
        return None
    if star or not include:
        if not exclude:
            return None
        include = sorted(table.iso3_codes("country"))
    seen: set[str] = set()
    out = []
    for c in include:
        if c not in seen and c not in exclude:
            seen.add(c)
            out.append(c)
    return tuple(out)


def _items(spec: Any) -> list[str]:
    if spec is None:
        return []
    parts = [spec] if isinstance(spec, str) else list(spec)
    out: list[str] = []
    for p in parts:
        out.extend(x.strip() for x in str(p).split(",") if x.strip())
    return out


def _resolve_item(name: str, table: CountryTable, groups: Mapping[str, CountryGroup], on: str | None = None) -> list[str]:
    key = _group_key(name)
    if key in groups:
        return list(groups[key].members_on(on))
    iso = table.resolve(name)
    if iso is not None:
        return [iso]
    raise UnknownCountryError(f"unknown country or group {name!r}{_suggest(name, table, groups)}")


def _suggest(name: str, table: CountryTable, groups: Mapping[str, CountryGroup] | None = None) -> str:
    """Return '; did you mean ...?' text with close codes, names and group names."""
    key = name.strip().upper()
    hints: list[str] = []
    if len(key) == 2 and key in table._iso2:
        iso = table._iso2[key]
        hints.append(f"{iso} ({table._name[iso]}; {key} is its ISO2 code, scrisk takes ISO3)")
    names = {n.upper(): code for code, n in table._name.items()}
    for n in difflib.get_close_matches(key, list(names), n=3, cutoff=0.75):
        code = names[n]
        hints.append(f"{code} ({table._name[code]})")
    for n in [n for n in names if key and len(key) >= 4 and key in n][:3]:
        hints.append(f"{names[n]} ({table._name[names[n]]})")
    group_names = sorted(groups) if groups else []
    hints.extend(difflib.get_close_matches(_group_key(key), group_names, n=2, cutoff=0.5))
    if len(key) in (3, 4):  # a mistyped ISO3 code: KOT, KORR
        hints.extend(f"{c} ({table._name[c]})" for c in difflib.get_close_matches(key, sorted(table.iso3_codes("country")), n=3, cutoff=0.6))
    uniq = list(dict.fromkeys(hints))[:5]
    text = f"; did you mean {', '.join(uniq)}? Use" if uniq else "; use"
    if group_names:
        return text + f" ISO3 codes or a group: {', '.join(group_names)}"
    return text + " ISO3 codes (e.g. KOR, TWN)"
