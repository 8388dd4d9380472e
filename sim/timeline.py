"""Compile a scenario into the month table the kernel reads.

``table[step, origin, column]`` holds, for every step of the run (spin-up
first), the drivers, the policy in force and the behavioural parameters, with
the columns named in :mod:`sim.kernels`. Spin-up steps repeat the first month
of the horizon (its drivers and policy) with the seasonal cycle of their
calendar month, so the starting state is the model's own on those conditions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import kernels as k
from sim.data import ORIGINS
from sim.drivers import Drivers, scenario_drivers
from sim.layout import DESTINATIONS
from sim.params import Parameters
from sim.scenario import Event, Scenario


@dataclass(frozen=True)
class Timeline:
    """The compiled month table and the drivers it came from."""

    table: np.ndarray  # float64 (n_steps, 3, N_COLUMNS)
    drivers: Drivers
    start: int  # first month of the horizon
    n_months: int  # months in the horizon
    spinup_months: int
    recorded_share: np.ndarray  # float64 (n_months, 3): share of remittances the statistics record

    @property
    def n_steps(self) -> int:
        return self.spinup_months + self.n_months


def _active(event: Event, month: int) -> bool:
    start = event.get("from", event.get("date"))
    until = event.get("until")
    return start <= month and (until is None or month <= until)


def _origins(value) -> list[int]:
    values = value if isinstance(value, tuple | list) else (value,)
    if "all" in values:
        return [0, 1, 2]
    return [ORIGINS.index(v) for v in values]


DEST_CODES = tuple(d.code.lower() for d in DESTINATIONS)


def _policy(scenario: Scenario, months: np.ndarray, params: Parameters) -> dict[str, np.ndarray]:
    n = len(months)
    out = {
        "ban_law": np.zeros(n, bool),
        "eaeu": np.zeros((n, 3)),
        "amnesty": np.zeros((n, 3)),
        "moratorium": np.zeros(n, bool),
        "hazard_multiplier": np.ones((n, 3)),
        "kz_legal": np.zeros(n),
        "kz_fee_multiplier": np.ones(n),
        "campaign": np.zeros((n, 3)),
        "reintegration": np.zeros((n, 3)),
    }
    for code in DEST_CODES:  # per destination: closed to new arrivals (by origin), transfer cost
        out[f"closed_{code}"] = np.zeros((n, 3))
        out[f"cost_{code}"] = np.full(n, params[f"transfer_cost_{code}"])
    for t, month in enumerate(months):
        for event in scenario.events:
            if not _active(event, month):
                continue
            kind = event.type
            if kind == "ban_law":
                out["ban_law"][t] = True
            elif kind == "eaeu_accession":
                out["eaeu"][t, ORIGINS.index(event.get("country"))] = 1.0
            elif kind == "amnesty" and event.get("date") == month:
                for o in _origins(event.get("country")):
                    out["amnesty"][t, o] = 1 - (1 - out["amnesty"][t, o]) * (1 - event.get("share"))
            elif kind == "border_closure":
                key = f"closed_{event.get('destination').lower()}"
                for o in _origins(event.get("country", "all")):
                    out[key][t, o] = 1.0
            elif kind == "removal_moratorium":
                out["moratorium"][t] = True
            elif kind in ("enforcement", "entry_regime"):
                for o in _origins(event.get("country")):
                    out["hazard_multiplier"][t, o] *= event.get("hazard_multiplier")
            elif kind == "kz_permits":
                out["kz_legal"][t] = 1.0 if event.get("available", True) else 0.0
                out["kz_fee_multiplier"][t] = event.get("fee_multiplier", 1.0)
            elif kind == "information_campaign":
                for o in _origins(event.get("country")):
                    out["campaign"][t, o] = max(out["campaign"][t, o], event.get("intensity"))
            elif kind == "transfer_cost":
                corridor = event.get("corridor").lower()
                keys = [f"cost_{code}" for code in DEST_CODES] if corridor == "all" else [f"cost_{corridor}"]
                for key in keys:
                    if event.get("value") is not None:
                        out[key][t] = event.get("value")
                    else:
                        out[key][t] = min(0.5, out[key][t] * event.get("multiply"))
            elif kind == "reintegration":
                for o in _origins(event.get("country")):
                    out["reintegration"][t, o] = max(out["reintegration"][t, o], event.get("coverage"))
    return out


def remittance_smoothing(
    wage_usd: np.ndarray, elasticity: float, adjustment: float = 1.0, months: int = 24
) -> np.ndarray:
    """Multiplier of the remittance share when the destination wage in dollars moves.

    Migrants partly keep up the dollar value of what they send when the
    destination currency falls. The target multiplier is
    ``(reference / wage_usd) ** elasticity``, the reference being the average
    dollar wage of the previous ``months`` months (the first month's wage
    before the horizon starts). The multiplier closes a share ``adjustment``
    of its gap to the target each month (1: at once; 1/6: about half the gap
    in four months), starting at the first month's target.

    Parameters
    ----------
    wage_usd : numpy.ndarray
        The destination's average wage in USD, one value per month.
    elasticity : float
        ``remit_smoothing``: 0 for no response, 1 to keep the dollar amount.
    adjustment : float
        ``remit_adjustment``: the share of the gap closed per month, in (0, 1].
    months : int
        Length of the trailing reference.

    Returns
    -------
    numpy.ndarray
        The multiplier, one value per month; 1 while the wage is constant.
    """
    padded = np.concatenate([np.full(months, wage_usd[0]), wage_usd])
    previous = np.lib.stride_tricks.sliding_window_view(padded[:-1], months)
    # the mean of ratios, so that a constant wage gives exactly 1
    target = (previous / wage_usd[:, None]).mean(axis=1) ** elasticity
    if adjustment >= 1.0:
        return target
    multiplier = np.empty_like(target)
    multiplier[0] = target[0]
    for t in range(1, len(target)):
        multiplier[t] = multiplier[t - 1] + adjustment * (target[t] - multiplier[t - 1])
    return multiplier


REFERENCE_UNEMPLOYMENT_PCT = 5.5  # Russia 2012-2013: the rate at which p_job_ru is stated


def labour_demand_index(unemployment_pct: np.ndarray) -> np.ndarray:
    """Russian labour demand: ``log(5.5 / unemployment rate)``; 0 in 2012-2013, above 0 when tighter.

    Fixed before any fitting: the unemployment rate is the one Rosstat series
    that reaches 2025 (construction volumes stop in 2017).
    """
    return np.log(REFERENCE_UNEMPLOYMENT_PCT / unemployment_pct)


def russian_job_chance(unemployment_pct: np.ndarray, p_job: float, elasticity: float) -> np.ndarray:
    """Monthly chance a migrant in Russia has work, moved by labour demand on the logit scale.

    ``logit(p) = logit(p_job) + elasticity * labour_demand_index``: equal to
    ``p_job`` at 5.5% unemployment, bounded in (0, 1) however tight the market.
    """
    if elasticity == 0.0 or p_job <= 0.0 or p_job >= 1.0:
        return np.full(np.shape(unemployment_pct), float(p_job))
    logit = np.log(p_job / (1 - p_job)) + elasticity * labour_demand_index(unemployment_pct)
    return 1.0 / (1.0 + np.exp(-logit))


def _season(calendar_month: np.ndarray, peak: int, amplitude: float) -> np.ndarray:
    return 1.0 + amplitude * np.cos(2 * np.pi * (calendar_month - peak) / 12.0)


def compile_timeline(scenario: Scenario, params: Parameters | None = None) -> Timeline:
    """Build the month table of a scenario (with ``params`` replacing its own)."""
    params = params if params is not None else scenario.parameters
    n_months = scenario.end - scenario.start + 1
    drivers = scenario_drivers(scenario)
    months = np.arange(scenario.start, scenario.end + 1)
    policy = _policy(scenario, months, params)
    p = params

    table = np.zeros((n_months, 3, k.N_COLUMNS))
    rub = drivers.rub_per_usd * p.rub_per_usd_multiplier
    eaeu = policy["eaeu"]
    # legal EAEU workers reach better-paid formal jobs: the origin's Russian wage rises while a member
    wage_ru_usd = drivers.wage_ru_rub * p.wage_ru_multiplier / rub
    table[:, :, k.W_RU_USD] = wage_ru_usd[:, None] * (1.0 + p.eaeu_wage_premium * eaeu)
    table[:, :, k.W_KZ_USD] = (drivers.wage_kz_kzt * p.wage_kz_multiplier / drivers.kzt_per_usd)[:, None]
    table[:, :, k.W_HOME_USD] = drivers.wage_home_usd * p.wage_home_multiplier
    table[:, :, k.FEE_RU_USD] = (drivers.patent_fee_rub / rub)[:, None] * (1 - eaeu)
    kz_fee = drivers.kz_permit_fee_kzt * policy["kz_fee_multiplier"] / drivers.kzt_per_usd
    table[:, :, k.FEE_KZ_USD] = kz_fee[:, None] * (1 - eaeu)
    table[:, :, k.PERMIT_KZ] = np.maximum(policy["kz_legal"][:, None], eaeu)
    table[:, :, k.PERMIT_RU] = 0.0  # Russia's patent is no secret: P_IRREGULAR_RU covers who skips it
    table[:, :, k.P_IRREGULAR_KZ] = 1.0  # without a legal route, work in Kazakhstan is irregular
    table[:, :, k.EAEU] = eaeu
    law = policy["ban_law"][:, None]
    hazard = np.where(law, p.hazard_ru_after_law, p.hazard_ru_before_law) * policy["hazard_multiplier"]
    # no removals while the Russian border is closed or a decree freezes stays (Decrees 274, 364)
    frozen = (policy["closed_ru"] > 0.5) | policy["moratorium"][:, None]
    table[:, :, k.HAZARD_RU] = np.where(frozen, 0.0, np.minimum(hazard, 1.0))
    table[:, :, k.BAN_MONTHS] = np.where(law, p.ban_months_after_law, p.ban_months_before_law)
    for d, code in zip(DESTINATIONS, DEST_CODES, strict=True):
        table[:, :, getattr(k, d.columns[k.F_CLOSED])] = policy[f"closed_{code}"]
        table[:, :, getattr(k, d.columns[k.F_COST])] = policy[f"cost_{code}"][:, None]
    table[:, :, k.AMNESTY] = policy["amnesty"]
    table[:, :, k.CAMPAIGN] = policy["campaign"]
    table[:, :, k.REINTEGRATION] = policy["reintegration"]
    # the Russian market wage, before the EAEU premium
    smoothing_ru = remittance_smoothing(wage_ru_usd, p.remit_smoothing, p.remit_adjustment)
    smoothing_kz = remittance_smoothing(table[:, 0, k.W_KZ_USD], p.remit_smoothing, p.remit_adjustment)
    for o, code in enumerate(ORIGINS):
        code = code.lower()
        table[:, o, k.ASC_RU] = p[f"asc_ru_{code}"]
        table[:, o, k.ASC_KZ] = p[f"asc_kz_{code}"]
        table[:, o, k.P_JOB_HOME] = p[f"p_job_home_{code}"]
        share = p[f"remit_share_{code}"]
        table[:, o, k.REMIT_SHARE_RU] = np.minimum(0.95, share * smoothing_ru)
        table[:, o, k.REMIT_SHARE_KZ] = np.minimum(0.95, share * smoothing_kz)
    constants = {
        k.BETA_INCOME: p.beta_income, k.BETA_NETWORK: p.beta_network,
        k.EXTRA_MEMBER: p.extra_member, k.FEMALE_SHIFT: p.female_shift,
        k.AGE_SHIFT_MID: p.age_shift_mid, k.AGE_SHIFT_OLD: p.age_shift_old,
        k.P_JOB_KZ: p.p_job_kz, k.WAGE_RATIO: p.wage_ratio,
        k.IRREGULAR_PENALTY: p.irregular_penalty, k.P_IRREGULAR_RU: p.p_irregular_ru,
        k.HAZARD_KZ: p.hazard_kz, k.MOVE_COST_RU: p.move_cost_ru_usd,
        k.MOVE_COST_KZ: p.move_cost_kz_usd, k.STAY_MONTHS: p.stay_months,
        k.RISK_AVERSION: p.risk_aversion, k.P_BAN_KNOWN: p.p_ban_known,
        k.BAN_EXTENSION: p.ban_extension_months, k.AWARE_CONTACT: p.aware_contact,
        k.POVERTY_LINE: p.poverty_line_usd, k.OTHER_INCOME: p.other_income_usd,
        k.VULNERABLE_SHARE: p.vulnerable_share, k.RETURNEE_MONTHS: p.returnee_months,
        k.P_REGULARISE: p.p_regularise, k.P_REVISIT_HOME: p.p_revisit_home,
        k.P_REVISIT_ABROAD: p.p_revisit_abroad, k.CLOSURE_STAY: p.closure_revisit_factor,
    }  # fmt: skip
    for column, value in constants.items():
        table[:, :, column] = value
    table[:, :, k.P_JOB_RU] = russian_job_chance(
        drivers.unemployment_ru_pct, p.p_job_ru, p.demand_elasticity
    )[:, None]

    spin = scenario.spinup_months
    rows = np.concatenate([np.repeat(table[:1], spin, axis=0), table], axis=0)
    rows[:spin, :, k.AMNESTY] = 0.0
    step_months = np.arange(scenario.start - spin, scenario.end + 1)
    calendar = step_months % 12
    depart = _season(calendar, 3, p.season_amplitude)
    back = _season(calendar, 10, p.season_amplitude)
    rows[:, :, k.SEASON_DEPART] = depart[:, None]
    rows[:, :, k.SEASON_RETURN] = back[:, None]
    rows[:, :, k.STEP_IN_YEAR] = calendar[:, None]
    check_money(table, scenario)
    return Timeline(
        np.ascontiguousarray(rows), drivers, scenario.start, n_months, spin, recorded_share(months, p)
    )


# Largest monthly wage or fee in USD the kernel accepts: with integer cents, 4 members and 30 million
# households a month's counter stays below 1.2e16, far from the int64 limit of 9.2e18.
MAX_MONEY_USD = 1e6
MONEY_COLUMNS = {"the Russian wage": k.W_RU_USD, "the Kazakh wage": k.W_KZ_USD, "the home wage": k.W_HOME_USD,
                 "the Russian patent": k.FEE_RU_USD, "the Kazakh permit": k.FEE_KZ_USD}  # fmt: skip


def check_money(table: np.ndarray, scenario: Scenario) -> None:
    """Refuse drivers that make a monthly wage or fee in USD not finite or above :data:`MAX_MONEY_USD`.

    The kernel keeps money in int64 cents; this bound keeps every counter far
    from overflow whatever the drivers, levers and multipliers.
    """
    from sim.errors import InputError
    from sim.months import format_month

    for name, column in MONEY_COLUMNS.items():
        values = table[:, :, column]
        bad = ~np.isfinite(values) | (values > MAX_MONEY_USD) | (values < 0)
        if bad.any():
            t = int(np.argwhere(bad)[0][0])
            raise InputError(
                f"{scenario.source or scenario.name}: the drivers give {name} = {values[t].max():.3g} USD a "
                f"month in {format_month(scenario.start + t)}; allowed 0 to {MAX_MONEY_USD:,.0f} (check the "
                "[[drivers]] values and the wage and exchange-rate levers)"
            )


UZ_UNIFICATION = 2017 * 12 + 8  # 5 Sep 2017: the Uzbek som unified at about 8,100 per dollar
UZ_OWN_SERIES = 2017 * 12  # Jan 2017: the first year of the Uzbek central bank's own remittance figures


def recorded_share(months: np.ndarray, params: Parameters) -> np.ndarray:
    """Official remittance series over the money migrants in the model send, per month and origin.

    Measurement, not behaviour; two dated facts about the Uzbek series
    (sim/data/recent/sources_2008_2021.md, Table 6 and note (b)):

    - **Channels.** Before the exchange-rate unification (September 2017)
      foreign-currency sales to citizens were banned and the official rate
      was about half the market rate, so migrants had reason to carry cash
      and use informal channels: the series records ``uz_recorded_share``
      of what is sent.
    - **Source.** Before 2017 Uzbekistan published no remittance figures of
      its own, and the series was estimated from Russian transfer data.
      From 2017 it is the central bank's own, which counts every country of
      origin and channel; the money from Russia and Kazakhstan that the
      model has is ``uz_series_share`` of it, so the series is the model's
      amount divided by that share.

    1 for the other origins.
    """
    out = np.ones((len(months), 3))
    uz = ORIGINS.index("UZ")
    out[months < UZ_UNIFICATION, uz] *= params.uz_recorded_share
    out[months >= UZ_OWN_SERIES, uz] /= params.uz_series_share
    return out
