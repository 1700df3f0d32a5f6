"""A Training Core plugin in Python: an alarm on a negative outcome.

It learns, from the OUTCOME the core labels every case with, the probability that a running case
ends with a negative outcome (OUTCOME 0), given its first events: one random forest per prefix
length k (1 up to ``max_prefix_length``), trained on the first k events of every case that has
at least k. The features of a prefix are the count of each activity in it, the time elapsed from
its first to its last event, and the time since the event before the last. A prefix length whose
cases all have the same outcome gets that share as a constant instead of a classifier.

It declares ``needed_columns`` OUTCOME, so the core makes it NOT_APPLICABLE itself when a project
defines no outcome (or the outcome has one class). It saves its model with joblib to
``$MODEL_DIR/python-alarm-<project>-<plugin>.joblib`` (a dict of plain values and scikit-learn
estimators; read it with ``load_model``) and reports that file name.

It also stores the model in the core (``ctx.trained(name, file=path)``), and prescribes: for
every running case, the probability that it ends with a negative outcome given its events so
far (type ``ALARM``, output the probability), from the model of the request's ``model_name``:
the file in MODEL_DIR when this instance trained it, else the one stored in the core, loaded
once per project and kept (live requests come one per event).

The protocol is the SDK's (``trainingcore``, in sdk/python). Needs Debian's python3-sklearn
besides the gRPC packages. Settings: see common.py (PLUGIN_KEY defaults to plugin-python-alarm).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import joblib
from sklearn.ensemble import RandomForestClassifier

from common import LoadedModels, main, save_model  # first: it finds the SDK
from event_log import (
    ACTIVITY,
    TIMESTAMPS,
    fixed_column,
    fixed_columns,
    parse_timestamp,
    read_cases,
)
from trainingcore import (
    Job,
    JobContext,
    NotApplicable,
    PluginInfo,
    Prescription,
    PrescriptionContext,
    PrescriptionRequest,
)

log = logging.getLogger("python-alarm")

DEFAULT_PARAMETERS = {"max_prefix_length": 10, "n_estimators": 50}
MODEL_TYPE = "alarm"

REPORT = PluginInfo(
    id="plugin-python-alarm",
    name="Alarm on a negative outcome (Python)",
    type="alarm",
    description=(
        "The probability that a running case ends with a negative outcome, from its first "
        "events: a random forest per prefix length, trained on the cases' OUTCOME."
    ),
    parameters=DEFAULT_PARAMETERS,
    needed_columns=["OUTCOME"],
)

# A classifier, or the share of negative cases when a prefix length has a single class.
Predictor = RandomForestClassifier | float


@dataclass(frozen=True)
class LabelledCase:
    activities: list[str]
    times: list[datetime]
    negative: bool
    """OUTCOME 0."""


def prefix_features(
    activities: Sequence[str], times: Sequence[datetime], k: int, vocabulary: dict[str, int]
) -> list[float]:
    """The features of a case's first ``k`` events: the count of each activity of the
    vocabulary (others are not counted), the seconds from the first to the k-th event, and the
    seconds from the event before the k-th to it (0 for k = 1)."""
    counts = [0.0] * len(vocabulary)
    for activity in activities[:k]:
        index = vocabulary.get(activity)
        if index is not None:
            counts[index] += 1
    elapsed = (times[k - 1] - times[0]).total_seconds()
    since_previous = (times[k - 1] - times[k - 2]).total_seconds() if k > 1 else 0.0
    return [*counts, elapsed, since_previous]


def feature_names(activities: Sequence[str]) -> list[str]:
    return [*(f"count:{activity}" for activity in activities), "elapsed_s", "since_previous_s"]


def labelled_cases(
    header: Sequence[str], rows: Iterable[Sequence[str]], defined: bool
) -> list[LabelledCase]:
    """The cases of the training set with their outcome; NotApplicable without one."""
    if not defined:
        raise NotApplicable(
            "needs a project created with a definition that labels the outcome "
            "(positive_outcome or negative_outcome, or an OUTCOME column)"
        )
    outcome = fixed_column(header, "OUTCOME")
    if outcome is None:
        raise NotApplicable(
            "the training set has no OUTCOME column: define positive_outcome or "
            "negative_outcome, or an OUTCOME column"
        )
    cases = []
    for case_id, events in read_cases(rows, fixed_columns(header)).items():
        value = events[0].row[outcome.index] if outcome.index < len(events[0].row) else ""
        if value not in ("0", "1"):
            raise ValueError(
                f"data row {events[0].row_number}: case {case_id!r} has OUTCOME {value!r}, "
                "not 0 or 1"
            )
        activities = [event.activity for event in events]
        times = [event.time for event in events]
        cases.append(LabelledCase(activities, times, negative=value == "0"))
    return cases


@dataclass
class AlarmModel:
    activities: list[str]
    """The vocabulary: the activities of the training set, sorted."""
    max_prefix_length: int
    predictors: dict[int, Predictor]
    """By prefix length, from 1 to the longest trained."""
    cases: int
    negative_cases: int

    def negative_probability(self, activities: Sequence[str], times: Sequence[datetime]) -> float:
        """The probability that the case with this prefix ends with a negative outcome."""
        if not activities:
            raise ValueError("a prefix has at least one event")
        k = min(len(activities), max(self.predictors))
        predictor = self.predictors[k]
        if isinstance(predictor, float):
            return predictor
        vocabulary = {activity: i for i, activity in enumerate(self.activities)}
        features = prefix_features(activities, times, k, vocabulary)
        probabilities = predictor.predict_proba([features])[0]
        return float(probabilities[list(predictor.classes_).index(1)])

    def to_document(self) -> dict[str, Any]:
        """What the model file holds: plain values and scikit-learn estimators only, so that
        loading it needs no class of this module."""
        return {
            "type": MODEL_TYPE,
            "activities": self.activities,
            "features": feature_names(self.activities),
            "max_prefix_length": self.max_prefix_length,
            "predictors": self.predictors,
            "cases": self.cases,
            "negative_cases": self.negative_cases,
        }

    def summary(self) -> dict[str, Any]:
        lengths = sorted(self.predictors)
        return {
            "cases": self.cases,
            "negative_cases": self.negative_cases,
            "activities": len(self.activities),
            "classifiers": [k for k in lengths if not isinstance(self.predictors[k], float)],
            "constants": [k for k in lengths if isinstance(self.predictors[k], float)],
        }


def train_alarm(
    cases: Sequence[LabelledCase], max_prefix_length: int, n_estimators: int
) -> AlarmModel:
    """One predictor per prefix length, up to ``max_prefix_length`` or the longest case."""
    if max_prefix_length < 1 or n_estimators < 1:
        raise ValueError(
            "parameters max_prefix_length and n_estimators must be positive integers; got "
            f"{max_prefix_length} and {n_estimators}"
        )
    activities = sorted({activity for case in cases for activity in case.activities})
    vocabulary = {activity: i for i, activity in enumerate(activities)}
    predictors: dict[int, Predictor] = {}
    for k in range(1, max_prefix_length + 1):
        long_enough = [case for case in cases if len(case.activities) >= k]
        if not long_enough:
            break
        labels = [int(case.negative) for case in long_enough]
        if len(set(labels)) < 2:
            predictors[k] = float(labels[0])
            continue
        features = [
            prefix_features(case.activities, case.times, k, vocabulary) for case in long_enough
        ]
        classifier = RandomForestClassifier(n_estimators=n_estimators, random_state=k)
        predictors[k] = classifier.fit(features, labels)
    negative = sum(case.negative for case in cases)
    return AlarmModel(activities, max_prefix_length, predictors, len(cases), negative)


def load_model(path: Path | str) -> AlarmModel:
    document = joblib.load(path)
    if not isinstance(document, dict) or document.get("type") != MODEL_TYPE:
        raise ValueError(f"{path} is not an alarm model")
    return AlarmModel(
        activities=document["activities"],
        max_prefix_length=document["max_prefix_length"],
        predictors=document["predictors"],
        cases=document["cases"],
        negative_cases=document["negative_cases"],
    )


def positive_int(parameters: dict[str, Any], name: str) -> int:
    """A parameter as an int: a Struct carries every number as a float."""
    value = parameters.get(name, DEFAULT_PARAMETERS[name])
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ValueError(f"parameter {name} must be a positive integer; got {value!r}")
    return int(value)


def train(job: Job, ctx: JobContext) -> None:
    max_prefix_length = positive_int(job.parameters, "max_prefix_length")
    n_estimators = positive_int(job.parameters, "n_estimators")
    rows = ctx.rows()
    header = next(rows, None) or []
    cases = labelled_cases(header, rows, job.definition is not None)
    negative = sum(case.negative for case in cases)
    if negative in (0, len(cases)):  # the core checks this too, before offering the job
        raise NotApplicable(f"OUTCOME has only one class ({negative} of {len(cases)} negative)")
    ctx.accept()
    ctx.started()
    model = train_alarm(cases, max_prefix_length, n_estimators)
    name = f"python-alarm-{job.project_id}-{job.plugin_id}.joblib"
    document = model.to_document()
    path = save_model(name, lambda partial: joblib.dump(document, partial))
    log.info("%s", model.summary())
    ctx.trained(name, file=path)  # stored in the core too: any instance can prescribe


MODELS: LoadedModels[AlarmModel] = LoadedModels(load_model)
"""Each project's model, loaded once by this instance: live requests come one per event."""


def prescribe(request: PrescriptionRequest, ctx: PrescriptionContext) -> None:
    """The probability of a negative outcome for each running case, from its events so far."""
    model = MODELS.get(request, ctx)
    about = {"name": request.model_name, "cases": model.cases, "negative_cases": model.negative_cases}
    for case in ctx.cases():
        stamps = [next((e[name] for name in TIMESTAMPS if name in e), "") for e in case.events]
        activities = [event.get(ACTIVITY, "") for event in case.events]
        try:
            times = [parse_timestamp(stamp) for stamp in stamps]
        except ValueError:
            detail = "an event of the case has no readable timestamp"
            ctx.answer(case.case_id, Prescription("ALARM", None, detail=detail, model=about))
            continue
        probability = model.negative_probability(activities, times)
        ctx.answer(case.case_id, Prescription("ALARM", probability, model=about))


if __name__ == "__main__":
    sys.exit(main(REPORT, train, prescribe))
