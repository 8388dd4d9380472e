"""One home for the model's exogenous inputs: drivers, policy event types and attribution factors.

Each driver series and each policy event type is declared here once, with
its schema and the attribution factor that holds it. The scenario parser
validates against these tables, the timeline applies them, and the
dashboard levers and attribution read them; a test fails if an entry has no
factor or a factor is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

# attribution factor -> what holding it keeps fixed (docs/attribution.md)
FACTORS = {
    "rouble": "the rouble's exchange rate to the dollar",
    "russian_economy": "Russian wages and labour demand",
    "reentry_bans": "the 2013 ban law, enforcement and removal moratoria, amnesties",
    "entry_rules": "patents and their prices, the 2015 rules, the 2025 regime",
    "eaeu": "EAEU accessions",
    "border_closure": "the 2020-21 border closures",
    "kazakhstan": "Kazakh permits, wages, the tenge, the 90-in-180 rule",
    "origin_economy": "home wages, origin GDP and population",
    "transfer_costs": "fees for sending money and the 2022 caps",
    "programmes": "information campaigns and reintegration programmes",
}
# factor -> its short name in English and Russian (attribution tables and sentences)
FACTOR_LABELS = {
    "rouble": ("the rouble", "рубль"),
    "russian_economy": ("Russia's economy", "экономика России"),
    "reentry_bans": ("re-entry bans", "запреты на въезд"),
    "entry_rules": ("entry rules", "правила въезда"),
    "eaeu": ("EAEU membership", "членство в ЕАЭС"),
    "border_closure": ("border closures", "закрытие границ"),
    "kazakhstan": ("Kazakhstan", "Казахстан"),
    "origin_economy": ("the economy at home", "экономика страны"),
    "transfer_costs": ("transfer costs", "стоимость переводов"),
    "programmes": ("programmes", "программы"),
}


@dataclass(frozen=True)
class DriverSpec:
    """One exogenous driver series.

    ``factor`` is the attribution factor that holds it; ``step`` is True for
    series that change each January (fees); ``per_origin`` series take an
    optional ``country`` in scenario files.
    """

    name: str
    per_origin: bool
    unit: str
    factor: str
    description: str
    step: bool = False


DRIVER_SPECS = {
    spec.name: spec
    for spec in (
        DriverSpec("rub_per_usd", False, "RUB per USD", "rouble", "roubles per dollar, monthly average"),
        DriverSpec("kzt_per_usd", False, "KZT per USD", "kazakhstan", "tenge per dollar, annual average"),
        DriverSpec("wage_ru_rub", False, "RUB per month", "russian_economy",
                   "average nominal wage in Russia"),
        DriverSpec("unemployment_ru_pct", False, "% of labour force", "russian_economy",
                   "Russian unemployment rate; the labour-demand index is log(5.5 / rate)"),
        DriverSpec("wage_kz_kzt", False, "KZT per month", "kazakhstan", "average nominal wage in Kazakhstan"),
        DriverSpec("patent_fee_rub", False, "RUB per month", "entry_rules",
                   "Russian patent price (Moscow from 2020)", step=True),
        DriverSpec("kz_permit_fee_kzt", False, "KZT per month", "kazakhstan",
                   "Kazakh permit fee for work with individuals", step=True),
        DriverSpec("wage_home_usd", True, "USD per month", "origin_economy",
                   "average wage at home, at the exchange rate households faced"),
        DriverSpec("gdp_usd", True, "USD per year", "origin_economy",
                   "GDP in current USD (WDI 2025 vintage)"),
        DriverSpec("population", True, "persons", "origin_economy", "population"),
    )
}  # fmt: skip


@dataclass(frozen=True)
class EventType:
    """One kind of dated policy event: its keys (name -> kind) and its factor.

    Key kinds: ``month``, ``origin`` (one origin), ``origins`` (a list or
    ``all``), ``dest``, ``dests``, ``share``, ``bool``, ``factor``, ``cost``;
    a trailing ``?`` marks an optional key.
    """

    name: str
    keys: dict[str, str]
    factor: str
    description: str


# the keys of the two event types that multiply the Russian detection hazard
_HAZARD_KEYS = {"country": "origins", "from": "month", "until": "month?", "hazard_multiplier": "factor"}

EVENT_TYPES = {
    e.name: e
    for e in (
        EventType("ban_law", {"date": "month"}, "reentry_bans",
                  "the July 2013 law: a higher detection hazard and longer bans from its month"),
        EventType("eaeu_accession", {"country": "origin", "date": "month"}, "eaeu",
                  "an origin joins the EAEU: no patent, legal work in Russia and Kazakhstan"),
        EventType("amnesty", {"country": "origins", "date": "month", "share": "share"}, "reentry_bans",
                  "a share of the origin's standing re-entry bans is lifted in one month"),
        EventType("border_closure", {"destination": "dest", "country": "origins?", "from": "month",
                                     "until": "month?"}, "border_closure",
                  "no new arrivals at a destination (from the given origins, default all)"),
        EventType("removal_moratorium", {"from": "month", "until": "month?"}, "reentry_bans",
                  "no removals from Russia (stays frozen by decree)"),
        EventType("enforcement", _HAZARD_KEYS, "reentry_bans",
                  "Russian detection hazard multiplied for the given origins (raids)"),
        EventType("entry_regime", _HAZARD_KEYS, "entry_rules",
                  "a stricter entry and stay regime: Russian detection hazard multiplied"),
        EventType("kz_permits", {"from": "month", "until": "month?", "available": "bool?",
                                 "fee_multiplier": "factor?"}, "kazakhstan",
                  "legal work in Kazakhstan with a permit, for households aware of it"),
        EventType("information_campaign", {"country": "origins", "from": "month", "until": "month?",
                                           "intensity": "share"}, "programmes",
                  "monthly chance a household learns of legal work in Kazakhstan and of its bans"),
        EventType("transfer_cost", {"corridor": "dests", "from": "month", "until": "month?",
                                    "value": "cost?", "multiply": "factor?"}, "transfer_costs",
                  "cost of sending money home, set or multiplied"),
        EventType("reintegration", {"country": "origins", "from": "month", "until": "month?",
                                    "coverage": "share"}, "programmes",
                  "share of returnees reached by a job programme"),
    )
}  # fmt: skip
