"""The household rule and the loops that apply it, compiled with numba.

Everything the rule needs lives in this one module: numba's cache does not
notice edits to jitted helpers in other files, and it freezes module-level
constants at compile time (see ``docs/performance.md``). Other modules import
the column and indicator indices from here, so there is one definition.

The rule is a pure function over arrays. It reads the household's own row,
the month's driver matrix and the counts of its contacts abroad (which only
:func:`commit_network` changes, after every household has decided), and writes
its own row, its next network flags and its contributions to the indicator
counters. Randomness is counter-based: every draw is a hash of
``(seed, step, household, member, stream)``. Indicator counters are int64 and
money is kept in integer cents, so totals do not depend on the order in which
households are processed or on the number of threads.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

kernel = njit(cache=True, error_model="numpy", nogil=True)
parallel_kernel = njit(cache=True, error_model="numpy", nogil=True, parallel=True)
# Inlined into its callers at numba-IR level: no call overhead and no reference
# counting of the many array arguments per household (atomic operations that two
# threads would contend for). Called from Python it compiles as a normal function.
inline_kernel = njit(cache=True, error_model="numpy", nogil=True, inline="always")

# Locations of a member.
HOME = 0
RUSSIA = 1
KAZAKHSTAN = 2

# Most working-age members a household holds.
MAX_MEMBERS = 4

# Households per accumulation block: indicator counters are kept per block so
# that the parallel loop writes without conflicts.
BLOCK = 2048

NO_BAN = -1
NEVER = -32000

# Columns of the month matrix ``month[origin, column]`` (float64).
W_RU_USD = 0  # average wage in Russia, USD per month
W_KZ_USD = 1  # average wage in Kazakhstan, USD per month
W_HOME_USD = 2  # average wage at home, USD per month
FEE_RU_USD = 3  # legal-work cost in Russia, USD per month (0 for EAEU members)
FEE_KZ_USD = 4  # legal-work cost in Kazakhstan, USD per month
KZ_LEGAL = 5  # 1 if legal work with a Kazakh permit is possible
EAEU = 6  # 1 if the origin is an EAEU member
HAZARD_RU = 7  # monthly detection hazard of an irregular migrant in Russia
BAN_MONTHS = 8  # length of a new re-entry ban, months
CLOSED_RU = 9  # 1 if the Russian border is closed to new arrivals
CLOSED_KZ = 10  # 1 if the Kazakh border is closed to new arrivals
AMNESTY = 11  # share of standing bans lifted this month
CAMPAIGN = 12  # information-campaign intensity, monthly reach probability
COST_RU = 13  # transfer cost, share of the amount sent from Russia
COST_KZ = 14  # transfer cost, share of the amount sent from Kazakhstan
REINTEGRATION = 15  # share of returnees reached by a job programme
SEASON_DEPART = 16  # multiplier on the revisit probability at home
SEASON_RETURN = 17  # multiplier on the revisit probability abroad
ASC_RU = 18  # alternative-specific constant of Russia (affinity, language)
ASC_KZ = 19  # alternative-specific constant of Kazakhstan
P_JOB_HOME = 20  # monthly probability of work at home
REMIT_SHARE = 21  # share of earnings a migrant in Russia sends home
BETA_INCOME = 22  # utility per unit of log expected income
BETA_NETWORK = 23  # utility per unit share of contacts at a destination
EXTRA_MEMBER = 24  # utility lost per other member already abroad
FEMALE_SHIFT = 25  # utility shift of going abroad for women
AGE_SHIFT_MID = 26  # utility shift for members aged 30-44
AGE_SHIFT_OLD = 27  # utility shift for members aged 45-59
P_REVISIT_HOME = 28  # monthly probability a member at home reconsiders
P_REVISIT_ABROAD = 29  # monthly probability a migrant reconsiders
P_JOB_RU = 30  # monthly probability a migrant in Russia has work
P_JOB_KZ = 31  # monthly probability a migrant in Kazakhstan has work
WAGE_RATIO = 32  # migrant wage as a share of the destination average
IRREGULAR_PENALTY = 33  # wage lost by irregular work, share
P_IRREGULAR_RU = 34  # probability a new migrant in Russia works irregularly
HAZARD_KZ = 35  # monthly removal hazard of an irregular migrant in Kazakhstan
MOVE_COST_RU = 36  # travel and moving cost to Russia, USD
MOVE_COST_KZ = 37  # travel and moving cost to Kazakhstan, USD
STAY_MONTHS = 38  # months over which a move is paid back
RISK_AVERSION = 39  # utility per expected month of ban per month worked
P_BAN_KNOWN = 40  # probability a household learns of a new ban
BAN_EXTENSION = 41  # months added to a ban at a border denial
AWARE_CONTACT = 42  # awareness gained per unit share of contacts in Kazakhstan
POVERTY_LINE = 43  # poverty line, USD per person per month
OTHER_INCOME = 44  # non-wage income, USD per person per month
VULNERABLE_SHARE = 45  # a returnee with fewer contacts abroad than this is isolated
RETURNEE_MONTHS = 46  # months after return during which a member is a returnee
P_REGULARISE = 47  # monthly probability an EAEU migrant regularises
STEP_IN_YEAR = 48  # calendar month 0-11 (informative)
REMIT_SHARE_KZ = 49  # share of earnings a migrant in Kazakhstan sends home
CLOSURE_STAY = 50  # multiplier on the revisit probability of migrants behind a closed border
AGE_STRIDE = 51  # indicator cells between two age groups (0: members of every age share one cell)
N_COLUMNS = 52

# Indicator counters ``acc[block, cell, indicator]`` (int64).
MIG_RU = 0
MIG_KZ = 1
DEP_RU = 2
DEP_KZ = 3
RETURNS = 4
IRREG_RU = 5
BANNED = 6
BANNED_UNAWARE = 7
DENIED = 8
REMOVED = 9
VULNERABLE = 10
REMIT_CENTS = 11
# household-level counters, kept in the sex-0 cell of the household's region
HOUSEHOLDS = 12
PERSONS = 13
INCOME_CENTS = 14
POOR_HOUSEHOLDS = 15
RECEIVING = 16
N_INDICATORS = 17

# Random streams.
S_AWARE = 1
S_BANCHECK = 2
S_AMNESTY = 3
S_DETECT = 4
S_KNOWN = 5
S_REVISIT = 6
S_CHOICE = 7
S_IRREGULAR = 8
S_REGULARISE = 10
S_REMOVE_KZ = 11

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_K_STEP = np.uint64(0xD1B54A32D192ED03)
_K_HH = np.uint64(0xABC98388FB8FAC03)
_K_MEMBER = np.uint64(0x8CB92BA72F3D8DD7)
_K_STREAM = np.uint64(0xE7037ED1A0B428DB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_INV53 = 1.0 / 9007199254740992.0
_INV32 = 1.0 / 4294967296.0


@inline_kernel
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@inline_kernel
def household_key(seed, step, household):
    """The hash of ``(seed, step, household)`` that all of a household's draws start from."""
    z = _mix(np.uint64(seed) + _GOLDEN)
    z = _mix(z ^ (np.uint64(step) * _K_STEP))
    return _mix(z ^ (np.uint64(household) * _K_HH))


