"""Starting the dashboard server: environment, command line, checks.

``migsim dashboard`` calls :func:`serve`; tests call :func:`command` and
:func:`environment` to start the same server as a subprocess.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dashboards.assets import DEFAULT_CACHE, missing
from dashboards.research import ENV_RESULTS
from sim.errors import InputError

APP = Path(__file__).resolve().with_name("app.py")
PROJECT_ROOT = APP.parents[1]


def thread_safe_layer() -> str | None:
    """``"omp"`` or ``"tbb"`` if numba can load it here, else None."""
    import importlib

    for layer, module in (("omp", "numba.np.ufunc.omppool"), ("tbb", "numba.np.ufunc.tbbpool")):
        try:
            importlib.import_module(module)
            return layer
        except (ImportError, OSError):
            continue
    return None


def environment(results: Path, cache: Path = DEFAULT_CACHE, base: dict | None = None) -> dict[str, str]:
    """The server's environment: offline assets, no telemetry, a thread-safe numba layer, the results root."""
    env = dict(os.environ if base is None else base)
    env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(Path(cache).resolve())
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env["SOLARA_THEME_SHOW_BANNER"] = "False"  # "This website runs on Solara" covered charts and text
    # several browser sessions call parallel kernels at once: workqueue is not safe for that
    if env.get("NUMBA_THREADING_LAYER", "default") in ("default", "workqueue", ""):
        layer = thread_safe_layer()
        if layer is not None:
            env["NUMBA_THREADING_LAYER"] = layer
        else:  # only workqueue: dashboards.ensemble serialises the runs
            env.pop("NUMBA_THREADING_LAYER", None)
    env[ENV_RESULTS] = str(Path(results).resolve())
    env["MIGSIM_WARM_UP"] = "1"  # run the what-if baseline at start-up (dashboards.app._warm_up)
    env["MPLBACKEND"] = "Agg"
    env.setdefault("SOLARA_CHECK_HOOKS", "off")  # a development aid; it parses every page on start
    paths = [str(PROJECT_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def command(host: str, port: int) -> list[str]:
    """``solara run dashboards/app.py --production --host HOST --port PORT`` with this Python."""
    return [sys.executable, "-m", "solara", "run", str(APP), "--production", "--host", host,
            "--port", str(port)]  # fmt: skip


def check(host: str, port: int, cache: Path = DEFAULT_CACHE) -> None:
    """Refuse a bad port and a missing asset cache with a message that says what to do."""
    if not 1 <= int(port) <= 65535:
        raise InputError(f"--port {port}; allowed: 1 to 65535")
    if not host:
        raise InputError("--host must not be empty; e.g. 127.0.0.1")
    lacking = missing(Path(cache))
    if lacking:
        raise InputError(
            f"the dashboard's front-end assets are missing from {cache} ({', '.join(lacking)}); "
            "run `migsim assets` first (it needs npm and the npm registry, once)"
        )
