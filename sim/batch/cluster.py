"""The one way migsim reaches Dask: a loopback LocalCluster, or a running scheduler.

Batches (:mod:`sim.batch.runner`), calibrations and sensitivity analyses
(:mod:`calibration`) all take their client from :func:`dask_client`, so every
entry point has the same workers: one numba thread each, the project
importable, no dashboard on a public port, and deaf to the Ctrl-C that the
driver handles.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from sim.errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger(__name__)


def worker_env() -> dict[str, str]:
    """Environment of local Dask workers: one numba thread each, the project importable."""
    path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {"NUMBA_NUM_THREADS": "1", "PYTHONPATH": path, "MPLBACKEND": "Agg"}


def connect(workers: int | None, scheduler: str | None):
    """A Dask client and its embedded cluster (None on a running scheduler); the caller closes both.

    Parameters
    ----------
    workers : int
        Worker processes of the embedded LocalCluster (at least 1); ignored
        with ``scheduler``.
    scheduler : str, optional
        A scheduler address (``tcp://host:port``) or a scheduler file.
    """
    from dask.distributed import Client, LocalCluster

    if scheduler:
        where = {"scheduler_file": scheduler} if Path(scheduler).is_file() else {"address": scheduler}
        try:
            return Client(**where, timeout="10s"), None
        except (OSError, ValueError) as exc:
            raise InputError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    if workers is None or workers < 1:
        raise InputError(f"--workers {workers}; allowed: an integer >= 1 for a Dask cluster")
    with _workers_ignore_ctrl_c():
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, env=worker_env(), silence_logs=logging.ERROR,
            # no dashboard; the scheduler's small HTTP server on a free loopback port, not 8787
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        )  # fmt: skip
    log.info("Dask LocalCluster of %d workers at %s", workers, cluster.scheduler_address)
    return Client(cluster), cluster


@contextlib.contextmanager
def dask_client(workers: int | None, scheduler: str | None = None) -> Iterator[object]:
    """:func:`connect` as a context manager: the client, closed (with its cluster) on exit."""
    client, cluster = connect(workers, scheduler)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextlib.contextmanager
def _workers_ignore_ctrl_c():
    """Ignore SIGINT while the worker processes are spawned, so they inherit it.

    Ctrl-C in a terminal reaches the whole process group; the driver alone
    should handle it (cancel, save, close the cluster), not every worker with
    a traceback of its own. Python keeps an inherited ``SIG_IGN`` for SIGINT.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
