"""Every public name resolves, and the quick library path works on the bundled example."""

from __future__ import annotations

import scrisk


def test_every_public_name_resolves():
    for name in scrisk.__all__:
        assert getattr(scrisk, name) is not None, name


def test_library_quick_path_on_the_bundled_example():
    flows = scrisk.load_flows()
    assert flows.report.rows_rejected == 0 and len(flows) == flows.report.rows_read
    res = scrisk.analyze(flows, importers="KOR", material="gallium").to_dict()
    assert res["rows"] and all(r["importer"] == "KOR" for r in res["rows"])
    assert res["meta"]["inputs"] and res["meta"]["years"]