@inline_kernel
def draw(key, member, stream):
    """Uniform in [0, 1) from a household key, a member slot and a stream."""
    z = _mix(key ^ (np.uint64(member) * _K_MEMBER + np.uint64(stream) * _K_STREAM))
    return float(z >> _S11) * _INV53


@inline_kernel
def draw_pair(key, member, stream):
    """Two uniforms in [0, 1) with 32 random bits each, from one hash."""
    z = _mix(key ^ (np.uint64(member) * _K_MEMBER + np.uint64(stream) * _K_STREAM))
    return float(z >> _S32) * _INV32, float(z & _LOW32) * _INV32


@kernel
def uniform(seed, step, household, member, stream):
    """Counter-based uniform draw in [0, 1).

    Parameters
    ----------
    seed, step, household, member, stream : int
        The draw's coordinates; every argument is cast to uint64 before
        hashing, so signed and unsigned inputs give the same bits.

    Returns
    -------
    float
        A uniform number with 53 random bits; the same number the rule draws
        as ``draw(household_key(seed, step, household), member, stream)``.
    """
    return draw(household_key(seed, step, household), member, stream)


@inline_kernel
def home_job_chance(row, returnee):
    """Monthly chance of paid work at home; reintegration support raises it for a recent returnee."""
    p_job = row[P_JOB_HOME]
    return p_job + returnee * (row[REINTEGRATION] * (1.0 - p_job))


