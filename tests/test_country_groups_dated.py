"""Group memberships by date (country_groups.toml: joined / left), the MSP, and their errors."""

from __future__ import annotations

import pytest

from scrisk.countries import expand_countries, load_groups, period_end
from scrisk.errors import ConfigError


def test_eu27_follows_enlargements_and_brexit():
    eu = load_groups()["EU27"]
    assert len(eu.members_on(period_end(2003))) == 15
    assert len(eu.members_on(period_end(2004))) == 25  # joined 1 May 2004: members on 31 Dec
    assert len(eu.members_on(period_end(2012))) == 27 and "HRV" not in eu.members_on(period_end(2012))
    assert len(eu.members_on(period_end(2013))) == 28
    assert "GBR" in eu.members_on(period_end(2019)) and "GBR" not in eu.members_on(period_end(2020))
    assert "GBR" in eu.members_on(period_end(2020, 1)) and "GBR" not in eu.members_on(period_end(2020, 2))
    assert len(eu.members_on(None)) == 27 and eu.dated


def test_eu27_2020_is_today_s_27_in_every_period():
    g = load_groups()["EU27_2020"]
    assert not g.dated and g.members_on(period_end(2010)) == g.sorted_members() and len(g.members) == 27


def test_msp_members_and_join_dates():
    msp = load_groups()["MSP"]
    founders = ("AUS", "CAN", "DEU", "FIN", "FRA", "GBR", "JPN", "KOR", "SWE", "USA")
    assert msp.members_on("2022-06-13") == ()
    assert msp.members_on("2022-06-14") == founders
    assert set(msp.members_on(period_end(2023))) == set(founders) | {"IND", "ITA", "NOR"}
    assert len(msp.members_on(period_end(2024))) == 14 and "EST" in msp.members_on(period_end(2024))
    assert msp.source and msp.dates_source


def test_expand_on_a_date():
    assert "GBR" in expand_countries("EU27", on="2015-12-31")
    assert "GBR" not in expand_countries("EU27")
    assert "TLS" not in expand_countries("ASEAN", on=period_end(2024))
    assert "FIN" not in expand_countries("NATO", on=period_end(2022))


def _write(tmp_path, body):
    p = tmp_path / "g.toml"
    p.write_text(body, encoding="utf-8")
    return p


def test_dates_need_a_source(tmp_path):
    p = _write(tmp_path, '[groups.X]\nas_of = "2020"\nsource = "s"\nmembers = ["KOR"]\njoined = { KOR = "2020-01-01" }\n')
    with pytest.raises(ConfigError, match="dates_source"):
        load_groups(p)


@pytest.mark.parametrize("extra, match", [
    ('joined = { KOR = "2020-13-01" }', "not a date"),
    ('joined = { ZZZ = "2020-01-01" }', "not a known ISO3"),
    ('joined = { JPN = "2020-01-01" }', "neither a member"),
    ('left = { KOR = "2021-01-01" }', "both a member and in left"),
])
def test_bad_dates_are_reported(tmp_path, extra, match):
    p = _write(tmp_path, f'[groups.X]\nas_of = "2020"\nsource = "s"\ndates_source = "d"\nmembers = ["KOR"]\n{extra}\n')
    with pytest.raises(ConfigError, match=match):
        load_groups(p)


def test_a_dated_group_dates_every_member():
    for name, g in load_groups().items():
        if g.dated:
            undated = [c for c, start, _ in g.memberships if start is None]
            assert not undated, (name, undated)
            assert set(g.members_on("2100-01-01")) == set(g.members), name
