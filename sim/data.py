"""Access to the public figures shipped in ``sim/data/``.

``observed.csv`` is a copy of the team's collection of public figures, one
figure a row with its source; ``driver_anchors.csv`` lists the yearly anchor
points of the driver series (wages, fees) and, for each, whether it was
observed, converted from an observed figure, or assumed.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import pandas as pd

from sim.errors import InputError

DATA_DIR = Path(__file__).with_name("data")
OBSERVED_CSV = DATA_DIR / "observed.csv"
ANCHORS_CSV = DATA_DIR / "driver_anchors.csv"

ORIGINS = ("TJ", "KG", "UZ")
ORIGIN_NAMES = {"TJ": "Tajikistan", "KG": "Kyrgyzstan", "UZ": "Uzbekistan"}
COUNTRY_CODES = {
    "Tajikistan": "TJ",
    "Kyrgyzstan": "KG",
    "Uzbekistan": "UZ",
    "Russia": "RU",
    "Kazakhstan": "KZ",
}


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"{path}: data file missing; reinstall migsim or restore the file")
    try:
        return pd.read_csv(path, dtype={"year": str, "value": str})
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None


@functools.cache
def observed() -> pd.DataFrame:
    """All observed figures (strings in ``year`` and ``value`` as published)."""
    return _read_csv(OBSERVED_CSV)


@functools.cache
def anchors() -> pd.DataFrame:
    """Yearly anchor points of the driver series with their basis."""
    frame = _read_csv(ANCHORS_CSV)
    frame["year"] = frame["year"].astype(int)
    frame["value"] = frame["value"].astype(float)
    return frame


def series(indicator: str, country: str, partner: str | None = None) -> dict[int, float]:
    """A yearly numeric series ``{year: value}`` from ``observed.csv``.

    Rows whose year is not a plain year (ranges) are skipped; where a year has
    several rows the first one is kept.
    """
    frame = observed()
    rows = frame[(frame["indicator"] == indicator) & (frame["country"] == country)]
    if partner is not None:
        rows = rows[rows["partner"].fillna("") == partner]
    out: dict[int, float] = {}
    for year, value in zip(rows["year"], rows["value"], strict=True):
        if str(year).isdigit() and int(year) not in out:
            out[int(year)] = float(value)
    if not out:
        raise InputError(f"{OBSERVED_CSV}: no rows for indicator {indicator!r}, {country!r}")
    return out


def vintage() -> str:
    """Identity of the data shipped: WDI vintage and a digest of the files."""
    digest = hashlib.sha256()
    for path in (OBSERVED_CSV, ANCHORS_CSV):
        digest.update(path.read_bytes())
    return f"WDI 2022-02-15; data sha256 {digest.hexdigest()[:12]}"