@inline_kernel
def utilities(row, skill, sex, age, loc, n_other_abroad, share_ru, share_kz, aware, returnee):
    """Utilities of home, Russia and Kazakhstan for one member.

    Parameters
    ----------
    row : ndarray(float64, (N_COLUMNS,))
        The month matrix row of the household's origin.
    skill : float
        Skill in [0, 1]; scales wages abroad by ``0.8 + 0.4 * skill``.
    sex, age : int
        0 male / 1 female; age group 0 (18-29), 1 (30-44), 2 (45-59).
    loc : int
        The member's current location (no move cost to stay).
    n_other_abroad : int
        Other members of the household abroad now.
    share_ru, share_kz : float
        Shares of the household's contacts with a member in Russia / Kazakhstan.
    aware : int
        1 if the household knows legal work in Kazakhstan is possible.
    returnee : int
        1 if the member returned recently (reintegration support applies).

    Returns
    -------
    tuple of float
        ``(u_home, u_ru, u_kz)``.
    """
    skill_factor = 0.8 + 0.4 * skill
    beta = row[BETA_INCOME]
    home = home_job_chance(row, returnee) * row[W_HOME_USD] + 10.0
    u_home = beta * math.log(home)

    p_irr = row[P_IRREGULAR_RU] * (1.0 - row[EAEU])
    w_ru = row[W_RU_USD] * row[WAGE_RATIO] * skill_factor
    earn_ru = row[P_JOB_RU] * w_ru * (1.0 - p_irr * row[IRREGULAR_PENALTY])
    earn_ru -= (1.0 - p_irr) * row[FEE_RU_USD]
    if loc != RUSSIA:
        earn_ru -= row[MOVE_COST_RU] / row[STAY_MONTHS]
    if earn_ru < 1.0:
        earn_ru = 1.0
    u_ru = beta * math.log(earn_ru) + row[ASC_RU] + row[BETA_NETWORK] * share_ru
    u_ru -= row[RISK_AVERSION] * p_irr * row[HAZARD_RU] * row[BAN_MONTHS]

    # EAEU citizens work legally without a permit; others only if they know the permit exists
    legal_kz = 1.0 if row[EAEU] > 0.5 else aware * row[KZ_LEGAL]
    w_kz = row[W_KZ_USD] * row[WAGE_RATIO] * skill_factor
    if legal_kz > 0.5:
        earn_kz = row[P_JOB_KZ] * w_kz - row[FEE_KZ_USD]
    else:
        earn_kz = row[P_JOB_KZ] * w_kz * (1.0 - row[IRREGULAR_PENALTY])
    if loc != KAZAKHSTAN:
        earn_kz -= row[MOVE_COST_KZ] / row[STAY_MONTHS]
    if earn_kz < 1.0:
        earn_kz = 1.0
    u_kz = beta * math.log(earn_kz) + row[ASC_KZ] + row[BETA_NETWORK] * share_kz

    shift = -row[EXTRA_MEMBER] * n_other_abroad
    if sex == 1:
        shift += row[FEMALE_SHIFT]
    if age == 1:
        shift += row[AGE_SHIFT_MID]
    elif age == 2:
        shift += row[AGE_SHIFT_OLD]
    return u_home, u_ru + shift, u_kz + shift


@inline_kernel
def choice_probabilities(u_home, u_ru, u_kz, ru_open, kz_open):
    """Multinomial-logit probabilities over the available options.

    Returns
    -------
    tuple of float
        ``(p_home, p_ru, p_kz)``; an unavailable option has probability 0.
    """
    top = u_home
    if ru_open and u_ru > top:
        top = u_ru
    if kz_open and u_kz > top:
        top = u_kz
    e_home = math.exp(u_home - top)
    e_ru = math.exp(u_ru - top) if ru_open else 0.0
    e_kz = math.exp(u_kz - top) if kz_open else 0.0
    total = e_home + e_ru + e_kz
    return e_home / total, e_ru / total, e_kz / total


