"""What the observed series imply together: remittances per citizen present in Russia.

The model sends remittances from wages earned abroad, so the dollars a
migrant sends follow the dollar value of the destination wage (softened by
``remit_smoothing``). Two of the calibration's own series let one check
whether the data behave that way without running the model: the WDI
remittances in dollars (share of GDP x GDP) divided by the FMS count of
citizens present in Russia at a date in the same year. Between 2013 and 2016
the Russian wage in dollars fell by about 39%; the remittances per citizen present
of Tajikistan fell by about a third, while those of Kyrgyzstan and Uzbekistan
held or rose. No model in which migrants send a share of their earnings can
follow all three, which sets a floor under the remittance-share error
(``docs/calibration.md``, "What the data allow").

The table uses only ``sim/data/observed.csv``; it is a property of the data,
not of a run.
"""

from __future__ import annotations

import pandas as pd

from calibration.targets import COUNTRY, OBSERVED, origin_rows, read_observed

# the count of citizens present paired with each year's remittances
COUNT_DATES = {2013: "2013-10-18", 2015: "2015-04-01", 2016: "2016-04-05"}


def remittances_per_citizen(observed_path=OBSERVED) -> pd.DataFrame:
    """Remittances (USD per year) per citizen present in Russia, by origin and year.

    Parameters
    ----------
    observed_path : path
        The observed-data table (``sim/data/observed.csv``).

    Returns
    -------
    DataFrame
        Index ``(origin, year)`` for the years of :data:`COUNT_DATES`; columns
        ``remittances_usd`` (WDI share of GDP x GDP), ``citizens_present``
        (FMS count on the paired date), ``usd_per_citizen`` and
        ``change_since_2013`` (relative).
    """
    observed = read_observed(observed_path)
    observed["value"] = pd.to_numeric(observed["value"], errors="coerce")
    share = origin_rows(observed, "remittances_received_pct_gdp").set_index(["origin", "year"])["value"]
    gdp = origin_rows(observed, "gdp_current_usd").set_index(["origin", "year"])["value"]
    counts = origin_rows(observed, "citizens_present_in_russia_fms")
    rows = []
    for origin in COUNTRY.values():
        for year, date in COUNT_DATES.items():
            count = counts[(counts["origin"] == origin) & counts["unit"].str.contains(date)]["value"]
            remit = share[(origin, year)] / 100.0 * gdp[(origin, year)]
            rows.append({"origin": origin, "year": year, "remittances_usd": remit,
                         "citizens_present": float(count.iloc[0])})  # fmt: skip
    table = pd.DataFrame(rows).set_index(["origin", "year"])
    table["usd_per_citizen"] = table["remittances_usd"] / table["citizens_present"]
    base = table["usd_per_citizen"].xs(2013, level="year")
    origins = table.index.get_level_values("origin")
    table["change_since_2013"] = table["usd_per_citizen"] / base.reindex(origins).to_numpy() - 1
    return table


def format_consistency(table: pd.DataFrame) -> list[str]:
    """Printed lines: remittances per citizen present, and their change since 2013."""
    header = f"{'origin':6} {'year':>4} {'USD bn':>7} {'present':>10} {'USD each':>9} {'vs 2013':>8}"
    lines = ["data check (observed only): WDI remittances per FMS citizen present in Russia", header]
    for (origin, year), row in table.iterrows():
        billions = row["remittances_usd"] / 1e9
        lines.append(
            f"{origin:6} {year:>4} {billions:7.2f} {row['citizens_present']:10,.0f} "
            f"{row['usd_per_citizen']:9,.0f} {row['change_since_2013']:+8.1%}"
        )
    return lines


if __name__ == "__main__":  # pragma: no cover
    print("\n".join(format_consistency(remittances_per_citizen())))
