"""Hand-worked cases of the household rule, with answers computed on paper.

The month row of ``tinyworld.month_row`` uses round numbers: Russian wage 1000
USD, Kazakh 600, home 200; migrants earn half the average (wage ratio 0.5) and
a skill-0 member 0.8 of that; patent fee 50, Kazakh fee 20; move costs 300 and
100 paid back over 10 months; beta_income 1, network pull 2, constants -1
(Russia) and -2 (Kazakhstan).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from tinyworld import TinyWorld, month_row

from sim import kernels as k

# Utilities of a skill-0 man aged 18-29 at home, no one else abroad, no contacts abroad:
# Russia: 1.0 * 400 * (1 - 0.5 * 0.2) - (1 - 0.5) * 50 - 300 / 10 = 305 USD -> ln(305) - 1
# Kazakhstan (aware, legal): 1.0 * 240 - 20 - 100 / 10 = 210 USD -> ln(210) - 2
# home: 0.5 * 200 + 10 = 110 USD -> ln(110)
U_RU = math.log(305) - 1
U_KZ = math.log(210) - 2
U_HOME = math.log(110)


def softmax(*values):
    exps = [math.exp(v) for v in values]
    return [e / sum(exps) for e in exps]


def test_utilities_by_hand():
    row = month_row()[0]
    u_home, u_ru, u_kz = k.member_utilities(row, 0.0, 0, 0, k.HOME, 0, (0.0, 0.0), 1, 0)
    assert u_home == pytest.approx(U_HOME)
    assert u_ru == pytest.approx(U_RU)
    assert u_kz == pytest.approx(U_KZ)


def test_unaware_household_sees_only_irregular_work_in_kazakhstan():
    row = month_row()[0]
    _, _, u_kz = k.member_utilities(row, 0.0, 0, 0, k.HOME, 0, (0.0, 0.0), 0, 0)
    # 240 * (1 - 0.2) - 100 / 10 = 182 USD
    assert u_kz == pytest.approx(math.log(182) - 2)


def test_network_extra_member_and_sex_shift_by_hand():
    row = month_row()[0]
    # half the contacts in Russia (+2 * 0.5), one other member abroad (-1), a woman (-2)
    _, u_ru, u_kz = k.member_utilities(row, 0.0, 1, 0, k.HOME, 1, (0.5, 0.0), 1, 0)
    assert u_ru == pytest.approx(U_RU + 1.0 - 1.0 - 2.0)
    assert u_kz == pytest.approx(U_KZ - 1.0 - 2.0)


def test_logit_probabilities_and_closed_border():
    p = k.option_probabilities((U_HOME, U_RU, U_KZ), (True, True, True))
    assert list(p) == pytest.approx(softmax(U_HOME, U_RU, U_KZ))
    closed = k.option_probabilities((U_HOME, U_RU, U_KZ), (True, False, True))
    home, kz = softmax(U_HOME, U_KZ)
    assert list(closed) == pytest.approx([home, 0.0, kz])


def test_detection_removes_and_bans():
    world = TinyWorld(1)
    world.m_loc[0, 0] = k.RUSSIA
    world.m_irregular[0, 0] = 1
    counters = world.step(month_row(HAZARD_RU=1.0, BAN_MONTHS=60.0), step=100)
    assert world.m_loc[0, 0] == k.HOME
    assert world.m_ban_until[0, 0] == 160
    assert world.m_ban_known[0, 0] == 0  # p_ban_known = 0
    assert counters[k.REMOVED] == 1 and counters[k.RETURNS] == 1
    assert counters[k.BANNED] == 1 and counters[k.BANNED_UNAWARE] == 1
    assert counters[k.MIG_RU] == 0


def test_regular_migrant_is_never_detected():
    world = TinyWorld(1)
    world.m_loc[0, 0] = k.RUSSIA
    counters = world.step(month_row(HAZARD_RU=1.0))
    assert world.m_loc[0, 0] == k.RUSSIA and counters[k.REMOVED] == 0


def test_unknown_ban_means_denial_at_the_border():
    world = TinyWorld(1)
    world.m_ban_until[0, 0] = 200  # banned until step 200, household unaware
    month = month_row(P_REVISIT_HOME=1.0, ASC_RU=30.0, P_JOB_HOME=0.0)
    counters = world.step(month, step=100)
    assert counters[k.DENIED] == 1 and counters[k.DEP_RU] == 0
    assert world.m_loc[0, 0] == k.HOME
    assert world.m_ban_until[0, 0] == 212  # extended by 12 months
    assert world.m_ban_known[0, 0] == 1
    # the fare is lost: household income -300 USD, below the line
    assert counters[k.INCOME_CENTS] == -30000
    assert counters[k.POOR_HOUSEHOLDS] == 1


def test_known_ban_keeps_russia_out_of_the_choice_set():
    world = TinyWorld(1)
    world.m_ban_until[0, 0] = 200
    world.m_ban_known[0, 0] = 1
    counters = world.step(month_row(P_REVISIT_HOME=1.0, ASC_RU=30.0), step=100)
    assert counters[k.DENIED] == 0 and counters[k.DEP_RU] == 0


def test_remittance_of_a_regular_migrant_by_hand():
    world = TinyWorld(1)
    world.m_loc[0, 0] = k.RUSSIA
    counters = world.step(month_row())
    # (1000 * 0.5 * 0.8 - 50) * 0.5 * (1 - 0.02) = 171.50 USD
    assert counters[k.REMIT_CENTS] == 17150
    assert counters[k.INCOME_CENTS] == 17150
    assert counters[k.RECEIVING] == 1
    assert counters[k.POOR_HOUSEHOLDS] == 1  # 171.50 < 4 persons * 60


def test_remittance_of_an_irregular_migrant_by_hand():
    world = TinyWorld(1)
    world.m_loc[0, 0] = k.RUSSIA
    world.m_irregular[0, 0] = 1
    counters = world.step(month_row())
    # 400 * (1 - 0.2) * 0.5 * 0.98 = 156.80 USD, no patent fee
    assert counters[k.REMIT_CENTS] == 15680
    assert counters[k.IRREG_RU] == 1


def test_amnesty_lifts_a_ban():
    world = TinyWorld(1)
    world.m_ban_until[0, 0] = 200
    counters = world.step(month_row(AMNESTY=1.0), step=100)
    assert world.m_ban_until[0, 0] == k.NO_BAN and counters[k.BANNED] == 0


def test_network_commit_updates_contact_counts():
    world = TinyWorld(3, edges=[(0, 1), (1, 2)])
    world.m_loc[1, 0] = k.RUSSIA
    world.step(month_row())
    assert world.contacts.tolist() == [[1, 0, 1], [0, 0, 0], [1, 0, 1]]
    world.m_loc[1, 0] = k.KAZAKHSTAN
    world.step(month_row())
    assert world.contacts.tolist() == [[0, 1, 1], [0, 0, 0], [0, 1, 1]]


def test_vulnerable_returnee_is_banned_jobless_and_isolated():
    world = TinyWorld(3, edges=[(0, 1), (0, 2)])
    world.m_ban_until[0, 0] = 200
    world.m_ban_known[0, 0] = 1
    world.m_returned[0, 0] = 95  # returned 5 months ago
    counters = world.step(month_row(P_JOB_HOME=0.0), step=100)
    assert counters[k.VULNERABLE] == 1
    # the same returnee with a job programme reaching everyone is not vulnerable
    counters = world.step(month_row(P_JOB_HOME=0.0, REINTEGRATION=1.0), step=101)
    assert counters[k.VULNERABLE] == 0


def test_counter_based_draws_are_pure_functions():
    a = k.uniform(1, 2, 3, 0, 5)
    assert a == k.uniform(1, 2, 3, 0, 5)
    assert a == k.uniform(np.uint64(1), np.int16(2), np.int64(3), 0, np.int8(5))
    assert a != k.uniform(1, 2, 4, 0, 5) and a != k.uniform(2, 2, 3, 0, 5)
    assert 0.0 <= a < 1.0


def test_a_contact_abroad_in_both_countries_counts_once_as_abroad():
    world = TinyWorld(2, members=2, edges=[(0, 1)])
    world.m_loc[1, 0] = k.RUSSIA
    world.m_loc[1, 1] = k.KAZAKHSTAN
    world.step(month_row())
    assert world.contacts[0].tolist() == [1, 1, 1]


def test_eaeu_citizens_work_legally_in_kazakhstan_even_if_unaware():
    row = month_row(EAEU=1.0)[0]
    _, _, u_kz = k.member_utilities(row, 0.0, 0, 0, k.HOME, 0, (0.0, 0.0), 0, 0)
    assert u_kz == pytest.approx(U_KZ)  # the legal option, although unaware (fee 20 USD still in the row)
    world = TinyWorld(1)
    world.aware[0] = 0
    world.step(month_row(EAEU=1.0, P_REVISIT_HOME=1.0, ASC_RU=-30.0, ASC_KZ=30.0))
    assert world.m_loc[0, 0] == k.KAZAKHSTAN and world.m_irregular[0, 0] == 0


def test_migrants_behind_a_closed_border_stay():
    world = TinyWorld(200)
    world.m_loc[:, 0] = k.RUSSIA
    month = month_row(P_REVISIT_ABROAD=1.0, ASC_RU=-30.0, CLOSED_RU=1.0, CLOSURE_STAY=0.0)
    assert world.step(month)[k.RETURNS] == 0
    assert world.step(month_row(P_REVISIT_ABROAD=1.0, ASC_RU=-30.0))[k.RETURNS] == 200
