"""From the kernel's integer counters to the results table.

The kernel counts simulated persons (members) and integer cents per month and
indicator cell (region x sex). Here they are summed over the requested key
(origin, and optionally region and sex), scaled to the real population by the
origin's weight (real households per simulated household in that month), and
turned into the tidy table of ``docs/model.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim import kernels as k

# results column -> kernel counter (persons, scaled)
PERSON_COLUMNS = {
    "migrants_ru": k.MIG_RU,
    "migrants_kz": k.MIG_KZ,
    "departures_ru": k.DEP_RU,
    "departures_kz": k.DEP_KZ,
    "returns": k.RETURNS,
    "irregular_ru": k.IRREG_RU,
    "banned": k.BANNED,
    "banned_unaware": k.BANNED_UNAWARE,
    "denied_entry": k.DENIED,
    "removals": k.REMOVED,
    "vulnerable_returnees": k.VULNERABLE,
}
INDICATORS = (
    *PERSON_COLUMNS,
    "remittances_usd",
    "remittances_gdp_pct",
    "income_per_capita_usd",
    "poverty_rate",
    "households",
    "receiving_share",
)
STOCKS = {"migrants_ru", "migrants_kz", "irregular_ru", "banned", "banned_unaware",
          "vulnerable_returnees", "households"}  # fmt: skip
FLOWS = {"departures_ru", "departures_kz", "returns", "denied_entry", "removals", "remittances_usd"}
HOUSEHOLD_LEVEL = ("income_per_capita_usd", "poverty_rate", "households", "receiving_share")
KEYS = ("region", "sex")
SEXES = ("male", "female")


def _groups(regions: pd.DataFrame, by: tuple[str, ...]) -> tuple[pd.DataFrame, np.ndarray]:
    """Group labels and the cell -> group membership matrix."""
    cells = pd.DataFrame(
        {
            "origin": np.repeat(regions["origin"].to_numpy(), 2),
            "region": np.repeat(regions["region"].to_numpy(), 2),
            "sex": np.tile(SEXES, len(regions)),
        }
    )
    keys = ["origin", *[key for key in KEYS if key in by]]
    labels = cells[keys].drop_duplicates().reset_index(drop=True)
    index = cells.merge(labels.reset_index(), on=keys, how="left")["index"].to_numpy()
    member = np.zeros((len(cells), len(labels)), dtype=np.int64)
    member[np.arange(len(cells)), index] = 1
    return labels, member


def build_frame(
    cells: np.ndarray,
    regions: pd.DataFrame,
    weights: np.ndarray,
    gdp_usd: np.ndarray,
    dates: pd.DatetimeIndex,
    by: tuple[str, ...] = (),
    recorded_share: np.ndarray | None = None,
) -> pd.DataFrame:
    """The monthly results table.

    Parameters
    ----------
    cells : ndarray(int64, (n_months, n_cells, N_INDICATORS))
    regions : DataFrame
        :func:`sim.population.regions`; cell ``2 * r + sex`` is region ``r``.
    weights, gdp_usd : ndarray(float64, (n_months, 3))
        Real households per simulated household; GDP of the month's year.
    dates : DatetimeIndex
        First day of each month.
    by : tuple of str
        Extra keys from ``("region", "sex")``.
    recorded_share : ndarray(float64, (n_months, 3)), optional
        Share of the remittances sent that the official statistics record
        (measurement, not behaviour: ``remittances_usd`` and
        ``remittances_gdp_pct`` are as recorded; household income counts
        all that was sent). Default 1.
    """
    from sim.data import ORIGINS

    labels, member = _groups(regions, by)
    grouped = np.einsum("tck,cg->tgk", cells, member)  # int64, exact
    origin_index = labels["origin"].map(ORIGINS.index).to_numpy()
    w = weights[:, origin_index]  # (T, G)
    gdp = gdp_usd[:, origin_index]
    n_months, n_groups = w.shape
    out = {
        "date": np.repeat(dates.to_numpy(), n_groups),
        **{key: np.tile(labels[key].to_numpy(), n_months) for key in labels.columns},
    }
    for name, counter in PERSON_COLUMNS.items():
        out[name] = (grouped[:, :, counter] * w).ravel()
    remit = grouped[:, :, k.REMIT_CENTS] / 100.0 * w
    if recorded_share is not None:
        remit = remit * recorded_share[:, origin_index]
    out["remittances_usd"] = remit.ravel()
    out["remittances_gdp_pct"] = (remit * 12.0 / gdp * 100.0).ravel()
    persons = grouped[:, :, k.PERSONS].astype(float)
    households = grouped[:, :, k.HOUSEHOLDS].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["income_per_capita_usd"] = (grouped[:, :, k.INCOME_CENTS] / 100.0 / persons).ravel()
        out["poverty_rate"] = (grouped[:, :, k.POOR_HOUSEHOLDS] / households).ravel()
        out["receiving_share"] = (grouped[:, :, k.RECEIVING] / households).ravel()
    out["households"] = (households * w).ravel()
    frame = pd.DataFrame(out)
    if "sex" in by:
        # household-level counters sit in the men's cell: not a breakdown by sex
        frame.loc[:, list(HOUSEHOLD_LEVEL)] = np.nan
    return frame


def annual(frame: pd.DataFrame) -> pd.DataFrame:
    """Yearly aggregates: flows summed, stocks, shares and rates averaged.

    ``remittances_gdp_pct`` is averaged, which for a full year equals the
    year's remittances as a percentage of its GDP (the World Bank measure).
    ``months`` says how many months of the year the run covered.
    """
    keys = [c for c in ("origin", "region", "sex") if c in frame.columns]
    frame = frame.assign(year=frame["date"].dt.year)
    groups = frame.groupby(["year", *keys], sort=False)
    agg = {name: ("sum" if name in FLOWS else "mean") for name in INDICATORS}
    out = groups.agg(agg)
    out["months"] = groups.size()
    return out.reset_index()
