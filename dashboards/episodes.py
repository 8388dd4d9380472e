"""The "What drove it?" page's precomputed answers: four episodes of the baseline, attributed once.

``python -m dashboards.episodes`` (``make episodes``) runs
:func:`sim.attribution.attribute` on ``scenarios/baseline.toml`` for each
episode of :data:`EPISODES` and copies the small outputs the page reads
(``attribution.csv``, ``ban_law_total.csv``, ``summary_en.txt``,
``summary_ru.txt``) into ``dashboards/episodes/<from>-<to>/``, which is
shipped with migsim. The runs themselves stay in ``results/episodes/`` (a
rerun resumes from them). ``dashboards/episodes/settings.json`` records the
size, the members and how long each episode took, with the code version.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FOLDER = Path(__file__).resolve().parent / "episodes"  # shipped: small CSV and text files only
SCENARIO = "scenarios/baseline.toml"
POSTERIOR = "calibration/runs/cal-2021/posterior.parquet"
EPISODES = (("2013", "2015"), ("2019", "2021"), ("2021", "2022"), ("2024", "2025"))
HOUSEHOLDS = 10_000  # a run: half the size the calibration was fitted at (MEMBER_HOUSEHOLDS); see docs
SEEDS = 3  # members: each its own seed and posterior draw (the CLI's default is 5; see docs/dashboard.md)
SEED = 0
BY = ("region", "sex")  # who was hit: rows per region and sex besides "all"
SHIPPED = ("attribution.csv", "ban_law_total.csv", "summary_en.txt", "summary_ru.txt")
SETTINGS = "settings.json"


def name(start: str, end: str) -> str:
    """An episode's folder name, ``"2013-2015"``."""
    return f"{start}-{end}"


def available(folder: Path | None = None) -> list[str]:
    """The episodes shipped in ``folder`` (those with an ``attribution.csv``), in :data:`EPISODES` order."""
    folder = folder or FOLDER
    known = [name(*pair) for pair in EPISODES]
    found = {p.parent.name for p in folder.glob("*/attribution.csv")}
    return [n for n in known if n in found] + sorted(found - set(known))


@dataclass(frozen=True)
class Answer:
    """One attribution as the page shows it: a shipped episode or a run of the page's form.

    ``table`` has the columns of ``attribution.csv``; ``ban_law`` those of
    ``ban_law_total.csv`` (or None); ``lines`` maps ``"en"`` and ``"ru"`` to
    the plain-words lines (:meth:`sim.attribution.Attribution.lines`, in its
    order); ``labels`` are the two periods (``("2013", "2015")``); ``key``
    tells answers apart (the episode's name, or a run's number).
    """

    key: str
    table: pd.DataFrame
    ban_law: pd.DataFrame | None
    lines: dict
    labels: tuple[str, str]

    @property
    def indicators(self) -> list[str]:
        return list(self.table["indicator"].unique())

    @property
    def origins(self) -> list[str]:
        return list(self.table["origin"].unique())

    def lines_for(self, indicator: str, lang: str) -> list[str]:
        """The lines of one indicator (one per origin), then the ban law's (it is about the first indicator).

        All lines if the count does not match the table (a file written by another version).
        """
        lines, indicators, origins = self.lines.get(lang, []), self.indicators, self.origins
        plain = len(indicators) * len(origins)
        if len(lines) not in (plain, plain + len(origins)):
            return lines
        k = indicators.index(indicator)
        own = lines[k * len(origins) : (k + 1) * len(origins)]
        return own + (lines[plain:] if k == 0 else [])


@functools.cache
def load(episode: str, folder: Path | None = None) -> Answer:
    """A shipped episode (``"2013-2015"``) from its files; read once per process."""
    where = (folder or FOLDER) / episode
    table = pd.read_csv(where / "attribution.csv")
    ban_path = where / "ban_law_total.csv"
    ban_law = pd.read_csv(ban_path) if ban_path.is_file() else None
    lines = {}
    for lang in ("en", "ru"):
        path = where / f"summary_{lang}.txt"
        lines[lang] = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    start, end = episode.split("-")
    return Answer(episode, table, ban_law, lines, (start, end))


def settings(folder: Path | None = None) -> dict:
    """``settings.json``: the size the episodes were run at and each one's time (empty if missing)."""
    path = (folder or FOLDER) / SETTINGS
    return json.loads(path.read_text()) if path.is_file() else {}


def precompute(start: str, end: str, households: int, seeds: int, runs_root: Path, folder: Path,
               workers: int = 0) -> dict:  # fmt: skip
    """Attribute one episode, copy its small outputs to ``folder/<from>-<to>/``; what it took."""
    from sim.attribution import attribute
    from sim.provenance import code_version

    out = runs_root / name(start, end)
    reused = len(list((out / "runs").glob("*.parquet")))  # a resumed episode's time is not its whole cost
    began = time.perf_counter()
    result = attribute(PROJECT_ROOT / SCENARIO, start, end, by=BY, seeds=seeds, seed=SEED,
                       posterior=PROJECT_ROOT / POSTERIOR, households=households, out=out,
                       workers=workers)  # fmt: skip
    seconds = time.perf_counter() - began
    result.write(out)
    target = folder / name(start, end)
    target.mkdir(parents=True, exist_ok=True)
    for file in SHIPPED:
        if (out / file).is_file():
            shutil.copyfile(out / file, target / file)
        else:
            (target / file).unlink(missing_ok=True)
    coalitions, _ = result.request.plan()
    return {
        "households": households,
        "seeds": seeds,
        "factors": list(result.request.factors),
        "coalition_runs": len(coalitions) * seeds,
        "ban_law_runs": 10 * seeds if result.ban_law is not None else 0,
        "seconds": round(seconds, 1),
        "runs_reused": reused,
        "code_version": code_version(),
    }


def main(argv: list[str] | None = None) -> None:
    """``python -m dashboards.episodes [--episode 2013-2015] [--households N] [--seeds S]``."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboards.episodes", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--episode", action="append", choices=[name(*p) for p in EPISODES],
                        help="only this episode (repeatable; default: all four)")  # fmt: skip
    parser.add_argument("--households", "-n", type=int, help=f"households a run (default {HOUSEHOLDS:,})")
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--workers", type=int, default=0, help="Dask workers for the coalition runs")
    parser.add_argument("--runs", type=Path, default=PROJECT_ROOT / "results" / "episodes",
                        help="folder for the runs (resumable)")  # fmt: skip
    args = parser.parse_args(argv)
    chosen = [p for p in EPISODES if args.episode is None or name(*p) in args.episode]
    for start, end in chosen:
        households = args.households or HOUSEHOLDS
        print(f"{name(start, end)}: {households:,} households x {args.seeds} members ...", flush=True)
        entry = precompute(start, end, households, args.seeds, args.runs, FOLDER, args.workers)
        print(f"{name(start, end)}: {entry}", flush=True)
        record(name(start, end), entry, args)


def record(episode: str, entry: dict, args: argparse.Namespace) -> None:
    """Add one episode's entry to ``settings.json``, read again just before (two processes may share it)."""
    kept = settings()
    kept.update({"scenario": SCENARIO, "posterior": POSTERIOR, "seed": SEED, "by": list(BY)})
    kept.setdefault("episodes", {})[episode] = {**entry, "workers": args.workers}
    FOLDER.mkdir(parents=True, exist_ok=True)
    (FOLDER / SETTINGS).write_text(json.dumps(kept, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