@inline_kernel
def household_rule(
    i, step, seed, month,
    origin, cell_base, size, n_members, skill, aware, contacts, indptr, flags_next,
    m_loc, m_irregular, m_ban_until, m_ban_known, m_sex, m_age, m_returned,
    acc,
):  # fmt: skip
    """Advance household ``i`` by one month.

    Parameters
    ----------
    i, step, seed : int
        Household row, step counter (spin-up included) and root seed.
    month : ndarray(float64, (3, N_COLUMNS))
        Drivers, policy and behaviour for this month, one row per origin.
    origin : ndarray(int8, (n,))
    cell_base : ndarray(int16, (n,))
        Indicator cell of the household (its region, and ban-status group if
        the run is split by it: :class:`sim.indicators.CellLayout`); a
        member's cell is ``cell_base + sex + AGE_STRIDE * age group``.
    size, n_members : ndarray(int8, (n,))
        Persons in the household; working-age members in the slots.
    skill : ndarray(uint8, (n,))
        Skill in 0-255.
    aware : ndarray(int8, (n,))
        Knows legal work in Kazakhstan is possible (updated in place).
    contacts : ndarray(int16, (n, 3))
        Contacts with a member in Russia / in Kazakhstan / anywhere abroad, as of
        last month.
    indptr : ndarray(int64, (n + 1,))
        CSR row pointers of the contact network (for the degree).
    flags_next : ndarray(int8, (n,))
        Written: bit 0 a member in Russia, bit 1 a member in Kazakhstan.
    m_loc, m_irregular, m_ban_known, m_sex, m_age : ndarray(int8, (n, MAX_MEMBERS))
    m_ban_until, m_returned : ndarray(int16, (n, MAX_MEMBERS))
        Step until which a ban stands; step of the last return.
    acc : ndarray(int64, (n_cells, N_INDICATORS))
        This household's block of indicator counters (added to).
    """
    o = origin[i]
    row = month[o]
    degree = indptr[i + 1] - indptr[i]
    share_ru = 0.0
    share_kz = 0.0
    if degree > 0:
        share_ru = contacts[i, 0] / degree
        share_kz = contacts[i, 1] / degree
    campaign = row[CAMPAIGN]
    key = household_key(seed, step, i)

    if aware[i] == 0:
        p_aware = 1.0 - (1.0 - row[AWARE_CONTACT] * share_kz) * (1.0 - campaign)
        if draw(key, 0, S_AWARE) < p_aware:
            aware[i] = 1

    nm = n_members[i]
    n_abroad = 0
    for m in range(nm):
        if m_loc[i, m] != HOME:
            n_abroad += 1

    skill_i = skill[i] / 255.0
    income = row[OTHER_INCOME] * size[i]
    remit_cents = 0
    new_flags = 0
    base = cell_base[i]
    p_revisit_home = row[P_REVISIT_HOME] * row[SEASON_DEPART]
    for m in range(nm):
        loc = m_loc[i, m]
        revisit_draw, job = draw_pair(key, m, S_REVISIT)
        if loc == HOME and revisit_draw >= p_revisit_home and m_ban_until[i, m] <= step:
            # the common case (about 70% of members): at home, free to leave, not
            # reconsidering; only employment changes, as in the full path below.
            recent = 1 if step - m_returned[i, m] < row[RETURNEE_MONTHS] else 0
            income += row[W_HOME_USD] * (job < home_job_chance(row, recent))
            continue
        cell = base + m_sex[i, m] + int(row[AGE_STRIDE]) * m_age[i, m]
        banned = m_ban_until[i, m] > step
        if banned and row[AMNESTY] > 0.0:
            if draw(key, m, S_AMNESTY) < row[AMNESTY]:
                m_ban_until[i, m] = NO_BAN
                banned = False
        if banned and m_ban_known[i, m] == 0 and campaign > 0.0:
            if draw(key, m, S_BANCHECK) < campaign:
                m_ban_known[i, m] = 1

        moved = False
        if loc == RUSSIA and m_irregular[i, m] == 1:
            if row[EAEU] > 0.5 and draw(key, m, S_REGULARISE) < row[P_REGULARISE]:
                m_irregular[i, m] = 0
            elif draw(key, m, S_DETECT) < row[HAZARD_RU]:
                # detected: removed home with a re-entry ban
                loc = HOME
                m_loc[i, m] = HOME
                m_irregular[i, m] = 0
                m_ban_until[i, m] = step + int(row[BAN_MONTHS])
                banned = True
                m_ban_known[i, m] = 1 if draw(key, m, S_KNOWN) < row[P_BAN_KNOWN] else 0
                m_returned[i, m] = step
                n_abroad -= 1
                acc[cell, RETURNS] += 1
                acc[cell, REMOVED] += 1
                moved = True
        elif loc == KAZAKHSTAN and m_irregular[i, m] == 1:
            if row[EAEU] > 0.5 and draw(key, m, S_REGULARISE) < row[P_REGULARISE]:
                m_irregular[i, m] = 0
            elif draw(key, m, S_REMOVE_KZ) < row[HAZARD_KZ]:
                loc = HOME
                m_loc[i, m] = HOME
                m_irregular[i, m] = 0
                m_returned[i, m] = step
                n_abroad -= 1
                acc[cell, RETURNS] += 1
                acc[cell, REMOVED] += 1
                moved = True

        returnee = 1 if (loc == HOME and step - m_returned[i, m] < row[RETURNEE_MONTHS]) else 0
        if not moved:
            if loc == HOME:
                p_revisit = row[P_REVISIT_HOME] * row[SEASON_DEPART]
            else:
                p_revisit = row[P_REVISIT_ABROAD] * row[SEASON_RETURN]
                if (loc == RUSSIA and row[CLOSED_RU] > 0.5) or (loc == KAZAKHSTAN and row[CLOSED_KZ] > 0.5):
                    p_revisit *= row[CLOSURE_STAY]  # no flights home; stays extended
            if revisit_draw < p_revisit:
                others = n_abroad - (1 if loc != HOME else 0)
                u_home, u_ru, u_kz = utilities(
                    row, skill_i, m_sex[i, m], m_age[i, m], loc, others,
                    share_ru, share_kz, aware[i], returnee,
                )  # fmt: skip
                ru_open = loc == RUSSIA or (row[CLOSED_RU] < 0.5 and not (banned and m_ban_known[i, m] == 1))
                kz_open = loc == KAZAKHSTAN or row[CLOSED_KZ] < 0.5
                p_home, p_ru, p_kz = choice_probabilities(u_home, u_ru, u_kz, ru_open, kz_open)
                pick = draw(key, m, S_CHOICE)
                choice = HOME
                if pick >= p_home:
                    choice = RUSSIA if pick < p_home + p_ru else KAZAKHSTAN
                if choice != loc:
                    if loc != HOME:
                        # back home (a switch of destination departs again later)
                        m_loc[i, m] = HOME
                        m_irregular[i, m] = 0
                        m_returned[i, m] = step
                        n_abroad -= 1
                        acc[cell, RETURNS] += 1
                        returnee = 1
                    elif choice == RUSSIA and banned:
                        # an unknown ban: turned back at the border, fare lost
                        acc[cell, DENIED] += 1
                        m_ban_until[i, m] = m_ban_until[i, m] + int(row[BAN_EXTENSION])
                        m_ban_known[i, m] = 1
                        income -= row[MOVE_COST_RU]
                    elif choice == RUSSIA:
                        m_loc[i, m] = RUSSIA
                        p_irr = row[P_IRREGULAR_RU] * (1.0 - row[EAEU])
                        irr = draw(key, m, S_IRREGULAR) < p_irr
                        m_irregular[i, m] = 1 if irr else 0
                        n_abroad += 1
                        acc[cell, DEP_RU] += 1
                    else:
                        m_loc[i, m] = KAZAKHSTAN
                        legal = row[EAEU] > 0.5 or (aware[i] == 1 and row[KZ_LEGAL] > 0.5)
                        m_irregular[i, m] = 0 if legal else 1
                        n_abroad += 1
                        acc[cell, DEP_KZ] += 1

        loc = m_loc[i, m]
        if loc == RUSSIA:
            new_flags |= 1
            acc[cell, MIG_RU] += 1
            irregular = m_irregular[i, m]
            if irregular == 1:
                acc[cell, IRREG_RU] += 1
            if job < row[P_JOB_RU]:
                earn = row[W_RU_USD] * row[WAGE_RATIO] * (0.8 + 0.4 * skill_i)
                earn *= 1.0 - irregular * row[IRREGULAR_PENALTY]
                if irregular == 0:
                    earn -= row[FEE_RU_USD]
                sent = max(earn, 0.0) * row[REMIT_SHARE] * (1.0 - row[COST_RU])
                cents = int(round(sent * 100.0))
                remit_cents += cents
                acc[cell, REMIT_CENTS] += cents
        elif loc == KAZAKHSTAN:
            new_flags |= 2
            acc[cell, MIG_KZ] += 1
            if job < row[P_JOB_KZ]:
                irregular = m_irregular[i, m]
                earn = row[W_KZ_USD] * row[WAGE_RATIO] * (0.8 + 0.4 * skill_i)
                if irregular == 1:
                    earn *= 1.0 - row[IRREGULAR_PENALTY]
                else:
                    earn -= row[FEE_KZ_USD]
                sent = max(earn, 0.0) * row[REMIT_SHARE_KZ] * (1.0 - row[COST_KZ])
                cents = int(round(sent * 100.0))
                remit_cents += cents
                acc[cell, REMIT_CENTS] += cents
        else:
            employed = job < home_job_chance(row, returnee)
            income += row[W_HOME_USD] * employed  # branch-free: the draw is unpredictable
            if returnee == 1 and banned and not employed and degree > 0:
                if contacts[i, 2] < row[VULNERABLE_SHARE] * degree:
                    acc[cell, VULNERABLE] += 1
        if m_ban_until[i, m] > step:
            acc[cell, BANNED] += 1
            if m_ban_known[i, m] == 0:
                acc[cell, BANNED_UNAWARE] += 1

    flags_next[i] = new_flags
    income_cents = int(round(income * 100.0)) + remit_cents
    acc[base, HOUSEHOLDS] += 1
    acc[base, PERSONS] += size[i]
    acc[base, INCOME_CENTS] += income_cents
    if income_cents < row[POVERTY_LINE] * 100.0 * size[i]:
        acc[base, POOR_HOUSEHOLDS] += 1
    if remit_cents > 0:
        acc[base, RECEIVING] += 1


