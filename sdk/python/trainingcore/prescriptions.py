"""Prescription requests: ``on_prescription(request, ctx)`` runs once per request (a repeated
one is ignored) and answers through its ``PrescriptionContext``. Answers are sent in parts of
``part_size`` cases; the final part (``last``) goes when the handler returns, a
``PrescriptionError`` when it raises. Neither waits for the core's Ack: ``run_request`` returns
a future done once the answer was acked, and the request's worker thread takes the next one."""

from __future__ import annotations

import csv
import io
import logging
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, InvalidStateError
from pathlib import Path
from typing import Any, Callable, Optional, Union

from google.protobuf import json_format, struct_pb2

from ._outbox import Outbox, Pending
from .errors import PluginStoppedError
from .types import Prescription, PrescriptionRequest, RunningCase
from .v1 import plugin_service_pb2 as pb
from .v1 import prescription_pb2

log = logging.getLogger("trainingcore")

MAX_DETAIL = 4000
MAX_PARTS_IN_FLIGHT = 4

PrescriptionHandler = Callable[[PrescriptionRequest, "PrescriptionContext"], None]
"""``on_prescription(request, ctx)``: answers one request (see ``PrescriptionContext``)."""


def read_running_cases(rows: Iterable[list[str]]) -> Iterator[RunningCase]:
    """Groups CSV rows (header first; each case's rows together) into running cases. The case
    is the ``CASE_ID`` column, or the first one when there is none."""
    rows = iter(rows)
    header = next(rows, None)
    if not header:
        return
    index = header.index("CASE_ID") if "CASE_ID" in header else 0
    current: Optional[RunningCase] = None
    for row in rows:
        case_id = row[index] if index < len(row) else ""
        event = {name: value for name, value in zip(header, row) if value != ""}
        if current is not None and current.case_id == case_id:
            current.events.append(event)
            continue
        if current is not None:
            yield current
        current = RunningCase(case_id, [event])
    if current is not None:
        yield current


def to_proto(case_id: str, prescription: Union[Prescription, Mapping[str, Any]]) -> prescription_pb2.CasePrescription:
    """One case's answer as the protocol's ``CasePrescription``."""
    if not isinstance(prescription, Prescription):
        prescription = Prescription(**dict(prescription))
    output = struct_pb2.Value()
    json_format.ParseDict(prescription.output, output)
    message = prescription_pb2.Prescription(
        type=prescription.type, output=output, detail=prescription.detail
    )
    message.model.update(dict(prescription.model or {}))
    return prescription_pb2.CasePrescription(case_id=case_id, prescription=message)


