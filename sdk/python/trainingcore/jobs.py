"""Training jobs: ``on_training_data(job, ctx)`` runs once per ``TrainingData`` (a repeated
one is ignored), and reports through its ``JobContext``."""

from __future__ import annotations

import csv
import io
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Callable, Optional, Union

from ._outbox import Outbox
from .errors import NotApplicable, PluginStoppedError
from .types import Job
from .v1 import model_service_pb2 as ms
from .v1 import plugin_service_pb2 as pb

log = logging.getLogger("trainingcore")

MAX_DETAIL = 4000

TrainingHandler = Callable[[Job, "JobContext"], None]
"""``on_training_data(job, ctx)``: trains on one training set (see ``JobContext``)."""


class JobContext:
    """What a handler does with one job. Each report blocks until the core stored it, and
    raises ``PluginReportError`` when the core refused it."""

    def __init__(
        self,
        job: Job,
        outbox: Outbox,
        download: Callable[[str], Iterator[bytes]],
        upload: Callable[[int, int, str, Union[str, os.PathLike, bytes]], ms.UploadModelResponse],
        stopping: threading.Event,
    ) -> None:
        self.job = job
        self.stopping = stopping
        """Set when the plugin shuts down: finish quickly (a job that reported nothing yet is
        offered again to the next instance)."""
        self.reported = False
        self.final = False
        self._outbox = outbox
        self._download = download
        self._upload = upload

    def download(self) -> Iterator[bytes]:
        """The training set (CSV, header row first), in chunks of bytes."""
        return self._download(self.job.training_df_name)

    def download_to(self, file: Union[str, os.PathLike, IO[bytes]]) -> None:
        """Writes the training set to a path or a binary file object."""
        if isinstance(file, (str, os.PathLike)):
            with open(file, "wb") as out:
                self.download_to(out)
            return
        for chunk in self.download():
            file.write(chunk)

    def rows(self) -> Iterator[list[str]]:
        """The training set as CSV rows, the header first (downloaded to a temporary file)."""
        with tempfile.TemporaryFile() as raw:
            self.download_to(raw)
            raw.seek(0)
            with io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
                yield from csv.reader(text)

    def accept(self) -> None:
        """The training set suits the plugin (``DataReport`` applicable)."""
        self._send("accept", pb.ConnectRequest(data_report=self._data_report(True)))

    def reject(self) -> None:
        """The training set does not suit the plugin: it leaves the project. Final."""
        self._send("reject", pb.ConnectRequest(data_report=self._data_report(False)), final=True)

    def started(self) -> None:
        """Training started (``TrainingStart``)."""
        ids = self._ids()
        self._send("started", pb.ConnectRequest(training_start=pb.TrainingStart(**ids)))

    def trained(
        self, model_name: str, file: Union[str, os.PathLike, bytes, None] = None
    ) -> None:
        """Training ended with the model ``model_name`` (``ModelName``). Final.

        With ``file`` (a path or the bytes), the model is first stored in the core
        (``ModelService.UploadModel``), so any instance of the key can answer prescription
        requests with it."""
        if file is not None:
            self.reported = True
            self._upload(self.job.project_id, self.job.plugin_id, model_name, file)
        request = pb.ConnectRequest(model_name=pb.ModelName(**self._ids(), model_name=model_name))
        self._send("trained", request, final=True)

    def fail(self, detail: str) -> None:
        """Training failed; ``detail`` says why, for a person to read (``ErrorReport``). Final."""
        request = pb.ConnectRequest(
            error_report=pb.ErrorReport(**self._ids(), detail=detail[:MAX_DETAIL])
        )
        self._send("fail", request, final=True)

    def _ids(self) -> dict[str, int]:
        return {"project_id": self.job.project_id, "plugin_id": self.job.plugin_id}

    def _data_report(self, applicable: bool) -> pb.DataReport:
        return pb.DataReport(**self._ids(), applicable=applicable)

    def _send(self, kind: str, request: pb.ConnectRequest, final: bool = False) -> None:
        self.reported = True
        if final:
            self.final = True
        self._outbox.submit(kind, self.job.plugin_id, request).wait()


def run_job(
    handler: TrainingHandler,
    ctx: JobContext,
) -> None:
    """Runs the handler on one job; reports ``fail`` when it raises or returns without a final
    report, except when the plugin is stopping and nothing was reported yet."""
    job = ctx.job
    ids = f"project={job.project_id} plugin={job.plugin_id}"
    log.info("%s TrainingData received: %s", ids, job.training_df_name)
    failure: Optional[str]
    try:
        handler(job, ctx)
        if ctx.final:
            log.info("%s job finished", ids)
            return
        failure = "on_training_data returned without reporting trained, fail or reject"
    except NotApplicable as reason:
        if ctx.final:
            return
        if not ctx.reported:
            log.info("%s not applicable: %s", ids, reason)
            _quietly(ctx.reject)
            return
        failure = f"not applicable after it reported: {reason}"
    except PluginStoppedError:
        return
    except Exception as error:  # noqa: BLE001 - reported as the job's failure
        if ctx.final:
            log.warning("%s failed after its final report: %s", ids, error)
            return
        failure = str(error) or type(error).__name__
        log.warning("%s training failed: %s", ids, failure)
    if ctx.stopping.is_set():
        if not ctx.reported:
            log.info("%s left for the core to offer again (the plugin is stopping)", ids)
            return
        failure = f"the plugin stopped during the job: {failure}"
    _quietly(lambda: ctx.fail(failure or "on_training_data failed"))


def _quietly(report: Callable[[], None]) -> None:
    try:
        report()
    except Exception as error:  # noqa: BLE001
        log.warning("could not report: %s", error)
