"""The SDK against a scripted core: registration, inquiries, sequence numbers, acks, re-sends,
duplicates, refusals and shutdown."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

import trainingcore
from fake_core import WAIT, FakeCore, FakeStream
from trainingcore import Job, JobContext, Plugin, PluginReportError, Reconnect
from trainingcore.v1 import definition_pb2
from trainingcore.v1 import plugin_service_pb2 as pb

FAST = Reconnect(initial_delay=0.02, max_delay=0.1)
CSV = b"CASE_ID,ACTIVITY,TIMESTAMP\nc1,a,2024-01-01T00:00:00.000Z\nc1,b,2024-01-01T01:00:00.000Z\n"
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE.value[0]
FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION.value[0]


def training_data(project: int = 1, plugin: int = 10, name: str = "train.csv") -> pb.ConnectResponse:
    return pb.ConnectResponse(
        training_data=pb.TrainingData(project_id=project, plugin_id=plugin, training_df_name=name)
    )


def trainer(calls: list[Job]) -> Any:
    def train(job: Job, ctx: JobContext) -> None:
        calls.append(job)
        rows = list(ctx.rows())
        assert rows[0] == ["CASE_ID", "ACTIVITY", "TIMESTAMP"]
        ctx.accept()
        ctx.started()
        ctx.trained(f"model-{job.plugin_id}")

    return train


@pytest.fixture
def start(core: FakeCore) -> Iterator[Any]:
    plugins: list[Plugin] = []

    def start_plugin(on_training_data: Any = None, **options: Any) -> Plugin:
        options.setdefault("report", {"id": "plugin-test", "name": "Test", "type": "test"})
        plugin = Plugin(
            on_training_data=on_training_data or trainer([]),
            address=core.address,
            reconnect=FAST,
            **options,
        )
        plugin.start()
        plugins.append(plugin)
        return plugin

    yield start_plugin
    for plugin in plugins:
        plugin.stop()
    for plugin in plugins:
        try:
            plugin.join(WAIT)
        except trainingcore.PluginError:
            pass


def test_registers_first_and_answers_inquiries(core: FakeCore, start: Any) -> None:
    start(
        report=trainingcore.PluginInfo(
            id="plugin-x", name="X", type="t", parameters={"k": 5}, needed_columns=["OUTCOME"]
        )
    )
    stream = core.stream()
    first = stream.next(timeout=WAIT)
    assert first.WhichOneof("message") == "online_report"
    assert first.sequence == 1
    assert first.online_report.id == "plugin-x"
    assert first.online_report.parameters["k"] == 5
    assert list(first.online_report.needed_columns) == [definition_pb2.COLUMN_DEFINITION_OUTCOME]
    assert first.online_report.prescribes is False
    stream.send(online_inquiry=pb.OnlineInquiry())
    answer = stream.next("online_report")
    assert answer.sequence == 2
    assert answer.online_report.id == "plugin-x"


def test_an_unknown_needed_column_is_refused_before_connecting() -> None:
    with pytest.raises(ValueError, match="needed_columns\\[0\\] is 'OUTCOMES'"):
        Plugin(report={"id": "p", "needed_columns": ["OUTCOMES"]}, on_training_data=lambda j, c: None)


def test_a_job_is_downloaded_and_reported_in_order(core: FakeCore, start: Any) -> None:
    core.datasets["train.csv"] = CSV
    calls: list[Job] = []
    start(trainer(calls))
    stream, _ = core.registered_stream()
    stream.send(
        training_data=pb.TrainingData(project_id=1, plugin_id=10, training_df_name="train.csv")
    )
    kinds = [stream.next().WhichOneof("message") for _ in range(3)]
    assert kinds == ["data_report", "training_start", "model_name"]
    sequences = [r.sequence for r in stream.all]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    assert stream.all[-1].model_name.model_name == "model-10"
    assert calls[0].project_id == 1 and calls[0].definition is None


def test_reports_of_a_job_wait_for_the_previous_ack(core: FakeCore, start: Any) -> None:
    core.datasets["train.csv"] = CSV
    held: list[pb.ConnectRequest] = []

    def hold_data_report(_s: FakeStream, request: pb.ConnectRequest) -> Any:
        if request.WhichOneof("message") == "data_report":
            held.append(request)
            return None
        return (0, "")

    core.policy = hold_data_report
    start()
    stream, _ = core.registered_stream()
    stream.send(**{"training_data": training_data().training_data})
    report = stream.next("data_report")
    with pytest.raises(Exception):
        stream.next("training_start", timeout=0.5)  # not sent before the DataReport's ack
    stream.ack(report.sequence)
    assert stream.next("training_start")
    assert stream.next("model_name")


def test_a_repeated_training_data_is_not_trained_twice(core: FakeCore, start: Any) -> None:
    core.datasets["train.csv"] = CSV
    calls: list[Job] = []
    start(trainer(calls))
    stream, _ = core.registered_stream()
    stream.send(training_data=training_data().training_data)
    stream.next("model_name")
    stream.send(training_data=training_data().training_data)
    stream.send(online_inquiry=pb.OnlineInquiry())
    stream.next("online_report")  # the inquiry after the repeat was handled
    with pytest.raises(Exception):
        stream.next("data_report", timeout=0.5)
    assert len(calls) == 1


def test_a_failing_handler_reports_its_error_and_not_applicable_rejects(
    core: FakeCore, start: Any
) -> None:
    core.datasets["train.csv"] = CSV

    def train(job: Job, ctx: JobContext) -> None:
        if job.plugin_id == 1:
            raise trainingcore.NotApplicable("no timestamps")
        ctx.accept()
        raise ValueError("the model exploded")

    start(train)
    stream, _ = core.registered_stream()
    stream.send(training_data=training_data(plugin=1).training_data)
    assert stream.next("data_report").data_report.applicable is False
    stream.send(training_data=training_data(plugin=2).training_data)
    assert stream.next("data_report").data_report.applicable is True
    assert stream.next("error_report").error_report.detail == "the model exploded"


def test_unavailable_acks_are_retried_and_refusals_are_raised(core: FakeCore, start: Any) -> None:
    core.datasets["train.csv"] = CSV
    answers = {"unavailable": 2}
    raised: list[BaseException] = []

    def policy(_s: FakeStream, request: pb.ConnectRequest) -> Any:
        kind = request.WhichOneof("message")
        if kind == "data_report" and answers["unavailable"] > 0:
            answers["unavailable"] -= 1
            return (UNAVAILABLE, "database down")
        if kind == "training_start":
            return (FAILED_PRECONDITION, "the membership is TRAINED")
        return (0, "")

    core.policy = policy

    def train(job: Job, ctx: JobContext) -> None:
        ctx.accept()
        try:
            ctx.started()
        except PluginReportError as error:
            raised.append(error)
            raise

    start(train)
    stream, _ = core.registered_stream()
    stream.send(training_data=training_data().training_data)
    for _ in range(3):
        stream.next("data_report")  # twice UNAVAILABLE, then stored
    stream.next("training_start")
    stream.next("error_report")  # the refusal ends the job; not sent again
    assert isinstance(raised[0], PluginReportError)
    assert raised[0].code == FAILED_PRECONDITION and raised[0].kind == "started"
    with pytest.raises(Exception):
        stream.next("training_start", timeout=0.5)


def test_unacked_reports_are_resent_after_a_reconnect(core: FakeCore, start: Any) -> None:
    core.datasets["train.csv"] = CSV

    def hold(_s: FakeStream, request: pb.ConnectRequest) -> Any:
        return None if request.WhichOneof("message") == "data_report" else (0, "")

    core.policy = hold
    start()
    stream, _ = core.registered_stream()
    stream.send(training_data=training_data().training_data)
    stream.next("data_report")
    core.policy = lambda _s, _r: (0, "")
    stream.end(grpc.StatusCode.UNAVAILABLE, "the training core is shutting down")
    again, report = core.registered_stream()
    assert report.sequence == 1  # registers again, first
    resent = again.next()
    assert resent.WhichOneof("message") == "data_report"
    assert resent.data_report.plugin_id == 10
    again.next("training_start")
    again.next("model_name")
    assert again.kinds().count("data_report") == 1


def test_a_refused_registration_is_fatal(core: FakeCore) -> None:
    def refuse(_s: FakeStream, request: pb.ConnectRequest) -> Any:
        return (grpc.StatusCode.INVALID_ARGUMENT.value[0], "bad key")

    core.policy = refuse
    plugin = Plugin(report={"id": "p"}, on_training_data=lambda j, c: None, address=core.address, reconnect=FAST)
    plugin.start()
    with pytest.raises(trainingcore.PluginRegistrationError, match="bad key"):
        plugin.join(WAIT)


def test_the_token_is_sent_with_every_call(core: FakeCore, start: Any) -> None:
    core.datasets["train.csv"] = CSV
    start(token="secret")
    stream, _ = core.registered_stream()
    stream.send(training_data=training_data().training_data)
    stream.next("model_name")
    assert all(m.get("authorization") == "Bearer secret" for m in core.metadata)
    assert len(core.metadata) >= 2  # Connect and DownloadDataset


def test_a_cut_download_resumes_at_its_offset(core: FakeCore, start: Any) -> None:
    core.datasets["train.csv"] = CSV
    core.cut_downloads_after = 10
    start()
    stream, _ = core.registered_stream()
    stream.send(training_data=training_data().training_data)
    stream.next("model_name")
    assert core.download_offsets == [0, 10]


def test_trained_with_a_file_uploads_the_model_first(core: FakeCore, start: Any) -> None:
    core.datasets["train.csv"] = CSV

    def train(job: Job, ctx: JobContext) -> None:
        ctx.accept()
        ctx.started()
        ctx.trained("m.bin", file=b"x" * 300_000)

    start(train)
    stream, _ = core.registered_stream()
    stream.send(training_data=training_data().training_data)
    stream.next("model_name")
    assert core.uploads[0].model_name == "m.bin" and core.uploads[0].size_bytes == 300_000
    assert core.models[(1, 10)] == b"x" * 300_000


def test_stop_lets_a_running_job_finish_then_half_closes(core: FakeCore, start: Any) -> None:
    core.datasets["train.csv"] = CSV
    release = threading.Event()

    def train(job: Job, ctx: JobContext) -> None:
        ctx.accept()
        release.wait(WAIT)
        ctx.started()
        ctx.trained("m")

    plugin = start(train)
    stream, _ = core.registered_stream()
    stream.send(training_data=training_data().training_data)
    stream.next("data_report")
    plugin.stop()
    release.set()
    stream.next("model_name")
    assert stream.closed.wait(WAIT)
    plugin.join(WAIT)
    assert not plugin.is_alive()