@parallel_kernel
def step_households(
    step, seed, month,
    origin, cell_base, size, n_members, skill, aware, contacts, indptr, flags_next,
    m_loc, m_irregular, m_ban_until, m_ban_known, m_sex, m_age, m_returned,
    acc,
):  # fmt: skip
    """Apply :func:`household_rule` to every household, in parallel over blocks.

    ``acc`` has shape ``(n_blocks, n_cells, N_INDICATORS)``; block ``b``
    holds households ``b * BLOCK`` to ``(b + 1) * BLOCK - 1`` and is zeroed
    here before use.
    """
    for b in prange(acc.shape[0]):
        _step_block(
            b, step, seed, month,
            origin, cell_base, size, n_members, skill, aware, contacts, indptr, flags_next,
            m_loc, m_irregular, m_ban_until, m_ban_known, m_sex, m_age, m_returned, acc,
        )  # fmt: skip


@kernel
def step_households_serial(
    step, seed, month,
    origin, cell_base, size, n_members, skill, aware, contacts, indptr, flags_next,
    m_loc, m_irregular, m_ban_until, m_ban_known, m_sex, m_age, m_returned,
    acc,
):  # fmt: skip
    """:func:`step_households` in one thread (same result; for single-block models)."""
    for b in range(acc.shape[0]):
        _step_block(
            b, step, seed, month,
            origin, cell_base, size, n_members, skill, aware, contacts, indptr, flags_next,
            m_loc, m_irregular, m_ban_until, m_ban_known, m_sex, m_age, m_returned, acc,
        )  # fmt: skip


