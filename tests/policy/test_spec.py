"""Policy files: parsing, defaults, pyproject [tool.scrisk], and errors that name the key, its line and a fix."""

from __future__ import annotations

import pytest

from policy_helpers import line_of
from scrisk.errors import EXIT_INPUT, EXIT_USAGE, PolicyError, UsageError
from scrisk.policy.spec import (
    MaxRejected,
    default_policy_path,
    expand_importers,
    load_policy,
    parse_max_rejected,
    parse_policy,
)

GOOD = """\
title = "Korea"
max_rejected = "0.5%"
min_import_usd = 1_000_000

[[rule]]
name = "kor-ga"
importer = "KOR"
hs = ["811292"]
max_top_share = 0.9

[[rule]]
name = "kor-li"
description = "lithium, warning only"
importer = ["KOR", "JPN"]
material = "Lithium"
max_hhi = 0.4
min_suppliers = 3
min_import_usd = 0
severity = "warning"
"""


def test_parse_good_policy():
    p = parse_policy(GOOD, path="p.toml")
    assert p.title == "Korea" and p.path == "p.toml" and p.hs_digits == 6
    assert p.max_rejected == MaxRejected(share=0.005)
    a, b = p.rules
    assert (a.name, a.importers, a.hs, a.materials, a.severity) == ("kor-ga", ("KOR",), ("811292",), (), "error")
    assert a.thresholds() == {"max_top_share": 0.9} and a.min_import_usd == 1_000_000  # policy default
    assert a.line == line_of(GOOD, "[[rule]]")
    assert b.importers == ("JPN", "KOR") and b.materials == ("lithium",)  # canonical basket name
    assert b.thresholds() == {"max_hhi": 0.4, "min_suppliers": 3} and b.min_import_usd == 0.0
    assert b.severity == "warning" and b.description == "lithium, warning only"
    assert not p.needs_baseline and p.rule("kor-li") is b


def test_groups_and_star():
    p = parse_policy('[[rule]]\nname = "eu"\nimporter = ["EU27", "-DEU"]\nhs = ["8112"]\nmax_hhi = 0.4\n'
                     '[[rule]]\nname = "all"\nimporter = "*"\nhs = ["811292"]\nmax_hhi = 0.4\n')
    eu, every = p.rules
    assert len(eu.importers) == 26 and "DEU" not in eu.importers and "FRA" in eu.importers
    assert [e for e, _ in eu.importer_sets] == ["EU27"]
    assert every.importers is None and every.importer_sets == (("*", None),)
    assert expand_importers("*") is None and expand_importers(["kor", "jpn"]) == ("JPN", "KOR")


def _err(text: str, **kw) -> PolicyError:
    with pytest.raises(PolicyError) as ei:
        parse_policy(text, path="p.toml", **kw)
    assert ei.value.exit_code == EXIT_INPUT
    return ei.value


def test_misspelt_key_names_key_line_and_suggestion():
    text = GOOD.replace("min_suppliers = 3", "min_supplier = 3")
    e = _err(text)
    assert e.path == "p.toml" and e.line == line_of(text, "min_supplier =")
    assert "unknown key 'min_supplier'" in e.message and "did you mean 'min_suppliers'?" in e.message
    assert e.one_line().startswith(f"p.toml:{e.line}: ")


def test_same_misspelling_in_second_rule_points_at_second_rule():
    text = GOOD + '\n[[rule]]\nname = "third"\nimporter = "KOR"\nhs = ["2504"]\nmax_top_shar = 0.9\n'
    e = _err(text)
    assert e.line == len(text.splitlines())  # the last line, not an earlier rule's
    assert "did you mean 'max_top_share'?" in e.message


def test_misspelt_top_level_key_and_rule_key_at_top_level():
    text = "max_rejeted = 3\n" + GOOD
    e = _err(text)
    assert e.line == 1 and "did you mean 'max_rejected'?" in e.message
    e = _err("max_hhi = 0.4\n" + GOOD)
    assert e.line == 1 and "inside a [[rule]] table" in e.message