class PrescriptionContext:
    """What a handler does with one request."""

    def __init__(
        self,
        request: PrescriptionRequest,
        outbox: Outbox,
        part_size: int,
        download: Callable[[str], Iterator[bytes]],
        model_path: Callable[[int, int], Path],
        stopping: threading.Event,
    ) -> None:
        self.request = request
        self.stopping = stopping
        """Set when the plugin shuts down: the core hands the request to another instance."""
        self.final = False
        self._outbox = outbox
        self._part_size = part_size
        self._download = download
        self._model_path = model_path
        self._buffer: list[prescription_pb2.CasePrescription] = []
        self._in_flight: deque[Pending] = deque()  # sent parts, oldest first (backpressure)
        self._lock = threading.Lock()
        self._unsettled = 0  # reports submitted and not acked (or given up) yet
        self._refusal: Optional[BaseException] = None  # the first one
        self._closed = False  # no report comes after those submitted
        self._settled: Future[None] = Future()

    def cases(self) -> Iterator[RunningCase]:
        """The running cases, one by one, each with its events in time order."""
        if self.request.case_prefix is not None:
            yield self.request.case_prefix
            return
        with tempfile.TemporaryFile() as raw:
            for chunk in self._download(self.request.dataset_name):
                raw.write(chunk)
            raw.seek(0)
            with io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
                yield from read_running_cases(csv.reader(text))

    def answer(self, case_id: str, prescription: Union[Prescription, Mapping[str, Any]]) -> None:
        """Buffers the answer for one case; a full part is sent. Never waits for an Ack, except
        while more than four parts await theirs (backpressure, only for datasets of several
        parts); raises ``PluginReportError`` once the core refused a part of this request."""
        self._raise_refusal()
        if self.final:
            raise RuntimeError(f"request {self.request.request_id} was answered already")
        self._buffer.append(to_proto(case_id, prescription))
        if len(self._buffer) >= self._part_size:
            self._send_part(last=False)
        while len(self._in_flight) > MAX_PARTS_IN_FLIGHT:
            self._in_flight.popleft().wait()

    def fail(self, detail: str) -> None:
        """The request cannot be answered; ``detail`` says why (``PrescriptionError``). Final;
        the cases answered so far keep their prescriptions. Does not wait for the Ack (a
        refusal is logged)."""
        if self.final:
            raise RuntimeError(f"request {self.request.request_id} was answered already")
        self._send_part(last=False)
        self.final = True
        error = pb.PrescriptionError(request_id=self.request.request_id, detail=detail[:MAX_DETAIL])
        self._submit("prescription-error", pb.ConnectRequest(prescription_error=error))

    def model(self) -> bytes:
        """The model this membership stored with ``trained(..., file=...)``, downloaded once
        per run; raises ``grpc.RpcError`` NOT_FOUND when the plugin keeps its model itself."""
        return self.model_path().read_bytes()

    def model_path(self) -> Path:
        """Like ``model()``, as the path of the downloaded file (kept until the plugin stops)."""
        return self._model_path(self.request.project_id, self.request.plugin_id)

    def finish(self) -> Future[None]:
        """Sends the final part, unless the request was failed (the SDK calls it when the
        handler returns). Returns at once: the future is done once every report of the
        request was acked, with the first refusal (or the close reason) as its exception."""
        if not self.final:
            self.final = True
            self._send_part(last=True)
        return self._close()

    def _close(self) -> Future[None]:
        """Nothing more is sent: the future is done once what was sent is settled."""
        with self._lock:
            self._closed = True
            done = self._unsettled == 0
        if done:
            self._resolve()
        return self._settled

    def settle(self) -> None:
        """Waits until every part sent was acked; raises the first refusal."""
        while self._in_flight:
            self._in_flight.popleft().wait()
        self._raise_refusal()

    def _raise_refusal(self) -> None:
        if self._refusal is not None:
            raise self._refusal

    def _send_part(self, last: bool) -> None:
        if not last and not self._buffer:
            return
        part, self._buffer = self._buffer, []
        result = pb.PrescriptionResult(
            request_id=self.request.request_id, prescriptions=part, last=last
        )
        self._submit("prescriptions", pb.ConnectRequest(prescription_result=result))

    def _submit(self, kind: str, request: pb.ConnectRequest) -> None:
        with self._lock:
            self._unsettled += 1
        pending = self._outbox.submit(
            kind, self.request.plugin_id, request, order_key=self.request.request_id
        )
        self._in_flight.append(pending)
        pending.add_done_callback(self._on_settled)

    def _on_settled(self, pending: Pending) -> None:
        # On the thread that settled it (the stream reader), under the outbox's lock.
        with self._lock:
            self._unsettled -= 1
            if pending.error is not None and self._refusal is None:
                self._refusal = pending.error
            done = self._closed and self._unsettled == 0
        if done:
            self._resolve()

    def _resolve(self) -> None:
        try:
            if self._refusal is None:
                self._settled.set_result(None)
            else:
                self._settled.set_exception(self._refusal)
        except InvalidStateError:  # finish() called twice (by the handler, then the SDK)
            pass


def run_request(handler: PrescriptionHandler, ctx: PrescriptionContext) -> Future[None]:
    """Runs the handler on one request; a raised exception becomes a ``PrescriptionError``
    (unless the plugin is stopping: then nothing more is sent). Returns once the answer is
    handed to the outbox, with a future done once the core acked it; a refusal is logged."""
    request = ctx.request
    ids = f"request={request.request_id} project={request.project_id}"
    # A live request comes per posted event: its progress is logged at debug level only.
    level = logging.DEBUG if request.case_prefix is not None else logging.INFO
    progress = log.isEnabledFor(level)
    if progress:
        log.log(level, "%s prescribing", ids)
    try:
        handler(request, ctx)
        settled = ctx.finish()
        outcome = "answered"
    except PluginStoppedError:
        return ctx._close()
    except Exception as error:  # noqa: BLE001 - reported as the request's error
        if ctx.stopping.is_set():
            log.info("%s left for the core to hand out again (stopping)", ids)
            return ctx._close()
        if ctx.final:
            log.warning("%s failed after its final answer: %s", ids, error)
            return ctx._close()
        detail = str(error) or type(error).__name__
        log.warning("%s failed: %s", ids, detail)
        try:
            ctx.fail(detail)
        except Exception as refused:  # noqa: BLE001
            log.warning("%s could not report the failure: %s", ids, refused)
        settled = ctx.finish()
        outcome = "failure reported"

    def report(done: Future[None]) -> None:
        refused = done.exception()
        if refused is None:
            if progress:
                log.log(level, "%s %s", ids, outcome)
        elif not isinstance(refused, PluginStoppedError):
            log.warning("%s: the core refused the answer: %s", ids, refused)

    settled.add_done_callback(report)
    return settled
