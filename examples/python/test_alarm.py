"""Tests of the alarm example plugin's model: prefix features, labels, training. Skipped when
scikit-learn is missing (apt-get install python3-sklearn); test/e2e/polyglot-alarm.test.ts
fails instead on CI. The protocol is the SDK's, tested in sdk/python/tests.

Run:  cd examples/python && /usr/bin/python3 -m unittest -v
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import unittest
from unittest import mock
from datetime import datetime, timedelta, timezone
from pathlib import Path

import common  # first: it finds the SDK
from fake_context import FakeContext, live_request
from trainingcore import NotApplicable
from trainingcore.v1 import definition_pb2 as definition_pb

NO_SKLEARN = importlib.util.find_spec("sklearn") is None
if not NO_SKLEARN:
    import alarm

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
HEADER = ["CASE_ID", "ACTIVITY", "TIMESTAMP", "RESOURCE", "OUTCOME"]


def iso(time: datetime) -> str:
    return time.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def normalized_log(cases: int = 30) -> list[list[str]]:
    """A training set as the core writes it: a case is negative (OUTCOME 0) when it escalates
    at its second event; cases 0, 5, 10, ... have a fourth event and are all positive."""
    rows = []
    for i in range(cases):
        escalates = i % 3 == 1
        activities = ["register", "escalate" if escalates else "check", "close"]
        if i % 5 == 0 and not escalates:
            activities.append("archive")
        start = T0 + timedelta(days=i)
        for j, activity in enumerate(activities):
            time = start + timedelta(hours=j * (5 if escalates else 1))
            rows.append([f"c{i}", activity, iso(time), "ann", "0" if escalates else "1"])
    return rows


def definition() -> definition_pb.EventLogDefinition:
    rule = definition_pb.CaseRule(
        any_of=[
            definition_pb.ConditionGroup(
                conditions=[
                    definition_pb.Condition(
                        column="ACTIVITY", operator=definition_pb.OPERATOR_EQUAL, value="escalate"
                    )
                ]
            )
        ]
    )
    return definition_pb.EventLogDefinition(negative_outcome=rule)


def cases_of(rows: list[list[str]], header: list[str] = HEADER, defined: bool = True) -> list:
    return alarm.labelled_cases(header, iter(rows), defined)


@unittest.skipIf(NO_SKLEARN, "scikit-learn is missing (apt-get install python3-sklearn)")
class FeatureTest(unittest.TestCase):
    def test_counts_activities_of_the_prefix_and_its_times(self) -> None:
        vocabulary = {"a": 0, "b": 1}
        times = [T0, T0 + timedelta(seconds=60), T0 + timedelta(seconds=90)]
        activities = ["a", "x", "a"]  # "x" is not in the vocabulary: not counted
        self.assertEqual(alarm.prefix_features(activities, times, 1, vocabulary), [1, 0, 0, 0])
        self.assertEqual(alarm.prefix_features(activities, times, 2, vocabulary), [1, 0, 60, 60])
        self.assertEqual(alarm.prefix_features(activities, times, 3, vocabulary), [2, 0, 90, 30])
        self.assertEqual(
            alarm.feature_names(["a", "b"]), ["count:a", "count:b", "elapsed_s", "since_previous_s"]
        )

    def test_reads_cases_in_time_order_with_their_outcome(self) -> None:
        rows = [
            ["c1", "close", "2024-01-01T12:00:00.000Z", "", "0"],
            ["c1", "register", "2024-01-01T10:00:00.000Z", "", "0"],
            ["c2", "register", "2024-01-02T10:00:00.000Z", "", "1"],
        ]
        cases = cases_of(rows)
        self.assertEqual([case.activities for case in cases], [["register", "close"], ["register"]])
        self.assertEqual([case.negative for case in cases], [True, False])

    def test_is_not_applicable_without_an_outcome(self) -> None:
        with self.assertRaisesRegex(NotApplicable, "needs a project created with a definition"):
            cases_of(normalized_log(), defined=False)
        with self.assertRaisesRegex(NotApplicable, "no OUTCOME column: define positive_outcome"):
            cases_of([row[:4] for row in normalized_log()], HEADER[:4])
        with self.assertRaisesRegex(ValueError, "data row 1: case 'c1' has OUTCOME 'yes'"):
            cases_of([["c1", "a", "2024-01-01T10:00:00.000Z", "", "yes"]])


@unittest.skipIf(NO_SKLEARN, "scikit-learn is missing (apt-get install python3-sklearn)")
class TrainingTest(unittest.TestCase):
    def test_learns_the_outcome_per_prefix_length(self) -> None:
        cases = cases_of(normalized_log())
        model = alarm.train_alarm(cases, max_prefix_length=10, n_estimators=20)
        self.assertEqual(model.summary()["classifiers"], [1, 2, 3])
        self.assertEqual(model.summary()["constants"], [4])  # only positive cases are that long
        self.assertEqual((model.cases, model.negative_cases), (30, 10))

        hour = timedelta(hours=1)
        escalated = model.negative_probability(["register", "escalate"], [T0, T0 + 5 * hour])
        checked = model.negative_probability(["register", "check"], [T0, T0 + hour])
        self.assertGreater(escalated, 0.8)
        self.assertLess(checked, 0.2)
        long_case = ["register", "check", "close", "archive", "archive"]
        long_times = [T0 + i * hour for i in range(5)]
        self.assertEqual(model.negative_probability(long_case, long_times), 0)

    def test_caps_the_prefix_length_and_saves_a_model_that_loads(self) -> None:
        cases = cases_of(normalized_log())
        model = alarm.train_alarm(cases, max_prefix_length=2, n_estimators=5)
        self.assertEqual(sorted(model.predictors), [1, 2])
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "model.joblib"
            alarm.joblib.dump(model.to_document(), path)
            loaded = alarm.load_model(path)
        prefix = (["register", "escalate", "close"], [T0, T0, T0])
        self.assertEqual(loaded.negative_probability(*prefix), model.negative_probability(*prefix))
        with self.assertRaisesRegex(ValueError, "max_prefix_length and n_estimators must be"):
            alarm.train_alarm(cases, max_prefix_length=0, n_estimators=5)
        with self.assertRaisesRegex(ValueError, "parameter n_estimators must be a positive"):
            alarm.positive_int({"n_estimators": 2.5}, "n_estimators")
        self.assertEqual(alarm.positive_int({"n_estimators": 7.0}, "n_estimators"), 7)


@unittest.skipIf(NO_SKLEARN, "needs scikit-learn (apt-get install python3-sklearn)")
class PrescriptionTest(unittest.TestCase):
    def test_answers_live_requests_with_a_model_loaded_once(self) -> None:
        model = alarm.train_alarm(cases_of(normalized_log()), max_prefix_length=3, n_estimators=5)
        with tempfile.TemporaryDirectory() as directory, mock.patch.dict(
            os.environ, {"MODEL_DIR": directory}
        ):
            stored = Path(directory) / "stored.joblib"
            alarm.joblib.dump(model.to_document(), stored)
            alarm.MODELS = common.LoadedModels(alarm.load_model)  # a new instance's
            hour = timedelta(hours=1)
            prefix = [("register", T0), ("escalate", T0 + 5 * hour), ("close", T0 + 6 * hour)]
            contexts = []
            for length in range(1, 4):  # one live request per event
                events = [
                    {"CASE_ID": "r1", "ACTIVITY": activity, "TIMESTAMP": iso(time)}
                    for activity, time in prefix[:length]
                ]
                ctx = FakeContext(live_request(1, "alarm-1-10.joblib", "r1", events), stored)
                alarm.prescribe(ctx.request, ctx)  # type: ignore[arg-type]
                contexts.append(ctx)
        self.assertEqual([ctx.downloads for ctx in contexts], [1, 0, 0])
        answers = [ctx.answers[0] for ctx in contexts]
        self.assertEqual([case_id for case_id, _ in answers], ["r1", "r1", "r1"])
        for length, (_, answer) in enumerate(answers, start=1):
            activities = [activity for activity, _ in prefix[:length]]
            times = [time for _, time in prefix[:length]]
            self.assertEqual(answer.type, "ALARM")
            self.assertEqual(answer.output, model.negative_probability(activities, times))
            self.assertEqual(answer.model, {"name": "alarm-1-10.joblib", "cases": 30, "negative_cases": 10})
        self.assertGreater(answers[1][1].output, 0.8)  # escalated


if __name__ == "__main__":
    unittest.main()
