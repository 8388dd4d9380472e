"""Batch experiments on Dask: sweeps, ensembles and sensitivity designs that resume.

- :func:`load_spec` reads and validates a batch spec (``docs/batch.md``);
- :func:`run_batch` runs or resumes it on an embedded LocalCluster or a running
  scheduler, writing Parquet under ``DIR/results``;
- :func:`read_results` and :func:`summarize` read a batch directory back.
"""

from sim.batch.spec import BatchSpec, load_spec
from sim.batch.store import read_results, read_runs

__all__ = ["BatchSpec", "load_spec", "read_results", "read_runs", "run_batch", "summarize"]


def __getattr__(name):
    if name == "run_batch":
        from sim.batch.runner import run_batch

        return run_batch
    if name == "summarize":
        from sim.batch.summary import summarize

        return summarize
    raise AttributeError(f"module 'sim.batch' has no attribute {name!r}")
