"""Answering prescription requests, for the example plugins.

For every ``PrescriptionRequest`` (ignored when its ``request_id`` was already taken: delivery is
at least once): download the running cases (``dataset_name``, a CSV with the training set's
column names, each case's events together and in time order), hand the plugin's ``prescribe``
function a ``PrescriptionJob`` and the cases, and send what it yields as ``PrescriptionResult``
parts of ``PART_SIZE`` cases, the last one with ``last``. An exception becomes a
``PrescriptionError`` with its text; the parts sent before it stay stored.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from google.protobuf import json_format, struct_pb2

# core_connection puts the generated stubs (gen/) on sys.path: import it before them.
from core_connection import OK, UNAVAILABLE, CoreConnection, ReportRefused, Stopped, backoff_delay
from event_log import CASE_ID, fixed_column
from trainingcore.v1 import plugin_service_pb2 as pb
from trainingcore.v1 import prescription_pb2 as prescription_pb

log = logging.getLogger("prescriptions")

PART_SIZE = 1000


@dataclass(frozen=True)
class RunningCase:
    case_id: str
    events: list[dict[str, str]]
    """The case's events in time order, by column name; empty cells left out."""


@dataclass(frozen=True)
class PrescriptionJob:
    request_id: str
    project_id: int
    plugin_id: int
    model_name: str
    model_dir: Path
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Prescription:
    type: str
    output: Any
    """Any JSON value; None when there is no prescription for the case (say why in detail)."""
    detail: str = ""
    model: dict[str, Any] | None = None


Prescribe = Callable[[PrescriptionJob, Iterable[RunningCase]], Iterator[tuple[str, Prescription]]]
"""Yields (case id, prescription) for the running cases it is given."""


def read_running_cases(rows: Iterator[list[str]], header: list[str]) -> Iterator[RunningCase]:
    """Groups the rows (contiguous per case) into cases."""
    case_column = fixed_column(header, CASE_ID)
    index = case_column.index if case_column else 0
    current: RunningCase | None = None
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


def case_of_prefix(prefix: pb.CasePrefix) -> RunningCase:
    """A live request's case: its events (Structs of strings), empty cells left out."""
    events = [
        {name: str(value) for name, value in json_format.MessageToDict(e).items() if value != ""}
        for e in prefix.events
    ]
    return RunningCase(prefix.case_id, events)


def to_proto(case_id: str, prescription: Prescription) -> prescription_pb.CasePrescription:
    output = struct_pb2.Value()
    json_format.ParseDict(prescription.output, output)
    model = struct_pb2.Struct()
    model.update(prescription.model or {})
    return prescription_pb.CasePrescription(
        case_id=case_id,
        prescription=prescription_pb.Prescription(
            type=prescription.type, output=output, detail=prescription.detail, model=model
        ),
    )


class PrescriptionRunner:
    """Takes PrescriptionRequests one at a time and answers them with ``prescribe``."""

    def __init__(
        self,
        connection: CoreConnection,
        download_to: Callable[[str, IO[bytes]], None],
        model_dir: Path,
        prescribe: Prescribe,
        stopping: threading.Event,
    ) -> None:
        self._connection = connection
        self._download_to = download_to
        self._model_dir = model_dir
        self._prescribe = prescribe
        self._stopping = stopping
        self._taken: set[str] = set()

    def run(self) -> None:
        while (request := self._connection.prescription_requests.get()) is not None:
            if request.request_id in self._taken:
                continue
            self._taken.add(request.request_id)
            try:
                self._answer(request)
            except Stopped:
                return
            except ReportRefused as error:
                log.error("request=%s %s", request.request_id, error)

    def stop(self) -> None:
        self._connection.prescription_requests.put(None)

    def _answer(self, request: pb.PrescriptionRequest) -> None:
        job = PrescriptionJob(
            request_id=request.request_id,
            project_id=request.project_id,
            plugin_id=request.plugin_id,
            model_name=request.model_name,
            model_dir=self._model_dir,
            parameters=json_format.MessageToDict(request.parameters),
        )
        if request.WhichOneof("input") != "case_prefix":
            log.info("request=%s project=%d prescribing", job.request_id, job.project_id)
        answered = 0
        try:
            if request.WhichOneof("input") == "case_prefix":
                # A live event (PostEvents): one case, its events so far; answered with one part.
                answers = self._prescribe(job, [case_of_prefix(request.case_prefix)])
                self._send(job, [to_proto(case_id, p) for case_id, p in answers], last=True)
                log.debug("request=%s answered its live case", job.request_id)
                return
            with tempfile.TemporaryFile() as raw:
                self._download_to(request.dataset_name, raw)
                raw.seek(0)
                with io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
                    rows = csv.reader(text)
                    header = next(rows, None)
                    cases = read_running_cases(rows, header) if header else iter(())
                    part: list[prescription_pb.CasePrescription] = []
                    for case_id, prescription in self._prescribe(job, cases):
                        part.append(to_proto(case_id, prescription))
                        if len(part) >= PART_SIZE:
                            self._send(job, part, last=False)
                            answered += len(part)
                            part = []
                    self._send(job, part, last=True)
                    answered += len(part)
        except (Stopped, ReportRefused):
            raise
        except Exception as error:  # reported as the request's error, not fatal
            detail = str(error) or type(error).__name__
            log.error("request=%s failed: %s", job.request_id, detail)
            self._report(
                job,
                pb.ConnectRequest(
                    prescription_error=pb.PrescriptionError(
                        request_id=job.request_id, detail=detail[:4000]
                    )
                ),
            )
            return
        log.info("request=%s answered %d cases", job.request_id, answered)

    def _send(
        self, job: PrescriptionJob, part: list[prescription_pb.CasePrescription], last: bool
    ) -> None:
        result = pb.PrescriptionResult(request_id=job.request_id, prescriptions=part, last=last)
        self._report(job, pb.ConnectRequest(prescription_result=result))

    def _report(self, job: PrescriptionJob, request: pb.ConnectRequest) -> None:
        """Delivers one answer (re-sent across reconnects); retries while UNAVAILABLE."""
        for attempt in itertools.count():
            ack = self._connection.report(request)
            if ack.code == OK:
                return
            if ack.code != UNAVAILABLE:
                raise ReportRefused(ack)
            if self._stopping.wait(backoff_delay(attempt)):
                raise Stopped()
