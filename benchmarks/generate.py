"""Generate a synthetic trade file in the CEPII BACI release layout, for benchmarks.

The file looks like a real BACI yearly CSV (``t,i,j,k,v,q``)::

    t,i,j,k,v,q
    2022,4,32,71120,0.729,        0.308
    2022,4,36,401031,0.164,           NA

* ``i``/``j``: BACI numeric country codes (842 USA, 251 France, 699 India,
  490 Taiwan...), about 200 countries, with a matching
  ``country_codes_V202601.csv`` written beside the data;
* ``k``: HS6 codes written as integers, so chapters 01-09 lose their leading
  zero (``71120`` is ``071120``);
* ``v``: thousand USD with three decimals;
* ``q``: metric tons, three decimals, right-aligned in 13 characters, ``NA``
  for about 3 % of rows;
* unique ``(t, i, j, k)`` keys, no self-trade, rows sorted by ``t, i, j, k``.

Structure: exporter and importer sizes and product popularity are Zipf-like;
each product has a few specialist exporters that supply a product-specific
share of its flows (from almost none to almost all), so some
(importer, product) pairs have one supplier and popular ones a hundred or
more; values are lognormal with product, exporter and importer effects
(heavy-tailed); quantities follow a product unit value with noise.

Everything is vectorised with numpy and written in chunks with pyarrow's
CSV writer. Usage::

    python benchmarks/generate.py --rows 10000000          # ~2 years, seed 42
    python benchmarks/generate.py --rows 2000 --out-dir /tmp/x
    python benchmarks/generate.py --rows 10000000 --years 2024              # one year
    python benchmarks/generate.py --rows 20000000 --years 2023,2024 --layout split    # a file per year
    python benchmarks/generate.py --rows 100000000 --years 2015-2024 --layout parquet # hive year=YYYY/

The output goes to ``benchmarks/_data/rows<N>_seed<S>/`` (git-ignored) unless
``--out-dir`` is given.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "_data"

GENERATOR_VERSION = 2  # bump when the output for given parameters changes: cached datasets are rebuilt
DATA_NAME = "BACI_HS17_V202601_synthetic.csv"
CODES_NAME = "country_codes_V202601.csv"
NA_SHARE = 0.03
Q_WIDTH = 13

# Codes every generated table keeps (BACI's own numeric codes where they differ from ISO 3166).
MUST_HAVE = (842, 251, 699, 490, 156, 410, 392, 276, 528, 704, 826, 380, 76, 36, 124, 710, 643, 484, 56, 702)

# Fallback when scrisk's bundled table is not importable:
# a small BACI code list (code, name, iso2, iso3).
_SMALL_TABLE = [
    (4, "Afghanistan", "AF", "AFG"), (36, "Australia", "AU", "AUS"), (40, "Austria", "AT", "AUT"),
    (56, "Belgium", "BE", "BEL"), (76, "Brazil", "BR", "BRA"), (124, "Canada", "CA", "CAN"),
    (152, "Chile", "CL", "CHL"), (156, "China", "CN", "CHN"), (170, "Colombia", "CO", "COL"),
    (180, "Dem. Rep. of the Congo", "CD", "COD"), (203, "Czechia", "CZ", "CZE"), (208, "Denmark", "DK", "DNK"),
    (818, "Egypt", "EG", "EGY"), (246, "Finland", "FI", "FIN"), (251, "France", "FR", "FRA"),
    (276, "Germany", "DE", "DEU"), (300, "Greece", "GR", "GRC"), (344, "China, Hong Kong SAR", "HK", "HKG"),
    (348, "Hungary", "HU", "HUN"), (699, "India", "IN", "IND"), (360, "Indonesia", "ID", "IDN"),
    (372, "Ireland", "IE", "IRL"), (376, "Israel", "IL", "ISR"), (380, "Italy", "IT", "ITA"),
    (392, "Japan", "JP", "JPN"), (398, "Kazakhstan", "KZ", "KAZ"), (410, "Rep. of Korea", "KR", "KOR"),
    (458, "Malaysia", "MY", "MYS"), (484, "Mexico", "MX", "MEX"), (504, "Morocco", "MA", "MAR"),
    (516, "Namibia", "NA", "NAM"), (528, "Netherlands", "NL", "NLD"), (554, "New Zealand", "NZ", "NZL"),
    (566, "Nigeria", "NG", "NGA"), (579, "Norway", "NO", "NOR"), (586, "Pakistan", "PK", "PAK"),
    (604, "Peru", "PE", "PER"), (608, "Philippines", "PH", "PHL"), (616, "Poland", "PL", "POL"),
    (620, "Portugal", "PT", "PRT"), (642, "Romania", "RO", "ROU"), (643, "Russian Federation", "RU", "RUS"),
    (682, "Saudi Arabia", "SA", "SAU"), (702, "Singapore", "SG", "SGP"), (710, "South Africa", "ZA", "ZAF"),
    (724, "Spain", "ES", "ESP"), (752, "Sweden", "SE", "SWE"), (757, "Switzerland", "CH", "CHE"),
    (490, "Other Asia, nes", "", "S19"), (764, "Thailand", "TH", "THA"), (792, "Turkey", "TR", "TUR"),
    (784, "United Arab Emirates", "AE", "ARE"), (826, "United Kingdom", "GB", "GBR"), (842, "USA", "US", "USA"),
    (704, "Viet Nam", "VN", "VNM"),
]


def country_table(n_countries: int, rng: np.random.Generator) -> pd.DataFrame:
    """Pick ``n_countries`` BACI countries from scrisk's bundled table (a small built-in list without scrisk).

    Returns columns ``country_code, country_name, country_iso2, country_iso3`` (the V202601 layout).
    """
    full = _bundled_baci_table()
    if full is None:
        full = pd.DataFrame(_SMALL_TABLE, columns=["country_code", "country_name", "country_iso2", "country_iso3"])
    # one current code per country: drop historical entries ("Fed. Rep. of Germany (...1990)") and ISO3 repeats
    full = full[~full["country_name"].astype(str).str.contains(r"\(\.\.\.", regex=True)]
    full = full.assign(_must=~full["country_code"].isin(MUST_HAVE)).sort_values(["_must", "country_code"])
    full = full.drop_duplicates("country_code").drop_duplicates("country_iso3").drop(columns="_must")
    full = full.sort_values("country_code").reset_index(drop=True)
    must = full["country_code"].isin(MUST_HAVE)
    rest = full.index[~must].to_numpy()
    n_more = max(0, min(n_countries - int(must.sum()), len(rest)))
    chosen = np.concatenate([full.index[must].to_numpy(), rng.choice(rest, size=n_more, replace=False)])
    return full.loc[np.sort(chosen)].reset_index(drop=True)


# BACI's own numeric codes for current countries where they differ from ISO 3166 numeric.
_BACI_CURRENT = {842, 251, 699, 757, 579, 490}


def _bundled_baci_table() -> pd.DataFrame | None:
    """scrisk's bundled country table as a BACI V202601 release table, or None when not available.

    Current countries only (no areas, aggregates or former countries); the
    numeric code is BACI's own where it differs (842 USA, 251 France, 699
    India, 757 Switzerland, 579 Norway, 490 Taiwan), else ISO 3166 numeric.
    Taiwan is written as BACI V202601 writes it: ISO3 ``S19``, no ISO2.
    """
    try:
        from scrisk.countries import CountryTable
    except ImportError:
        return None
    f = CountryTable.bundled().frame
    f = f[(f["kind"] == "country") & (f["iso_numeric"] != "") & ~f["name"].str.contains("former")]
    rows = []
    for r in f.itertuples(index=False):  # ~250 rows
        trade = {int(float(c)) for c in str(r.trade_codes).replace(";", " ").replace(",", " ").split() if c}
        code = next(iter(sorted(trade & _BACI_CURRENT)), int(float(r.iso_numeric)))
        iso2, iso3 = (("", "S19") if code == 490 else (r.iso2, r.iso3))
        rows.append((code, r.name, iso2, iso3))
    return pd.DataFrame(rows, columns=["country_code", "country_name", "country_iso2", "country_iso3"])


def product_codes(n_products: int, rng: np.random.Generator) -> np.ndarray:
    """``n_products`` distinct real-looking HS6 codes (as integers) across chapters 01-97 (no 77).

    Headings per chapter and subheadings per heading vary; chapters 01-09 give
    codes below 100000 that lose their leading zero when written as integers.
    """
    chapters = np.array([c for c in range(1, 98) if c != 77])
    subs = np.array([10, 11, 12, 13, 19, 20, 21, 22, 29, 30, 31, 39, 40, 41, 49, 50, 60, 70, 80, 90, 91, 99])
    pool = []
    for c in chapters:  # ~100 chapters: a loop over chapters, not rows
        n_head = int(rng.integers(4, 30))
        for h in range(1, n_head + 1):
            n_sub = int(rng.integers(1, 12))
            s = np.sort(rng.choice(subs, size=n_sub, replace=False))
            pool.append(c * 10000 + h * 100 + s)
    pool = np.unique(np.concatenate(pool))
    if len(pool) < n_products:
        raise ValueError(f"cannot make {n_products} distinct HS codes (pool {len(pool)})")
    return np.sort(rng.choice(pool, size=n_products, replace=False))


def _zipf_weights(n: int, s: float, rng: np.random.Generator) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    w = w[rng.permutation(n)]
    return w / w.sum()


def _sorted_distinct(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a plain sort: faster than np.unique's hash path for int64 keys)."""
    a = np.sort(a)
    return a[np.concatenate(([True], a[1:] != a[:-1]))] if len(a) else a


