"""Tests of the Python example plugin's model (the protocol is the SDK's, tested in
sdk/python/tests).

Run:  cd examples/python && /usr/bin/python3 -m unittest -v
(test/e2e/polyglot.test.ts runs them too, and the plugin against the real core.)
"""

from __future__ import annotations

import json
import os
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import plugin
from common import LoadedModels
from fake_context import FakeContext, live_request
from trainingcore import NotApplicable, Prescription, RunningCase
from trainingcore.v1 import definition_pb2 as definition_pb


CSV = (
    "Case_ID,Activity,Timestamp,Note\n"
    "c1,register,2024-01-01T10:00:00Z,é\n"
    "c1,approve,2024-01-01T12:00:00+01:00,\n"  # 11:00 UTC: after "register"
    "c1,check,2024-01-01T10:30:00Z,\n"
    "c2,register,2024-01-02 10:00:00,\n"
    "c2,reject,2024-01-02 09:00:00,\n"  # earlier: c2 starts with "reject"
).encode()


class ModelTest(unittest.TestCase):
    def test_detects_columns_case_insensitively(self) -> None:
        columns, missing = plugin.detect_columns(["case:concept:name", "concept:name", "TIME"])
        assert columns is not None, missing
        self.assertEqual(
            (columns.case.index, columns.activity.index, columns.timestamp.index), (0, 1, 2)
        )
        self.assertEqual(columns.timestamp.name, "TIME")

    def test_reports_what_is_missing(self) -> None:
        columns, missing = plugin.detect_columns(["case", "what", "when"])
        self.assertIsNone(columns)
        self.assertIn("no activity column", missing)
        self.assertIn("no timestamp column", missing)

    def test_counts_following_activities_in_timestamp_order(self) -> None:
        rows = [line.split(",") for line in CSV.decode().splitlines()]
        columns, _ = plugin.detect_columns(rows[0])
        assert columns is not None
        model = plugin.train_next_activity(rows[1:], columns).to_json(1, 2)
        self.assertEqual(model["cases"], 2)
        self.assertEqual(model["events"], 5)
        self.assertEqual(model["start"], {"register": 1, "reject": 1})
        self.assertEqual(
            model["next"],
            {
                "approve": {"__end__": 1},
                "check": {"approve": 1},
                "register": {"__end__": 1, "check": 1},
                "reject": {"register": 1},
            },
        )

    def test_names_the_row_with_a_bad_timestamp(self) -> None:
        columns, _ = plugin.detect_columns(["case", "activity", "time"])
        assert columns is not None
        with self.assertRaisesRegex(ValueError, "data row 2: cannot read timestamp 'soon'"):
            plugin.train_next_activity([["c", "a", "2024-01-01"], ["c", "b", "soon"]], columns)


NORMALIZED = [
    ["CASE_ID", "ACTIVITY", "START_TIMESTAMP", "END_TIMESTAMP", "EVENT_ATTRIBUTE_TEXT_time"],
    ["c1", "register", "2024-01-01T09:00:00.000Z", "2024-01-01T10:00:00.000Z", "late"],
    ["c1", "check", "2024-01-01T10:30:00.000Z", "2024-01-01T11:00:00.000Z", ""],
    ["c2", "register", "2024-01-02T09:00:00.000Z", "2024-01-02T10:00:00.000Z", ""],
]


class FixedColumnsTest(unittest.TestCase):
    def test_declares_what_it_needs(self) -> None:
        self.assertEqual(list(plugin.REPORT.needed_columns), ["CASE_ID", "ACTIVITY"])
        report = plugin.REPORT.to_proto(prescribes=False)
        self.assertEqual(
            list(report.needed_columns),
            [definition_pb.COLUMN_DEFINITION_CASE_ID, definition_pb.COLUMN_DEFINITION_ACTIVITY],
        )

    def test_reads_the_fixed_columns_when_the_project_has_a_definition(self) -> None:
        columns = plugin.columns_of(NORMALIZED[0], defined=True)
        self.assertEqual(
            (columns.case.name, columns.activity.name, columns.timestamp.name),
            ("CASE_ID", "ACTIVITY", "END_TIMESTAMP"),
        )
        model = plugin.train_next_activity(NORMALIZED[1:], columns).to_json(1, 2)
        self.assertEqual(
            model["next"], {"check": {"__end__": 1}, "register": {"__end__": 1, "check": 1}}
        )
        with_both = ["CASE_ID", "ACTIVITY", "END_TIMESTAMP", "TIMESTAMP"]
        self.assertEqual(plugin.columns_of(with_both, defined=True).timestamp.index, 3)
        with self.assertRaisesRegex(ValueError, "must have the columns CASE_ID, ACTIVITY and"):
            plugin.columns_of(["case_id", "activity", "timestamp"], defined=True)

    def test_guesses_only_without_a_definition(self) -> None:
        columns = plugin.columns_of(["Case_ID", "Activity", "Time"], defined=False)
        self.assertEqual(columns.timestamp.name, "Time")
        # The normalized header has no timestamp the guessing knows.
        with self.assertRaisesRegex(NotApplicable, "no timestamp column"):
            plugin.columns_of(NORMALIZED[0], defined=False)