@pytest.mark.parametrize(
    "old, new, needle, key",
    [
        ("max_top_share = 0.9", "max_top_share = 90", "out of range", "max_top_share"),
        ("max_top_share = 0.9", 'max_top_share = "0.9"', "not a number", "max_top_share"),
        ("max_top_share = 0.9", "max_top_share = true", "not a number", "max_top_share"),
        ("min_suppliers = 3", "min_suppliers = 2.5", "not a whole number", "min_suppliers"),
        ("min_suppliers = 3", "min_suppliers = 0", "out of range", "min_suppliers"),
        ('severity = "warning"', 'severity = "warn"', "did you mean 'warning'?", "severity"),
        ('hs = ["811292"]', "hs = [811292]", "quoted strings", "hs"),
        ('hs = ["811292"]', 'hs = ["81129"]', "not an HS code", "hs"),
        ('hs = ["811292"]', 'hs = ["8112921000"]', "not an HS code", "hs"),
        ('importer = "KOR"', 'importer = "KOREA"', "rule['kor-ga'].importer: unknown country", "importer"),
        ('importer = "KOR"', "importer = []", "non-empty list", "importer"),
        ('material = "Lithium"', 'material = "lithum"', "did you mean 'lithium'?", "material"),
        ("min_import_usd = 0\n", "min_import_usd = -1\n", "out of range", "min_import_usd"),
        ('description = "lithium, warning only"', "description = 3", "must be a string", "description"),
    ],
)
def test_bad_values_name_the_key_and_its_line(old, new, needle, key):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    e = _err(text)
    assert needle in e.message, e.message
    assert e.line == line_of(text, new.strip().split("\n")[0]), (e.line, e.message)
    assert key in e.message


@pytest.mark.parametrize(
    "text, needle",
    [
        ('[[rule]]\nimporter = "KOR"\nhs = ["811292"]\nmax_hhi = 0.4\n', "has no name"),
        ('[[rule]]\nname = "a"\nhs = ["811292"]\nmax_hhi = 0.4\n', "has no importer"),
        ('[[rule]]\nname = "a"\nimporter = "KOR"\nmax_hhi = 0.4\n', "watches no product"),
        ('[[rule]]\nname = "a"\nimporter = "KOR"\nhs = ["811292"]\n', "has no threshold"),
        ('title = "x"\n', "no rules"),
        ('[rule]\nname = "a"\n', "array of tables"),
        ('hs_digits = 7\n[[rule]]\nname = "a"\nimporter = "KOR"\nhs = ["811292"]\nmax_hhi = 0.4\n', "hs_digits"),
        ('max_rejected = "lots"\n[[rule]]\nname = "a"\nimporter = "KOR"\nhs = ["811292"]\nmax_hhi = 0.4\n',
         "max_rejected"),
    ],
)
def test_structural_errors(text, needle):
    assert needle in _err(text).message


def test_duplicate_rule_name_points_at_the_second():
    text = GOOD.replace('name = "kor-li"', 'name = "kor-ga"')
    e = _err(text)
    assert "used twice" in e.message and e.line == line_of(text, "lithium, warning only") - 1


def test_toml_syntax_error_has_its_line():
    text = GOOD.replace("max_top_share = 0.9", "max_top_share = = 0.9")
    e = _err(text)
    assert e.message.startswith("invalid TOML") and e.line == line_of(text, "= = 0.9")


PYPROJECT = """\
[project]
name = "customs-data"

[tool.black]
line-length = 100

[tool.scrisk]
title = "from pyproject"
max_rejected = 2

[[tool.scrisk.rule]]
name = "kor-ga"
importer = "KOR"
hs = ["811292"]
max_top_share = 0.9

[[tool.scrisk.rule]]
name = "kor-mag"
importer = "KOR"
material = "magnets"
max_hhi = 0.5
"""