def _structure(
    rng: np.random.Generator, *, n_countries: int, n_products: int, n_years: int, rows: int
) -> dict:
    """Draw the fixed structure of a dataset: countries, products, sizes, specialists, value model.

    Consumes ``rng`` in the order :func:`generate_arrays` always has, so a given
    seed gives the same file byte for byte.
    """
    countries = country_table(n_countries, rng)
    codes = countries["country_code"].to_numpy(dtype=np.int64)
    C = len(codes)
    ks = product_codes(n_products, rng)
    P = len(ks)
    capacity = n_years * P * C * (C - 1)
    if rows > capacity // 4:
        raise ValueError(f"{rows} rows is too many for {C} countries x {P} products x {n_years} years")
    s = {"countries": countries, "codes": codes, "C": C, "ks": ks, "P": P}
    s["exp_w"] = _zipf_weights(C, 1.2, rng)
    s["imp_w"] = _zipf_weights(C, 0.9, rng)
    s["prod_w"] = _zipf_weights(P, 0.8, rng)
    # product specialists: 1-3 exporters that carry a product-specific share of its flows
    s["n_spec"] = rng.integers(1, 4, size=P)
    s["spec"] = rng.choice(C, size=(P, 3), p=s["exp_w"])
    s["spec_share"] = rng.beta(0.5, 0.7, size=P)
    # value model (log USD): product scale, exporter and importer size, noise
    s["mu_p"] = rng.normal(8.5, 1.5, size=P)
    s["size_i"] = np.log(s["exp_w"] * C)
    s["size_j"] = np.log(s["imp_w"] * C)
    s["unit_usd_per_kg"] = np.exp(rng.normal(1.5, 1.8, size=P))
    return s


