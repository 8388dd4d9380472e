"""A batch directory on disk: identity, planned runs, results that survive.

Layout of ``DIR``::

    batch.json        identity (SHA-256 of the resolved batch) and its description
    runs.parquet      every planned run: keys, parameters, status, error text
    results/          part-FIRST-LAST.parquet, one file per finished group of runs

Every file is written to a temporary name and renamed (:func:`sim.results.atomic_write`),
so a killed batch leaves whole files or none. The set of finished runs is read
back from ``results/`` itself, never from a separate ledger, so what is on disk
is what is done.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from sim.batch.spec import BatchSpec
from sim.errors import InputError
from sim.indicators import KEYS
from sim.results import atomic_write, folder_lock, read_state

log = logging.getLogger(__name__)

STATUSES = ("pending", "done", "failed")
KEY_COLUMNS = ("run_id", "scenario", "point", "replicate", "seed")


LOCK_NAME = ".lock"


def results_dir(out: Path) -> Path:
    return Path(out) / "results"


@contextlib.contextmanager
def writer_lock(out: str | Path) -> Iterator[Path]:
    """Hold the batch directory's exclusive lock while writing (:func:`sim.results.folder_lock`)."""
    with folder_lock(out, "batch") as folder:
        yield folder


def read_part(path: Path, columns: list[str] | None = None):
    """A results part as an Arrow table, its page checksums verified.

    Raises
    ------
    InputError
        Naming the file, if it is damaged or truncated, and what to do.
    """
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, columns=columns, page_checksum_verification=True)
    except (OSError, ValueError) as exc:  # ArrowInvalid and ArrowIOError derive from these
        raise InputError(
            f"{path}: damaged or truncated ({str(exc).splitlines()[0][:120]}); delete this file and run "
            "the batch again: its runs will be computed again"
        ) from None


def prepare(out: str | Path, spec: BatchSpec) -> Path:
    """Create ``out`` for ``spec``, or check that it holds the same batch.

    Raises
    ------
    InputError
        If ``out`` holds a different batch (another spec, or the same spec
        whose scenarios, design, seeds, size or horizon changed since).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a directory")
    identity = spec.identity()
    marker = out / "batch.json"
    if marker.exists():
        stored = read_state(marker, "batch identity")
        if stored.get("identity") != identity:
            raise InputError(
                f"--out {out}: holds batch {stored.get('spec', '?')} with identity "
                f"{str(stored.get('identity'))[:12]}, but {spec.path} now resolves to {identity[:12]} "
                "(its scenarios, design, seeds, households or horizon changed); "
                "use a new --out directory, or delete the old one to start again"
            )
    elif out.exists() and any(p.name != LOCK_NAME for p in out.iterdir()):
        raise InputError(f"--out {out}: is a non-empty directory without batch.json; use a new directory")
    results_dir(out).mkdir(parents=True, exist_ok=True)
    for stale in results_dir(out).glob(".part-*"):
        stale.unlink(missing_ok=True)  # temporary files of a killed batch
    if not marker.exists():
        from sim.provenance import code_version

        record = {
            "identity": identity,
            "spec": str(spec.path),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "runs": spec.n_runs,
            "code_version": code_version(),
            "batch": spec.describe(),
        }
        text = json.dumps(record, indent=1, default=str)
        atomic_write(marker, lambda tmp: tmp.write_text(text))
    return out


def plan(spec: BatchSpec) -> pd.DataFrame:
    """Every planned run: ``run_id``, scenario, point, replicate, seed, parameters, status, error."""
    seeds = spec.replicate_seeds()
    rows = []
    run_id = 0
    for scenario in spec.scenarios:
        for point in range(spec.n_points):
            values = spec.point_values(point)
            for replicate, seed in enumerate(seeds):
                rows.append({"run_id": run_id, "scenario": scenario.name, "point": point,
                             "replicate": replicate, "seed": seed, **values})  # fmt: skip
                run_id += 1
    runs = pd.DataFrame(rows)
    for column in ("run_id", "point", "replicate", "seed"):
        runs[column] = runs[column].astype("int64")
    runs["status"] = "pending"
    runs["error"] = ""
    return runs


def finished_run_ids(out: str | Path) -> set[int]:
    """Run ids present in ``out/results`` (the runs already done)."""
    done: set[int] = set()
    for path in sorted(results_dir(Path(out)).glob("part-*.parquet")):
        read_part(path)  # every page verified: a damaged part is reported, not counted as done
        column = read_part(path, columns=["run_id"]).column("run_id")
        done.update(int(v) for v in pd.unique(column.to_numpy()))
    return done


def write_part(out: str | Path, frame: pd.DataFrame, identity: str) -> Path:
    """Write the rows of some finished runs as one Parquet file, atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = frame["run_id"]
    path = results_dir(Path(out)) / f"part-{int(ids.min()):07d}-{int(ids.max()):07d}.parquet"
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = json.dumps({"batch_identity": identity, "runs": sorted(int(v) for v in ids.unique())})
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"migsim": meta.encode()})
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, write_page_checksum=True))
    return path


def write_runs(out: str | Path, runs: pd.DataFrame) -> Path:
    """Write the run list with statuses, atomically."""
    path = Path(out) / "runs.parquet"
    atomic_write(path, lambda tmp: runs.to_parquet(tmp, index=False, write_page_checksum=True))
    return path


def read_results(out: str | Path) -> pd.DataFrame:
    """All finished runs as one table, sorted by ``run_id``, date and origin."""
    folder = results_dir(Path(out))
    parts = sorted(folder.glob("part-*.parquet"))
    if not parts:
        raise InputError(f"{out}: no finished runs under {folder}")
    frame = pd.concat([read_part(p).to_pandas() for p in parts], ignore_index=True)
    keys = [c for c in ("run_id", "date", "origin", *KEYS) if c in frame.columns]
    duplicated = frame.duplicated(keys)
    if duplicated.any():
        first = frame.loc[duplicated, "run_id"].iloc[0]
        raise InputError(f"{folder}: run {first} is stored more than once (two batches wrote here?); "
                         "delete the duplicate part files, or start again in a new --out")  # fmt: skip
    return frame.sort_values(["run_id", "date", "origin"], kind="stable").reset_index(drop=True)


def read_runs(out: str | Path) -> pd.DataFrame:
    """The run list of ``out`` with each run's status (``done`` read from ``results/``)."""
    path = Path(out) / "runs.parquet"
    if not path.exists():
        raise InputError(f"{out}: not a batch directory (no runs.parquet)")
    runs = pd.read_parquet(path)
    done = finished_run_ids(out)
    runs.loc[runs["run_id"].isin(done), ["status", "error"]] = ["done", ""]
    return runs
