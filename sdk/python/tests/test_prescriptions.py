"""Prescription requests against a scripted core: parts ending with `last`, errors, repeats,
case-prefix requests, the stored model, answers that await their Ack without holding a slot."""

from __future__ import annotations

import logging
import queue
from typing import Any

import grpc
import pytest
from google.protobuf import json_format

import trainingcore
from fake_core import WAIT, FakeCore, FakeStream
from test_protocol import FAILED_PRECONDITION, UNAVAILABLE, start  # noqa: F401 - the fixture
from trainingcore import Prescription, PrescriptionContext, PrescriptionRequest
from trainingcore.prescriptions import MAX_PARTS_IN_FLIGHT
from trainingcore.v1 import plugin_service_pb2 as pb
from trainingcore.v1 import prescription_pb2

RUNNING = (
    b"CASE_ID,ACTIVITY,TIMESTAMP\n"
    b"c1,a,2024-01-01T00:00:00.000Z\nc1,b,2024-01-01T01:00:00.000Z\n"
    b"c2,a,2024-01-01T00:00:00.000Z\n"
    b"c3,,2024-01-01T00:00:00.000Z\n"
)


def last_activity(request: PrescriptionRequest, ctx: PrescriptionContext) -> None:
    for case in ctx.cases():
        last = case.events[-1].get("ACTIVITY")
        ctx.answer(
            case.case_id,
            Prescription(
                type="NEXT_ACTIVITY",
                output={"after": last, "events": len(case.events)} if last else None,
                detail="" if last else "no activity",
                model={"name": request.model_name, "accuracy": 0.5},
            ),
        )


def request(request_id: str = "r1", **fields: Any) -> pb.PrescriptionRequest:
    fields.setdefault("dataset_name", "running.csv")
    return pb.PrescriptionRequest(request_id=request_id, project_id=1, plugin_id=10, model_name="m", **fields)


def parts(stream: FakeStream, request_id: str) -> list[pb.PrescriptionResult]:
    received = []
    while True:
        part = stream.next("prescription_result").prescription_result
        assert part.request_id == request_id
        received.append(part)
        if part.last:
            return received


def test_registers_with_prescribes_and_answers_every_case_in_parts(core: FakeCore, start: Any) -> None:
    core.datasets["running.csv"] = RUNNING
    start(on_prescription=last_activity, part_size=2)
    stream, report = core.registered_stream()
    assert report.online_report.prescribes is True
    stream.send(prescription_request=request())
    received = parts(stream, "r1")
    assert [len(p.prescriptions) for p in received] == [2, 1]
    answers = {c.case_id: c.prescription for p in received for c in p.prescriptions}
    assert list(answers) == ["c1", "c2", "c3"]
    assert json_format.MessageToDict(answers["c1"].output) == {"after": "b", "events": 2.0}
    assert answers["c1"].model["name"] == "m" and answers["c1"].type == "NEXT_ACTIVITY"
    assert answers["c3"].output.WhichOneof("kind") == "null_value"
    assert answers["c3"].detail == "no activity"


def test_an_empty_running_set_sends_one_empty_last_part(core: FakeCore, start: Any) -> None:
    core.datasets["running.csv"] = b"CASE_ID,ACTIVITY\n"
    start(on_prescription=last_activity)
    stream, _ = core.registered_stream()
    stream.send(prescription_request=request())
    assert [len(p.prescriptions) for p in parts(stream, "r1")] == [0]


def test_a_failing_handler_sends_its_answers_then_an_error(core: FakeCore, start: Any) -> None:
    core.datasets["running.csv"] = RUNNING

    def half(request: PrescriptionRequest, ctx: PrescriptionContext) -> None:
        for case in ctx.cases():
            if case.case_id == "c2":
                raise RuntimeError("the model is missing a feature")
            ctx.answer(case.case_id, {"type": "T", "output": 1})

    start(on_prescription=half)
    stream, _ = core.registered_stream()
    stream.send(prescription_request=request())
    part = stream.next("prescription_result").prescription_result
    assert [c.case_id for c in part.prescriptions] == ["c1"] and not part.last
    error = stream.next("prescription_error").prescription_error
    assert error.request_id == "r1" and error.detail == "the model is missing a feature"


