"""Packaging: the wheel carries the data and scenarios, and runs the baseline by name from any folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from sim.errors import InputError
from sim.scenario import find_scenario, scenario_dir, shipped_scenarios

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_list_covers_the_source_tree():
    """pyproject.toml lists packages by hand (to map scenarios/ to sim/scenarios): none may be missed."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("sim", "calibration", "dashboards")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert listed == found | {"sim.scenarios"}


def test_scenarios_by_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    baseline = scenario_dir() / "baseline.toml"
    for name in ("baseline", "baseline.toml", "scenarios/baseline.toml"):
        assert find_scenario(name) == baseline
    assert shipped_scenarios()[0] == "baseline" and "eaeu_uzbekistan" in shipped_scenarios()
    (tmp_path / "baseline.toml").write_text("[scenario]\n")
    assert find_scenario("baseline.toml") == Path("baseline.toml")  # a file of one's own comes first
    with pytest.raises(InputError, match="shipped scenarios: baseline, "):
        find_scenario("no_such_scenario")


def test_wheel_installs_and_runs_the_baseline_by_name(tmp_path):
    """Build the wheel from the tracked files, install it alone in a new environment (its dependencies
    reached through a path file), and run the baseline by name from an empty folder."""
    source = tmp_path / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
                   check=True, capture_output=True)  # fmt: skip
    wheel = next(dist.glob("migsim-*.whl"))

    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    Path(site, "_migsim_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PYTHONWARNINGS": "ignore"}  # no cold compile of a copy
    env.pop("PYTHONPATH", None)
    command = [env_dir / "bin" / "migsim", "run", "baseline", "-n", "300", "--until", "2010-03",
               "--out", "run.parquet"]  # fmt: skip
    run = subprocess.run(command, cwd=elsewhere, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (elsewhere / "run.parquet").is_file() and "wrote run.parquet" in run.stdout
    where = subprocess.run(
        [python, "-c", "import sim; m = sim.MigrationModel(households=200, until='2010-02'); "
                       "print(sim.__file__); print(m.scenario.source)"],
        cwd=elsewhere, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    module, scenario = where.stdout.split()
    assert module.startswith(site) and scenario.startswith(site)  # the installed copy, not the source tree