def test_pyproject_tool_scrisk(tmp_path):
    p = tmp_path / "pyproject.toml"
    p.write_text(PYPROJECT)
    pol = load_policy(p)
    assert pol.title == "from pyproject" and pol.max_rejected == MaxRejected(count=2)
    assert [r.name for r in pol.rules] == ["kor-ga", "kor-mag"]
    assert pol.rules[1].materials == ("permanent_magnets",) and pol.rules[1].line == 17
    # a misspelt key inside [[tool.scrisk.rule]] is found in the right table
    p.write_text(PYPROJECT.replace("max_hhi = 0.5", "max_hhhi = 0.5"))
    with pytest.raises(PolicyError) as ei:
        load_policy(p)
    assert ei.value.line == 21 and "did you mean 'max_hhi'?" in ei.value.message
    assert ei.value.one_line().startswith(f"{p}:21: ")
    # a misspelt key of [tool.scrisk] itself
    p.write_text(PYPROJECT.replace("max_rejected = 2", "max_reject = 2"))
    with pytest.raises(PolicyError) as ei:
        load_policy(p)
    assert ei.value.line == 9 and "did you mean 'max_rejected'?" in ei.value.message


def test_pyproject_without_tool_scrisk(tmp_path):
    p = tmp_path / "pyproject.toml"
    p.write_text('[project]\nname = "x"\n')
    with pytest.raises(PolicyError, match=r"no \[tool.scrisk\] table"):
        load_policy(p)


def test_default_policy_path(tmp_path):
    with pytest.raises(UsageError) as ei:
        default_policy_path(None, cwd=tmp_path)
    assert ei.value.exit_code == EXIT_USAGE
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    assert default_policy_path(None, cwd=tmp_path) == tmp_path / "pyproject.toml"
    assert str(default_policy_path("x.toml", cwd=tmp_path)) == "x.toml"


def test_unreadable_policy_files(tmp_path):
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "missing.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('title = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="folder"):
        load_policy(tmp_path)


@pytest.mark.parametrize(
    "value, expected",
    [
        (0, MaxRejected(count=0)),
        ("12", MaxRejected(count=12)),
        (0.01, MaxRejected(share=0.01)),
        ("0.25", MaxRejected(share=0.25)),
        ("1.5%", MaxRejected(share=0.015)),
        ("1_000", MaxRejected(count=1000)),
    ],
)
def test_parse_max_rejected(value, expected):
    assert parse_max_rejected(value) == expected


@pytest.mark.parametrize("value", [-1, 1.5, "-3", "150%", "many", True, None])
def test_parse_max_rejected_rejects(value):
    with pytest.raises(UsageError):
        parse_max_rejected(value)


def test_max_rejected_allows():
    assert MaxRejected(count=2).allows(2, 10) and not MaxRejected(count=2).allows(3, 10)
    assert MaxRejected(share=0.1).allows(10, 100) and not MaxRejected(share=0.1).allows(11, 100)
    assert str(MaxRejected(count=1)) == "1 row" and str(MaxRejected(count=3)) == "3 rows"


def test_keys_derived_from_the_declarations_parse_and_misspell_with_their_line():
    from scrisk.policy.spec import BASELINE_KEYS, RULE_KEYS, THRESHOLD_KEYS

    assert {"max_score", "min_effective_suppliers", "max_top_supplier_world_share"} <= set(THRESHOLD_KEYS)
    assert set(THRESHOLD_KEYS) | set(BASELINE_KEYS) <= set(RULE_KEYS)
    text = GOOD + "max_score = 0.7\nmin_effective_suppliers = 2.5\n"
    r = parse_policy(text, path="p.toml").rules[1]
    assert r.thresholds() == {"max_hhi": 0.4, "min_suppliers": 3, "min_effective_suppliers": 2.5, "max_score": 0.7}
    assert r.max_score == 0.7 and r.max_top_share is None
    bad = GOOD + "max_scor = 0.7\n"
    with pytest.raises(PolicyError) as e:
        parse_policy(bad, path="p.toml")
    assert f"p.toml:{line_of(bad, 'max_scor')}:" in str(e.value) and "did you mean 'max_score'" in str(e.value)
    over = GOOD + "max_score = 1.5\n"
    with pytest.raises(PolicyError, match=r"max_score = 1.5 .* out of range"):
        parse_policy(over, path="p.toml")