@inline_kernel
def _step_block(
    b, step, seed, month,
    origin, cell_base, size, n_members, skill, aware, contacts, indptr, flags_next,
    m_loc, m_irregular, m_ban_until, m_ban_known, m_sex, m_age, m_returned,
    acc,
):  # fmt: skip
    acc[b, :, :] = 0
    stop = min(origin.shape[0], (b + 1) * BLOCK)
    for i in range(b * BLOCK, stop):
        household_rule(
            i, step, seed, month,
            origin, cell_base, size, n_members, skill, aware, contacts, indptr,
            flags_next, m_loc, m_irregular, m_ban_until, m_ban_known, m_sex, m_age,
            m_returned, acc[b],
        )  # fmt: skip


@parallel_kernel
def commit_network(flags, flags_next, indptr, neighbours, contacts, changed, parts):
    """Publish this month's locations to the contacts' counters.

    Households whose flags changed push +1/-1 to every household that lists
    them (the network is undirected, so its CSR is its own reverse). The
    targets are split into one range per thread and each thread applies only
    the updates that fall in its range, so no two threads write the same
    counter; integer updates, so the result does not depend on the split.

    Parameters
    ----------
    changed : ndarray(int32, (n,))
        Scratch space for the list of changed households.
    parts : int
        Target ranges, one per thread (any value >= 1 gives the same result).

    Returns
    -------
    int
        The number of households whose flags changed.
    """
    n_changed = _list_changed(flags, flags_next, changed)
    for part in prange(parts):
        _push_changes(part, parts, flags, flags_next, indptr, neighbours, contacts, changed, n_changed)
    for c in range(n_changed):
        flags[changed[c]] = flags_next[changed[c]]
    return n_changed


