"""The hostile-input corpus: one row per kind of bad input, with what scrisk must do about it.

Each :class:`Case` names the command line (``{name}`` stands for the path of
a file the case writes into a fresh folder), the files and their exact bytes,
the exit code, a pattern the one stderr error line must match (None: the
command succeeds or reports findings without an error line), and for reader
cases the row accounting ``(read, accepted, rejected)`` that ``validate
--format json`` must report. Add a case by adding a row.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from dataclasses import dataclass, field

HDR = b"year,exporter,importer,hs,value_usd\n"
TIDY = HDR + b"2022,CHN,KOR,811292,900\n2022,JPN,KOR,811292,100\n2022,CHN,JPN,811292,500\n"
BACI_NAME = "BACI_HS17_Y2022_V202401.csv"
BACI = b"t,i,j,k,v,q\n2022,156,410,811292,0.9,1.000\n2022,392,410,811292,0.1,NA\n"
CC = (b"country_code,country_name,country_iso2,country_iso3\n156,China,CN,CHN\n392,Japan,JP,JPN\n"
      b"410,Rep. of Korea,KR,KOR\n842,USA,US,USA\n")
POLICY = b'[[rule]]\nname = "kor-ga"\nimporter = "KOR"\nhs = ["811292"]\nmax_top_share = 0.5\n'
SCEN = b'[[measure]]\nexporters = ["CHN"]\nhs = ["811292"]\ncut = 0.5\n'
BASKET = b'[[basket]]\nname = "testmat"\ndescription = "t"\n[[basket.code]]\nhs = "811292"\n'


COMTRADE = (b"typeCode,freqCode,refYear,reporterCode,reporterISO,flowCode,partnerCode,partnerISO,cmdCode,primaryValue\n"
            b"C,A,2022,410,KOR,M,156,CHN,811292,900\n")


def _parquet_with_a_null_row() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"year": pa.array([2022, None], pa.int64()), "exporter": ["CHN", None],
                             "importer": ["KOR", None], "hs": ["811292", None],
                             "value_usd": pa.array([5.0, None], pa.float64())}), buf)
    return buf.getvalue()


def _zip(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, data)
    return buf.getvalue()


@dataclass(frozen=True)
class Case:
    kind: str
    args: tuple[str, ...]
    files: dict[str, bytes] = field(default_factory=dict)
    exit: int = 0
    message: str | None = None
    rows: tuple[int, int, int] | None = None  # (read, accepted, rejected) from validate --format json


def _t(*lines: bytes) -> bytes:
    return HDR + b"".join(line + b"\n" for line in lines)


C = Case
CASES: list[Case] = [
    # ---------------------------------------------------------------- usage errors (exit 2, one line)
    C("unknown option", ("analyze", "--no-such"), exit=2, message=r"No such option: --no-such.*--help"),
    C("unknown command", ("analyse",), exit=2, message=r"No such command 'analyse'.*--help"),
    C("bad format value", ("analyze", "--format", "xml"), exit=2, message=r"--format.*'xml' is not one of"),
    C("negative --show", ("analyze", "--show", "-1"), exit=2, message=r"--show.*greater than or equal to 0"),
    C("option missing its value", ("analyze", "--year"), exit=2, message=r"--year.*requires an argument"),
    C("non-integer --year", ("analyze", "--year", "20x2"), exit=2, message=r"--year '20x2': write a year"),
    C("--year 0", ("analyze", "--year", "0"), exit=2, message=r"--year '0': write a year"),
    C("--year 99999", ("analyze", "--year", "99999"), exit=2, message=r"--year 99999 is not a plausible year|--year '99999'"),
    C("--encoding rot13", ("analyze", "{f}", "--encoding", "rot13"), {"f": TIDY}, 2,
      r"--encoding rot13 is not a text encoding"),
    C("--encoding unknown", ("validate", "{f}", "--encoding", "klingon"), {"f": TIDY}, 2,
      r"--encoding klingon is not a known encoding"),
    C("analyze year not in data", ("analyze", "{f}", "--year", "1999"), {"f": TIDY}, 2, r"year 1999"),
    C("check year not in data", ("check", "{f}", "--policy", "{p}", "--year", "1999"), {"f": TIDY, "p": POLICY},
      2, r"1999"),
    C("unknown material", ("analyze", "{f}", "--material", "galium"), {"f": TIDY}, 2, r"galium.*gallium"),
    C("unknown importer", ("analyze", "{f}", "--importer", "KORR"), {"f": TIDY}, 2, r"KORR"),
    C("bad --columns", ("analyze", "{f}", "--columns", "exporter=nope"), {"f": TIDY}, 2, r"nope"),
    C("bad --value-unit", ("analyze", "{f}", "--value-unit", "eur"), {"f": TIDY}, 2, r"eur"),
    C("bad --source", ("analyze", "{f}", "--source", "excel"), {"f": TIDY}, 2, r"excel"),
    C("shock without exporter", ("shock", "{f}"), {"f": TIDY}, 2, r"no restricting exporter"),
    C("shock --cut 2", ("shock", "{f}", "--exporter", "CHN", "--hs", "811292", "--cut", "2"), {"f": TIDY}, 2,
      r"--cut.*less than or equal to 1"),
    C("shock --headroom nan", ("shock", "{f}", "--exporter", "CHN", "--hs", "811292", "--headroom", "nan"),
      {"f": TIDY}, 2, r"--headroom"),
    C("check without policy", ("check", "{f}"), {"f": TIDY}, 2, r"no policy given"),
    C("diff without --old", ("diff", "--new", "{f}"), {"f": TIDY}, 2, r"old"),
    C("graph without --out", ("graph", "{f}"), {"f": TIDY}, 2, r"--out"),
    C("analyze -o over input", ("analyze", "{f}", "-o", "{f}"), {"f": TIDY}, 2, r"would overwrite an input"),
    C("validate --quarantine over input", ("validate", "{f}", "--quarantine", "{f}"), {"f": TIDY}, 2,
      r"would overwrite an input"),
    C("report -o over input", ("report", "{f}", "-o", "{f}"), {"f": TIDY}, 2, r"would overwrite an input"),
    C("xlsx to stdout", ("analyze", "{f}", "--format", "xlsx"), {"f": TIDY}, 2, r"xlsx"),
    C("unknown output extension format flag", ("materials", "--format", "junit"), exit=2, message=r"junit"),
    C("300-character file name", ("validate", "{long}"), exit=2, message=r"file name too long.*use a shorter path"),
    C("--profile without file", ("analyze", "{f}", "--profile", "kcs"), {"f": TIDY}, 2, r"needs a profile file"),
    C("profile not in file", ("analyze", "{f}", "--profiles", "{p}", "--profile", "nope"),
      {"f": TIDY, "p": b'[profiles.kcs]\nvalue = "value_usd"\n'}, 2, r"profile 'nope' not in"),
    # ---------------------------------------------------------------- unreadable inputs (exit 3, one line)
    C("missing file", ("validate", "{dir}/nope.csv"), exit=3, message=r"nope\.csv"),
    C("empty file", ("validate", "{f}"), {"f": b""}, 3, r"file is empty"),
    C("binary garbage", ("validate", "{f}"), {"f": bytes(range(256)) * 40}, 3, r"\S"),
    C("header only: validate", ("validate", "{f}"), {"f": HDR}, 0, None, (0, 0, 0)),
    C("header only: analyze", ("analyze", "{f}"), {"f": HDR}, 0, None),
    C("header only: shock", ("shock", "{f}", "--exporter", "CHN", "--hs", "811292"), {"f": HDR}, 0, None),
    C("unknown layout", ("validate", "{f}"), {"f": b"a,b,c\n1,2,3\n"}, 3, r"not a recognised trade file"),
    C("utf-16 without BOM", ("validate", "{f}", "--encoding", "utf-16"), {"f": TIDY}, 3,
      r"cannot decode the text as utf-16.*--encoding"),
    C("utf-16 with BOM", ("validate", "{f}"), {"f": TIDY.decode().encode("utf-16")}, 0, None, (3, 3, 0)),
    C("gzip truncated", ("validate", "{f}.gz"), {"f.gz": gzip.compress(TIDY * 50)[:60]}, 3, r"\S"),
    C("zip with no csv", ("validate", "{f}.zip"), {"f.zip": _zip("readme.txt", b"hi")}, 3, r"\S"),
    C("zip bomb-like entry name", ("validate", "{f}.zip"), {"f.zip": _zip("../../evil.csv", TIDY)}, 3,
      r"zip member name '\.\./\.\./evil\.csv'.*refusing"),
    C("folder with no trade files", ("validate", "{dir}/sub"), {"sub/readme.txt": b"x"}, 3, r"\S"),
    C("NUL bytes in a row", ("validate", "{f}"), {"f": _t(b"2022,CHN,KOR,811292,9\x0000")}, 3, r"binary content"),
    # ---------------------------------------------------------------- config files
    C("policy unknown key", ("check", "{f}", "--policy", "{p}"),
      {"f": TIDY, "p": POLICY.replace(b"max_top_share", b"max_top_shar")}, 3, r"p:5:.*max_top_shar.*max_top_share"),
    C("policy syntax error", ("check", "{f}", "--policy", "{p}"), {"f": TIDY, "p": b"[[rule]\nname = 1\n"}, 3,
      r"p:1: invalid TOML"),
    C("policy NaN threshold", ("check", "{f}", "--policy", "{p}"),
      {"f": TIDY, "p": POLICY.replace(b"0.5", b"nan")}, 3, r"p:5:.*NaN"),
    C("policy not UTF-8", ("check", "{f}", "--policy", "{p}"), {"f": TIDY, "p": b'title = "\xff"\n' + POLICY}, 3,
      r"p:1: policy file is not UTF-8"),
    C("policy deeply nested", ("check", "{f}", "--policy", "{p}"), {"f": TIDY, "p": b"x = " + b"[" * 3000 + b"]" * 3000},
      3, r"p:1: nested more than 64 levels"),
    C("policy is a folder", ("check", "{f}", "--policy", "{dir}"), {"f": TIDY}, 3, r"folder"),
    C("scenario cut = nan", ("shock", "{f}", "--scenario", "{s}"), {"f": TIDY, "s": SCEN.replace(b"0.5", b"nan")},
      3, r"s:4: measure\[1\]\.cut = nan is not a finite number"),
    C("scenario headroom = nan", ("shock", "{f}", "--scenario", "{s}"),
      {"f": TIDY, "s": b"[engine]\nheadroom = nan\n" + SCEN}, 3, r"s:2: engine\.headroom = nan is not a finite number"),
    C("scenario unknown key", ("shock", "{f}", "--scenario", "{s}"),
      {"f": TIDY, "s": SCEN.replace(b"exporters", b"exporter")}, 3, r"s:2:.*'exporter'.*exporters"),
    C("scenario cut out of range", ("shock", "{f}", "--scenario", "{s}"),
      {"f": TIDY, "s": SCEN.replace(b"0.5", b"1.5")}, 3, r"s:4:"),
    C("scenario deeply nested", ("shock", "{f}", "--scenario", "{s}"),
      {"f": TIDY, "s": b"a = " + b"{b = " * 2000 + b"1" + b"}" * 2000}, 3, r"s:1: nested more than 64"),
    C("scenario missing", ("shock", "{f}", "--scenario", "{dir}/no.toml"), {"f": TIDY}, 3, r"no\.toml"),
    C("basket unknown key", ("materials", "--baskets", "{b}"), {"b": BASKET.replace(b"description", b"descriptoin")},
      3, r"b:3:.*descriptoin"),
    C("basket bad hs", ("materials", "--baskets", "{b}"), {"b": BASKET.replace(b'"811292"', b'"81x292"')}, 3,
      r"b:\d+:.*81x292"),
    C("basket syntax error", ("materials", "--baskets", "{b}"), {"b": b"[[basket]\n"}, 3, r"b:1: invalid TOML"),
    C("basket missing file", ("materials", "--baskets", "{dir}/none.toml"), exit=3, message=r"none\.toml"),
    C("profile year = true", ("analyze", "{f}", "--profiles", "{p}", "--profile", "p"),
      {"f": TIDY, "p": b"[profiles.p]\nyear = true\n"}, 3, r"p:2: profiles\.p\.year = true must be a string or"),
    C("profile encoding = 5", ("analyze", "{f}", "--profiles", "{p}", "--profile", "p"),
      {"f": TIDY, "p": b"[profiles.p]\nencoding = 5\n"}, 3, r"p:2: profiles\.p\.encoding = 5"),
    C("profile encoding rot13", ("analyze", "{f}", "--profiles", "{p}", "--profile", "p"),
      {"f": TIDY, "p": b'[profiles.p]\nencoding = "rot13"\n'}, 3, r"p:2:.*rot13 is not a text encoding"),
    C("profile unknown key", ("analyze", "{f}", "--profiles", "{p}", "--profile", "p"),
      {"f": TIDY, "p": b'[profiles.p]\n\nexportr = "x"\n'}, 3, r"p:3: unknown key 'exportr'.*did you mean 'exporter'"),
    C("profile bad unit", ("analyze", "{f}", "--profiles", "{p}", "--profile", "p"),
      {"f": TIDY, "p": b'[profiles.p]\nvalue_unit = "KUSD"\n'}, 3, r"p:2:.*KUSD.*did you mean 'kusd'"),
    C("profile year 0", ("analyze", "{f}", "--profiles", "{p}", "--profile", "p"),
      {"f": TIDY, "p": b"[profiles.p]\nyear = 0\n"}, 3, r"p:2:.*year = 0 is not a plausible year"),
    C("profile syntax", ("analyze", "{f}", "--profiles", "{p}", "--profile", "p"), {"f": TIDY, "p": b"[profiles.p\n"},
      3, r"p:1: invalid TOML"),
    # ---------------------------------------------------------------- rows: each rejected with a reason
    C("negative value", ("validate", "{f}"), {"f": _t(b"2022,CHN,KOR,811292,-5", b"2022,JPN,KOR,811292,5")}, 1, None,
      (2, 1, 1)),
    C("non-numeric value", ("validate", "{f}"), {"f": _t(b"2022,CHN,KOR,811292,abc")}, 1, None, (1, 0, 1)),
    C("infinite value text", ("validate", "{f}"), {"f": _t(b"2022,CHN,KOR,811292,inf")}, 1, None, (1, 0, 1)),
    C("1e308 pair overflows", ("validate", "{f}"), {"f": _t(b"2022,CHN,KOR,811292,1e308", b"2022,JPN,KOR,811292,1e308")},
      1, None, (2, 0, 2)),
    C("1e999 value", ("validate", "{f}"), {"f": _t(b"2022,CHN,KOR,811292,1e999")}, 1, None, (1, 0, 1)),
    C("tiny value", ("validate", "{f}"), {"f": _t(b"2022,CHN,KOR,811292,5e-324")}, 0, None, (1, 1, 0)),
    C("BACI v = 1e306", ("validate", "{b}"), {BACI_NAME: BACI.replace(b"0.9", b"1e306")}, 1, None,
      (2, 1, 1)),
    C("bad year", ("validate", "{f}"), {"f": _t(b"20x2,CHN,KOR,811292,5")}, 1, None, (1, 0, 1)),
    C("year 1850", ("validate", "{f}"), {"f": _t(b"1850,CHN,KOR,811292,5")}, 1, None, (1, 0, 1)),
    C("malformed hs", ("validate", "{f}"), {"f": _t(b"2022,CHN,KOR,81x292,5")}, 1, None, (1, 0, 1)),
    C("aggregate hs", ("validate", "{f}"), {"f": _t(b"2022,CHN,KOR,81,5", b"2022,CHN,KOR,811292,5")}, 0, None,
      (2, 1, 1)),
    C("unknown country", ("validate", "{f}"), {"f": _t(b"2022,XXX,KOR,811292,5")}, 1, None, (1, 0, 1)),
    C("two unknown countries", ("validate", "{f}"), {"f": _t(b"2022,XXX,YYY,811292,5")}, 1, None, (1, 0, 1)),
    C("self trade", ("validate", "{f}"), {"f": _t(b"2022,KOR,KOR,811292,5")}, 1, None, (1, 0, 1)),
    C("duplicate key", ("validate", "{f}"), {"f": _t(b"2022,CHN,KOR,811292,5", b"2022,CHN,KOR,811292,6")}, 1, None,
      (2, 1, 1)),
    C("missing field", ("validate", "{f}"), {"f": _t(b"2022,,KOR,811292,5")}, 1, None, (1, 0, 1)),
    C("too many fields", ("validate", "{f}"), {"f": _t(b"2022,CHN,KOR,811292,5,7")}, 1, None, (1, 0, 1)),
    C("too few fields", ("validate", "{f}"), {"f": _t(b"2022,CHN,KOR")}, 1, None, (1, 0, 1)),
    C("delimiter-only line", ("validate", "{f}"), {"f": _t(b",,,,", b"2022,CHN,KOR,811292,5")}, 1, None, (2, 1, 1)),
    C("quoted empty fields line", ("validate", "{f}"), {"f": _t(b'"","","","",""', b"2022,CHN,KOR,811292,5")}, 1, None,
      (2, 1, 1)),
    C("delimiter-only line in BACI", ("validate", "{b}"), {BACI_NAME: BACI + b",,,,,\n\n"}, 1, None, (3, 2, 1)),
    C("delimiter-only line in Comtrade", ("validate", "{f}"), {"f": COMTRADE + b",,,,,,,,,\n"}, 1, None, (2, 1, 1)),
    C("row of nulls in Parquet", ("validate", "{f}.parquet"), {"f.parquet": _parquet_with_a_null_row()}, 1, None,
      (2, 1, 1)),
    C("blank lines", ("validate", "{f}"), {"f": _t(b"", b"2022,CHN,KOR,811292,5", b"")}, 0, None, (1, 1, 0)),
    C("CRLF line endings", ("validate", "{f}"), {"f": TIDY.replace(b"\n", b"\r\n")}, 0, None, (3, 3, 0)),
    C("CR-only line endings", ("validate", "{f}"), {"f": TIDY.replace(b"\n", b"\r")}, 3,
      r"f:1: the lines end with CR only.*convert them to LF"),
    C("CR-only line endings, quoted header", ("validate", "{f}"),
      {"f": b'"year","exporter","importer","hs","value_usd"\r"2022","CHN","KOR","811292","5"\r'}, 3,
      r"f:1: the lines end with CR only.*convert them to LF"),
    C("CR-only line endings in BACI", ("validate", "{b}"), {BACI_NAME: BACI.replace(b"\n", b"\r")}, 3,
      r"Y2022_V202401\.csv:1: the lines end with CR only.*convert them to LF"),
    C("BOM", ("validate", "{f}"), {"f": b"\xef\xbb\xbf" + TIDY}, 0, None, (3, 3, 0)),
    C("semicolon delimiter", ("validate", "{f}"), {"f": TIDY.replace(b",", b";")}, 0, None, (3, 3, 0)),
    C("quoted fields", ("validate", "{f}"), {"f": _t(b'"2022","CHN","KOR","811292","5"')}, 0, None, (1, 1, 0)),
    C("unterminated quote", ("validate", "{f}"), {"f": _t(b'2022,CHN,KOR,"811292,5', b"2022,JPN,KOR,811292,5")}, 1,
      None, None),
    C("leading zero dropped", ("validate", "{f}"), {"f": _t(b"2022,CHN,KOR,28530,5")}, 0, None, (1, 1, 0)),
    C("bad quantity", ("validate", "{f}"), {"f": b"year,exporter,importer,hs,value_usd,qty_kg\n2022,CHN,KOR,811292,5,-1\n"},
      1, None, (1, 0, 1)),
    C("huge quantity", ("validate", "{f}"), {"f": b"year,exporter,importer,hs,value_usd,qty_kg\n2022,CHN,KOR,811292,5,1e300\n"},
      1, None, (1, 0, 1)),
    C("bad-encoding row after 64 KiB", ("validate", "{f}"),
      {"f": HDR + b"".join(b"2022,CHN,KOR,%06d,5\n" % (100000 + i) for i in range(4000)) + b"2022,CHN,KOR,811292,\xff\xfe5\n"},
      3, r"f: text is not valid utf-8 further into the file.*--encoding"),
    C("bad encoding in BACI", ("validate", "{b}"), {BACI_NAME: BACI + b"2022,156,842,811292,\xff,NA\n"}, 3,
      r"cannot tell the text encoding.*pass --encoding"),
    C("spreadsheet formula in a code", ("validate", "{f}"), {"f": _t(b"2022,=HYPERLINK(\"x\"),KOR,811292,5")}, 1, None,
      (1, 0, 1)),
    C("control characters in a code", ("validate", "{f}"), {"f": _t(b"2022,CH\x1bN,KOR,811292,5")}, 1, None, (1, 0, 1)),
    C("very long line", ("validate", "{f}"), {"f": _t(b"2022,CHN,KOR,811292," + b"9" * 100000)}, 1, None, (1, 0, 1)),
    C("BACI unknown numeric code", ("validate", "{b}"), {BACI_NAME: BACI + b"2022,999,410,811292,1,NA\n"}, 1,
      None, (3, 2, 1)),
    C("BACI negative v", ("validate", "{b}"), {BACI_NAME: BACI + b"2022,156,842,811292,-1,NA\n"}, 1, None,
      (3, 2, 1)),
    C("BACI zip", ("validate", "{b}.zip"), {"b.zip": _zip(BACI_NAME, BACI)}, 0, None, (2, 2, 0)),
    # ---------------------------------------------------------------- commands on hostile data
    C("analyze overflow pair", ("analyze", "{f}", "--format", "json"),
      {"f": _t(b"2022,CHN,KOR,811292,1e308", b"2022,JPN,KOR,811292,1e308", b"2022,JPN,CHN,811292,5")}, 0, None),
    C("shock overflow pair", ("shock", "{f}", "--exporter", "CHN", "--hs", "811292"),
      {"f": _t(b"2022,CHN,KOR,811292,1e308", b"2022,JPN,KOR,811292,1e308", b"2022,JPN,CHN,811292,5")}, 0, None),
    C("check overflow pair", ("check", "{f}", "--policy", "{p}"),
      {"f": _t(b"2022,CHN,KOR,811292,1e308", b"2022,JPN,KOR,811292,1e308"), "p": POLICY}, 3, r"no accepted rows"),
    C("check rule name with newline", ("check", "{f}", "--policy", "{p}"),
      {"f": TIDY, "p": POLICY.replace(b'"kor-ga"', b'"x\\n::error::owned"')}, 1, None),
    C("check junit rule name with control char", ("check", "{f}", "--policy", "{p}", "--format", "junit"),
      {"f": TIDY, "p": POLICY.replace(b'"kor-ga"', b'"x\\u001b\\u0000y"')}, 1, None),
    C("check md rule name with html", ("check", "{f}", "--policy", "{p}", "--format", "md"),
      {"f": TIDY, "p": POLICY.replace(b'"kor-ga"', b'"<img src=x onerror=alert(1)>|x"')}, 1, None),
    C("graph bad material", ("graph", "{f}", "--out", "{dir}/g.graphml", "--material", "nope"), {"f": TIDY}, 2, r"nope"),
    C("graph --out over input", ("graph", "{f}.graphml", "--out", "{f}.graphml"), {"f.graphml": TIDY}, 2,
      r"would overwrite an input"),
    C("graph unknown extension", ("graph", "{f}", "--out", "{dir}/g.json"), {"f": TIDY}, 2, r"unknown extension"),
    C("diff same file", ("diff", "--old", "{f}", "--new", "{f}"), {"f": TIDY}, 0, None),
    C("diff old unreadable", ("diff", "--old", "{dir}/x.csv", "--new", "{f}"), {"f": TIDY}, 3, r"x\.csv"),
    C("report on header only", ("report", "{f}", "-o", "{dir}/r.html"), {"f": HDR}, 0, None),
    C("materials unknown name", ("materials", "galium"), exit=2, message=r"galium.*gallium"),
    C("cache unknown subcommand", ("cache", "purge"), exit=2, message=r"No such command 'purge'"),
    C("--version", ("--version",), exit=0),
]