def event(case_id: str, activity: str, minute: int) -> dict[str, str]:
    """An event of a live request, as the core normalizes it."""
    return {"CASE_ID": case_id, "ACTIVITY": activity, "TIMESTAMP": f"2024-01-01T10:{minute:02}:00.000Z"}


class PrescriptionTest(unittest.TestCase):
    def setUp(self) -> None:
        rows = [line.split(",") for line in CSV.decode().splitlines()]
        columns = plugin.columns_of(rows[0], defined=False)
        self.model = plugin.train_next_activity(rows[1:], columns).to_json(1, 10)
        self.model["next"]["register"] = {"check": 3, "approve": 3, "__end__": 4}
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.dir = Path(directory.name)
        environment = mock.patch.dict(os.environ, {"MODEL_DIR": str(self.dir / "models")})
        environment.start()
        self.addCleanup(environment.stop)
        plugin.MODELS = LoadedModels(plugin.load_model)  # a new instance's: nothing loaded

    def test_answers_the_most_likely_activity_after_the_last_one(self) -> None:
        def answer(*activities: str) -> Prescription:
            case = RunningCase("c9", [event("c9", a, i) for i, a in enumerate(activities)])
            return plugin.next_activity_for(self.model, case, "m")

        about = {"name": "m", "cases": 2}
        # After "register": check 3, approve 3 (ties by name), the end 4 times.
        self.assertEqual(
            answer("reject", "register"),
            Prescription("NEXT_ACTIVITY", {"activity": "approve", "probability": 0.3}, model=about),
        )
        self.assertEqual(answer("check").output, {"activity": "approve", "probability": 1.0})
        ended = answer("register", "approve")
        self.assertIsNone(ended.output)
        self.assertEqual(ended.detail, 'cases always ended after "approve" in training')
        unseen = answer("check", "café")
        self.assertIsNone(unseen.output)
        self.assertEqual(unseen.detail, 'activity "café" was never seen in training')

    def test_loads_a_projects_model_once_from_the_core_or_model_dir(self) -> None:
        stored = self.dir / "downloaded"
        stored.write_text(json.dumps(self.model), encoding="utf-8")
        contexts = []
        case = ["reject", "register", "check"]
        for length in range(1, len(case) + 1):  # one live request per event
            events = [event("c1", activity, m) for m, activity in enumerate(case[:length])]
            ctx = FakeContext(live_request(1, "python-next-activity-1-10.json", "c1", events), stored)
            plugin.prescribe(ctx.request, ctx)  # type: ignore[arg-type]
            contexts.append(ctx)
        self.assertEqual([ctx.downloads for ctx in contexts], [1, 0, 0])
        outputs = [ctx.answers[0][1].output for ctx in contexts]
        self.assertEqual(
            outputs,
            [
                {"activity": "register", "probability": 1.0},
                {"activity": "approve", "probability": 0.3},
                {"activity": "approve", "probability": 1.0},
            ],
        )
        self.assertEqual([ctx.answers[0][0] for ctx in contexts], ["c1", "c1", "c1"])

        # Another project, trained by this instance: read from MODEL_DIR, not downloaded.
        local = dict(self.model, next={"register": {"archive": 1}})
        (self.dir / "models").mkdir()
        (self.dir / "models" / "python-next-activity-2-20.json").write_text(json.dumps(local))
        for _ in range(2):
            ctx = FakeContext(
                live_request(2, "python-next-activity-2-20.json", "c2", [event("c2", "register", 0)])
            )
            plugin.prescribe(ctx.request, ctx)  # type: ignore[arg-type]
            self.assertEqual(ctx.answers[0][1].output, {"activity": "archive", "probability": 1.0})


if __name__ == "__main__":
    unittest.main()
