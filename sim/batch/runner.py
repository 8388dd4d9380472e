"""Running a batch on Dask: chunks of runs as tasks, results written as they finish.

The driver (the process that calls :func:`run_batch`) plans the runs, skips
those already in ``DIR/results``, sends the rest to Dask in chunks of several
runs (so the per-task overhead stays small), and writes each chunk's rows as
one Parquet file as soon as it comes back. Workers receive resolved scenarios
as plain data (:func:`pack_scenario`), never file paths, so a cluster's workers
need only the installed package; they write nothing.

Faults:

- a run that raises is recorded as failed (``runs.parquet``, with its error
  text); the other runs of its chunk and of the batch go on;
- a worker process that dies has its tasks rescheduled by Dask on the others,
  and a task that raises outside a run is retried (``retries``);
- Ctrl-C (KeyboardInterrupt) cancels the outstanding tasks, writes the run
  list and re-raises; finished files stay, and a rerun resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import time
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from sim.batch import store
from sim.batch.cluster import connect
from sim.batch.spec import BatchSpec
from sim.errors import InputError
from sim.scenario import Scenario

log = logging.getLogger(__name__)

TASK_RETRIES = 2
MAX_REQUEUES = 5  # waits for a task whose finished result was lost with its worker
MAX_RUNS_PER_TASK = 16
RUNS_WRITE_INTERVAL_S = 2.0


def pack_scenario(scenario: Scenario) -> dict:
    """A resolved scenario as picklable plain data (its parameters as a dict)."""
    packed = {f.name: getattr(scenario, f.name) for f in fields(scenario)}
    packed["parameters"] = dict(scenario.parameters)
    return packed


def unpack_scenario(packed: dict) -> Scenario:
    """The :class:`Scenario` of :func:`pack_scenario`, parameters revalidated."""
    from sim.params import Parameters

    values = dict(packed)
    values["parameters"] = Parameters(packed["parameters"], where=f"scenario {packed['name']}")
    return Scenario(**values)


@dataclass(frozen=True)
class Chunk:
    """The work of one Dask task: several runs, with everything they need."""

    scenarios: dict[str, dict]
    households: int
    runs: tuple[dict, ...]
    parameters: tuple[str, ...]
    fail_runs: tuple[int, ...] = ()


@dataclass
class ChunkOutcome:
    """What a task returns: the rows of its successful runs and the errors of the others."""

    frame: pd.DataFrame | None
    errors: dict[int, str]
    seconds: float


def run_chunk(chunk: Chunk) -> ChunkOutcome:
    """Run every run of ``chunk``; a run that raises becomes an error entry."""
    from sim.api import run

    clock = time.perf_counter()
    scenarios = {name: unpack_scenario(packed) for name, packed in chunk.scenarios.items()}
    frames, errors = [], {}
    for task in chunk.runs:
        run_id = task["run_id"]
        levers = {name: task[name] for name in chunk.parameters}
        try:
            if run_id in chunk.fail_runs:
                raise RuntimeError(f"run {run_id} failed on purpose ([debug] fail_runs)")
            # one numba thread per run even on a worker started without NUMBA_NUM_THREADS=1
            results = run(scenarios[task["scenario"]], households=chunk.households, seed=task["seed"],
                          threads=1, **levers)  # fmt: skip
        except Exception as exc:  # noqa: BLE001  a failed run must not stop the batch
            errors[run_id] = f"{type(exc).__name__}: {exc}"
            continue
        frame = results.frame
        keys = {key: task[key] for key in (*store.KEY_COLUMNS, *chunk.parameters)}
        frames.append(pd.concat([pd.DataFrame(keys, index=frame.index), frame], axis=1))
    frame = pd.concat(frames, ignore_index=True) if frames else None
    return ChunkOutcome(frame, errors, time.perf_counter() - clock)


def make_chunks(spec: BatchSpec, pending: pd.DataFrame, runs_per_task: int) -> list[Chunk]:
    """Consecutive pending runs, ``runs_per_task`` at a time."""
    packed = {s.name: pack_scenario(s) for s in spec.scenarios}
    records = pending.drop(columns=["status", "error"]).to_dict("records")
    chunks = []
    for start in range(0, len(records), runs_per_task):
        runs = tuple(records[start : start + runs_per_task])
        names = {r["scenario"] for r in runs}
        chunks.append(Chunk({n: packed[n] for n in names}, spec.households, runs, spec.parameters,
                            spec.fail_runs))  # fmt: skip
    return chunks


def default_workers() -> int:
    """Cores available to this process."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover  (not Linux)
        return os.cpu_count() or 1


def auto_runs_per_task(n_pending: int, n_workers: int) -> int:
    """About four tasks per worker, at most :data:`MAX_RUNS_PER_TASK` runs each."""
    return max(1, min(MAX_RUNS_PER_TASK, math.ceil(n_pending / max(1, 4 * n_workers))))


