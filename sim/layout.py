"""The layout of the kernel's arrays, declared once: state, month-table columns, counters, destinations.

:mod:`sim.kernels` cannot import these declarations at compile time: numba
freezes module-level constants when it compiles, and its cache notices
edits to the kernel file only. So ``python -m sim.layout`` writes them into
``sim/kernels.py`` between ``# <name> >>>`` and ``# <name> <<<`` markers
(the constants, the destination table and every list of state arguments),
and a test fails when the file is not what this module would write. To
change the layout, edit this module and run ``python -m sim.layout``.

Destinations are an axis, not code branches: a destination is one
:class:`Destination` entry. Its month-table columns and counters are laid
out as one block per destination, in the order of :data:`DEST_COLUMNS` and
:data:`DEST_COUNTERS`, so the kernel finds destination ``d``'s wage at
``DEST_BASE + d * N_DEST_FIELDS + F_WAGE``. A member at destination ``d`` has
location ``d + 1`` (0 is home); bit ``d`` of a household's network flags and
column ``d`` of its ``contacts`` count contacts with a member there.
"""

from __future__ import annotations

import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

KERNELS = Path(__file__).with_name("kernels.py")


@dataclass(frozen=True)
class StateArray:
    """One array of household state that the rule reads or writes.

    Attributes
    ----------
    name : str
    dtype : str
        NumPy dtype name.
    shape : str
        ``"n"`` (one per household), ``"n+1"``, ``"n,members"`` (one per
        member slot) or ``"n,contacts"`` (one per destination, then anywhere).
    meaning : str
    """

    name: str
    dtype: str
    shape: str
    meaning: str


# The arguments of the household rule, in order.
STATE = (
    StateArray("origin", "int8", "n", "origin country, an index of sim.data.ORIGINS"),
    StateArray("cell_base", "int16", "n", "indicator cell of the household (its region, ban-status group)"),
    StateArray("size", "int8", "n", "persons in the household"),
    StateArray("n_members", "int8", "n", "working-age members, in slots 0 .. n_members - 1"),
    StateArray("skill", "uint8", "n", "skill 0-255; wages abroad scale by 0.8 + 0.4 * skill / 255"),
    StateArray("aware", "int8", "n", "1 if the household knows legal work with a permit is possible"),
    StateArray("contacts", "int16", "n,contacts", "contacts with a member at each destination; anywhere"),
    StateArray("indptr", "int64", "n+1", "CSR row pointers of the contact network (for the degree)"),
    StateArray("flags_next", "int8", "n", "written: bit d set if a member is at destination d"),
    StateArray("m_loc", "int8", "n,members", "location: 0 home, d + 1 destination d"),
    StateArray("m_irregular", "int8", "n,members", "1 if working without a legal status"),
    StateArray("m_ban_until", "int16", "n,members", "step until which a re-entry ban stands (NO_BAN none)"),
    StateArray("m_ban_known", "int8", "n,members", "1 if the member knows of the ban"),
    StateArray("m_sex", "int8", "n,members", "0 male, 1 female"),
    StateArray("m_age", "int8", "n,members", "age group: 0 18-29, 1 30-44, 2 45-59"),
    StateArray("m_returned", "int16", "n,members", "step of the last return home (NEVER none)"),
)

# Month-table columns shared by every destination: ``month[origin, column]``, float64.
COLUMNS = (
    ("W_HOME_USD", "average wage at home, USD per month"),
    ("EAEU", "1 if the origin is an EAEU member"),
    ("BAN_MONTHS", "length of a new re-entry ban, months"),
    ("AMNESTY", "share of standing bans lifted this month"),
    ("CAMPAIGN", "information-campaign intensity, monthly reach probability"),
    ("REINTEGRATION", "share of returnees reached by a job programme"),
    ("SEASON_DEPART", "multiplier on the revisit probability at home"),
    ("SEASON_RETURN", "multiplier on the revisit probability abroad"),
    ("P_JOB_HOME", "monthly probability of work at home"),
    ("BETA_INCOME", "utility per unit of log expected income"),
    ("BETA_NETWORK", "utility per unit share of contacts at a destination"),
    ("EXTRA_MEMBER", "utility lost per other member already abroad"),
    ("FEMALE_SHIFT", "utility shift of going abroad for women"),
    ("AGE_SHIFT_MID", "utility shift for members aged 30-44"),
    ("AGE_SHIFT_OLD", "utility shift for members aged 45-59"),
    ("P_REVISIT_HOME", "monthly probability a member at home reconsiders"),
    ("P_REVISIT_ABROAD", "monthly probability a migrant reconsiders"),
    ("WAGE_RATIO", "migrant wage as a share of the destination average"),
    ("IRREGULAR_PENALTY", "wage lost by irregular work, share"),
    ("STAY_MONTHS", "months over which a move is paid back"),
    ("RISK_AVERSION", "utility per expected month of ban per month worked"),
    ("P_BAN_KNOWN", "probability a household learns of a new ban"),
    ("BAN_EXTENSION", "months added to a ban at a border denial"),
    ("AWARE_CONTACT", "awareness gained per unit share of contacts at a permit destination"),
    ("POVERTY_LINE", "poverty line, USD per person per month"),
    ("OTHER_INCOME", "non-wage income, USD per person per month"),
    ("VULNERABLE_SHARE", "a returnee with fewer contacts abroad than this is isolated"),
    ("RETURNEE_MONTHS", "months after return during which a member is a returnee"),
    ("P_REGULARISE", "monthly probability an irregular EAEU migrant regularises"),
    ("STEP_IN_YEAR", "calendar month 0-11 (informative)"),
    ("CLOSURE_STAY", "multiplier on the revisit probability of migrants behind a closed border"),
    ("AGE_STRIDE", "indicator cells between two age groups (0: members of every age share one cell)"),
)

