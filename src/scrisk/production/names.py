"""Country names of production statistics (USGS, BGS) to ISO3, footnote marks and qualifiers removed.

USGS Mineral Commodity Summaries tables glue footnote letters and numbers to
names (``Japane``, ``Korea, Republic ofe``, ``Other countries4``) and add
qualifiers (``Brazil (beneficiated)``, ``China, boric oxide equivalent``);
BGS World Mineral Statistics use their own spellings (``Congo, Democratic
Republic``, ``Korea, Dem. P.R. of``). :func:`classify_name` tells apart

* ``country``: mapped to an ISO3 code;
* ``other``: the "Other countries" remainder of a table (not one producer);
* ``world``: a "World total" row (a check on the sum, never added to it);
* ``unmapped``: a name scrisk cannot map (kept as its own producer and
  reported with its share).

Examples
--------
>>> [classify_name(n) for n in ["Japane", "Korea, Republic ofe", "Congo (Kinshasa)", "Other countries4"]]
[('JPN', 'country'), ('KOR', 'country'), ('COD', 'country'), (None, 'other')]
>>> classify_name("World total (rounded), excluding U.S. production"), classify_name("Chinae")
((None, 'world'), ('CHN', 'country'))
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["NAME_ALIASES", "classify_name", "clean_name"]

NAME_ALIASES: dict[str, str] = {
    # USGS MCS spellings
    "united states": "USA", "congo (kinshasa)": "COD", "congo (brazzaville)": "COG", "korea, republic of": "KOR",
    "korea, north": "PRK", "burma": "MMR", "russia": "RUS", "turkey": "TUR", "iran": "IRN", "laos": "LAO",
    "syria": "SYR", "vietnam": "VNM", "bolivia": "BOL", "venezuela": "VEN", "tanzania": "TZA", "czechia": "CZE",
    "cote d'ivoire": "CIV", "taiwan": "TWN", "united kingdom": "GBR", "moldova": "MDA", "macedonia": "MKD",
    # BGS World Mineral Statistics spellings
    "usa": "USA", "congo, democratic republic": "COD", "congo": "COG", "korea (rep. of)": "KOR",
    "korea, dem. p.r. of": "PRK", "ireland, republic of": "IRL", "ivory coast": "CIV", "czech republic": "CZE",
    "bosnia & herzegovina": "BIH", "trinidad & tobago": "TTO", "east timor": "TLS", "yemen, republic of": "YEM",
    "zaire": "COD", "brunei": "BRN", "north macedonia": "MKD", "kosovo": "XKX", "hong kong": "HKG",
    "german federal republic": "DEU", "rhodesia": "ZWE", "new hebrides": "VUT",
}
"""Spellings of USGS and BGS tables (lower case, footnotes removed) -> ISO3, beyond the bundled country names.

Historical entities that no ISO3 code stands for (Soviet Union, Yugoslavia,
Czechoslovakia, Serbia and Montenegro, the German Democratic Republic,
Yemen (PDR), Neutral zone, Sharjah) stay unmapped and are reported.
"""

_FOOTNOTE = re.compile(r"[\d\s\u00a0]+$")
_QUALIFIER = re.compile(r"\s*\(.*\)\s*$")


def clean_name(name: str) -> str:
    """Lower-case, accents and non-breaking spaces folded, footnote digits at the end removed.

    Examples
    --------
    >>> clean_name("United\\u00a0States1"), clean_name("Côte d’Ivoire")
    ('united states', "cote d'ivoire")
    """
    s = str(name or "").replace("\u00a0", " ").replace("\u2019", "'")
    s = "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch))
    s = _FOOTNOTE.sub("", s.strip())
    return re.sub(r"\s+", " ", s).strip().lower()


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    from scrisk.countries import CountryTable

    table = CountryTable.bundled()
    out: dict[str, str] = {}
    frame = table.frame
    for iso3, name, kind in zip(frame["iso3"], frame["name"], frame["kind"]):
        if kind == "country" and isinstance(name, str):
            out.setdefault(clean_name(name), str(iso3))
    out.update(NAME_ALIASES)
    return out


def _lookup(s: str) -> str | None:
    names = _names()
    if s in names:
        return names[s]
    if s.endswith("e") and s[:-1] in names:  # footnote "e" (estimated) glued to the name
        return names[s[:-1]]
    return None


@lru_cache(maxsize=4096)
def classify_name(name: str) -> tuple[str | None, str]:
    """Return ``(ISO3 or None, kind)`` of a country name of a production table (kinds in the module docstring)."""
    s = clean_name(name)
    if not s:
        return None, "unmapped"
    if s.startswith("world total") or s == "world":
        return None, "world"
    if re.match(r"^other( countries)?e?\b", s) or s == "others":
        return None, "other"
    for cand in (s, _QUALIFIER.sub("", s), s.split(",")[0].strip(), _QUALIFIER.sub("", s.split(",")[0]).strip()):
        cand = _FOOTNOTE.sub("", cand).strip()
        hit = _lookup(cand)
        if hit:
            return hit, "country"
    return None, "unmapped"
