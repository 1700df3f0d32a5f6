"""A Training Core plugin in Python on the SDK: the next-activity model.

For every training set it is offered it counts, for every activity, which activity follows it
within a case (ordered by timestamp; ``__end__`` when the case ends there), writes the model as
JSON (the same layout as the TypeScript example's) and reports its file name.

It stores the model in the core too, and prescribes: for a running case, the activity that
most often followed the case's last activity in training (the end of a case aside), with its
share of everything that followed it (type ``NEXT_ACTIVITY``, output ``{activity,
probability}``), the same answer as the TypeScript example's. It loads a project's model once
and keeps it: live requests (``PostEvents``) come one per event.

A project created with a definition gives a training set with fixed column names: the plugin
reads ``CASE_ID``, ``ACTIVITY`` and ``TIMESTAMP`` (or ``END_TIMESTAMP``) as they are, and declares
``needed_columns`` CASE_ID and ACTIVITY. For a project without a definition it guesses the case,
activity and timestamp columns from their names, and is not applicable when one is missing.

The protocol is the SDK's (``trainingcore``, in sdk/python). Settings: see common.py.
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import LoadedModels, main, save_model  # first: it finds the SDK
from event_log import ACTIVITY, Column, Columns, fixed_columns, read_cases
from trainingcore import (
    Job,
    JobContext,
    NotApplicable,
    PluginInfo,
    Prescription,
    PrescriptionContext,
    PrescriptionRequest,
    RunningCase,
)

log = logging.getLogger("python-next-activity")

END = "__end__"
"""The "next activity" after the last event of a case."""

# Column names of a training set without a definition, by preference (case-insensitive).
CASE_COLUMNS = ("case:concept:name", "case_id", "caseid", "case")
ACTIVITY_COLUMNS = ("concept:name", "activity", "event")
TIMESTAMP_COLUMNS = ("time:timestamp", "timestamp", "time")

REPORT = PluginInfo(
    id="plugin-python-next-activity",
    name="Next activity (Python)",
    type="next-activity",
    description="Counts which activity follows each activity in a case.",
    # Every training set made with a definition has a timestamp: only these can be missing.
    needed_columns=["CASE_ID", "ACTIVITY"],
)


def find_column(header: Sequence[str], candidates: Iterable[str]) -> Column | None:
    """The first candidate name present in the header (compared case-insensitively)."""
    names = [name.strip().lower() for name in header]
    for candidate in candidates:
        if candidate in names:
            index = names.index(candidate)
            return Column(header[index], index)
    return None


def detect_columns(header: Sequence[str]) -> tuple[Columns | None, str]:
    """The case, activity and timestamp columns guessed from their names, or None and what is
    missing (for a training set without a definition)."""
    case = find_column(header, CASE_COLUMNS)
    activity = find_column(header, ACTIVITY_COLUMNS)
    timestamp = find_column(header, TIMESTAMP_COLUMNS)
    if case is None or activity is None or timestamp is None:
        missing = [
            f"no {role} column (one of {', '.join(names)})"
            for role, column, names in (
                ("case", case, CASE_COLUMNS),
                ("activity", activity, ACTIVITY_COLUMNS),
                ("timestamp", timestamp, TIMESTAMP_COLUMNS),
            )
            if column is None
        ]
        return None, "; ".join(missing)
    return Columns(case, activity, timestamp), ""


def columns_of(header: Sequence[str], defined: bool) -> Columns:
    """The fixed columns when the project has a definition, else the guessed ones."""
    if defined:
        return fixed_columns(header)
    columns, missing = detect_columns(header)
    if columns is None:
        raise NotApplicable(missing)
    return columns


@dataclass
class NextActivityModel:
    """How often each activity starts a case, and how often each activity follows another."""

    columns: Columns
    cases: int = 0
    events: int = 0
    start: Counter[str] = field(default_factory=Counter)
    next: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def to_json(self, project_id: int, plugin_id: int) -> dict[str, Any]:
        """The model file; the same layout as the TypeScript next-activity example writes."""
        return {
            "type": "next-activity",
            "projectId": project_id,
            "pluginId": plugin_id,
            "columns": {
                "case": self.columns.case.name,
                "activity": self.columns.activity.name,
                "timestamp": self.columns.timestamp.name,
            },
            "cases": self.cases,
            "events": self.events,
            "start": most_common_first(self.start),
            "next": {
                activity: most_common_first(self.next[activity]) for activity in sorted(self.next)
            },
        }


def most_common_first(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def train_next_activity(rows: Iterable[Sequence[str]], columns: Columns) -> NextActivityModel:
    """Builds the model from the data rows (the header already read).

    The events of a case are ordered by timestamp (ties keep the file order); the last event
    of a case is followed by ``__end__``.
    """
    cases = read_cases(rows, columns)
    model = NextActivityModel(columns, cases=len(cases))
    for events in cases.values():
        activities = [event.activity for event in events]
        model.events += len(activities)
        model.start[activities[0]] += 1
        for current, following in zip(activities, activities[1:] + [END]):
            model.next[current][following] += 1
    return model


def train(job: Job, ctx: JobContext) -> None:
    rows = ctx.rows()
    header = next(rows, None)
    if header is None:
        raise ValueError("the training set is empty (no header row)")
    columns = columns_of(header, job.definition is not None)  # NotApplicable: the SDK rejects
    ctx.accept()
    ctx.started()
    model = train_next_activity(rows, columns)
    document = model.to_json(job.project_id, job.plugin_id)
    name = f"python-next-activity-{job.project_id}-{job.plugin_id}.json"
    path = save_model(
        name,
        lambda partial: partial.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8"),
    )
    log.info("%d cases, %d events", model.cases, model.events)
    ctx.trained(name, file=path)  # stored in the core too: any instance can prescribe


def next_activity_for(model: dict[str, Any], case: RunningCase, model_name: str) -> Prescription:
    """The activity that most often followed the case's last one in training (``__end__``
    aside), with its share of everything that followed it; None, with why, for a case whose
    last activity the model never saw or after which cases always ended."""
    trained_column = model["columns"]["activity"]
    column = trained_column if case.events and trained_column in case.events[0] else ACTIVITY
    last = case.events[-1].get(column) if case.events else None
    about = {"name": model_name, "cases": model["cases"]}
    followers: dict[str, int] | None = None if last is None else model["next"].get(last)
    if not followers:
        detail = (
            f"the case has no {column} value"
            if last is None
            else f"activity {json.dumps(last, ensure_ascii=False)} was never seen in training"
        )
        return Prescription("NEXT_ACTIVITY", None, detail=detail, model=about)
    total = sum(followers.values())
    ranked = sorted((-count, name) for name, count in followers.items() if name != END)
    if not ranked:
        detail = f"cases always ended after {json.dumps(last, ensure_ascii=False)} in training"
        return Prescription("NEXT_ACTIVITY", None, detail=detail, model=about)
    minus_count, activity = ranked[0]  # the most frequent, ties by name
    output = {"activity": activity, "probability": -minus_count / total}
    return Prescription("NEXT_ACTIVITY", output, model=about)


def load_model(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or document.get("type") != "next-activity":
        raise ValueError(f"{path.name} is not a next-activity model")
    return document


MODELS: LoadedModels[dict[str, Any]] = LoadedModels(load_model)


def prescribe(request: PrescriptionRequest, ctx: PrescriptionContext) -> None:
    """The next activity of each running case (a live request: its one case)."""
    model = MODELS.get(request, ctx)
    for case in ctx.cases():
        ctx.answer(case.case_id, next_activity_for(model, case, request.model_name))


if __name__ == "__main__":
    sys.exit(main(REPORT, train, prescribe))
