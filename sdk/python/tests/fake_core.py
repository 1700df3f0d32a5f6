"""A scripted core for the SDK's unit tests: a real gRPC server on a free loopback port whose
PluginService.Connect, DatasetService.DownloadDataset and ModelService calls the test drives."""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any, Optional, Union

import grpc

from trainingcore.v1 import dataset_service_pb2 as ds
from trainingcore.v1 import dataset_service_pb2_grpc as ds_grpc
from trainingcore.v1 import model_service_pb2 as ms
from trainingcore.v1 import model_service_pb2_grpc as ms_grpc
from trainingcore.v1 import plugin_service_pb2 as pb
from trainingcore.v1 import plugin_service_pb2_grpc as pb_grpc

WAIT = 10.0
# What the core answers a request with: (code, message), or None to hold the ack back.
AckPolicy = Callable[["FakeStream", pb.ConnectRequest], Optional[tuple[int, str]]]


class End:
    """Ends a stream with a status."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        self.code = code
        self.details = details


class FakeStream:
    def __init__(self, policy: AckPolicy) -> None:
        self.received: queue.Queue[pb.ConnectRequest] = queue.Queue()
        self.all: list[pb.ConnectRequest] = []
        self.outgoing: queue.Queue[Union[pb.ConnectResponse, End, None]] = queue.Queue()
        self.policy = policy
        self.closed = threading.Event()  # the plugin half-closed or the call ended

    def next(self, kind: Optional[str] = None, timeout: float = WAIT) -> pb.ConnectRequest:
        """The next request the plugin sent of ``kind`` (any kind when None), skipping others;
        raises ``queue.Empty`` when none comes within ``timeout``."""
        while True:
            request = self.received.get(timeout=timeout)
            if kind is None or request.WhichOneof("message") == kind:
                return request

    def send(self, **message: Any) -> None:
        self.outgoing.put(pb.ConnectResponse(**message))

    def ack(self, sequence: int, code: int = 0, message: str = "") -> None:
        self.send(ack=pb.Ack(sequence=sequence, code=code, message=message))

    def end(self, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE, details: str = "cut") -> None:
        self.outgoing.put(End(code, details))

    def kinds(self) -> list[str]:
        return [str(r.WhichOneof("message")) for r in self.all]


def ack_all(_stream: FakeStream, _request: pb.ConnectRequest) -> Optional[tuple[int, str]]:
    return (0, "")


class FakeCore(pb_grpc.PluginServiceServicer, ds_grpc.DatasetServiceServicer, ms_grpc.ModelServiceServicer):
    def __init__(self) -> None:
        self.policy: AckPolicy = ack_all
        self.streams: queue.Queue[FakeStream] = queue.Queue()
        self.datasets: dict[str, bytes] = {}
        # Fail the next N DownloadDataset calls with UNAVAILABLE after this many bytes.
        self.cut_downloads_after: Optional[int] = None
        self.download_offsets: list[int] = []
        self.models: dict[tuple[int, int], bytes] = {}
        self.model_downloads: list[tuple[int, int]] = []
        self.uploads: list[ms.ModelMetadata] = []
        self.metadata: list[dict[str, str]] = []
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
        pb_grpc.add_PluginServiceServicer_to_server(self, self.server)
        ds_grpc.add_DatasetServiceServicer_to_server(self, self.server)
        ms_grpc.add_ModelServiceServicer_to_server(self, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{self.port}"
        self.server.start()

    def stop(self) -> None:
        self.server.stop(0).wait()

    def stream(self, timeout: float = WAIT) -> FakeStream:
        """The next Connect call the plugin opened."""
        return self.streams.get(timeout=timeout)

    def registered_stream(self) -> tuple[FakeStream, pb.ConnectRequest]:
        """The next stream, with its OnlineReport (already acked by the policy)."""
        stream = self.stream()
        return stream, stream.next("online_report")

    # -- PluginService ------------------------------------------------------------------

    def Connect(self, request_iterator: Iterator[pb.ConnectRequest], context: Any) -> Iterator[pb.ConnectResponse]:
        self.metadata.append(dict(context.invocation_metadata()))
        stream = FakeStream(self.policy)
        self.streams.put(stream)

        def read() -> None:
            try:
                for request in request_iterator:
                    stream.all.append(request)
                    stream.received.put(request)
                    answer = stream.policy(stream, request)
                    if answer is not None:
                        stream.ack(request.sequence, *answer)
            except Exception:  # noqa: BLE001 - the call was cancelled
                pass
            stream.closed.set()
            stream.outgoing.put(None)

        threading.Thread(target=read, daemon=True).start()
        while True:
            item = stream.outgoing.get()
            if item is None:
                return
            if isinstance(item, End):
                context.abort(item.code, item.details)
            yield item

    # -- DatasetService -----------------------------------------------------------------

    def DownloadDataset(self, request: ds.DownloadDatasetRequest, context: Any) -> Iterator[ds.DownloadDatasetResponse]:
        self.metadata.append(dict(context.invocation_metadata()))
        data = self.datasets.get(request.training_df_name)
        if data is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no dataset {request.training_df_name}")
        self.download_offsets.append(request.offset)
        body = data[request.offset :]
        cut = self.cut_downloads_after
        if cut is not None:
            self.cut_downloads_after = None
            yield ds.DownloadDatasetResponse(chunk=body[:cut])
            context.abort(grpc.StatusCode.UNAVAILABLE, "cut")
        for start in range(0, len(body), 7):
            yield ds.DownloadDatasetResponse(chunk=body[start : start + 7])

    # -- ModelService -------------------------------------------------------------------

    def UploadModel(self, request_iterator: Iterator[ms.UploadModelRequest], context: Any) -> ms.UploadModelResponse:
        first = next(request_iterator)
        metadata = first.metadata
        body = b"".join(r.chunk for r in request_iterator)
        digest = hashlib.sha256(body).hexdigest()
        if len(body) != metadata.size_bytes or digest != metadata.sha256:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "size or sha256 mismatch")
        self.uploads.append(metadata)
        self.models[(metadata.project_id, metadata.plugin_id)] = body
        return ms.UploadModelResponse(model_name=metadata.model_name, size_bytes=len(body), sha256=digest)

    def DownloadModel(self, request: ms.DownloadModelRequest, context: Any) -> Iterator[ms.DownloadModelResponse]:
        self.model_downloads.append((request.project_id, request.plugin_id))
        body = self.models.get((request.project_id, request.plugin_id))
        if body is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no model stored")
        yield ms.DownloadModelResponse(chunk=body[request.offset :])