# Month-table columns of each destination, in block order: (field, meaning).
DEST_COLUMNS = (
    ("WAGE", "average wage, USD per month"),
    ("FEE", "legal-work cost (patent, permit), USD per month (0 for EAEU members)"),
    ("CLOSED", "1 if the border is closed to new arrivals"),
    ("COST", "transfer cost, share of the amount sent"),
    ("ASC", "alternative-specific constant (affinity, language)"),
    ("P_JOB", "monthly probability a migrant there has work"),
    ("HAZARD", "monthly removal hazard of an irregular migrant"),
    ("MOVE_COST", "travel and moving cost, USD"),
    ("REMIT_SHARE", "share of earnings a migrant there sends home"),
    ("P_IRREGULAR", "probability a new migrant without a legal route works irregularly"),
    ("PERMIT", "1 if households that know of it can work legally with a permit"),
)

# Indicator counters of each destination, in block order: (field, meaning).
DEST_COUNTERS = (
    ("MIG", "members there"),
    ("DEP", "departures there this month"),
    ("IRREG", "members there working irregularly"),
)

# Counters shared by every destination: ``acc[cell, counter]``, int64.
COUNTERS = (
    ("RETURNS", "returns home this month (removals included)"),
    ("BANNED", "members with a standing re-entry ban"),
    ("BANNED_UNAWARE", "members banned without knowing it"),
    ("DENIED", "members turned back at a border this month"),
    ("REMOVED", "members removed home this month"),
    ("VULNERABLE", "isolated, banned, jobless recent returnees"),
    ("REMIT_CENTS", "money sent home this month, cents"),
    ("HOUSEHOLDS", "households (kept in the sex-0 cell of the household's region)"),
    ("PERSONS", "persons in those households"),
    ("INCOME_CENTS", "household income this month, cents"),
    ("POOR_HOUSEHOLDS", "households below the poverty line"),
    ("RECEIVING", "households receiving money from abroad"),
)


@dataclass(frozen=True)
class Destination:
    """A country migrants can work in.

    Attributes
    ----------
    code : str
        Two-letter code; the location constant is its English name in capitals.
    location_name : str
    columns : tuple of str
        The names of its month-table columns, one per :data:`DEST_COLUMNS` field.
    counters : tuple of str
        The names of its counters, one per :data:`DEST_COUNTERS` field.
    removal_stream : int
        Random stream of its removal draw (streams must stay distinct).
    bans : bool
        Removal from it comes with a re-entry ban, and a banned member is
        refused at its border (Russia's re-entry bans).
    eaeu : bool
        An EAEU member: citizens of EAEU origins work there legally.
    tells_of_permits : bool
        Households learn from contacts working there that legal work with a
        permit is possible (Kazakhstan's permits for foreign workers).
    """

    code: str
    location_name: str
    columns: tuple[str, ...]
    counters: tuple[str, ...]
    removal_stream: int
    bans: bool
    eaeu: bool
    tells_of_permits: bool


DESTINATIONS = (
    Destination(
        "RU", "RUSSIA",
        ("W_RU_USD", "FEE_RU_USD", "CLOSED_RU", "COST_RU", "ASC_RU", "P_JOB_RU", "HAZARD_RU",
         "MOVE_COST_RU", "REMIT_SHARE_RU", "P_IRREGULAR_RU", "PERMIT_RU"),
        ("MIG_RU", "DEP_RU", "IRREG_RU"),
        removal_stream=4, bans=True, eaeu=True, tells_of_permits=False,
    ),
    Destination(
        "KZ", "KAZAKHSTAN",
        ("W_KZ_USD", "FEE_KZ_USD", "CLOSED_KZ", "COST_KZ", "ASC_KZ", "P_JOB_KZ", "HAZARD_KZ",
         "MOVE_COST_KZ", "REMIT_SHARE_KZ", "P_IRREGULAR_KZ", "PERMIT_KZ"),
        ("MIG_KZ", "DEP_KZ", "IRREG_KZ"),
        removal_stream=11, bans=False, eaeu=True, tells_of_permits=True,
    ),
)  # fmt: skip


