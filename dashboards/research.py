"""The research page (``/research``): batch and calibration outputs under the results root.

The root is fixed when the server starts (``migsim dashboard --results DIR``,
passed as ``MIGSIM_RESULTS``). The page offers only folders found under it;
a choice is checked against that list again before anything is read, and no
path typed into the page is ever opened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import solara

from dashboards.i18n import LanguageSwitch, indicator_label, t
from sim.indicators import combinable, combine_origins

ENV_RESULTS = "MIGSIM_RESULTS"
MAX_DEPTH = 2
MAX_ROWS = 200
TABLE_SUFFIXES = (".parquet", ".csv")
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints"}
NONE = "-"


def results_root() -> Path:
    """The results root given at start (default ``results/`` in the working directory)."""
    return Path(os.environ.get(ENV_RESULTS, "results")).resolve()


def _is_dataset(path: Path) -> bool:
    """A parquet dataset folder (partitioned files), shown as part of its batch, not as a folder."""
    batch_results = path.name == "results" and (path.parent / "runs.parquet").exists()
    return path.name.endswith(".parquet") or batch_results


def list_folders(root: Path) -> list[str]:
    """Folders under ``root`` (itself as ``"."``) up to :data:`MAX_DEPTH` deep, relative, sorted."""
    root = Path(root).resolve()
    if not root.is_dir():
        return []
    found = ["."]
    frontier = [root]
    for _ in range(MAX_DEPTH):
        nxt = []
        for folder in frontier:
            for child in sorted(folder.iterdir()):
                if (
                    child.is_dir()
                    and not child.is_symlink()
                    and child.name not in SKIP_DIRS
                    and not child.name.startswith(".")
                    and not _is_dataset(child)
                ):
                    found.append(child.relative_to(root).as_posix())
                    nxt.append(child)
        frontier = nxt
    return found


def resolve_choice(root: Path, choice: str) -> Path:
    """The folder of a listed choice; anything not listed under ``root`` is refused."""
    root = Path(root).resolve()
    if choice not in list_folders(root):
        raise PermissionError(f"{choice!r} is not a folder under the results root")
    path = (root / choice).resolve()
    if not path.is_relative_to(root):
        raise PermissionError(f"{choice!r} is outside the results root")
    return path


MAX_BYTES = 200 * 2**20  # larger files are listed as skipped, not loaded


def is_safe(path: Path, root: Path) -> bool:
    """True for a regular file or folder, not a link, inside ``root``, a file no larger than MAX_BYTES.

    Links (to files or folders), FIFOs, devices and sockets are never read:
    a link could show a file outside the results folder, ``/dev/zero`` would
    exhaust memory, and a FIFO would hang the page.
    """
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode) or not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        return False
    if stat.S_ISREG(info.st_mode) and info.st_size > MAX_BYTES:
        return False
    return Path(path).resolve().is_relative_to(Path(root).resolve())


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file, or a Parquet dataset folder read part by part (safe parts only)."""
    if path.suffix == ".csv":
        return pd.read_csv(path)
    if path.is_dir():
        parts = sorted(p for p in path.rglob("*.parquet") if is_safe(p, path) and p.is_file())
        return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()
    return pd.read_parquet(path)


def folder_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """Tables (parquet files or datasets, csv) and PNG charts directly in ``folder`` that are safe to read."""
    entries = [p for p in sorted(folder.iterdir()) if not p.name.startswith(".") and is_safe(p, folder)]
    tables = [p for p in entries if p.suffix in TABLE_SUFFIXES and (p.is_file() or p.suffix == ".parquet")]
    images = [p for p in entries if p.suffix == ".png" and p.is_file()]
    return tables, images


def batch_series(folder: Path) -> pd.DataFrame | None:
    """A batch's results dataset with its run parameters, or None if ``folder`` is not a batch."""
    runs_path = folder / "runs.parquet"
    data_path = folder / "results"
    if not is_safe(runs_path, folder) or not is_safe(data_path, folder):
        return None
    parts = sorted(p for p in data_path.glob("part-*.parquet") if is_safe(p, folder))  # whole files only
    if not parts:
        return None
    data = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    runs = pd.read_parquet(runs_path)
    key = next((c for c in ("run_id", "run") if c in data.columns and c in runs.columns), None)
    if key is not None:
        extra = [c for c in runs.columns if c not in data.columns]
        data = data.merge(runs[[key, *extra]], on=key, how="left")
    return data


def run_key(frame: pd.DataFrame) -> str | None:
    return next((c for c in ("run_id", "run") if c in frame.columns), None)