def _draw(s: dict, rng: np.random.Generator, rows: int, Y: np.ndarray) -> dict[str, np.ndarray]:
    """Draw ``rows`` distinct flows over the years ``Y`` from structure ``s`` (columns as in :func:`generate_arrays`)."""
    C, P, codes, ks = s["C"], s["P"], s["codes"], s["ks"]
    # key = ((t*C + i)*C + j)*P + k over index spaces sorted like the codes: sorting keys sorts t, i, j, k
    keys = np.empty(0, dtype=np.int64)
    need, grow = rows, 1.3
    while need > 0:
        m = int(need * grow) + 1000
        k = rng.choice(P, size=m, p=s["prod_w"])
        j = rng.choice(C, size=m, p=s["imp_w"])
        glob = rng.choice(C, size=m, p=s["exp_w"])
        pick = s["spec"][k, rng.integers(0, s["n_spec"][k])]
        i = np.where(rng.random(m) < s["spec_share"][k], pick, glob)
        t = rng.integers(0, len(Y), size=m)
        ok = i != j
        new = ((t[ok] * C + i[ok]) * C + j[ok]) * np.int64(P) + k[ok]
        before = len(keys)
        keys = _sorted_distinct(np.concatenate([keys, new]))
        gained = len(keys) - before
        need = rows - len(keys)
        grow = min(50.0, 1.2 * m / max(gained, 1))  # draws per new key seen in this round
    if len(keys) > rows:  # drop a random surplus, so no key range is favoured
        keys = np.delete(keys, rng.choice(len(keys), size=len(keys) - rows, replace=False))

    k = keys % P
    rest = keys // P
    j = rest % C
    rest //= C
    i = rest % C
    t = rest // C
    n = len(keys)
    logv = s["mu_p"][k] + 0.9 * s["size_i"][i] + 0.6 * s["size_j"][j] + rng.normal(0.0, 2.0, size=n)
    v_milli = np.maximum(np.rint(np.exp(logv)), 1).astype(np.int64)  # USD; >= 1 (0.001 thousand USD)
    kg = v_milli / s["unit_usd_per_kg"][k] * np.exp(rng.normal(0.0, 0.6, size=n))
    q_milli = np.maximum(np.rint(kg), 1).astype(np.int64)
    q_milli[rng.random(n) < NA_SHARE] = -1
    # countries sorted by numeric code, so index order is code order
    return {"t": Y[t], "i": codes[i], "j": codes[j], "k": ks[k], "v_milli": v_milli, "q_milli": q_milli}


