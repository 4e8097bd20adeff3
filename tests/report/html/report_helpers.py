"""Helpers shared by the HTML report tests."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

INJECT_CODE = "<script>window.__pwned_country=1</script>"
INJECT_BASKET = "<script>window.__pwned_basket=1</script>Evil basket"
INJECT_SCENARIO = "<script>window.__pwned_scenario=1</script>Evil scenario"

_FLOWS = """exporter,importer,hs,value_usd,year
CHN,KOR,811292,90000000,2024
JPN,KOR,811292,8000000,2024
USA,KOR,811292,2000000,2024
CHN,JPN,811292,30000000,2024
DEU,JPN,811292,20000000,2024
JPN,KOR,370790,40000000,2024
USA,KOR,370790,12000000,2024
BEL,KOR,370790,3000000,2024
CHL,KOR,283691,50000000,2024
ARG,KOR,283691,20000000,2024
CHL,USA,283691,30000000,2024
"{code}",KOR,811292,1000000,2024
"""

_BASKET = """name = "evilium"
title = "{title}"
description = "A basket whose title carries markup."

[[code]]
hs = "811292"
stage = "refined"
description = "<b>not bold</b>"
"""

_SCENARIO = """name = "evil"
title = "{title}"
description = "<img src=x onerror=alert(1)>"
sources = ["<script>window.__pwned_source=1</script>"]

[engine]
mode = "cascade"
headroom = 0.5

[[measure]]
exporters = ["CHN"]
hs = ["811292"]
cut = 1.0
label = "<script>window.__pwned_measure=1</script>"
"""


def write_injected(folder: Path) -> dict[str, Path]:
    """Write the three input files into ``folder``; return their paths."""
    flows = folder / "flows.csv"
    flows.write_text(_FLOWS.format(code=INJECT_CODE.replace('"', '""')), encoding="utf-8")
    basket = folder / "evil_basket.toml"
    basket.write_text(_BASKET.format(title=INJECT_BASKET.replace('"', '\\"')), encoding="utf-8")
    scenario = folder / "evil_scenario.toml"
    scenario.write_text(_SCENARIO.format(title=INJECT_SCENARIO.replace('"', '\\"')), encoding="utf-8")
    return {"flows": flows, "basket": basket, "scenario": scenario}


class PageParser(HTMLParser):
    """Collect the scripts, their text, the elements with a src/href, and the table cells of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict] = []
        self.links: list[tuple[str, str, str]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.meta_csp: str | None = None
        self._script: dict | None = None
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href", "action", "data", "poster"):
            if key in a:
                self.links.append((tag, key, a[key] or ""))
        if tag == "script":
            self._script = {"attrs": a, "text": ""}
        elif tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.meta_csp = a.get("content")
        elif tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append(self._script)
            self._script = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._script is not None:
            self._script["text"] += data
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse_page(html: str) -> PageParser:
    """Parse a report page."""
    p = PageParser()
    p.feed(html)
    p.close()
    return p
