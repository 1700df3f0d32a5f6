"""One open ``PluginService.Connect`` call: numbers requests, matches each ``Ack`` to the request
it answers by ``sequence``, and hands the core's other messages to callbacks. The responses are
read on a thread of its own."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Optional

import grpc

from .v1 import plugin_service_pb2 as pb
from .v1 import plugin_service_pb2_grpc as pb_grpc

log = logging.getLogger("trainingcore")

AckCallback = Callable[[pb.Ack], None]


@dataclass(frozen=True)
class StreamEnd:
    """How a stream ended: a gRPC status code number and its details."""

    code: int
    details: str


@dataclass(frozen=True)
class Handlers:
    on_training_data: Callable[[pb.TrainingData], None]
    on_prescription_request: Callable[[pb.PrescriptionRequest], None]
    on_online_inquiry: Callable[[Link], None]


class Link:
    """A Connect call. ``send`` queues a request with the next sequence number; the ack's
    callback runs on the reader thread."""

    def __init__(self, stub: pb_grpc.PluginServiceStub, handlers: Handlers) -> None:
        self._handlers = handlers
        self._outgoing: queue.SimpleQueue[Optional[pb.ConnectRequest]] = queue.SimpleQueue()
        self._callbacks: dict[int, AckCallback] = {}
        self._next_sequence = 1
        self._lock = threading.Lock()
        self._open = True
        self.ended = threading.Event()
        self.end: StreamEnd = StreamEnd(0, "")
        self._call: Any = stub.Connect(self._requests())
        self._reader = threading.Thread(target=self._read, name="trainingcore-link", daemon=True)
        self._reader.start()

    @property
    def is_open(self) -> bool:
        return self._open and not self.ended.is_set()

    def send(self, request: pb.ConnectRequest, on_ack: AckCallback) -> int:
        """Numbers and queues ``request``; ``on_ack`` gets its Ack. Returns the sequence."""
        with self._lock:
            sequence = self._next_sequence
            self._next_sequence += 1
            self._callbacks[sequence] = on_ack
            numbered = pb.ConnectRequest()
            numbered.CopyFrom(request)
            numbered.sequence = sequence
            self._outgoing.put(numbered)
        return sequence

    def half_close(self) -> None:
        """Ends the requests (the core then ends the stream)."""
        self._open = False
        self._outgoing.put(None)

    def cancel(self) -> None:
        self._open = False
        self._call.cancel()
        self._outgoing.put(None)

    def _requests(self) -> Iterator[pb.ConnectRequest]:
        while (request := self._outgoing.get()) is not None:
            yield request

    def _read(self) -> None:
        end = StreamEnd(0, "the core ended the stream")
        try:
            for response in self._call:
                kind = response.WhichOneof("message")
                if kind == "ack":
                    self._on_ack(response.ack)
                elif kind == "online_inquiry":
                    self._handlers.on_online_inquiry(self)
                elif kind == "training_data":
                    self._handlers.on_training_data(response.training_data)
                elif kind == "prescription_request":
                    self._handlers.on_prescription_request(response.prescription_request)
        except grpc.RpcError as error:
            code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
            details = error.details() if hasattr(error, "details") else str(error)
            end = StreamEnd(code.value[0], details or "")
        except Exception as error:  # noqa: BLE001 - a handler bug must not kill the reader silently
            log.exception("the stream reader failed")
            end = StreamEnd(grpc.StatusCode.INTERNAL.value[0], str(error))
            self._call.cancel()
        finally:
            self._open = False
            self._outgoing.put(None)
            self.end = end
            self.ended.set()

    def _on_ack(self, ack: pb.Ack) -> None:
        with self._lock:
            callback = self._callbacks.pop(ack.sequence, None)
        if callback is None:
            log.warning("ack for unknown sequence %d ignored", ack.sequence)
            return
        callback(ack)
