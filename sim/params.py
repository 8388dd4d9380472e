"""Behavioural and policy parameters: one table of defaults, units, ranges, sources.

Every parameter the model uses is declared once in :data:`SPECS`. A
:class:`Parameters` object is an immutable mapping of name to value, made
from the defaults and validated overrides (a scenario's ``[behaviour]`` and
``[policy]`` tables, or keyword levers of :class:`sim.MigrationModel`).
``docs/model.md`` lists the same table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from sim.errors import InputError


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: its default, unit, allowed range, group and source.

    ``prior`` is the uniform prior ``(low, high)`` of a calibrated parameter
    (None: not calibrated, kept at its default); ``prior_source`` says why
    that range. ``plausible`` is the narrower range sensitivity analysis
    varies (a calibrated parameter's prior, else roughly +/-50% or +/-1.5
    utility units around the default). Calibration, sensitivity, the
    workshop sliders and the docs read them here.
    """

    name: str
    default: float
    unit: str
    low: float
    high: float
    group: str
    source: str
    description: str
    prior: tuple[float, float] | None = None
    prior_source: str = ""
    plausible: tuple[float, float] | None = None  # the range sensitivity analysis varies

    @property
    def calibrated(self) -> bool:
        return self.prior is not None


A = "assumption"
CAL = (
    "calibrated: best ABC-SMC particle on 2010-2021 targets, rescored on fresh seeds "
    "(calibration/runs/cal-2021/best.toml)"
)
# fmt: off
_SPECS = [
    # destination choice
    ParamSpec("beta_income", 0.3501, "utility per log-USD", 0.1, 6, "behaviour", CAL,
              "weight of log expected monthly income in every option's utility"),
    ParamSpec("beta_network", 2.0, "utility per unit share", 0, 8, "behaviour", A,
              "pull of the share of contacts with a member at the destination"),
    ParamSpec("asc_ru_tj", -0.7782, "utility", -10, 5, "behaviour", CAL,
              "affinity of Tajik households for Russia (language, diaspora)"),
    ParamSpec("asc_ru_kg", -1.372, "utility", -10, 5, "behaviour", CAL,
              "affinity of Kyrgyz households for Russia"),
    ParamSpec("asc_ru_uz", -1.587, "utility", -10, 5, "behaviour", CAL,
              "affinity of Uzbek households for Russia"),
    ParamSpec("asc_kz_tj", -3.9, "utility", -10, 5, "behaviour", A + " (to be calibrated)",
              "affinity of Tajik households for Kazakhstan"),
    ParamSpec("asc_kz_kg", -3.5, "utility", -10, 5, "behaviour", A + " (to be calibrated)",
              "affinity of Kyrgyz households for Kazakhstan"),
    ParamSpec("asc_kz_uz", -3.0, "utility", -10, 5, "behaviour", A + " (to be calibrated)",
              "affinity of Uzbek households for Kazakhstan (southern border, diaspora)"),
    ParamSpec("extra_member", 0.9, "utility per member", 0, 5, "behaviour", A,
              "diminishing gain: utility lost per other household member already abroad"),
    ParamSpec("female_shift", -2.8, "utility", -8, 2, "behaviour",
              "set so that about 85% of departures are men (labour_migrant_departures TJ 2016)",
              "utility shift of working abroad for women"),
    ParamSpec("age_shift_mid", -0.3, "utility", -5, 2, "behaviour", A,
              "utility shift of working abroad, age 30-44 (against 18-29)"),
    ParamSpec("age_shift_old", -1.5, "utility", -8, 2, "behaviour", A,
              "utility shift of working abroad, age 45-59"),
    ParamSpec("p_revisit_home", 0.10, "per month", 0.005, 1, "behaviour", A,
              "inertia: probability a member at home reconsiders in a month"),
    ParamSpec("p_revisit_abroad", 0.10, "per month", 0.005, 1, "behaviour", A,
              "inertia: probability a migrant abroad reconsiders in a month"),
    ParamSpec("closure_revisit_factor", 0.3, "factor", 0, 1, "behaviour",
              A + "; flights were suspended and Decree 274 (April 2020) extended migrants' stays "
              "(policy_covid_flights_suspended, policy_covid_decree_274)",
              "multiplies the revisit probability of migrants in a country whose border is closed"),
    ParamSpec("season_amplitude", 0.6, "share", 0, 0.95, "behaviour", A,
              "amplitude of the seasonal cycle of revisits (departures peak in April, "
              "returns in November)"),
    # work and earnings
    ParamSpec("p_job_ru", 0.85, "per month", 0, 1, "behaviour",
              A + "; cf. share_migrants_currently_working (TJ 2016)",
              "probability a migrant in Russia has paid work in a month at 5.5% Russian unemployment "
              "(2012-2013)"),
    ParamSpec("demand_elasticity", 2.85, "logit per log-ratio", 0, 6, "behaviour",
              CAL + "; prior uniform 0-4 (assumption); the 2010-2013 rise came with more migrants, "
              "not larger transfers (sim/data/recent/sources_2008_2021.md)",
              "response of the Russian job chance to labour demand: logit(p) moves by this times "
              "log(5.5 / unemployment rate)"),
    ParamSpec("p_job_kz", 0.80, "per month", 0, 1, "behaviour", A,
              "probability a migrant in Kazakhstan has paid work in a month"),
    ParamSpec("p_job_home_tj", 0.40, "per month", 0, 1, "behaviour", A,
              "probability a working-age member at home in Tajikistan has paid work"),
    ParamSpec("p_job_home_kg", 0.50, "per month", 0, 1, "behaviour", A,
              "probability of paid work at home, Kyrgyzstan"),
    ParamSpec("p_job_home_uz", 0.50, "per month", 0, 1, "behaviour", A,
              "probability of paid work at home, Uzbekistan"),
    ParamSpec("wage_ratio", 0.70, "share", 0.1, 2, "behaviour", A,
              "migrant wage as a share of the destination's average wage"),
    ParamSpec("irregular_penalty", 0.15, "share", 0, 0.9, "behaviour", A,
              "share of wage lost by working without papers"),
    ParamSpec("p_irregular_ru", 0.55, "probability", 0, 1, "behaviour", A,
              "probability a new non-EAEU migrant in Russia works irregularly"),
    ParamSpec("p_regularise", 0.15, "per month", 0, 1, "behaviour", A,
              "monthly probability an irregular migrant of an EAEU member regularises"),
    ParamSpec("move_cost_ru_usd", 300, "USD", 0, 3000, "behaviour", A,
              "travel and moving cost to Russia"),
    ParamSpec("move_cost_kz_usd", 100, "USD", 0, 3000, "behaviour", A,
              "travel and moving cost to Kazakhstan"),
    ParamSpec("stay_months", 9, "months", 1, 60, "behaviour", A,
              "months over which the moving cost is paid back"),
    ParamSpec("risk_aversion", 0.3, "utility per ban-month", 0, 5, "behaviour", A,
              "utility lost per expected month of Russian ban per month of irregular work"),
    ParamSpec("remit_share_tj", 0.6367, "share", 0, 1, "behaviour", CAL,
              "share of earnings a Tajik migrant sends home"),
    ParamSpec("remit_share_kg", 0.7779, "share", 0, 1, "behaviour", CAL,
              "share of earnings a Kyrgyz migrant sends home"),
    ParamSpec("remit_share_uz", 0.6822, "share", 0, 1, "behaviour", CAL,
              "share of earnings an Uzbek migrant sends home"),
    ParamSpec("eaeu_wage_premium", 0.1798, "share", 0, 1, "behaviour",
              CAL + "; prior uniform 0-0.6 (assumption); EAEU citizens work without patent or "
              "quota and keep their place in the formal labour market (sim/data/recent/"
              "sources_2008_2021.md, Table 6: KG accession, NBKR 2018, Abashin 2016)",
              "rise of the Russian wage a migrant of an EAEU member earns, against a non-member's"),
    ParamSpec("uz_recorded_share", 0.9098, "share", 0.05, 1, "measurement",
              CAL + "; prior uniform 0.3-1 (assumption); FX sales to citizens banned 2013-Sep 2017, "
              "dual rate, cash and informal channels, no Uzbek remittance statistics before 2017 "
              "(sim/data/recent/sources_2008_2021.md, Table 6)",
              "share of Uzbek remittances the official series record before the September 2017 "
              "exchange-rate unification (measurement, not behaviour)"),
    ParamSpec("uz_series_share", 0.4852, "share", 0.2, 1, "measurement",
              CAL + "; prior uniform 0.45-1; Uzbek central bank, H1 2018: USD 2.3 bn received, 1.7 bn of "
              "it from Russia (sim/data/recent/sources_2008_2021.md, Table 6 and note (b)1)",
              "share of the Uzbek official remittance series from 2017 on (the central bank's own "
              "statistics: every country of origin, every channel) that is money sent from Russia and "
              "Kazakhstan, the flows the model has (measurement, not behaviour)"),
    ParamSpec("remit_smoothing", 0.1705, "elasticity", 0, 1, "behaviour",
              CAL + "; prior uniform 0-1 (assumption); remittances_growth_rub_q4 (TJ, Q4 2014: +7.6% in "
              "roubles while the rouble fell 32%) suggests about 0.2 in the short run",
              "how much migrants raise the share they send when the destination wage in dollars "
              "falls below its 24-month average"),
    ParamSpec("remit_adjustment", 1.0, "per month", 0, 1, "behaviour",
              "assumption: 1 (at once) as in every shipped fit; calibrated on 2 Dec 2026 it stayed at its "
              "prior and did not improve the fits (docs/calibration.md, World Bank section)",
              "share of the gap between the remittance-share multiplier and its target "
              "(remit_smoothing) closed each month: 1 at once, 1/6 about half the gap in four months"),
    # information
    ParamSpec("p_ban_known", 0.5, "probability", 0, 1, "behaviour", A,
              "probability a household learns of a member's new ban"),
    ParamSpec("aware_contact", 0.05, "per month per share", 0, 1, "behaviour", A,
              "awareness of legal work in Kazakhstan gained per unit share of contacts there"),
    ParamSpec("initial_aware", 0.10, "share", 0, 1, "behaviour", A,
              "share of households aware of legal work in Kazakhstan at the start"),
    # welfare
    ParamSpec("poverty_line_usd", 60, "USD per person per month", 1, 1000, "behaviour",
              A + " (about USD 2 a day)", "poverty line"),
    ParamSpec("other_income_usd", 15, "USD per person per month", 0, 1000, "behaviour", A,
              "non-wage income (pensions, farm produce) per person"),
    ParamSpec("vulnerable_share", 0.2, "share", 0, 1, "behaviour", A,
              "a returnee with a smaller share of contacts abroad than this counts as isolated"),
    ParamSpec("returnee_months", 12, "months", 1, 60, "behaviour", A,
              "months after return during which a member counts as a returnee"),
    # policy regime
    ParamSpec("hazard_ru_before_law", 0.004, "per month", 0, 1, "policy", A,
              "detection hazard of an irregular migrant in Russia before July 2013"),
    ParamSpec("hazard_ru_after_law", 0.01793, "per month", 0, 1, "policy",
              CAL + "; prior centred on about 700,000 bans in 14 months (reentry_bans_since_july_2013)",
              "detection hazard after the July 2013 law"),
    ParamSpec("ban_months_before_law", 36, "months", 0, 240, "policy", A,
              "length of a re-entry ban before July 2013"),
    ParamSpec("ban_months_after_law", 60, "months", 0, 240, "policy",
              "policy_reentry_ban_law (3- and 5-year bans); 5 years taken",
              "length of a re-entry ban after July 2013"),
    ParamSpec("ban_extension_months", 12, "months", 0, 120, "policy", A,
              "months added to a ban when the banned member is turned back at the border"),
    ParamSpec("hazard_kz", 0.008, "per month", 0, 1, "policy", A,
              "removal hazard of an irregular migrant in Kazakhstan"),
    ParamSpec("transfer_cost_ru", 0.015, "share of amount", 0, 0.5, "policy",
              A + " (the Russian corridors are among the cheapest in the world)",
              "cost of sending money from Russia"),
    ParamSpec("transfer_cost_kz", 0.03, "share of amount", 0, 0.5, "policy", A,
              "cost of sending money from Kazakhstan"),
    # driver levers (whole run)
    ParamSpec("wage_home_multiplier", 1.0, "factor", 0.05, 20, "drivers", "lever",
              "multiplies home wages in every origin"),
    ParamSpec("wage_ru_multiplier", 1.0, "factor", 0.05, 20, "drivers", "lever",
              "multiplies the Russian wage in roubles"),
    ParamSpec("wage_kz_multiplier", 1.0, "factor", 0.05, 20, "drivers", "lever",
              "multiplies the Kazakh wage in tenge"),
    ParamSpec("rub_per_usd_multiplier", 1.0, "factor", 0.05, 20, "drivers", "lever",
              "multiplies roubles per dollar (above 1: a weaker rouble)"),
]
# fmt: on

