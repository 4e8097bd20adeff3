"""Hand-made files at the HS4 level and with only World partners: what the readers keep, and every row accounted for."""

from __future__ import annotations

from io_helpers import API_HEADER, api_row

from scrisk.io import ReadOptions, read_flows


def _write(tmp_path, name, rows):
    p = tmp_path / name
    p.write_text(API_HEADER + "\n" + "\n".join(rows) + "\n")
    return p


def _accounted(t):
    assert t.report.rows_accepted + t.report.rows_rejected == t.report.rows_read
    t.report.check()


def test_a_file_of_hs4_headings_keeps_them_as_products_zero_padded(tmp_path):
    p = _write(tmp_path, "copper.csv", [
        api_row(842, "M", 156, "7403", 300.0, 3), api_row(842, "M", 156, "7402", 20.0, 1),
        api_row(156, "X", 842, "7403", 280.0, 3),  # the mirror: superseded by the importer's report
        api_row(156, "M", 842, "0208", 5.0, 1),  # a heading with a leading zero stays a 4-digit string
        api_row(842, "M", 0, "7403", 900.0, 9),  # World total: meta.world_totals
        api_row(842, "M", 156, "74", 320.0, 4),  # a chapter is still an aggregate
    ])
    t = read_flows([p])
    f = t.frame.sort_values("hs")
    assert f[["exporter", "importer", "hs", "value_usd"]].values.tolist() == [
        ["USA", "CHN", "0208", 5.0], ["CHN", "USA", "7402", 20.0], ["CHN", "USA", "7403", 300.0]]
    assert t.meta.hs_headings == ("0208", "7402", "7403")
    assert t.meta.to_dict()["hs_headings"] == ["0208", "7402", "7403"]
    assert any("HS4 headings carried as products" in n for n in t.meta.notes)
    assert t.report.reasons == {"superseded by partner report": 1, "reporter-to-World total": 1,
                                "aggregate HS code": 1}
    assert t.meta.world_totals[["reporter", "flow", "hs", "value_usd"]].values.tolist() == [
        ["USA", "import", "7403", 900.0]]
    _accounted(t)


def test_a_heading_beside_codes_under_it_is_their_total_across_files_and_sides(tmp_path):
    a = _write(tmp_path, "a.csv", [api_row(842, "M", 156, "8112", 100.0, 1), api_row(842, "M", 392, "2846", 7.0, 1),
                                   api_row(842, "M", 0, "8112", 500.0, 1)])
    b = _write(tmp_path, "b.csv", [api_row(410, "M", 156, "811292", 60.0, 1)])
    t = read_flows([a, b])
    assert sorted(t.frame["hs"]) == ["2846", "811292"] and t.meta.hs_headings == ("2846",)
    rej = t.report.rejected
    agg = rej[rej.reason == "aggregate HS code"]
    assert agg[["file", "line"]].values.tolist() == [[str(a), 2]]
    assert "HS 8112 is the heading total of codes the inputs also hold under it" in agg["detail"].iloc[0]
    assert t.report.reasons == {"aggregate HS code": 1, "reporter-to-World total": 1}
    assert t.meta.world_totals is None or not len(t.meta.world_totals[t.meta.world_totals.hs == "8112"])
    _accounted(t)
    # a subheading reported only by the other side still makes the heading a total (--comtrade-side imports)
    c = _write(tmp_path, "c.csv", [api_row(842, "M", 490, "8542", 75.0, 1), api_row(490, "X", 842, "854231", 70.0, 1)])
    t = read_flows([c], ReadOptions(comtrade_side="imports"))
    assert len(t) == 0 and t.report.reasons == {"aggregate HS code": 1, "other reported side": 1}


def test_a_product_filter_keeps_the_heading_holding_a_wanted_code(tmp_path):
    p = _write(tmp_path, "copper.csv", [api_row(842, "M", 156, "7403", 300.0, 3),
                                        api_row(842, "M", 156, "7402", 20.0, 1), api_row(842, "M", 156, "2603", 9.0, 1)])
    t = read_flows([p], ReadOptions(hs=("740311", "260300")))
    assert sorted(t.frame["hs"]) == ["2603", "7403"] and t.report.rows_read == 2  # 7402 is not read
    assert sorted(read_flows([p], ReadOptions(hs=("74",))).frame["hs"]) == ["7402", "7403"]