def test_a_repeated_request_is_answered_once(core: FakeCore, start: Any) -> None:
    core.datasets["running.csv"] = RUNNING
    calls: list[str] = []

    def counted(request: PrescriptionRequest, ctx: PrescriptionContext) -> None:
        calls.append(request.request_id)
        last_activity(request, ctx)

    start(on_prescription=counted)
    stream, _ = core.registered_stream()
    stream.send(prescription_request=request())
    parts(stream, "r1")
    stream.send(prescription_request=request())
    stream.send(online_inquiry=pb.OnlineInquiry())
    stream.next("online_report")
    with pytest.raises(Exception):
        stream.next("prescription_result", timeout=0.5)
    assert calls == ["r1"]


def test_case_prefix_requests_are_answered_once_each(core: FakeCore, start: Any) -> None:
    start(on_prescription=last_activity)
    stream, _ = core.registered_stream()
    for request_id, activities in (("p1", ["a"]), ("p2", ["a", "b"])):
        prefix = pb.CasePrefix(case_id=f"case-{request_id}")
        for activity in activities:
            prefix.events.add().update({"CASE_ID": prefix.case_id, "ACTIVITY": activity})
        message = pb.PrescriptionRequest(request_id=request_id, project_id=1, plugin_id=10, case_prefix=prefix)
        stream.send(prescription_request=message)
    p1 = parts(stream, "p1")
    p2 = parts(stream, "p2")
    assert [c.case_id for p in p1 for c in p.prescriptions] == ["case-p1"]
    assert json_format.MessageToDict(p2[0].prescriptions[0].prescription.output) == {"after": "b", "events": 2.0}


def test_unacked_parts_are_resent_after_a_reconnect(core: FakeCore, start: Any) -> None:
    core.datasets["running.csv"] = RUNNING

    def hold(_s: FakeStream, message: pb.ConnectRequest) -> Any:
        return None if message.WhichOneof("message") == "prescription_result" else (0, "")

    core.policy = hold
    start(on_prescription=last_activity, part_size=2)
    stream, _ = core.registered_stream()
    stream.send(prescription_request=request())
    first = stream.next("prescription_result").prescription_result
    core.policy = lambda _s, _m: (0, "")
    stream.end(grpc.StatusCode.UNAVAILABLE, "cut")
    again, _ = core.registered_stream()
    resent = parts(again, "r1")
    assert resent[0] == first
    assert [c.case_id for p in resent for c in p.prescriptions] == ["c1", "c2", "c3"]


def test_the_stored_model_is_downloaded_once(core: FakeCore, start: Any) -> None:
    core.datasets["running.csv"] = RUNNING
    core.models[(1, 10)] = b"weights"
    seen: list[bytes] = []

    def with_model(request: PrescriptionRequest, ctx: PrescriptionContext) -> None:
        seen.append(ctx.model())
        seen.append(ctx.model_path().read_bytes())

    start(on_prescription=with_model)
    stream, _ = core.registered_stream()
    stream.send(prescription_request=request())
    parts(stream, "r1")
    # Live requests (one per event) of the same membership reuse the downloaded file.
    for request_id in ("p1", "p2"):
        prefix = pb.CasePrefix(case_id="live")
        prefix.events.add().update({"CASE_ID": "live", "ACTIVITY": "a"})
        message = pb.PrescriptionRequest(request_id=request_id, project_id=1, plugin_id=10, case_prefix=prefix)
        stream.send(prescription_request=message)
        parts(stream, request_id)
    assert seen == [b"weights"] * 6
    assert core.model_downloads == [(1, 10)]


def test_read_running_cases_groups_contiguous_rows() -> None:
    rows = [["X", "CASE_ID"], ["1", "a"], ["", "a"], ["3", "b"]]
    cases = list(trainingcore.read_running_cases(rows))
    assert [(c.case_id, c.events) for c in cases] == [
        ("a", [{"X": "1", "CASE_ID": "a"}, {"CASE_ID": "a"}]),
        ("b", [{"X": "3", "CASE_ID": "b"}]),
    ]