def generate_arrays(
    rows: int,
    *,
    seed: int = 42,
    years: tuple[int, ...] = (2022, 2024),
    n_countries: int = 200,
    n_products: int = 5000,
) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Return the columns (sorted by t, i, j, k) and the country table.

    Columns: ``t, i, j, k`` (int64), ``v_milli`` (value in USD, i.e. thousand
    USD x 1000, int64), ``q_milli`` (kg, i.e. tons x 1000, int64, -1 for NA).
    """
    rng = np.random.default_rng(seed)
    Y = np.asarray(years, dtype=np.int64)
    s = _structure(rng, n_countries=n_countries, n_products=n_products, n_years=len(Y), rows=rows)
    return _draw(s, rng, rows, Y), s["countries"]


def _fixed3(milli: pa.Array) -> pa.Array:
    """Integers in thousandths -> text with three decimals (``1234`` -> ``"1.234"``)."""
    whole = pc.cast(pc.divide(milli, 1000), pa.string())
    frac = pc.utf8_lpad(pc.cast(pc.subtract(milli, pc.multiply(pc.divide(milli, 1000), 1000)), pa.string()), 3, "0")
    return pc.binary_join_element_wise(whole, frac, ".")


def _batch(cols: dict[str, np.ndarray], lo: int, hi: int) -> pa.RecordBatch:
    v = _fixed3(pa.array(cols["v_milli"][lo:hi]))
    qm = cols["q_milli"][lo:hi]
    q = _fixed3(pa.array(np.where(qm < 0, 0, qm)))
    q = pc.if_else(pa.array(qm < 0), pa.scalar("NA"), q)
    q = pc.utf8_lpad(q, Q_WIDTH, " ")
    return pa.record_batch(
        [pa.array(cols["t"][lo:hi]), pa.array(cols["i"][lo:hi]), pa.array(cols["j"][lo:hi]),
         pa.array(cols["k"][lo:hi]), v, q],
        names=["t", "i", "j", "k", "v", "q"],
    )


def write_baci_csv(path: Path, cols: dict[str, np.ndarray], *, chunk: int = 1_000_000) -> None:
    """Write the columns as a BACI CSV (header ``t,i,j,k,v,q``, unquoted, ``\\n`` line ends)."""
    n = len(cols["t"])
    first = _batch(cols, 0, min(chunk, n))
    opts = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with open(path, "wb") as fh:
        fh.write(b"t,i,j,k,v,q\n")  # written by hand: pyarrow would quote the names
        with pacsv.CSVWriter(fh, first.schema, write_options=opts) as w:
            w.write_batch(first)
            for lo in range(chunk, n, chunk):
                w.write_batch(_batch(cols, lo, min(lo + chunk, n)))


def write_country_codes(path: Path, countries: pd.DataFrame) -> None:
    """Write the release country table (V202601 layout) beside the data."""
    countries.to_csv(path, index=False, lineterminator="\n")


DEFAULT_YEARS = (2022, 2024)
LAYOUTS = ("csv", "split", "parquet")


def dataset_dir(rows: int, seed: int, years: tuple[int, ...] = DEFAULT_YEARS, layout: str = "csv") -> Path:
    """Default folder of a generated dataset (``rows<N>_seed<S>`` for the default years and layout).

    Other years add ``_y<years>`` (``_y2024``, ``_y2015-2024`` for a run of
    consecutive years), other layouts ``_split`` or ``_parquet``.
    """
    name = f"rows{rows}_seed{seed}"
    years = tuple(int(y) for y in years)
    if years != DEFAULT_YEARS:
        run = len(years) > 2 and list(years) == list(range(years[0], years[-1] + 1))
        name += "_y" + (f"{years[0]}-{years[-1]}" if run else "-".join(str(y) for y in years))
    if layout != "csv":
        name += f"_{layout}"
    return DATA_DIR / name


def generate_file(
    out_dir: Path,
    rows: int,
    *,
    seed: int = 42,
    years: tuple[int, ...] = (2022, 2024),
    n_countries: int = 200,
    n_products: int = 5000,
    force: bool = False,
) -> Path:
    """Generate (or reuse) the BACI-layout file and its country table in ``out_dir``; return the data path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = out_dir / DATA_NAME
    stamp = out_dir / "generated.json"
    params = {"generator": GENERATOR_VERSION, "rows": rows, "seed": seed, "years": list(years),
              "countries": n_countries, "products": n_products}
    if not force and data.exists() and (out_dir / CODES_NAME).exists() and stamp.exists():
        if json.loads(stamp.read_text()) == params:
            return data
    cols, countries = generate_arrays(rows, seed=seed, years=years, n_countries=n_countries, n_products=n_products)
    tmp = data.with_suffix(".csv.part")
    write_baci_csv(tmp, cols)
    write_country_codes(out_dir / CODES_NAME, countries)
    tmp.replace(data)
    stamp.write_text(json.dumps(params) + "\n")
    return data


