"""Material baskets: bundled data, registry lookups, user basket files and checks against the HS nomenclature."""

from __future__ import annotations

import csv
import json
import re
import tomllib
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest

from scrisk.errors import ConfigError, UnknownMaterialError, UnreadableFileError, UsageError
from scrisk.materials import (
    STAGES,
    Basket,
    HSCode,
    Link,
    catalog,
    downstream_of,
    get_basket,
    hs_mask,
    label_materials,
    load_baskets,
    materials_for_hs,
    normalize_revision,
    resolve_hs,
)
from scrisk.resources import hs_codes_dir

REQUIRED = (
    "gallium", "germanium", "lithium", "rare_earths", "graphite", "cobalt", "nickel", "antimony", "tungsten",
    "magnesium", "silicon", "permanent_magnets", "semiconductors", "sobejang",
    "helium", "platinum_group", "fluorspar", "manganese", "vanadium", "titanium", "phosphate_rock", "copper",
)

# The 30 HS2017 codes of the bundled example and of the BACI critical-materials extract.
BACI_CODES = (
    "250490 251010 251110 252800 252910 252922 260200 260600 270112 280429 280469 280470 280480 282200 283691 "
    "283692 711011 711021 720292 720293 740311 750210 810194 810320 810411 810820 811010 811212 811292 850511"
).split()


@pytest.fixture(scope="module")
def baskets():
    return load_baskets()


# --------------------------------------------------------------------------- bundled data


def test_bundled_baskets_load_and_required_materials_exist(baskets):
    assert len(baskets) >= len(REQUIRED)
    for name in REQUIRED:
        assert name in baskets, name
        assert baskets[name].codes, name
    assert list(baskets) == sorted(baskets)


def test_every_code_is_a_zero_padded_hs6_string_with_valid_fields(baskets):
    for b in baskets.values():
        assert re.fullmatch(r"[a-z0-9_]+", b.name)
        assert b.title and b.description and b.sources, b.name
        for c in b.codes:
            assert isinstance(c.hs, str) and re.fullmatch(r"\d{6}", c.hs), (b.name, c.hs)
            assert c.hs2022 is None or re.fullmatch(r"\d{6}", c.hs2022)
            assert c.revisions and set(c.revisions) <= {"HS2017", "HS2022"}, (b.name, c.hs)
            assert c.stage in STAGES
            assert c.description.strip()
            if c.hs2022:
                assert "HS2022" not in c.revisions
        # ordered upstream first
        ranks = [STAGES.index(c.stage) for c in b.codes]
        assert ranks == sorted(ranks), b.name
        assert b.hs_codes("HS2017") or b.hs_codes("HS2022")


def test_bundled_files_state_revisions_explicitly_and_one_basket_each():
    files = sorted(hs_codes_dir().glob("*.toml"))
    assert files
    for f in files:
        data = tomllib.loads(f.read_text(encoding="utf-8"))
        assert "basket" not in data, f.name
        assert data["name"] == f.stem, f"{f.name}: name must match the file name"
        for code in data["code"]:
            assert "revisions" in code, f"{f.name}: {code['hs']} lacks revisions"


def test_each_baci_extract_code_belongs_to_a_basket(baskets):
    labels = label_materials(pd.Series(BACI_CODES), baskets, revision="HS2017")
    missing = [c for c, lab in zip(BACI_CODES, labels) if lab == ""]
    assert missing == []
    for code in BACI_CODES:
        assert materials_for_hs(code, baskets, revision="HS2017"), code


def test_mixed_codes_carry_precision_notes(baskets):
    def code(name, hs):
        return next(c for c in baskets[name].codes if c.hs == hs)

    for name in ("gallium", "germanium", "vanadium", "niobium"):
        note = code(name, "811292").precision
        assert note and "hafnium" in note and "rhenium" in note
    assert "zirconium" in code("germanium", "282560").precision
    assert "282520" in code("lithium", "283691").precision
    assert "380110" in code("graphite", "250490").precision
    assert "alnico" in code("permanent_magnets", "850511").precision
    assert code("helium", "280429").precision
    assert code("coking_coal", "270112").precision
    assert code("lithium", "282520").precision is None