def test_every_json_value_is_an_output() -> None:
    from trainingcore.prescriptions import to_proto

    for output in [None, 0.25, "x", True, [1, "a", None], {"p": 0.5}]:
        message = to_proto("c1", Prescription("ALARM", output, model={"name": "m"}))
        assert message.case_id == "c1"
        assert json_format.MessageToDict(message.prescription.output) == output
        assert dict(message.prescription.model) == {"name": "m"}
    as_dict = to_proto("c2", {"type": "T", "output": 1, "detail": "note"})
    assert as_dict.prescription.detail == "note"


# -- answers awaiting their Ack: the handler's slot is free, the request is still active --------


def live(request_id: str, case_id: str = "c1", activities: tuple[str, ...] = ("a",)) -> pb.PrescriptionRequest:
    prefix = pb.CasePrefix(case_id=case_id)
    for activity in activities:
        prefix.events.add().update({"CASE_ID": case_id, "ACTIVITY": activity})
    return pb.PrescriptionRequest(request_id=request_id, project_id=1, plugin_id=10, case_prefix=prefix)


def hold_answers(_s: FakeStream, message: pb.ConnectRequest) -> Any:
    """Acks everything but answers: the test acks those itself (a slow commit)."""
    kind = message.WhichOneof("message")
    return None if kind in ("prescription_result", "prescription_error") else (0, "")


def answered_or_failed(stream: FakeStream, timeout: float = WAIT) -> pb.ConnectRequest:
    while True:
        message = stream.next(timeout=timeout)
        if message.WhichOneof("message") in ("prescription_result", "prescription_error"):
            return message


def test_the_next_live_request_starts_before_the_previous_answer_is_acked(core: FakeCore, start: Any) -> None:
    calls: list[str] = []

    def prescribe(request: PrescriptionRequest, ctx: PrescriptionContext) -> None:
        calls.append(request.request_id)
        if request.request_id == "p-fail":
            ctx.fail("cannot say")  # does not wait for its Ack either
            return
        last_activity(request, ctx)

    core.policy = hold_answers
    start(on_prescription=prescribe, prescription_concurrency=1)
    stream, _ = core.registered_stream()
    sent = []
    for request_id in ("p1", "p-fail", "p2"):
        stream.send(prescription_request=live(request_id, case_id=request_id))
        sent.append(answered_or_failed(stream))  # nothing acked yet: one slot, three answers
    assert [m.WhichOneof("message") for m in sent] == ["prescription_result", "prescription_error", "prescription_result"]
    assert sent[0].prescription_result.last and sent[0].prescription_result.request_id == "p1"
    assert sent[1].prescription_error.detail == "cannot say"
    # Redelivered while their answers await the Ack: ignored, and after it too.
    for request_id in ("p1", "p-fail"):
        stream.send(prescription_request=live(request_id, case_id=request_id))
    stream.send(online_inquiry=pb.OnlineInquiry())
    stream.next("online_report")
    for message in sent:
        stream.ack(message.sequence)
    stream.send(prescription_request=live("p2", case_id="p2"))
    stream.send(online_inquiry=pb.OnlineInquiry())
    stream.next("online_report")
    with pytest.raises(queue.Empty):
        answered_or_failed(stream, timeout=0.3)
    assert calls == ["p1", "p-fail", "p2"]


def test_stop_waits_for_answers_awaiting_their_ack(core: FakeCore, start: Any) -> None:
    core.policy = hold_answers
    plugin = start(on_prescription=last_activity)
    stream, _ = core.registered_stream()
    stream.send(prescription_request=live("p1"))
    answer = stream.next("prescription_result")
    plugin.stop()
    assert not stream.closed.wait(0.3)  # still waiting for the Ack of p1's answer
    stream.ack(answer.sequence)
    assert stream.closed.wait(WAIT)  # then it half-closes
    plugin.join(WAIT)
    assert not plugin.is_alive()


