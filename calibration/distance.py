"""The distance between simulated and observed targets: unit-free and weighted.

For each target row ``i`` with observed value ``o`` and simulated value ``s``
an error ``e_i`` is computed by the row's kind:

========  ==========================================================
level     ``s / o - 1`` (relative error)
upper     ``max(0, s / o - 1)`` (hinge: only exceeding the bound costs)
floor     ``max(0, 1 - s / o)``
band      ``max(0, band_low - s / o) + max(0, s / o - 1)``
          (zero between ``band_low * o`` and ``o``)
change    ``s - o`` (both are relative changes: the error is in
          percentage points / 100; a relative error of a change near
          zero would explode)
========  ==========================================================

Errors are squared and averaged within each series (one target for one
origin, e.g. ``remit_gdp_pct:TJ``), so a series with seven yearly points
weighs as much as one with a single point; series are combined with their
weights ``w_s``::

    D = sqrt( sum_s w_s * mean_i(e_i^2) / sum_s w_s )

``D`` is a root-mean-square relative error: 0 for a perfect match, 0.1 for
"10% off" everywhere, whatever the unit or the size of the country. A
simulated value that is missing (NaN) or infinite counts as an error of
:data:`MISSING_ERROR`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MISSING_ERROR = 10.0


def errors(simulated: pd.Series | np.ndarray, targets: pd.DataFrame) -> np.ndarray:
    """The signed (level, change) or hinge (bounds) error of every target row.

    Parameters
    ----------
    simulated : Series indexed by target id, or an array in the row order
    targets : DataFrame with columns ``observed``, ``kind``, ``band_low``
    """
    if isinstance(simulated, pd.Series):
        s = simulated.reindex(targets["id"]).to_numpy(dtype=float)
    else:
        s = np.asarray(simulated, dtype=float)
    o = targets["observed"].to_numpy(dtype=float)
    kind = targets["kind"].to_numpy()
    band_low = pd.to_numeric(targets.get("band_low"), errors="coerce")
    band_low = np.nan_to_num(np.asarray(band_low, dtype=float), nan=1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = s / o
    e = np.where(kind == "level", ratio - 1, 0.0)
    e = np.where(kind == "upper", np.maximum(0.0, ratio - 1), e)
    e = np.where(kind == "floor", np.maximum(0.0, 1 - ratio), e)
    e = np.where(kind == "band", np.maximum(0.0, band_low - ratio) + np.maximum(0.0, ratio - 1), e)
    e = np.where(kind == "change", s - o, e)
    return np.where(np.isfinite(e), e, MISSING_ERROR)


def series_errors(simulated, targets: pd.DataFrame) -> pd.DataFrame:
    """Per series: its weight, number of points, mean squared and mean absolute error."""
    e = errors(simulated, targets)
    frame = pd.DataFrame({"series": targets["series"].to_numpy(), "weight": targets["weight"].to_numpy(),
                          "sq": e**2, "abs": np.abs(e)})  # fmt: skip
    out = frame.groupby("series", sort=False).agg(
        weight=("weight", "first"), points=("sq", "size"), mse=("sq", "mean"), mae=("abs", "mean")
    )
    return out


def distance(simulated, targets: pd.DataFrame) -> float:
    """The weighted root-mean-square relative error ``D`` (see the module docstring)."""
    per = series_errors(simulated, targets)
    total = per["weight"].sum()
    if total <= 0:
        return 0.0
    return float(np.sqrt((per["weight"] * per["mse"]).sum() / total))


class TargetDistance:
    """A pyabc-compatible distance: ``D(x, x0)`` over the fit rows of the targets.

    ``x`` and ``x0`` are dicts of target id to value; ``x0`` (the observed
    values) is ignored in favour of the table, which also carries the kinds.
    """

    def __init__(self, targets: pd.DataFrame):
        self.targets = targets.reset_index(drop=True)
        self.ids = list(self.targets["id"])

    def __call__(self, x: dict, x_0: dict | None = None) -> float:
        values = np.array([x.get(i, np.nan) for i in self.ids], dtype=float)
        return distance(values, self.targets)