def test_hs_revision_differences(baskets):
    assert baskets["hafnium"].hs_codes("HS2017") == ("811292",)
    assert baskets["hafnium"].hs_codes("HS2022") == ("811231",)
    semi17 = baskets["semiconductors"].hs_codes("HS2017")
    semi22 = baskets["semiconductors"].hs_codes("HS2022")
    assert "854140" in semi17 and "854140" not in semi22
    assert {"854141", "854142", "854143", "854149"} <= set(semi22) and not {"854141", "854151"} & set(semi17)
    assert baskets["bismuth"].hs_codes("HS2017") == ("810600",)
    assert baskets["bismuth"].hs_codes("HS2022") == ("810610", "810690")
    # older revisions fall back to the HS2017 codes
    assert baskets["gallium"].hs_codes("HS2012") == baskets["gallium"].hs_codes("HS2017")
    assert baskets["gallium"].hs_codes(None) == ("811292",)


def test_sobejang_holds_the_2019_items_and_chip_equipment(baskets):
    codes = set(baskets["sobejang"].hs_codes())
    assert {"281111", "370790", "392099"} <= codes
    assert {"848610", "848620", "848630", "848640", "848690", "381800"} <= codes
    assert "280700" not in codes  # bulk sulphuric acid is deliberately left out


def test_links_start_from_own_codes_and_resolve(baskets):
    n = 0
    for b in baskets.values():
        own = b.all_hs_codes()
        for link in b.links:
            n += 1
            assert any(c.startswith(link.upstream) for c in own), (b.name, link)
            assert re.fullmatch(r"\d{2}|\d{4}|\d{6}", link.downstream), (b.name, link)
            assert link.note
    assert n >= 30
    required_links = {
        ("gallium", "811292", "381800"), ("semiconductors", "381800", "8542"), ("lithium", "283691", "850760"),
        ("lithium", "282520", "850760"), ("rare_earths", "280530", "850511"), ("permanent_magnets", "850511", "8501"),
        ("graphite", "250410", "850760"), ("sobejang", "281111", "8542"), ("sobejang", "370790", "8542"),
    }
    have = {(b.name, l.upstream, l.downstream) for b in baskets.values() for l in b.links}
    assert required_links <= have


def test_downstream_walk_is_transitive_and_deduplicated(baskets):
    chain = downstream_of("260600", baskets)
    pairs = [(l.upstream, l.downstream) for l in chain]
    # bauxite -> gallium (by-product) -> wafers -> integrated circuits, three tiers down
    assert ("260600", "811292") in pairs and ("811292", "381800") in pairs and ("381800", "8542") in pairs
    assert pairs.index(("260600", "811292")) < pairs.index(("811292", "381800")) < pairs.index(("381800", "8542"))
    assert len(pairs) == len(set(pairs))
    # the same link in two baskets appears once, with both notes
    ga_ge = next(l for l in chain if (l.upstream, l.downstream) == ("811292", "381800"))
    assert "allium" in ga_ge.note and "ermanium" in ga_ge.note
    assert downstream_of("010121", baskets) == []
    # a heading reaches links declared on its subheadings and vice versa
    assert [(l.upstream, l.downstream) for l in downstream_of("8486", baskets)][:1] == [("848610", "381800")]


def test_downstream_walk_stops_on_cycles():
    b = Basket("loop", "Loop", "", (), (HSCode("111111", ("HS2017",), "a", "raw"), HSCode("222222", ("HS2017",), "b", "raw")),
               (Link("111111", "222222", "x"), Link("222222", "111111", "y")))
    assert [(l.upstream, l.downstream) for l in downstream_of("111111", {"loop": b})] == [
        ("111111", "222222"), ("222222", "111111")]


# --------------------------------------------------------------------------- lookups


def test_get_basket_by_name_alias_case_and_separators(baskets):
    assert get_basket("gallium", baskets=baskets).name == "gallium"
    assert get_basket("Rare Earths", baskets=baskets).name == "rare_earths"
    assert get_basket("rare-earths", baskets=baskets).name == "rare_earths"
    assert get_basket("REE", baskets=baskets).name == "rare_earths"
    assert get_basket("sobujang", baskets=baskets).name == "sobejang"
    assert get_basket("PGM", baskets=baskets).name == "platinum_group"
    assert get_basket("li-ion", baskets=baskets).name == "li_ion_batteries"


@pytest.mark.parametrize("typo, expected", [("lithum", "lithium"), ("galium", "gallium"), ("tungstan", "tungsten"),
                                            ("rare_earth_metals", "rare_earths"), ("magnet", "permanent_magnets")])