@kernel
def commit_network_serial(flags, flags_next, indptr, neighbours, contacts, changed, parts):
    """:func:`commit_network` in one thread (same result; for small models)."""
    n_changed = _list_changed(flags, flags_next, changed)
    for part in range(parts):
        _push_changes(part, parts, flags, flags_next, indptr, neighbours, contacts, changed, n_changed)
    for c in range(n_changed):
        flags[changed[c]] = flags_next[changed[c]]
    return n_changed


@inline_kernel
def _list_changed(flags, flags_next, changed):
    n_changed = 0
    for i in range(flags.shape[0]):
        if flags[i] != flags_next[i]:
            changed[n_changed] = i
            n_changed += 1
    return n_changed


@inline_kernel
def _push_changes(part, parts, flags, flags_next, indptr, neighbours, contacts, changed, n_changed):
    n = flags.shape[0]
    lo = part * n // parts
    hi = (part + 1) * n // parts
    for c in range(n_changed):
        i = changed[c]
        old = flags[i]
        new = flags_next[i]
        d_ru = (new & 1) - (old & 1)
        d_kz = ((new >> 1) & 1) - ((old >> 1) & 1)
        d_any = (1 if new != 0 else 0) - (1 if old != 0 else 0)
        for k in range(indptr[i], indptr[i + 1]):
            j = neighbours[k]
            if lo <= j < hi:
                contacts[j, 0] += d_ru
                contacts[j, 1] += d_kz
                contacts[j, 2] += d_any


@kernel
def count_contacts(flags, indptr, neighbours, contacts):
    """Recount every household's contacts abroad from scratch (initialisation)."""
    for i in range(flags.shape[0]):
        ru = 0
        kz = 0
        anywhere = 0
        for k in range(indptr[i], indptr[i + 1]):
            f = flags[neighbours[k]]
            ru += f & 1
            kz += (f >> 1) & 1
            anywhere += 1 if f != 0 else 0
        contacts[i, 0] = ru
        contacts[i, 1] = kz
        contacts[i, 2] = anywhere


@kernel
def reduce_blocks(acc, out):
    """Sum block counters into ``out[cell, indicator]`` (int64, exact)."""
    out[:, :] = 0
    for b in range(acc.shape[0]):
        for c in range(acc.shape[1]):
            for k in range(acc.shape[2]):
                out[c, k] += acc[b, c, k]