def ensure_dataset(rows: int, seed: int = 42) -> Path:
    """Return the default dataset's data path, generating it when missing."""
    return generate_file(dataset_dir(rows, seed), rows, seed=seed)


def split_name(year: int) -> str:
    """File name of one year of a split dataset, as BACI names its yearly files."""
    return f"BACI_HS17_Y{year}_V202601.csv"


def generate_split(
    out_dir: Path,
    rows: int,
    *,
    seed: int = 42,
    years: tuple[int, ...] = DEFAULT_YEARS,
    n_countries: int = 200,
    n_products: int = 5000,
    force: bool = False,
) -> list[Path]:
    """Generate ``rows`` flows over ``years`` (one draw, one structure) and write one BACI CSV per year.

    The files (``BACI_HS17_Y<year>_V202601.csv``) are the per-year slices of the
    file :func:`generate_file` writes for the same parameters, so two of them
    are two years of the same trade network (for ``scrisk diff``). Returns the
    paths in year order.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / split_name(y) for y in years]
    stamp = out_dir / "generated.json"
    params = {"generator": GENERATOR_VERSION, "layout": "split", "rows": rows, "seed": seed, "years": list(years),
              "countries": n_countries, "products": n_products}
    if (not force and all(p.exists() for p in paths) and (out_dir / CODES_NAME).exists() and stamp.exists()
            and json.loads(stamp.read_text()) == params):
        return paths
    cols, countries = generate_arrays(rows, seed=seed, years=years, n_countries=n_countries, n_products=n_products)
    bounds = np.searchsorted(cols["t"], np.asarray(years, dtype=np.int64))  # rows are sorted by t
    ends = [*bounds[1:], len(cols["t"])]
    for path, lo, hi in zip(paths, bounds, ends):
        tmp = path.with_suffix(".csv.part")
        write_baci_csv(tmp, {c: a[lo:hi] for c, a in cols.items()})
        tmp.replace(path)
    write_country_codes(out_dir / CODES_NAME, countries)
    stamp.write_text(json.dumps(params) + "\n")
    return paths


def _iso3_lookup(countries: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Sorted BACI codes and their canonical ISO3 (Taiwan ``TWN``, as scrisk's readers map it)."""
    iso = countries["country_iso3"].astype(str).replace({"S19": "TWN", "N/A": "TWN"})
    iso = iso.where(countries["country_code"] != 490, "TWN")
    order = np.argsort(countries["country_code"].to_numpy())
    return countries["country_code"].to_numpy(dtype=np.int64)[order], iso.to_numpy(dtype=object)[order]


def canonical_batch(cols: dict[str, np.ndarray], lo: int, hi: int, codes: np.ndarray, iso: np.ndarray) -> pa.Table:
    """Rows ``lo:hi`` as a canonical flow table: ``year`` int64, ISO3 ``exporter``/``importer``,
    zero-padded ``hs``, ``value_usd`` and ``qty_kg`` (null for NA) doubles."""
    qm = cols["q_milli"][lo:hi]
    k = pa.array(cols["k"][lo:hi])
    return pa.table({
        "year": pa.array(cols["t"][lo:hi], pa.int64()),
        "exporter": pa.array(iso[np.searchsorted(codes, cols["i"][lo:hi])], pa.string()),
        "importer": pa.array(iso[np.searchsorted(codes, cols["j"][lo:hi])], pa.string()),
        "hs": pc.utf8_lpad(pc.cast(k, pa.string()), 6, "0"),
        # BACI's own conversion: thousand USD x 1000, tons x 1000 (a value written "1.234" reads 1234.0)
        "value_usd": pa.array(cols["v_milli"][lo:hi].astype(np.float64)),
        "qty_kg": pa.array(qm.astype(np.float64), mask=qm < 0),
    })


