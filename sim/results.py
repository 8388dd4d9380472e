"""Results of a run: the tidy table, its breakdowns, and writing it to disk."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.indicators import KEYS, annual, build_frame

FORMATS = (".parquet", ".csv")


@dataclass
class Results:
    """The counters of a run and everything needed to turn them into tables.

    ``frame`` is the monthly table by origin; :meth:`table` gives breakdowns
    by region and sex (and by ban status and age group, for a run split by
    them) and yearly aggregates.
    """

    cells: np.ndarray
    regions: pd.DataFrame
    weights: np.ndarray
    gdp_usd: np.ndarray
    dates: pd.DatetimeIndex
    metadata: dict = field(default_factory=dict)
    recorded_share: np.ndarray | None = None  # (n_months, 3): remittances the statistics record
    splits: tuple[str, ...] = ()  # the run's cells are split by these (sim.indicators.CellLayout)
    _frame: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def frame(self) -> pd.DataFrame:
        """One row per (date, origin): the indicators of ``docs/model.md``."""
        if self._frame is None:
            self._frame = self.table()
        return self._frame

    def table(self, by: tuple[str, ...] = (), annual_totals: bool = False) -> pd.DataFrame:
        """The results keyed by date (or year), origin and the keys in ``by``."""
        unknown = [key for key in by if key not in KEYS]
        if unknown:
            raise InputError(f"--by {unknown[0]!r}; allowed: {', '.join(KEYS)}")
        frame = build_frame(
            self.cells,
            self.regions,
            self.weights,
            self.gdp_usd,
            self.dates,
            by,
            self.recorded_share,
            self.splits,
        )
        return annual(frame) if annual_totals else frame

    def write(self, path: str | Path, by: tuple[str, ...] = (), annual_totals: bool = False) -> Path:
        """Write the table as Parquet or CSV (by extension), atomically, with provenance."""
        path = Path(path)
        table = self.table(by, annual_totals)
        write_table(table, path, {**self.metadata, "by": list(by), "annual": annual_totals})
        return path


def companions(path: Path) -> list[Path]:
    """The files written beside a results table: the PNG chart, and the CSV's provenance sidecar."""
    out = [path.with_suffix(".png")]
    if path.suffix == ".csv":
        out.append(path.with_suffix(path.suffix + ".json"))
    return out


def check_output_path(path: Path) -> None:
    """Refuse an output path we cannot write, before any work is done.

    Also refuses a read-only table (it would be silently replaced) and
    companion paths (the chart, the CSV sidecar) that are folders or
    read-only files.
    """
    if path.suffix not in FORMATS:
        raise InputError(f"--out {path}: unknown format {path.suffix!r}; allowed: .parquet, .csv")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"--out {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"--out {path}: directory {parent} is not writable")
    for target in (path, *companions(path)):
        if target.is_dir():
            raise InputError(f"--out {path}: {target} is a directory; allowed: a file path")
        if target.exists() and not (target.stat().st_mode & 0o222 and os.access(target, os.W_OK)):
            raise InputError(f"--out {path}: {target} is read-only; make it writable or choose another --out")


@contextlib.contextmanager
def folder_lock(out: str | Path, what: str) -> Iterator[Path]:
    """Hold an exclusive lock on an output folder (a batch, a calibration) while writing to it.

    A second writer is refused with one line naming the holder (its process
    id and start time), so two runs never store the same results twice or
    delete each other's temporary files. The lock is released when the
    holder ends, however it ends (the operating system drops it).
    """
    import fcntl

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    handle = open(out / ".lock", "a+")  # noqa: SIM115  (held for the whole run)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise InputError(f"--out {out}: another {what} is writing to it ({holder}); wait for it to end, "
                         "or use another --out") from None  # fmt: skip
    handle.seek(0)
    handle.truncate()
    handle.write(f"migsim {what}, pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}")
    handle.flush()
    try:
        yield out
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def read_state(path: Path, what: str) -> dict:
    """A JSON state file (``batch.json``, ``settings.json``); if damaged, one line saying what to do."""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: damaged {what} ({type(exc).__name__}); restore it, or start again in a "
                         "new --out directory") from None  # fmt: skip
    if not isinstance(value, dict):
        raise InputError(f"{path}: damaged {what} (not a JSON object); restore it, or start again in a "
                         "new --out directory")  # fmt: skip
    return value


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then rename over ``path``; nothing half-written."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table(table: pd.DataFrame, path: Path, meta: dict) -> None:
    """Parquet with ``migsim`` JSON in the schema metadata, or CSV with a ``.json`` sidecar."""
    check_output_path(path)
    text = json.dumps(meta, default=str)
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrow = pa.Table.from_pandas(table, preserve_index=False)
        arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), b"migsim": text})
        atomic_write(path, lambda tmp: pq.write_table(arrow, tmp))
    else:
        atomic_write(path, lambda tmp: table.to_csv(tmp, index=False))
        sidecar = path.with_suffix(path.suffix + ".json")
        atomic_write(sidecar, lambda tmp: tmp.write_text(text))


def read_metadata(path: str | Path) -> dict:
    """The provenance stored with a results file."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return json.loads(pq.read_schema(path).metadata[b"migsim"])
    return json.loads(path.with_suffix(path.suffix + ".json").read_text())