def test_unknown_material_suggests_the_closest(baskets, typo, expected):
    with pytest.raises(UnknownMaterialError) as ei:
        get_basket(typo, baskets=baskets)
    assert ei.value.exit_code == 2
    assert f"did you mean '{expected}'" in str(ei.value)
    assert "scrisk materials" in str(ei.value)


def test_unknown_material_without_close_names(baskets):
    with pytest.raises(UnknownMaterialError) as ei:
        get_basket("xqzv", baskets=baskets)
    assert "did you mean" not in str(ei.value)


def test_materials_for_hs(baskets):
    assert materials_for_hs("811292", baskets, revision="HS2017") == (
        "gallium", "germanium", "hafnium", "niobium", "vanadium")
    assert "hafnium" not in materials_for_hs("811292", baskets, revision="HS2022")
    assert materials_for_hs("811231", baskets, revision="HS2022") == ("hafnium",)
    assert materials_for_hs("811231", baskets, revision="HS2017") == ()
    assert materials_for_hs("81129289", baskets, revision="HS2017")[0] == "gallium"  # CN8 line
    assert set(materials_for_hs("8486", baskets)) == {"sobejang"}
    assert materials_for_hs("010121", baskets) == ()


def test_label_materials_vectorised(baskets):
    s = pd.Series(["811292", "850511", "010121", "28369100", None, "381800"], index=[10, 11, 12, 13, 14, 15],
                  dtype="string")
    out = label_materials(s, baskets)
    assert out.index.tolist() == [10, 11, 12, 13, 14, 15]
    assert str(out.dtype) == "string" and out.name == "material"
    assert out.tolist() == ["gallium", "permanent_magnets", "", "lithium", "", "semiconductors"]
    # each label is the alphabetically first basket holding the code
    for hs, lab in zip(BACI_CODES, label_materials(pd.Series(BACI_CODES), baskets)):
        assert lab == sorted(n for n, b in baskets.items() if hs in b.all_hs_codes())[0]
    assert s.tolist()[0] == "811292"  # input untouched


def test_resolve_hs(baskets):
    assert resolve_hs("gallium", None, baskets=baskets) == ("811292",)
    assert resolve_hs(None, ["8542", "854231"], baskets=baskets) == ("8542",)
    assert resolve_hs("lithium", ["811292,8542"], baskets=baskets) == (
        "253090", "280519", "282520", "283691", "811292", "8542")
    assert resolve_hs("gallium,germanium", None, baskets=baskets) == ("282560", "811292")
    assert resolve_hs(["Rare-Earths"], None, baskets=baskets) == ("280530", "284610", "284690")
    assert resolve_hs("hafnium", None, baskets=baskets, revision="HS2022") == ("811231",)
    assert resolve_hs("hafnium", None, baskets=baskets, revision=None) == ("811292",)
    assert resolve_hs(None, None, baskets=baskets) == ()
    assert resolve_hs(None, [], baskets=baskets) == ()


@pytest.mark.parametrize("bad", ["81129", "8112x", "", "1", "8112929999999"])
def test_resolve_hs_rejects_bad_codes(baskets, bad):
    if bad == "":
        assert resolve_hs(None, [bad], baskets=baskets) == ()
        return
    with pytest.raises(UsageError) as ei:
        resolve_hs(None, [bad], baskets=baskets)
    assert ei.value.exit_code == 2 and "--hs" in str(ei.value)


def test_resolve_hs_unknown_material_and_revision(baskets):
    with pytest.raises(UnknownMaterialError):
        resolve_hs("galium", None, baskets=baskets)
    with pytest.raises(UsageError):
        resolve_hs("gallium", None, baskets=baskets, revision="HS2030")


def test_normalize_revision():
    assert normalize_revision("HS2017") == "HS2017"
    assert normalize_revision("hs22") == "HS2022"
    assert normalize_revision("H0") == "HS1992"
    assert normalize_revision("96") == "HS1996"
    with pytest.raises(UsageError):
        normalize_revision("HS2019")


def test_hs_mask():
    s = pd.Series(["854231", "811292", "850760", pd.NA], dtype="string")
    assert hs_mask(s, ("8542", "811292")).tolist() == [True, True, False, False]
    assert hs_mask(s, ()).tolist() == [True] * 4


# --------------------------------------------------------------------------- user basket files


