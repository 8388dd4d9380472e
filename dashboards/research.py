"""The research page (``/research``): batch and calibration outputs under the results root.

The root is fixed when the server starts (``migsim dashboard --results DIR``,
passed as ``MIGSIM_RESULTS``). Beside its folders the page always lists the
calibrations and validations shipped with migsim (``calibration/runs/``,
read-only, marked :data:`SHIPPED`), and opens on the 2010-2021 calibration
when the results root holds nothing yet. The page offers only folders found
under these two roots; a choice is checked against that list again before
anything is read, and no path typed into the page is ever opened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import solara

from dashboards.i18n import LanguageSwitch, indicator_label, number, t
from sim.indicators import combinable, combine_origins

ENV_RESULTS = "MIGSIM_RESULTS"
MAX_DEPTH = 2
MAX_ROWS = 200
TABLE_SUFFIXES = (".parquet", ".csv")
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints"}
NONE = "-"
# beside dashboards/ in the source tree and in an installed wheel
SHIPPED_ROOT = Path(__file__).resolve().parents[1] / "calibration" / "runs"
# prefix of the shipped folders' choices: 4+ parts, never a folder under the results root (MAX_DEPTH)
SHIPPED = "migsim/calibration/runs/"
SHIPPED_DEFAULT = SHIPPED + "cal-2021"
MAX_CATEGORIES = 12  # a text design column with more values is not offered for colouring
BOOKKEEPING = ("point", "replicate", "seed")  # design columns offered last


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


def list_choices(root: Path, shipped: Path = SHIPPED_ROOT) -> list[str]:
    """The results root's folders (:func:`list_folders`), then the shipped ones, prefixed :data:`SHIPPED`."""
    mine = list_folders(root) if Path(root).is_dir() else []
    theirs = [SHIPPED + name for name in list_folders(shipped) if name != "."]
    return [*mine, *theirs]


def default_choice(choices: list[str]) -> str | None:
    """The first folder under the results root; if it has none, the shipped 2010-2021 calibration."""
    mine = [c for c in choices if not c.startswith(SHIPPED)]
    if len(mine) > 1:
        return mine[1]
    if SHIPPED_DEFAULT in choices:
        return SHIPPED_DEFAULT
    return choices[0] if choices else None


def resolve_choice(root: Path, choice: str, shipped: Path = SHIPPED_ROOT) -> Path:
    """The folder of a listed choice; anything not listed under ``root`` (or the shipped root) is refused."""
    if choice.startswith(SHIPPED):
        return resolve_choice(shipped, choice.removeprefix(SHIPPED))
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


def design_columns(runs: pd.DataFrame, key: str | None) -> list[str]:
    """Columns of ``runs.parquet`` a batch can be coloured by: numbers, and text with few values.

    The scenario and the design's parameters come first, the bookkeeping
    columns (point, replicate, seed) last; status and error are left out.
    """
    found = []
    for column in runs.columns:
        if column in (key, "status", "error"):
            continue
        values = runs[column]
        if pd.api.types.is_numeric_dtype(values) or values.nunique() <= MAX_CATEGORIES:
            found.append(column)
    return sorted(found, key=lambda c: c in BOOKKEEPING)


def default_colour(runs: pd.DataFrame, columns: list[str]) -> str:
    """The first design column whose value differs between runs (the scenario if there are several)."""
    varying = [c for c in columns if c not in BOOKKEEPING and runs[c].nunique() > 1]
    return varying[0] if varying else NONE


