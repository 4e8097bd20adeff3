"""Country names as trade files write them (English, Korean, Japanese) mapped to ISO3.

National customs extracts and derived tables often name partners instead of
coding them: ``South Korea``, ``USA``, ``UAE``, ``Rep. of Korea``, ``대한민국``,
``米国``. :func:`names_to_iso3` maps such names through the bundled table
``src/scrisk/data/country_names.csv`` (its sources are named in its header)
plus the ISO 3166-1 short names of ``countries.csv``. A name that matches
nothing stays unmapped; the reader rejects its rows as *unknown country code*
and reports the name with its share of value.

Examples
--------
>>> import pandas as pd
>>> names_to_iso3(pd.Series(["South Korea", "USA", "대한민국", "米国", "Côte d'Ivoire", "Atlantis"])).tolist()
['KOR', 'USA', 'KOR', 'USA', 'CIV', <NA>]
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata

import pandas as pd

__all__ = ["normalise_country_name", "names_to_iso3", "name_table"]


def normalise_country_name(name: str) -> str:
    """Normalise a country name for matching: case, accents, punctuation, spaces, a leading "the".

    Examples
    --------
    >>> normalise_country_name("  The Côte d'Ivoire "), normalise_country_name("Korea, Rep.")
    ('cote divoire', 'korea republic')
    """
    s = unicodedata.normalize("NFKC", str(name)).strip()
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = unicodedata.normalize("NFKC", s).casefold().replace("&", " and ")
    s = re.sub(r"['’`.]", "", s)
    s = re.sub(r"[\s,;:()\[\]/\-・·]+", " ", s).strip()
    s = " ".join(_ABBREVIATIONS.get(w, w) for w in s.split())
    return s[4:] if s.startswith("the ") else s


_ABBREVIATIONS = {"rep": "republic", "dem": "democratic", "isds": "islands", "is": "islands", "st": "saint",
                  "fed": "federal", "sts": "states", "n": "northern", "br": "british"}
"""UN Comtrade's abbreviations ("Dominican Rep.", "Cook Isds", "Br. Virgin Isds"), expanded on both sides."""


@functools.lru_cache(maxsize=1)
def name_table() -> dict[str, str]:
    """``{normalised name: ISO3}`` from the bundled names table and the country table's names."""
    from scrisk.countries import CountryTable
    from scrisk.resources import package_data

    out: dict[str, str] = {}
    for iso3, name in zip(CountryTable.bundled().frame["iso3"], CountryTable.bundled().frame["name"]):
        if name:
            out.setdefault(normalise_country_name(name), iso3)
    with open(package_data("country_names.csv"), encoding="utf-8", newline="") as fh:
        rows = csv.reader(line for line in fh if not line.startswith("#"))
        next(rows)  # header
        for iso3, _lang, name in rows:
            out[normalise_country_name(name)] = iso3  # the hand-written table wins over ISO short names
    return out


def names_to_iso3(values: pd.Series) -> pd.Series:
    """Map country names to ISO3 (``<NA>`` where no name matches); distinct values are looked up once."""
    s = pd.Series(values).astype("string")
    table = name_table()
    uniq = s.dropna().unique()
    found = {u: table.get(normalise_country_name(u)) for u in uniq}
    return pd.Series(s.map(found), index=s.index, dtype="string")