def _write(tmp_path: Path, text: str, name: str = "my.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


ONE = '''name = "gallium"
title = "Gallium (CN8)"
aliases = ["ga"]
[[code]]
hs = "811292"
stage = "refined"
description = "Gallium; unwrought, powders (CN8 81129289 in EU data)"
'''

MANY = '''[[basket]]
name = "hbm"
title = "High-bandwidth memory"
[[basket.code]]
hs = "854232"
stage = "downstream"
description = "Memories"
[[basket.link]]
upstream = "854232"
downstream = "8471"
note = "servers"

[[basket]]
name = "indium"
[[basket.code]]
hs = "811292"
revisions = ["HS2017", "HS2022"]
stage = "refined"
description = "Indium; unwrought (in the 811292 bundle)"
[[basket.code]]
hs = "282590"
stage = "refined"
description = "Other metal oxides (indium oxide)"
'''


def test_user_basket_overrides_bundled(tmp_path):
    p = _write(tmp_path, ONE)
    reg = load_baskets(p)
    assert reg["gallium"].title == "Gallium (CN8)"
    assert reg["gallium"].links == ()
    assert reg["gallium"].origin == str(p)
    assert reg["gallium"].codes[0].revisions == ("HS2017", "HS2022")  # default
    assert len(reg) == len(load_baskets())
    # the bundled registry is not changed by the override
    assert load_baskets()["gallium"].title == "Gallium"


def test_user_file_with_several_baskets(tmp_path):
    p = _write(tmp_path, MANY)
    reg = load_baskets([p])
    assert reg["hbm"].links == (Link("854232", "8471", "servers"),)
    assert reg["indium"].hs_codes() == ("282590", "811292")
    assert reg["indium"].title == "Indium"
    assert "indium" in materials_for_hs("811292", reg)
    # later files override earlier ones
    p2 = _write(tmp_path, 'name = "hbm"\n[[code]]\nhs = "854239"\nstage = "downstream"\ndescription = "x"\n', "b.toml")
    assert load_baskets([p, p2])["hbm"].hs_codes() == ("854239",)


def _config_error(tmp_path, text) -> ConfigError:
    p = _write(tmp_path, text)
    with pytest.raises(ConfigError) as ei:
        load_baskets(p)
    assert ei.value.exit_code == 3
    assert ei.value.path == str(p)
    assert str(p) in str(ei.value)
    return ei.value


def test_bad_toml_names_the_line(tmp_path):
    e = _config_error(tmp_path, 'name = "x"\n[[code]]\nhs = "811292\nstage = "raw"\n')
    assert e.line == 3 and "invalid TOML" in e.message


def test_unknown_key_names_key_and_line(tmp_path):
    e = _config_error(tmp_path, ONE + '\n[[code]]\nhs = "282560"\nstge = "refined"\ndescription = "x"\n')
    assert e.line == 11 and "'stge'" in e.message and "did you mean 'stage'" in e.message
    e = _config_error(tmp_path, ONE.replace("aliases", "alias"))
    assert e.line == 3 and "'alias'" in e.message


def test_unknown_key_in_second_basket_of_many(tmp_path):
    text = MANY.replace('hs = "282590"\nstage', 'hs = "282590"\ncolour = "red"\nstage')
    e = _config_error(tmp_path, text)
    assert e.line == text.splitlines().index('colour = "red"') + 1
    assert "'colour'" in e.message and "indium" in e.message


@pytest.mark.parametrize("hs_line, fragment", [("hs = 811292", "quoted strings"), ('hs = "81129"', "not an HS code"),
                                                ('hs = "8112"', "not an HS code")])
def test_bad_hs_codes_name_the_line(tmp_path, hs_line, fragment):
    e = _config_error(tmp_path, ONE.replace('hs = "811292"', hs_line))
    assert e.line == 5 and fragment in e.message


def test_other_bad_values(tmp_path):
    e = _config_error(tmp_path, ONE.replace('"refined"', '"smelted"'))
    assert e.line == 6 and "stage" in e.message
    e = _config_error(tmp_path, ONE.replace('stage = "refined"\n', 'stage = "refined"\nrevisions = ["HS2019"]\n'))
    assert e.line == 7 and "HS2019" in e.message
    e = _config_error(tmp_path, ONE.replace('hs = "811292"\n', ""))
    assert e.line == 4 and "'hs'" in e.message
    e = _config_error(tmp_path, ONE + '[[code]]\nhs = "811292"\nstage = "raw"\ndescription = "again"\n')
    assert "twice" in e.message and e.line == 9
    e = _config_error(tmp_path, ONE + '[[link]]\nupstream = "283691"\ndownstream = "850760"\n')
    assert e.line == 9 and "not a code of the basket" in e.message
    e = _config_error(tmp_path, ONE.replace('name = "gallium"', 'name = "gal lium!"'))
    assert e.line == 1
    e = _config_error(tmp_path, 'title = "x"\n')
    assert "name" in e.message
    e = _config_error(tmp_path, "")
    assert "no basket" in e.message
    e = _config_error(tmp_path, 'name = "x"\n')
    assert "no codes" in e.message


def test_alias_clash_is_reported(tmp_path):
    p = _write(tmp_path, 'name = "lithium_brine"\naliases = ["li"]\n[[code]]\nhs = "283691"\nstage = "refined"\n'
                         'description = "Lithium carbonate"\n')
    with pytest.raises(ConfigError) as ei:
        load_baskets(p)
    assert "'li'" in str(ei.value) and "lithium" in str(ei.value) and str(p) in str(ei.value)


def test_missing_user_file(tmp_path):
    with pytest.raises(UnreadableFileError) as ei:
        load_baskets(tmp_path / "nope.toml")
    assert ei.value.exit_code == 3 and "nope.toml" in str(ei.value)


# --------------------------------------------------------------------------- the catalog result


def test_catalog_list_and_detail(baskets):
    r = catalog()
    assert [row["name"] for row in r["rows"]] == list(baskets)
    row = next(x for x in r["rows"] if x["name"] == "hafnium")
    assert row["hs2017_codes"] == ["811292"] and row["hs2022_codes"] == ["811231"] and row["origin"] == "bundled"
    assert r["meta"]["scrisk_version"]
    d = catalog("Gallium")
    assert d["meta"]["basket"]["name"] == "gallium" and d["meta"]["basket"]["sources"]
    assert [x["hs"] for x in d["rows"]] == ["811292"]
    assert d["rows"][0]["materials"][:2] == ["gallium", "germanium"]
    pairs = [(x["upstream"], x["downstream"], x["basket"]) for x in d["links"]]
    assert pairs[0] == ("811292", "381800", "gallium")
    assert ("381800", "8542", "semiconductors, silicon, sobejang".replace("silicon, ", "")) in pairs
    json.dumps(d)  # JSON-serialisable as is
    h = catalog("811292")
    assert {x["material"] for x in h["rows"]} == {"gallium", "germanium", "hafnium", "niobium", "vanadium"}
    with pytest.raises(UnknownMaterialError):
        catalog("999999")


# --------------------------------------------------------------------------- checks against the real nomenclature


def _comtrade_list(path: Path) -> dict[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {r["id"]: r["text"] for r in data["results"] if re.fullmatch(r"\d{6}", r["id"])}


def _correlation_pairs(xlsx: Path) -> set[tuple[str, str]]:
    """(HS2022, HS2017) pairs of the UNSD correlation sheet, read with the standard library."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    t = "{%s}t" % ns["m"]
    with zipfile.ZipFile(xlsx) as z:
        shared = ["".join(x.text or "" for x in si.iter(t)) for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns)]
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        sheets = [s.get("name") for s in wb.find("m:sheets", ns)]
        idx = sheets.index("HS2022-HS2017 Correlations") + 1
        root = ET.fromstring(z.read(f"xl/worksheets/sheet{idx}.xml"))
    pairs = set()
    for row in root.iter("{%s}row" % ns["m"]):
        vals = {}
        for c in row.findall("m:c", ns):
            v = c.find("m:v", ns)
            if v is None:
                continue
            col = re.match(r"[A-Z]+", c.get("r")).group(0)
            vals[col] = shared[int(v.text)] if c.get("t") == "s" else v.text
        a, b = vals.get("A", ""), vals.get("B", "")
        if re.fullmatch(r"\d{6}", a) and re.fullmatch(r"\d{6}", b.strip()):
            pairs.add((a, b.strip()))
    return pairs


@pytest.fixture(scope="module")
def nomenclature(realdata):
    conc = realdata / "hs-concordance"
    h5, h6 = conc / "classificationH5.json", conc / "classificationH6.json"
    hs22 = realdata / "hs-nomenclature" / "harmonized-system.csv"
    if not (h5.exists() and h6.exists() and hs22.exists()):
        pytest.skip("HS code lists not present")
    with open(hs22, encoding="utf-8") as fh:
        hs22_rows = {r["hscode"]: r["description"] for r in csv.DictReader(fh)}
    return {"H5": _comtrade_list(h5), "H6": _comtrade_list(h6), "HS22": hs22_rows,
            "pairs": _correlation_pairs(conc / "HS2022toHS2017ConversionAndCorrelationTables.xlsx")}


def test_every_code_exists_in_its_revision(baskets, nomenclature):
    h5, h6, hs22 = nomenclature["H5"], nomenclature["H6"], nomenclature["HS22"]
    assert len(h5) > 5000 and len(h6) > 5000
    for b in baskets.values():
        for c in b.codes:
            if "HS2017" in c.revisions:
                assert c.hs in h5, f"{b.name}: {c.hs} is not an HS2017 code"
            if "HS2022" in c.revisions:
                assert c.hs in h6 and c.hs in hs22, f"{b.name}: {c.hs} is not an HS2022 code"
            else:
                # an HS2017-only entry either vanished in HS2022 or changed meaning (then hs2022 says where it went)
                assert c.hs not in h6 or c.hs2022, f"{b.name}: {c.hs} exists in HS2022; list HS2022 or give hs2022"
            if "HS2017" not in c.revisions:
                assert c.hs not in h5, f"{b.name}: {c.hs} exists in HS2017 too"
            if c.hs2022:
                assert c.hs2022 in h6 and c.hs2022 in hs22


def test_revision_claims_agree_with_the_unsd_correlation(baskets, nomenclature):
    pairs = nomenclature["pairs"]
    assert len(pairs) > 5000
    for b in baskets.values():
        for c in b.codes:
            if c.revisions == ("HS2017", "HS2022"):
                assert (c.hs, c.hs) in pairs, f"{b.name}: {c.hs} does not map to itself"
            if c.hs2022:
                assert (c.hs2022, c.hs) in pairs, f"{b.name}: HS2022 {c.hs2022} does not map to HS2017 {c.hs}"
    # the HS2022 split of the minor-metals bundle, as the precision notes say
    assert {("811231", "811292"), ("811241", "811292"), ("811292", "811292")} <= pairs


_STOP = {"and", "or", "of", "the", "in", "for", "with", "other", "than", "nec", "heading", "including", "whether", "not",
         "by", "as", "its", "to", "thereof", "articles", "forms", "form"}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z\-]{2,}", text.lower().replace("n.e.c.", "")) if w not in _STOP}


def test_descriptions_agree_with_the_official_texts(baskets, nomenclature):
    h5, h6 = nomenclature["H5"], nomenclature["H6"]
    for b in baskets.values():
        for c in b.codes:
            official = h5[c.hs] if "HS2017" in c.revisions else h6[c.hs]
            assert _words(c.description) & _words(official), f"{b.name} {c.hs}: {c.description!r} vs {official!r}"
    # the precision notes of 811292 match the two editions' texts
    assert "hafnium" in h5["811292"].lower() and "rhenium" in h5["811292"].lower()
    assert "hafnium" not in h6["811292"].lower() and "rhenium" not in h6["811292"].lower()
    assert "hafnium" in h6["811231"].lower()
    assert "lithium carbonate" in h5["283691"].lower() and "lithium" in h5["282520"].lower()
    assert "argon" in h5["280429"].lower()


def test_links_point_at_real_codes(baskets, nomenclature):
    known = set(nomenclature["H5"]) | set(nomenclature["H6"]) | set(nomenclature["HS22"])
    for b in baskets.values():
        for link in b.links:
            assert link.downstream in known, f"{b.name}: link to unknown code {link.downstream}"


def test_every_code_of_the_baci_extract_is_labelled(atlas, baskets):
    trade = pd.read_parquet(atlas / "trade.parquet", columns=["hs6"])
    codes = sorted(trade["hs6"].astype(str).str.zfill(6).unique())
    assert len(codes) == 30 and codes == sorted(BACI_CODES)
    labels = label_materials(pd.Series(codes), baskets, revision="HS2017")
    assert (labels != "").all()


def test_hs4_headings_take_the_label_and_the_selection_of_the_codes_under_them():
    """A 4-digit code in a table is an HS4 heading carried as a product: the basket codes under it label and select it."""
    import pandas as pd

    from scrisk.materials import hs_mask, label_materials

    assert label_materials(pd.Series(["7403", "8105", "2846", "0101"])).tolist() == ["copper", "cobalt", "rare_earths", ""]
    codes = resolve_hs("copper", None)
    assert hs_mask(pd.Series(["7403", "7402", "7404", "740311"]), codes).tolist() == [True, True, True, True]
    assert hs_mask(pd.Series(["7403", "8105"]), ("811292",)).tolist() == [False, False]
