"""Moving files: training sets and running cases (``DatasetService.DownloadDataset``), model
files (``ModelService.UploadModel`` / ``DownloadModel``). Downloads resume at the first byte not
yet received when a call fails with UNAVAILABLE; an upload cut that way is sent again whole."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Callable, Union

import grpc

from ._backoff import Reconnect, jittered_delay
from .errors import PluginReportError, PluginStoppedError
from .v1 import dataset_service_pb2 as ds
from .v1 import dataset_service_pb2_grpc as ds_grpc
from .v1 import model_service_pb2 as ms
from .v1 import model_service_pb2_grpc as ms_grpc

log = logging.getLogger("trainingcore")

CHUNK_BYTES = 256 * 1024
MAX_ATTEMPTS = 8

ModelFile = Union[str, os.PathLike, bytes]


def _retryable(error: grpc.RpcError) -> bool:
    return error.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[no-any-return]


def _pause(attempt: int, reconnect: Reconnect, stopping: threading.Event) -> None:
    if stopping.wait(jittered_delay(reconnect, attempt)):
        raise PluginStoppedError()


def download_dataset(
    stub: Callable[[], ds_grpc.DatasetServiceStub],
    name: str,
    stopping: threading.Event,
    reconnect: Reconnect,
) -> Iterator[bytes]:
    """Yields the dataset's bytes in chunks, resuming with ``offset`` after UNAVAILABLE."""
    delivered = 0
    attempt = 0
    while True:
        call = stub().DownloadDataset(
            ds.DownloadDatasetRequest(training_df_name=name, offset=delivered)
        )
        try:
            for response in call:
                if response.chunk:
                    delivered += len(response.chunk)
                    attempt = 0
                    yield response.chunk
            return
        except grpc.RpcError as error:
            if stopping.is_set():
                raise PluginStoppedError() from None
            if not _retryable(error) or attempt + 1 >= MAX_ATTEMPTS:
                raise
            log.warning("download of %s cut at byte %d (%s); resuming", name, delivered, error.details())
        finally:
            call.cancel()
        _pause(attempt, reconnect, stopping)
        attempt += 1


def _file_digest(file: ModelFile) -> tuple[int, str]:
    digest = hashlib.sha256()
    if isinstance(file, bytes):
        digest.update(file)
        return len(file), digest.hexdigest()
    size = 0
    with open(file, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _chunks(file: ModelFile) -> Iterator[bytes]:
    if isinstance(file, bytes):
        for start in range(0, len(file), CHUNK_BYTES):
            yield file[start : start + CHUNK_BYTES]
        return
    with open(file, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def upload_model(
    stub: Callable[[], ms_grpc.ModelServiceStub],
    project_id: int,
    plugin_id: int,
    model_name: str,
    file: ModelFile,
    stopping: threading.Event,
    reconnect: Reconnect,
) -> ms.UploadModelResponse:
    """Stores a model file in the core (size and SHA-256 declared); retried whole while the
    core is UNAVAILABLE; a refusal raises ``PluginReportError`` for the report ``trained``."""
    size, sha256 = _file_digest(file)
    metadata = ms.ModelMetadata(
        project_id=project_id,
        plugin_id=plugin_id,
        model_name=model_name,
        size_bytes=size,
        sha256=sha256,
    )

    def requests() -> Iterator[ms.UploadModelRequest]:
        yield ms.UploadModelRequest(metadata=metadata)
        for chunk in _chunks(file):
            yield ms.UploadModelRequest(chunk=chunk)

    attempt = 0
    while True:
        try:
            response: ms.UploadModelResponse = stub().UploadModel(requests())
            return response
        except grpc.RpcError as error:
            if stopping.is_set():
                raise PluginStoppedError() from None
            if not _retryable(error) or attempt + 1 >= MAX_ATTEMPTS:
                raise PluginReportError(
                    error.code().value[0],
                    f"the core refused the model: {error.details()}",
                    "trained",
                    plugin_id,
                ) from None
        _pause(attempt, reconnect, stopping)
        attempt += 1


class ModelCache:
    """Models downloaded from the core, one file per membership, kept until ``clear()``."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="trainingcore-models-"))
        self._paths: dict[tuple[int, int], Path] = {}
        self._locks: dict[tuple[int, int], threading.Lock] = {}
        self._lock = threading.Lock()

    def path(
        self,
        stub: Callable[[], ms_grpc.ModelServiceStub],
        project_id: int,
        plugin_id: int,
        stopping: threading.Event,
        reconnect: Reconnect,
    ) -> Path:
        """The model's local file, downloaded on first use (one download per membership)."""
        key = (project_id, plugin_id)
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key in self._paths:
                return self._paths[key]
            path = self._dir / f"model-{project_id}-{plugin_id}"
            download_model(stub, project_id, plugin_id, path, stopping, reconnect)
            log.info(
                "project=%d plugin=%d model downloaded (%d bytes)",
                project_id,
                plugin_id,
                path.stat().st_size,
            )
            self._paths[key] = path
            return path

    def clear(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
        self._paths.clear()


def download_model(
    stub: Callable[[], ms_grpc.ModelServiceStub],
    project_id: int,
    plugin_id: int,
    path: Path,
    stopping: threading.Event,
    reconnect: Reconnect,
) -> None:
    """Writes the stored model to ``path`` (through ``path.part``), resuming after UNAVAILABLE.
    Raises ``grpc.RpcError`` otherwise (NOT_FOUND: the plugin keeps its model itself)."""
    partial = path.with_name(path.name + ".part")
    attempt = 0
    with open(partial, "wb") as out:
        while True:
            request = ms.DownloadModelRequest(
                project_id=project_id, plugin_id=plugin_id, offset=out.tell()
            )
            call = stub().DownloadModel(request)
            try:
                for response in call:
                    out.write(response.chunk)
                    attempt = 0
                break
            except grpc.RpcError as error:
                if stopping.is_set():
                    raise PluginStoppedError() from None
                if not _retryable(error) or attempt + 1 >= MAX_ATTEMPTS:
                    raise
            finally:
                call.cancel()
            _pause(attempt, reconnect, stopping)
            attempt += 1
    partial.replace(path)