def batch_png(data: pd.DataFrame, indicator: str, colour_by: str | None, title: str) -> bytes:
    """One line per run: ``indicator`` over time (:func:`run_series`), coloured by a design column.

    A numeric column colours on a scale (a colour bar); a text column (the
    scenario) gives each value its own colour. The legend names each value.
    """
    import io

    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    key = run_key(data)
    fig = Figure(figsize=(9, 4.2), dpi=80, layout="constrained")
    ax = fig.subplots()
    if "date" in data.columns and key is not None:
        series = run_series(data, indicator)
        values = data.groupby(key)[colour_by].first() if colour_by and colour_by in data.columns else None
        if values is None:
            for run in series.columns:
                ax.plot(series.index, series[run], lw=1, alpha=0.7)
        elif pd.api.types.is_numeric_dtype(values):
            scale = Normalize(float(values.min()), float(values.max()))
            if scale.vmin == scale.vmax:
                scale = Normalize(scale.vmin - 1, scale.vmax + 1)
            cmap = colormaps["viridis"]
            for run in series.columns:
                ax.plot(series.index, series[run], color=cmap(scale(float(values[run]))), lw=1.2, alpha=0.85)
            levels = sorted(values.unique())
            if len(levels) <= 8:
                ax.legend(handles=[Line2D([], [], color=cmap(scale(float(v))), label=f"{colour_by} = {v:g}")
                                   for v in levels], fontsize=8)  # fmt: skip
            else:
                fig.colorbar(ScalarMappable(scale, cmap), ax=ax, label=colour_by)
        else:
            levels = sorted(values.astype(str).unique())
            palette = colormaps["tab10"]
            colour = {level: palette(i % 10) for i, level in enumerate(levels)}
            for run in series.columns:
                ax.plot(series.index, series[run], color=colour[str(values[run])], lw=1.2, alpha=0.85)
            ax.legend(handles=[Line2D([], [], color=colour[v], label=f"{colour_by} = {v}") for v in levels],
                      fontsize=8)  # fmt: skip
    ax.set_title(title, fontsize=10)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: number(y, 0 if abs(y) >= 100 else 2, trim=True)))
    ax.grid(alpha=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def readable(x) -> str:
    """A table cell for reading: up to 4 significant digits below 1,000, whole numbers above, separators."""
    if pd.isna(x):
        return ""
    if x == 0 or abs(x) >= 1000:
        return number(float(x))
    digits = max(0, 3 - int(np.floor(np.log10(abs(x)))))
    return number(float(x), digits, trim=True)


def display_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The first :data:`MAX_ROWS` rows, decimals as :func:`readable` text (the files keep full precision)."""
    shown = frame.head(MAX_ROWS).copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(readable)
    return shown


@solara.component
def BatchView(folder: Path):
    """Indicators across the runs of a batch, coloured by a design column (scenario, parameter, seed)."""
    data = solara.use_memo(lambda: batch_series(folder), [str(folder)])
    key = run_key(data) if data is not None else None
    runs = solara.use_memo(lambda: pd.read_parquet(folder / "runs.parquet"), [str(folder)])
    columns = [c for c in design_columns(runs, key) if data is not None and c in data]
    numeric = [c for c in (combinable(data) if data is not None else []) if c not in runs.columns]
    indicator = solara.use_reactive("migrants_ru" if "migrants_ru" in numeric else (numeric or [None])[0])
    colour_by = solara.use_reactive(default_colour(runs, columns))
    if key is None or not numeric:
        return
    solara.Markdown(f"### {t('batch_title')}")
    with solara.Row():
        solara.Select(t("indicator"), values=numeric, value=indicator)
        solara.Select(t("colour_by"), values=[NONE, *columns], value=colour_by)
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
        with solara.Div(style={"overflow-x": "auto", "max-width": "100%"}, classes=["table-scroll"]):
            solara.DataFrame(display_table(frame), items_per_page=10)
    if images:
        solara.Markdown(f"### {t('images_title')}")
    for path in images:
        solara.Text(path.name)
        solara.Image(path.read_bytes(), width="75%")


@solara.component
def Page():
    """Research: pick a folder under the results root or a shipped one; see its runs, tables and charts."""
    root = results_root()
    refresh = solara.use_reactive(0)
    folders = solara.use_memo(lambda: list_choices(root), [str(root), refresh.value])
    choice = solara.use_reactive(default_choice(folders))
    if choice.value is not None and choice.value not in folders:
        choice.set(default_choice(folders))
        return
    solara.Title(t("research_title"))
    LanguageSwitch()
    solara.Markdown(f"## {t('research_title')}")
    solara.Text(t("research_intro", root=root.name + "/"))
    if not any(not f.startswith(SHIPPED) for f in folders):
        solara.Info(t("no_folders"))
    if not folders:
        return
    with solara.Row():
        solara.Select(t("folder"), values=folders, value=choice)
        solara.Button(icon_name="mdi-refresh", icon=True, on_click=lambda: refresh.set(refresh.value + 1))
    if choice.value is not None:
        if choice.value.startswith(SHIPPED):
            solara.Text(t("shipped_note"), classes=["shipped-note"])
        FolderView(resolve_choice(root, choice.value))
