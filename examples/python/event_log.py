"""Reading a training set as an event log: its columns, its timestamps, its cases.

A project created with a definition gives every plugin a training set with fixed column names
(see ``EventLogDefinition`` in proto/trainingcore/v1/definition.proto): ``CASE_ID``,
``ACTIVITY``, ``TIMESTAMP`` (or ``START_TIMESTAMP`` and ``END_TIMESTAMP``), then ``RESOURCE``,
``OUTCOME``, ``TREATMENT``, ... when the log has them; timestamps in UTC ISO 8601.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

CASE_ID = "CASE_ID"
ACTIVITY = "ACTIVITY"
# An interval log has START_TIMESTAMP and END_TIMESTAMP: an event happened when it ended.
TIMESTAMPS = ("TIMESTAMP", "END_TIMESTAMP")


@dataclass(frozen=True)
class Column:
    name: str
    index: int


@dataclass(frozen=True)
class Columns:
    """The columns that make rows events of cases."""

    case: Column
    activity: Column
    timestamp: Column


@dataclass(frozen=True)
class Event:
    time: datetime
    row_number: int
    """The data row (the header not counted), from 1."""
    activity: str
    row: Sequence[str]


def fixed_column(header: Sequence[str], *names: str) -> Column | None:
    """The first of ``names`` in the header (exactly as written)."""
    for name in names:
        if name in header:
            return Column(name, header.index(name))
    return None


def fixed_columns(header: Sequence[str]) -> Columns:
    """CASE_ID, ACTIVITY and TIMESTAMP (else END_TIMESTAMP) of a training set made with a
    definition; ValueError naming the header when one is missing."""
    case = fixed_column(header, CASE_ID)
    activity = fixed_column(header, ACTIVITY)
    timestamp = fixed_column(header, *TIMESTAMPS)
    if case is None or activity is None or timestamp is None:
        raise ValueError(
            "the training set of a project with a definition must have the columns CASE_ID, "
            f"ACTIVITY and TIMESTAMP or END_TIMESTAMP; its header is {list(header[:30])}"
        )
    return Columns(case, activity, timestamp)


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 timestamp ("2011-10-11 13:45:40.276+02:00", "2024-01-01T10:00:00.000Z").

    One without a UTC offset is taken as UTC, so that all of them can be compared.
    """
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def cell(row: Sequence[str], column: Column) -> str:
    return row[column.index] if column.index < len(row) else ""


def read_cases(rows: Iterable[Sequence[str]], columns: Columns) -> dict[str, list[Event]]:
    """The events of each case in time order (ties keep the file order), cases in the order
    of their first row; ValueError naming the row of a timestamp that does not read."""
    cases: dict[str, list[Event]] = defaultdict(list)
    for row_number, row in enumerate(rows, start=1):
        raw = cell(row, columns.timestamp)
        try:
            time = parse_timestamp(raw)
        except ValueError:
            raise ValueError(
                f"data row {row_number}: cannot read timestamp {raw[:100]!r}"
                f" in column {columns.timestamp.name!r}"
            ) from None
        event = Event(time, row_number, cell(row, columns.activity), row)
        cases[cell(row, columns.case)].append(event)
    for events in cases.values():
        events.sort(key=lambda event: (event.time, event.row_number))
    return dict(cases)
