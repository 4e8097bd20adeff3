"""scrisk: supply-chain dependency risk analyzer.

The library is the product; the ``scrisk`` command is a thin layer over it::

    import scrisk
    flows = scrisk.load_flows()                      # the bundled example
    result = scrisk.analyze(flows, importers="KOR", material="gallium")
    result.to_dict()["rows"][0]["why"]

Public names are imported lazily, so ``import scrisk`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_flows": "scrisk.api",
    "read_flows": "scrisk.io",
    "validate_files": "scrisk.io",
    "ReadOptions": "scrisk.io.options",
    "FlowTable": "scrisk.schema",
    "FlowMeta": "scrisk.schema",
    "make_flow_table": "scrisk.schema",
    "analyze": "scrisk.analysis",
    "AnalysisResult": "scrisk.analysis",
    "indicators": "scrisk.metrics.indicators",
    "hhi": "scrisk.metrics.concentration",
    "import_concentration": "scrisk.metrics.concentration",
    "world_export_concentration": "scrisk.metrics.concentration",
    "build_trade_graph": "scrisk.graph",
    "to_flow_frame": "scrisk.graph",
    "write_graph": "scrisk.graph",
    "run_scenario": "scrisk.scenario",
    "load_scenario": "scrisk.scenario",
    "check_files": "scrisk.policy.check",
    "evaluate": "scrisk.policy.check",
    "load_policy": "scrisk.policy.spec",
    "diff_files": "scrisk.policy.diff",
    "diff_vintages": "scrisk.policy.diff",
    "load_baskets": "scrisk.materials",
    "get_basket": "scrisk.materials",
    "resolve_hs": "scrisk.materials",
    "CountryTable": "scrisk.countries",
    "expand_countries": "scrisk.countries",
    "load_groups": "scrisk.countries",
    "ScriskError": "scrisk.errors",
}

__all__ = ["__version__", *_EXPORTS]


def lazy_attributes(package: str, exports: dict[str, str], namespace: dict[str, Any]):
    """``(__getattr__, __dir__)`` of a package whose names in ``exports`` (name -> module) are imported on first use."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(namespace["__all__"])

    return __getattr__, __dir__


__getattr__, __dir__ = lazy_attributes("scrisk", _EXPORTS, globals())
