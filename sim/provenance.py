"""Provenance carried by every output: what produced these numbers."""

from __future__ import annotations

import functools
import subprocess
from importlib import metadata
from pathlib import Path

from sim.data import vintage
from sim.drivers import history_end
from sim.months import format_month
from sim.params import Parameters
from sim.scenario import Scenario


@functools.cache
def code_version() -> str:
    """Package version plus the git commit of the source tree, when there is one."""
    try:
        version = metadata.version("migsim")
    except metadata.PackageNotFoundError:
        version = "unknown"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{version}+{commit}" if commit else version


def provenance(scenario: Scenario, params: Parameters, seed: int, households: int, engine: str) -> dict:
    """A JSON-ready record of a run's inputs."""
    described = scenario.describe()
    described["parameters"] = dict(params)
    return {
        "scenario": described,
        "seed": seed,
        "households": households,
        "engine": engine,
        "code_version": code_version(),
        "data_vintage": vintage(),
        "history_end": format_month(history_end()),
        "after_history": f"given the {scenario.driver_path} driver path",
    }