# Uniform priors of the calibrated parameters: (low, high, why this range)
# fmt: off
_PRIORS = {
    "asc_ru_tj": (-3.5, -0.5, "wide around the 2010-2016 fit; the Oct 2013 counts set the level"),
    "asc_ru_kg": (-3.5, -0.5, "as asc_ru_tj"),
    "asc_ru_uz": (-3.5, -0.5, "as asc_ru_tj"),
    "remit_share_tj": (0.2, 0.9, "assumption: between a fifth and nine tenths of earnings"),
    "remit_share_kg": (0.2, 0.9, "as remit_share_tj"),
    "remit_share_uz": (0.2, 0.9, "as remit_share_tj"),
    "beta_income": (0.2, 2.5, "the 28 Nov 2026 runs piled against a lower edge of 0.5"),
    "hazard_ru_after_law": (0.002, 0.04, "centred on about 700,000 bans in 14 months "
                            "(reentry_bans_since_july_2013)"),
    "demand_elasticity": (0.0, 4.0, "assumption: from no response to a logit shift of 4 per unit of the "
                          "index (a job chance of 0.85 at 5.5% unemployment falls to about 0.65 at 7.3%)"),
    "remit_smoothing": (0.0, 1.0, "assumption: from none to full smoothing of the dollar amount sent; "
                        "the Tajik Q4 2014 figure (remittances_growth_rub_q4) suggests about 0.2 short-run"),
    "eaeu_wage_premium": (0.0, 0.6, "assumption: from none to the patent fee plus the irregular penalty "
                          "several times over"),
    "uz_recorded_share": (0.3, 1.0, "assumption: from most money carried informally to all of it recorded"),
    "uz_series_share": (0.45, 1.0, "Uzbek central bank H1 2018: 1.7 of 2.3 bn from Russia (0.74); down to "
                        "0.45 for compensation of employees, which WDI counts and transfer figures do not "
                        "(assumption); up to 1 if nothing else is counted"),
}
# fmt: on
# Plausible ranges of the uncalibrated parameters that sensitivity analysis varies
_PLAUSIBLE = {
    "beta_network": (0.5, 4.0),
    "asc_kz_tj": (-5.5, -2.5),
    "asc_kz_kg": (-5.0, -2.0),
    "asc_kz_uz": (-4.5, -1.5),
    "extra_member": (0.3, 1.5),
    "female_shift": (-4.0, -1.5),
    "p_revisit_home": (0.03, 0.3),
    "p_revisit_abroad": (0.03, 0.3),
    "season_amplitude": (0.2, 0.9),
    "p_job_ru": (0.7, 0.95),
    "wage_ratio": (0.5, 0.9),
    "p_irregular_ru": (0.3, 0.8),
    "move_cost_ru_usd": (100.0, 600.0),
    "risk_aversion": (0.0, 1.0),
    "p_ban_known": (0.2, 0.8),
    "vulnerable_share": (0.1, 0.4),
    "remit_adjustment": (0.1, 1.0),
}
_SPECS = [replace(s, prior=_PRIORS[s.name][:2], prior_source=_PRIORS[s.name][2]) if s.name in _PRIORS else s
          for s in _SPECS]  # fmt: skip
