"""Production and reserves inputs of the shock engine: tidy CSV files, and the unit the engine runs on.

A tidy file has one row per country, product and year::

    country,hs,year,quantity,unit
    CHN,811292,2024,750000,kg
    JPN,811292,2024,3000,kg

* ``country``: ISO3 code or alias (``S19`` -> ``TWN``);
* ``hs`` (an HS code, 6 digits or more) **or** ``material`` (a basket name;
  it must resolve to exactly one HS code, else give ``hs``);
* ``year`` (optional; rows without a year apply to every year);
* ``quantity`` (>= 0);
* ``unit`` (optional, default ``kg``): ``kg``, ``t`` (metric tonnes) or ``usd``.

Column names are matched case-insensitively; ``iso3`` is accepted for
``country``, ``value`` and ``amount`` for ``quantity``.

Production statistics in the layouts of :mod:`scrisk.production` (USGS
Mineral Commodity Summaries world tables, the BGS World Mineral Statistics
extract, a tidy ``country, commodity, stage, year, quantity, unit`` file) are
read by :func:`scrisk.production.read_production` and turned into this
per-HS-code form through the baskets' ``[[production]]`` tables: a
production table that names exactly one HS code gives that code its
amounts; one naming several codes is left out (the production cannot be
split between them); where two materials claim the same code (811292:
gallium, germanium) the first by name with an amount for that country and
year is used. Aggregate rows (world totals, "Other countries") and names
without an ISO3 code are left out.

The engine runs on **quantities** when every flow of the product carries a
quantity (``qty_kg``) and the production given (if any) is in kg; otherwise
on **values** (USD), converting kg to USD at the product's world unit value
(total traded value / total traded kg). Which one it used is recorded in
the result's ``meta``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from scrisk.errors import InputError, UnknownCountryError, UnknownMaterialError, UnreadableFileError

__all__ = ["AMOUNT_COLUMNS", "read_amounts", "select_year", "unit_values"]

AMOUNT_COLUMNS: tuple[str, ...] = ("country", "hs", "year", "amount", "unit")
_ALIASES = {"iso3": "country", "value": "quantity", "amount": "quantity"}
_UNITS = {"kg": ("kg", 1.0), "t": ("kg", 1000.0), "tonnes": ("kg", 1000.0), "usd": ("usd", 1.0)}


def read_amounts(path: str | Path, *, what: str = "production", option: str = "--production",
                 baskets: Mapping[str, Any] | None = None, revision: str | None = None) -> pd.DataFrame:
    """Read a tidy production or reserves CSV (layout in the module docstring).

    Returns
    -------
    DataFrame
        Columns ``country, hs, year (Int64, NA = every year), amount (float, in kg or USD), unit ('kg'|'usd')``.

    Raises
    ------
    UnreadableFileError
        The file is missing or not CSV (exit 3).
    InputError
        A missing column, an unknown country or material, a bad number or
        unit; the message names the file and the line (exit 3).

    Examples
    --------
    >>> import io
    >>> text = "country,hs,year,quantity,unit\\nCHN,811292,2024,750,t\\nS19,811292,,3,kg\\n"
    >>> read_amounts(io.StringIO(text)).values.tolist()
    [['CHN', '811292', 2024, 750000.0, 'kg'], ['TWN', '811292', <NA>, 3.0, 'kg']]
    """
    from scrisk.countries import expand_countries

    label = str(path) if isinstance(path, (str, Path)) else (getattr(path, "name", None) or f"<{what}>")
    if what == "production" and _statistics_layout(path):
        return _from_statistics(path, baskets)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise UnreadableFileError(f"{what} file not found; check the path given to {option}", path=label) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UnreadableFileError(f"cannot read the {what} file as CSV ({exc}); give a comma-separated file with "
                                  "columns country,hs,year,quantity[,unit]", path=label) from None
    df.columns = [_ALIASES.get(c.strip().lower(), c.strip().lower()) for c in df.columns]
    for col in ("country", "quantity"):
        if col not in df.columns:
            raise InputError(f"{what} file has no {col!r} column; columns must be country, hs (or material), year, "
                             f"quantity[, unit]; found {', '.join(df.columns)}", path=label, line=1)
    if "hs" not in df.columns and "material" not in df.columns:
        raise InputError(f"{what} file has neither an 'hs' nor a 'material' column", path=label, line=1)
    rows = []
    for k, rec in enumerate(df.to_dict(orient="records")):
        line = k + 2
        try:
            got = expand_countries(rec["country"].strip())
        except UnknownCountryError as exc:
            raise InputError(f"{what}: {exc.message}", path=label, line=line) from None
        if not got or len(got) != 1:
            raise InputError(f"{what}: country {rec['country']!r} is not one country; give an ISO3 code",
                             path=label, line=line)
        hs = str(rec.get("hs", "")).strip()
        mat = str(rec.get("material", "")).strip()
        if not hs and mat:
            hs = _material_code(mat, baskets, revision, what, label, line)
        if not (hs.isdigit() and len(hs) >= 6 and len(hs) % 2 == 0):
            raise InputError(f"{what}: hs {hs!r} is not a 6-digit (or longer) HS code", path=label, line=line)
        year_txt = str(rec.get("year", "")).strip()
        try:
            year = int(float(year_txt)) if year_txt else pd.NA
            qty = float(str(rec["quantity"]).replace(",", "").strip())
        except ValueError:
            raise InputError(f"{what}: year {year_txt!r} or quantity {rec['quantity']!r} is not a number",
                             path=label, line=line) from None
        if not np.isfinite(qty) or qty < 0:
            raise InputError(f"{what}: quantity {qty:g} must be a finite number >= 0", path=label, line=line)
        unit_txt = str(rec.get("unit", "") or "kg").strip().lower()
        if unit_txt not in _UNITS:
            raise InputError(f"{what}: unit {unit_txt!r} is not one of kg, t, usd", path=label, line=line)
        unit, factor = _UNITS[unit_txt]
        rows.append((got[0], hs, year, qty * factor, unit))
    out = pd.DataFrame(rows, columns=list(AMOUNT_COLUMNS))
    out["year"] = out["year"].astype("Int64")
    out["country"] = out["country"].astype(str)
    if out.duplicated(["country", "hs", "year"]).any():
        dup = out[out.duplicated(["country", "hs", "year"], keep=False)].iloc[0]
        raise InputError(f"{what}: {dup.country} {dup.hs} {dup.year} is given twice; keep one row per country, "
                         "product and year", path=label)
    if out["unit"].nunique() > 1:
        raise InputError(f"{what} file mixes kg and usd; give one unit for the whole file", path=label)
    return out


def _statistics_layout(path) -> bool:
    """True for a file or folder in one of the production-statistics layouts of :mod:`scrisk.production`."""
    if not isinstance(path, (str, Path)):
        return False
    if Path(path).is_dir():
        return True
    from scrisk.errors import ScriskError
    from scrisk.production.readers import sniff_production

    try:
        return sniff_production(path) in ("usgs-mcs", "bgs-wms", "tidy")
    except ScriskError:
        return False


def _from_statistics(path, baskets) -> pd.DataFrame:
    """USGS / BGS / tidy production statistics as per-HS-code amounts (rules in the module docstring)."""
    from scrisk.production.concentration import map_to_baskets
    from scrisk.production.readers import read_production

    mapped, _ = map_to_baskets(read_production(path), baskets)
    m = mapped[(mapped["kind"] == "country") & (mapped["unit"] == "kg")]
    rows = {}
    reg = baskets
    if reg is None:
        from scrisk.materials import load_baskets

        reg = load_baskets()
    single = {(name, src.stage): src.hs[0] for name, b in reg.items() for src in getattr(b, "production", ())
              if len(src.hs) == 1}
    g = m.groupby(["material", "stage", "country", "year"], sort=True)["quantity"].sum()
    for (mat, stage, country, year), q in g.items():
        hs = single.get((mat, stage))
        if hs is not None:
            rows.setdefault((str(country), hs, int(year)), float(q))  # first material by name wins
    out = pd.DataFrame([(c, h, y, q, "kg") for (c, h, y), q in sorted(rows.items())], columns=list(AMOUNT_COLUMNS))
    out["year"] = out["year"].astype("Int64")
    out["country"] = out["country"].astype(str)
    return out


def _material_code(name, baskets, revision, what, label, line) -> str:
    from scrisk.materials import get_basket

    try:
        b = get_basket(name, baskets=baskets)
    except UnknownMaterialError as exc:
        raise InputError(f"{what}: {exc.message}", path=label, line=line) from None
    codes = sorted(b.hs_codes(revision or "HS2017"))
    if len(codes) != 1 or len(codes[0]) < 6:
        raise InputError(f"{what}: material {name!r} covers HS {', '.join(codes)}; give the hs column instead so "
                         "the amount goes to one code", path=label, line=line)
    return codes[0]


def select_year(amounts: pd.DataFrame, year: int) -> tuple[pd.DataFrame, str | None]:
    """Rows for ``year``: exact year, else rows without a year, else the latest earlier year (with a note).

    Examples
    --------
    >>> a = pd.DataFrame({"country": ["CHN", "CHN"], "hs": "811292", "year": pd.array([2022, 2023], dtype="Int64"),
    ...                   "amount": [1.0, 2.0], "unit": "kg"})
    >>> select_year(a, 2024)[0]["amount"].tolist(), select_year(a, 2024)[1]
    ([2.0], 'no 2024 rows: used 2023')
    """
    y = amounts["year"]
    exact = amounts[y == year]
    undated = amounts[y.isna()]
    if not exact.empty:
        return pd.concat([exact, undated[~undated.set_index(["country", "hs"]).index.isin(
            exact.set_index(["country", "hs"]).index)]], ignore_index=True), None
    if not undated.empty:
        return undated.reset_index(drop=True), None
    earlier = amounts[y < year]
    if earlier.empty:
        return amounts.iloc[0:0], f"no rows for {year} or earlier"
    last = int(earlier["year"].max())
    return earlier[earlier["year"] == last].reset_index(drop=True), f"no {year} rows: used {last}"


def unit_values(flows: pd.DataFrame) -> pd.Series:
    """World unit value (USD per kg) per HS code over the flows that report a quantity.

    Examples
    --------
    >>> f = pd.DataFrame({"hs": ["811292", "811292"], "value_usd": [100.0, 50.0], "qty_kg": [2.0, float("nan")]})
    >>> unit_values(f).to_dict()
    {'811292': 50.0}
    """
    ok = flows["qty_kg"].notna() & (flows["qty_kg"] > 0) & (flows["value_usd"] > 0)
    g = flows[ok].groupby(flows[ok]["hs"].astype(str))
    return (g["value_usd"].sum() / g["qty_kg"].sum()).rename("usd_per_kg")