def generate_partitioned(
    out_dir: Path,
    rows: int,
    *,
    seed: int = 42,
    years: tuple[int, ...] = tuple(range(2015, 2025)),
    n_countries: int = 200,
    n_products: int = 5000,
    chunk: int = 1_000_000,
    force: bool = False,
) -> Path:
    """Generate ``rows`` flows spread evenly over ``years`` as canonical Parquet, one hive partition per year.

    Layout: ``out_dir/year=<YYYY>/part-0.parquet`` (row groups of ``chunk``
    rows); each file also holds the ``year`` column (int64), so every file is a
    canonical flow table on its own. The structure (countries, products,
    specialists, value model) is drawn once from ``seed``; each year's flows are
    drawn with their own generator (``[seed, year]``), one year at a time, so
    memory stays that of one year whatever the number of years. Returns
    ``out_dir``.
    """
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = out_dir / "generated.json"
    params = {"generator": GENERATOR_VERSION, "layout": "parquet", "rows": rows, "seed": seed, "years": list(years),
              "countries": n_countries, "products": n_products}
    parts = [out_dir / f"year={y}" / "part-0.parquet" for y in years]
    if (not force and all(p.exists() for p in parts) and stamp.exists()
            and json.loads(stamp.read_text()) == params):
        return out_dir
    per_year = rows // len(years)
    s = _structure(np.random.default_rng(seed), n_countries=n_countries, n_products=n_products,
                   n_years=len(years), rows=rows)
    codes, iso = _iso3_lookup(s["countries"])
    for n, (year, part) in enumerate(zip(years, parts)):
        want = per_year + (rows - per_year * len(years) if n == 0 else 0)
        cols = _draw(s, np.random.default_rng([seed, int(year)]), want, np.asarray([year], dtype=np.int64))
        part.parent.mkdir(parents=True, exist_ok=True)
        tmp = part.with_suffix(".parquet.part")
        first = canonical_batch(cols, 0, min(chunk, want), codes, iso)
        with pq.ParquetWriter(tmp, first.schema) as w:
            w.write_table(first, row_group_size=chunk)
            for lo in range(chunk, want, chunk):
                w.write_table(canonical_batch(cols, lo, min(lo + chunk, want), codes, iso), row_group_size=chunk)
        tmp.replace(part)
        del cols
    write_country_codes(out_dir / CODES_NAME, s["countries"])
    stamp.write_text(json.dumps(params) + "\n")
    return out_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate a synthetic BACI-layout trade file for benchmarks.")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--years", default="2022,2024",
                    help="comma-separated years (rows split among them), or a run such as 2015-2024")
    ap.add_argument("--countries", type=int, default=200)
    ap.add_argument("--products", type=int, default=5000)
    ap.add_argument("--out-dir", type=Path, default=None, help="default benchmarks/_data/rows<N>_seed<S>/")
    ap.add_argument("--force", action="store_true", help="regenerate even when the file exists")
    ap.add_argument("--layout", choices=LAYOUTS, default="csv",
                    help="csv: one BACI CSV (default); split: one BACI CSV per year; "
                         "parquet: canonical Parquet partitioned by year (year=YYYY/), generated a year at a time")
    args = ap.parse_args(argv)
    years = tuple(int(y) for y in args.years.replace("-", ",", 1).split(","))
    if "-" in args.years and len(years) == 2:  # "2015-2024": a run of years
        years = tuple(range(years[0], years[1] + 1))
    out_dir = args.out_dir or dataset_dir(args.rows, args.seed, years, args.layout)
    t0 = time.perf_counter()
    kw = {"seed": args.seed, "years": years, "n_countries": args.countries, "n_products": args.products,
          "force": args.force}
    if args.layout == "csv":
        paths = [generate_file(out_dir, args.rows, **kw)]
    elif args.layout == "split":
        paths = generate_split(out_dir, args.rows, **kw)
    else:
        paths = sorted(generate_partitioned(out_dir, args.rows, **kw).glob("year=*/*.parquet"))
    size = sum(p.stat().st_size for p in paths) / 1e6
    where = paths[0] if len(paths) == 1 else out_dir
    print(f"{where} ({size:,.0f} MB) ready in {time.perf_counter() - t0:,.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