@contextlib.contextmanager
def _quiet(*names: str):
    """Only critical messages from these loggers, for the duration."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@dataclass
class BatchReport:
    """How a batch call went."""

    out: Path
    planned: int
    skipped: int
    done: int
    failed: int
    seconds: float
    tasks: int


class _Tally:
    """Statuses of the runs of this call, the progress bar, and the periodic save of runs.parquet."""

    def __init__(self, out: Path, runs: pd.DataFrame, progress: bool, label: str, skipped: int):
        self.out, self.runs = out, runs.set_index("run_id", drop=False)
        self.done = self.failed = 0
        self.saved_at = time.monotonic()
        self.bar = None
        if progress:
            from tqdm import tqdm

            self.bar = tqdm(total=len(runs), initial=skipped, desc=label, unit="run", dynamic_ncols=True)

    def record(self, run_ids, errors: dict[int, str], identity: str, frame) -> None:
        if frame is not None:
            store.write_part(self.out, frame, identity)
        for run_id in run_ids:
            if run_id in errors:
                self.runs.loc[run_id, ["status", "error"]] = ["failed", errors[run_id]]
                self.failed += 1
                log.warning("run %d failed: %s", run_id, errors[run_id])
            else:
                self.runs.loc[run_id, ["status", "error"]] = ["done", ""]
                self.done += 1
        if self.bar is not None:
            self.bar.set_postfix(failed=self.failed, refresh=False)
            self.bar.update(len(run_ids))
        if time.monotonic() - self.saved_at > RUNS_WRITE_INTERVAL_S:
            self.save()

    def save(self) -> None:
        store.write_runs(self.out, self.runs.reset_index(drop=True))
        self.saved_at = time.monotonic()

    def close(self) -> None:
        # a stop between writing a part and recording it: the files on disk are the truth
        on_disk = store.finished_run_ids(self.out)
        self.runs.loc[self.runs["run_id"].isin(on_disk), ["status", "error"]] = ["done", ""]
        self.save()
        if self.bar is not None:
            self.bar.close()


def run_batch(
    spec: BatchSpec,
    out: str | Path,
    workers: int | None = None,
    scheduler: str | None = None,
    runs_per_task: int | None = None,
    progress: bool = False,
) -> BatchReport:
    """Run (or resume) every planned run of ``spec`` not yet in ``out/results``.

    Parameters
    ----------
    spec : BatchSpec
    out : str or Path
        The batch directory; created, or checked to hold the same batch.
    workers : int, optional
        Worker processes of the embedded LocalCluster (default: the cores available).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:port``), or its
        scheduler file (``dask scheduler --scheduler-file``), instead.
    runs_per_task : int, optional
        Runs per Dask task; default the spec's, else about four tasks per worker.
    progress : bool
        Show a tqdm bar (runs done, failed, time left) on stderr.
    """
    if workers is not None and scheduler is not None:
        raise InputError("--workers and --scheduler exclude each other; give one")
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers}; allowed: an integer >= 1")
    if runs_per_task is not None and runs_per_task < 1:
        raise InputError(f"--runs-per-task {runs_per_task}; allowed: an integer >= 1")
    clock = time.perf_counter()
    with store.writer_lock(out):
        return _run_locked(spec, out, workers, scheduler, runs_per_task, progress, clock)


def _run_locked(spec, out, workers, scheduler, runs_per_task, progress, clock) -> BatchReport:
    """:func:`run_batch` once the batch directory's lock is held."""
    from dask.distributed import as_completed

    out = store.prepare(out, spec)
    identity = spec.identity()
    runs = store.plan(spec)
    finished = store.finished_run_ids(out)
    runs.loc[runs["run_id"].isin(finished), "status"] = "done"
    pending = runs[runs["status"] != "done"]
    report = BatchReport(out, len(runs), len(finished), 0, 0, 0.0, 0)
    if pending.empty:
        store.write_runs(out, runs)
        report.seconds = time.perf_counter() - clock
        return report
    if scheduler is None and workers is None:
        workers = default_workers()
    client, cluster = connect(workers, scheduler)
    tally = _Tally(out, runs, progress, spec.name, len(finished))
    futures = []
    stopping = False
    try:
        n_workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
        size = runs_per_task or spec.runs_per_task or auto_runs_per_task(len(pending), n_workers)
        chunks = make_chunks(spec, pending, size)
        report.tasks = len(chunks)
        futures = client.map(run_chunk, chunks, retries=TASK_RETRIES, pure=False)
        by_key = {f.key: chunk for f, chunk in zip(futures, chunks, strict=True)}
        completed = as_completed(futures)
        requeued: dict[str, int] = {}
        for future in completed:
            chunk = by_key[future.key]
            ids = [r["run_id"] for r in chunk.runs]
            if future.status in ("lost", "pending") and requeued.get(future.key, 0) < MAX_REQUEUES:
                # its result died with a worker before it was read (a node lost mid-batch):
                # Dask computes it again, so wait for it again rather than count its runs as failed
                requeued[future.key] = requeued.get(future.key, 0) + 1
                completed.add(future)
                continue
            if future.status == "finished":
                outcome = future.result()
                tally.record(ids, outcome.errors, identity, outcome.frame)
            else:  # the task raised outside a run after its retries, or was lost with the scheduler
                try:
                    error = future.exception()
                except (Exception, asyncio.CancelledError) as exc:  # noqa: BLE001
                    error = exc
                tally.record(ids, {i: f"task lost: {type(error).__name__}: {error}" for i in ids},
                             identity, None)  # fmt: skip
            future.release()
    except BaseException:
        stopping = True
        raise
    finally:
        # when stopping (Ctrl-C), the closing connections' own complaints are noise, not news
        with _quiet("distributed", "tornado") if stopping else contextlib.nullcontext():
            for future in futures:
                if not future.done():
                    future.cancel()
            tally.close()
            client.close()
            if cluster is not None:
                cluster.close()
    report.done, report.failed = tally.done, tally.failed
    report.seconds = time.perf_counter() - clock
    return report
