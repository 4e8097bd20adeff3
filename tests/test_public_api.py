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


def test_public_function_is_not_shadowed_by_a_submodule_import():
    import importlib

    for mod in ("scrisk.analysis", "scrisk.scenario", "scrisk.graph", "scrisk.policy.check"):
        importlib.import_module(mod)
    assert callable(scrisk.analyze) and callable(scrisk.run_scenario) and callable(scrisk.check_files)
