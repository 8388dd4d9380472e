"""Browser-test fixtures: Debian's Chromium for pytest-playwright, and a dashboard server.

``playwright install`` cannot download browsers on these machines; Debian's
Chromium (``apt-get install -y chromium``, ``make browser``) is launched
instead. The server is ``migsim dashboard`` on a free loopback port, in its own
process group, over a results root of small synthetic batch and calibration
folders; it needs the asset cache (``migsim assets``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
ARTIFACTS = ROOT / "test-artifacts" / "browser"
START_TIMEOUT_S = 90


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium with the arguments that work here (STACK.md, "Browser tests")."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": LAUNCH_ARGS, "headless": True}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_real_batch(out: Path) -> None:
    """A small batch written by ``migsim batch``: 2 scenarios x 2 values of a parameter, 120 households."""
    from sim.batch.runner import run_batch
    from sim.batch.spec import load_spec

    spec = out.parent / f"{out.name}.toml"
    spec.write_text(
        "[batch]\n"
        f'scenarios = ["{ROOT / "scenarios/baseline.toml"}", "{ROOT / "scenarios/ban_amnesty.toml"}"]\n'
        'seeds = 1\nseed = 7\nhouseholds = 120\nuntil = "2025-12"\n'
        '[design]\nmethod = "grid"\n[design.parameters]\nbeta_network = [1.5, 2.5]\n'
    )
    report = run_batch(load_spec(spec), out, workers=1)
    assert report.failed == 0, report


def write_results(root: Path) -> None:
    """A batch folder (three runs of a parameter) and a calibration folder, synthetic and small."""
    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure

    batch = root / "batch_beta"
    (batch / "results").mkdir(parents=True)
    dates = pd.date_range("2010-01-01", periods=36, freq="MS")
    parts = []
    for run_id, beta in enumerate((0.5, 2.0, 4.0)):
        for origin in ("TJ", "KG", "UZ"):
            parts.append(pd.DataFrame({"run_id": run_id, "date": dates, "origin": origin,
                                       "migrants_ru": 1e5 * (1 + beta) + 1e4 * np.sin(np.arange(36) / 2),
                                       "poverty_rate": 0.4 - 0.02 * beta,
                                       "households": 1e6}))  # fmt: skip
    pd.concat(parts).to_parquet(batch / "results" / "part-0000000-0000002.parquet", index=False)
    pd.DataFrame({"run_id": [0, 1, 2], "seed": [1, 2, 3], "beta_network": [0.5, 2.0, 4.0],
                  "status": "done"}).to_parquet(batch / "runs.parquet", index=False)  # fmt: skip
    calib = root / "calibration"
    calib.mkdir()
    posterior = pd.DataFrame({"beta_income": [1.0, 1.2, 1.1], "w": [0.3, 0.3, 0.4]})
    posterior.to_parquet(calib / "posterior.parquet")
    pd.DataFrame({"target": ["migrants_ru_2015"], "model": [4.1e6], "naive": [3.2e6]}).to_csv(
        calib / "validation.csv", index=False
    )
    fig = Figure(figsize=(4, 3))
    fig.subplots().hist([1.0, 1.2, 1.1, 1.15])
    fig.savefig(calib / "posterior.png")


def migsim_command() -> list[str]:
    script = Path(sys.executable).with_name("migsim")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from sim.cli import main; main()"]


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory):
    """``migsim dashboard --port P`` on loopback; yields its base URL; killed (whole group) at the end."""
    from dashboards.assets import DEFAULT_CACHE, missing

    if missing(DEFAULT_CACHE):
        pytest.fail("the dashboard's asset cache is missing: run `migsim assets` first")
    results = tmp_path_factory.mktemp("dashboard") / "results"
    write_results(results)
    write_real_batch(results / "batch_scenarios")  # the columns `migsim batch` really writes
    port = free_port()
    env = {**os.environ, "MIGSIM_WHATIF_HOUSEHOLDS": "2000"}
    log = open(tmp_path_factory.getbasetemp() / "dashboard.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([*migsim_command(), "dashboard", "--port", str(port), "--results", str(results)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the dashboard exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the dashboard did not answer within {START_TIMEOUT_S} s; see {log.name}")
            time.sleep(0.5)
        yield url
    finally:
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        log.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def shoot(artifacts):
    """``shoot(page, name)``: a full-page screenshot in the artifacts; copied to ``docs/img/`` (for the
    README) when missing there or with ``MIGSIM_UPDATE_SCREENSHOTS=1``."""
    import shutil

    def take(page, name: str) -> None:
        path = artifacts / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        target = ROOT / "docs" / "img" / f"{name}.png"
        if os.environ.get("MIGSIM_UPDATE_SCREENSHOTS") == "1" or not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)

    return take
