"""The policy-events table of docs/model.md covers every line of the events file.

`docs/model.md` has a section ``## Policy events 2017-2026: how the model
represents each`` with one table row per line of
`sim/data/recent/policy_events_2017_2026.csv`. These tests read both files
(no simulation) and check that the table and the CSV agree and that the
event types it names exist in the registry and in the baseline scenario.
"""

from __future__ import annotations

import csv
import difflib
import re
import tomllib
from pathlib import Path

from sim.registry import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[1]
EVENTS_CSV = ROOT / "sim/data/recent/policy_events_2017_2026.csv"
MODEL_DOC = ROOT / "docs" / "model.md"
BASELINE_TOML = ROOT / "scenarios" / "baseline.toml"

SECTION_HEADING = "## Policy events 2017-2026: how the model represents each"
COLUMNS = ["date", "event (short)", "represented as", "source", "if not represented: bias and direction"]
# Backticked names in a `represented as` cell that are checked as event types: these
# names and close misspellings of them (so that a typo fails rather than passing unchecked).
EVENT_TYPE_NAMES = ("border_closure", "removal_moratorium", "enforcement", "entry_regime", "amnesty")


def split_table_row(line: str) -> list[str]:
    """Split a markdown table row into its cells.

    Parameters
    ----------
    line : str
        One line of a markdown table, starting and ending with ``|``.

    Returns
    -------
    list of str
        The stripped cells, with escaped pipes (``\\|``) restored to ``|``.
    """
    inner = line.strip()[1:-1]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def section_lines(text: str, heading: str) -> list[str]:
    """Lines of a ``## `` section, from after its heading to the next ``## `` heading.

    Parameters
    ----------
    text : str
        The whole markdown document.
    heading : str
        The section's heading line, exactly as written.

    Returns
    -------
    list of str
        The lines of the section body.
    """
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == heading]
    assert len(starts) == 1, f"expected one heading {heading!r} in {MODEL_DOC}, found {len(starts)}"
    body = []
    for line in lines[starts[0] + 1 :]:
        if line.startswith("## "):
            break
        body.append(line)
    return body


def read_table_rows() -> list[list[str]]:
    """Data rows of the policy-events table (header and separator left out).

    Returns
    -------
    list of list of str
        One list of cells per table row, in document order.
    """
    table_lines = [
        line for line in section_lines(MODEL_DOC.read_text(encoding="utf-8"), SECTION_HEADING)
        if line.strip().startswith("|")
    ]  # fmt: skip
    assert table_lines, "the policy-events section has no table"
    header = split_table_row(table_lines[0])
    assert header == COLUMNS
    separator = split_table_row(table_lines[1])
    assert all(re.fullmatch(r":?-+:?", cell) for cell in separator)
    rows = [split_table_row(line) for line in table_lines[2:]]
    for row in rows:
        assert len(row) == len(COLUMNS), f"row {row[0]!r} has {len(row)} cells, expected {len(COLUMNS)}"
    return rows


def read_csv_dates() -> list[str]:
    """The ``date`` cell of every line of the policy-events CSV, in file order.

    Returns
    -------
    list of str
        The dates, verbatim.
    """
    with EVENTS_CSV.open(newline="", encoding="utf-8") as handle:
        return [record["date"] for record in csv.DictReader(handle)]


def test_every_csv_date_is_the_first_cell_of_exactly_one_row():
    table_dates = [row[0] for row in read_table_rows()]
    for date in read_csv_dates():
        assert table_dates.count(date) == 1, f"CSV date {date!r} is in {table_dates.count(date)} rows"


def test_table_has_no_extra_rows_and_follows_the_csv_order():
    csv_dates = read_csv_dates()
    table_dates = [row[0] for row in read_table_rows()]
    assert len(table_dates) == len(csv_dates)
    assert table_dates == csv_dates


def test_rows_say_how_each_event_is_represented_or_why_not():
    for row in read_table_rows():
        date, represented_as, bias = row[0], row[2], row[4]
        assert represented_as, f"row {date!r}: empty 'represented as' cell"
        if represented_as.lower().startswith("not represented"):
            assert bias, f"row {date!r}: not represented, but no bias and direction given"


def test_named_event_types_exist_in_registry_and_baseline():
    baseline = tomllib.loads(BASELINE_TOML.read_text(encoding="utf-8"))
    baseline_types = {event["type"] for event in baseline.get("events", [])}
    named_types = set()
    for row in read_table_rows():
        for name in re.findall(r"`([^`]+)`", row[2]):
            if difflib.get_close_matches(name, EVENT_TYPE_NAMES, n=1, cutoff=0.8):
                named_types.add(name)
    assert named_types, "no event type is named in the 'represented as' column"
    for name in sorted(named_types):
        assert name in EVENT_TYPES, f"{name!r} is not in sim.registry.EVENT_TYPES"
        assert name in baseline_types, f'no type = "{name}" event in {BASELINE_TOML.name}'