def _constants(destinations: tuple[Destination, ...]) -> list[str]:
    """The kernel's index constants: locations, columns, counters and the destination table."""
    lines = ["HOME = 0"]
    lines += [f"{d.location_name} = {i + 1}" for i, d in enumerate(destinations)]
    lines += [f"N_DEST = {len(destinations)}", ""]
    lines += ["# Columns of the month matrix ``month[origin, column]`` (float64)."]
    lines += [f"{name} = {i}  # {meaning}" for i, (name, meaning) in enumerate(COLUMNS)]
    base = len(COLUMNS)
    lines += ["# destination d's block starts at DEST_BASE + d * N_DEST_FIELDS; fields:"]
    lines += [f"F_{field} = {i}  # {meaning}" for i, (field, meaning) in enumerate(DEST_COLUMNS)]
    lines += [f"DEST_BASE = {base}", f"N_DEST_FIELDS = {len(DEST_COLUMNS)}"]
    for d, dest in enumerate(destinations):
        start = base + d * len(DEST_COLUMNS)
        lines += [f"{name} = {start + i}" for i, name in enumerate(dest.columns)]
    lines += [f"N_COLUMNS = {base + len(destinations) * len(DEST_COLUMNS)}", ""]
    lines += ["# Indicator counters ``acc[cell, indicator]`` (int64); destination blocks first, fields:"]
    lines += [f"C_{field} = {i}  # {meaning}" for i, (field, meaning) in enumerate(DEST_COUNTERS)]
    lines += [f"N_DEST_COUNTERS = {len(DEST_COUNTERS)}"]
    for d, dest in enumerate(destinations):
        lines += [f"{name} = {d * len(DEST_COUNTERS) + i}" for i, name in enumerate(dest.counters)]
    first = len(destinations) * len(DEST_COUNTERS)
    lines += [f"{name} = {first + i}  # {meaning}" for i, (name, meaning) in enumerate(COUNTERS)]
    lines += [f"N_INDICATORS = {first + len(COUNTERS)}", ""]
    lines += ["# The destination table (index d = location - 1)."]
    lines += [f"REMOVAL_STREAM = {tuple(d.removal_stream for d in destinations)}"]
    lines += [f"BANS = {tuple(d.bans for d in destinations)}"]
    lines += [f"EAEU_MEMBER = {tuple(d.eaeu for d in destinations)}"]
    lines += [f"TELLS_OF_PERMITS = {tuple(d.tells_of_permits for d in destinations)}"]
    return lines


def _state_arguments(indent: str) -> list[str]:
    names = ", ".join(a.name for a in STATE) + ","
    return textwrap.wrap(names, width=100, initial_indent=indent, subsequent_indent=indent)


# a region: "# name >>>" up to "# name <<<" at the same indentation, both lines included
MARKED = re.compile(
    r"^(?P<indent>[ \t]*)# (?P<name>[a-z ]+) >>>.*\n(?:.*\n)*?(?P=indent)# (?P=name) <<<\n", re.M
)


def generate(source: str, destinations: tuple[Destination, ...] = DESTINATIONS) -> str:
    """``source`` (the text of ``sim/kernels.py``) with every marked region rewritten.

    ``destinations`` replaces the table of this module (a test compiles a
    kernel with a third destination this way).
    """

    def region(match: re.Match) -> str:
        indent, name = match["indent"], match["name"]
        if name == "layout":
            body = [indent + line if line else "" for line in _constants(destinations)]
        elif name == "state":
            body = _state_arguments(indent)
        else:
            raise ValueError(f"sim/kernels.py: unknown generated region {name!r}")
        head = f"{indent}# {name} >>> (generated by python -m sim.layout: do not edit)"
        return "\n".join([head, *body, f"{indent}# {name} <<<"]) + "\n"

    return MARKED.sub(region, source)


def main() -> int:
    """Rewrite the generated regions of ``sim/kernels.py``; print whether it changed."""
    before = KERNELS.read_text()
    after = generate(before)
    if after != before:
        KERNELS.write_text(after)
        print(f"{KERNELS}: regions rewritten")
    else:
        print(f"{KERNELS}: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
