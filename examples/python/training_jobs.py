"""The training jobs the example plugins share, and their main loop.

For every ``TrainingData``: ignore it when its ``plugin_id`` was already taken (delivery is at
least once), download the training set (``DatasetService.DownloadDataset``, retried while the
core is unavailable), and hand the plugin's ``train`` function a ``Job``: the header, the rows,
the project's definition (None for a project created without one) and the parameters. ``train``
raises ``NotApplicable`` (``DataReport`` applicable=false), or calls ``job.start_training()``
(``DataReport`` applicable=true, ``TrainingStart``) and returns the model file it saved
(``ModelName``); any other exception becomes an ``ErrorReport`` with its text.

``run_plugin.py`` runs the jobs of one plugin.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import grpc
from google.protobuf import json_format

# core_connection puts the generated stubs (gen/) on sys.path: import it before them.
from core_connection import (
    OK,
    UNAVAILABLE,
    CoreConnection,
    ReportRefused,
    Stopped,
    backoff_delay,
)
from trainingcore.v1 import dataset_service_pb2 as dataset_pb
from trainingcore.v1 import dataset_service_pb2_grpc as dataset_grpc
from trainingcore.v1 import definition_pb2 as definition_pb
from trainingcore.v1 import plugin_service_pb2 as pb

log = logging.getLogger("training-jobs")

RETRYABLE_DOWNLOAD_CODES = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
DOWNLOAD_ATTEMPTS = 5
DOWNLOAD_TIMEOUT_S = 300.0


class NotApplicable(Exception):
    """Raised by ``train``: the training set does not suit the plugin (the text says why)."""


class Job:
    """One ``TrainingData`` with its downloaded training set, as ``train`` sees it."""

    def __init__(
        self,
        data: pb.TrainingData,
        header: list[str],
        rows: Iterator[list[str]],
        model_dir: Path,
        start_training: Callable[[], None],
    ) -> None:
        self.project_id: int = data.project_id
        self.plugin_id: int = data.plugin_id
        self.header = header
        """The training set's header: the fixed names (``CASE_ID``, ...) when there is a
        definition, else the original file's."""
        self.rows = rows
        """The data rows, read from the downloaded file as they are iterated."""
        self.definition: definition_pb.EventLogDefinition | None = (
            data.definition if data.HasField("definition") else None
        )
        self.parameters: dict[str, Any] = json_format.MessageToDict(data.parameters)
        self.model_dir = model_dir
        self.started = False
        self._start_training = start_training

    def start_training(self) -> None:
        """Reports the dataset applicable, then that training started."""
        self._start_training()
        self.started = True

    def save_model(self, name: str, write: Callable[[Path], None]) -> Path:
        """Saves the model file ``name`` in MODEL_DIR through ``write(path)``, renaming it into
        place only once written, so that a reader never sees half a model."""
        self.model_dir.mkdir(parents=True, exist_ok=True)
        path = self.model_dir / name
        partial = path.with_name(f"{name}.partial")
        write(partial)
        partial.replace(path)
        return path


Train = Callable[[Job], Path]
"""Trains on a job and returns the model file it saved (see the module's docstring)."""


def data_report(data: pb.TrainingData, applicable: bool) -> pb.ConnectRequest:
    return pb.ConnectRequest(
        data_report=pb.DataReport(
            project_id=data.project_id, plugin_id=data.plugin_id, applicable=applicable
        )
    )


def training_start(data: pb.TrainingData) -> pb.ConnectRequest:
    return pb.ConnectRequest(
        training_start=pb.TrainingStart(project_id=data.project_id, plugin_id=data.plugin_id)
    )


def model_name(data: pb.TrainingData, name: str) -> pb.ConnectRequest:
    return pb.ConnectRequest(
        model_name=pb.ModelName(
            project_id=data.project_id, plugin_id=data.plugin_id, model_name=name
        )
    )


def error_report(data: pb.TrainingData, detail: str) -> pb.ConnectRequest:
    return pb.ConnectRequest(
        error_report=pb.ErrorReport(
            project_id=data.project_id, plugin_id=data.plugin_id, detail=detail
        )
    )