_SPECS = [replace(s, plausible=s.prior or _PLAUSIBLE.get(s.name)) for s in _SPECS]
SPECS: Mapping[str, ParamSpec] = MappingProxyType({s.name: s for s in _SPECS})
PRIORS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {s.name: s.prior for s in _SPECS if s.prior is not None}
)
PLAUSIBLE: Mapping[str, tuple[float, float]] = MappingProxyType(
    {s.name: s.plausible for s in _SPECS if s.plausible is not None}
)
GROUPS = ("behaviour", "measurement", "policy", "drivers")


def check_value(name: str, value: object, where: str) -> float:
    """Validate one override; raise :class:`InputError` naming ``where`` and the range."""
    if name not in SPECS:
        raise InputError(f"{where}: unknown parameter {name!r}; allowed: {', '.join(SPECS)}")
    spec = SPECS[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: {name} must be a number in [{spec.low}, {spec.high}]")
    if not spec.low <= float(value) <= spec.high:
        raise InputError(
            f"{where}: {name} = {value} is out of range; allowed [{spec.low}, {spec.high}] {spec.unit}"
        )
    return float(value)


class Parameters(Mapping[str, float]):
    """Immutable, validated parameter values; missing names take their defaults."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, float] | None = None, where: str = "parameters"):
        merged = {name: float(spec.default) for name, spec in SPECS.items()}
        for name, value in (values or {}).items():
            merged[name] = check_value(name, value, where)
        object.__setattr__(self, "_values", MappingProxyType(merged))

    def replace(self, where: str = "levers", **overrides: float) -> Parameters:
        """A copy with validated overrides."""
        return Parameters({**self._values, **overrides}, where=where)

    def __reduce__(self):
        # the mappingproxy does not pickle; rebuild from a plain dict (worker processes)
        return (Parameters, (dict(self._values),))

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def __getattr__(self, name: str) -> float:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __setattr__(self, name, value):
        raise AttributeError("Parameters are immutable; use replace()")

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if v != SPECS[k].default}
        return f"Parameters({changed})"

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Parameters) and dict(self._values) == dict(other._values)
