"""Export-control shock scenarios: scenario files, the shock engine and downstream exposure.

* :mod:`scrisk.scenario.spec`: :class:`Scenario` / :class:`Measure`, TOML loading;
* :mod:`scrisk.scenario.engine`: first-order exposure and the cascade (:func:`propagate`);
* :mod:`scrisk.scenario.downstream`: downstream products at stake;
* :mod:`scrisk.scenario.run`: :func:`run_scenario` -> :class:`ShockResult`.
"""

from scrisk.scenario.engine import CascadeOutput, propagate
from scrisk.scenario.run import ShockResult, run_scenario
from scrisk.scenario.spec import (
    EngineParams,
    Measure,
    Scenario,
    load_scenario,
    parse_scenario,
    scenario_from_options,
)

__all__ = [
    "CascadeOutput",
    "EngineParams",
    "Measure",
    "Scenario",
    "ShockResult",
    "load_scenario",
    "parse_scenario",
    "propagate",
    "run_scenario",
    "scenario_from_options",
]