def run_series(data: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """``indicator`` per date (rows) and run (columns), all origins combined.

    Origins combine by :func:`sim.indicators.combine_origins` (counts summed,
    rates weighted by GDP or households), as on the what-if page.
    """
    key = run_key(data)
    combined = combine_origins(data[[key, "date", "origin", *combinable(data)]], [key, "date"], sort=True)
    return combined.set_index([key, "date"])[indicator].unstack(key)


def batch_png(data: pd.DataFrame, indicator: str, colour_by: str | None, title: str) -> bytes:
    """One line per run: ``indicator`` over time (:func:`run_series`), coloured by a run parameter."""
    import io

    from matplotlib import colormaps
    from matplotlib.figure import Figure

    key = run_key(data)
    fig = Figure(figsize=(9, 4.2), dpi=80, layout="constrained")
    ax = fig.subplots()
    if "date" in data.columns and key is not None:
        series = run_series(data, indicator)
        values = data.groupby(key)[colour_by].first() if colour_by and colour_by in data.columns else None
        cmap = colormaps["viridis"]
        low, high = (float(values.min()), float(values.max())) if values is not None else (0.0, 0.0)
        for run in series.columns:
            if values is None:
                ax.plot(series.index, series[run], lw=1, alpha=0.7)
                continue
            x = (float(values[run]) - low) / (high - low) if high > low else 0.5
            label = f"{colour_by} = {values[run]:g}" if len(series.columns) <= 8 else None
            ax.plot(series.index, series[run], color=cmap(x), lw=1.2, alpha=0.85, label=label)
        if values is not None and len(series.columns) <= 8:
            ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


@solara.component
def BatchView(folder: Path):
    """Indicators across the runs of a batch, coloured by a design parameter."""
    data = solara.use_memo(lambda: batch_series(folder), [str(folder)])
    key = run_key(data) if data is not None else None
    runs = solara.use_memo(lambda: pd.read_parquet(folder / "runs.parquet"), [str(folder)])
    bookkeeping = {"seed", "replicate", "point"}
    params = [c for c in runs.select_dtypes("number").columns if c != key and data is not None and c in data]
    params.sort(key=lambda c: c in bookkeeping)
    numeric = [c for c in (combinable(data) if data is not None else []) if c not in runs.columns]
    indicator = solara.use_reactive("migrants_ru" if "migrants_ru" in numeric else (numeric or [None])[0])
    colour_by = solara.use_reactive(params[0] if params and params[0] not in bookkeeping else NONE)
    if key is None or not numeric:
        return
    solara.Markdown(f"### {t('batch_title')}")
    with solara.Row():
        solara.Select(t("indicator"), values=numeric, value=indicator)
        solara.Select(t("colour_by"), values=[NONE, *params], value=colour_by)
    title = t("runs_count", runs=data[key].nunique(), indicator=indicator_label(indicator.value))
    colour = None if colour_by.value == NONE else colour_by.value
    solara.Image(batch_png(data, indicator.value, colour, title), width="75%")


@solara.component
def FolderView(folder: Path):
    """Everything shown for one folder: a batch chart, its tables and its charts."""
    tables, images = folder_files(folder)
    batch = is_safe(folder / "runs.parquet", folder) and (folder / "runs.parquet").is_file()
    if batch:
        BatchView(folder)
    if not tables and not images and not batch:
        solara.Info(t("empty_folder"))
    if tables:
        solara.Markdown(f"### {t('tables_title')}")
    for path in tables:
        try:
            frame = read_table(path)
        except Exception as exc:  # a broken file is reported, not fatal
            solara.Warning(t("unreadable", file=path.name, error=type(exc).__name__))
            continue
        solara.Text(t("rows_shown", file=path.name, rows=len(frame), cols=frame.shape[1],
                      shown=min(len(frame), MAX_ROWS)), classes=["table-caption"])  # fmt: skip
        solara.DataFrame(frame.head(MAX_ROWS), items_per_page=10)
    if images:
        solara.Markdown(f"### {t('images_title')}")
    for path in images:
        solara.Text(path.name)
        solara.Image(path.read_bytes(), width="75%")


@solara.component
def Page():
    """Research: pick a folder under the results root; see its runs, tables and charts."""
    root = results_root()
    refresh = solara.use_reactive(0)
    folders = solara.use_memo(lambda: list_folders(root), [str(root), refresh.value])
    choice = solara.use_reactive(folders[1] if len(folders) > 1 else (folders[0] if folders else None))
    if choice.value is not None and choice.value not in folders:
        choice.set(folders[0] if folders else None)
        return
    solara.Title(t("research_title"))
    LanguageSwitch()
    solara.Markdown(f"## {t('research_title')}")
    solara.Text(t("research_intro", root=root.name + "/"))
    if not folders:
        solara.Info(t("no_folders"))
        return
    with solara.Row():
        solara.Select(t("folder"), values=folders, value=choice)
        solara.Button(icon_name="mdi-refresh", icon=True, on_click=lambda: refresh.set(refresh.value + 1))
    if choice.value is not None:
        FolderView(resolve_choice(root, choice.value))