class JobRunner:
    """Takes TrainingData one at a time, runs ``train`` on it and reports every step."""

    def __init__(
        self,
        connection: CoreConnection,
        channel: grpc.Channel,
        model_dir: Path,
        train: Train,
        stopping: threading.Event,
    ) -> None:
        self._connection = connection
        self._datasets = dataset_grpc.DatasetServiceStub(channel)
        self._model_dir = model_dir
        self._train = train
        self._stopping = stopping
        self._taken: set[int] = set()  # plugin_ids already taken (delivery is at least once)
        self._lock = threading.Lock()
        self._download: Any = None  # the DownloadDataset call in progress, if any

    def run(self) -> None:
        """Trains on every TrainingData the connection receives, one at a time."""
        while (data := self._connection.training_data.get()) is not None:
            if data.plugin_id in self._taken:
                log.info(
                    "project=%d plugin=%d duplicate TrainingData ignored",
                    data.project_id,
                    data.plugin_id,
                )
                continue
            self._taken.add(data.plugin_id)
            log.info(
                "project=%d plugin=%d TrainingData received: %s, parameters %s, definition %s",
                data.project_id,
                data.plugin_id,
                data.training_df_name,
                json.dumps(json_format.MessageToDict(data.parameters)),  # a Struct, as a dict
                "yes" if data.HasField("definition") else "no",
            )
            try:
                self._run_job(data)
            except Stopped:
                return
            except ReportRefused as error:
                log.error("project=%d plugin=%d %s", data.project_id, data.plugin_id, error)

    def stop(self) -> None:
        self._connection.training_data.put(None)
        with self._lock:
            if self._download is not None:
                self._download.cancel()

    def _run_job(self, data: pb.TrainingData) -> None:
        ids = f"project={data.project_id} plugin={data.plugin_id}"

        def start_training() -> None:
            self._report(data, data_report(data, applicable=True))
            self._report(data, training_start(data))
            log.info("%s training", ids)

        try:
            with tempfile.TemporaryFile() as raw:
                self.download_to(data.training_df_name, raw)
                raw.seek(0)
                with io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
                    rows = csv.reader(text)
                    header = next(rows, None)
                    if header is None:
                        raise ValueError("the training set is empty (no header row)")
                    job = Job(data, header, rows, self._model_dir, start_training)
                    try:
                        path = self._train(job)
                    except NotApplicable as reason:
                        if job.started:  # too late to leave the project: it is a failure
                            raise RuntimeError(f"not applicable after training started: {reason}")
                        log.info("%s not applicable: %s", ids, reason)
                        self._report(data, data_report(data, applicable=False))
                        return
        except (Stopped, ReportRefused):
            raise
        except Exception as error:  # any failure of this job is reported, not fatal
            detail = str(error) or type(error).__name__
            log.error("%s training failed: %s", ids, detail)
            self._report(data, error_report(data, detail))
            return
        self._report(data, model_name(data, path.name))
        log.info("%s trained: model %s", ids, path)

    def _report(self, data: pb.TrainingData, request: pb.ConnectRequest) -> None:
        """Delivers one report; retries while the core answers UNAVAILABLE."""
        kind = request.WhichOneof("message")
        for attempt in itertools.count():
            ack = self._connection.report(request)
            if ack.code == OK:
                log.info("project=%d plugin=%d %s stored", data.project_id, data.plugin_id, kind)
                return
            if ack.code != UNAVAILABLE:
                raise ReportRefused(ack)
            delay = backoff_delay(attempt)
            log.warning(
                "project=%d plugin=%d %s: core unavailable (%s); retrying in %.1fs",
                data.project_id,
                data.plugin_id,
                kind,
                ack.message,
                delay,
            )
            if self._stopping.wait(delay):
                raise Stopped()

    def download_to(self, name: str, into: IO[bytes]) -> None:
        """Streams the dataset into a file; retries while the core is unavailable. (Also
        used for the running cases of prescription requests.)"""
        for attempt in range(DOWNLOAD_ATTEMPTS):
            into.seek(0)
            into.truncate()
            call = self._datasets.DownloadDataset(
                dataset_pb.DownloadDatasetRequest(training_df_name=name),
                timeout=DOWNLOAD_TIMEOUT_S,
            )
            with self._lock:
                self._download = call
            try:
                for response in call:
                    into.write(response.chunk)
                return
            except grpc.RpcError as error:
                if self._stopping.is_set():
                    raise Stopped() from None
                if error.code() not in RETRYABLE_DOWNLOAD_CODES or attempt + 1 == DOWNLOAD_ATTEMPTS:
                    raise RuntimeError(
                        f"DownloadDataset {name}: {error.code().name}: {error.details()}"
                    ) from None
            finally:
                with self._lock:
                    self._download = None
            if self._stopping.wait(backoff_delay(attempt)):
                raise Stopped()