def test_a_refused_live_answer_is_logged_and_an_unavailable_one_retried(
    core: FakeCore, start: Any, caplog: pytest.LogCaptureFixture
) -> None:
    unavailable = {"p2": 1}

    def policy(_s: FakeStream, message: pb.ConnectRequest) -> Any:
        if message.WhichOneof("message") != "prescription_result":
            return (0, "")
        request_id = message.prescription_result.request_id
        if request_id == "p1":
            return (FAILED_PRECONDITION, "the request is no longer leased")
        if unavailable.get(request_id):
            unavailable[request_id] -= 1
            return (UNAVAILABLE, "database down")
        return (0, "")

    core.policy = policy
    caplog.set_level(logging.WARNING, logger="trainingcore")
    start(on_prescription=last_activity)
    stream, _ = core.registered_stream()
    stream.send(prescription_request=live("p1"))
    assert stream.next("prescription_result").prescription_result.request_id == "p1"
    stream.send(prescription_request=live("p2"))
    first = stream.next("prescription_result")
    again = stream.next("prescription_result")  # UNAVAILABLE: sent again, then stored
    assert first.prescription_result == again.prescription_result and again.sequence > first.sequence
    assert not unavailable["p2"]
    refusals = [r.getMessage() for r in caplog.records if "refused the answer" in r.getMessage()]
    assert len(refusals) == 1 and "request=p1" in refusals[0] and "FAILED_PRECONDITION" in refusals[0]
    assert "no longer leased" in refusals[0]


def test_a_dataset_answer_waits_while_too_many_parts_await_their_ack(core: FakeCore, start: Any) -> None:
    core.datasets["running.csv"] = b"CASE_ID,ACTIVITY\n" + b"".join(b"c%d,a\n" % i for i in range(8))
    returned: queue.Queue[str] = queue.Queue()

    def prescribe(request: PrescriptionRequest, ctx: PrescriptionContext) -> None:
        for case in ctx.cases():
            ctx.answer(case.case_id, Prescription("T", 1))
            returned.put(case.case_id)

    core.policy = hold_answers
    start(on_prescription=prescribe, part_size=1)
    stream, _ = core.registered_stream()
    stream.send(prescription_request=request())
    # One part per case; a request's parts go one at a time, the others wait in the outbox.
    first = stream.next("prescription_result")
    assert [returned.get(timeout=WAIT) for _ in range(MAX_PARTS_IN_FLIGHT)] == ["c0", "c1", "c2", "c3"]
    with pytest.raises(queue.Empty):
        returned.get(timeout=0.3)  # the fifth answer() waits: five parts without an Ack
    stream.ack(first.sequence)
    assert returned.get(timeout=WAIT) == "c4"
    with pytest.raises(queue.Empty):
        returned.get(timeout=0.3)
    received = [first]
    while not received[-1].prescription_result.last:
        received.append(stream.next("prescription_result"))
        stream.ack(received[-1].sequence)
    cases = [c.case_id for m in received for c in m.prescription_result.prescriptions]
    assert cases == [f"c{i}" for i in range(8)]


def test_an_unacked_live_answer_is_resent_after_a_reconnect_and_its_redelivery_ignored(
    core: FakeCore, start: Any
) -> None:
    calls: list[str] = []

    def prescribe(request: PrescriptionRequest, ctx: PrescriptionContext) -> None:
        calls.append(request.request_id)
        last_activity(request, ctx)

    core.policy = hold_answers
    start(on_prescription=prescribe)
    stream, _ = core.registered_stream()
    stream.send(prescription_request=live("p1"))
    first = stream.next("prescription_result")
    core.policy = lambda _s, _m: (0, "")
    stream.end(grpc.StatusCode.UNAVAILABLE, "cut")
    again, _ = core.registered_stream()
    again.send(prescription_request=live("p1"))  # the core hands it out again: not re-run
    assert again.next("prescription_result").prescription_result == first.prescription_result
    again.send(prescription_request=live("p2"))
    assert again.next("prescription_result").prescription_result.request_id == "p2"
    assert calls == ["p1", "p2"]
