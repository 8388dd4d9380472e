"""Calendar months as integers: ``year * 12 + (month - 1)``."""

from __future__ import annotations

import re

import pandas as pd

from sim.errors import InputError

_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR, LAST_YEAR = 1900, 2200


def parse_month(text: object, where: str) -> int:
    """Parse ``"YYYY-MM"`` (or a TOML date) into a month number.

    Raises
    ------
    InputError
        Naming ``where`` and the expected format.
    """
    if hasattr(text, "year") and hasattr(text, "month"):
        return int(text.year) * 12 + int(text.month) - 1
    match = _PATTERN.match(str(text))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InputError(f"{where}: {text!r} is not a month; expected YYYY-MM, e.g. 2015-08")
    if not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise InputError(f"{where}: {text!r} is out of range; allowed years {FIRST_YEAR} to {LAST_YEAR}")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def format_month(month: int) -> str:
    """The month number as ``"YYYY-MM"``."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def year_of(month: int) -> int:
    return month // 12


def month_dates(start: int, count: int) -> pd.DatetimeIndex:
    """First days of ``count`` months from ``start``."""
    return pd.date_range(f"{format_month(start)}-01", periods=count, freq="MS")