def test_a_file_with_only_world_partners_gives_world_totals_and_no_flow(tmp_path):
    rows = [api_row(392, "X", 0, "848620", 700.0, 1), api_row(528, "X", 0, "848620", 300.0, 1),
            api_row(842, "M", 0, "848620", 400.0, 1), api_row(410, "M", 0, "848620", 600.0, 1),
            api_row(410, "RM", 0, "848620", 6.0, 1)]
    p = _write(tmp_path, "sme.csv", rows)
    t = read_flows([p, _write(tmp_path, "again.csv", rows[:2])])  # the same totals in a second download
    assert len(t) == 0 and t.world_only and t.measured_years == (2022,)
    w = t.meta.world_totals.sort_values(["flow", "reporter"])
    assert w[["reporter", "flow", "value_usd"]].values.tolist() == [
        ["JPN", "export", 700.0], ["NLD", "export", 300.0], ["KOR", "import", 600.0], ["USA", "import", 400.0]]
    assert t.report.reasons == {"reporter-to-World total": 6, "re-export or re-import": 1}
    assert any("repeat an earlier one" in n for n in t.meta.notes)
    _accounted(t)


def test_trimmed_extract_with_headings(tmp_path):
    p = tmp_path / "comtrade_2024.csv"
    p.write_text("reporter,partner,cmd,flow,value\n842,156,7403,M,10\n842,156,7403,M,4\n156,842,8105,X,3\n")
    t = read_flows([p])
    assert sorted(zip(t.frame["hs"], t.frame["value_usd"])) == [("7403", 10.0), ("8105", 3.0)]
    assert t.report.reasons == {"duplicate breakdown row": 1}


def test_revision_inferred_per_reporter_year_when_the_file_does_not_state_it(tmp_path):
    """A trimmed extract (no classificationCode): 811231 exists in HS2022 only, so its reporter-year is HS2022."""
    p = tmp_path / "comtrade_2024.csv"
    p.write_text("year,reporter,partner,cmd,flow,value\n"
                 "2024,842,156,811231,M,5\n2024,842,156,811292,M,50\n"  # USA 2024: HS2022 (811231 is its evidence)
                 "2023,842,156,811292,M,40\n"  # USA 2023: no evidence, undetermined
                 "2024,410,156,811292,M,9\n"  # KOR: undetermined
                 "2024,392,156,811231,M,1\n2024,392,156,293131,M,1\n")  # JPN: HS2022 and HS2017-only codes: conflict
    t = read_flows([p])
    f = t.frame.sort_values(["importer", "year", "hs"])
    assert f[["importer", "year", "hs", "hs_revision"]].astype(object).where(f.notna(), None).values.tolist() == [
        ["JPN", 2024, "293131", None], ["JPN", 2024, "811231", None], ["KOR", 2024, "811292", None],
        ["USA", 2023, "811292", None], ["USA", 2024, "811231", "HS2022"], ["USA", 2024, "811292", "HS2022"]]
    inf = t.meta.hs_inference
    assert inf["counts"] == {"HS2022": 1, "undetermined": 3}
    usa = next(r for r in inf["reporter_years"] if r["reporter"] == "USA" and r["year"] == 2024)
    assert usa == {"reporter": "USA", "year": 2024, "revision": "HS2022", "evidence": {"HS2022": ["811231"]}}
    jpn = next(r for r in inf["reporter_years"] if r["reporter"] == "JPN")
    assert jpn["revision"] is None and set(jpn["evidence"]) == {"HS2017", "HS2022"}
    assert t.meta.hs_revision == "mixed" and any("HS revision inferred per reporter-year" in n for n in t.meta.notes)
    # a revision before it was in force is no evidence: 811231 in 2020 says nothing
    q = tmp_path / "comtrade_2020.csv"
    q.write_text("reporter,partner,cmd,flow,value\n842,156,811231,M,5\n")
    assert read_flows([q]).meta.hs_inference["counts"] == {"undetermined": 1}
    # the user's --hs-revision is taken as it is, nothing inferred
    t = read_flows([p], ReadOptions(hs_revision="HS2017"))
    assert t.meta.hs_inference is None and set(t.frame["hs_revision"]) == {"HS2017"}
