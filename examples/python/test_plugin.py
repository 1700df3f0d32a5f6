"""Tests of the Python example plugin: the model, and the protocol against a scripted fake core.

Run after ./generate.sh:  cd examples/python && /usr/bin/python3 -m unittest -v
(test/e2e/polyglot.test.ts runs them too, and the plugin against the real core.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import unittest
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc

import plugin
from training_jobs import Job, NotApplicable
from trainingcore.v1 import dataset_service_pb2 as dataset_pb
from trainingcore.v1 import dataset_service_pb2_grpc as dataset_grpc
from trainingcore.v1 import definition_pb2 as definition_pb
from trainingcore.v1 import plugin_service_pb2 as pb
from trainingcore.v1 import plugin_service_pb2_grpc as plugin_grpc

HERE = Path(__file__).resolve().parent

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


def job(header: list[str], defined: bool) -> Job:
    data = pb.TrainingData(project_id=1, plugin_id=2)
    if defined:
        data.definition.CopyFrom(definition_pb.EventLogDefinition())
    return Job(data, header, iter([]), HERE, lambda: None)


class FixedColumnsTest(unittest.TestCase):
    def test_declares_what_it_needs(self) -> None:
        self.assertEqual(
            list(plugin.IDENTITY.needed_columns),
            [definition_pb.COLUMN_DEFINITION_CASE_ID, definition_pb.COLUMN_DEFINITION_ACTIVITY],
        )

    def test_reads_the_fixed_columns_when_the_project_has_a_definition(self) -> None:
        columns = plugin.columns_of(job(NORMALIZED[0], defined=True))
        self.assertEqual(
            (columns.case.name, columns.activity.name, columns.timestamp.name),
            ("CASE_ID", "ACTIVITY", "END_TIMESTAMP"),
        )
        model = plugin.train_next_activity(NORMALIZED[1:], columns).to_json(1, 2)
        self.assertEqual(
            model["next"], {"check": {"__end__": 1}, "register": {"__end__": 1, "check": 1}}
        )
        with_both = ["CASE_ID", "ACTIVITY", "END_TIMESTAMP", "TIMESTAMP"]
        self.assertEqual(plugin.columns_of(job(with_both, defined=True)).timestamp.index, 3)
        with self.assertRaisesRegex(ValueError, "must have the columns CASE_ID, ACTIVITY and"):
            plugin.columns_of(job(["case_id", "activity", "timestamp"], defined=True))

    def test_guesses_only_without_a_definition(self) -> None:
        columns = plugin.columns_of(job(["Case_ID", "Activity", "Time"], defined=False))
        self.assertEqual(columns.timestamp.name, "Time")
        # The normalized header has no timestamp the guessing knows.
        with self.assertRaisesRegex(NotApplicable, "no timestamp column"):
            plugin.columns_of(job(NORMALIZED[0], defined=False))


class FakeCore(plugin_grpc.PluginServiceServicer, dataset_grpc.DatasetServiceServicer):
    """Stream 1 delivers a TrainingData twice, then drops the stream without acking the
    DataReport. Stream 2 answers the re-sent DataReport UNAVAILABLE once, sends the same
    TrainingData again and an OnlineInquiry, then acks everything."""

    def __init__(self) -> None:
        self.requests: list[tuple[int, str, int]] = []  # (stream, report kind, sequence)
        self.trained = threading.Event()
        self.streams = 0
        self.data = pb.TrainingData(project_id=3, plugin_id=7, training_df_name="td_fake")

    def DownloadDataset(
        self, request: dataset_pb.DownloadDatasetRequest, context: grpc.ServicerContext
    ) -> Iterator[dataset_pb.DownloadDatasetResponse]:
        split = CSV.index("é".encode()) + 1  # split inside a two-byte character
        yield dataset_pb.DownloadDatasetResponse(chunk=CSV[:split])
        yield dataset_pb.DownloadDatasetResponse(chunk=CSV[split:])

    def Connect(
        self, request_iterator: Iterator[pb.ConnectRequest], context: grpc.ServicerContext
    ) -> Iterator[pb.ConnectResponse]:
        self.streams += 1
        stream = self.streams

        def receive() -> pb.ConnectRequest:
            request = next(request_iterator)
            self.requests.append((stream, str(request.WhichOneof("message")), request.sequence))
            return request

        def ack(request: pb.ConnectRequest, code: int = 0) -> pb.ConnectResponse:
            return pb.ConnectResponse(ack=pb.Ack(sequence=request.sequence, code=code))

        yield ack(receive())  # the registration
        if stream == 1:
            yield pb.ConnectResponse(training_data=self.data)
            yield pb.ConnectResponse(training_data=self.data)
            receive()  # the DataReport, never acked
            context.abort(grpc.StatusCode.UNAVAILABLE, "the training core is shutting down")
        yield ack(receive(), grpc.StatusCode.UNAVAILABLE.value[0])  # the re-sent DataReport
        yield pb.ConnectResponse(training_data=self.data)
        yield pb.ConnectResponse(online_inquiry=pb.OnlineInquiry())
        while context.is_active():
            request = receive()
            yield ack(request)
            if request.HasField("model_name"):
                self.trained.set()


class ProtocolTest(unittest.TestCase):
    def test_reconnects_resends_unacked_reports_and_ignores_duplicates(self) -> None:
        fake = FakeCore()
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        plugin_grpc.add_PluginServiceServicer_to_server(fake, server)
        dataset_grpc.add_DatasetServiceServicer_to_server(fake, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self.addCleanup(server.stop, None)
        models = tempfile.TemporaryDirectory()
        self.addCleanup(models.cleanup)

        env = {**os.environ, "CORE_ADDRESS": f"127.0.0.1:{port}", "MODEL_DIR": models.name}
        child = subprocess.Popen(
            [sys.executable, str(HERE / "plugin.py")],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        stderr = child.stderr
        assert stderr is not None
        self.addCleanup(stderr.close)
        self.addCleanup(child.kill)
        lines: list[str] = []
        reader = threading.Thread(target=lines.extend, args=(stderr,))
        reader.start()

        trained = fake.trained.wait(20)
        child.send_signal(signal.SIGTERM)
        exit_code = child.wait(10)
        reader.join(5)
        log = "".join(lines)
        self.assertTrue(trained, log)
        self.assertEqual(exit_code, 0, log)

        self.assertEqual(
            fake.requests,
            [
                (1, "online_report", 1),
                (1, "data_report", 2),
                (2, "online_report", 1),  # registered again
                (2, "data_report", 2),  # re-sent: it was never acked
                (2, "online_report", 3),  # the answer to the inquiry
                (2, "data_report", 4),  # again, after a pause: the core was unavailable
                (2, "training_start", 5),
                (2, "model_name", 6),
            ],
            log,
        )
        self.assertEqual(log.count("duplicate TrainingData ignored"), 2, log)
        self.assertIn("stopped on SIGTERM", log)
        model = json.loads((Path(models.name) / "python-next-activity-3-7.json").read_text())
        self.assertEqual(model["projectId"], 3)
        self.assertEqual(model["next"]["register"], {"__end__": 1, "check": 1})


if __name__ == "__main__":
    unittest.main()
