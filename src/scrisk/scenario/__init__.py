"""Export-control shock scenarios: scenario files, the shock engine and downstream exposure.

* :mod:`scrisk.scenario.spec`: :class:`Scenario` / :class:`Measure`, TOML loading;
* :mod:`scrisk.scenario.engine`: first-order exposure and the cascade (:func:`propagate`);
* :mod:`scrisk.scenario.fsc`: the Food Shock Cascade model (:func:`run_fsc`);
* :mod:`scrisk.scenario.production`: production and reserves files (:func:`read_amounts`);
* :mod:`scrisk.scenario.downstream`: downstream products at stake;
* :mod:`scrisk.scenario.run`: :func:`run_scenario` -> :class:`ShockResult`.
"""

from scrisk.scenario.engine import CascadeOutput, propagate
from scrisk.scenario.fsc import FscOutput, run_fsc
from scrisk.scenario.production import read_amounts
from scrisk.scenario.run import ShockResult, run_scenario
from scrisk.scenario.spec import (
    EngineParams,
    Measure,
    ProductionDecline,
    Scenario,
    load_scenario,
    parse_scenario,
    scenario_from_options,
)

__all__ = [
    "CascadeOutput",
    "EngineParams",
    "FscOutput",
    "Measure",
    "ProductionDecline",
    "Scenario",
    "ShockResult",
    "load_scenario",
    "parse_scenario",
    "propagate",
    "read_amounts",
    "run_fsc",
    "run_scenario",
    "scenario_from_options",
]
